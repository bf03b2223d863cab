import { createHash } from 'node:crypto';

/**
 * Names and tags of what the batch scorer creates. No AWS SDK import, so the CDK construct, the
 * clean-up and the operator CLI use them without loading a client.
 *
 * - a model per package version (and settings): `{scorer}-v{version}-{fingerprint8}`
 * - a transform job per input object: `{scorer}-{input12}-v{version}`, where `input12` is the
 *   first 12 hex digits of the SHA-256 of the object's bucket, key and ETag. A duplicate event for
 *   the same object maps to the same input hash (and, with the same package, the same job name),
 *   so the scorer finds the job it already started instead of starting another.
 *
 * Both fit SageMaker's 63 characters and `^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$`.
 */

/** Tags on every model and transform job the scorer creates; the clean-up deletes only what carries them. */
export const BATCH_TAG = {
  /** The scorer's name. */
  SCORER: 'cdk-mlops:batch-scorer',
  MODEL_PACKAGE_ARN: 'cdk-mlops:model-package-arn',
  MODEL_PACKAGE_VERSION: 'cdk-mlops:model-package-version',
} as const;

/** Hex digits of the input hash in a job name: 48 bits, no collision among the inputs of one scorer in practice. */
export const INPUT_HASH_LENGTH = 12;
/** `-` + input hash + `-v` + up to 10 version digits. */
const JOB_SUFFIX_LENGTH = 1 + INPUT_HASH_LENGTH + 2 + 10;
/** The longest scorer name: 63 minus the job suffix. */
export const SCORER_NAME_MAX_LENGTH = 63 - JOB_SUFFIX_LENGTH;

/** The start of every model and job name of the scorer: the `NameContains` filter and the IAM prefix. */
export function ownedNamePrefix(scorerName: string): string {
  return `${scorerName}-`;
}

/** The object an input hash identifies: its bucket, key and ETag (content), as S3 reports them. */
export interface InputObject {
  readonly bucket: string;
  readonly key: string;
  /** With or without the quotes S3's ListObjectsV2 puts around it; S3's events send it without. */
  readonly etag: string;
}

/** The object's identity as 12 hex digits: the same for an S3 event and a listing of the same object. */
export function inputHash(input: InputObject): string {
  const etag = input.etag.replace(/"/g, '').toLowerCase();
  return createHash('sha256').update(`${input.bucket}\n${input.key}\n${etag}`).digest('hex').slice(0, INPUT_HASH_LENGTH);
}

/** The start of every job name for one input, whatever package scored it: the `NameContains` filter that finds them. */
export function inputJobNamePrefix(scorerName: string, hash: string): string {
  return `${ownedNamePrefix(scorerName)}${hash}-v`;
}

/** `{scorer}-{input12}-v{version}`. */
export function transformJobName(scorerName: string, hash: string, packageVersion: number): string {
  return `${inputJobNamePrefix(scorerName, hash)}${packageVersion}`;
}

/** The input hash and package version of one of the scorer's job names; undefined for any other name. */
export function parseTransformJobName(scorerName: string, jobName: string): { readonly inputHash: string; readonly packageVersion: number } | undefined {
  const prefix = ownedNamePrefix(scorerName);
  if (!jobName.startsWith(prefix)) return undefined;
  const match = new RegExp(`^([0-9a-f]{${INPUT_HASH_LENGTH}})-v(\\d{1,10})$`).exec(jobName.slice(prefix.length));
  return match ? { inputHash: match[1], packageVersion: Number(match[2]) } : undefined;
}

/** `{scorer}-v{version}-{fingerprint8}`: one model per package version and model settings. */
export function batchModelName(scorerName: string, packageVersion: number, fingerprint: string): string {
  return `${ownedNamePrefix(scorerName)}v${packageVersion}-${fingerprint.slice(0, 8)}`;
}

/** The tags of a model or job scoring with `pkg`. */
export function batchTags(scorerName: string, pkg: { readonly arn: string; readonly version: number }) {
  return [
    { Key: BATCH_TAG.SCORER, Value: scorerName },
    { Key: BATCH_TAG.MODEL_PACKAGE_ARN, Value: pkg.arn },
    { Key: BATCH_TAG.MODEL_PACKAGE_VERSION, Value: String(pkg.version) },
  ];
}

/** A job's S3OutputPath, `<output prefix URI><job name>`: its outputs are the objects under it plus `/`. */
export function jobOutputPath(outputS3Uri: string, jobName: string): string {
  return `${outputS3Uri}${jobName}`;
}

/** What batch transform names the output of an input object: its file name plus `.out`, under the job's output path. */
export function outputObjectName(inputKey: string): string {
  return `${inputKey.slice(inputKey.lastIndexOf('/') + 1)}.out`;
}
