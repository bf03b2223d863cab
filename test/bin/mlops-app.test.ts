import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = join(__dirname, '..', '..');

/** Runs the CDK app the way `cdk synth -c KEY=VALUE` does: context through CDK_CONTEXT_JSON. */
function runApp(context: Record<string, string>, outdir: string) {
  return spawnSync(process.execPath, ['-r', 'ts-node/register/transpile-only', 'bin/mlops-app.ts'], {
    cwd: root,
    encoding: 'utf8',
    env: { ...process.env, CDK_CONTEXT_JSON: JSON.stringify(context), CDK_OUTDIR: outdir },
  });
}

describe('the CDK app entry point', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cdk-mlops-app-'));

  test('synthesizes the stage of a config file given with -c config=FILE', () => {
    // GIVEN
    const file = join(dir, 'sandbox.json');
    writeFileSync(file, JSON.stringify({ project: 'fraud', stage: 'sandbox', removalPolicy: 'destroy' }));
    // WHEN
    const result = runApp({ config: file }, join(dir, 'out-ok'));
    // THEN
    expect(result.stderr).not.toMatch(/Error/);
    expect(result.status).toBe(0);
    expect(existsSync(join(dir, 'out-ok', 'fraud-sandbox.template.json'))).toBe(true);
  });

  test('fails when the config is bad, printing every problem and no stack trace', () => {
    // GIVEN
    const file = join(dir, 'bad.json');
    writeFileSync(file, JSON.stringify({ project: 'churn', stage: 'dev', logRetentionDays: 2, endpoint: { instanceCount: 0 } }));
    // WHEN
    const result = runApp({ config: file }, join(dir, 'out-bad'));
    // THEN
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/^cdk-mlops: .*bad\.json is invalid \(2 problems\):/);
    expect(result.stderr).toMatch(/- logRetentionDays: received 2; expected a CloudWatch Logs retention/);
    expect(result.stderr).toMatch(/- endpoint\.instanceCount: received 0; expected at least 1/);
    expect(result.stderr).not.toMatch(/\s+at .*\.ts:\d+/);
  });

  test('fails when both -c stage and -c config are given, reading neither', () => {
    const file = join(dir, 'sandbox.json');
    writeFileSync(file, JSON.stringify({ project: 'fraud', stage: 'sandbox' }));
    const result = runApp({ stage: 'prod', config: file }, join(dir, 'out-both'));
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/^cdk-mlops: both stage "prod" and config file .*sandbox\.json were given: give one, not both\./);
    expect(existsSync(join(dir, 'out-both', 'fraud-sandbox.template.json')) || existsSync(join(dir, 'out-both', 'churn-prod.template.json'))).toBe(false);
  });

  test('fails when the config file is not JSON, naming line and column', () => {
    const file = join(dir, 'syntax.json');
    writeFileSync(file, '{\n  "project": "fraud"\n  "stage": "sandbox"\n}\n');
    const result = runApp({ config: file }, join(dir, 'out-syntax'));
    expect(result.status).toBe(1);
    expect(result.stderr).toBe(`cdk-mlops: ${file}:3:3: not valid JSON: expected a comma or } after the value of "project", found "stage"\n`);
  });

  test('fails when the stage is unknown, naming the known stages', () => {
    const result = runApp({ stage: 'qa' }, join(dir, 'out-unknown'));
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/unknown stage "qa".*Known stages: dev, prod, staging/);
  });
});
