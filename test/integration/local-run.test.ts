import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalRun, localRun, localRunWith, REPO_ROOT } from './local-run-cli';

// `cdk-mlops local run` as a user runs it, in this process: the dev stage synthesized, moto started
// and stopped by the command, the shipped sample trained on with local Python, the package served,
// the test split sent as traffic and checked against the registered baseline. Each run takes about
// 15 s on 2 cores (synth 6 s, pipeline 4 s, serving and monitoring 3 s).

jest.setTimeout(120_000);


describe('local run of the dev stage on the shipped sample', () => {
  let clean: LocalRun;
  beforeAll(async () => {
    clean = await localRun('--stage', 'dev');
  });

  test('trains, registers, deploys and serves the package the pipeline registered', () => {
    expect({ exitCode: clean.exitCode, status: clean.report?.status, stderrTail: clean.stderr.slice(-2000) }).toMatchObject({ exitCode: 0, status: 'Succeeded' });
    const { pipeline, modelPackage, endpoint } = clean.report;
    expect(pipeline?.status).toBe('Succeeded');
    expect(pipeline?.steps.map((step) => [step.name, step.status])).toEqual([
      ['DataProfile', 'Succeeded'],
      ['FeatureProcessing', 'Succeeded'],
      ['Train', 'Succeeded'],
      ['Evaluate', 'Succeeded'],
      ['DataQualityBaseline', 'Succeeded'],
      ['Review', 'Succeeded'],
      ['CheckReview', 'Succeeded'],
      ['RegisterModel', 'Succeeded'],
    ]);
    expect(pipeline?.notRun.map((step) => step.name)).toEqual(['ReviewFailed']);
    // The execution id is in every path the steps wrote, as Std:Join built them.
    const train = pipeline!.steps.find((step) => step.name === 'Train')!;
    expect(train.outputs.model).toMatch(new RegExp(`/models/${pipeline!.executionId}/pipelines-${pipeline!.executionId}-Train-[0-9a-f]+/output/model.tar.gz$`));
    expect(modelPackage).toMatchObject({ version: 1, approvalStatus: 'Approved' });
    // The review gate's dev check (auc >= 0.6) on the model's auc; no champion check in dev.
    const review = clean.report.review!;
    expect(review).toMatchObject({ passed: true, champion: null, checks: [{ check: 'auc >= 0.6', threshold: 0.6, passed: true }] });
    expect(review.checks[0].value).toBeGreaterThan(0.75);
    expect(review.modelCardS3Uri).toBe(review.reportS3Uri.replace(/review\.json$/, 'model-card.json'));
    expect(endpoint).toMatchObject({ name: 'churn-dev-endpoint', status: 'InService', servedPackageVersion: 1, deployerOutcome: 'created', modelDataUrl: train.outputs.model });
  });

  test('captures every request (dev captures 100 %) and finds no violation in clean traffic', () => {
    const { traffic, monitoring, retraining } = clean.report;
    // The test split of 2,000 rows at 70/15/15.
    expect(traffic).toMatchObject({ requests: 300, captured: 300, samplingPercent: 100, drifted: false });
    expect(monitoring).toMatchObject({ violations: 0, checks: [] });
    expect(retraining).toBeNull();
  });

  test('checks model quality on the capture merged with ground truth from the test labels; dev keeps no such schedule in AWS', () => {
    const { modelQuality, traffic } = clean.report;
    expect(modelQuality).toMatchObject({
      metric: 'auc',
      threshold: 0.6,
      comparison: 'LessThanThreshold',
      violated: false,
      mergedRecords: traffic!.captured,
      groundTruthRecords: traffic!.captured,
      scheduledInAws: false,
      groundTruthS3Uri: expect.stringMatching(/^s3:\/\/[^/]+\/ground-truth\/churn-dev-endpoint$/),
    });
    expect(modelQuality!.value).toBeGreaterThan(0.75);
    expect(clean.stderr).toMatch(/quality {4}auc 0\.\d+ on 300 captured records with ground truth \(alarm below 0\.6\): ok/);
    expect(clean.report.emulated.join('\n')).toMatch(/^model quality: ml\/local\/model_quality\.py stands in/m);
  });

  test('writes the data profile of the run and the package links it', () => {
    const { dataProfile, pipeline } = clean.report;
    expect(dataProfile?.s3Uri).toBe(pipeline!.steps.find((step) => step.name === 'DataProfile')!.outputs.profile);
    expect(dataProfile?.s3Uri).toMatch(new RegExp(`/profiles/${pipeline!.executionId}$`));
    expect(dataProfile?.warnings).toEqual([]);
  });

  test('prints only the JSON document on stdout, removes the work folder and names what it emulated', () => {
    expect(clean.stdout.trim().startsWith('{')).toBe(true);
    expect(clean.stderr).toContain('step       Train (Training) succeeded');
    expect(clean.report.workDir).toBeNull();
    expect(clean.report.emulated.join('\n')).toMatch(/serverless endpoints capture nothing in AWS/);
  });
});

test('--drift with tuning on: the Tune step picks the best of its jobs, and the drifted traffic reaches the governor', async () => {
  // dev with a small tuning run, from a config file of the user's own.
  const dir = mkdtempSync(join(tmpdir(), 'cdk-mlops-tuned-'));
  const dev = JSON.parse(readFileSync(join(REPO_ROOT, 'config', 'dev.json'), 'utf8'));
  const tuning = { enabled: true, strategy: 'Random', maxJobs: 2, maxParallelJobs: 2, ranges: { eta: { min: 0.1, max: 0.4 }, max_depth: { min: 3, max: 6 } } };
  writeFileSync(join(dir, 'dev-tuned.json'), JSON.stringify({ ...dev, $schema: undefined, training: { ...dev.training, tuning } }));
  const { exitCode, report } = await localRun('--config', join(dir, 'dev-tuned.json'), '--drift', '--keep');
  expect(exitCode).toBe(0);

  const steps = report.pipeline!.steps;
  expect(steps.map((step) => step.name)).toEqual(['DataProfile', 'FeatureProcessing', 'Tune', 'Evaluate', 'DataQualityBaseline', 'Review', 'CheckReview', 'RegisterModel']);
  const tune = steps.find((step) => step.name === 'Tune')!;
  expect(tune.outputs.bestTrainingJob).toMatch(new RegExp(`^${report.pipeline!.executionId}-Tune-00[12]-[0-9a-f]{8}$`));
  expect(Number(tune.outputs['tuned:eta'])).toBeGreaterThanOrEqual(0.1);
  expect(Number(tune.outputs['tuned:max_depth'])).toBeLessThanOrEqual(6);
  // The best job's model is the one evaluated, registered and served.
  expect(report.endpoint!.modelDataUrl).toMatch(new RegExp(`/models/${report.pipeline!.executionId}/${tune.outputs.bestTrainingJob}/output/model.tar.gz$`));
  expect(report.emulated.join('\n')).toMatch(/serverless endpoints capture nothing in AWS/);

  expect(report.traffic).toMatchObject({ requests: 300, drifted: true });
  const drifted = report.monitoring!.checks.filter((check) => check.check === 'baseline_drift_check').map((check) => check.feature);
  expect(drifted).toEqual(expect.arrayContaining(['tenure_months', 'monthly_charges']));
  expect(existsSync(report.monitoring!.reportPath)).toBe(true);
  // The execution this run started is seconds old; dev's cool-down is 60 minutes.
  expect(report.retraining).toMatchObject({ trigger: expect.stringMatching(/^drift:/), decision: 'skipped-cooldown', deliveredInAws: false });
  expect(report.workDir).not.toBeNull();
});

// The first step that reads the raw data is DataProfile (before FeatureProcessing): it refuses data
// without the label with the same message preprocessing.py gives.
test('data without the label column fails at the first step that reads it, with the script’s message, and nothing is registered', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'cdk-mlops-bad-data-'));
  const sample = readFileSync(join(REPO_ROOT, 'ml', 'data', 'churn-sample.csv'), 'utf8').split('\n');
  const withoutLabel = sample.map((line) => line.split(',').slice(0, -1).join(',')).join('\n');
  writeFileSync(join(dir, 'no-label.csv'), withoutLabel);
  const { exitCode, report } = await localRun('--stage', 'dev', '--data', join(dir, 'no-label.csv'));
  expect(exitCode).toBe(1);
  expect(report.status).toBe('Failed');
  expect(report.pipeline).toMatchObject({ status: 'Failed', failedStep: 'DataProfile' });
  expect(report.pipeline!.failureReason).toMatch(/^step "DataProfile" \(Processing\) failed: AlgorithmError: label column 'churn' not found; columns are \['tenure_months', /);
  expect(report.pipeline!.notRun.map((step) => step.name)).toEqual(expect.arrayContaining(['FeatureProcessing', 'Train', 'RegisterModel']));
  expect(report.modelPackage).toBeNull();
  expect(report.endpoint).toBeNull();
  expect(report.workDir).not.toBeNull();
});

describe('missing prerequisites: exit 3 with how to install them, before anything runs', () => {
  test('no moto_server on the PATH', async () => {
    // Debian's python3 (with the ml packages) stays reachable; moto_server (a pip console script) does not.
    const env = { ...process.env, PATH: '/usr/bin:/bin', CDK_MLOPS_PYTHON: '/usr/bin/python3' };
    const { exitCode, stdout, stderr } = await localRunWith(env, '--stage', 'dev');
    expect(exitCode).toBe(3);
    expect(stderr).toMatch(/cannot start moto_server \(spawn moto_server ENOENT\); install it with: pip install "moto\[server\]==5\.2\.1"/);
    expect(stdout).toBe('');
  });

  test('no Python with the ml packages', async () => {
    const { exitCode, stderr } = await localRunWith({ ...process.env, CDK_MLOPS_PYTHON: '/nonexistent/python3' }, '--stage', 'dev');
    expect(exitCode).toBe(3);
    expect(stderr).toMatch(/no Python 3 with numpy, pandas, sklearn, xgboost found \(\/nonexistent\/python3: spawnSync \/nonexistent\/python3 ENOENT\); install them/);
    expect(stderr).toContain('CDK_MLOPS_PYTHON');
  });
});

test('with batch on, the test split is scored as a batch input by the scorer code and the job run against the served model: one output row per input row', async () => {
  // dev with batch enabled, from a config file of the user's own.
  const dir = mkdtempSync(join(tmpdir(), 'cdk-mlops-batch-'));
  const dev = JSON.parse(readFileSync(join(REPO_ROOT, 'config', 'dev.json'), 'utf8'));
  writeFileSync(join(dir, 'dev-batch.json'), JSON.stringify({ ...dev, $schema: undefined, batch: { enabled: true } }));
  const { exitCode, report, stderr } = await localRun('--config', join(dir, 'dev-batch.json'));
  expect({ exitCode, stderrTail: stderr.slice(-2000) }).toMatchObject({ exitCode: 0 });
  expect(report.batch).toEqual({
    jobName: expect.stringMatching(/^churn-dev-batch-[0-9a-f]{12}-v1$/),
    inputRows: report.traffic!.requests,
    outputRows: report.traffic!.requests,
    outputUri: expect.stringMatching(new RegExp(`^s3://[^/]+/batch/output/${report.batch!.jobName}/$`)),
  });
  expect(stderr).toMatch(/batch {6}scorer: started job churn-dev-batch-[0-9a-f]{12}-v1 with version 1; the same event again: already-scored/);
  expect(stderr).toContain(`into ${report.batch!.outputUri}test.csv.out`);
  expect(report.emulated.join('\n')).toMatch(/^batch transform: moto records the transform job/m);
});

// CreateMonitoringSchedule and DescribeMonitoringSchedule are answered by the emulation layer
// (moto 5.2.1 lacks them); moto itself keeps the model-quality job definitions.
test('an instance stage checks model quality as the schedule the deployer created says, and a drop below the threshold reaches the governor as a model-quality trigger', async () => {
  // staging with its review bar above what the sample's model reaches, registered anyway by the
  // MetricThreshold parameter (which overrides the gate, not the alarm); no tuning or batch, for time.
  const dir = mkdtempSync(join(tmpdir(), 'cdk-mlops-quality-'));
  const staging = JSON.parse(readFileSync(join(REPO_ROOT, 'config', 'staging.json'), 'utf8'));
  const config = {
    ...staging,
    $schema: undefined,
    training: { ...staging.training, tuning: { enabled: false } },
    batch: { enabled: false },
    review: { ...staging.review, championMargin: undefined, checks: [{ metric: 'auc', threshold: 0.97 }] },
  };
  writeFileSync(join(dir, 'staging-strict.json'), JSON.stringify(config));
  const { exitCode, report, stderr } = await localRun('--config', join(dir, 'staging-strict.json'), '--approve', '--parameter', 'MetricThreshold=0.6');
  expect({ exitCode, stderrTail: stderr.slice(-2000) }).toMatchObject({ exitCode: 0 });

  expect(report.modelQuality).toMatchObject({
    metric: 'auc',
    threshold: 0.97,
    violated: true,
    scheduledInAws: true,
    source: expect.stringMatching(/^the schedule's job definition churn-staging-endpoint-mq-v1-[0-9a-f]{8}$/),
    groundTruthS3Uri: expect.stringMatching(/^s3:\/\/[^/]+\/ground-truth\/churn-staging-endpoint$/),
    reportS3Uri: expect.stringMatching(/\/monitoring\/model-quality\/churn-staging-endpoint\/local$/),
  });
  // staging captures 50 %: every captured request has its ground truth.
  expect(report.modelQuality!.mergedRecords).toBe(report.traffic!.captured);
  expect(report.modelQuality!.value).toBeLessThan(0.97);
  expect(report.retraining).toMatchObject({ trigger: expect.stringMatching(/^model-quality:/), decision: 'skipped-cooldown', deliveredInAws: true });
  expect(report.emulated.join('\n')).toMatch(/emulation layer .*CreateMonitoringSchedule/);
});
