import {
  ApplicationAutoScalingClient,
  DescribeScalableTargetsCommand,
  DescribeScalingPoliciesCommand,
} from '@aws-sdk/client-application-auto-scaling';
import {
  CreateDataQualityJobDefinitionCommand,
  CreateModelCommand,
  CreateModelQualityJobDefinitionCommand,
  CreateModelPackageCommand,
  CreateModelPackageGroupCommand,
  DescribeEndpointCommand,
  DescribeEndpointConfigCommand,
  DescribeModelCommand,
  ListDataQualityJobDefinitionsCommand,
  ListEndpointConfigsCommand,
  ListModelQualityJobDefinitionsCommand,
  ListModelsCommand,
  ListTagsCommand,
  SageMakerClient,
  UpdateModelPackageCommand,
} from '@aws-sdk/client-sagemaker';
import { type DeployerEvent, type DeployerLog, type DeploymentResult, handleDeployerEvent } from '../../lambda/deployer/deploy';
import type { DeployerSettings, InstanceVariantSettings } from '../../lambda/deployer/environment';
import {
  deleteDataQualityJobDefinitions,
  deleteModelQualityJobDefinitions,
  listOwnedDataQualityJobDefinitions,
  listOwnedModelQualityJobDefinitions,
} from '../../lambda/deployer/monitoring';
import { TAG } from '../../lambda/deployer/naming';
import { tagsByKey } from '../../lambda/deployer/resources';
import { removeEndpointResources } from '../../lambda/endpoint-cleanup/cleanup';
import { MotoServer } from '../../lib/local/moto-server';

/*
 * The deployer and the endpoint clean-up against moto over real HTTP, with the SDK clients the
 * handlers use. moto 5.2.1 lacks UpdateEndpoint (HTTP 500, NotImplementedError), and keeps no
 * EnableNetworkIsolation flag on models: the update path, blue/green settings and network
 * isolation are covered by the aws-sdk-client-mock tests in test/lambda/deployer.test.ts.
 *
 * Model Monitor: moto 5.2.1 implements Create/Describe/List/Delete of data-quality job definitions
 * (with tags; List ignores NameContains) and keeps ModelMetrics on model packages, but none of the
 * monitoring-schedule actions (Create/Describe/Update/Delete/ListMonitoringSchedule(s) answer
 * HTTP 500, NotImplementedError). The deployer describes the schedule before it creates anything,
 * so here it stops there; creating and updating the schedule and its job definition, and the
 * clean-up's schedule deletion, are covered by the mock tests in test/lambda/deployer.test.ts,
 * test/lambda/deployer-monitoring.test.ts and test/lambda/endpoint-cleanup.test.ts.
 */

const moto = new MotoServer();
let sagemaker: SageMakerClient;
let autoscaling: ApplicationAutoScalingClient;

const ENDPOINT = 'churn-integration';
const GROUP = 'churn-integration';

const SETTINGS: DeployerSettings = {
  endpointName: ENDPOINT,
  modelPackageGroupName: GROUP,
  executionRoleArn: 'arn:aws:iam::123456789012:role/model-execution',
  kmsKeyId: 'alias/endpoint-volume',
  variant: {
    type: 'instance',
    instanceType: 'ml.m5.large',
    initialInstanceCount: 1,
    minCapacity: 1,
    maxCapacity: 3,
    targetInvocationsPerInstance: 200,
    dataCapture: { destinationS3Uri: 's3://churn-data/capture/', samplingPercent: 50, kmsKeyId: 'alias/capture' },
    deployment: { strategy: 'linear', trafficStepPercent: 25, waitIntervalSeconds: 60, maxExecutionTimeoutSeconds: 1800, rollbackAlarmNames: ['churn-5xx'] },
    vpc: { subnetIds: ['subnet-0a1b2c'], securityGroupIds: ['sg-0d4e5f'] },
  },
};

const MONITORED: DeployerSettings = {
  ...SETTINGS,
  variant: {
    ...(SETTINGS.variant as InstanceVariantSettings),
    monitoring: {
      scheduleName: `${ENDPOINT}-data-quality`,
      scheduleExpression: 'cron(0 * ? * * *)',
      imageUri: '156813124566.dkr.ecr.us-east-1.amazonaws.com/sagemaker-model-monitor-analyzer',
      roleArn: 'arn:aws:iam::123456789012:role/monitoring',
      outputS3Uri: 's3://churn-data/monitoring/',
      instanceType: 'ml.m5.large',
    },
  },
};

beforeAll(async () => {
  await moto.start();
  // One attempt: moto's 500 for UpdateEndpoint would otherwise be retried with back-off.
  sagemaker = new SageMakerClient({ ...moto.clientConfig, maxAttempts: 1 });
  autoscaling = new ApplicationAutoScalingClient({ ...moto.clientConfig, maxAttempts: 1 });
});
afterAll(async () => {
  sagemaker?.destroy();
  autoscaling?.destroy();
  await moto.stop();
});
beforeEach(async () => {
  await moto.reset();
  await sagemaker.send(new CreateModelPackageGroupCommand({ ModelPackageGroupName: GROUP }));
});

async function registerPackage(withBaseline = false): Promise<string> {
  const { ModelPackageArn } = await sagemaker.send(
    new CreateModelPackageCommand({
      ModelPackageGroupName: GROUP,
      ModelApprovalStatus: 'PendingManualApproval',
      InferenceSpecification: {
        Containers: [{ Image: '683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1', ModelDataUrl: 's3://churn-artifacts/model.tar.gz' }],
        SupportedContentTypes: ['text/csv'],
        SupportedResponseMIMETypes: ['text/csv'],
      },
      ModelMetrics: withBaseline
        ? {
            ModelDataQuality: {
              Statistics: { ContentType: 'application/json', S3Uri: 's3://churn-artifacts/baseline/statistics.json' },
              Constraints: { ContentType: 'application/json', S3Uri: 's3://churn-artifacts/baseline/constraints.json' },
            },
          }
        : undefined,
    }),
  );
  if (!ModelPackageArn) throw new Error('moto returned no model package ARN');
  return ModelPackageArn;
}

async function approve(packageArn: string): Promise<DeployerEvent> {
  await sagemaker.send(new UpdateModelPackageCommand({ ModelPackageArn: packageArn, ModelApprovalStatus: 'Approved' }));
  return {
    version: '0',
    id: `approved-${packageArn}`,
    'detail-type': 'SageMaker Model Package State Change',
    source: 'aws.sagemaker',
    account: '123456789012',
    time: new Date().toISOString(),
    region: MotoServer.REGION,
    resources: [packageArn],
    detail: {
      ModelPackageGroupName: GROUP,
      ModelPackageArn: packageArn,
      ModelPackageVersion: Number(packageArn.split('/').pop()),
      ModelApprovalStatus: 'Approved',
    },
  };
}

function endpointInService(id: string): DeployerEvent {
  return {
    version: '0',
    id,
    'detail-type': 'SageMaker Endpoint State Change',
    source: 'aws.sagemaker',
    account: '123456789012',
    time: new Date().toISOString(),
    region: MotoServer.REGION,
    resources: [],
    detail: { EndpointName: ENDPOINT, EndpointStatus: 'IN_SERVICE' },
  };
}

function recordingLog(): DeployerLog & { entries: Array<Record<string, unknown>> } {
  const entries: Array<Record<string, unknown>> = [];
  const record = (level: string) => (message: string, attributes: Record<string, unknown>) => entries.push({ level, message, ...attributes });
  return { entries, info: record('info'), warn: record('warn'), error: record('error') };
}

function deploy(event: DeployerEvent, log: DeployerLog = recordingLog(), settings = SETTINGS): Promise<DeploymentResult> {
  return handleDeployerEvent(event, { sagemaker, autoscaling, settings, log });
}

/** moto prints the traceback of a failed request just after the request's access-log line. */
async function motoLogAfterUpTo(ms: number, pattern: RegExp): Promise<string> {
  const deadline = Date.now() + ms;
  while (!pattern.test(moto.log) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
  return moto.log;
}

async function endpointTags(): Promise<Record<string, string>> {
  const { EndpointArn } = await sagemaker.send(new DescribeEndpointCommand({ EndpointName: ENDPOINT }));
  const { Tags } = await sagemaker.send(new ListTagsCommand({ ResourceArn: EndpointArn }));
  return tagsByKey(Tags);
}

describe('deployer against moto', () => {
  test('the first approval creates a model, endpoint config and endpoint serving exactly that package', async () => {
    // GIVEN
    const approved = await registerPackage();
    await registerPackage(); // a newer one still pending approval

    // WHEN
    const result = await deploy(await approve(approved));

    // THEN
    expect(result).toMatchObject({ outcome: 'created', packageArn: approved, packageVersion: 1 });
    const name = result.endpointConfigName ?? '';
    const endpoint = await sagemaker.send(new DescribeEndpointCommand({ EndpointName: ENDPOINT }));
    expect(endpoint).toMatchObject({ EndpointStatus: 'InService', EndpointConfigName: name });

    const config = await sagemaker.send(new DescribeEndpointConfigCommand({ EndpointConfigName: name }));
    expect(config).toMatchObject({
      KmsKeyId: 'alias/endpoint-volume',
      ProductionVariants: [expect.objectContaining({ VariantName: 'AllTraffic', ModelName: name, InstanceType: 'ml.m5.large', InitialInstanceCount: 1 })],
      DataCaptureConfig: expect.objectContaining({
        EnableCapture: true,
        InitialSamplingPercentage: 50,
        DestinationS3Uri: 's3://churn-data/capture/',
        CaptureOptions: [{ CaptureMode: 'Input' }, { CaptureMode: 'Output' }],
      }),
    });
    const configTags = tagsByKey((await sagemaker.send(new ListTagsCommand({ ResourceArn: config.EndpointConfigArn }))).Tags);
    expect(configTags).toEqual({ [TAG.ENDPOINT]: ENDPOINT, [TAG.MODEL_PACKAGE_ARN]: approved, [TAG.MODEL_PACKAGE_VERSION]: '1' });

    const model = await sagemaker.send(new DescribeModelCommand({ ModelName: name }));
    expect(model).toMatchObject({
      ExecutionRoleArn: SETTINGS.executionRoleArn,
      PrimaryContainer: { ModelPackageName: approved },
      VpcConfig: { Subnets: ['subnet-0a1b2c'], SecurityGroupIds: ['sg-0d4e5f'] },
    });
    expect(await endpointTags()).toMatchObject({ [TAG.ENDPOINT]: ENDPOINT, [TAG.REQUESTED_CONFIG]: name });
  });

  test('the InService event registers autoscaling; a duplicate changes nothing', async () => {
    // GIVEN
    await deploy(await approve(await registerPackage()));

    // WHEN
    const inService = await deploy(endpointInService('in-service-1'));
    const duplicate = await deploy(endpointInService('in-service-1'));

    // THEN
    expect(inService.outcome).toBe('already-deployed');
    expect(duplicate.outcome).toBe('already-deployed');
    const { ScalableTargets } = await autoscaling.send(new DescribeScalableTargetsCommand({ ServiceNamespace: 'sagemaker' }));
    expect(ScalableTargets).toEqual([
      expect.objectContaining({
        ResourceId: `endpoint/${ENDPOINT}/variant/AllTraffic`,
        ScalableDimension: 'sagemaker:variant:DesiredInstanceCount',
        MinCapacity: 1,
        MaxCapacity: 3,
      }),
    ]);
    const { ScalingPolicies } = await autoscaling.send(new DescribeScalingPoliciesCommand({ ServiceNamespace: 'sagemaker' }));
    expect(ScalingPolicies).toEqual([
      expect.objectContaining({
        PolicyName: 'cdk-mlops-invocations-per-instance',
        PolicyType: 'TargetTrackingScaling',
        TargetTrackingScalingPolicyConfiguration: expect.objectContaining({
          TargetValue: 200,
          PredefinedMetricSpecification: { PredefinedMetricType: 'SageMakerVariantInvocationsPerInstance' },
        }),
      }),
    ]);
  });

  test('approving a newer version reaches UpdateEndpoint, which moto lacks, and surfaces that as a retryable error', async () => {
    // GIVEN
    const first = await deploy(await approve(await registerPackage()));
    const newer = await registerPackage();
    const log = recordingLog();

    // WHEN
    const update = deploy(await approve(newer), log);

    // THEN the SDK's error for moto's HTTP 500 is rethrown as it is, so Lambda retries the event
    await expect(update).rejects.toMatchObject({ $metadata: expect.objectContaining({ httpStatusCode: 500 }) });
    expect(await motoLogAfterUpTo(2_000, /NotImplementedError/)).toMatch(/The update_endpoint action has not been implemented/);
    expect(log.entries).toContainEqual(
      expect.objectContaining({ level: 'error', message: 'update-endpoint failed; the invocation is retried', step: 'update-endpoint', retryable: true, httpStatusCode: 500 }),
    );
    // The endpoint still serves the first version and does not look rolled back.
    const endpoint = await sagemaker.send(new DescribeEndpointCommand({ EndpointName: ENDPOINT }));
    expect(endpoint.EndpointConfigName).toBe(first.endpointConfigName);
    expect((await endpointTags())[TAG.REQUESTED_CONFIG]).toBe(first.endpointConfigName);
    // The new model and endpoint config were created before the update and are reused on retry.
    const { Models } = await sagemaker.send(new ListModelsCommand({}));
    expect(Models?.map((model) => model.ModelName)).toEqual(expect.arrayContaining([first.endpointConfigName, expect.stringMatching(/^churn-integration-v2-/)]));
  });
});

describe('monitoring against moto', () => {
  test('the InService event reads the baseline, then reaches DescribeMonitoringSchedule, which moto lacks: a retryable error, and a clean-up that keeps the endpoint', async () => {
    // GIVEN an endpoint created for a package registered with a baseline
    const first = await deploy(await approve(await registerPackage(true)), recordingLog(), MONITORED);
    expect(first.outcome).toBe('created');
    const log = recordingLog();

    // WHEN the endpoint is InService
    const inService = deploy(endpointInService('in-service-1'), log, MONITORED);

    // THEN the SDK's error for moto's HTTP 500 is rethrown as it is, so Lambda retries the event
    await expect(inService).rejects.toMatchObject({ $metadata: expect.objectContaining({ httpStatusCode: 500 }) });
    expect(await motoLogAfterUpTo(2_000, /describe_monitoring_schedule/)).toMatch(/The describe_monitoring_schedule action has not been implemented/);
    expect(log.entries).toContainEqual(
      expect.objectContaining({ level: 'error', message: 'ensure-monitoring failed; the invocation is retried', step: 'ensure-monitoring', retryable: true, httpStatusCode: 500 }),
    );
    // The baseline came back from moto's DescribeModelPackage, autoscaling was registered first,
    // and the endpoint keeps serving.
    expect(log.entries).not.toContainEqual(expect.objectContaining({ message: 'monitoring-skipped' }));
    const { ScalableTargets } = await autoscaling.send(new DescribeScalableTargetsCommand({ ServiceNamespace: 'sagemaker' }));
    expect(ScalableTargets).toHaveLength(1);
    const endpoint = await sagemaker.send(new DescribeEndpointCommand({ EndpointName: ENDPOINT }));
    expect(endpoint).toMatchObject({ EndpointStatus: 'InService', EndpointConfigName: first.endpointConfigName });

    // WHEN the clean-up runs with the schedule name
    const cleanup = removeEndpointResources(ENDPOINT, { sagemaker, autoscaling, log: { info: jest.fn(), warn: jest.fn() } }, `${ENDPOINT}-data-quality`);

    // THEN the schedule comes first, so the pass fails before it deletes the endpoint
    await expect(cleanup).rejects.toMatchObject({ $metadata: expect.objectContaining({ httpStatusCode: 500 }) });
    await expect(sagemaker.send(new DescribeEndpointCommand({ EndpointName: ENDPOINT }))).resolves.toMatchObject({ EndpointStatus: 'InService' });
  });

  test('the job definitions found as the deployer\'s are those tagged for the endpoint, and deleting them twice is harmless', async () => {
    // GIVEN job definitions of this endpoint, of another one, and one someone else made
    const definitions: Array<[string, string | undefined]> = [
      [`${ENDPOINT}-dq-v1-aaaaaaaa`, ENDPOINT],
      [`${ENDPOINT}-dq-v2-bbbbbbbb`, ENDPOINT],
      ['churn-staging-dq-v1-cccccccc', 'churn-staging'],
      [`${ENDPOINT}-dq-handmade`, undefined],
    ];
    for (const [name, owner] of definitions) {
      await sagemaker.send(
        new CreateDataQualityJobDefinitionCommand({
          JobDefinitionName: name,
          DataQualityAppSpecification: { ImageUri: '156813124566.dkr.ecr.us-east-1.amazonaws.com/sagemaker-model-monitor-analyzer' },
          DataQualityJobInput: { EndpointInput: { EndpointName: owner ?? ENDPOINT, LocalPath: '/opt/ml/processing/input/endpoint' } },
          DataQualityJobOutputConfig: { MonitoringOutputs: [{ S3Output: { S3Uri: 's3://churn-data/monitoring/', LocalPath: '/opt/ml/processing/output' } }] },
          JobResources: { ClusterConfig: { InstanceCount: 1, InstanceType: 'ml.m5.large', VolumeSizeInGB: 20 } },
          RoleArn: 'arn:aws:iam::123456789012:role/monitoring',
          Tags: owner ? [{ Key: TAG.ENDPOINT, Value: owner }] : undefined,
        }),
      );
    }

    // WHEN
    const owned = await listOwnedDataQualityJobDefinitions(sagemaker, ENDPOINT);
    await deleteDataQualityJobDefinitions(sagemaker, owned);
    await deleteDataQualityJobDefinitions(sagemaker, owned);

    // THEN
    expect(owned).toEqual([`${ENDPOINT}-dq-v1-aaaaaaaa`, `${ENDPOINT}-dq-v2-bbbbbbbb`]);
    const { JobDefinitionSummaries } = await sagemaker.send(new ListDataQualityJobDefinitionsCommand({}));
    expect(JobDefinitionSummaries?.map((summary) => summary.MonitoringJobDefinitionName).sort()).toEqual([`${ENDPOINT}-dq-handmade`, 'churn-staging-dq-v1-cccccccc']);
  });
});

describe('model-quality job definitions against moto', () => {
  // moto 5.2.1 implements the model-quality job definitions (with tags, NameContains, ResourceInUse
  // for a taken name); the schedules are covered by the mock tests, as for data quality.
  test('the ones found as the deployer\'s are those tagged for the endpoint, a taken name is ResourceInUse, and deleting twice is harmless', async () => {
    // GIVEN model-quality job definitions of this endpoint, of another one, and one someone else made
    const definitions: Array<[string, string | undefined]> = [
      [`${ENDPOINT}-mq-v1-aaaaaaaa`, ENDPOINT],
      [`${ENDPOINT}-mq-v2-bbbbbbbb`, ENDPOINT],
      ['churn-staging-mq-v1-cccccccc', 'churn-staging'],
      [`${ENDPOINT}-mq-handmade`, undefined],
    ];
    const create = (name: string, owner: string | undefined) =>
      sagemaker.send(
        new CreateModelQualityJobDefinitionCommand({
          JobDefinitionName: name,
          ModelQualityAppSpecification: {
            ImageUri: '156813124566.dkr.ecr.us-east-1.amazonaws.com/sagemaker-model-monitor-analyzer',
            ProblemType: 'BinaryClassification',
            Environment: { publish_cloudwatch_metrics: 'Enabled' },
          },
          ModelQualityJobInput: {
            EndpointInput: { EndpointName: owner ?? ENDPOINT, LocalPath: '/opt/ml/processing/input/endpoint', ProbabilityAttribute: '0', ProbabilityThresholdAttribute: 0.5, StartTimeOffset: '-PT48H', EndTimeOffset: '-PT24H' },
            GroundTruthS3Input: { S3Uri: `s3://churn-data/ground-truth/${owner ?? ENDPOINT}` },
          },
          ModelQualityJobOutputConfig: { MonitoringOutputs: [{ S3Output: { S3Uri: 's3://churn-data/monitoring/model-quality/', LocalPath: '/opt/ml/processing/output' } }] },
          JobResources: { ClusterConfig: { InstanceCount: 1, InstanceType: 'ml.m5.large', VolumeSizeInGB: 20 } },
          RoleArn: 'arn:aws:iam::123456789012:role/monitoring',
          StoppingCondition: { MaxRuntimeInSeconds: 1800 },
          Tags: owner ? [{ Key: TAG.ENDPOINT, Value: owner }] : undefined,
        }),
      );
    for (const [name, owner] of definitions) await create(name, owner);
    await expect(create(`${ENDPOINT}-mq-v1-aaaaaaaa`, ENDPOINT)).rejects.toMatchObject({ name: 'ResourceInUse' });

    // WHEN
    const owned = await listOwnedModelQualityJobDefinitions(sagemaker, ENDPOINT);
    await deleteModelQualityJobDefinitions(sagemaker, owned);
    await deleteModelQualityJobDefinitions(sagemaker, owned);

    // THEN
    expect(owned).toEqual([`${ENDPOINT}-mq-v1-aaaaaaaa`, `${ENDPOINT}-mq-v2-bbbbbbbb`]);
    const { JobDefinitionSummaries } = await sagemaker.send(new ListModelQualityJobDefinitionsCommand({}));
    expect(JobDefinitionSummaries?.map((summary) => summary.MonitoringJobDefinitionName).sort()).toEqual([`${ENDPOINT}-mq-handmade`, 'churn-staging-mq-v1-cccccccc']);
  });
});

describe('endpoint clean-up against moto', () => {
  test('removes the endpoint, its autoscaling target and every model and endpoint config the deployer created', async () => {
    // GIVEN a deployed endpoint with autoscaling, the model and config of an update that failed
    // (moto lacks UpdateEndpoint), and a model someone else made
    await deploy(await approve(await registerPackage()));
    await deploy(endpointInService('in-service-1'));
    await expect(deploy(await approve(await registerPackage()))).rejects.toThrow();
    await sagemaker.send(
      new CreateModelCommand({
        ModelName: `${ENDPOINT}-handmade`,
        ExecutionRoleArn: SETTINGS.executionRoleArn,
        PrimaryContainer: { Image: '683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1' },
      }),
    );
    const log = { info: jest.fn(), warn: jest.fn() };

    // WHEN the custom resource repeats passes until the clean-up reports itself complete
    const passes = [];
    for (let pass = 0; pass < 5; pass++) {
      const progress = await removeEndpointResources(ENDPOINT, { sagemaker, autoscaling, log });
      passes.push(progress.detail);
      if (progress.complete) break;
    }

    // THEN
    expect(passes).toEqual(['deleting the endpoint', 'removed 2 endpoint configs and 2 models']);
    await expect(sagemaker.send(new DescribeEndpointCommand({ EndpointName: ENDPOINT }))).rejects.toThrow(/Could not find endpoint/);
    const { EndpointConfigs } = await sagemaker.send(new ListEndpointConfigsCommand({}));
    expect(EndpointConfigs).toEqual([]);
    const { Models } = await sagemaker.send(new ListModelsCommand({}));
    expect(Models?.map((model) => model.ModelName)).toEqual([`${ENDPOINT}-handmade`]);
    const { ScalableTargets } = await autoscaling.send(new DescribeScalableTargetsCommand({ ServiceNamespace: 'sagemaker' }));
    expect(ScalableTargets).toEqual([]);
  });

  test('is complete at once when nothing was ever deployed', async () => {
    // WHEN
    const progress = await removeEndpointResources(ENDPOINT, { sagemaker, autoscaling, log: { info: jest.fn(), warn: jest.fn() } });

    // THEN
    expect(progress).toEqual({ complete: true, detail: 'removed 0 endpoint configs and 0 models' });
  });
});
