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

test('--problem-type regression profiles the delivery sample: the label section is its distribution, the label chart a histogram', async () => {
  const out = mkdtempSync(join(tmpdir(), 'cdk-mlops-profile-regression-'));
  const { exitCode, stdout } = await cli(
    'data', 'profile', 'ml/data/delivery-sample.csv', '--out', out, '--label-column', 'delivery_minutes', '--problem-type', 'regression', '--json',
  );
  expect(exitCode).toBe(0);
  expect(JSON.parse(stdout)).toMatchObject({ rows: 2000, columns: 9, warnings: [] });
  const profile = JSON.parse(readFileSync(join(out, 'profile.json'), 'utf8'));
  expect(profile.problemType).toBe('regression');
  expect(Object.keys(profile.label)).toEqual(['column', 'rowsWithLabel', 'rowsWithoutLabel', 'distinct', 'stats', 'quantiles', 'histogram']);
  const html = readFileSync(join(out, 'profile.html'), 'utf8');
  expect(html).toContain('<tr><td>problem type</td><td>regression</td></tr>');
  expect(html).toContain('alt="label distribution"');
});

test('--problem-type multiclass passes --num-classes to the script, which checks the labels against it', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'cdk-mlops-profile-multiclass-'));
  writeFileSync(join(dir, 'grades.csv'), 'size,grade\n1,0\n2,1\n3,2\n4,1\n');
  const ok = await cli('data', 'profile', join(dir, 'grades.csv'), '--out', join(dir, 'out'), '--label-column', 'grade', '--problem-type', 'multiclass', '--num-classes', '3', '--json');
  expect(ok.exitCode).toBe(0);
  const profile = JSON.parse(readFileSync(join(dir, 'out', 'profile.json'), 'utf8'));
  expect(profile.problemType).toBe('multiclass');
  expect(profile.label.values.map((value: { count: number }) => value.count)).toEqual([1, 2, 1]);

  const tooFew = await cli('data', 'profile', join(dir, 'grades.csv'), '--out', join(dir, 'out2'), '--label-column', 'grade', '--problem-type', 'multiclass', '--num-classes', '2');
  expect(tooFew.exitCode).toBe(1);
  expect(tooFew.stderr).toBe(
    "cdk-mlops: data profile failed: label column 'grade' must hold whole numbers 0 to 1 for --num-classes 2; found other values such as ['2']\n",
  );
});

test.each([
  [['--problem-type', 'multiclass'], '--problem-type multiclass needs --num-classes K (the labels are 0 to K-1)'],
  [['--num-classes', '3'], '--num-classes is only for --problem-type multiclass'],
  [['--problem-type', 'multiclass', '--num-classes', '1'], 'expected a whole number of classes, 2 or more'],
  [['--problem-type', 'ordinal'], "argument 'ordinal' is invalid. Allowed choices are binary, multiclass, regression."],
])('%j is a usage error', async (args, message) => {
  const out = mkdtempSync(join(tmpdir(), 'cdk-mlops-profile-usage-'));
  const { exitCode, stderr } = await cli('data', 'profile', 'ml/data/churn-sample.csv', '--out', out, ...args);
  expect(exitCode).toBe(2);
  expect(stderr).toContain(message);
  expect(existsSync(join(out, 'profile.json'))).toBe(false);
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
