import { MODEL_QUALITY_PROBLEM_TYPE, type ModelQualityProblemTypeName } from '../shared/model-metrics';
import { SAGEMAKER_NAME_PATTERN } from '../shared/sagemaker-names';
import { DeployerSettingsError } from './errors';

/** Environment variables the deployer reads; the construct that creates the function sets them. */
export const DEPLOYER_ENV = {
  /** Endpoint to create and keep up to date. */
  ENDPOINT_NAME: 'ENDPOINT_NAME',
  /** Model package group whose newest approved package is deployed. */
  MODEL_PACKAGE_GROUP_NAME: 'MODEL_PACKAGE_GROUP_NAME',
  /** Role SageMaker assumes to run the model (the deployer needs iam:PassRole on it). */
  MODEL_EXECUTION_ROLE_ARN: 'MODEL_EXECUTION_ROLE_ARN',
  /**
   * Optional KMS key for the endpoint's ML storage volume. Leave it unset for instance types with
   * local NVMe storage (for example ml.m5d, ml.g4dn): CreateEndpointConfig rejects a key for those.
   */
  KMS_KEY_ID: 'KMS_KEY_ID',
  /** `instance` or `serverless`. */
  VARIANT_TYPE: 'VARIANT_TYPE',

  // Instance variants only.
  INSTANCE_TYPE: 'INSTANCE_TYPE',
  INITIAL_INSTANCE_COUNT: 'INITIAL_INSTANCE_COUNT',
  MIN_CAPACITY: 'MIN_CAPACITY',
  MAX_CAPACITY: 'MAX_CAPACITY',
  TARGET_INVOCATIONS_PER_INSTANCE: 'TARGET_INVOCATIONS_PER_INSTANCE',
  /** S3 URI captured requests and responses are written under, e.g. `s3://bucket/capture/`. */
  DATA_CAPTURE_S3_URI: 'DATA_CAPTURE_S3_URI',
  DATA_CAPTURE_PERCENT: 'DATA_CAPTURE_PERCENT',
  /** Optional KMS key SageMaker encrypts captured data with. */
  DATA_CAPTURE_KMS_KEY_ID: 'DATA_CAPTURE_KMS_KEY_ID',
  /** `all-at-once`, `canary` or `linear` blue/green traffic shifting on updates. */
  DEPLOYMENT_STRATEGY: 'DEPLOYMENT_STRATEGY',
  /** Percent of capacity per traffic step: canary 1-50, linear 10-50; unset for all-at-once. */
  TRAFFIC_STEP_PERCENT: 'TRAFFIC_STEP_PERCENT',
  WAIT_INTERVAL_SECONDS: 'WAIT_INTERVAL_SECONDS',
  MAX_EXECUTION_TIMEOUT_SECONDS: 'MAX_EXECUTION_TIMEOUT_SECONDS',
  /** Comma-separated CloudWatch alarm names that roll an update back. */
  ROLLBACK_ALARM_NAMES: 'ROLLBACK_ALARM_NAMES',
  /** Comma-separated; set both or neither. */
  SUBNET_IDS: 'SUBNET_IDS',
  SECURITY_GROUP_IDS: 'SECURITY_GROUP_IDS',
  // Model Monitor data-quality schedule on the captured data: set all six MONITORING_* or none (no monitoring).
  /** Schedule the deployer creates and keeps on the deployed package's baseline. */
  MONITORING_SCHEDULE_NAME: 'MONITORING_SCHEDULE_NAME',
  /** `cron(0 * ? * * *)` (hourly) or `cron(0 H ? * * *)` (daily at hour H UTC). */
  MONITORING_SCHEDULE_EXPRESSION: 'MONITORING_SCHEDULE_EXPRESSION',
  /** The region's Model Monitor analyzer image (`sagemaker-model-monitor-analyzer`). */
  MONITORING_IMAGE_URI: 'MONITORING_IMAGE_URI',
  /** Role the monitoring jobs run as (the deployer needs iam:PassRole on it). */
  MONITORING_ROLE_ARN: 'MONITORING_ROLE_ARN',
  /** Reports are written under this URI plus the endpoint name, e.g. `s3://bucket/monitoring/`. */
  MONITORING_OUTPUT_S3_URI: 'MONITORING_OUTPUT_S3_URI',
  MONITORING_INSTANCE_TYPE: 'MONITORING_INSTANCE_TYPE',
  // Model Monitor model-quality schedule on the captured predictions merged with uploaded ground
  // truth; it runs with the MONITORING_* image, role, output and instance type, so it needs them.
  // Set all six MODEL_QUALITY_* below (the probability threshold is optional) or none.
  /** Schedule the deployer creates and keeps on the deployed package. */
  MODEL_QUALITY_SCHEDULE_NAME: 'MODEL_QUALITY_SCHEDULE_NAME',
  /** Same forms as MONITORING_SCHEDULE_EXPRESSION. */
  MODEL_QUALITY_SCHEDULE_EXPRESSION: 'MODEL_QUALITY_SCHEDULE_EXPRESSION',
  /** `BinaryClassification`, `MulticlassClassification` or `Regression`. */
  MODEL_QUALITY_PROBLEM_TYPE: 'MODEL_QUALITY_PROBLEM_TYPE',
  /** Ground truth is read under this URI plus the endpoint name, e.g. `s3://bucket/ground-truth/`. */
  MODEL_QUALITY_GROUND_TRUTH_S3_URI: 'MODEL_QUALITY_GROUND_TRUTH_S3_URI',
  /** ISO 8601 offsets of the captured window from the run time, e.g. `-PT25H` and `-PT24H` (ground truth arrives late). */
  MODEL_QUALITY_START_TIME_OFFSET: 'MODEL_QUALITY_START_TIME_OFFSET',
  MODEL_QUALITY_END_TIME_OFFSET: 'MODEL_QUALITY_END_TIME_OFFSET',
  /** BinaryClassification only, default 0.5: the probability from which Model Monitor counts a prediction as the positive class (ProbabilityThresholdAttribute). */
  MODEL_QUALITY_PROBABILITY_THRESHOLD: 'MODEL_QUALITY_PROBABILITY_THRESHOLD',

  // Serverless variants only.
  SERVERLESS_MEMORY_MB: 'SERVERLESS_MEMORY_MB',
  SERVERLESS_MAX_CONCURRENCY: 'SERVERLESS_MAX_CONCURRENCY',
} as const;

export type DeploymentStrategy = 'all-at-once' | 'canary' | 'linear';

export interface BlueGreenSettings {
  readonly strategy: DeploymentStrategy;
  /** Set for canary and linear. */
  readonly trafficStepPercent?: number;
  readonly waitIntervalSeconds: number;
  readonly maxExecutionTimeoutSeconds: number;
  readonly rollbackAlarmNames: readonly string[];
}

export interface InstanceVariantSettings {
  readonly type: 'instance';
  readonly instanceType: string;
  readonly initialInstanceCount: number;
  readonly minCapacity: number;
  readonly maxCapacity: number;
  readonly targetInvocationsPerInstance: number;
  readonly dataCapture: {
    readonly destinationS3Uri: string;
    readonly samplingPercent: number;
    readonly kmsKeyId?: string;
  };
  readonly deployment: BlueGreenSettings;
  readonly vpc?: { readonly subnetIds: readonly string[]; readonly securityGroupIds: readonly string[] };
  /** Undefined when monitoring is off. */
  readonly monitoring?: MonitoringSettings;
}

/** A Model Monitor data-quality schedule on the endpoint's captured data. */
export interface MonitoringSettings {
  readonly scheduleName: string;
  readonly scheduleExpression: string;
  readonly imageUri: string;
  readonly roleArn: string;
  /** Ends in `/`. */
  readonly outputS3Uri: string;
  readonly instanceType: string;
  /** Undefined when model quality is not monitored. */
  readonly modelQuality?: ModelQualitySettings;
}

/** Model Monitor's problem types (ModelQualityAppSpecification.ProblemType). */
export const MODEL_QUALITY_PROBLEM_TYPES = Object.values(MODEL_QUALITY_PROBLEM_TYPE);
export type { ModelQualityProblemTypeName };

/**
 * A Model Monitor model-quality schedule: captured predictions merged with uploaded ground truth.
 * It runs with the image, role, output location and instance type of {@link MonitoringSettings}.
 */
export interface ModelQualitySettings {
  readonly scheduleName: string;
  readonly scheduleExpression: string;
  readonly problemType: ModelQualityProblemTypeName;
  /** Ends in `/`; the endpoint's ground truth is under it plus the endpoint name. */
  readonly groundTruthS3Uri: string;
  readonly startTimeOffset: string;
  readonly endTimeOffset: string;
  /** BinaryClassification only. */
  readonly probabilityThreshold?: number;
}

export interface ServerlessVariantSettings {
  readonly type: 'serverless';
  readonly memorySizeInMb: number;
  readonly maxConcurrency: number;
}

export interface DeployerSettings {
  readonly endpointName: string;
  readonly modelPackageGroupName: string;
  readonly executionRoleArn: string;
  readonly kmsKeyId?: string;
  readonly variant: InstanceVariantSettings | ServerlessVariantSettings;
}

const E = DEPLOYER_ENV;

const MONITORING = [
  E.MONITORING_SCHEDULE_NAME,
  E.MONITORING_SCHEDULE_EXPRESSION,
  E.MONITORING_IMAGE_URI,
  E.MONITORING_ROLE_ARN,
  E.MONITORING_OUTPUT_S3_URI,
  E.MONITORING_INSTANCE_TYPE,
] as const;

/**
 * SageMaker rejects these for serverless variants ("Feature exclusions" in
 * https://docs.aws.amazon.com/sagemaker/latest/dg/serverless-endpoints.html: VPC configuration,
 * network isolation, data capture), Model Monitor has no captured data to analyse without data
 * capture, and blue/green traffic shifting and autoscaling of instance counts have no meaning
 * without instances.
 */
const MODEL_QUALITY = [
  E.MODEL_QUALITY_SCHEDULE_NAME,
  E.MODEL_QUALITY_SCHEDULE_EXPRESSION,
  E.MODEL_QUALITY_PROBLEM_TYPE,
  E.MODEL_QUALITY_GROUND_TRUTH_S3_URI,
  E.MODEL_QUALITY_START_TIME_OFFSET,
  E.MODEL_QUALITY_END_TIME_OFFSET,
] as const;

const INSTANCE_ONLY = [
  E.INSTANCE_TYPE,
  E.INITIAL_INSTANCE_COUNT,
  E.MIN_CAPACITY,
  E.MAX_CAPACITY,
  E.TARGET_INVOCATIONS_PER_INSTANCE,
  E.DATA_CAPTURE_S3_URI,
  E.DATA_CAPTURE_PERCENT,
  E.DATA_CAPTURE_KMS_KEY_ID,
  E.DEPLOYMENT_STRATEGY,
  E.TRAFFIC_STEP_PERCENT,
  E.WAIT_INTERVAL_SECONDS,
  E.MAX_EXECUTION_TIMEOUT_SECONDS,
  E.ROLLBACK_ALARM_NAMES,
  E.SUBNET_IDS,
  E.SECURITY_GROUP_IDS,
  ...MONITORING,
  ...MODEL_QUALITY,
  E.MODEL_QUALITY_PROBABILITY_THRESHOLD,
] as const;
const SERVERLESS_ONLY = [E.SERVERLESS_MEMORY_MB, E.SERVERLESS_MAX_CONCURRENCY] as const;

/**
 * Reads and validates the deployer's settings.
 *
 * @throws DeployerSettingsError listing every missing or invalid variable, each with the value
 *   received and what is expected
 */
export function readDeployerSettings(env: Readonly<Record<string, string | undefined>>): DeployerSettings {
  const read = new EnvironmentReader(env);
  const endpointName = read.required(E.ENDPOINT_NAME, sageMakerName);
  const modelPackageGroupName = read.required(E.MODEL_PACKAGE_GROUP_NAME, sageMakerName);
  const executionRoleArn = read.required(E.MODEL_EXECUTION_ROLE_ARN, roleArn);
  const kmsKeyId = read.optional(E.KMS_KEY_ID, kmsKey);
  const variantType = read.required(E.VARIANT_TYPE, oneOf(['instance', 'serverless'] as const));

  let variant: InstanceVariantSettings | ServerlessVariantSettings | undefined;
  if (variantType === 'instance') {
    read.rejectPresent(SERVERLESS_ONLY, 'VARIANT_TYPE is instance');
    variant = readInstanceVariant(read);
  } else if (variantType === 'serverless') {
    read.rejectPresent(
      INSTANCE_ONLY,
      'VARIANT_TYPE is serverless (SageMaker supports no VPC, data capture, Model Monitor, blue/green or instance autoscaling there)',
    );
    const memorySizeInMb = read.required(E.SERVERLESS_MEMORY_MB, oneOfNumbers([1024, 2048, 3072, 4096, 5120, 6144]));
    const maxConcurrency = read.required(E.SERVERLESS_MAX_CONCURRENCY, integer(1, 200));
    if (memorySizeInMb !== undefined && maxConcurrency !== undefined) {
      variant = { type: 'serverless', memorySizeInMb, maxConcurrency };
    }
  }

  if (read.problems.length > 0 || !endpointName || !modelPackageGroupName || !executionRoleArn || !variant) {
    throw new DeployerSettingsError(read.problems);
  }
  return { endpointName, modelPackageGroupName, executionRoleArn, kmsKeyId, variant };
}

function readInstanceVariant(read: EnvironmentReader): InstanceVariantSettings | undefined {
  const instanceType = read.required(E.INSTANCE_TYPE, instanceTypeName);
  const initialInstanceCount = read.required(E.INITIAL_INSTANCE_COUNT, integer(1, 1000));
  const minCapacity = read.required(E.MIN_CAPACITY, integer(1, 1000));
  const maxCapacity = read.required(E.MAX_CAPACITY, integer(1, 1000));
  const targetInvocationsPerInstance = read.required(E.TARGET_INVOCATIONS_PER_INSTANCE, positiveNumber);
  const destinationS3Uri = read.required(E.DATA_CAPTURE_S3_URI, s3Uri);
  const samplingPercent = read.required(E.DATA_CAPTURE_PERCENT, integer(1, 100));
  const dataCaptureKmsKeyId = read.optional(E.DATA_CAPTURE_KMS_KEY_ID, kmsKey);
  const strategy = read.required(E.DEPLOYMENT_STRATEGY, oneOf(['all-at-once', 'canary', 'linear'] as const));
  const trafficStepPercent =
    strategy === 'canary'
      ? read.required(E.TRAFFIC_STEP_PERCENT, integer(1, 50))
      : strategy === 'linear'
        ? read.required(E.TRAFFIC_STEP_PERCENT, integer(10, 50))
        : read.rejectPresent([E.TRAFFIC_STEP_PERCENT], 'DEPLOYMENT_STRATEGY is all-at-once');
  const waitIntervalSeconds = read.required(E.WAIT_INTERVAL_SECONDS, integer(0, 3600));
  const maxExecutionTimeoutSeconds = read.required(E.MAX_EXECUTION_TIMEOUT_SECONDS, integer(600, 14400));
  const rollbackAlarmNames = read.optional(E.ROLLBACK_ALARM_NAMES, list(1, 10, pattern(/^.{1,255}$/, 'alarm names')));
  const subnetIds = read.optional(E.SUBNET_IDS, list(1, 16, pattern(/^subnet-[0-9a-f]+$/, 'subnet IDs')));
  const securityGroupIds = read.optional(
    E.SECURITY_GROUP_IDS,
    list(1, 5, pattern(/^sg-[0-9a-f]+$/, 'security group IDs')),
  );
  const monitoring = readMonitoring(read);

  if (minCapacity !== undefined && maxCapacity !== undefined && minCapacity > maxCapacity) {
    read.problem(`${E.MIN_CAPACITY} (${minCapacity}) is greater than ${E.MAX_CAPACITY} (${maxCapacity})`);
  }
  if (
    initialInstanceCount !== undefined &&
    minCapacity !== undefined &&
    maxCapacity !== undefined &&
    (initialInstanceCount < minCapacity || initialInstanceCount > maxCapacity)
  ) {
    read.problem(
      `${E.INITIAL_INSTANCE_COUNT} (${initialInstanceCount}) is outside ` +
        `${E.MIN_CAPACITY}..${E.MAX_CAPACITY} (${minCapacity}..${maxCapacity})`,
    );
  }
  const vpcHalfSet = (subnetIds === undefined) !== (securityGroupIds === undefined);
  if (vpcHalfSet && !read.hasProblemWith(E.SUBNET_IDS, E.SECURITY_GROUP_IDS)) {
    read.problem(`${E.SUBNET_IDS} and ${E.SECURITY_GROUP_IDS} must be set together or not at all`);
  }

  if (
    read.problems.length > 0 ||
    instanceType === undefined ||
    initialInstanceCount === undefined ||
    minCapacity === undefined ||
    maxCapacity === undefined ||
    targetInvocationsPerInstance === undefined ||
    destinationS3Uri === undefined ||
    samplingPercent === undefined ||
    strategy === undefined ||
    waitIntervalSeconds === undefined ||
    maxExecutionTimeoutSeconds === undefined
  ) {
    return undefined;
  }
  return {
    type: 'instance',
    instanceType,
    initialInstanceCount,
    minCapacity,
    maxCapacity,
    targetInvocationsPerInstance,
    dataCapture: { destinationS3Uri, samplingPercent, kmsKeyId: dataCaptureKmsKeyId },
    deployment: {
      strategy,
      trafficStepPercent,
      waitIntervalSeconds,
      maxExecutionTimeoutSeconds,
      rollbackAlarmNames: rollbackAlarmNames ?? [],
    },
    vpc: subnetIds && securityGroupIds ? { subnetIds, securityGroupIds } : undefined,
    monitoring,
  };
}

/** None of the MONITORING_* variables set: no monitoring. Some set: every one is required. */
function readMonitoring(read: EnvironmentReader): MonitoringSettings | undefined {
  const setNames = MONITORING.filter((name) => read.isSet(name));
  const modelQualitySet = [...MODEL_QUALITY, E.MODEL_QUALITY_PROBABILITY_THRESHOLD].filter((name) => read.isSet(name));
  if (setNames.length === 0) {
    if (modelQualitySet.length > 0) {
      read.problem(
        `${modelQualitySet.join(', ')} ${modelQualitySet.length === 1 ? 'is' : 'are'} set without the MONITORING_* variables: ` +
          'the model-quality jobs run with their image, role, output location and instance type; set them too, or unset every MODEL_QUALITY_* variable',
      );
    }
    return undefined;
  }
  const because = `${setNames.join(', ')} ${setNames.length === 1 ? 'is' : 'are'} set; set all MONITORING_* variables or none`;
  const scheduleName = read.required(E.MONITORING_SCHEDULE_NAME, sageMakerName, because);
  const scheduleExpression = read.required(E.MONITORING_SCHEDULE_EXPRESSION, monitoringSchedule, because);
  const imageUri = read.required(E.MONITORING_IMAGE_URI, ecrImageUri, because);
  const monitoringRoleArn = read.required(E.MONITORING_ROLE_ARN, roleArn, because);
  const outputS3Uri = read.required(E.MONITORING_OUTPUT_S3_URI, s3Prefix, because);
  const instanceType = read.required(E.MONITORING_INSTANCE_TYPE, instanceTypeName, because);
  const modelQuality = readModelQuality(read);
  if (!scheduleName || !scheduleExpression || !imageUri || !monitoringRoleArn || !outputS3Uri || !instanceType) return undefined;
  return { scheduleName, scheduleExpression, imageUri, roleArn: monitoringRoleArn, outputS3Uri, instanceType, modelQuality };
}

/** None of the MODEL_QUALITY_* variables set: no model-quality schedule. Some set: every one but the probability threshold is required. */
function readModelQuality(read: EnvironmentReader): ModelQualitySettings | undefined {
  const setNames = [...MODEL_QUALITY, E.MODEL_QUALITY_PROBABILITY_THRESHOLD].filter((name) => read.isSet(name));
  if (setNames.length === 0) return undefined;
  const because = `${setNames.join(', ')} ${setNames.length === 1 ? 'is' : 'are'} set; set all MODEL_QUALITY_* variables or none`;
  const scheduleName = read.required(E.MODEL_QUALITY_SCHEDULE_NAME, sageMakerName, because);
  const scheduleExpression = read.required(E.MODEL_QUALITY_SCHEDULE_EXPRESSION, monitoringSchedule, because);
  const problemType = read.required(E.MODEL_QUALITY_PROBLEM_TYPE, oneOf(MODEL_QUALITY_PROBLEM_TYPES), because);
  const groundTruthS3Uri = read.required(E.MODEL_QUALITY_GROUND_TRUTH_S3_URI, s3Prefix, because);
  const startTimeOffset = read.required(E.MODEL_QUALITY_START_TIME_OFFSET, timeOffset, because);
  const endTimeOffset = read.required(E.MODEL_QUALITY_END_TIME_OFFSET, timeOffset, because);
  let probabilityThreshold: number | undefined;
  // The built-in XGBoost endpoint answers a binary classifier with one probability per row: Model
  // Monitor derives the label with this threshold. Other problem types answer the label or value.
  if (problemType === 'BinaryClassification') probabilityThreshold = read.optional(E.MODEL_QUALITY_PROBABILITY_THRESHOLD, probability) ?? 0.5;
  else if (problemType) read.rejectPresent([E.MODEL_QUALITY_PROBABILITY_THRESHOLD], `MODEL_QUALITY_PROBLEM_TYPE is ${problemType}`);
  if (startTimeOffset && endTimeOffset && offsetHours(startTimeOffset) <= offsetHours(endTimeOffset)) {
    read.problem(
      `${E.MODEL_QUALITY_START_TIME_OFFSET} (${startTimeOffset}) must reach further back than ${E.MODEL_QUALITY_END_TIME_OFFSET} (${endTimeOffset}), or the jobs analyse an empty window`,
    );
  }
  if (!scheduleName || !scheduleExpression || !problemType || !groundTruthS3Uri || !startTimeOffset || !endTimeOffset) return undefined;
  return { scheduleName, scheduleExpression, problemType, groundTruthS3Uri, startTimeOffset, endTimeOffset, probabilityThreshold };
}

/** Why the deployer keeps no monitoring schedule, for the log; undefined when it does. */
export function monitoringOffReason(settings: DeployerSettings): string | undefined {
  if (settings.variant.type === 'serverless') return 'serverless endpoints capture no data for Model Monitor to analyse';
  if (!settings.variant.monitoring) return 'no MONITORING_* variables are set';
  return undefined;
}

/** Turns a raw value into a typed one, or undefined when it is invalid. */
interface Parser<T> {
  readonly parse: (raw: string) => T | undefined;
  readonly expected: string;
}

/** Collects every problem instead of stopping at the first, so one deploy fixes them all. */
class EnvironmentReader {
  public readonly problems: string[] = [];
  private readonly invalid = new Set<string>();

  constructor(private readonly env: Readonly<Record<string, string | undefined>>) {}

  /** `because` says why a variable is required that usually is not. */
  public required<T>(name: string, parser: Parser<T>, because?: string): T | undefined {
    const raw = this.raw(name);
    if (raw === undefined) {
      this.fail(name, `${name} is missing: expected ${parser.expected}${because ? ` (${because})` : ''}`);
      return undefined;
    }
    return this.parse(name, raw, parser);
  }

  public optional<T>(name: string, parser: Parser<T>): T | undefined {
    const raw = this.raw(name);
    return raw === undefined ? undefined : this.parse(name, raw, parser);
  }

  /** Records a problem for each variable that is set although it does not apply; returns undefined. */
  public rejectPresent(names: readonly string[], because: string): undefined {
    for (const name of names) {
      const raw = this.raw(name);
      if (raw !== undefined) this.fail(name, `${name} is "${raw}" but must not be set when ${because}`);
    }
    return undefined;
  }

  public problem(message: string): void {
    this.problems.push(message);
  }

  public isSet(name: string): boolean {
    return this.raw(name) !== undefined;
  }

  public hasProblemWith(...names: string[]): boolean {
    return names.some((name) => this.invalid.has(name));
  }

  private raw(name: string): string | undefined {
    const value = this.env[name]?.trim();
    return value ? value : undefined;
  }

  private parse<T>(name: string, raw: string, parser: Parser<T>): T | undefined {
    const value = parser.parse(raw);
    if (value === undefined) this.fail(name, `${name} is "${raw}": expected ${parser.expected}`);
    return value;
  }

  private fail(name: string, message: string): void {
    this.invalid.add(name);
    this.problems.push(message);
  }
}

const sageMakerName = pattern(
  SAGEMAKER_NAME_PATTERN,
  '1-63 letters, digits and hyphens, starting and ending with a letter or digit',
);
const instanceTypeName = pattern(/^ml\.[a-z0-9]+\.[a-z0-9]+$/, 'an ML instance type such as ml.m5.large');
const s3Uri = pattern(/^s3:\/\/[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](\/\S*)?$/, 'an S3 URI such as s3://bucket/capture/');
/** With the trailing slash, so appending the endpoint name gives a prefix of its own. */
const s3Prefix = pattern(
  /^s3:\/\/[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]\/(\S*\/)?$/,
  'an S3 URI ending in /, such as s3://bucket/monitoring/',
);
/**
 * The recurring forms Model Monitor accepts, hourly and daily
 * (https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_ScheduleConfig.html); not the
 * one-off `NOW`, nor every-N-hours.
 */
const monitoringSchedule = pattern(
  /^cron\(0 (\*|[01]?[0-9]|2[0-3]) \? \* \* \*\)$/,
  'cron(0 * ? * * *) for hourly or cron(0 H ? * * *) with H from 0 to 23 for daily, e.g. cron(0 0 ? * * *)',
);
/**
 * Whole hours back from the run time, the ISO 8601 form the schedule page uses (`-PT7H`):
 * https://docs.aws.amazon.com/sagemaker/latest/dg/model-monitor-model-quality-schedule.html;
 * MonitoringTimeOffsetString allows at most 15 characters.
 */
const timeOffset = pattern(/^-PT\d{1,5}H$/, 'an ISO 8601 offset of whole hours back, such as -PT24H');
const probability: Parser<number> = {
  parse: (raw) => (/^(0(\.\d+)?|1(\.0+)?)$/.test(raw) ? Number(raw) : undefined),
  expected: 'a probability from 0 to 1, such as 0.5',
};

function offsetHours(offset: string): number {
  return Number(/\d+/.exec(offset)?.[0] ?? 0);
}
const ecrImageUri = pattern(
  /^\d{12}\.dkr\.ecr\.[a-z0-9-]+\.amazonaws\.com(\.cn)?\/[a-z0-9][a-z0-9._\/-]*(:[\w][\w.-]{0,127}|@sha256:[0-9a-f]{64})?$/,
  'an ECR image URI such as 156813124566.dkr.ecr.us-east-1.amazonaws.com/sagemaker-model-monitor-analyzer',
);
const roleArn = pattern(/^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]{1,512}$/, 'an IAM role ARN');
const kmsKey = pattern(/^\S{1,2048}$/, 'a KMS key ID, key ARN, alias name or alias ARN');
const positiveNumber: Parser<number> = {
  parse: (raw) => (/^\d+(\.\d+)?$/.test(raw) && Number(raw) > 0 ? Number(raw) : undefined),
  expected: 'a number greater than 0',
};

function pattern(regex: RegExp, expected: string): Parser<string> {
  return { parse: (raw) => (regex.test(raw) ? raw : undefined), expected };
}

function integer(min: number, max: number): Parser<number> {
  return {
    parse: (raw) => (/^\d+$/.test(raw) && Number(raw) >= min && Number(raw) <= max ? Number(raw) : undefined),
    expected: `an integer from ${min} to ${max}`,
  };
}

function oneOf<T extends string>(values: readonly T[]): Parser<T> {
  return { parse: (raw) => values.find((value) => value === raw), expected: `one of ${values.join(', ')}` };
}

function oneOfNumbers(values: readonly number[]): Parser<number> {
  return { parse: (raw) => values.find((value) => String(value) === raw), expected: `one of ${values.join(', ')}` };
}

function list(minItems: number, maxItems: number, item: Parser<string>): Parser<string[]> {
  return {
    parse: (raw) => {
      const items = raw.split(',').map((part) => part.trim()).filter((part) => part.length > 0);
      const countFits = items.length >= minItems && items.length <= maxItems;
      return countFits && items.every((part) => item.parse(part) !== undefined) ? items : undefined;
    },
    expected: `${minItems}-${maxItems} comma-separated ${item.expected}`,
  };
}
