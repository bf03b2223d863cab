import {
  ApplicationAutoScalingClient,
  DeregisterScalableTargetCommand,
  DescribeScalableTargetsCommand,
  DescribeScalingPoliciesCommand,
  PutScalingPolicyCommand,
  RegisterScalableTargetCommand,
} from '@aws-sdk/client-application-auto-scaling';
import { Logger } from '@aws-lambda-powertools/logger';
import {
  AddTagsCommand,
  CreateDataQualityJobDefinitionCommand,
  type CreateDataQualityJobDefinitionCommandInput,
  CreateEndpointCommand,
  CreateEndpointConfigCommand,
  CreateModelCommand,
  CreateModelQualityJobDefinitionCommand,
  CreateMonitoringScheduleCommand,
  DeleteDataQualityJobDefinitionCommand,
  DeleteEndpointConfigCommand,
  DeleteModelCommand,
  DescribeEndpointCommand,
  DescribeEndpointConfigCommand,
  DescribeModelPackageCommand,
  DescribeMonitoringScheduleCommand,
  ListDataQualityJobDefinitionsCommand,
  ListEndpointConfigsCommand,
  ListModelPackagesCommand,
  ListModelQualityJobDefinitionsCommand,
  ListModelsCommand,
  ListTagsCommand,
  SageMakerClient,
  SageMakerServiceException,
  type Tag,
  UpdateEndpointCommand,
  UpdateMonitoringScheduleCommand,
} from '@aws-sdk/client-sagemaker';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { type DeployerEvent, type DeployerLog, handleDeployerEvent } from '../../lambda/deployer/deploy';
import type { DeployerSettings, InstanceVariantSettings, MonitoringSettings } from '../../lambda/deployer/environment';
import { DeploymentFailedError, EndpointBusyError, MonitoringScheduleBusyError, SilentRollbackError } from '../../lambda/deployer/errors';
import { deploymentResourceName, TAG } from '../../lambda/deployer/naming';

const sagemaker = mockClient(SageMakerClient);
const autoscaling = mockClient(ApplicationAutoScalingClient);

const ENDPOINT = 'churn-prod';
const GROUP = 'churn';
const ACCOUNT_ARN = 'arn:aws:sagemaker:us-east-1:111122223333';
const ENDPOINT_ARN = `${ACCOUNT_ARN}:endpoint/${ENDPOINT}`;
const NAME_PATTERN = /^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$/;

const INSTANCE_VARIANT: InstanceVariantSettings = {
  type: 'instance',
  instanceType: 'ml.m5.large',
  initialInstanceCount: 2,
  minCapacity: 2,
  maxCapacity: 6,
  targetInvocationsPerInstance: 100,
  dataCapture: { destinationS3Uri: 's3://data-bucket/capture/', samplingPercent: 20, kmsKeyId: 'alias/capture' },
  deployment: {
    strategy: 'canary',
    trafficStepPercent: 10,
    waitIntervalSeconds: 300,
    maxExecutionTimeoutSeconds: 3600,
    rollbackAlarmNames: ['churn-prod-5xx', 'churn-prod-latency'],
  },
  vpc: { subnetIds: ['subnet-0a1', 'subnet-0b2'], securityGroupIds: ['sg-0c3'] },
};

function instanceSettings(variant: Partial<InstanceVariantSettings> = {}): DeployerSettings {
  return {
    endpointName: ENDPOINT,
    modelPackageGroupName: GROUP,
    executionRoleArn: 'arn:aws:iam::111122223333:role/model-execution',
    kmsKeyId: 'alias/endpoint-volume',
    variant: { ...INSTANCE_VARIANT, ...variant },
  };
}

const SERVERLESS_SETTINGS: DeployerSettings = {
  endpointName: ENDPOINT,
  modelPackageGroupName: GROUP,
  executionRoleArn: 'arn:aws:iam::111122223333:role/model-execution',
  kmsKeyId: 'alias/endpoint-volume',
  variant: { type: 'serverless', memorySizeInMb: 2048, maxConcurrency: 5 },
};

const packageArn = (version: number) => `${ACCOUNT_ARN}:model-package/${GROUP}/${version}`;
const configArn = (name: string) => `${ACCOUNT_ARN}:endpoint-config/${name}`;
const configName = (version: number) => `${ENDPOINT}-v${version}-0000000${version}`;

function packageEvent(version: number, status: 'Approved' | 'Rejected' | 'PendingManualApproval', id = `event-${status}-${version}`): DeployerEvent {
  return {
    version: '0',
    id,
    'detail-type': 'SageMaker Model Package State Change',
    source: 'aws.sagemaker',
    account: '111122223333',
    time: '2026-11-27T10:00:00Z',
    region: 'us-east-1',
    resources: [packageArn(version)],
    detail: { ModelPackageGroupName: GROUP, ModelPackageVersion: version, ModelPackageArn: packageArn(version), ModelApprovalStatus: status },
  };
}

function endpointInServiceEvent(id = 'event-endpoint-in-service'): DeployerEvent {
  return {
    version: '0',
    id,
    'detail-type': 'SageMaker Endpoint State Change',
    source: 'aws.sagemaker',
    account: '111122223333',
    time: '2026-11-27T10:00:00Z',
    region: 'us-east-1',
    resources: [ENDPOINT_ARN],
    detail: { EndpointName: ENDPOINT, EndpointStatus: 'IN_SERVICE' },
  };
}

function awsError(name: string, message: string, httpStatusCode = 400): SageMakerServiceException {
  return new SageMakerServiceException({ name, message, $fault: httpStatusCode >= 500 ? 'server' : 'client', $metadata: { httpStatusCode } });
}

interface LogEntry {
  readonly level: 'info' | 'warn' | 'error';
  readonly message: string;
  readonly attributes: Record<string, unknown>;
}

function recordingLog(): DeployerLog & { entries: LogEntry[] } {
  const entries: LogEntry[] = [];
  return {
    entries,
    info: (message, attributes) => entries.push({ level: 'info', message, attributes }),
    warn: (message, attributes) => entries.push({ level: 'warn', message, attributes }),
    error: (message, attributes) => entries.push({ level: 'error', message, attributes }),
  };
}

function givenApprovedPackages(...versions: number[]) {
  sagemaker.on(ListModelPackagesCommand).resolves({
    ModelPackageSummaryList: versions.map((version) => ({
      ModelPackageArn: packageArn(version),
      ModelPackageGroupName: GROUP,
      ModelPackageVersion: version,
      ModelPackageStatus: 'Completed',
      ModelApprovalStatus: 'Approved',
      CreationTime: new Date(2026, 10, version),
    })),
  });
}

function givenNoEndpoint() {
  sagemaker.on(DescribeEndpointCommand).rejects(awsError('ValidationException', `Could not find endpoint "${ENDPOINT_ARN}".`));
}

interface EndpointFixture {
  readonly status?: string;
  readonly servingVersion?: number;
  readonly servingConfig?: string;
  /** null for a serverless variant. */
  readonly instanceType?: string | null;
  readonly currentInstanceCount?: number;
  readonly endpointTags?: Record<string, string>;
}

/** An endpoint serving a config the deployer created for `servingVersion`. */
function givenEndpoint({
  status = 'InService',
  servingVersion = 1,
  servingConfig = configName(servingVersion),
  instanceType = 'ml.m5.large',
  currentInstanceCount = 2,
  endpointTags = { [TAG.ENDPOINT]: ENDPOINT, [TAG.REQUESTED_CONFIG]: servingConfig },
}: EndpointFixture = {}) {
  sagemaker.on(DescribeEndpointCommand).resolves({
    EndpointName: ENDPOINT,
    EndpointArn: ENDPOINT_ARN,
    EndpointConfigName: servingConfig,
    EndpointStatus: status as never,
    ProductionVariants: [{ VariantName: 'AllTraffic', CurrentInstanceCount: currentInstanceCount }],
  });
  sagemaker.on(ListTagsCommand, { ResourceArn: ENDPOINT_ARN }).resolves({ Tags: toTags(endpointTags) });
  givenDeployerConfig(servingConfig, servingVersion, instanceType);
}

function givenDeployerConfig(name: string, version: number, instanceType: string | null = 'ml.m5.large') {
  sagemaker.on(DescribeEndpointConfigCommand, { EndpointConfigName: name }).resolves({
    EndpointConfigName: name,
    EndpointConfigArn: configArn(name),
    ProductionVariants: [{ VariantName: 'AllTraffic', ModelName: name, InstanceType: (instanceType ?? undefined) as never }],
  });
  sagemaker.on(ListTagsCommand, { ResourceArn: configArn(name) }).resolves({
    Tags: toTags({ [TAG.ENDPOINT]: ENDPOINT, [TAG.MODEL_PACKAGE_ARN]: packageArn(version), [TAG.MODEL_PACKAGE_VERSION]: String(version) }),
  });
}

function givenAutoscalingRegistered(variant = INSTANCE_VARIANT) {
  autoscaling.on(DescribeScalableTargetsCommand).resolves({
    ScalableTargets: [
      {
        ServiceNamespace: 'sagemaker',
        ResourceId: `endpoint/${ENDPOINT}/variant/AllTraffic`,
        ScalableDimension: 'sagemaker:variant:DesiredInstanceCount',
        MinCapacity: variant.minCapacity,
        MaxCapacity: variant.maxCapacity,
        RoleARN: 'arn:aws:iam::111122223333:role/aws-service-role/sagemaker.application-autoscaling.amazonaws.com/AWSServiceRoleForApplicationAutoScaling_SageMakerEndpoint',
        CreationTime: new Date(),
      },
    ],
  });
  autoscaling.on(DescribeScalingPoliciesCommand).resolves({
    ScalingPolicies: [
      {
        PolicyName: 'cdk-mlops-invocations-per-instance',
        PolicyARN: 'arn:aws:autoscaling:us-east-1:111122223333:scalingPolicy:policy',
        ServiceNamespace: 'sagemaker',
        ResourceId: `endpoint/${ENDPOINT}/variant/AllTraffic`,
        ScalableDimension: 'sagemaker:variant:DesiredInstanceCount',
        PolicyType: 'TargetTrackingScaling',
        TargetTrackingScalingPolicyConfiguration: {
          TargetValue: variant.targetInvocationsPerInstance,
          PredefinedMetricSpecification: { PredefinedMetricType: 'SageMakerVariantInvocationsPerInstance' },
        },
        CreationTime: new Date(),
      },
    ],
  });
}

function toTags(tags: Record<string, string>): Tag[] {
  return Object.entries(tags).map(([Key, Value]) => ({ Key, Value }));
}

/** No call that creates, updates, tags, deletes or (de)registers anything reached AWS. */
function expectNothingChanged() {
  const mutatingCalls = [...sagemaker.calls(), ...autoscaling.calls()]
    .map((call) => (call.args[0] as object).constructor.name)
    .filter((name) => /^(Create|Update|Delete|Add|Register|Put|Deregister)/.test(name));
  expect(mutatingCalls).toEqual([]);
}

// mockClient stubs send() on the prototype, so these real clients (which paginators require) are mocked too.
const clients = { sagemaker: new SageMakerClient({ region: 'us-east-1' }), autoscaling: new ApplicationAutoScalingClient({ region: 'us-east-1' }) };

function deploy(event: DeployerEvent, settings = instanceSettings(), log = recordingLog()) {
  return handleDeployerEvent(event, { ...clients, settings, log });
}

beforeEach(() => {
  sagemaker.reset();
  autoscaling.reset();
  sagemaker.on(ListEndpointConfigsCommand).resolves({ EndpointConfigs: [] });
  sagemaker.on(ListModelsCommand).resolves({ Models: [] });
  sagemaker.on(ListDataQualityJobDefinitionsCommand).resolves({ JobDefinitionSummaries: [] });
  autoscaling.on(DescribeScalableTargetsCommand).resolves({ ScalableTargets: [] });
  autoscaling.on(DescribeScalingPoliciesCommand).resolves({ ScalingPolicies: [] });
});

describe('first deployment', () => {
  test('creates the model, endpoint config and endpoint for the approved package', async () => {
    // GIVEN
    givenNoEndpoint();
    givenApprovedPackages(1);
    const log = recordingLog();

    // WHEN
    const result = await deploy(packageEvent(1, 'Approved', 'event-first'), instanceSettings(), log);

    // THEN
    const name = result.endpointConfigName;
    expect(name).toMatch(/^churn-prod-v1-[0-9a-f]{8}$/);
    const ownership = [
      { Key: TAG.ENDPOINT, Value: ENDPOINT },
      { Key: TAG.MODEL_PACKAGE_ARN, Value: packageArn(1) },
      { Key: TAG.MODEL_PACKAGE_VERSION, Value: '1' },
    ];
    expect(sagemaker).toHaveReceivedCommandWith(CreateModelCommand, {
      ModelName: name,
      ExecutionRoleArn: 'arn:aws:iam::111122223333:role/model-execution',
      PrimaryContainer: { ModelPackageName: packageArn(1) },
      EnableNetworkIsolation: true,
      VpcConfig: { Subnets: ['subnet-0a1', 'subnet-0b2'], SecurityGroupIds: ['sg-0c3'] },
      Tags: ownership,
    });
    expect(sagemaker).toHaveReceivedCommandWith(CreateEndpointConfigCommand, {
      EndpointConfigName: name,
      KmsKeyId: 'alias/endpoint-volume',
      ProductionVariants: [{ VariantName: 'AllTraffic', ModelName: name, InstanceType: 'ml.m5.large', InitialInstanceCount: 2, InitialVariantWeight: 1 }],
      DataCaptureConfig: {
        EnableCapture: true,
        InitialSamplingPercentage: 20,
        DestinationS3Uri: 's3://data-bucket/capture/',
        KmsKeyId: 'alias/capture',
        CaptureOptions: [{ CaptureMode: 'Input' }, { CaptureMode: 'Output' }],
        // CSV as Model Monitor reads it, not base64.
        CaptureContentTypeHeader: { CsvContentTypes: ['text/csv'] },
      },
      Tags: ownership,
    });
    expect(sagemaker).toHaveReceivedCommandWith(CreateEndpointCommand, {
      EndpointName: ENDPOINT,
      EndpointConfigName: name,
      Tags: [
        { Key: TAG.ENDPOINT, Value: ENDPOINT },
        { Key: TAG.REQUESTED_CONFIG, Value: name },
      ],
    });
    expect(sagemaker).not.toHaveReceivedCommand(UpdateEndpointCommand);
    // Autoscaling waits for the endpoint's InService event.
    expect(autoscaling).not.toHaveReceivedCommand(RegisterScalableTargetCommand);
    expect(result).toMatchObject({ outcome: 'created', packageVersion: 1, packageArn: packageArn(1) });
    expect(log.entries.at(-1)).toMatchObject({
      level: 'info',
      attributes: { eventId: 'event-first', endpointName: ENDPOINT, outcome: 'created', packageVersion: 1, eventPackageVersion: 1 },
    });
  });

  test('deploys the newest approved package, not the one the event names', async () => {
    // GIVEN
    givenNoEndpoint();
    givenApprovedPackages(3, 2, 1);

    // WHEN
    const result = await deploy(packageEvent(1, 'Approved'));

    // THEN
    expect(sagemaker).toHaveReceivedCommandWith(ListModelPackagesCommand, {
      ModelPackageGroupName: GROUP,
      ModelApprovalStatus: 'Approved',
      SortBy: 'CreationTime',
      SortOrder: 'Descending',
    });
    expect(sagemaker).toHaveReceivedCommandWith(CreateModelCommand, { PrimaryContainer: { ModelPackageName: packageArn(3) } });
    expect(result).toMatchObject({ outcome: 'created', packageVersion: 3 });
  });

  test('skips approved packages that are not Completed', async () => {
    // GIVEN
    givenNoEndpoint();
    sagemaker.on(ListModelPackagesCommand).resolves({
      ModelPackageSummaryList: [
        { ModelPackageArn: packageArn(2), ModelPackageVersion: 2, ModelPackageStatus: 'InProgress', CreationTime: new Date() },
        { ModelPackageArn: packageArn(1), ModelPackageVersion: 1, ModelPackageStatus: 'Completed', CreationTime: new Date() },
      ],
    });

    // WHEN
    const result = await deploy(packageEvent(2, 'Approved'));

    // THEN
    expect(result).toMatchObject({ outcome: 'created', packageVersion: 1 });
  });

  test('serverless: no network isolation, VPC or data capture, which SageMaker does not support there', async () => {
    // GIVEN
    givenNoEndpoint();
    givenApprovedPackages(1);

    // WHEN
    const result = await deploy(packageEvent(1, 'Approved'), SERVERLESS_SETTINGS);

    // THEN
    expect(sagemaker).toHaveReceivedCommandWith(CreateModelCommand, { EnableNetworkIsolation: false, VpcConfig: undefined });
    expect(sagemaker).toHaveReceivedCommandWith(CreateEndpointConfigCommand, {
      KmsKeyId: 'alias/endpoint-volume',
      ProductionVariants: [{ VariantName: 'AllTraffic', ModelName: result.endpointConfigName, ServerlessConfig: { MemorySizeInMB: 2048, MaxConcurrency: 5 } }],
      DataCaptureConfig: undefined,
    });
    expect(sagemaker).toHaveReceivedCommand(CreateEndpointCommand);
  });

  test('a duplicate event that finds the endpoint being created by another invocation is retried', async () => {
    // GIVEN
    givenNoEndpoint();
    givenApprovedPackages(1);
    sagemaker.on(CreateEndpointCommand).rejects(awsError('ValidationException', `Cannot create already existing endpoint "${ENDPOINT_ARN}".`));

    // WHEN / THEN
    await expect(deploy(packageEvent(1, 'Approved'))).rejects.toThrow(EndpointBusyError);
  });
});

describe('updates', () => {
  test('blue/green canary with auto-rollback alarms, keeping the instance count autoscaling reached', async () => {
    // GIVEN
    givenEndpoint({ servingVersion: 1, currentInstanceCount: 4 });
    givenApprovedPackages(2, 1);
    givenAutoscalingRegistered();

    // WHEN
    const result = await deploy(packageEvent(2, 'Approved'));

    // THEN
    const name = result.endpointConfigName;
    expect(sagemaker).toHaveReceivedCommandWith(CreateEndpointConfigCommand, {
      ProductionVariants: [expect.objectContaining({ InstanceType: 'ml.m5.large', InitialInstanceCount: 4 })],
    });
    expect(sagemaker).toHaveReceivedCommandWith(UpdateEndpointCommand, {
      EndpointName: ENDPOINT,
      EndpointConfigName: name,
      DeploymentConfig: {
        BlueGreenUpdatePolicy: {
          TrafficRoutingConfiguration: {
            Type: 'CANARY',
            CanarySize: { Type: 'CAPACITY_PERCENT', Value: 10 },
            LinearStepSize: undefined,
            WaitIntervalInSeconds: 300,
          },
          TerminationWaitInSeconds: 300,
          MaximumExecutionTimeoutInSeconds: 3600,
        },
        AutoRollbackConfiguration: { Alarms: [{ AlarmName: 'churn-prod-5xx' }, { AlarmName: 'churn-prod-latency' }] },
      },
    });
    // The request is recorded before it is made, so a later rollback can be recognised.
    expect(sagemaker).toHaveReceivedNthSpecificCommandWith(1, AddTagsCommand, {
      ResourceArn: ENDPOINT_ARN,
      Tags: [{ Key: TAG.REQUESTED_CONFIG, Value: name }],
    });
    expect(sagemaker).not.toHaveReceivedCommand(CreateEndpointCommand);
    expect(autoscaling).not.toHaveReceivedCommand(DeregisterScalableTargetCommand);
    expect(result).toMatchObject({ outcome: 'updated', packageVersion: 2 });
  });

  test.each([
    ['linear', 20, { Type: 'LINEAR', LinearStepSize: { Type: 'CAPACITY_PERCENT', Value: 20 }, CanarySize: undefined }],
    ['all-at-once', undefined, { Type: 'ALL_AT_ONCE', LinearStepSize: undefined, CanarySize: undefined }],
  ] as const)('blue/green %s traffic shifting', async (strategy, trafficStepPercent, routing) => {
    // GIVEN
    givenEndpoint({ servingVersion: 1 });
    givenApprovedPackages(2, 1);
    const settings = instanceSettings({ deployment: { ...INSTANCE_VARIANT.deployment, strategy, trafficStepPercent, rollbackAlarmNames: [] } });

    // WHEN
    await deploy(packageEvent(2, 'Approved'), settings);

    // THEN
    expect(sagemaker).toHaveReceivedCommandWith(UpdateEndpointCommand, {
      DeploymentConfig: {
        BlueGreenUpdatePolicy: expect.objectContaining({ TrafficRoutingConfiguration: { ...routing, WaitIntervalInSeconds: 300 } }),
        AutoRollbackConfiguration: undefined,
      },
    });
  });

  test('serverless update without blue/green deployment config and without autoscaling', async () => {
    // GIVEN
    givenEndpoint({ servingVersion: 1, instanceType: null });
    givenApprovedPackages(2, 1);

    // WHEN
    const result = await deploy(packageEvent(2, 'Approved'), SERVERLESS_SETTINGS);

    // THEN
    expect(sagemaker).toHaveReceivedCommandWith(UpdateEndpointCommand, {
      EndpointName: ENDPOINT,
      EndpointConfigName: result.endpointConfigName,
      DeploymentConfig: undefined,
    });
    expect(autoscaling).not.toHaveReceivedCommand(DescribeScalableTargetsCommand);
    expect(autoscaling).not.toHaveReceivedCommand(RegisterScalableTargetCommand);
  });

  test('deregisters autoscaling before changing the instance type, which SageMaker refuses otherwise', async () => {
    // GIVEN
    givenEndpoint({ servingVersion: 1, instanceType: 'ml.m5.xlarge' });
    givenApprovedPackages(2, 1);
    givenAutoscalingRegistered();

    // WHEN
    await deploy(packageEvent(2, 'Approved'));

    // THEN
    expect(autoscaling).toHaveReceivedCommandWith(DeregisterScalableTargetCommand, {
      ServiceNamespace: 'sagemaker',
      ResourceId: `endpoint/${ENDPOINT}/variant/AllTraffic`,
      ScalableDimension: 'sagemaker:variant:DesiredInstanceCount',
    });
    expect(sagemaker).toHaveReceivedCommand(UpdateEndpointCommand);
  });

  test('removes superseded models and endpoint configs, keeping the new one and the one still serving', async () => {
    // GIVEN
    givenEndpoint({ servingVersion: 2 });
    givenApprovedPackages(3, 2, 1);
    const oldConfig = configName(1);
    const foreignConfig = `${ENDPOINT}-v9-handmade`;
    givenDeployerConfig(oldConfig, 1);
    sagemaker.on(ListTagsCommand, { ResourceArn: configArn(foreignConfig) }).resolves({ Tags: [] });
    let newConfig = '';
    sagemaker.on(CreateEndpointConfigCommand).callsFake((input: { EndpointConfigName: string }) => {
      newConfig = input.EndpointConfigName;
      givenDeployerConfig(newConfig, 3);
      sagemaker.on(ListEndpointConfigsCommand).resolves({
        EndpointConfigs: [oldConfig, configName(2), newConfig, foreignConfig].map((name) => ({
          EndpointConfigName: name,
          EndpointConfigArn: configArn(name),
          CreationTime: new Date(),
        })),
      });
      return {};
    });
    sagemaker.on(ListModelsCommand).resolves({
      Models: [oldConfig, configName(2)].map((name) => ({ ModelName: name, ModelArn: configArn(name), CreationTime: new Date() })),
    });

    // WHEN
    await deploy(packageEvent(3, 'Approved'));

    // THEN
    expect(sagemaker).toHaveReceivedCommandWith(ListEndpointConfigsCommand, { NameContains: ENDPOINT });
    expect(sagemaker).toHaveReceivedCommandTimes(DeleteEndpointConfigCommand, 1);
    expect(sagemaker).toHaveReceivedCommandWith(DeleteEndpointConfigCommand, { EndpointConfigName: oldConfig });
    expect(sagemaker).toHaveReceivedCommandTimes(DeleteModelCommand, 1);
    expect(sagemaker).toHaveReceivedCommandWith(DeleteModelCommand, { ModelName: oldConfig });
  });

  test('a failed clean-up of old resources does not fail the deployment', async () => {
    // GIVEN
    givenEndpoint({ servingVersion: 1 });
    givenApprovedPackages(2, 1);
    sagemaker.on(ListEndpointConfigsCommand).rejects(awsError('ThrottlingException', 'Rate exceeded'));
    const log = recordingLog();

    // WHEN
    const result = await deploy(packageEvent(2, 'Approved'), instanceSettings(), log);

    // THEN
    expect(result.outcome).toBe('updated');
    expect(log.entries).toContainEqual(expect.objectContaining({ level: 'warn', message: expect.stringMatching(/could not remove superseded/) }));
  });
});

describe('idempotency', () => {
  test('a duplicate event changes nothing and logs already-deployed', async () => {
    // GIVEN
    givenEndpoint({ servingVersion: 2 });
    givenApprovedPackages(2, 1);
    givenAutoscalingRegistered();
    const log = recordingLog();

    // WHEN
    const result = await deploy(packageEvent(2, 'Approved'), instanceSettings(), log);

    // THEN
    expectNothingChanged();
    expect(result).toMatchObject({ outcome: 'already-deployed', packageVersion: 2 });
    expect(log.entries).toEqual([
      expect.objectContaining({ level: 'info', attributes: expect.objectContaining({ outcome: 'already-deployed', packageVersion: 2, endpointName: ENDPOINT }) }),
    ]);
  });

  test('an older version approved after a newer one changes nothing', async () => {
    // GIVEN
    givenEndpoint({ servingVersion: 3 });
    givenApprovedPackages(3, 2, 1);
    givenAutoscalingRegistered();

    // WHEN
    const result = await deploy(packageEvent(2, 'Approved', 'late-approval'));

    // THEN
    expectNothingChanged();
    expect(result).toMatchObject({ outcome: 'already-deployed', packageVersion: 3 });
  });

  test('an older approval arriving while the newest is not deployed yet still deploys the newest', async () => {
    // GIVEN
    givenEndpoint({ servingVersion: 1 });
    givenApprovedPackages(3, 2, 1);

    // WHEN
    const result = await deploy(packageEvent(2, 'Approved', 'late-approval'));

    // THEN
    expect(sagemaker).toHaveReceivedCommandWith(CreateModelCommand, { PrimaryContainer: { ModelPackageName: packageArn(3) } });
    expect(result).toMatchObject({ outcome: 'updated', packageVersion: 3 });
  });

  test('model and endpoint config names are the same on every attempt, so a retry reuses them', async () => {
    // GIVEN
    givenNoEndpoint();
    givenApprovedPackages(1);
    const first = await deploy(packageEvent(1, 'Approved'));

    // WHEN
    const second = await deploy(packageEvent(1, 'Approved'));

    // THEN
    expect(second.endpointConfigName).toBe(first.endpointConfigName);
  });

  test('ignores pending approvals and other groups without calling AWS', async () => {
    // GIVEN
    const otherGroup = packageEvent(1, 'Approved');
    (otherGroup.detail as { ModelPackageGroupName: string }).ModelPackageGroupName = 'fraud';

    // WHEN
    const results = [await deploy(packageEvent(1, 'PendingManualApproval')), await deploy(otherGroup)];

    // THEN
    expect(results.map((result) => result.outcome)).toEqual(['ignored-event', 'ignored-event']);
    expect(sagemaker.calls()).toHaveLength(0);
  });
});

describe('refusals', () => {
  const base = packageEvent(1, 'Approved', 'event-malformed');
  const withDetail = (detail: unknown) => ({ ...base, detail }) as unknown as DeployerEvent;

  test.each([
    ['an event without detail', { ...base, detail: undefined }, /its detail is missing, not the object a "SageMaker Model Package State Change" event carries/],
    ['an event whose detail is a string', withDetail('{"ModelPackageArn":"x"}'), /its detail is the string "\{\\"ModelPackageArn\\":\\"x\\"\}", not the object/],
    ['an event whose detail is an array', withDetail([]), /its detail is an array/],
    [
      'a model package event without ModelPackageArn',
      withDetail({ ModelPackageGroupName: GROUP, ModelApprovalStatus: 'Approved' }),
      /its detail has no ModelPackageArn \(a "SageMaker Model Package State Change" event carries them as strings\)/,
    ],
    ['a model package event without group or status', withDetail({ ModelPackageArn: packageArn(1) }), /its detail has no ModelPackageGroupName, ModelApprovalStatus/],
    [
      'an endpoint event without EndpointName',
      { ...endpointInServiceEvent('event-malformed'), detail: { EndpointStatus: 'IN_SERVICE' } },
      /its detail has no EndpointName/,
    ],
    ['an endpoint event whose EndpointName is a number', { ...endpointInServiceEvent('event-malformed'), detail: { EndpointName: 42 } }, /no EndpointName/],
    ['an event without detail-type', { ...base, 'detail-type': undefined }, /the event has no detail-type/],
  ])('refuses %s: logs it once and returns without calling AWS', async (_, event, why) => {
    // GIVEN
    const log = recordingLog();
    // WHEN
    const result = await deploy(event as unknown as DeployerEvent, instanceSettings(), log);
    // THEN
    expect(result).toEqual({ outcome: 'refused-event', detail: expect.stringMatching(why) });
    expect(log.entries).toEqual([
      {
        level: 'warn',
        message: expect.stringMatching(/^refused the event: .*; it is dropped, not retried$/),
        attributes: expect.objectContaining({
          outcome: 'refused-event',
          eventId: 'event-malformed',
          source: 'aws.sagemaker',
          detailType: (event as { 'detail-type'?: string })['detail-type'],
          why: expect.stringMatching(why),
          retryable: false,
        }),
      },
    ]);
    expect(sagemaker.calls()).toHaveLength(0);
    expect(autoscaling.calls()).toHaveLength(0);
  });

  test.each([
    ['null', null, /the event is null, not an object/],
    ['a string', 'SageMaker Model Package State Change', /the event is the string .*, not an object/],
    ['an event without id', { ...base, id: undefined }, /the event has no id \(id is missing\)/],
    ['an event with an empty id', { ...base, id: '' }, /the event has no id/],
  ])('refuses %s without an event id to log', async (_, event, why) => {
    // GIVEN
    const log = recordingLog();
    // WHEN
    const result = await deploy(event as unknown as DeployerEvent, instanceSettings(), log);
    // THEN
    expect(result.outcome).toBe('refused-event');
    expect(log.entries).toHaveLength(1);
    expect(log.entries[0].attributes).toMatchObject({ outcome: 'refused-event', why: expect.stringMatching(why) });
    expect(sagemaker.calls()).toHaveLength(0);
  });

  test('an event of an unknown type is still ignored, not refused', async () => {
    // WHEN
    const result = await deploy({ ...base, 'detail-type': 'EC2 Instance State-change Notification', detail: 'anything' } as unknown as DeployerEvent);
    // THEN
    expect(result).toEqual({ outcome: 'ignored-event', detail: 'events of type "EC2 Instance State-change Notification" are not handled' });
  });

  test('a readable event of another group is ignored before its other fields matter', async () => {
    // WHEN
    const result = await deploy(withDetail({ ModelPackageGroupName: 'fraud', ModelPackageArn: 'arn:x', ModelApprovalStatus: 'Approved', ModelPackageVersion: 'seven' }));
    // THEN
    expect(result.outcome).toBe('ignored-event');
  });
});

describe('rejections', () => {
  test('rejecting the deployed version rolls back to the newest remaining approved one', async () => {
    // GIVEN
    givenEndpoint({ servingVersion: 3 });
    givenApprovedPackages(2, 1);

    // WHEN
    const result = await deploy(packageEvent(3, 'Rejected'));

    // THEN
    expect(sagemaker).toHaveReceivedCommandWith(CreateModelCommand, { PrimaryContainer: { ModelPackageName: packageArn(2) } });
    expect(sagemaker).toHaveReceivedCommandWith(UpdateEndpointCommand, { EndpointConfigName: result.endpointConfigName });
    expect(result).toMatchObject({ outcome: 'updated', packageVersion: 2 });
  });

  test('rejecting a version that is not deployed changes nothing', async () => {
    // GIVEN
    givenEndpoint({ servingVersion: 3 });
    givenApprovedPackages(3, 1);
    givenAutoscalingRegistered();

    // WHEN
    const result = await deploy(packageEvent(2, 'Rejected'));

    // THEN
    expectNothingChanged();
    expect(result).toMatchObject({ outcome: 'rejected-version-not-deployed', packageVersion: 3 });
  });

  test('no approved package left: the endpoint is kept, said so, and the outcome is final', async () => {
    // GIVEN
    givenEndpoint({ servingVersion: 1 });
    givenApprovedPackages();
    givenAutoscalingRegistered();
    const log = recordingLog();

    // WHEN
    const result = await deploy(packageEvent(1, 'Rejected'), instanceSettings(), log);

    // THEN
    expectNothingChanged();
    expect(result.outcome).toBe('no-approved-package');
    expect(result.detail).toMatch(/no approved package left: the endpoint is NOT deleted and keeps serving version 1/);
    expect(log.entries).toContainEqual(expect.objectContaining({ level: 'warn', attributes: expect.objectContaining({ outcome: 'no-approved-package' }) }));
  });

  test('no approved package at all: no endpoint is created', async () => {
    // GIVEN
    givenNoEndpoint();
    givenApprovedPackages();

    // WHEN
    const result = await deploy(endpointInServiceEvent());

    // THEN
    expectNothingChanged();
    expect(result).toMatchObject({ outcome: 'no-approved-package', detail: expect.stringMatching(/no endpoint is created/) });
  });
});

describe('endpoint state', () => {
  test.each(['Creating', 'Updating', 'SystemUpdating', 'RollingBack'])('fails with a retryable EndpointBusyError while the endpoint is %s', async (status) => {
    // GIVEN
    givenEndpoint({ status, servingVersion: 1 });
    givenApprovedPackages(2, 1);
    const log = recordingLog();

    // WHEN
    const deployment = deploy(packageEvent(2, 'Approved'), instanceSettings(), log);

    // THEN
    await expect(deployment).rejects.toThrow(EndpointBusyError);
    await expect(deployment).rejects.toThrow(new RegExp(`endpoint "${ENDPOINT}" is ${status}`));
    expectNothingChanged();
    expect(log.entries).toContainEqual(expect.objectContaining({ attributes: expect.objectContaining({ outcome: 'endpoint-busy', retryable: true }) }));
  });

  test('fails with a final DeploymentFailedError when the endpoint is Failed', async () => {
    // GIVEN
    sagemaker.on(DescribeEndpointCommand).resolves({
      EndpointName: ENDPOINT,
      EndpointArn: ENDPOINT_ARN,
      EndpointConfigName: configName(1),
      EndpointStatus: 'Failed',
      FailureReason: 'The primary container did not pass the ping health check',
    });
    givenApprovedPackages(2, 1);

    // WHEN / THEN
    await expect(deploy(packageEvent(2, 'Approved'))).rejects.toThrow(
      new DeploymentFailedError(
        `endpoint "${ENDPOINT}" is Failed (The primary container did not pass the ping health check): an operator has to repair or delete it; ` +
          'the next package event then deploys the newest approved version',
      ),
    );
    expectNothingChanged();
  });

  test('registers autoscaling once the endpoint is InService, for instance variants', async () => {
    // GIVEN
    givenEndpoint({ servingVersion: 1 });
    givenApprovedPackages(1);

    // WHEN
    const result = await deploy(endpointInServiceEvent());

    // THEN
    expect(autoscaling).toHaveReceivedCommandWith(RegisterScalableTargetCommand, {
      ServiceNamespace: 'sagemaker',
      ResourceId: `endpoint/${ENDPOINT}/variant/AllTraffic`,
      ScalableDimension: 'sagemaker:variant:DesiredInstanceCount',
      MinCapacity: 2,
      MaxCapacity: 6,
    });
    expect(autoscaling).toHaveReceivedCommandWith(PutScalingPolicyCommand, {
      PolicyName: 'cdk-mlops-invocations-per-instance',
      ResourceId: `endpoint/${ENDPOINT}/variant/AllTraffic`,
      PolicyType: 'TargetTrackingScaling',
      TargetTrackingScalingPolicyConfiguration: {
        TargetValue: 100,
        PredefinedMetricSpecification: { PredefinedMetricType: 'SageMakerVariantInvocationsPerInstance' },
      },
    });
    expect(result.outcome).toBe('already-deployed');
  });

  test('never registers autoscaling for serverless variants', async () => {
    // GIVEN
    givenEndpoint({ servingVersion: 1, instanceType: null });
    givenApprovedPackages(1);

    // WHEN
    await deploy(endpointInServiceEvent(), SERVERLESS_SETTINGS);

    // THEN
    expect(autoscaling.calls()).toHaveLength(0);
  });

  test('ignores state changes of other endpoints', async () => {
    // GIVEN
    const event = endpointInServiceEvent();
    (event.detail as { EndpointName: string }).EndpointName = 'another-endpoint';

    // WHEN
    const result = await deploy(event);

    // THEN
    expect(result.outcome).toBe('ignored-event');
    expect(sagemaker.calls()).toHaveLength(0);
  });
});

describe('data-quality monitoring', () => {
  const SCHEDULE = 'churn-prod-data-quality';
  const MONITORING: MonitoringSettings = {
    scheduleName: SCHEDULE,
    scheduleExpression: 'cron(0 0 ? * * *)',
    imageUri: '156813124566.dkr.ecr.us-east-1.amazonaws.com/sagemaker-model-monitor-analyzer',
    roleArn: 'arn:aws:iam::111122223333:role/monitoring',
    outputS3Uri: 's3://data-bucket/monitoring/',
    instanceType: 'ml.m5.xlarge',
  };
  const monitored = () => instanceSettings({ monitoring: MONITORING });
  const jobDefinitionArn = (name: string) => `${ACCOUNT_ARN}:data-quality-job-definition/${name}`;

  function givenBaseline(version: number) {
    sagemaker.on(DescribeModelPackageCommand, { ModelPackageName: packageArn(version) }).resolves({
      ModelPackageArn: packageArn(version),
      ModelMetrics: {
        ModelDataQuality: {
          Statistics: { ContentType: 'application/json', S3Uri: `s3://artifacts/baseline/v${version}/statistics.json` },
          Constraints: { ContentType: 'application/json', S3Uri: `s3://artifacts/baseline/v${version}/constraints.json` },
        },
      },
    });
  }

  function givenSchedule(jobDefinitionName: string | undefined, status = 'Scheduled') {
    if (!jobDefinitionName) {
      sagemaker.on(DescribeMonitoringScheduleCommand).rejects(awsError('ResourceNotFound', `Monitoring schedule ${SCHEDULE} does not exist.`));
      return;
    }
    sagemaker.on(DescribeMonitoringScheduleCommand).resolves({
      MonitoringScheduleArn: `${ACCOUNT_ARN}:monitoring-schedule/${SCHEDULE}`,
      MonitoringScheduleName: SCHEDULE,
      MonitoringScheduleStatus: status as never,
      EndpointName: ENDPOINT,
      MonitoringScheduleConfig: {
        ScheduleConfig: { ScheduleExpression: MONITORING.scheduleExpression },
        MonitoringJobDefinitionName: jobDefinitionName,
        MonitoringType: 'DataQuality',
      },
      CreationTime: new Date(),
      LastModifiedTime: new Date(),
    });
  }

  /** Job definitions of these names, `owner` tagging them; the one being created is listed with them. */
  function givenJobDefinitions(existing: Array<{ name: string; owner?: string }>) {
    const listed = [...existing];
    const list = () =>
      sagemaker.on(ListDataQualityJobDefinitionsCommand).resolves({
        JobDefinitionSummaries: listed.map(({ name }) => ({ MonitoringJobDefinitionName: name, MonitoringJobDefinitionArn: jobDefinitionArn(name), CreationTime: new Date(), EndpointName: ENDPOINT })),
      });
    const tag = ({ name, owner }: { name: string; owner?: string }) =>
      sagemaker.on(ListTagsCommand, { ResourceArn: jobDefinitionArn(name) }).resolves({ Tags: owner ? [{ Key: TAG.ENDPOINT, Value: owner }] : [] });
    existing.forEach(tag);
    list();
    sagemaker.on(CreateDataQualityJobDefinitionCommand).callsFake((input: CreateDataQualityJobDefinitionCommandInput) => {
      const created = { name: input.JobDefinitionName ?? '', owner: ENDPOINT };
      listed.push(created);
      tag(created);
      list();
      return { JobDefinitionArn: jobDefinitionArn(created.name) };
    });
  }

  const monitoringCalls = () =>
    sagemaker.calls().filter((call) => /MonitoringSchedule|DataQuality|DescribeModelPackage/.test((call.args[0] as object).constructor.name));

  test('the first deployment leaves monitoring to the InService event, which creates the schedule on the package baseline', async () => {
    // GIVEN
    givenNoEndpoint();
    givenApprovedPackages(1);
    givenBaseline(1);
    givenSchedule(undefined);

    // WHEN
    const created = await deploy(packageEvent(1, 'Approved'), monitored());

    // THEN monitoring waits for the endpoint
    expect(created.outcome).toBe('created');
    expect(monitoringCalls()).toEqual([]);

    // WHEN the endpoint reaches InService on the requested config
    givenEndpoint({ servingVersion: 1, servingConfig: created.endpointConfigName });
    givenAutoscalingRegistered();
    const log = recordingLog();
    const inService = await deploy(endpointInServiceEvent(), monitored(), log);

    // THEN
    expect(inService.outcome).toBe('already-deployed');
    expect(sagemaker).toHaveReceivedCommandWith(DescribeModelPackageCommand, { ModelPackageName: packageArn(1) });
    expect(sagemaker).toHaveReceivedCommandWith(CreateDataQualityJobDefinitionCommand, {
      JobDefinitionName: expect.stringMatching(/^churn-prod-dq-v1-[0-9a-f]{8}$/),
      DataQualityBaselineConfig: {
        ConstraintsResource: { S3Uri: 's3://artifacts/baseline/v1/constraints.json' },
        StatisticsResource: { S3Uri: 's3://artifacts/baseline/v1/statistics.json' },
      },
      DataQualityJobInput: { EndpointInput: expect.objectContaining({ EndpointName: ENDPOINT }) },
      DataQualityJobOutputConfig: {
        MonitoringOutputs: [{ S3Output: expect.objectContaining({ S3Uri: 's3://data-bucket/monitoring/churn-prod' }) }],
        KmsKeyId: 'alias/capture',
      },
      JobResources: { ClusterConfig: { InstanceCount: 1, InstanceType: 'ml.m5.xlarge', VolumeSizeInGB: 20, VolumeKmsKeyId: 'alias/endpoint-volume' } },
      NetworkConfig: {
        EnableNetworkIsolation: true,
        EnableInterContainerTrafficEncryption: true,
        VpcConfig: { Subnets: ['subnet-0a1', 'subnet-0b2'], SecurityGroupIds: ['sg-0c3'] },
      },
      RoleArn: 'arn:aws:iam::111122223333:role/monitoring',
      StoppingCondition: { MaxRuntimeInSeconds: 3600 },
    });
    const jobDefinitionName = sagemaker.commandCalls(CreateDataQualityJobDefinitionCommand)[0].args[0].input.JobDefinitionName;
    expect(sagemaker).toHaveReceivedCommandWith(CreateMonitoringScheduleCommand, {
      MonitoringScheduleName: SCHEDULE,
      MonitoringScheduleConfig: { ScheduleConfig: { ScheduleExpression: 'cron(0 0 ? * * *)' }, MonitoringJobDefinitionName: jobDefinitionName, MonitoringType: 'DataQuality' },
    });
    expect(log.entries).toContainEqual(
      expect.objectContaining({
        level: 'info',
        message: 'created the data-quality monitoring schedule',
        attributes: expect.objectContaining({ scheduleName: SCHEDULE, jobDefinitionName, packageVersion: 1, eventId: 'event-endpoint-in-service' }),
      }),
    );
  });

  test('a new version: the schedule moves to its job definition once it is InService, and older job definitions are deleted, not the current', async () => {
    // GIVEN an endpoint monitored on version 1
    const oldJobDefinition = 'churn-prod-dq-v1-aaaaaaaa';
    givenEndpoint({ servingVersion: 1 });
    givenApprovedPackages(2, 1);
    givenBaseline(1);
    givenBaseline(2);
    givenSchedule(oldJobDefinition);
    givenAutoscalingRegistered();
    givenJobDefinitions([
      { name: oldJobDefinition, owner: ENDPOINT },
      { name: 'churn-prod-dq-dq-v1-bbbbbbbb', owner: 'churn-prod-dq' },
    ]);

    // WHEN version 2 is approved
    const updated = await deploy(packageEvent(2, 'Approved'), monitored());

    // THEN the schedule keeps watching version 1 while the endpoint updates
    expect(updated.outcome).toBe('updated');
    expect(monitoringCalls()).toEqual([]);

    // WHEN the update reaches InService
    givenEndpoint({ servingVersion: 2, servingConfig: updated.endpointConfigName });
    const log = recordingLog();
    await deploy(endpointInServiceEvent('event-after-update'), monitored(), log);

    // THEN
    const jobDefinitionName = sagemaker.commandCalls(CreateDataQualityJobDefinitionCommand)[0]?.args[0].input.JobDefinitionName;
    expect(jobDefinitionName).toMatch(/^churn-prod-dq-v2-[0-9a-f]{8}$/);
    expect(sagemaker).toHaveReceivedCommandWith(UpdateMonitoringScheduleCommand, {
      MonitoringScheduleName: SCHEDULE,
      MonitoringScheduleConfig: expect.objectContaining({ MonitoringJobDefinitionName: jobDefinitionName }),
    });
    expect(sagemaker).not.toHaveReceivedCommand(CreateMonitoringScheduleCommand);
    expect(sagemaker).toHaveReceivedCommandWith(ListDataQualityJobDefinitionsCommand, { NameContains: 'churn-prod-dq' });
    expect(sagemaker).toHaveReceivedCommandTimes(DeleteDataQualityJobDefinitionCommand, 1);
    expect(sagemaker).toHaveReceivedCommandWith(DeleteDataQualityJobDefinitionCommand, { JobDefinitionName: oldJobDefinition });
    expect(log.entries).toContainEqual(
      expect.objectContaining({ message: 'removed superseded data-quality job definitions', attributes: expect.objectContaining({ jobDefinitionNames: [oldJobDefinition] }) }),
    );
  });

  test('a duplicate InService event changes nothing', async () => {
    // GIVEN the schedule already runs the served package's job definition
    givenEndpoint({ servingVersion: 1 });
    givenApprovedPackages(1);
    givenBaseline(1);
    givenSchedule(undefined);
    givenAutoscalingRegistered();
    await deploy(endpointInServiceEvent('first'), monitored());
    givenSchedule(sagemaker.commandCalls(CreateDataQualityJobDefinitionCommand)[0].args[0].input.JobDefinitionName);
    sagemaker.resetHistory();
    const log = recordingLog();

    // WHEN
    const result = await deploy(endpointInServiceEvent('first'), monitored(), log);

    // THEN
    expectNothingChanged();
    expect(sagemaker).toHaveReceivedCommand(DescribeMonitoringScheduleCommand);
    expect(result.outcome).toBe('already-deployed');
    expect(log.entries).toEqual([expect.objectContaining({ level: 'info', attributes: expect.objectContaining({ outcome: 'already-deployed' }) })]);
  });

  test('a package without a baseline is served unmonitored, with a warning', async () => {
    // GIVEN
    givenEndpoint({ servingVersion: 1 });
    givenApprovedPackages(1);
    sagemaker.on(DescribeModelPackageCommand).resolves({ ModelPackageArn: packageArn(1) });
    givenAutoscalingRegistered();
    const log = recordingLog();

    // WHEN
    const result = await deploy(endpointInServiceEvent(), monitored(), log);

    // THEN
    expect(result.outcome).toBe('already-deployed');
    expectNothingChanged();
    expect(sagemaker).not.toHaveReceivedCommand(DescribeMonitoringScheduleCommand);
    expect(log.entries).toContainEqual(
      expect.objectContaining({
        level: 'warn',
        message: 'monitoring-skipped',
        attributes: expect.objectContaining({ scheduleName: SCHEDULE, packageVersion: 1, reason: expect.stringMatching(/^model package version 1 has no ModelMetrics\.ModelDataQuality\.Statistics\.S3Uri/) }),
      }),
    );
  });

  test('serverless endpoints are never monitored', async () => {
    // GIVEN
    givenEndpoint({ servingVersion: 1, instanceType: null });
    givenApprovedPackages(1);

    // WHEN
    await deploy(endpointInServiceEvent(), SERVERLESS_SETTINGS);

    // THEN
    expect(monitoringCalls()).toEqual([]);
  });

  test('a Pending schedule fails the InService event with a retryable error, after autoscaling is registered', async () => {
    // GIVEN
    givenEndpoint({ servingVersion: 1 });
    givenApprovedPackages(1);
    givenBaseline(1);
    givenSchedule('churn-prod-dq-v0-aaaaaaaa', 'Pending');
    const log = recordingLog();

    // WHEN
    const deployment = deploy(endpointInServiceEvent(), monitored(), log);

    // THEN
    await expect(deployment).rejects.toThrow(MonitoringScheduleBusyError);
    await expect(deployment).rejects.toThrow(`monitoring schedule "${SCHEDULE}" is Pending; monitoring is brought up to date once it settles`);
    expect(autoscaling).toHaveReceivedCommand(RegisterScalableTargetCommand);
    expect(sagemaker).not.toHaveReceivedCommand(CreateDataQualityJobDefinitionCommand);
    expect(sagemaker).not.toHaveReceivedCommand(UpdateMonitoringScheduleCommand);
    expect(log.entries.at(-1)).toMatchObject({
      level: 'warn',
      attributes: { outcome: 'monitoring-schedule-busy', step: 'ensure-monitoring', scheduleStatus: 'Pending', retryable: true },
    });
  });

  test('a failed clean-up of old job definitions does not fail the event', async () => {
    // GIVEN
    givenEndpoint({ servingVersion: 2 });
    givenApprovedPackages(2, 1);
    givenBaseline(2);
    givenSchedule('churn-prod-dq-v1-aaaaaaaa');
    givenAutoscalingRegistered();
    sagemaker.on(ListDataQualityJobDefinitionsCommand).rejects(awsError('ThrottlingException', 'Rate exceeded'));
    const log = recordingLog();

    // WHEN
    const result = await deploy(endpointInServiceEvent(), monitored(), log);

    // THEN
    expect(result.outcome).toBe('already-deployed');
    expect(sagemaker).toHaveReceivedCommand(UpdateMonitoringScheduleCommand);
    expect(log.entries).toContainEqual(
      expect.objectContaining({ level: 'warn', message: expect.stringMatching(/could not remove superseded data-quality job definitions/) }),
    );
  });
});

// The monitoring-schedule actions are answered by the SDK mock: moto 5.2.1 lacks them.
describe('model-quality monitoring', () => {
  const DQ_SCHEDULE = 'churn-prod-data-quality';
  const MQ_SCHEDULE = 'churn-prod-model-quality';
  const MONITORING: MonitoringSettings = {
    scheduleName: DQ_SCHEDULE,
    scheduleExpression: 'cron(0 0 ? * * *)',
    imageUri: '156813124566.dkr.ecr.us-east-1.amazonaws.com/sagemaker-model-monitor-analyzer',
    roleArn: 'arn:aws:iam::111122223333:role/monitoring',
    outputS3Uri: 's3://data-bucket/monitoring/',
    instanceType: 'ml.m5.xlarge',
    modelQuality: {
      scheduleName: MQ_SCHEDULE,
      scheduleExpression: 'cron(0 * ? * * *)',
      problemType: 'BinaryClassification',
      groundTruthS3Uri: 's3://data-bucket/ground-truth/',
      startTimeOffset: '-PT25H',
      endTimeOffset: '-PT24H',
      probabilityThreshold: 0.5,
    },
  };
  const monitored = () => instanceSettings({ monitoring: MONITORING });
  const notFound = (name: string) => awsError('ResourceNotFound', `Monitoring schedule ${name} does not exist.`);

  function givenBaseline(version: number) {
    sagemaker.on(DescribeModelPackageCommand, { ModelPackageName: packageArn(version) }).resolves({
      ModelPackageArn: packageArn(version),
      ModelMetrics: {
        ModelDataQuality: {
          Statistics: { ContentType: 'application/json', S3Uri: `s3://artifacts/baseline/v${version}/statistics.json` },
          Constraints: { ContentType: 'application/json', S3Uri: `s3://artifacts/baseline/v${version}/constraints.json` },
        },
      },
    });
  }

  beforeEach(() => {
    sagemaker.on(ListDataQualityJobDefinitionsCommand).resolves({ JobDefinitionSummaries: [] });
    sagemaker.on(ListModelQualityJobDefinitionsCommand).resolves({ JobDefinitionSummaries: [] });
  });

  test('the InService event creates the model-quality schedule beside the data-quality one', async () => {
    // GIVEN
    givenEndpoint({ servingVersion: 1 });
    givenApprovedPackages(1);
    givenBaseline(1);
    givenAutoscalingRegistered();
    sagemaker.on(DescribeMonitoringScheduleCommand, { MonitoringScheduleName: DQ_SCHEDULE }).rejects(notFound(DQ_SCHEDULE));
    sagemaker.on(DescribeMonitoringScheduleCommand, { MonitoringScheduleName: MQ_SCHEDULE }).rejects(notFound(MQ_SCHEDULE));
    const log = recordingLog();

    // WHEN
    const result = await deploy(endpointInServiceEvent(), monitored(), log);

    // THEN
    expect(result.outcome).toBe('already-deployed');
    expect(sagemaker).toHaveReceivedCommandWith(CreateModelQualityJobDefinitionCommand, {
      JobDefinitionName: expect.stringMatching(/^churn-prod-mq-v1-[0-9a-f]{8}$/),
      ModelQualityAppSpecification: expect.objectContaining({ ProblemType: 'BinaryClassification' }),
      ModelQualityJobInput: expect.objectContaining({ GroundTruthS3Input: { S3Uri: 's3://data-bucket/ground-truth/churn-prod' } }),
    });
    const mqName = sagemaker.commandCalls(CreateModelQualityJobDefinitionCommand)[0].args[0].input.JobDefinitionName;
    expect(sagemaker).toHaveReceivedCommandWith(CreateMonitoringScheduleCommand, {
      MonitoringScheduleName: MQ_SCHEDULE,
      MonitoringScheduleConfig: { ScheduleConfig: { ScheduleExpression: 'cron(0 * ? * * *)' }, MonitoringJobDefinitionName: mqName, MonitoringType: 'ModelQuality' },
    });
    expect(sagemaker).toHaveReceivedCommandWith(CreateMonitoringScheduleCommand, { MonitoringScheduleName: DQ_SCHEDULE });
    expect(log.entries).toContainEqual(
      expect.objectContaining({ message: 'created the model-quality monitoring schedule', attributes: expect.objectContaining({ scheduleName: MQ_SCHEDULE, jobDefinitionName: mqName }) }),
    );
  });

  test('a package without a data-quality baseline is still watched for model quality', async () => {
    // GIVEN
    givenEndpoint({ servingVersion: 1 });
    givenApprovedPackages(1);
    sagemaker.on(DescribeModelPackageCommand).resolves({ ModelPackageArn: packageArn(1) });
    givenAutoscalingRegistered();
    sagemaker.on(DescribeMonitoringScheduleCommand, { MonitoringScheduleName: MQ_SCHEDULE }).rejects(notFound(MQ_SCHEDULE));
    const log = recordingLog();

    // WHEN
    await deploy(endpointInServiceEvent(), monitored(), log);

    // THEN
    expect(sagemaker).not.toHaveReceivedCommand(CreateDataQualityJobDefinitionCommand);
    expect(sagemaker).toHaveReceivedCommandWith(CreateMonitoringScheduleCommand, { MonitoringScheduleName: MQ_SCHEDULE });
    expect(log.entries).toContainEqual(expect.objectContaining({ level: 'warn', message: 'monitoring-skipped' }));
  });

  test('a Pending data-quality schedule fails the event with a retryable error, after the model-quality schedule is brought up to date', async () => {
    // GIVEN
    givenEndpoint({ servingVersion: 1 });
    givenApprovedPackages(1);
    givenBaseline(1);
    givenAutoscalingRegistered();
    sagemaker.on(DescribeMonitoringScheduleCommand, { MonitoringScheduleName: DQ_SCHEDULE }).resolves({
      MonitoringScheduleName: DQ_SCHEDULE,
      MonitoringScheduleStatus: 'Pending',
      MonitoringScheduleArn: `${ACCOUNT_ARN}:monitoring-schedule/${DQ_SCHEDULE}`,
      CreationTime: new Date(),
      LastModifiedTime: new Date(),
    });
    sagemaker.on(DescribeMonitoringScheduleCommand, { MonitoringScheduleName: MQ_SCHEDULE }).rejects(notFound(MQ_SCHEDULE));

    // WHEN
    const deployment = deploy(endpointInServiceEvent(), monitored());

    // THEN
    await expect(deployment).rejects.toThrow(new MonitoringScheduleBusyError(DQ_SCHEDULE, 'Pending'));
    expect(sagemaker).toHaveReceivedCommandWith(CreateMonitoringScheduleCommand, { MonitoringScheduleName: MQ_SCHEDULE });
    expect(sagemaker).not.toHaveReceivedCommandWith(CreateMonitoringScheduleCommand, { MonitoringScheduleName: DQ_SCHEDULE });
  });
});

describe('silent rollback', () => {
  test('is reported as a failure, recorded on the endpoint, and not deployed over', async () => {
    // GIVEN the deployer asked for version 2's config, but the endpoint is back on version 1's
    const requested = configName(2);
    givenEndpoint({ servingVersion: 1, endpointTags: { [TAG.ENDPOINT]: ENDPOINT, [TAG.REQUESTED_CONFIG]: requested } });
    givenDeployerConfig(requested, 2);
    givenApprovedPackages(2, 1);
    const log = recordingLog();

    // WHEN
    const deployment = deploy(endpointInServiceEvent('event-after-update'), instanceSettings(), log);

    // THEN
    await expect(deployment).rejects.toThrow(SilentRollbackError);
    await expect(deployment).rejects.toThrow(/back on endpoint config "churn-prod-v1-00000001".*model package .*churn\/2/);
    expect(sagemaker).toHaveReceivedCommandWith(AddTagsCommand, {
      ResourceArn: ENDPOINT_ARN,
      Tags: [
        { Key: TAG.REQUESTED_CONFIG, Value: configName(1) },
        { Key: TAG.ROLLED_BACK_PACKAGE_ARN, Value: packageArn(2) },
        { Key: TAG.ROLLBACK_DETECTED_BY_EVENT, Value: 'event-after-update' },
      ],
    });
    expect(sagemaker).not.toHaveReceivedCommand(UpdateEndpointCommand);
    expect(sagemaker).not.toHaveReceivedCommand(CreateModelCommand);
    expect(log.entries).toContainEqual(
      expect.objectContaining({
        level: 'error',
        message: 'SageMaker rolled back the requested endpoint update',
        attributes: expect.objectContaining({ requestedConfigName: requested, servingConfigName: configName(1), rolledBackPackageVersion: 2 }),
      }),
    );
    expect(log.entries.at(-1)).toMatchObject({
      level: 'error',
      attributes: { outcome: 'SilentRollbackError', retryable: false, eventId: 'event-after-update', endpointName: ENDPOINT },
    });
  });

  test('retries of the event that found it fail the same way, so it reaches the dead-letter queue', async () => {
    // GIVEN the rollback was recorded by this event's first attempt
    givenEndpoint({
      servingVersion: 1,
      endpointTags: {
        [TAG.REQUESTED_CONFIG]: configName(1),
        [TAG.ROLLED_BACK_PACKAGE_ARN]: packageArn(2),
        [TAG.ROLLBACK_DETECTED_BY_EVENT]: 'event-after-update',
      },
    });
    givenApprovedPackages(2, 1);

    // WHEN / THEN
    await expect(deploy(endpointInServiceEvent('event-after-update'))).rejects.toThrow(SilentRollbackError);
    expectNothingChanged();
  });

  test('later events do not retry the rolled-back version forever', async () => {
    // GIVEN
    givenEndpoint({
      servingVersion: 1,
      endpointTags: {
        [TAG.REQUESTED_CONFIG]: configName(1),
        [TAG.ROLLED_BACK_PACKAGE_ARN]: packageArn(2),
        [TAG.ROLLBACK_DETECTED_BY_EVENT]: 'event-after-update',
      },
    });
    givenApprovedPackages(2, 1);
    givenAutoscalingRegistered();

    // WHEN
    const result = await deploy(packageEvent(2, 'Approved', 'duplicate-approval'));

    // THEN
    expectNothingChanged();
    expect(result).toMatchObject({ outcome: 'rolled-back-version-skipped', packageVersion: 2 });
  });

  test('a newer approved version is deployed after a rollback', async () => {
    // GIVEN
    givenEndpoint({
      servingVersion: 1,
      endpointTags: { [TAG.REQUESTED_CONFIG]: configName(1), [TAG.ROLLED_BACK_PACKAGE_ARN]: packageArn(2) },
    });
    givenApprovedPackages(3, 2, 1);

    // WHEN
    const result = await deploy(packageEvent(3, 'Approved'));

    // THEN
    expect(result).toMatchObject({ outcome: 'updated', packageVersion: 3 });
  });
});

describe('failures', () => {
  test('throttling is rethrown as it is, and the next invocation succeeds', async () => {
    // GIVEN
    givenNoEndpoint();
    givenApprovedPackages(1);
    sagemaker.on(CreateEndpointConfigCommand).rejectsOnce(awsError('ThrottlingException', 'Rate exceeded')).resolves({});
    const log = recordingLog();

    // WHEN
    const first = deploy(packageEvent(1, 'Approved', 'throttled'), instanceSettings(), log);

    // THEN
    await expect(first).rejects.toMatchObject({ name: 'ThrottlingException' });
    expect(sagemaker).not.toHaveReceivedCommand(CreateEndpointCommand);
    expect(log.entries).toContainEqual(
      expect.objectContaining({ attributes: expect.objectContaining({ step: 'create-endpoint-config', retryable: true, errorName: 'ThrottlingException' }) }),
    );

    // WHEN the event is retried; the model from the first attempt already exists
    sagemaker.on(CreateModelCommand).rejects(awsError('ValidationException', 'Cannot create already existing model "arn".'));
    const retry = await deploy(packageEvent(1, 'Approved', 'throttled'));

    // THEN
    expect(retry.outcome).toBe('created');
    expect(sagemaker).toHaveReceivedCommandTimes(CreateEndpointCommand, 1);
  });

  test('a 5xx from UpdateEndpoint is rethrown and the recorded request is put back', async () => {
    // GIVEN
    givenEndpoint({ servingVersion: 1 });
    givenApprovedPackages(2, 1);
    sagemaker.on(UpdateEndpointCommand).rejects(awsError('InternalFailure', 'We encountered an internal error', 500));

    // WHEN
    const deployment = deploy(packageEvent(2, 'Approved'));

    // THEN
    await expect(deployment).rejects.toMatchObject({ name: 'InternalFailure' });
    expect(sagemaker).toHaveReceivedCommandTimes(AddTagsCommand, 2);
    expect(sagemaker).toHaveReceivedNthSpecificCommandWith(2, AddTagsCommand, {
      ResourceArn: ENDPOINT_ARN,
      Tags: [{ Key: TAG.REQUESTED_CONFIG, Value: configName(1) }],
    });
  });

  test('an update refused because another one is in progress is retried', async () => {
    // GIVEN
    givenEndpoint({ servingVersion: 1 });
    givenApprovedPackages(2, 1);
    sagemaker.on(UpdateEndpointCommand).rejects(awsError('ValidationException', `Cannot update in-progress endpoint "${ENDPOINT_ARN}".`));

    // WHEN / THEN
    await expect(deploy(packageEvent(2, 'Approved'))).rejects.toThrow(EndpointBusyError);
  });

  test('a request that can never succeed fails with DeploymentFailedError naming the step', async () => {
    // GIVEN
    givenNoEndpoint();
    givenApprovedPackages(1);
    const cause = awsError('ValidationException', `Model package ${packageArn(1)} does not exist.`);
    sagemaker.on(CreateModelCommand).rejects(cause);
    const log = recordingLog();

    // WHEN
    const deployment = deploy(packageEvent(1, 'Approved'), instanceSettings(), log);

    // THEN
    await expect(deployment).rejects.toThrow(DeploymentFailedError);
    await expect(deployment).rejects.toThrow(/^create-model failed and retrying cannot fix it: ValidationException: Model package .* does not exist\.$/);
    await expect(deployment).rejects.toMatchObject({ cause });
    expect(log.entries).toContainEqual(
      expect.objectContaining({
        level: 'error',
        attributes: expect.objectContaining({ outcome: 'DeploymentFailedError', step: 'create-model', retryable: false, eventId: 'event-Approved-1' }),
      }),
    );
  });
});

describe('names', () => {
  test('stay within 63 characters and the SageMaker pattern for a 63-character endpoint name', async () => {
    // GIVEN
    const longName = `a${'-b'.repeat(30)}cd`;
    expect(longName).toHaveLength(63);
    givenNoEndpoint();
    sagemaker.on(ListModelPackagesCommand).resolves({
      ModelPackageSummaryList: [{ ModelPackageArn: packageArn(1234567890), ModelPackageVersion: 1234567890, ModelPackageStatus: 'Completed', CreationTime: new Date() }],
    });

    // WHEN
    const result = await deploy(packageEvent(1234567890, 'Approved'), { ...instanceSettings(), endpointName: longName });

    // THEN
    const name = result.endpointConfigName ?? '';
    expect(name.length).toBeLessThanOrEqual(63);
    expect(name).toMatch(NAME_PATTERN);
    expect(name).toMatch(/^a-b-b.*-v1234567890-[0-9a-f]{8}$/);
    expect(sagemaker).toHaveReceivedCommandWith(CreateModelCommand, { ModelName: name });
  });

  test.each([
    ['a'.repeat(63), 1],
    ['a'.repeat(63), 9999999999],
    ['x', 1],
    [`${'a'.repeat(41)}-${'b'.repeat(21)}`, 12],
  ])('deploymentResourceName(%s, %d) is valid', (endpointName, version) => {
    // WHEN
    const name = deploymentResourceName(endpointName, version, 'f'.repeat(64));

    // THEN
    expect(name.length).toBeLessThanOrEqual(63);
    expect(name).toMatch(NAME_PATTERN);
  });
});

describe('handler', () => {
  const context = {
    functionName: 'deployer',
    functionVersion: '$LATEST',
    invokedFunctionArn: 'arn:aws:lambda:us-east-1:111122223333:function:deployer',
    memoryLimitInMB: '256',
    awsRequestId: 'request-1',
    logGroupName: '/aws/lambda/deployer',
    logStreamName: 'stream',
    callbackWaitsForEmptyEventLoop: true,
    getRemainingTimeInMillis: () => 60_000,
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
  const savedEnv = { ...process.env };
  let index: typeof import('../../lambda/deployer/index');

  beforeAll(async () => {
    // The handler's Powertools logger reads its level when the module loads.
    process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';
    index = await import('../../lambda/deployer/index');
  });
  afterEach(() => {
    process.env = { ...savedEnv };
  });

  test('reads its settings from the environment and deploys', async () => {
    // GIVEN
    Object.assign(process.env, {
      ENDPOINT_NAME: ENDPOINT,
      MODEL_PACKAGE_GROUP_NAME: GROUP,
      MODEL_EXECUTION_ROLE_ARN: 'arn:aws:iam::111122223333:role/model-execution',
      VARIANT_TYPE: 'serverless',
      SERVERLESS_MEMORY_MB: '1024',
      SERVERLESS_MAX_CONCURRENCY: '2',
    });
    givenNoEndpoint();
    givenApprovedPackages(1);

    // WHEN
    const result = await index.handler(packageEvent(1, 'Approved'), context);

    // THEN
    expect(result).toMatchObject({ outcome: 'created', packageVersion: 1 });
    expect(sagemaker).toHaveReceivedCommandWith(CreateEndpointConfigCommand, {
      ProductionVariants: [expect.objectContaining({ ServerlessConfig: { MemorySizeInMB: 1024, MaxConcurrency: 2 } })],
    });
  });

  test('says once per execution environment why it keeps no monitoring schedule', async () => {
    // GIVEN a fresh execution environment, and events that need no AWS call
    Object.assign(process.env, {
      ENDPOINT_NAME: ENDPOINT,
      MODEL_PACKAGE_GROUP_NAME: GROUP,
      MODEL_EXECUTION_ROLE_ARN: 'arn:aws:iam::111122223333:role/model-execution',
      VARIANT_TYPE: 'serverless',
      SERVERLESS_MEMORY_MB: '1024',
      SERVERLESS_MAX_CONCURRENCY: '2',
    });
    let fresh: typeof index | undefined;
    let FreshLogger: typeof Logger | undefined;
    await jest.isolateModulesAsync(async () => {
      FreshLogger = (await import('@aws-lambda-powertools/logger')).Logger;
      fresh = await import('../../lambda/deployer/index');
    });
    const info = jest.spyOn(FreshLogger!.prototype, 'info');
    const otherGroup = packageEvent(1, 'Approved');
    (otherGroup.detail as { ModelPackageGroupName: string }).ModelPackageGroupName = 'another-group';

    // WHEN
    await fresh!.handler(otherGroup, context);
    await fresh!.handler(otherGroup, context);

    // THEN
    expect(info.mock.calls.filter(([message]) => message === 'monitoring-off')).toEqual([
      ['monitoring-off', { endpointName: ENDPOINT, reason: 'serverless endpoints capture no data for Model Monitor to analyse' }],
    ]);
  });

  test('refuses an event it cannot read and returns normally, so it is not retried into the dead-letter queue', async () => {
    // GIVEN
    Object.assign(process.env, {
      ENDPOINT_NAME: ENDPOINT,
      MODEL_PACKAGE_GROUP_NAME: GROUP,
      MODEL_EXECUTION_ROLE_ARN: 'arn:aws:iam::111122223333:role/model-execution',
      VARIANT_TYPE: 'serverless',
      SERVERLESS_MEMORY_MB: '1024',
      SERVERLESS_MAX_CONCURRENCY: '2',
    });
    const event = { ...packageEvent(1, 'Approved'), detail: undefined } as unknown as DeployerEvent;

    // WHEN
    const result = await index.handler(event, context);

    // THEN
    expect(result.outcome).toBe('refused-event');
    expect(sagemaker.calls()).toHaveLength(0);
  });

  test('a throttled call on a readable event is still thrown for a retry', async () => {
    // GIVEN
    Object.assign(process.env, {
      ENDPOINT_NAME: ENDPOINT,
      MODEL_PACKAGE_GROUP_NAME: GROUP,
      MODEL_EXECUTION_ROLE_ARN: 'arn:aws:iam::111122223333:role/model-execution',
      VARIANT_TYPE: 'serverless',
      SERVERLESS_MEMORY_MB: '1024',
      SERVERLESS_MAX_CONCURRENCY: '2',
    });
    sagemaker.on(DescribeEndpointCommand).rejects(awsError('ThrottlingException', 'Rate exceeded'));

    // WHEN / THEN
    await expect(index.handler(packageEvent(1, 'Approved'), context)).rejects.toThrow(/Rate exceeded/);
  });

  test('fails when the environment is incomplete, before calling AWS', async () => {
    // GIVEN
    delete process.env.ENDPOINT_NAME;

    // WHEN / THEN
    await expect(index.handler(packageEvent(1, 'Approved'), context)).rejects.toThrow(/^invalid deployer settings \(\d+\):\n {2}- ENDPOINT_NAME is missing/);
    expect(sagemaker.calls()).toHaveLength(0);
  });
});
