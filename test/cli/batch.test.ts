import { DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import { DescribeTransformJobCommand, ListPipelineExecutionsCommand, ListTransformJobsCommand } from '@aws-sdk/client-sagemaker';
import 'aws-sdk-client-mock-jest';
import { transformJobName } from '../../lambda/batch-scorer/naming';
import { awsError, cloudwatchMock, hoursAgo, mockEndpoint, mockPackages, resetMocks, runRecorded, sagemakerMock } from './cli-fixtures';

// config/staging.json has batch.enabled: its scorer is churn-staging-batch.
const SCORER = 'churn-staging-batch';
const DONE = transformJobName(SCORER, '0123456789ab', 2);
const FAILED = transformJobName(SCORER, 'ba9876543210', 2);
const BUCKET = 's3://churn-staging-data';

beforeEach(() => {
  resetMocks();
  sagemakerMock.on(ListTransformJobsCommand).resolves({
    TransformJobSummaries: [
      { TransformJobName: FAILED, TransformJobArn: 'arn:failed', TransformJobStatus: 'Failed', CreationTime: hoursAgo(1), FailureReason: 'ClientError: See job logs' },
      { TransformJobName: 'churn-staging-batchy-0123456789ab-v1', TransformJobArn: 'arn:other', TransformJobStatus: 'Completed', CreationTime: hoursAgo(2) },
      { TransformJobName: DONE, TransformJobArn: 'arn:done', TransformJobStatus: 'Completed', CreationTime: hoursAgo(26) },
    ],
  });
  const described = (name: string, key: string, status: 'Completed' | 'Failed', created: Date, failureReason?: string) =>
    sagemakerMock.on(DescribeTransformJobCommand, { TransformJobName: name }).resolves({
      TransformJobName: name,
      TransformJobArn: `arn:${name}`,
      TransformJobStatus: status,
      ModelName: `${SCORER}-v2-aaaaaaaa`,
      FailureReason: failureReason,
      CreationTime: created,
      TransformEndTime: created,
      TransformInput: { DataSource: { S3DataSource: { S3DataType: 'S3Prefix', S3Uri: `${BUCKET}/batch/input/${key}` } } },
      TransformOutput: { S3OutputPath: `${BUCKET}/batch/output/${name}` },
      TransformResources: { InstanceType: 'ml.m5.large', InstanceCount: 1 },
    });
  described(FAILED, 'march.csv', 'Failed', hoursAgo(1), 'ClientError: See job logs');
  described(DONE, 'february.csv', 'Completed', hoursAgo(26));
});

describe('batch list', () => {
  test("lists the scorer's newest jobs with status, version, input, output and failure, and only its own", async () => {
    // WHEN
    const run = await runRecorded(['batch', 'list', '--stage', 'staging']);
    // THEN
    expect(run).toMatchObject({ exitCode: 0, stderr: '' });
    expect(run.stdout.split('\n')[0]).toMatch(/^JOB +STATUS +VERSION +CREATED +INPUT +OUTPUT +FAILURE$/);
    expect(run.stdout).toContain(`${FAILED}  Failed     2        1h ago   ${BUCKET}/batch/input/march.csv     ${BUCKET}/batch/output/${FAILED}/  ClientError: See job logs`);
    expect(run.stdout).toContain(`${DONE}  Completed  2        1d ago   ${BUCKET}/batch/input/february.csv  ${BUCKET}/batch/output/${DONE}/  -`);
    expect(run.stdout).not.toContain('batchy');
    expect(sagemakerMock).toHaveReceivedCommandWith(ListTransformJobsCommand, { NameContains: `${SCORER}-`, SortBy: 'CreationTime', SortOrder: 'Descending' });
  });

  test('--json prints the list; --limit caps it', async () => {
    const list = JSON.parse((await runRecorded(['batch', 'list', '--stage', 'staging', '--json', '--limit', '1'])).stdout);
    expect(list).toEqual({
      scorerName: SCORER,
      jobs: [
        {
          name: FAILED,
          status: 'Failed',
          packageVersion: 2,
          input: `${BUCKET}/batch/input/march.csv`,
          output: `${BUCKET}/batch/output/${FAILED}/`,
          createdAt: '2026-03-15T11:00:00.000Z',
          endedAt: '2026-03-15T11:00:00.000Z',
          failureReason: 'ClientError: See job logs',
        },
      ],
    });
  });

  test('--scorer-name lists another scorer, such as one of your own stack', async () => {
    sagemakerMock.on(ListTransformJobsCommand).resolves({ TransformJobSummaries: [] });
    const run = await runRecorded(['batch', 'list', '--scorer-name', 'fraud-batch', '--region', 'eu-west-1']);
    expect(run).toMatchObject({ exitCode: 0, stdout: 'no transform job of fraud-batch yet: put CSV files under the stage\'s batch/input/\n' });
  });

  test('fails with exit 2 and no AWS call for a stage without batch and no --scorer-name, or a bad name', async () => {
    const run = await runRecorded(['batch', 'list', '--stage', 'dev']);
    expect(run.exitCode).toBe(2);
    expect(run.stderr).toMatch(/batch list acts on the batch scorer's jobs, and stage dev has batch.enabled false: pass --scorer-name NAME/);
    expect(sagemakerMock.calls()).toHaveLength(0);
    const bad = await runRecorded(['batch', 'list', '--scorer-name', 'x'.repeat(39)]);
    expect(bad.exitCode).toBe(2);
    expect(bad.stderr).toMatch(/expected a batch scorer name: 1-38 letters/);
  });
});

describe('status of a stage with batch', () => {
  beforeEach(() => {
    mockEndpoint(2);
    mockPackages([{ version: 2, approval: 'Approved', auc: '0.82', hoursAgo: 26 }]);
    sagemakerMock.on(ListPipelineExecutionsCommand).resolves({ PipelineExecutionSummaries: [] });
    cloudwatchMock.on(DescribeAlarmsCommand).resolves({ MetricAlarms: [], CompositeAlarms: [] });
  });

  test('shows the batch jobs after the endpoint', async () => {
    const run = await runRecorded(['status', '--stage', 'staging']);
    expect(run.exitCode).toBe(0);
    expect(run.stdout).toMatch(new RegExp(`Endpoint churn-staging-endpoint\\n.*\\n\\nBatch jobs of ${SCORER} \\(newest 5\\)\\n  JOB +STATUS`));
    expect(run.stdout).toContain(`  ${FAILED}  Failed `);
    expect(JSON.parse((await runRecorded(['status', '--stage', 'staging', '--json'])).stdout).batch).toMatchObject({ scorerName: SCORER, jobs: [{ name: FAILED }, { name: DONE }] });
  });

  test('an AWS error reading the jobs fails the command like any other', async () => {
    sagemakerMock.on(ListTransformJobsCommand).rejects(awsError('AccessDeniedException', 'not allowed: sagemaker:ListTransformJobs'));
    const run = await runRecorded(['status', '--stage', 'staging']);
    expect(run.exitCode).toBe(3);
    expect(run.stderr).toMatch(/ListTransformJobs/);
  });
});
