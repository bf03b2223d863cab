import { spawn } from 'node:child_process';
import { createWriteStream, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';

/**
 * Runs a Python script with `python`; its output goes to `logPath`. A non-zero exit rejects with
 * the script's own error line, as SageMaker's FailureReason carries the algorithm's message.
 *
 * @returns the script's stdout
 */
export function runPythonScript(python: string, args: readonly string[], environment: Record<string, string>, logPath: string): Promise<string> {
  mkdirSync(dirname(logPath), { recursive: true });
  const log = createWriteStream(logPath);
  return new Promise((resolve, reject) => {
    const child = spawn(python, args, {
      env: { ...process.env, ...environment, PYTHONUNBUFFERED: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk;
      log.write(chunk);
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk;
      log.write(chunk);
    });
    child.once('error', (err) => {
      log.end();
      reject(new Error(`cannot run ${python}: ${err.message}`));
    });
    child.once('close', (code) => {
      log.end();
      if (code === 0) return resolve(stdout);
      reject(new Error(`AlgorithmError: ${scriptError(stderr)} (exit code ${code}; log ${logPath})`));
    });
  });
}

/** A script's error line: its last ERROR log line, else argparse's `error:` line, else its last line. */
export function scriptError(stderr: string): string {
  const lines = stderr.split('\n').map((line) => line.trim()).filter(Boolean);
  const error = [...lines].reverse().find((line) => / ERROR /.test(line) || /: error: /.test(line));
  return (error ?? lines[lines.length - 1] ?? 'no output').replace(/^.* ERROR [\w.]+: /, '');
}
