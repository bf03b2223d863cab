import {
  CreateDataQualityJobDefinitionCommand,
  CreateModelQualityJobDefinitionCommand,
  CreateMonitoringScheduleCommand,
  DeleteModelQualityJobDefinitionCommand,
  DescribeModelPackageCommand,
  DescribeMonitoringScheduleCommand,
  ListDataQualityJobDefinitionsCommand,
  ListModelQualityJobDefinitionsCommand,
  ListTagsCommand,
  SageMakerClient,
  SageMakerServiceException,
  UpdateMonitoringScheduleCommand,
} from '@aws-sdk/client-sagemaker';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import type { DeployerSettings, InstanceVariantSettings, ModelQualitySettings, MonitoringSettings } from '../../lambda/deployer/environment';
import { DeploymentFailedError, MonitoringScheduleBusyError } from '../../lambda/deployer/errors';
import {
  deleteModelQualityJobDefinitions,
  ensureDataQualitySchedule,
  ensureModelQualitySchedule,
  listOwnedDataQualityJobDefinitions,
  listOwnedModelQualityJobDefinitions,
} from '../../lambda/deployer/monitoring';
import {
  dataQualityJobDefinitionName,
  dataQualityNamePrefix,
  modelQualityJobDefinitionName,
  modelQualityNamePrefix,
  TAG,
} from '../../lambda/deployer/naming';

const sagemaker = mockClient(SageMakerClient);
// mockClient stubs send() on the prototype, so this real client (which paginators require) is mocked too.
const client = new SageMakerClient({ region: 'us-east-1' });

const ENDPOINT = 'churn-prod';
const ACCOUNT_ARN = 'arn:aws:sagemaker:us-east-1:111122223333';
const SCHEDULE = 'churn-prod-data-quality';
const NAME_PATTERN = /^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$/;

const MONITORING: MonitoringSettings = {
  scheduleName: SCHEDULE,
  scheduleExpression: 'cron(0 * ? * * *)',
  imageUri: '156813124566.dkr.ecr.us-east-1.amazonaws.com/sagemaker-model-monitor-analyzer',
  roleArn: 'arn:aws:iam::111122223333:role/monitoring',
  outputS3Uri: 's3://data-bucket/monitoring/',
  instanceType: 'ml.m5.large',
};

const VARIANT: InstanceVariantSettings = {
  type: 'instance',
  instanceType: 'ml.m5.large',
  initialInstanceCount: 2,
  minCapacity: 2,
  maxCapacity: 6,
  targetInvocationsPerInstance: 100,
  dataCapture: { destinationS3Uri: 's3://data-bucket/capture/', samplingPercent: 20, kmsKeyId: 'alias/capture' },
  deployment: { strategy: 'all-at-once', waitIntervalSeconds: 300, maxExecutionTimeoutSeconds: 3600, rollbackAlarmNames: [] },
  vpc: { subnetIds: ['subnet-0a1', 'subnet-0b2'], securityGroupIds: ['sg-0c3'] },
  monitoring: MONITORING,
};

const SETTINGS: DeployerSettings = {
  endpointName: ENDPOINT,
  modelPackageGroupName: 'churn',
  executionRoleArn: 'arn:aws:iam::111122223333:role/model-execution',
  kmsKeyId: 'alias/endpoint-volume',
  variant: VARIANT,
};

const packageArn = (version: number) => `${ACCOUNT_ARN}:model-package/churn/${version}`;
const pkg = (version: number) => ({ arn: packageArn(version), version });
const jobDefinitionArn = (name: string) => `${ACCOUNT_ARN}:data-quality-job-definition/${name}`;

function awsError(name: string, message: string): SageMakerServiceException {
  return new SageMakerServiceException({ name, message, $fault: 'client', $metadata: { httpStatusCode: 400 } });
}

function givenBaseline(version: number, { statistics = true, constraints = true } = {}) {
  sagemaker.on(DescribeModelPackageCommand, { ModelPackageName: packageArn(version) }).resolves({
    ModelPackageArn: packageArn(version),
    ModelMetrics: {
      ModelDataQuality: {
        Statistics: statistics ? { ContentType: 'application/json', S3Uri: `s3://artifacts/baseline/v${version}/statistics.json` } : undefined,
        Constraints: constraints ? { ContentType: 'application/json', S3Uri: `s3://artifacts/baseline/v${version}/constraints.json` } : undefined,
      },
    },
  });
}

function givenNoSchedule() {
  sagemaker.on(DescribeMonitoringScheduleCommand).rejects(awsError('ResourceNotFound', `Monitoring schedule ${SCHEDULE} does not exist.`));
}

function givenSchedule(jobDefinitionName: string, { status = 'Scheduled', expression = MONITORING.scheduleExpression, failureReason = undefined as string | undefined } = {}) {
  sagemaker.on(DescribeMonitoringScheduleCommand).resolves({
    MonitoringScheduleArn: `${ACCOUNT_ARN}:monitoring-schedule/${SCHEDULE}`,
    MonitoringScheduleName: SCHEDULE,
    MonitoringScheduleStatus: status as never,
    FailureReason: failureReason,
    EndpointName: ENDPOINT,
    MonitoringScheduleConfig: {
      ScheduleConfig: { ScheduleExpression: expression },
      MonitoringJobDefinitionName: jobDefinitionName,
      MonitoringType: 'DataQuality',
    },
    CreationTime: new Date(),
    LastModifiedTime: new Date(),
  });
}

/** The job definition name ensureDataQualitySchedule gives a version under the given settings. */
async function jobDefinitionNameFor(version: number, settings = SETTINGS, variant = VARIANT): Promise<string> {
  givenNoSchedule();
  const result = await ensureDataQualitySchedule(client, settings, variant, MONITORING, pkg(version));
  sagemaker.resetHistory();
  if (result.change === 'skipped') throw new Error(result.reason);
  return result.jobDefinitionName;
}

function mutatingCalls(): string[] {
  return sagemaker
    .calls()
    .map((call) => (call.args[0] as object).constructor.name)
    .filter((name) => /^(Create|Update|Delete|Add)/.test(name));
}

function ensure(version: number, settings = SETTINGS, variant = VARIANT) {
  return ensureDataQualitySchedule(client, settings, variant, MONITORING, pkg(version));
}

beforeEach(() => {
  sagemaker.reset();
});

describe('ensureDataQualitySchedule', () => {
  test('creates a job definition on the package baseline, encrypted and network-isolated, and a schedule running it', async () => {
    // GIVEN
    givenBaseline(1);
    givenNoSchedule();

    // WHEN
    const result = await ensure(1);

    // THEN
    expect(result).toEqual({ change: 'created', jobDefinitionName: expect.stringMatching(/^churn-prod-dq-v1-[0-9a-f]{8}$/) });
    const name = result.change === 'created' ? result.jobDefinitionName : '';
    expect(sagemaker).toHaveReceivedCommandWith(DescribeModelPackageCommand, { ModelPackageName: packageArn(1) });
    expect(sagemaker).toHaveReceivedCommandTimes(CreateDataQualityJobDefinitionCommand, 1);
    expect(sagemaker.commandCalls(CreateDataQualityJobDefinitionCommand)[0].args[0].input).toEqual({
      JobDefinitionName: name,
      DataQualityBaselineConfig: {
        ConstraintsResource: { S3Uri: 's3://artifacts/baseline/v1/constraints.json' },
        StatisticsResource: { S3Uri: 's3://artifacts/baseline/v1/statistics.json' },
      },
      DataQualityAppSpecification: { ImageUri: '156813124566.dkr.ecr.us-east-1.amazonaws.com/sagemaker-model-monitor-analyzer' },
      DataQualityJobInput: {
        EndpointInput: {
          EndpointName: ENDPOINT,
          LocalPath: '/opt/ml/processing/input/endpoint',
          S3InputMode: 'File',
          S3DataDistributionType: 'FullyReplicated',
        },
      },
      DataQualityJobOutputConfig: {
        MonitoringOutputs: [
          { S3Output: { S3Uri: 's3://data-bucket/monitoring/churn-prod', LocalPath: '/opt/ml/processing/output', S3UploadMode: 'EndOfJob' } },
        ],
        KmsKeyId: 'alias/capture',
      },
      JobResources: { ClusterConfig: { InstanceCount: 1, InstanceType: 'ml.m5.large', VolumeSizeInGB: 20, VolumeKmsKeyId: 'alias/endpoint-volume' } },
      NetworkConfig: {
        EnableNetworkIsolation: true,
        EnableInterContainerTrafficEncryption: true,
        VpcConfig: { Subnets: ['subnet-0a1', 'subnet-0b2'], SecurityGroupIds: ['sg-0c3'] },
      },
      RoleArn: 'arn:aws:iam::111122223333:role/monitoring',
      StoppingCondition: { MaxRuntimeInSeconds: 3600 },
      Tags: [
        { Key: TAG.ENDPOINT, Value: ENDPOINT },
        { Key: TAG.MODEL_PACKAGE_ARN, Value: packageArn(1) },
        { Key: TAG.MODEL_PACKAGE_VERSION, Value: '1' },
      ],
    });
    expect(sagemaker).toHaveReceivedCommandWith(CreateMonitoringScheduleCommand, {
      MonitoringScheduleName: SCHEDULE,
      MonitoringScheduleConfig: {
        ScheduleConfig: { ScheduleExpression: 'cron(0 * ? * * *)' },
        MonitoringJobDefinitionName: name,
        MonitoringType: 'DataQuality',
      },
    });
    expect(sagemaker).not.toHaveReceivedCommand(UpdateMonitoringScheduleCommand);
  });

  test('without a VPC or a capture key: no VpcConfig, and the reports are encrypted with the endpoint key', async () => {
    // GIVEN
    givenBaseline(1);
    givenNoSchedule();
    const variant: InstanceVariantSettings = { ...VARIANT, vpc: undefined, dataCapture: { ...VARIANT.dataCapture, kmsKeyId: undefined } };

    // WHEN
    await ensure(1, { ...SETTINGS, variant }, variant);

    // THEN
    expect(sagemaker).toHaveReceivedCommandWith(CreateDataQualityJobDefinitionCommand, {
      DataQualityJobOutputConfig: expect.objectContaining({ KmsKeyId: 'alias/endpoint-volume' }),
      NetworkConfig: { EnableNetworkIsolation: true, EnableInterContainerTrafficEncryption: true, VpcConfig: undefined },
    });
  });

  test('points an existing schedule at the job definition of a new version', async () => {
    // GIVEN
    givenBaseline(1);
    givenBaseline(2);
    givenSchedule(await jobDefinitionNameFor(1));

    // WHEN
    const result = await ensure(2);

    // THEN
    expect(result).toEqual({ change: 'updated', jobDefinitionName: expect.stringMatching(/^churn-prod-dq-v2-[0-9a-f]{8}$/) });
    expect(sagemaker).toHaveReceivedCommandWith(CreateDataQualityJobDefinitionCommand, {
      DataQualityBaselineConfig: {
        ConstraintsResource: { S3Uri: 's3://artifacts/baseline/v2/constraints.json' },
        StatisticsResource: { S3Uri: 's3://artifacts/baseline/v2/statistics.json' },
      },
    });
    expect(sagemaker).toHaveReceivedCommandWith(UpdateMonitoringScheduleCommand, {
      MonitoringScheduleName: SCHEDULE,
      MonitoringScheduleConfig: {
        ScheduleConfig: { ScheduleExpression: 'cron(0 * ? * * *)' },
        MonitoringJobDefinitionName: result.change === 'updated' ? result.jobDefinitionName : '',
        MonitoringType: 'DataQuality',
      },
    });
    expect(sagemaker).not.toHaveReceivedCommand(CreateMonitoringScheduleCommand);
  });

  test('changes nothing when the schedule already runs the package job definition on the configured expression', async () => {
    // GIVEN
    givenBaseline(2);
    const name = await jobDefinitionNameFor(2);
    givenSchedule(name);

    // WHEN
    const result = await ensure(2);

    // THEN
    expect(result).toEqual({ change: 'unchanged', jobDefinitionName: name });
    expect(mutatingCalls()).toEqual([]);
  });

  test('reuses the existing job definition when only the schedule expression changed', async () => {
    // GIVEN
    givenBaseline(2);
    const name = await jobDefinitionNameFor(2);
    givenSchedule(name, { expression: 'cron(0 0 ? * * *)' });
    sagemaker.on(CreateDataQualityJobDefinitionCommand).rejects(awsError('ResourceInUse', `Job definition ${name} already exists.`));

    // WHEN
    const result = await ensure(2);

    // THEN
    expect(result).toEqual({ change: 'updated', jobDefinitionName: name });
    expect(sagemaker).toHaveReceivedCommandWith(UpdateMonitoringScheduleCommand, {
      MonitoringScheduleConfig: expect.objectContaining({ ScheduleConfig: { ScheduleExpression: 'cron(0 * ? * * *)' }, MonitoringJobDefinitionName: name }),
    });
  });

  test('gives a job definition of new settings a new name', async () => {
    // GIVEN
    givenBaseline(2);
    const before = await jobDefinitionNameFor(2);

    // WHEN
    const after = await jobDefinitionNameFor(2, { ...SETTINGS, kmsKeyId: 'alias/rotated' });

    // THEN
    expect(after).not.toBe(before);
    expect(after).toMatch(/^churn-prod-dq-v2-[0-9a-f]{8}$/);
  });

  test.each([
    [{ statistics: false, constraints: false }, 'ModelMetrics.ModelDataQuality.Statistics.S3Uri and ModelMetrics.ModelDataQuality.Constraints.S3Uri'],
    [{ statistics: true, constraints: false }, 'ModelMetrics.ModelDataQuality.Constraints.S3Uri'],
  ])('skips a package without a complete baseline (%o), saying what is missing', async (baseline, missing) => {
    // GIVEN
    givenBaseline(3, baseline);
    givenNoSchedule();

    // WHEN
    const result = await ensure(3);

    // THEN
    expect(result).toEqual({ change: 'skipped', reason: `model package version 3 has no ${missing}, so there is no baseline to monitor against` });
    expect(sagemaker).not.toHaveReceivedCommand(DescribeMonitoringScheduleCommand);
    expect(mutatingCalls()).toEqual([]);
  });

  test('fails with a retryable MonitoringScheduleBusyError while the schedule is Pending, changing nothing', async () => {
    // GIVEN
    givenBaseline(2);
    givenSchedule('churn-prod-dq-v1-aaaaaaaa', { status: 'Pending' });

    // WHEN / THEN
    await expect(ensure(2)).rejects.toThrow(new MonitoringScheduleBusyError(SCHEDULE, 'Pending'));
    expect(mutatingCalls()).toEqual([]);
  });

  test('fails with a final DeploymentFailedError when the schedule is Failed, saying how to recover', async () => {
    // GIVEN
    givenBaseline(2);
    givenSchedule('churn-prod-dq-v1-aaaaaaaa', { status: 'Failed', failureReason: 'Access denied to the output bucket' });

    // WHEN / THEN
    await expect(ensure(2)).rejects.toThrow(DeploymentFailedError);
    await expect(ensure(2)).rejects.toThrow(/^monitoring schedule "churn-prod-data-quality" is Failed \(Access denied to the output bucket\): .*delete the schedule/);
    expect(mutatingCalls()).toEqual([]);
  });

  test('a schedule created by a duplicate invocation meanwhile is retried', async () => {
    // GIVEN
    givenBaseline(1);
    givenNoSchedule();
    sagemaker.on(CreateMonitoringScheduleCommand).rejects(awsError('ResourceInUse', `Monitoring schedule ${SCHEDULE} already exists.`));

    // WHEN / THEN
    await expect(ensure(1)).rejects.toThrow(MonitoringScheduleBusyError);
  });

  test('an update refused because the schedule turned Pending is retried', async () => {
    // GIVEN
    givenBaseline(2);
    givenSchedule('churn-prod-dq-v1-aaaaaaaa');
    sagemaker.on(UpdateMonitoringScheduleCommand).rejects(awsError('ValidationException', 'Monitoring schedule in status Pending'));

    // WHEN / THEN
    await expect(ensure(2)).rejects.toThrow(MonitoringScheduleBusyError);
  });
});

describe('listOwnedDataQualityJobDefinitions', () => {
  test('finds the job definitions tagged for the endpoint, and only those', async () => {
    // GIVEN
    const summaries = [
      { name: 'churn-prod-dq-v1-aaaaaaaa', owner: ENDPOINT },
      { name: 'churn-prod-dq-v2-bbbbbbbb', owner: ENDPOINT },
      { name: 'churn-prod-dq-dq-v1-cccccccc', owner: 'churn-prod-dq' },
      { name: 'churn-prod-dq-handmade', owner: undefined },
      { name: 'other-churn-prod-dq-v1-dddddddd', owner: ENDPOINT },
    ];
    sagemaker.on(ListDataQualityJobDefinitionsCommand).resolves({
      JobDefinitionSummaries: summaries.map(({ name }) => ({
        MonitoringJobDefinitionName: name,
        MonitoringJobDefinitionArn: jobDefinitionArn(name),
        CreationTime: new Date(),
        EndpointName: ENDPOINT,
      })),
    });
    for (const { name, owner } of summaries) {
      sagemaker.on(ListTagsCommand, { ResourceArn: jobDefinitionArn(name) }).resolves({ Tags: owner ? [{ Key: TAG.ENDPOINT, Value: owner }] : [] });
    }

    // WHEN
    const names = await listOwnedDataQualityJobDefinitions(client, ENDPOINT);

    // THEN
    expect(sagemaker).toHaveReceivedCommandWith(ListDataQualityJobDefinitionsCommand, { NameContains: 'churn-prod-dq' });
    expect(names).toEqual(['churn-prod-dq-v1-aaaaaaaa', 'churn-prod-dq-v2-bbbbbbbb']);
  });
});

describe('data-quality job definition names', () => {
  test.each([
    ['a'.repeat(63), 1],
    ['a'.repeat(63), 9999999999],
    [`${'a'.repeat(38)}-${'b'.repeat(24)}`, 9999999999],
    [`${'a'.repeat(39)}--b`, 12],
    ['x', 1],
  ])('dataQualityJobDefinitionName(%s, %d) stays within 63 characters and the SageMaker pattern', (endpointName, version) => {
    // WHEN
    const name = dataQualityJobDefinitionName(endpointName, version, 'f'.repeat(64));

    // THEN
    expect(name.length).toBeLessThanOrEqual(63);
    expect(name).toMatch(NAME_PATTERN);
    expect(name.startsWith(dataQualityNamePrefix(endpointName))).toBe(true);
  });

  test('the prefix has the same length whatever the version, so it finds every version again', () => {
    // GIVEN
    const endpointName = 'a'.repeat(63);

    // WHEN
    const names = [1, 9999999999].map((version) => dataQualityJobDefinitionName(endpointName, version, 'f'.repeat(64)));

    // THEN
    expect(dataQualityNamePrefix(endpointName)).toBe(`${'a'.repeat(39)}-dq`);
    expect(names).toEqual([`${'a'.repeat(39)}-dq-v1-ffffffff`, `${'a'.repeat(39)}-dq-v9999999999-ffffffff`]);
    expect(dataQualityNamePrefix('churn-prod')).toBe('churn-prod-dq');
  });
});

// CreateModelQualityJobDefinition and the monitoring-schedule actions are answered by the SDK mock:
// moto 5.2.1 lacks the schedules (test/integration covers the job definitions it has).
describe('ensureModelQualitySchedule', () => {
  const MQ_SCHEDULE = 'churn-prod-model-quality';
  const MODEL_QUALITY: ModelQualitySettings = {
    scheduleName: MQ_SCHEDULE,
    scheduleExpression: 'cron(0 0 ? * * *)',
    problemType: 'BinaryClassification',
    groundTruthS3Uri: 's3://data-bucket/ground-truth/',
    startTimeOffset: '-PT48H',
    endTimeOffset: '-PT24H',
    probabilityThreshold: 0.5,
  };
  const ensureMq = (version: number, modelQuality = MODEL_QUALITY, settings = SETTINGS, variant = VARIANT) =>
    ensureModelQualitySchedule(client, settings, variant, MONITORING, modelQuality, pkg(version));

  function givenMqSchedule(jobDefinitionName: string, { status = 'Scheduled', expression = MODEL_QUALITY.scheduleExpression } = {}) {
    sagemaker.on(DescribeMonitoringScheduleCommand, { MonitoringScheduleName: MQ_SCHEDULE }).resolves({
      MonitoringScheduleArn: `${ACCOUNT_ARN}:monitoring-schedule/${MQ_SCHEDULE}`,
      MonitoringScheduleName: MQ_SCHEDULE,
      MonitoringScheduleStatus: status as never,
      EndpointName: ENDPOINT,
      MonitoringScheduleConfig: {
        ScheduleConfig: { ScheduleExpression: expression },
        MonitoringJobDefinitionName: jobDefinitionName,
        MonitoringType: 'ModelQuality',
      },
      CreationTime: new Date(),
      LastModifiedTime: new Date(),
    });
  }

  async function mqNameFor(version: number, modelQuality = MODEL_QUALITY): Promise<string> {
    givenNoSchedule();
    const result = await ensureMq(version, modelQuality);
    sagemaker.reset();
    if (result.change === 'skipped') throw new Error(result.reason);
    return result.jobDefinitionName;
  }

  test('creates a model-quality job definition for the package, encrypted and network-isolated, and a schedule running it', async () => {
    // GIVEN
    givenNoSchedule();

    // WHEN
    const result = await ensureMq(1);

    // THEN
    expect(result).toEqual({ change: 'created', jobDefinitionName: expect.stringMatching(/^churn-prod-mq-v1-[0-9a-f]{8}$/) });
    const name = result.change === 'created' ? result.jobDefinitionName : '';
    expect(sagemaker).not.toHaveReceivedCommand(DescribeModelPackageCommand);
    expect(sagemaker).toHaveReceivedCommandTimes(CreateModelQualityJobDefinitionCommand, 1);
    expect(sagemaker.commandCalls(CreateModelQualityJobDefinitionCommand)[0].args[0].input).toEqual({
      JobDefinitionName: name,
      ModelQualityAppSpecification: {
        ImageUri: '156813124566.dkr.ecr.us-east-1.amazonaws.com/sagemaker-model-monitor-analyzer',
        ProblemType: 'BinaryClassification',
        Environment: { publish_cloudwatch_metrics: 'Enabled' },
      },
      ModelQualityJobInput: {
        EndpointInput: {
          EndpointName: ENDPOINT,
          LocalPath: '/opt/ml/processing/input/endpoint',
          S3InputMode: 'File',
          S3DataDistributionType: 'FullyReplicated',
          ProbabilityAttribute: '0',
          ProbabilityThresholdAttribute: 0.5,
          StartTimeOffset: '-PT48H',
          EndTimeOffset: '-PT24H',
        },
        GroundTruthS3Input: { S3Uri: 's3://data-bucket/ground-truth/churn-prod' },
      },
      ModelQualityJobOutputConfig: {
        MonitoringOutputs: [
          {
            S3Output: { S3Uri: 's3://data-bucket/monitoring/model-quality/churn-prod', LocalPath: '/opt/ml/processing/output', S3UploadMode: 'EndOfJob' },
          },
        ],
        KmsKeyId: 'alias/capture',
      },
      JobResources: { ClusterConfig: { InstanceCount: 1, InstanceType: 'ml.m5.large', VolumeSizeInGB: 20, VolumeKmsKeyId: 'alias/endpoint-volume' } },
      NetworkConfig: {
        EnableNetworkIsolation: true,
        EnableInterContainerTrafficEncryption: true,
        VpcConfig: { Subnets: ['subnet-0a1', 'subnet-0b2'], SecurityGroupIds: ['sg-0c3'] },
      },
      RoleArn: 'arn:aws:iam::111122223333:role/monitoring',
      StoppingCondition: { MaxRuntimeInSeconds: 1800 },
      Tags: [
        { Key: TAG.ENDPOINT, Value: ENDPOINT },
        { Key: TAG.MODEL_PACKAGE_ARN, Value: packageArn(1) },
        { Key: TAG.MODEL_PACKAGE_VERSION, Value: '1' },
      ],
    });
    expect(sagemaker).toHaveReceivedCommandWith(CreateMonitoringScheduleCommand, {
      MonitoringScheduleName: MQ_SCHEDULE,
      MonitoringScheduleConfig: {
        ScheduleConfig: { ScheduleExpression: 'cron(0 0 ? * * *)' },
        MonitoringJobDefinitionName: name,
        MonitoringType: 'ModelQuality',
      },
    });
  });

  test.each([
    ['MulticlassClassification' as const],
    ['Regression' as const],
  ])('a %s model names its prediction column with InferenceAttribute, without a probability threshold', async (problemType) => {
    // GIVEN
    givenNoSchedule();

    // WHEN
    await ensureMq(1, { ...MODEL_QUALITY, problemType, probabilityThreshold: undefined });

    // THEN
    const input = sagemaker.commandCalls(CreateModelQualityJobDefinitionCommand)[0].args[0].input;
    expect(input.ModelQualityAppSpecification?.ProblemType).toBe(problemType);
    expect(input.ModelQualityJobInput?.EndpointInput).toMatchObject({ InferenceAttribute: '0' });
    expect(input.ModelQualityJobInput?.EndpointInput).not.toHaveProperty('ProbabilityAttribute');
    expect(input.ModelQualityJobInput?.EndpointInput).not.toHaveProperty('ProbabilityThresholdAttribute');
  });

  test('replaces the job definition on a new version: a new definition, and the schedule pointed at it', async () => {
    // GIVEN
    givenMqSchedule(await mqNameFor(1));

    // WHEN
    const result = await ensureMq(2);

    // THEN
    expect(result).toEqual({ change: 'updated', jobDefinitionName: expect.stringMatching(/^churn-prod-mq-v2-[0-9a-f]{8}$/) });
    expect(sagemaker).toHaveReceivedCommandWith(CreateModelQualityJobDefinitionCommand, {
      Tags: expect.arrayContaining([{ Key: TAG.MODEL_PACKAGE_VERSION, Value: '2' }]),
    });
    expect(sagemaker).toHaveReceivedCommandWith(UpdateMonitoringScheduleCommand, {
      MonitoringScheduleName: MQ_SCHEDULE,
      MonitoringScheduleConfig: {
        ScheduleConfig: { ScheduleExpression: 'cron(0 0 ? * * *)' },
        MonitoringJobDefinitionName: result.change === 'updated' ? result.jobDefinitionName : '',
        MonitoringType: 'ModelQuality',
      },
    });
    expect(sagemaker).not.toHaveReceivedCommand(CreateMonitoringScheduleCommand);
  });

  test('a duplicate event changes nothing once the schedule runs the package job definition', async () => {
    // GIVEN
    const name = await mqNameFor(2);
    givenMqSchedule(name);

    // WHEN
    const first = await ensureMq(2);
    const second = await ensureMq(2);

    // THEN
    expect([first, second]).toEqual([
      { change: 'unchanged', jobDefinitionName: name },
      { change: 'unchanged', jobDefinitionName: name },
    ]);
    expect(mutatingCalls()).toEqual([]);
  });

  test('a job definition left by an earlier attempt ("already exists") is the one used', async () => {
    // GIVEN
    const name = await mqNameFor(2);
    givenNoSchedule();
    sagemaker.on(CreateModelQualityJobDefinitionCommand).rejects(awsError('ResourceInUse', `Resource Already Exists: Model Quality Job Definition with name ${name} already exists.`));

    // WHEN
    const result = await ensureMq(2);

    // THEN
    expect(result).toEqual({ change: 'created', jobDefinitionName: name });
    expect(sagemaker).toHaveReceivedCommandWith(CreateMonitoringScheduleCommand, { MonitoringScheduleName: MQ_SCHEDULE });
  });

  test('new offsets or a new probability threshold give a new job definition name', async () => {
    // GIVEN
    const before = await mqNameFor(2);

    // WHEN
    const later = await mqNameFor(2, { ...MODEL_QUALITY, startTimeOffset: '-PT72H' });
    const stricter = await mqNameFor(2, { ...MODEL_QUALITY, probabilityThreshold: 0.7 });

    // THEN
    expect(new Set([before, later, stricter]).size).toBe(3);
  });

  test('fails with a retryable MonitoringScheduleBusyError while the schedule is Pending, changing nothing', async () => {
    // GIVEN
    givenMqSchedule('churn-prod-mq-v1-aaaaaaaa', { status: 'Pending' });

    // WHEN / THEN
    await expect(ensureMq(2)).rejects.toThrow(new MonitoringScheduleBusyError(MQ_SCHEDULE, 'Pending'));
    expect(mutatingCalls()).toEqual([]);
  });

  test('fails with a final DeploymentFailedError when the schedule is Failed', async () => {
    // GIVEN
    sagemaker.on(DescribeMonitoringScheduleCommand).resolves({
      MonitoringScheduleName: MQ_SCHEDULE,
      MonitoringScheduleStatus: 'Failed',
      FailureReason: 'Ground truth location not readable',
      MonitoringScheduleArn: `${ACCOUNT_ARN}:monitoring-schedule/${MQ_SCHEDULE}`,
      MonitoringScheduleConfig: { MonitoringJobDefinitionName: 'churn-prod-mq-v1-aaaaaaaa', MonitoringType: 'ModelQuality' },
      CreationTime: new Date(),
      LastModifiedTime: new Date(),
    });

    // WHEN / THEN
    await expect(ensureMq(2)).rejects.toThrow(/^monitoring schedule "churn-prod-model-quality" is Failed \(Ground truth location not readable\): /);
    expect(mutatingCalls()).toEqual([]);
  });

  test('a refused job definition (a bad request) fails with the SDK error and creates no schedule', async () => {
    // GIVEN
    givenNoSchedule();
    sagemaker.on(CreateModelQualityJobDefinitionCommand).rejects(awsError('ValidationException', 'ProbabilityThresholdAttribute must be between 0 and 1'));

    // WHEN / THEN
    await expect(ensureMq(1)).rejects.toThrow('ProbabilityThresholdAttribute must be between 0 and 1');
    expect(sagemaker).not.toHaveReceivedCommand(CreateMonitoringScheduleCommand);
  });

  test('a schedule created by a duplicate invocation meanwhile is retried', async () => {
    // GIVEN
    givenNoSchedule();
    sagemaker.on(CreateMonitoringScheduleCommand).rejects(awsError('ResourceInUse', `Monitoring schedule ${MQ_SCHEDULE} already exists.`));

    // WHEN / THEN
    await expect(ensureMq(1)).rejects.toThrow(MonitoringScheduleBusyError);
  });
});

describe('model-quality job definitions of the endpoint', () => {
  const mqArn = (name: string) => `${ACCOUNT_ARN}:model-quality-job-definition/${name}`;

  test('lists the ones tagged for the endpoint, and only those, and deletes them, tolerating one already gone', async () => {
    // GIVEN
    const summaries = [
      { name: 'churn-prod-mq-v1-aaaaaaaa', owner: ENDPOINT },
      { name: 'churn-prod-mq-v2-bbbbbbbb', owner: ENDPOINT },
      { name: 'churn-prod-mq-handmade', owner: undefined },
      { name: 'other-churn-prod-mq-v1-dddddddd', owner: ENDPOINT },
    ];
    sagemaker.on(ListModelQualityJobDefinitionsCommand).resolves({
      JobDefinitionSummaries: summaries.map(({ name }) => ({
        MonitoringJobDefinitionName: name,
        MonitoringJobDefinitionArn: mqArn(name),
        CreationTime: new Date(),
        EndpointName: ENDPOINT,
      })),
    });
    for (const { name, owner } of summaries) {
      sagemaker.on(ListTagsCommand, { ResourceArn: mqArn(name) }).resolves({ Tags: owner ? [{ Key: TAG.ENDPOINT, Value: owner }] : [] });
    }
    sagemaker
      .on(DeleteModelQualityJobDefinitionCommand, { JobDefinitionName: 'churn-prod-mq-v1-aaaaaaaa' })
      .rejects(awsError('ResourceNotFound', "Could not find model quality job definition 'churn-prod-mq-v1-aaaaaaaa'."));

    // WHEN
    const names = await listOwnedModelQualityJobDefinitions(client, ENDPOINT);
    await deleteModelQualityJobDefinitions(client, names);

    // THEN
    expect(sagemaker).toHaveReceivedCommandWith(ListModelQualityJobDefinitionsCommand, { NameContains: 'churn-prod-mq' });
    expect(names).toEqual(['churn-prod-mq-v1-aaaaaaaa', 'churn-prod-mq-v2-bbbbbbbb']);
    expect(sagemaker).toHaveReceivedCommandTimes(DeleteModelQualityJobDefinitionCommand, 2);
  });

  test.each([
    ['a'.repeat(63), 9999999999],
    ['x', 1],
  ])('modelQualityJobDefinitionName(%s, %d) stays within 63 characters and the SageMaker pattern', (endpointName, version) => {
    // WHEN
    const name = modelQualityJobDefinitionName(endpointName, version, 'f'.repeat(64));

    // THEN
    expect(name.length).toBeLessThanOrEqual(63);
    expect(name).toMatch(NAME_PATTERN);
    expect(name.startsWith(modelQualityNamePrefix(endpointName))).toBe(true);
    expect(modelQualityNamePrefix('churn-prod')).toBe('churn-prod-mq');
  });
});
