import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { runCli } from '../../lib/cli/program';

// `cdk-mlops data profile FILE` as a user runs it: ml/profile.py with the local Python, the same
// script the pipeline's DataProfile step runs.

jest.setTimeout(60_000);

const REPO_ROOT = resolve(__dirname, '..', '..');

async function cli(...args: string[]) {
  let stdout = '';
  let stderr = '';
  const exitCode = await runCli(args, {
    io: { stdout: (text) => (stdout += text), stderr: (text) => (stderr += text), interactive: false, confirm: async () => false },
    now: () => new Date(),
    sleep: async () => undefined,
    pollIntervalMs: 0,
    cwd: REPO_ROOT,
  });
  return { exitCode, stdout, stderr };
}

test('profiles the sample into an offline HTML report and its JSON, and says where', async () => {
  const out = mkdtempSync(join(tmpdir(), 'cdk-mlops-profile-'));
  const { exitCode, stdout } = await cli('data', 'profile', 'ml/data/churn-sample.csv', '--out', out, '--json');
  expect(exitCode).toBe(0);
  expect(JSON.parse(stdout)).toEqual({ html: join(out, 'profile.html'), json: join(out, 'profile.json'), rows: 2000, columns: 8, warnings: [] });
  const html = readFileSync(join(out, 'profile.html'), 'utf8');
  expect(html.match(/<img src="data:image\/png;base64,/g)).toHaveLength(9);
  expect(html).not.toMatch(/https?:\/\//);
});

test('a file without the label column fails with the script’s message, exit 1', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'cdk-mlops-profile-bad-'));
  writeFileSync(join(dir, 'no-label.csv'), 'a,b\n1,2\n');
  const { exitCode, stderr } = await cli('data', 'profile', join(dir, 'no-label.csv'), '--out', join(dir, 'out'));
  expect(exitCode).toBe(1);
  expect(stderr).toBe("cdk-mlops: data profile failed: label column 'churn' not found; columns are ['a', 'b']\n");
  expect(existsSync(join(dir, 'out', 'profile.html'))).toBe(false);
});

test('a file that does not exist is a usage error naming it', async () => {
  const { exitCode, stderr } = await cli('data', 'profile', 'nowhere.csv');
  expect(exitCode).toBe(2);
  expect(stderr).toContain('nowhere.csv does not exist');
});
