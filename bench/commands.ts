import { spawnSync } from 'node:child_process';
import { accessSync, constants, writeFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { REPO_ROOT } from './synth';

/** A timed command, or why it was not run. */
export type CommandRun = { readonly wallMs: number; readonly exitCode: number; readonly log: string } | { readonly skipped: string };

/** Runs `npm ...args` in the repository once, its output saved to `log`. */
export function timeNpm(args: readonly string[], log: string): CommandRun {
  const start = performance.now();
  const result = spawnSync('npm', args, { cwd: REPO_ROOT, encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
  const wallMs = performance.now() - start;
  writeFileSync(log, `${result.stdout}\n${result.stderr}`);
  return { wallMs, exitCode: result.status ?? 1, log };
}

/** Whether an executable named `program` is on PATH. */
export function onPath(program: string): boolean {
  return (process.env.PATH ?? '').split(delimiter).some((dir) => {
    try {
      accessSync(join(dir, program), constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}
