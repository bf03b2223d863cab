import { GetObjectCommand } from '@aws-sdk/client-s3';
import { DescribeModelPackageCommand, UpdateModelPackageCommand } from '@aws-sdk/client-sagemaker';
import 'aws-sdk-client-mock-jest';
import { GROUP, mockEndpoint, mockPackages, packageArn, resetMocks, runRecorded, s3Mock, sagemakerMock } from './cli-fixtures';

beforeEach(() => {
  resetMocks();
  sagemakerMock.on(UpdateModelPackageCommand).resolves({});
  mockEndpoint(2);
  mockPackages([
    { version: 1, approval: 'Approved', auc: '0.79', hoursAgo: 72 },
    { version: 2, approval: 'Approved', auc: '0.82', hoursAgo: 26, note: 'beats v1' },
    { version: 3, approval: 'PendingManualApproval', auc: '0.84', hoursAgo: 0.5 },
  ]);
});

describe('models list', () => {
  test('prints a table of the versions, newest first, with the key metric, age and the served version', async () => {
    // WHEN
    const run = await runRecorded(['models', 'list']);
    // THEN
    expect(run).toMatchObject({ exitCode: 0, stderr: '' });
    expect(run.stdout).toBe(
      [
        'VERSION  APPROVAL               REGISTRATION  AUC   AGE  SERVING  NOTE',
        '3        PendingManualApproval  Completed     0.84  30m           -',
        '2        Approved               Completed     0.82  1d   yes      beats v1',
        '1        Approved               Completed     0.79  3d            -',
        '',
      ].join('\n'),
    );
  });

  test('--json prints a stable document', async () => {
    // WHEN
    const run = await runRecorded(['models', 'list', '--json']);
    // THEN
    const list = JSON.parse(run.stdout);
    expect(Object.keys(list)).toEqual(['group', 'metricName', 'servedVersion', 'packages']);
    expect(list).toMatchObject({ group: GROUP, metricName: 'auc', servedVersion: 2 });
    expect(list.packages).toHaveLength(3);
    expect(list.packages[1]).toEqual({
      version: 2,
      arn: packageArn(2),
      approvalStatus: 'Approved',
      packageStatus: 'Completed',
      createdAt: '2026-03-14T10:00:00.000Z',
      metric: { name: 'auc', value: '0.82' },
      approvalDescription: 'beats v1',
      serving: true,
    });
  });

  test("reads the key metric from the section of the report's problem type: rmse from regression_metrics", async () => {
    // GIVEN version 3 is a regression model, whose report has regression_metrics
    const report = JSON.stringify({ regression_metrics: { rmse: { value: 4.21876, standard_deviation: 'NaN' } } });
    s3Mock.on(GetObjectCommand, { Bucket: 'artifacts', Key: 'v3/evaluation.json' }).resolves({ Body: { transformToString: async () => report } } as never);
    // WHEN
    const run = await runRecorded(['models', 'list', '--metric-name', 'rmse', '--json']);
    // THEN
    const list = JSON.parse(run.stdout);
    expect(list.metricName).toBe('rmse');
    expect(list.packages.map((model: { version: number; metric: unknown }) => [model.version, model.metric])).toEqual([
      [3, { name: 'rmse', value: '4.2188' }],
      [2, { name: 'rmse', value: null }],
      [1, { name: 'rmse', value: null }],
    ]);
  });

  test('--limit keeps the newest versions only', async () => {
    // WHEN
    const run = await runRecorded(['models', 'list', '--limit', '1', '--json']);
    // THEN
    expect(JSON.parse(run.stdout).packages.map((model: { version: number }) => model.version)).toEqual([3]);
  });

  test('says so when the group has no versions, and serves nothing without an endpoint', async () => {
    // GIVEN
    mockPackages([]);
    mockEndpoint(undefined);
    // WHEN
    const run = await runRecorded(['models', 'list']);
    // THEN
    expect(run).toMatchObject({ exitCode: 0, stdout: `no model package in ${GROUP} yet\n` });
  });

  test('fails when --limit is not a count, with exit 2', async () => {
    // WHEN
    const run = await runRecorded(['models', 'list', '--limit', '0']);
    // THEN
    expect(run.exitCode).toBe(2);
    expect(run.stderr).toMatch(/option '--limit <count>' argument '0' is invalid. expected a whole number from 1 to 1000/);
  });
});

describe('models show', () => {
  test('prints the details, metadata, metrics reports and containers of one version', async () => {
    // WHEN
    const run = await runRecorded(['models', 'show', '2']);
    // THEN
    expect(run.exitCode).toBe(0);
    expect(run.stdout).toMatch(/^approval note  beats v1$/m);
    expect(run.stdout).toMatch(/^auc            0\.82$/m);
    expect(run.stdout).toMatch(/^serving        yes$/m);
    expect(run.stdout).toMatch(/^created        2026-03-14T10:00:00\.000Z \(1d ago\)$/m);
    expect(run.stdout).toMatch(/^ {2}ModelQuality\.Statistics {2}s3:\/\/artifacts\/v2\/evaluation\.json$/m);
    expect(run.stdout).toMatch(/^ {2}xgboost:1\.7-1 {2}s3:\/\/artifacts\/v2\/model\.tar\.gz$/m);
  });

  test('--json prints the details document', async () => {
    // WHEN
    const run = await runRecorded(['models', 'show', '3', '--json']);
    // THEN
    const details = JSON.parse(run.stdout);
    expect(Object.keys(details).sort()).toEqual(
      [
        'version', 'arn', 'approvalStatus', 'packageStatus', 'createdAt', 'metric', 'approvalDescription', 'serving',
        'description', 'lastModifiedAt', 'customerMetadata', 'metricsReports', 'containers', 'review', 'modelCard',
      ].sort(),
    );
    expect(details).toMatchObject({
      version: 3,
      serving: false,
      // Registered before the review gate: no review, no card.
      review: null,
      modelCard: null,
      customerMetadata: { auc: '0.84' },
      metricsReports: [{ report: 'ModelQuality.Statistics', s3Uri: 's3://artifacts/v3/evaluation.json' }],
      containers: [{ image: 'xgboost:1.7-1', modelDataUrl: 's3://artifacts/v3/model.tar.gz' }],
    });
  });

  test("prints the review the pipeline recorded, each check from its review.json, and the package's model card", async () => {
    // GIVEN version 3 as the pipeline registers it: ReviewSummary and ReviewReportUrl metadata, and the gate's card
    const reportUrl = 's3://artifacts/review/exec3/review.json';
    s3Mock.on(GetObjectCommand, { Bucket: 'artifacts', Key: 'review/exec3/review.json' }).resolves({
      Body: {
        transformToString: async () =>
          JSON.stringify({
            passed: true,
            checks: [
              { check: 'auc >= 0.75', passed: true, detail: 'auc 0.84 >= 0.75' },
              { check: 'champion auc (margin 0.01)', passed: true, detail: "auc 0.84 is within 0.01 of champion version 2's 0.82 or better" },
            ],
          }),
      },
    } as never);
    sagemakerMock.on(DescribeModelPackageCommand, { ModelPackageName: packageArn(3) }).resolves({
      ModelPackageGroupName: GROUP,
      ModelPackageVersion: 3,
      ModelPackageArn: packageArn(3),
      ModelApprovalStatus: 'PendingManualApproval',
      ModelPackageStatus: 'Completed',
      CustomerMetadataProperties: { ReviewSummary: 'passed: auc 0.84 at least 0.75', ReviewReportUrl: reportUrl },
      ModelCard: { ModelCardStatus: 'Draft', ModelCardContent: JSON.stringify({ intended_uses: { intended_uses: 'Retention offers only.', risk_rating: 'Medium' } }) },
    });
    // WHEN
    const run = await runRecorded(['models', 'show', '3', '--json']);
    // THEN
    expect(JSON.parse(run.stdout)).toMatchObject({
      review: {
        summary: 'passed: auc 0.84 at least 0.75',
        reportUrl,
        checks: [
          { passed: true, detail: 'auc 0.84 >= 0.75' },
          { passed: true, detail: "auc 0.84 is within 0.01 of champion version 2's 0.82 or better" },
        ],
      },
      modelCard: { status: 'Draft', intendedUse: 'Retention offers only.', riskRating: 'Medium', url: 's3://artifacts/review/exec3/model-card.json' },
    });
    const text = await runRecorded(['models', 'show', '3']);
    expect(text.stdout).toMatch(/^ {2}ok +auc 0\.84 >= 0\.75$/m);
    expect(text.stdout).toMatch(/^ {2}risk rating +Medium$/m);
  });

  test('fails when the version does not exist, naming the versions there are, with exit 4', async () => {
    // WHEN
    const run = await runRecorded(['models', 'show', '9']);
    // THEN
    expect(run).toMatchObject({ exitCode: 4, stdout: '' });
    expect(run.stderr).toBe(`cdk-mlops: version 9 is not in model package group ${GROUP}; its versions are 3, 2, 1\n`);
  });
});

describe('approve and reject', () => {
  test('approve sets Approved with the note as the approval description', async () => {
    // WHEN
    const run = await runRecorded(['approve', '3', '--note', 'auc 0.84 on the March holdout']);
    // THEN
    expect(run.exitCode).toBe(0);
    expect(sagemakerMock).toHaveReceivedCommandWith(UpdateModelPackageCommand, {
      ModelPackageArn: packageArn(3),
      ModelApprovalStatus: 'Approved',
      ApprovalDescription: 'auc 0.84 on the March holdout',
    });
    expect(run.stdout).toBe(
      'version 3: PendingManualApproval -> Approved ("auc 0.84 on the March holdout"); ' +
        'the deployer keeps churn-dev-endpoint on the newest approved version\n',
    );
  });

  test('reject without a note records that the CLI decided, and --json prints the change', async () => {
    // WHEN
    const run = await runRecorded(['reject', '2', '--json']);
    // THEN
    expect(sagemakerMock).toHaveReceivedCommandWith(UpdateModelPackageCommand, {
      ModelPackageArn: packageArn(2),
      ModelApprovalStatus: 'Rejected',
      ApprovalDescription: 'Rejected with the cdk-mlops CLI',
    });
    expect(JSON.parse(run.stdout)).toEqual({
      version: 2,
      arn: packageArn(2),
      previousStatus: 'Approved',
      status: 'Rejected',
      note: 'Rejected with the cdk-mlops CLI',
      changed: true,
    });
  });

  test('approving an Approved version changes nothing and succeeds (exit 0)', async () => {
    // WHEN
    const run = await runRecorded(['approve', '2', '--note', 'again']);
    // THEN
    expect(run).toMatchObject({
      exitCode: 0,
      stdout: 'version 2 is already Approved; nothing changed and the deployer is not notified again\n',
    });
    expect(sagemakerMock).not.toHaveReceivedCommand(UpdateModelPackageCommand);
  });

  test('fails when the version does not exist, with exit 4 and nothing changed', async () => {
    // WHEN
    const run = await runRecorded(['reject', '7']);
    // THEN
    expect(run.exitCode).toBe(4);
    expect(run.stderr).toMatch(/version 7 is not in model package group churn-dev-models; its versions are 3, 2, 1/);
    expect(sagemakerMock).not.toHaveReceivedCommand(UpdateModelPackageCommand);
  });

  test('fails when the group has no versions yet, with exit 4', async () => {
    // GIVEN
    mockPackages([]);
    // WHEN
    const run = await runRecorded(['approve', '1']);
    // THEN
    expect(run.exitCode).toBe(4);
    expect(run.stderr).toMatch(/model package group churn-dev-models has no versions: deploy the stage/);
  });

  test('fails when the package did not finish registering, with exit 4', async () => {
    // GIVEN
    mockPackages([{ version: 4, approval: 'PendingManualApproval', registration: 'Failed' }]);
    // WHEN
    const run = await runRecorded(['approve', '4']);
    // THEN
    expect(run.exitCode).toBe(4);
    expect(run.stderr).toMatch(/version 4 cannot be approved: its registration is Failed, not Completed/);
    expect(sagemakerMock).not.toHaveReceivedCommand(UpdateModelPackageCommand);
  });

  test.each([['x'], ['0'], ['1.5'], ['-3']])('fails when the version is %p, with exit 2', async (version) => {
    // WHEN
    const run = await runRecorded(['approve', '--', version]);
    // THEN
    expect(run.exitCode).toBe(2);
    expect(run.stderr).toMatch(/expected a model package version: a whole number from 1/);
  });

  test('fails when the note is longer than SageMaker keeps, with exit 2', async () => {
    // WHEN
    const run = await runRecorded(['approve', '3', '--note', 'x'.repeat(1025)]);
    // THEN
    expect(run.exitCode).toBe(2);
    expect(run.stderr).toMatch(/--note is 1025 characters long; SageMaker keeps at most 1024/);
  });
});
