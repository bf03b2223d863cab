import { createHash } from 'node:crypto';
import {
  CreateDataQualityJobDefinitionCommand,
  type CreateDataQualityJobDefinitionCommandInput,
  CreateMonitoringScheduleCommand,
  DeleteDataQualityJobDefinitionCommand,
  DescribeModelPackageCommand,
  DescribeMonitoringScheduleCommand,
  type DescribeMonitoringScheduleCommandOutput,
  type MonitoringScheduleConfig,
  paginateListDataQualityJobDefinitions,
  type ProcessingInstanceType,
  type SageMakerClient,
  UpdateMonitoringScheduleCommand,
} from '@aws-sdk/client-sagemaker';
import type { PackageRef } from './deploy';
import type { DeployerSettings, InstanceVariantSettings, MonitoringSettings } from './environment';
import { DeploymentFailedError, MonitoringScheduleBusyError } from './errors';
import { dataQualityJobDefinitionName, dataQualityNamePrefix, packageTags } from './naming';
import { createUnlessExists, deleteIfPresent, isAwsError, isNotFound, isOwnedBy, isValidationError } from './resources';

/** Where the analyzer container reads the captured data and writes its reports (Model Monitor's defaults). */
const ENDPOINT_INPUT_PATH = '/opt/ml/processing/input/endpoint';
const OUTPUT_PATH = '/opt/ml/processing/output';
/** An hourly schedule needs each job to end within the hour. */
const MAX_RUNTIME_SECONDS = 3600;
const VOLUME_SIZE_GB = 20;

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
  const scheduleName = monitoring.scheduleName;

  const schedule = await describeMonitoringSchedule(sagemaker, scheduleName);
  if (schedule?.MonitoringScheduleStatus === 'Pending') throw new MonitoringScheduleBusyError(scheduleName, 'Pending');
  if (schedule?.MonitoringScheduleStatus === 'Failed') {
    throw new DeploymentFailedError(
      `monitoring schedule "${scheduleName}" is Failed (${schedule.FailureReason ?? 'no reason given'}): ` +
        'fix the cause and delete the schedule; the next endpoint or package event creates it again',
    );
  }
  const current = schedule?.MonitoringScheduleConfig;
  if (current?.MonitoringJobDefinitionName === name && current.ScheduleConfig?.ScheduleExpression === monitoring.scheduleExpression) {
    return { change: 'unchanged', jobDefinitionName: name };
  }

  await createUnlessExists(() => sagemaker.send(new CreateDataQualityJobDefinitionCommand(request)));
  const config: MonitoringScheduleConfig = {
    ScheduleConfig: { ScheduleExpression: monitoring.scheduleExpression },
    MonitoringJobDefinitionName: name,
    MonitoringType: 'DataQuality',
  };
  if (!schedule) {
    try {
      await sagemaker.send(new CreateMonitoringScheduleCommand({ MonitoringScheduleName: scheduleName, MonitoringScheduleConfig: config }));
    } catch (error) {
      // Another invocation (a duplicate event) created it first.
      if (isAwsError(error) && error.name === 'ResourceInUse') throw new MonitoringScheduleBusyError(scheduleName, 'Pending');
      throw error;
    }
    return { change: 'created', jobDefinitionName: name };
  }
  try {
    await sagemaker.send(new UpdateMonitoringScheduleCommand({ MonitoringScheduleName: scheduleName, MonitoringScheduleConfig: config }));
  } catch (error) {
    if (isValidationError(error, /pending/i)) throw new MonitoringScheduleBusyError(scheduleName, 'Pending');
    throw error;
  }
  return { change: 'updated', jobDefinitionName: name };
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
    for (const summary of page.JobDefinitionSummaries ?? []) {
      const name = summary.MonitoringJobDefinitionName;
      if (name && (await isOwnedBy(sagemaker, endpointName, prefix, name, summary.MonitoringJobDefinitionArn))) names.push(name);
    }
  }
  return names;
}

export async function deleteDataQualityJobDefinitions(sagemaker: SageMakerClient, names: readonly string[]): Promise<void> {
  for (const name of names) {
    await deleteIfPresent(() => sagemaker.send(new DeleteDataQualityJobDefinitionCommand({ JobDefinitionName: name })));
  }
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
    JobResources: {
      ClusterConfig: {
        InstanceCount: 1,
        // Checked for the ml.family.size form only, as for the endpoint's instance type.
        InstanceType: monitoring.instanceType as ProcessingInstanceType,
        VolumeSizeInGB: VOLUME_SIZE_GB,
        VolumeKmsKeyId: settings.kmsKeyId,
      },
    },
    NetworkConfig: {
      EnableNetworkIsolation: true,
      EnableInterContainerTrafficEncryption: true,
      VpcConfig: variant.vpc
        ? { Subnets: [...variant.vpc.subnetIds], SecurityGroupIds: [...variant.vpc.securityGroupIds] }
        : undefined,
    },
    RoleArn: monitoring.roleArn,
    StoppingCondition: { MaxRuntimeInSeconds: MAX_RUNTIME_SECONDS },
    Tags: packageTags(endpointName, pkg),
  };
  const fingerprint = createHash('sha256').update(JSON.stringify(definition)).digest('hex');
  return { ...definition, JobDefinitionName: dataQualityJobDefinitionName(endpointName, pkg.version, fingerprint) };
}
