import { resolve } from 'node:path';
import { runCli } from '../../lib/cli/program';
import type { LocalLoopReport } from '../../lib/local/local-loop';

/** The repository, where `local run` runs as a user runs it in this checkout. */
export const REPO_ROOT = resolve(__dirname, '..', '..');

export interface LocalRun {
  readonly exitCode: number;
  readonly stdout: string;
  readonly stderr: string;
  /** The `--json` report; undefined when the command printed none. */
  readonly report: LocalLoopReport;
}

/** `cdk-mlops local run --json ...args` in this process, from the repository, with `env`. */
export async function localRunWith(env: NodeJS.ProcessEnv, ...args: string[]): Promise<LocalRun> {
  let stdout = '';
  let stderr = '';
  const exitCode = await runCli(['local', 'run', '--json', ...args], {
    io: { stdout: (text) => (stdout += text), stderr: (text) => (stderr += text), interactive: false, confirm: async () => false },
    now: () => new Date(),
    sleep: async () => undefined,
    pollIntervalMs: 0,
    cwd: REPO_ROOT,
    env,
  });
  return { exitCode, stdout, stderr, report: stdout.trim().startsWith('{') ? (JSON.parse(stdout) as LocalLoopReport) : (undefined as never) };
}

/** `cdk-mlops local run --json ...args` with this process's environment. */
export function localRun(...args: string[]): Promise<LocalRun> {
  return localRunWith(process.env, ...args);
}
