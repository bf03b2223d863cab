/**
 * Names and tags of what the deployer creates. No AWS SDK import, so the CDK construct and the
 * operator CLI can use them without loading a client.
 */

/** Tags the deployer writes; the endpoint clean-up finds what to delete by them. */
export const TAG = {
  /** On the endpoint, and on every model and endpoint config created for it: the endpoint's name. */
  ENDPOINT: 'cdk-mlops:endpoint',
  /** On models and endpoint configs: the model package they serve. */
  MODEL_PACKAGE_ARN: 'cdk-mlops:model-package-arn',
  MODEL_PACKAGE_VERSION: 'cdk-mlops:model-package-version',
  /** On the endpoint: the endpoint config the deployer last asked it to serve. */
  REQUESTED_CONFIG: 'cdk-mlops:requested-config',
  /** On the endpoint: the package SageMaker rolled back from; it is not deployed again by itself. */
  ROLLED_BACK_PACKAGE_ARN: 'cdk-mlops:rolled-back-package-arn',
  /** On the endpoint: the event that found the rollback, so its retries fail the same way. */
  ROLLBACK_DETECTED_BY_EVENT: 'cdk-mlops:rollback-detected-by-event',
} as const;

/** The single production variant; blue/green updates need the same variant name in old and new config. */
export const VARIANT_NAME = 'AllTraffic';

const MAX_NAME_LENGTH = 63;
/** `-v` + up to 10 version digits + `-` + 8 fingerprint characters. */
const MAX_SUFFIX_LENGTH = 2 + 10 + 1 + 8;

/**
 * The part of the endpoint name that starts every model and endpoint config name the deployer
 * generates. It has a fixed length, whatever the version, so it also serves as the `NameContains`
 * filter that finds them again.
 */
export function ownedNamePrefix(endpointName: string): string {
  return endpointName.slice(0, MAX_NAME_LENGTH - MAX_SUFFIX_LENGTH).replace(/-+$/, '');
}

/**
 * `{endpoint}-v{version}-{fingerprint}`: at most 63 characters and within SageMaker's
 * `^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$`, the endpoint part truncated when needed. The model and the
 * endpoint config of one deployment share the name, which shows that they belong together.
 */
export function deploymentResourceName(endpointName: string, packageVersion: number, fingerprint: string): string {
  return `${ownedNamePrefix(endpointName)}-v${packageVersion}-${fingerprint.slice(0, 8)}`;
}
