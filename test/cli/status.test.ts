import { DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import {
  DescribeProcessingJobCommand,
  ListMonitoringExecutionsCommand,
  ListPipelineExecutionsCommand,
  ListPipelineExecutionStepsCommand,
} from '@aws-sdk/client-sagemaker';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import 'aws-sdk-client-mock-jest';
import {
  awsError,
  cloudwatchMock,
  hoursAgo,
  mockEndpoint,
  mockPackages,
  PIPELINE,
  PIPELINE_ARN,
  resetMocks,
  runRecorded,
  s3Mock,
  sagemakerMock,
} from './cli-fixtures';

const RUNNING = `${PIPELINE_ARN}/execution/run2`;
const FAILED = `${PIPELINE_ARN}/execution/run1`;

beforeEach(() => {
  resetMocks();
  mockEndpoint(2);
  mockPackages([
    { version: 1, approval: 'Approved', auc: '0.79', hoursAgo: 72 },
    { version: 2, approval: 'Approved', auc: '0.82', hoursAgo: 26 },
  ]);
  sagemakerMock.on(ListPipelineExecutionsCommand).resolves({
    PipelineExecutionSummaries: [
      { PipelineExecutionArn: RUNNING, PipelineExecutionDisplayName: 'schedule-20260315T110000Z', PipelineExecutionStatus: 'Executing', StartTime: hoursAgo(1) },
      {
        PipelineExecutionArn: FAILED,
        PipelineExecutionStatus: 'Failed',
        PipelineExecutionFailureReason: 'Step Evaluate failed',
        StartTime: hoursAgo(30),
      },
    ],
  });
  sagemakerMock.on(ListPipelineExecutionStepsCommand, { PipelineExecutionArn: RUNNING }).resolves({
    PipelineExecutionSteps: [
      { StepName: 'Process', StepStatus: 'Succeeded', StartTime: hoursAgo(1), EndTime: hoursAgo(0.75) },
      { StepName: 'Train', StepStatus: 'Executing', StartTime: hoursAgo(0.75) },
    ],
  });
  sagemakerMock
    .on(ListPipelineExecutionStepsCommand, { PipelineExecutionArn: FAILED })
    .rejects(awsError('AccessDeniedException', 'not allowed: sagemaker:ListPipelineExecutionSteps'));
  cloudwatchMock.on(DescribeAlarmsCommand).resolves({
    MetricAlarms: [{ AlarmName: 'churn-dev-Monitoring-ModelLatency-1A2B', StateReason: 'Threshold Crossed: 3 datapoints', StateUpdatedTimestamp: hoursAgo(2) }],
    CompositeAlarms: [],
  });
});

test('shows executions with their steps, the models, the served version and the firing alarms', async () => {
  // WHEN
  const run = await runRecorded(['status']);
  // THEN
  expect(run).toMatchObject({ exitCode: 0, stderr: '' });
  expect(run.stdout).toBe(
    [
      'Stage dev of churn in us-east-1',
      '',
      `Pipeline ${PIPELINE}`,
      '  schedule-20260315T110000Z  Executing  started 1h ago',
      '    STEP     STATUS     STARTED  ENDED    FAILURE',
      '    Process  Succeeded  1h ago   45m ago  -',
      '    Train    Executing  45m ago  -        -',
      '  run1  Failed: Step Evaluate failed  started 1d ago',
      '    note: step states unavailable (ListPipelineExecutionSteps: AccessDeniedException: not allowed: sagemaker:ListPipelineExecutionSteps)',
      '',
      'Models in churn-dev-models (newest 5)',
      '  VERSION  APPROVAL  REGISTRATION  AUC   AGE  SERVING  NOTE',
      '  2        Approved  Completed     0.82  1d   yes      -',
      '  1        Approved  Completed     0.79  3d            -',
      '',
      'Endpoint churn-dev-endpoint',
      '  InService, serving version 2 (endpoint config churn-dev-endpoint-v2-abcd1234)',
      '',
      'Alarms in ALARM (names starting churn-dev-)',
      '  ALARM                                   SINCE   REASON',
      '  churn-dev-Monitoring-ModelLatency-1A2B  2h ago  Threshold Crossed: 3 datapoints',
      '',
    ].join('\n'),
  );
  expect(cloudwatchMock).toHaveReceivedCommandWith(DescribeAlarmsCommand, {
    StateValue: 'ALARM',
    AlarmNamePrefix: 'churn-dev-',
    AlarmTypes: ['MetricAlarm', 'CompositeAlarm'],
  });
  expect(sagemakerMock).toHaveReceivedCommandWith(ListPipelineExecutionsCommand, { PipelineName: PIPELINE, SortOrder: 'Descending', MaxResults: 3 });
});

test('--json prints a stable document', async () => {
  // WHEN
  const run = await runRecorded(['status', '--json']);
  // THEN
  const report = JSON.parse(run.stdout);
  expect(Object.keys(report)).toEqual(['project', 'stage', 'region', 'pipeline', 'models', 'endpoint', 'alarms', 'batch', 'monitoring']);
  expect(report.batch).toBeNull();
  // dev serves serverless: nothing is captured, so nothing is monitored.
  expect(report.monitoring).toBeNull();
  expect(sagemakerMock).not.toHaveReceivedCommand(ListMonitoringExecutionsCommand);
  expect(Object.keys(report.pipeline)).toEqual(['name', 'exists', 'executions']);
  expect(report.pipeline.executions[0]).toEqual({
    arn: RUNNING,
    name: 'schedule-20260315T110000Z',
    status: 'Executing',
    startedAt: '2026-03-15T11:00:00.000Z',
    failureReason: null,
    steps: [
      { name: 'Process', status: 'Succeeded', startedAt: '2026-03-15T11:00:00.000Z', endedAt: '2026-03-15T11:15:00.000Z', failureReason: null },
      { name: 'Train', status: 'Executing', startedAt: '2026-03-15T11:15:00.000Z', endedAt: null, failureReason: null },
    ],
    stepsNote: null,
  });
  expect(report.pipeline.executions[1]).toMatchObject({ failureReason: 'Step Evaluate failed', steps: null, stepsNote: expect.stringMatching(/^step states unavailable/) });
  expect(Object.keys(report.models)).toEqual(['group', 'metricName', 'servedVersion', 'packages']);
  expect(report.endpoint).toEqual({
    name: 'churn-dev-endpoint',
    exists: true,
    status: 'InService',
    failureReason: null,
    endpointConfigName: 'churn-dev-endpoint-v2-abcd1234',
    servedVersion: 2,
    servedPackageArn: expect.stringMatching(/model-package\/churn-dev-models\/2$/),
  });
  expect(report.alarms).toEqual({
    namePrefix: 'churn-dev-',
    firing: [{ name: 'churn-dev-Monitoring-ModelLatency-1A2B', reason: 'Threshold Crossed: 3 datapoints', since: '2026-03-15T10:00:00.000Z' }],
  });
});

test('a stage with nothing deployed yet reads as such, with exit 0', async () => {
  // GIVEN
  sagemakerMock.on(ListPipelineExecutionsCommand).rejects(awsError('ValidationException', `Could not find pipeline with PipelineName ${PIPELINE}.`));
  mockEndpoint(undefined);
  mockPackages([]);
  cloudwatchMock.on(DescribeAlarmsCommand).resolves({ MetricAlarms: [], CompositeAlarms: [] });
  // WHEN
  const run = await runRecorded(['status']);
  // THEN
  expect(run.exitCode).toBe(0);
  expect(run.stdout).toContain(`Pipeline ${PIPELINE}\n  not found: deploy the stage first\n`);
  expect(run.stdout).toContain('no model package registered yet');
  expect(run.stdout).toContain('Endpoint churn-dev-endpoint\n  not deployed: the deployer creates it when a version is approved\n');
  expect(run.stdout).toContain('none firing');
  expect(JSON.parse((await runRecorded(['status', '--json'])).stdout)).toMatchObject({
    pipeline: { exists: false, executions: [] },
    endpoint: { exists: false, servedVersion: null },
  });
});

test('an endpoint config without the deployer tags serves an unknown version', async () => {
  // GIVEN
  mockEndpoint(2, false);
  // WHEN
  const run = await runRecorded(['status']);
  // THEN
  expect(run.stdout).toContain("InService, serving a config without the deployer's version tags");
  expect(run.stdout).not.toMatch(/ yes /);
});

test('an execution without steps yet says so', async () => {
  // GIVEN
  sagemakerMock.on(ListPipelineExecutionStepsCommand, { PipelineExecutionArn: RUNNING }).resolves({ PipelineExecutionSteps: [] });
  // WHEN
  const run = await runRecorded(['status']);
  // THEN
  expect(run.stdout).toContain('  schedule-20260315T110000Z  Executing  started 1h ago\n    no step has started yet\n');
});

// ListMonitoringExecutions is answered by the SDK mock: moto 5.2.1 lacks it.
describe('Model Monitor runs', () => {
  const NAMES = ['--pipeline-name', PIPELINE, '--model-package-group', 'churn-dev-models', '--endpoint-name', 'churn-dev-endpoint', '--region', 'us-east-1'];
  const jobArn = (name: string) => `arn:aws:sagemaker:us-east-1:123456789012:processing-job/${name}`;
  const body = (value: unknown) => ({ transformToString: async () => JSON.stringify(value) });

  function givenRuns() {
    sagemakerMock.on(ListMonitoringExecutionsCommand, { MonitoringTypeEquals: 'DataQuality' }).resolves({
      MonitoringExecutionSummaries: [
        {
          MonitoringScheduleName: 'churn-dev-data-quality',
          ScheduledTime: hoursAgo(2),
          CreationTime: hoursAgo(2),
          LastModifiedTime: hoursAgo(1),
          MonitoringExecutionStatus: 'CompletedWithViolations',
          ProcessingJobArn: jobArn('model-monitoring-dq-0001'),
          MonitoringType: 'DataQuality',
        },
      ],
    });
    sagemakerMock.on(ListMonitoringExecutionsCommand, { MonitoringTypeEquals: 'ModelQuality' }).resolves({
      MonitoringExecutionSummaries: [
        {
          MonitoringScheduleName: 'churn-dev-model-quality',
          ScheduledTime: hoursAgo(5),
          CreationTime: hoursAgo(5),
          LastModifiedTime: hoursAgo(4),
          MonitoringExecutionStatus: 'Completed',
          ProcessingJobArn: jobArn('model-monitoring-mq-0001'),
          MonitoringType: 'ModelQuality',
        },
      ],
    });
    for (const [job, uri] of [
      ['model-monitoring-dq-0001', 's3://data/monitoring/churn-dev-endpoint/churn-dev-data-quality/2026/03/15/10'],
      ['model-monitoring-mq-0001', 's3://data/monitoring/model-quality/churn-dev-endpoint/run-1/'],
    ]) {
      sagemakerMock.on(DescribeProcessingJobCommand, { ProcessingJobName: job }).resolves({
        ProcessingJobName: job,
        ProcessingOutputConfig: { Outputs: [{ OutputName: 'monitoring_output', S3Output: { S3Uri: uri, LocalPath: '/opt/ml/processing/output', S3UploadMode: 'EndOfJob' } }] },
      } as never);
    }
    s3Mock
      .on(GetObjectCommand, { Bucket: 'data', Key: 'monitoring/churn-dev-endpoint/churn-dev-data-quality/2026/03/15/10/constraint_violations.json' })
      .resolves({ Body: body({ violations: [{ feature_name: 'tenure', constraint_check_type: 'baseline_drift_check', description: 'drift' }, { feature_name: 'charges', constraint_check_type: 'data_type_check', description: 'type' }] }) } as never);
    s3Mock
      .on(GetObjectCommand, { Bucket: 'data', Key: 'monitoring/model-quality/churn-dev-endpoint/run-1/constraint_violations.json' })
      .rejects(Object.assign(new Error('The specified key does not exist.'), { name: 'NoSuchKey' }));
    s3Mock
      .on(GetObjectCommand, { Bucket: 'data', Key: 'monitoring/model-quality/churn-dev-endpoint/run-1/statistics.json' })
      .resolves({ Body: body({ version: 0.0, binary_classification_metrics: { auc: { value: 0.71234, standard_deviation: 0.004 } } }) } as never);
  }

  test('shows the newest data-quality and model-quality runs: status, time, violations and the watched metric', async () => {
    // GIVEN
    givenRuns();
    // WHEN
    const run = await runRecorded(['status', ...NAMES]);
    // THEN
    expect(run.exitCode).toBe(0);
    expect(run.stdout).toContain(
      [
        'Model Monitor on churn-dev-endpoint (newest runs)',
        '  MONITOR        SCHEDULE                 LAST RUN                 SCHEDULED  VIOLATIONS  METRIC      NOTE',
        '  data quality   churn-dev-data-quality   CompletedWithViolations  2h ago     2           -           -',
        '  model quality  churn-dev-model-quality  Completed                5h ago     -           auc 0.7123  -',
      ].join('\n'),
    );
    expect(sagemakerMock).toHaveReceivedCommandWith(ListMonitoringExecutionsCommand, {
      EndpointName: 'churn-dev-endpoint',
      MonitoringTypeEquals: 'ModelQuality',
      SortBy: 'ScheduledTime',
      SortOrder: 'Descending',
      MaxResults: 1,
    });
    const report = JSON.parse((await runRecorded(['status', ...NAMES, '--json'])).stdout);
    expect(report.monitoring).toEqual({
      dataQuality: {
        scheduleName: 'churn-dev-data-quality',
        status: 'CompletedWithViolations',
        scheduledAt: '2026-03-15T10:00:00.000Z',
        failureReason: null,
        violations: 2,
        metric: null,
        note: null,
      },
      modelQuality: {
        scheduleName: 'churn-dev-model-quality',
        status: 'Completed',
        scheduledAt: '2026-03-15T07:00:00.000Z',
        failureReason: null,
        violations: null,
        metric: { name: 'auc', value: 0.71234 },
        note: null,
      },
      note: null,
    });
  });

  test('a schedule that has not run, a failed run and an unreadable report are shown as such', async () => {
    // GIVEN
    sagemakerMock.on(ListMonitoringExecutionsCommand, { MonitoringTypeEquals: 'DataQuality' }).resolves({
      MonitoringExecutionSummaries: [
        {
          MonitoringScheduleName: 'churn-dev-data-quality',
          ScheduledTime: hoursAgo(1),
          CreationTime: hoursAgo(1),
          LastModifiedTime: hoursAgo(1),
          MonitoringExecutionStatus: 'Completed',
          ProcessingJobArn: jobArn('model-monitoring-dq-0002'),
        },
      ],
    });
    sagemakerMock.on(DescribeProcessingJobCommand).rejects(awsError('AccessDeniedException', 'not allowed: sagemaker:DescribeProcessingJob'));
    sagemakerMock.on(ListMonitoringExecutionsCommand, { MonitoringTypeEquals: 'ModelQuality' }).resolves({
      MonitoringExecutionSummaries: [
        {
          MonitoringScheduleName: 'churn-dev-model-quality',
          ScheduledTime: hoursAgo(3),
          CreationTime: hoursAgo(3),
          LastModifiedTime: hoursAgo(3),
          MonitoringExecutionStatus: 'Failed',
          FailureReason: 'No ground truth was merged with the captured data',
        },
      ],
    });
    // WHEN
    const report = JSON.parse((await runRecorded(['status', ...NAMES, '--json'])).stdout);
    // THEN
    expect(report.monitoring.dataQuality).toMatchObject({ status: 'Completed', violations: null, note: 'reports unavailable (AccessDeniedException: not allowed: sagemaker:DescribeProcessingJob)' });
    expect(report.monitoring.modelQuality).toMatchObject({ status: 'Failed', failureReason: 'No ground truth was merged with the captured data', metric: null });

    // GIVEN no run at all
    sagemakerMock.on(ListMonitoringExecutionsCommand).resolves({ MonitoringExecutionSummaries: [] });
    // WHEN
    const none = await runRecorded(['status', ...NAMES]);
    // THEN
    expect(none.stdout).toContain('  data quality   -         no run yet');
    expect(none.stdout).toContain('  model quality  -         no run yet');
  });

  test('runs that cannot be listed are a note, not a failed status', async () => {
    // GIVEN
    sagemakerMock.on(ListMonitoringExecutionsCommand).rejects(awsError('AccessDeniedException', 'not allowed: sagemaker:ListMonitoringExecutions'));
    // WHEN
    const run = await runRecorded(['status', ...NAMES]);
    // THEN
    expect(run.exitCode).toBe(0);
    expect(run.stdout).toContain('  note: monitoring runs unavailable (ListMonitoringExecutions: AccessDeniedException: not allowed: sagemaker:ListMonitoringExecutions)');
  });
});
