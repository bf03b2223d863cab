import { createHash } from 'node:crypto';
import {
  CreateDataQualityJobDefinitionCommand,
  type CreateDataQualityJobDefinitionCommandInput,
  CreateModelQualityJobDefinitionCommand,
  type CreateModelQualityJobDefinitionCommandInput,
  CreateMonitoringScheduleCommand,
  DeleteDataQualityJobDefinitionCommand,
  DeleteModelQualityJobDefinitionCommand,
  DescribeModelPackageCommand,
  DescribeMonitoringScheduleCommand,
  type DescribeMonitoringScheduleCommandOutput,
  type MonitoringNetworkConfig,
  type MonitoringResources,
  type MonitoringScheduleConfig,
  type MonitoringType,
  paginateListDataQualityJobDefinitions,
  paginateListModelQualityJobDefinitions,
  type ProcessingInstanceType,
  type SageMakerClient,
  UpdateMonitoringScheduleCommand,
} from '@aws-sdk/client-sagemaker';
import type { PackageRef } from './deploy';
import type { DeployerSettings, InstanceVariantSettings, ModelQualitySettings, MonitoringSettings } from './environment';
import { DeploymentFailedError, MonitoringScheduleBusyError } from './errors';
import {
  dataQualityJobDefinitionName,
  dataQualityNamePrefix,
  modelQualityJobDefinitionName,
  modelQualityNamePrefix,
  packageTags,
} from './naming';
import { createUnlessExists, deleteIfPresent, isAwsError, isNotFound, isOwnedBy, isValidationError } from './resources';

/** Where the analyzer container reads the captured data and writes its reports (Model Monitor's defaults). */
const ENDPOINT_INPUT_PATH = '/opt/ml/processing/input/endpoint';
const OUTPUT_PATH = '/opt/ml/processing/output';
/** An hourly schedule needs each job to end within the hour. */
const MAX_RUNTIME_SECONDS = 3600;
/**
 * A model-quality execution is a ground-truth merge job plus the monitoring job, which share the
 * runtime: "for an hourly model quality monitoring job, the value of MaxRuntimeInSeconds ... should
 * be no more than 1800" (https://docs.aws.amazon.com/sagemaker/latest/dg/model-monitor-model-quality-schedule.html).
 */
const MODEL_QUALITY_MAX_RUNTIME_SECONDS = 1800;
const VOLUME_SIZE_GB = 20;
/**
 * With a CSV endpoint the attributes name columns of the captured endpointOutput by index: the
 * built-in XGBoost container answers one value per row, so column 0 is the probability of the
 * positive class (binary), the class index (multiclass) or the value (regression). Binary
 * classifiers give ProbabilityAttribute and its threshold, the others InferenceAttribute, as AWS's
 * MLOps Workload Orchestrator does for built-in XGBoost endpoints (aws-solutions/mlops-workload-orchestrator).
 */
const PREDICTION_COLUMN = '0';
/**
 * Model Monitor publishes a model-quality job's metrics to CloudWatch (namespace
 * aws/sagemaker/Endpoints/model-metrics) only when this is Enabled, as the SageMaker Python SDK's
 * `enable_cloudwatch_metrics` sets it: the model-quality alarm watches those metrics.
 * https://docs.aws.amazon.com/sagemaker/latest/dg/model-monitor-model-quality-metrics.html
 */
const PUBLISH_METRICS = { publish_cloudwatch_metrics: 'Enabled' } as const;

export type MonitoringChange =
  | { readonly change: 'created' | 'updated' | 'unchanged'; readonly jobDefinitionName: string }
  | { readonly change: 'skipped'; readonly reason: string };

/**
 * Points the endpoint's data-quality monitoring schedule at a job definition built on the package's
 * baseline, creating the job definition and the schedule when missing. A schedule that already
 * runs that job definition on the configured expression is left alone, so repeating this changes
 * nothing. Call it only while the endpoint is InService on the package's endpoint config.
 *
 * @returns `skipped` with the reason when the package carries no baseline
 * @throws MonitoringScheduleBusyError while the schedule is Pending (retryable)
 * @throws DeploymentFailedError when the schedule is Failed
 */
export async function ensureDataQualitySchedule(
  sagemaker: SageMakerClient,
  settings: DeployerSettings,
  variant: InstanceVariantSettings,
  monitoring: MonitoringSettings,
  pkg: PackageRef,
): Promise<MonitoringChange> {
  const baseline = await readBaseline(sagemaker, pkg);
  if (typeof baseline === 'string') return { change: 'skipped', reason: baseline };
  const request = jobDefinitionRequest(settings, variant, monitoring, pkg, baseline);
  const name = request.JobDefinitionName;
  const change = await ensureSchedule(sagemaker, monitoring.scheduleName, monitoring.scheduleExpression, 'DataQuality', name, () =>
    sagemaker.send(new CreateDataQualityJobDefinitionCommand(request)),
  );
  return { change, jobDefinitionName: name };
}

/**
 * Points the endpoint's model-quality schedule at a job definition for the package, creating the
 * job definition and the schedule when missing, like {@link ensureDataQualitySchedule}. It needs
 * no baseline: the job merges the captured predictions with the ground truth users upload and
 * publishes the metrics, which the model-quality alarm compares with the threshold.
 *
 * @throws MonitoringScheduleBusyError while the schedule is Pending (retryable)
 * @throws DeploymentFailedError when the schedule is Failed
 */
export async function ensureModelQualitySchedule(
  sagemaker: SageMakerClient,
  settings: DeployerSettings,
  variant: InstanceVariantSettings,
  monitoring: MonitoringSettings,
  modelQuality: ModelQualitySettings,
  pkg: PackageRef,
): Promise<MonitoringChange> {
  const request = modelQualityJobDefinitionRequest(settings, variant, monitoring, modelQuality, pkg);
  const name = request.JobDefinitionName;
  const change = await ensureSchedule(sagemaker, modelQuality.scheduleName, modelQuality.scheduleExpression, 'ModelQuality', name, () =>
    sagemaker.send(new CreateModelQualityJobDefinitionCommand(request)),
  );
  return { change, jobDefinitionName: name };
}

/**
 * Makes `scheduleName` run `jobDefinitionName` on `expression`: creates the job definition (with
 * `createJobDefinition`, "already exists" being done) and the schedule when missing, updates a
 * schedule that runs another definition or expression, and leaves a matching one alone.
 */
async function ensureSchedule(
  sagemaker: SageMakerClient,
  scheduleName: string,
  expression: string,
  monitoringType: MonitoringType,
  jobDefinitionName: string,
  createJobDefinition: () => Promise<unknown>,
): Promise<'created' | 'updated' | 'unchanged'> {
  const schedule = await describeMonitoringSchedule(sagemaker, scheduleName);
  if (schedule?.MonitoringScheduleStatus === 'Pending') throw new MonitoringScheduleBusyError(scheduleName, 'Pending');
  if (schedule?.MonitoringScheduleStatus === 'Failed') {
    throw new DeploymentFailedError(
      `monitoring schedule "${scheduleName}" is Failed (${schedule.FailureReason ?? 'no reason given'}): ` +
        'fix the cause and delete the schedule; the next endpoint or package event creates it again',
    );
  }
  const current = schedule?.MonitoringScheduleConfig;
  if (current?.MonitoringJobDefinitionName === jobDefinitionName && current.ScheduleConfig?.ScheduleExpression === expression) {
    return 'unchanged';
  }

  await createUnlessExists(createJobDefinition);
  const config: MonitoringScheduleConfig = {
    ScheduleConfig: { ScheduleExpression: expression },
    MonitoringJobDefinitionName: jobDefinitionName,
    MonitoringType: monitoringType,
  };
  if (!schedule) {
    try {
      await sagemaker.send(new CreateMonitoringScheduleCommand({ MonitoringScheduleName: scheduleName, MonitoringScheduleConfig: config }));
    } catch (error) {
      // Another invocation (a duplicate event) created it first.
      if (isAwsError(error) && error.name === 'ResourceInUse') throw new MonitoringScheduleBusyError(scheduleName, 'Pending');
      throw error;
    }
    return 'created';
  }
  try {
    await sagemaker.send(new UpdateMonitoringScheduleCommand({ MonitoringScheduleName: scheduleName, MonitoringScheduleConfig: config }));
  } catch (error) {
    if (isValidationError(error, /pending/i)) throw new MonitoringScheduleBusyError(scheduleName, 'Pending');
    throw error;
  }
  return 'updated';
}

/** The schedule, or undefined when there is none of that name. */
export async function describeMonitoringSchedule(
  sagemaker: SageMakerClient,
  scheduleName: string,
): Promise<DescribeMonitoringScheduleCommandOutput | undefined> {
  try {
    return await sagemaker.send(new DescribeMonitoringScheduleCommand({ MonitoringScheduleName: scheduleName }));
  } catch (error) {
    if (isNotFound(error)) return undefined;
    throw error;
  }
}

/** Data-quality job definitions tagged as created by the deployer for this endpoint. */
export async function listOwnedDataQualityJobDefinitions(sagemaker: SageMakerClient, endpointName: string): Promise<string[]> {
  const prefix = dataQualityNamePrefix(endpointName);
  const names: string[] = [];
  for await (const page of paginateListDataQualityJobDefinitions({ client: sagemaker }, { NameContains: prefix })) {
    names.push(...(await ownedNames(sagemaker, endpointName, prefix, page.JobDefinitionSummaries)));
  }
  return names;
}

export async function deleteDataQualityJobDefinitions(sagemaker: SageMakerClient, names: readonly string[]): Promise<void> {
  for (const name of names) {
    await deleteIfPresent(() => sagemaker.send(new DeleteDataQualityJobDefinitionCommand({ JobDefinitionName: name })));
  }
}

/** Model-quality job definitions tagged as created by the deployer for this endpoint. */
export async function listOwnedModelQualityJobDefinitions(sagemaker: SageMakerClient, endpointName: string): Promise<string[]> {
  const prefix = modelQualityNamePrefix(endpointName);
  const names: string[] = [];
  for await (const page of paginateListModelQualityJobDefinitions({ client: sagemaker }, { NameContains: prefix })) {
    names.push(...(await ownedNames(sagemaker, endpointName, prefix, page.JobDefinitionSummaries)));
  }
  return names;
}

export async function deleteModelQualityJobDefinitions(sagemaker: SageMakerClient, names: readonly string[]): Promise<void> {
  for (const name of names) {
    await deleteIfPresent(() => sagemaker.send(new DeleteModelQualityJobDefinitionCommand({ JobDefinitionName: name })));
  }
}

async function ownedNames(
  sagemaker: SageMakerClient,
  endpointName: string,
  prefix: string,
  summaries: readonly { MonitoringJobDefinitionName?: string; MonitoringJobDefinitionArn?: string }[] | undefined,
): Promise<string[]> {
  const names: string[] = [];
  for (const summary of summaries ?? []) {
    const name = summary.MonitoringJobDefinitionName;
    if (name && (await isOwnedBy(sagemaker, endpointName, prefix, name, summary.MonitoringJobDefinitionArn))) names.push(name);
  }
  return names;
}

interface Baseline {
  readonly statisticsS3Uri: string;
  readonly constraintsS3Uri: string;
}

/** The statistics and constraints the training pipeline registered with the package, or why there are none. */
async function readBaseline(sagemaker: SageMakerClient, pkg: PackageRef): Promise<Baseline | string> {
  const { ModelMetrics } = await sagemaker.send(new DescribeModelPackageCommand({ ModelPackageName: pkg.arn }));
  const statisticsS3Uri = ModelMetrics?.ModelDataQuality?.Statistics?.S3Uri;
  const constraintsS3Uri = ModelMetrics?.ModelDataQuality?.Constraints?.S3Uri;
  if (statisticsS3Uri && constraintsS3Uri) return { statisticsS3Uri, constraintsS3Uri };
  const missing = [
    ...(statisticsS3Uri ? [] : ['ModelMetrics.ModelDataQuality.Statistics.S3Uri']),
    ...(constraintsS3Uri ? [] : ['ModelMetrics.ModelDataQuality.Constraints.S3Uri']),
  ];
  return `model package version ${pkg.version} has no ${missing.join(' and ')}, so there is no baseline to monitor against`;
}

/**
 * The job definition for a package. Its name ends in a fingerprint of its content, so a repeated
 * deployment reuses it and changed settings get a new one.
 */
function jobDefinitionRequest(
  settings: DeployerSettings,
  variant: InstanceVariantSettings,
  monitoring: MonitoringSettings,
  pkg: PackageRef,
  baseline: Baseline,
): CreateDataQualityJobDefinitionCommandInput & { readonly JobDefinitionName: string } {
  const endpointName = settings.endpointName;
  const definition: Omit<CreateDataQualityJobDefinitionCommandInput, 'JobDefinitionName'> = {
    DataQualityBaselineConfig: {
      ConstraintsResource: { S3Uri: baseline.constraintsS3Uri },
      StatisticsResource: { S3Uri: baseline.statisticsS3Uri },
    },
    DataQualityAppSpecification: { ImageUri: monitoring.imageUri },
    DataQualityJobInput: {
      EndpointInput: {
        EndpointName: endpointName,
        LocalPath: ENDPOINT_INPUT_PATH,
        S3InputMode: 'File',
        S3DataDistributionType: 'FullyReplicated',
      },
    },
    DataQualityJobOutputConfig: {
      MonitoringOutputs: [
        { S3Output: { S3Uri: `${monitoring.outputS3Uri}${endpointName}`, LocalPath: OUTPUT_PATH, S3UploadMode: 'EndOfJob' } },
      ],
      // Reports land in the bucket the captured data is in: encrypt them alike.
      KmsKeyId: variant.dataCapture.kmsKeyId ?? settings.kmsKeyId,
    },
    JobResources: jobResources(settings, monitoring),
    NetworkConfig: networkConfig(variant),
    RoleArn: monitoring.roleArn,
    StoppingCondition: { MaxRuntimeInSeconds: MAX_RUNTIME_SECONDS },
    Tags: packageTags(endpointName, pkg),
  };
  const fingerprint = createHash('sha256').update(JSON.stringify(definition)).digest('hex');
  return { ...definition, JobDefinitionName: dataQualityJobDefinitionName(endpointName, pkg.version, fingerprint) };
}

/**
 * The model-quality job definition for a package: the endpoint's captured predictions of the
 * window between the offsets, merged by event id with the ground truth under
 * `<groundTruthS3Uri><endpoint>/yyyy/mm/dd/hh/`, reports under `<outputS3Uri>model-quality/<endpoint>`.
 * Named after the package version and a fingerprint of its content, like the data-quality one.
 */
function modelQualityJobDefinitionRequest(
  settings: DeployerSettings,
  variant: InstanceVariantSettings,
  monitoring: MonitoringSettings,
  modelQuality: ModelQualitySettings,
  pkg: PackageRef,
): CreateModelQualityJobDefinitionCommandInput & { readonly JobDefinitionName: string } {
  const endpointName = settings.endpointName;
  const prediction =
    modelQuality.problemType === 'BinaryClassification'
      ? { ProbabilityAttribute: PREDICTION_COLUMN, ProbabilityThresholdAttribute: modelQuality.probabilityThreshold ?? 0.5 }
      : { InferenceAttribute: PREDICTION_COLUMN };
  const definition: Omit<CreateModelQualityJobDefinitionCommandInput, 'JobDefinitionName'> = {
    ModelQualityAppSpecification: {
      ImageUri: monitoring.imageUri,
      ProblemType: modelQuality.problemType,
      Environment: { ...PUBLISH_METRICS },
    },
    ModelQualityJobInput: {
      EndpointInput: {
        EndpointName: endpointName,
        LocalPath: ENDPOINT_INPUT_PATH,
        S3InputMode: 'File',
        S3DataDistributionType: 'FullyReplicated',
        ...prediction,
        // Ground truth arrives late: each run analyses the predictions of an earlier window.
        StartTimeOffset: modelQuality.startTimeOffset,
        EndTimeOffset: modelQuality.endTimeOffset,
      },
      // "the same path format as captured data": <uri>/yyyy/mm/dd/hh/*.jsonl
      // https://docs.aws.amazon.com/sagemaker/latest/dg/model-monitor-model-quality-merge.html
      GroundTruthS3Input: { S3Uri: `${modelQuality.groundTruthS3Uri}${endpointName}` },
    },
    ModelQualityJobOutputConfig: {
      MonitoringOutputs: [
        {
          S3Output: { S3Uri: `${monitoring.outputS3Uri}model-quality/${endpointName}`, LocalPath: OUTPUT_PATH, S3UploadMode: 'EndOfJob' },
        },
      ],
      KmsKeyId: variant.dataCapture.kmsKeyId ?? settings.kmsKeyId,
    },
    JobResources: jobResources(settings, monitoring),
    NetworkConfig: networkConfig(variant),
    RoleArn: monitoring.roleArn,
    StoppingCondition: { MaxRuntimeInSeconds: MODEL_QUALITY_MAX_RUNTIME_SECONDS },
    Tags: packageTags(endpointName, pkg),
  };
  const fingerprint = createHash('sha256').update(JSON.stringify(definition)).digest('hex');
  return { ...definition, JobDefinitionName: modelQualityJobDefinitionName(endpointName, pkg.version, fingerprint) };
}

/** One instance with a KMS-encrypted volume. */
function jobResources(settings: DeployerSettings, monitoring: MonitoringSettings): MonitoringResources {
  return {
    ClusterConfig: {
      InstanceCount: 1,
      // Checked for the ml.family.size form only, as for the endpoint's instance type.
      InstanceType: monitoring.instanceType as ProcessingInstanceType,
      VolumeSizeInGB: VOLUME_SIZE_GB,
      VolumeKmsKeyId: settings.kmsKeyId,
    },
  };
}

/** Network-isolated, encrypted between containers, in the endpoint's VPC when it has one. */
function networkConfig(variant: InstanceVariantSettings): MonitoringNetworkConfig {
  return {
    EnableNetworkIsolation: true,
    EnableInterContainerTrafficEncryption: true,
    VpcConfig: variant.vpc ? { Subnets: [...variant.vpc.subnetIds], SecurityGroupIds: [...variant.vpc.securityGroupIds] } : undefined,
  };
}
