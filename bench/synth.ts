import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TsProfile } from './apps/ts-compile-timer';

export const REPO_ROOT = join(__dirname, '..');

/**
 * Context keys the CDK CLI (2.1148) adds to cdk.json's context for every `cdk synth`, as read from
 * the CDK_CONTEXT_JSON it hands the app; passing them keeps the measured process the one the CLI runs.
 */
const CLI_CONTEXT = {
  'aws:cdk:enable-path-metadata': true,
  'aws:cdk:enable-asset-metadata': true,
  'aws:cdk:disable-version-reporting': true,
  'aws:cdk:bundling-stacks': ['**'],
  '@aws-cdk/core:failSynthOnValidationErrors': false,
};

/**
 * Where the measured apps find Docker: nowhere. Synth must not need Docker, so any Docker bundling
 * or image build at synth fails the run with this path in the message instead of passing unnoticed.
 */
const NO_DOCKER = '/bench-forbids-docker-at-synth/docker';

/** What one app process reported: its wall and CPU time, aws-cdk-lib's performance counters and, for the bench app, its ts-node profile. */
export interface AppRun {
  readonly wallMs: number;
  /** User and system CPU time of the app and the processes it waited for (esbuild): less disturbed by other load than wall time. */
  readonly cpuMs: number;
  readonly outdir: string;
  /** aws-cdk-lib's counters (ms per span), written because the slow-synth threshold is set to 0. */
  readonly counters: Record<string, number>;
  readonly tsProfile?: TsProfile;
  /** Sum of the "Done in N ms" esbuild prints per bundle: its own share of bundling. */
}

export interface AppSpec {
  /** App entry point relative to the repository, run with ts-node like cdk.json's "app". */
  readonly app: string;
  readonly context?: Record<string, unknown>;
  readonly env?: Record<string, string>;
}

/**
 * Runs one app process the way `cdk synth` does: `node -r ts-node/register/transpile-only APP` with
 * CDK_CONTEXT_JSON (cdk.json context, the CLI's own keys, then `spec.context`) and CDK_OUTDIR set to
 * a fresh folder under `workDir`. Throws with the app's output when it fails.
 */
export function runApp(spec: AppSpec, workDir: string): AppRun {
  const cdkJson = JSON.parse(readFileSync(join(REPO_ROOT, 'cdk.json'), 'utf8'));
  const outdir = mkdtempSync(join(workDir, 'out-'));
  // Beside the assembly, so that it holds only what the app wrote.
  const countersFile = `${outdir}.counters.json`;
  const profileFile = `${outdir}.profile.json`;
  const context = {
    ...cdkJson.context,
    ...CLI_CONTEXT,
    // aws-cdk-lib writes its performance counters only for stacks slower than this threshold.
    '@aws-cdk/core.slowSynthThreshold': 0,
    ...spec.context,
  };
  const env: NodeJS.ProcessEnv = { ...process.env, ...spec.env };
  // A CDK_VALIDATION=false left in the caller's shell would silently skip validation everywhere.
  if (spec.env?.CDK_VALIDATION === undefined) delete env.CDK_VALIDATION;
  Object.assign(env, {
    CDK_CONTEXT_JSON: JSON.stringify(context),
    CDK_OUTDIR: outdir,
    CDK_PERF_COUNTERS_FILE: countersFile,
    BENCH_PROFILE_FILE: profileFile,
    CDK_DOCKER: NO_DOCKER,
  });
  const cpuBefore = childrenCpuMs();
  const start = performance.now();
  const result = spawnSync(process.execPath, ['-r', 'ts-node/register/transpile-only', spec.app], {
    cwd: REPO_ROOT,
    env,
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  const wallMs = performance.now() - start;
  const cpuMs = childrenCpuMs() - cpuBefore;
  if (result.status !== 0) {
    throw new Error(`${spec.app} failed (exit ${result.status ?? result.signal}):\n${tail(result.stderr || result.stdout)}`);
  }
  return {
    wallMs,
    cpuMs,
    outdir,
    counters: existsSync(countersFile) ? JSON.parse(readFileSync(countersFile, 'utf8')).counters : {},
    tsProfile: existsSync(profileFile) ? JSON.parse(readFileSync(profileFile, 'utf8')) : undefined,
  };
}

/** Wall and CPU time of one `npx cdk synth` of `stage` through the CLI, into a fresh folder under `workDir`. */
export function runCliSynth(stage: string, workDir: string): { wallMs: number; cpuMs: number } {
  const outdir = mkdtempSync(join(workDir, 'cli-'));
  const env: NodeJS.ProcessEnv = { ...process.env, CDK_DISABLE_VERSION_CHECK: '1', CDK_DISABLE_CLI_TELEMETRY: 'true' };
  delete env.CDK_VALIDATION;
  const cpuBefore = childrenCpuMs();
  const start = performance.now();
  const result = spawnSync('npx', ['cdk', 'synth', '--quiet', '--no-notices', '-c', `stage=${stage}`, '-o', outdir], {
    cwd: REPO_ROOT,
    env,
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  const wallMs = performance.now() - start;
  if (result.status !== 0) throw new Error(`npx cdk synth failed (exit ${result.status ?? result.signal}):\n${tail(result.stderr)}`);
  return { wallMs, cpuMs: childrenCpuMs() - cpuBefore };
}

/**
 * CPU time (user + system) of this process's waited-for children and their waited-for children,
 * from /proc/self/stat (cutime, cstime) in clock ticks of 10 ms (USER_HZ is 100 on Linux).
 */
function childrenCpuMs(): number {
  const stat = readFileSync('/proc/self/stat', 'utf8');
  // Fields after the command name, which is in parentheses and may hold spaces: state is field 3.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const [cutime, cstime] = [fields[16 - 3], fields[17 - 3]].map(Number);
  return (cutime + cstime) * 10;
}

function tail(text: string, lines = 20): string {
  return text.trim().split('\n').slice(-lines).join('\n');
}
