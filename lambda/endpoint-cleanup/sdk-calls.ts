import { dataQualityJobDefinitionName, deploymentResourceName, modelQualityJobDefinitionName } from '../deployer/naming';
import { optional, required, sageMakerArn } from '../shared/sample-arns';
import type { ArnFormatter, FunctionEnvironment, SdkCall } from '../shared/sdk-calls';
import { ENDPOINT_CLEANUP_PROPERTIES } from './properties';

/*
 * Every SDK command and paginator the endpoint clean-up sends: its own (cleanup.ts) and those of
 * the deployer functions it calls (removeVariantAutoscaling, the monitoring and resource helpers).
 * The names come from the custom resource's properties, which the checker passes in `env`.
 */

const P = ENDPOINT_CLEANUP_PROPERTIES;
const SAMPLE_VERSION = 1;
const SAMPLE_FINGERPRINT = '0'.repeat(8);
/** Application Auto Scaling generates scalable target IDs; policies name them `scalable-target/*` or `*`. */
const SAMPLE_SCALABLE_TARGET_ID = '0123456789abcdef0123456789abcdef0123';

/** Monitoring resources are touched only when the custom resource names the schedule. */
const removesMonitoring = (env: FunctionEnvironment) => optional(env, P.MONITORING_SCHEDULE_NAME) !== undefined;
const removesModelQuality = (env: FunctionEnvironment) => optional(env, P.MODEL_QUALITY_SCHEDULE_NAME) !== undefined;
const removesAnySchedule = (env: FunctionEnvironment) => removesMonitoring(env) || removesModelQuality(env);

const endpointName = (env: FunctionEnvironment) => required(env, P.ENDPOINT_NAME);
const endpointArn = (env: FunctionEnvironment, arn: ArnFormatter) => sageMakerArn(arn, 'endpoint', endpointName(env));
const deploymentName = (env: FunctionEnvironment) => deploymentResourceName(endpointName(env), SAMPLE_VERSION, SAMPLE_FINGERPRINT);
const modelArn = (env: FunctionEnvironment, arn: ArnFormatter) => sageMakerArn(arn, 'model', deploymentName(env));
const endpointConfigArn = (env: FunctionEnvironment, arn: ArnFormatter) => sageMakerArn(arn, 'endpoint-config', deploymentName(env));
const jobDefinitionArn = (env: FunctionEnvironment, arn: ArnFormatter) =>
  sageMakerArn(arn, 'data-quality-job-definition', dataQualityJobDefinitionName(endpointName(env), SAMPLE_VERSION, SAMPLE_FINGERPRINT));
const modelQualityJobDefinitionArn = (env: FunctionEnvironment, arn: ArnFormatter) =>
  sageMakerArn(arn, 'model-quality-job-definition', modelQualityJobDefinitionName(endpointName(env), SAMPLE_VERSION, SAMPLE_FINGERPRINT));
/** The schedules the custom resource names. */
const scheduleArns = (env: FunctionEnvironment, arn: ArnFormatter) => [
  ...(removesMonitoring(env) ? [sageMakerArn(arn, 'monitoring-schedule', required(env, P.MONITORING_SCHEDULE_NAME))] : []),
  ...(removesModelQuality(env) ? [sageMakerArn(arn, 'monitoring-schedule', required(env, P.MODEL_QUALITY_SCHEDULE_NAME))] : []),
];
const anyResource = () => ['*'];

export const SDK_CALLS: readonly SdkCall[] = [
  // cleanup.ts
  { command: 'DescribeEndpointCommand', permissions: [{ action: 'sagemaker:DescribeEndpoint', resources: (env, arn) => [endpointArn(env, arn)] }] },
  { command: 'DeleteEndpointCommand', permissions: [{ action: 'sagemaker:DeleteEndpoint', resources: (env, arn) => [endpointArn(env, arn)] }] },
  {
    command: 'DeleteMonitoringScheduleCommand',
    when: removesAnySchedule,
    permissions: [{ action: 'sagemaker:DeleteMonitoringSchedule', resources: scheduleArns }],
  },

  // ../deployer/resources.ts
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
          ...(removesMonitoring(env) ? [jobDefinitionArn(env, arn)] : []),
          ...(removesModelQuality(env) ? [modelQualityJobDefinitionArn(env, arn)] : []),
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

  // ../deployer/autoscaling.ts (removeVariantAutoscaling)
  { command: 'DescribeScalableTargetsCommand', permissions: [{ action: 'application-autoscaling:DescribeScalableTargets', resources: anyResource }] },
  {
    command: 'DeregisterScalableTargetCommand',
    permissions: [
      {
        action: 'application-autoscaling:DeregisterScalableTarget',
        resources: (_env, arn) => [arn('application-autoscaling', `scalable-target/${SAMPLE_SCALABLE_TARGET_ID}`)],
      },
    ],
  },

  // ../deployer/monitoring.ts
  {
    command: 'DescribeMonitoringScheduleCommand',
    when: removesAnySchedule,
    permissions: [{ action: 'sagemaker:DescribeMonitoringSchedule', resources: scheduleArns }],
  },
  {
    command: 'paginateListDataQualityJobDefinitions',
    when: removesMonitoring,
    permissions: [{ action: 'sagemaker:ListDataQualityJobDefinitions', resources: anyResource }],
  },
  {
    command: 'DeleteDataQualityJobDefinitionCommand',
    when: removesMonitoring,
    permissions: [{ action: 'sagemaker:DeleteDataQualityJobDefinition', resources: (env, arn) => [jobDefinitionArn(env, arn)] }],
  },
  {
    command: 'paginateListModelQualityJobDefinitions',
    when: removesModelQuality,
    permissions: [{ action: 'sagemaker:ListModelQualityJobDefinitions', resources: anyResource }],
  },
  {
    command: 'DeleteModelQualityJobDefinitionCommand',
    when: removesModelQuality,
    permissions: [{ action: 'sagemaker:DeleteModelQualityJobDefinition', resources: (env, arn) => [modelQualityJobDefinitionArn(env, arn)] }],
  },
];
