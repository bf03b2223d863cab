import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT } from './cli-fixtures';

// bin/cdk-mlops.ts as a user runs it (like `npm run cli`): a child process with no AWS credentials
// and none of the caller's AWS_* variables, so the command fails at the credential chain.

// Each child costs about a second of ts-node start-up.
jest.setTimeout(20_000);

const WARNING_VARIABLE = 'AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED';
const NODE_MAJOR = Number(process.versions.node.split('.')[0]);

function withoutCredentials(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const empty = join(mkdtempSync(join(tmpdir(), 'cdk-mlops-entry-')), 'empty');
  writeFileSync(empty, '');
  const env = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('AWS_')));
  return { ...env, AWS_CONFIG_FILE: empty, AWS_SHARED_CREDENTIALS_FILE: empty, AWS_EC2_METADATA_DISABLED: 'true', ...extra };
}

function runEntry(args: readonly string[], env: NodeJS.ProcessEnv): Promise<{ exitCode: number | null; stdout: string; stderr: string }> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, ['-r', 'ts-node/register/transpile-only', 'bin/cdk-mlops.ts', ...args], {
      cwd: REPO_ROOT,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.once('error', fail);
    child.once('close', (exitCode) => done({ exitCode, stdout, stderr }));
  });
}

test("the CLI's stderr carries only its own message, not the SDK's NodeVersionSupportWarning", async () => {
  // WHEN
  const run = await runEntry(['status'], withoutCredentials());
  // THEN
  expect(run).toEqual({
    exitCode: 3,
    stdout: '',
    stderr: 'cdk-mlops: no AWS credentials found: set AWS_PROFILE or pass --profile, or run aws configure\n',
  });
});

// The SDK warns only below Node 22; above it there is nothing to show.
(NODE_MAJOR < 22 ? test : test.skip)(`the ${WARNING_VARIABLE} the user set is kept: "false" shows the warning`, async () => {
  // WHEN
  const run = await runEntry(['status'], withoutCredentials({ [WARNING_VARIABLE]: 'false' }));
  // THEN
  expect(run.exitCode).toBe(3);
  expect(run.stderr).toMatch(/NodeVersionSupportWarning: The AWS SDK for JavaScript \(v3\)/);
  expect(run.stderr).toMatch(/cdk-mlops: no AWS credentials found/);
});
