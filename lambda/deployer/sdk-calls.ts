import {
  kmsKeyArns,
  list,
  optional,
  PASS_ROLE_DOC,
  required,
  SAGEMAKER_API_PERMISSIONS_DOC,
  SAGEMAKER_TAG_ON_CREATE_DOC,
  sageMakerArn,
} from '../shared/sample-arns';
import type { ArnFormatter, FunctionEnvironment, SdkCall, SdkCallPermission } from '../shared/sdk-calls';
import { DEPLOYER_ENV } from './environment';
import { dataQualityJobDefinitionName, deploymentResourceName, modelQualityJobDefinitionName, VARIANT_NAME } from './naming';

/*
 * Every SDK command and paginator the deployer sends (deploy.ts, autoscaling.ts, monitoring.ts,
 * resources.ts), with what IAM must allow for it. Sample names follow the deployer's own naming:
 * the model and endpoint config of version 1, the data- and model-quality job definitions of version 1.
 */

const E = DEPLOYER_ENV;
const SAMPLE_VERSION = 1;
const SAMPLE_FINGERPRINT = '0'.repeat(8);
/** Application Auto Scaling generates scalable target IDs; policies name them `scalable-target/*` or `*`. */
const SAMPLE_SCALABLE_TARGET_ID = '0123456789abcdef0123456789abcdef0123';
const AUTOSCALING_SERVICE_LINKED_ROLE =
  'role/aws-service-role/sagemaker.application-autoscaling.amazonaws.com/AWSServiceRoleForApplicationAutoScaling_SageMakerEndpoint';

/** "Ensure that your IAM execution role has permission to perform the cloudwatch:DescribeAlarms action on the auto-rollback alarms you specify." */
const ROLLBACK_ALARMS_DOC = 'https://docs.aws.amazon.com/sagemaker/latest/dg/deployment-guardrails-configuration.html';
/** KmsKeyId: "The KMS key policy must grant permission to the IAM role that you specify in your CreateEndpoint, UpdateEndpoint requests." */
const ENDPOINT_KMS_DOC = 'https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_CreateEndpointConfig.html';
/**
 * "IAM users must be granted the required permissions for Amazon CloudWatch and for each target
 * service": for SageMaker endpoints sagemaker:DescribeEndpoint, sagemaker:DescribeEndpointConfig,
 * sagemaker:UpdateEndpointWeightsAndCapacities, cloudwatch:DeleteAlarms, cloudwatch:DescribeAlarms
 * and cloudwatch:PutMetricAlarm. Application Auto Scaling checks them with the caller's credentials
 * before it accepts the request (security_iam_permission_validation.html).
 */
const AUTOSCALING_TARGET_PERMISSIONS_DOC =
  'https://docs.aws.amazon.com/autoscaling/application/userguide/security_iam_id-based-policy-examples.html';
/** The first RegisterScalableTarget for SageMaker creates the service-linked role: iam:CreateServiceLinkedRole. */
const AUTOSCALING_SERVICE_LINKED_ROLE_DOC =
  'https://docs.aws.amazon.com/autoscaling/application/userguide/application-auto-scaling-service-linked-roles.html';

const isInstanceVariant = (env: FunctionEnvironment) => env[E.VARIANT_TYPE]?.trim() === 'instance';
const isMonitored = (env: FunctionEnvironment) => isInstanceVariant(env) && optional(env, E.MONITORING_SCHEDULE_NAME) !== undefined;
const isQualityMonitored = (env: FunctionEnvironment) => isMonitored(env) && optional(env, E.MODEL_QUALITY_SCHEDULE_NAME) !== undefined;

const endpointName = (env: FunctionEnvironment) => required(env, E.ENDPOINT_NAME);
const endpointArn = (env: FunctionEnvironment, arn: ArnFormatter) => sageMakerArn(arn, 'endpoint', endpointName(env));
/** The model and the endpoint config of one deployment share the name. */
const deploymentName = (env: FunctionEnvironment) => deploymentResourceName(endpointName(env), SAMPLE_VERSION, SAMPLE_FINGERPRINT);
const modelArn = (env: FunctionEnvironment, arn: ArnFormatter) => sageMakerArn(arn, 'model', deploymentName(env));
const endpointConfigArn = (env: FunctionEnvironment, arn: ArnFormatter) => sageMakerArn(arn, 'endpoint-config', deploymentName(env));
const modelPackageArn = (env: FunctionEnvironment, arn: ArnFormatter) =>
  sageMakerArn(arn, 'model-package', `${required(env, E.MODEL_PACKAGE_GROUP_NAME)}/${SAMPLE_VERSION}`);
const jobDefinitionArn = (env: FunctionEnvironment, arn: ArnFormatter) =>
  sageMakerArn(arn, 'data-quality-job-definition', dataQualityJobDefinitionName(endpointName(env), SAMPLE_VERSION, SAMPLE_FINGERPRINT));
const scheduleArn = (env: FunctionEnvironment, arn: ArnFormatter) => sageMakerArn(arn, 'monitoring-schedule', required(env, E.MONITORING_SCHEDULE_NAME));
const modelQualityJobDefinitionArn = (env: FunctionEnvironment, arn: ArnFormatter) =>
  sageMakerArn(arn, 'model-quality-job-definition', modelQualityJobDefinitionName(endpointName(env), SAMPLE_VERSION, SAMPLE_FINGERPRINT));
const modelQualityScheduleArn = (env: FunctionEnvironment, arn: ArnFormatter) =>
  sageMakerArn(arn, 'monitoring-schedule', required(env, E.MODEL_QUALITY_SCHEDULE_NAME));
/** The schedules the deployer keeps: data quality, and model quality when configured. */
const scheduleArns = (env: FunctionEnvironment, arn: ArnFormatter) => [
  scheduleArn(env, arn),
  ...(isQualityMonitored(env) ? [modelQualityScheduleArn(env, arn)] : []),
];
const scalableTargetArn = (_env: FunctionEnvironment, arn: ArnFormatter) =>
  arn('application-autoscaling', `scalable-target/${SAMPLE_SCALABLE_TARGET_ID}`);
/** Target tracking names its alarms `TargetTracking-<resource id>-AlarmHigh-<uuid>` (and AlarmLow). */
const targetTrackingAlarmArn = (env: FunctionEnvironment, arn: ArnFormatter) =>
  arn('cloudwatch', `alarm:TargetTracking-endpoint/${endpointName(env)}/variant/${VARIANT_NAME}-AlarmHigh-00000000-0000-0000-0000-000000000000`);
const anyResource = () => ['*'];

const passRole = (variable: string): SdkCallPermission => ({
  action: 'iam:PassRole',
  resources: (env) => [required(env, variable)],
  context: () => ({ 'iam:PassedToService': 'sagemaker.amazonaws.com' }),
  documentedAt: PASS_ROLE_DOC,
});
const tagOnCreate = (operation: string, resource: SdkCallPermission['resources']): SdkCallPermission => ({
  action: 'sagemaker:AddTags',
  resources: resource,
  context: () => ({ 'sagemaker:TaggingAction': operation }),
  documentedAt: SAGEMAKER_TAG_ON_CREATE_DOC,
});
const endpointVolumeKeyGrant = (documentedAt: string): SdkCallPermission => ({
  action: 'kms:CreateGrant',
  resources: (env, arn) => kmsKeyArns(env, E.KMS_KEY_ID, arn),
  documentedAt,
});
const autoscalingTargetPermissions: SdkCallPermission[] = [
  { action: 'sagemaker:DescribeEndpoint', resources: (env, arn) => [endpointArn(env, arn)], documentedAt: AUTOSCALING_TARGET_PERMISSIONS_DOC },
  { action: 'sagemaker:DescribeEndpointConfig', resources: (env, arn) => [endpointConfigArn(env, arn)], documentedAt: AUTOSCALING_TARGET_PERMISSIONS_DOC },
  {
    action: 'sagemaker:UpdateEndpointWeightsAndCapacities',
    resources: (env, arn) => [endpointArn(env, arn)],
    documentedAt: AUTOSCALING_TARGET_PERMISSIONS_DOC,
  },
];
const targetTrackingAlarmPermissions: SdkCallPermission[] = ['cloudwatch:PutMetricAlarm', 'cloudwatch:DescribeAlarms', 'cloudwatch:DeleteAlarms'].map(
  (action) => ({ action, resources: (env, arn) => [targetTrackingAlarmArn(env, arn)], documentedAt: AUTOSCALING_TARGET_PERMISSIONS_DOC }),
);

export const SDK_CALLS: readonly SdkCall[] = [
  // deploy.ts
  {
    command: 'DescribeEndpointCommand',
    permissions: [{ action: 'sagemaker:DescribeEndpoint', resources: (env, arn) => [endpointArn(env, arn)] }],
  },
  {
    command: 'DescribeEndpointConfigCommand',
    permissions: [{ action: 'sagemaker:DescribeEndpointConfig', resources: (env, arn) => [endpointConfigArn(env, arn)] }],
  },
  {
    // The rollback record and the requested config, on the endpoint.
    command: 'AddTagsCommand',
    permissions: [{ action: 'sagemaker:AddTags', resources: (env, arn) => [endpointArn(env, arn)] }],
  },
  {
    command: 'paginateListModelPackages',
    // "Except for the ListTags API, resource-level restrictions are not available on List- calls."
    permissions: [{ action: 'sagemaker:ListModelPackages', resources: anyResource }],
  },
  {
    command: 'CreateModelCommand',
    permissions: [
      { action: 'sagemaker:CreateModel', resources: (env, arn) => [modelArn(env, arn)] },
      // ExecutionRoleArn; SAGEMAKER_API_PERMISSIONS_DOC lists iam:PassRole for CreateModel.
      { ...passRole(E.MODEL_EXECUTION_ROLE_ARN), documentedAt: SAGEMAKER_API_PERMISSIONS_DOC },
      tagOnCreate('CreateModel', (env, arn) => [modelArn(env, arn)]),
    ],
  },
  {
    command: 'CreateEndpointConfigCommand',
    // The API permissions reference lists nothing besides sagemaker:CreateEndpointConfig, key or not:
    // the key is used, and granted, when an endpoint is created or updated on the config.
    permissions: [
      { action: 'sagemaker:CreateEndpointConfig', resources: (env, arn) => [endpointConfigArn(env, arn)] },
      tagOnCreate('CreateEndpointConfig', (env, arn) => [endpointConfigArn(env, arn)]),
    ],
  },
  {
    command: 'CreateEndpointCommand',
    permissions: [
      { action: 'sagemaker:CreateEndpoint', resources: (env, arn) => [endpointArn(env, arn), endpointConfigArn(env, arn)] },
      // "kms:CreateGrant (required only if the associated EndPointConfig has a KmsKeyId specified)".
      endpointVolumeKeyGrant(SAGEMAKER_API_PERMISSIONS_DOC),
      tagOnCreate('CreateEndpoint', (env, arn) => [endpointArn(env, arn)]),
    ],
  },
  {
    command: 'UpdateEndpointCommand',
    permissions: [
      { action: 'sagemaker:UpdateEndpoint', resources: (env, arn) => [endpointArn(env, arn), endpointConfigArn(env, arn)] },
      endpointVolumeKeyGrant(ENDPOINT_KMS_DOC),
      // DeploymentConfig.AutoRollbackConfiguration names the alarms of ROLLBACK_ALARM_NAMES (instance variants only).
      {
        action: 'cloudwatch:DescribeAlarms',
        resources: (env, arn) => (isInstanceVariant(env) ? list(env, E.ROLLBACK_ALARM_NAMES).map((name) => arn('cloudwatch', `alarm:${name}`)) : []),
        documentedAt: ROLLBACK_ALARMS_DOC,
      },
    ],
  },

  // resources.ts
  {
    command: 'ListTagsCommand',
    // Tags of the endpoint, of the endpoint configs and models it owns, and of its job definitions.
    permissions: [
      {
        action: 'sagemaker:ListTags',
        resources: (env, arn) => [
          endpointArn(env, arn),
          endpointConfigArn(env, arn),
          modelArn(env, arn),
          ...(isMonitored(env) ? [jobDefinitionArn(env, arn)] : []),
          ...(isQualityMonitored(env) ? [modelQualityJobDefinitionArn(env, arn)] : []),
        ],
      },
    ],
  },
  { command: 'paginateListEndpointConfigs', permissions: [{ action: 'sagemaker:ListEndpointConfigs', resources: anyResource }] },
  { command: 'paginateListModels', permissions: [{ action: 'sagemaker:ListModels', resources: anyResource }] },
  {
    command: 'DeleteEndpointConfigCommand',
    permissions: [{ action: 'sagemaker:DeleteEndpointConfig', resources: (env, arn) => [endpointConfigArn(env, arn)] }],
  },
  { command: 'DeleteModelCommand', permissions: [{ action: 'sagemaker:DeleteModel', resources: (env, arn) => [modelArn(env, arn)] }] },

  // autoscaling.ts: instance variants only.
  {
    command: 'DescribeScalableTargetsCommand',
    when: isInstanceVariant,
    permissions: [{ action: 'application-autoscaling:DescribeScalableTargets', resources: anyResource }],
  },
  {
    command: 'DescribeScalingPoliciesCommand',
    when: isInstanceVariant,
    permissions: [{ action: 'application-autoscaling:DescribeScalingPolicies', resources: anyResource }],
  },
  {
    command: 'RegisterScalableTargetCommand',
    when: isInstanceVariant,
    permissions: [
      { action: 'application-autoscaling:RegisterScalableTarget', resources: (env, arn) => [scalableTargetArn(env, arn)] },
      {
        action: 'iam:CreateServiceLinkedRole',
        resources: (_env, arn) => [arn('iam', AUTOSCALING_SERVICE_LINKED_ROLE, { global: true })],
        context: () => ({ 'iam:AWSServiceName': 'sagemaker.application-autoscaling.amazonaws.com' }),
        documentedAt: AUTOSCALING_SERVICE_LINKED_ROLE_DOC,
      },
      ...autoscalingTargetPermissions,
    ],
  },
  {
    command: 'PutScalingPolicyCommand',
    when: isInstanceVariant,
    // The target-tracking policy's alarms, which Application Auto Scaling creates and deletes.
    permissions: [
      { action: 'application-autoscaling:PutScalingPolicy', resources: (env, arn) => [scalableTargetArn(env, arn)] },
      ...targetTrackingAlarmPermissions,
    ],
  },
  {
    command: 'DeregisterScalableTargetCommand',
    when: isInstanceVariant,
    permissions: [{ action: 'application-autoscaling:DeregisterScalableTarget', resources: (env, arn) => [scalableTargetArn(env, arn)] }],
  },

  // monitoring.ts: instance variants with the MONITORING_* settings only.
  {
    command: 'DescribeModelPackageCommand',
    when: isMonitored,
    permissions: [{ action: 'sagemaker:DescribeModelPackage', resources: (env, arn) => [modelPackageArn(env, arn)] }],
  },
  {
    command: 'DescribeMonitoringScheduleCommand',
    when: isMonitored,
    permissions: [{ action: 'sagemaker:DescribeMonitoringSchedule', resources: scheduleArns }],
  },
  {
    command: 'CreateDataQualityJobDefinitionCommand',
    when: isMonitored,
    permissions: [
      { action: 'sagemaker:CreateDataQualityJobDefinition', resources: (env, arn) => [jobDefinitionArn(env, arn)] },
      // RoleArn: the role the monitoring jobs run as.
      passRole(E.MONITORING_ROLE_ARN),
      tagOnCreate('CreateDataQualityJobDefinition', (env, arn) => [jobDefinitionArn(env, arn)]),
    ],
  },
  {
    command: 'CreateMonitoringScheduleCommand',
    when: isMonitored,
    permissions: [{ action: 'sagemaker:CreateMonitoringSchedule', resources: scheduleArns }],
  },
  {
    command: 'UpdateMonitoringScheduleCommand',
    when: isMonitored,
    permissions: [{ action: 'sagemaker:UpdateMonitoringSchedule', resources: scheduleArns }],
  },
  {
    command: 'paginateListDataQualityJobDefinitions',
    when: isMonitored,
    permissions: [{ action: 'sagemaker:ListDataQualityJobDefinitions', resources: anyResource }],
  },
  {
    command: 'DeleteDataQualityJobDefinitionCommand',
    when: isMonitored,
    permissions: [{ action: 'sagemaker:DeleteDataQualityJobDefinition', resources: (env, arn) => [jobDefinitionArn(env, arn)] }],
  },

  // monitoring.ts: the model-quality schedule, with the MODEL_QUALITY_* settings only.
  {
    command: 'CreateModelQualityJobDefinitionCommand',
    when: isQualityMonitored,
    permissions: [
      { action: 'sagemaker:CreateModelQualityJobDefinition', resources: (env, arn) => [modelQualityJobDefinitionArn(env, arn)] },
      // RoleArn: the role the monitoring jobs run as.
      passRole(E.MONITORING_ROLE_ARN),
      tagOnCreate('CreateModelQualityJobDefinition', (env, arn) => [modelQualityJobDefinitionArn(env, arn)]),
    ],
  },
  {
    command: 'paginateListModelQualityJobDefinitions',
    when: isQualityMonitored,
    permissions: [{ action: 'sagemaker:ListModelQualityJobDefinitions', resources: anyResource }],
  },
  {
    command: 'DeleteModelQualityJobDefinitionCommand',
    when: isQualityMonitored,
    permissions: [{ action: 'sagemaker:DeleteModelQualityJobDefinition', resources: (env, arn) => [modelQualityJobDefinitionArn(env, arn)] }],
  },
];
