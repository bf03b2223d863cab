/**
 * The contract between the batch scorer and the construct that deploys it: environment variable
 * names, the metric it publishes, and the reader of its settings. No AWS SDK import.
 */
import { SAGEMAKER_NAME_PATTERN } from '../shared/sagemaker-names';
import { SCORER_NAME_MAX_LENGTH } from './naming';

/** Environment variables the scorer reads; the construct sets every one but VOLUME_KMS_KEY_ID. */
export const BATCH_SCORER_ENV = {
  /** Starts the name of every model and transform job the scorer creates (at most 38 characters). */
  SCORER_NAME: 'SCORER_NAME',
  /** Model package group whose newest approved package scores the inputs. */
  MODEL_PACKAGE_GROUP_NAME: 'MODEL_PACKAGE_GROUP_NAME',
  /** Role the model, and so each transform job, runs with (the scorer needs iam:PassRole on it). */
  MODEL_EXECUTION_ROLE_ARN: 'MODEL_EXECUTION_ROLE_ARN',
  /** `s3://BUCKET/PREFIX/` of the inputs: each object created under it is scored once. */
  INPUT_S3_URI: 'INPUT_S3_URI',
  /** `s3://BUCKET/PREFIX/` of the outputs: each job writes under `<prefix><job name>/`. */
  OUTPUT_S3_URI: 'OUTPUT_S3_URI',
  /** KMS key (ARN) the outputs are encrypted with (TransformOutput.KmsKeyId). */
  OUTPUT_KMS_KEY_ID: 'OUTPUT_KMS_KEY_ID',
  /**
   * Optional KMS key (ARN) of the instances' storage volumes (TransformResources.VolumeKmsKeyId).
   * Unset for instance types with local NVMe storage, which SageMaker encrypts in hardware and
   * for which it refuses a volume key.
   */
  VOLUME_KMS_KEY_ID: 'VOLUME_KMS_KEY_ID',
  /** A transform instance type, e.g. ml.m5.large. */
  INSTANCE_TYPE: 'INSTANCE_TYPE',
  /** 1-100 instances per job. */
  INSTANCE_COUNT: 'INSTANCE_COUNT',
  /** 0-100: the largest request payload (MaxPayloadInMB). */
  MAX_PAYLOAD_MB: 'MAX_PAYLOAD_MB',
  /** `Line` (records are the lines of a file, sent in mini-batches) or `None` (one request per file). */
  SPLIT_TYPE: 'SPLIT_TYPE',
  /** CloudWatch namespace of the `BatchTransformJobs` metric, e.g. `CdkMlops`. */
  METRIC_NAMESPACE: 'METRIC_NAMESPACE',
} as const;

/** The metric the scorer publishes (Embedded Metric Format): a job it started, or one that ended. */
export const BATCH_JOBS_METRIC = {
  NAME: 'BatchTransformJobs',
  SCORER_DIMENSION: 'Scorer',
  /** `Started` (by the scorer), or the job's end state: `Completed`, `Failed`, `Stopped`. */
  STATUS_DIMENSION: 'Status',
} as const;

export const SPLIT_TYPES = ['None', 'Line'] as const;
export type SplitTypeSetting = (typeof SPLIT_TYPES)[number];

export interface S3Prefix {
  /** `s3://bucket/prefix/`. */
  readonly uri: string;
  readonly bucket: string;
  /** Ends in `/`. */
  readonly prefix: string;
}

export interface BatchScorerSettings {
  readonly scorerName: string;
  readonly modelPackageGroupName: string;
  readonly executionRoleArn: string;
  readonly input: S3Prefix;
  readonly output: S3Prefix;
  readonly outputKmsKeyId: string;
  readonly volumeKmsKeyId?: string;
  readonly instanceType: string;
  readonly instanceCount: number;
  readonly maxPayloadMb: number;
  readonly splitType: SplitTypeSetting;
  readonly metricNamespace: string;
}

const E = BATCH_SCORER_ENV;
const S3_PREFIX_URL_PATTERN = /^s3:\/\/([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])\/([^\s/]\S*\/)$/;
const ROLE_ARN_PATTERN = /^arn:aws[a-z-]*:iam::\d{12}:role\/\S+$/;
// TransformOutput.KmsKeyId accepts `[a-zA-Z0-9:/_-]*` up to 2048 characters.
const KMS_KEY_PATTERN = /^[a-zA-Z0-9:/_-]{1,2048}$/;
const INSTANCE_TYPE_PATTERN = /^ml\.[a-z0-9-]+\.[a-z0-9-]+$/;
const NAMESPACE_PATTERN = /^[A-Za-z0-9._/#: -]{1,255}$/;

/**
 * Reads and validates the scorer's settings; throws one error naming every bad variable, the value
 * received and what is expected.
 */
export function readBatchScorerSettings(env: Readonly<Record<string, string | undefined>>): BatchScorerSettings {
  const problems: string[] = [];
  const check = (name: string, valid: boolean, expected: string): void => {
    if (valid) return;
    const value = env[name];
    problems.push(`${name} ${value === undefined ? 'is not set' : `is "${value}"`}: expected ${expected}`);
  };
  const text = (name: string) => env[name] ?? '';
  const wholeNumber = (name: string, min: number, max: number) => {
    const value = text(name);
    const number = Number(value);
    check(name, /^\d+$/.test(value) && number >= min && number <= max, `a whole number from ${min} to ${max}`);
    return number;
  };
  const prefix = (name: string): S3Prefix | undefined => {
    const match = S3_PREFIX_URL_PATTERN.exec(text(name));
    check(name, match !== null, 'an S3 prefix URL such as s3://my-bucket/batch/input/ (bucket name, then a prefix ending in /)');
    return match ? { uri: match[0], bucket: match[1], prefix: match[2] } : undefined;
  };

  const scorerName = text(E.SCORER_NAME);
  check(
    E.SCORER_NAME,
    SAGEMAKER_NAME_PATTERN.test(scorerName) && scorerName.length <= SCORER_NAME_MAX_LENGTH,
    `1-${SCORER_NAME_MAX_LENGTH} letters, digits and hyphens, starting and ending with a letter or digit`,
  );
  const modelPackageGroupName = text(E.MODEL_PACKAGE_GROUP_NAME);
  check(E.MODEL_PACKAGE_GROUP_NAME, SAGEMAKER_NAME_PATTERN.test(modelPackageGroupName), 'a model package group name: 1-63 letters, digits and hyphens');
  const executionRoleArn = text(E.MODEL_EXECUTION_ROLE_ARN);
  check(E.MODEL_EXECUTION_ROLE_ARN, ROLE_ARN_PATTERN.test(executionRoleArn), 'an IAM role ARN');
  const input = prefix(E.INPUT_S3_URI);
  const output = prefix(E.OUTPUT_S3_URI);
  if (input && output && input.bucket === output.bucket && (output.prefix.startsWith(input.prefix) || input.prefix.startsWith(output.prefix))) {
    problems.push(`${E.INPUT_S3_URI} (${input.uri}) and ${E.OUTPUT_S3_URI} (${output.uri}) overlap: outputs written under the inputs would be scored again`);
  }
  const outputKmsKeyId = text(E.OUTPUT_KMS_KEY_ID);
  check(E.OUTPUT_KMS_KEY_ID, KMS_KEY_PATTERN.test(outputKmsKeyId), 'a KMS key ID, key ARN, alias or alias ARN');
  const volumeKmsKeyId = env[E.VOLUME_KMS_KEY_ID];
  if (volumeKmsKeyId !== undefined) check(E.VOLUME_KMS_KEY_ID, KMS_KEY_PATTERN.test(volumeKmsKeyId), 'a KMS key ID, key ARN, alias or alias ARN, or no value');
  const instanceType = text(E.INSTANCE_TYPE);
  check(E.INSTANCE_TYPE, INSTANCE_TYPE_PATTERN.test(instanceType), 'an instance type such as ml.m5.large');
  // TransformResources.InstanceCount: "The default value is 1, and the maximum is 100."
  const instanceCount = wholeNumber(E.INSTANCE_COUNT, 1, 100);
  // MaxPayloadInMB "cannot be greater than 100 MB"; 0 streams with chunked encoding.
  const maxPayloadMb = wholeNumber(E.MAX_PAYLOAD_MB, 0, 100);
  const splitType = text(E.SPLIT_TYPE) as SplitTypeSetting;
  check(E.SPLIT_TYPE, (SPLIT_TYPES as readonly string[]).includes(splitType), SPLIT_TYPES.join(' or '));
  const metricNamespace = text(E.METRIC_NAMESPACE);
  check(
    E.METRIC_NAMESPACE,
    NAMESPACE_PATTERN.test(metricNamespace) && !metricNamespace.startsWith('AWS/'),
    'a CloudWatch namespace (1-255 letters, digits and . _ / # : - or space, not starting with AWS/)',
  );

  if (problems.length > 0 || !input || !output) throw new Error(`batch scorer settings are invalid:\n  - ${problems.join('\n  - ')}`);
  return {
    scorerName,
    modelPackageGroupName,
    executionRoleArn,
    input,
    output,
    outputKmsKeyId,
    volumeKmsKeyId: volumeKmsKeyId || undefined,
    instanceType,
    instanceCount,
    maxPayloadMb,
    splitType,
    metricNamespace,
  };
}
