/**
 * Names and tags of what the deployer creates. No AWS SDK import, so the CDK construct and the
 * operator CLI can use them without loading a client.
 */

/** Tags the deployer writes; the endpoint clean-up finds what to delete by them. */
export const TAG = {
  /**
   * On the endpoint, and on every model, endpoint config and data- or model-quality job definition
   * created for it: the endpoint's name.
   */
  ENDPOINT: 'cdk-mlops:endpoint',
  /** On models, endpoint configs and job definitions: the model package they serve or monitor. */
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
/** Sets data-quality job definitions apart from the models and endpoint configs of the same deployment. */
const DATA_QUALITY_INFIX = '-dq';
/** Sets model-quality job definitions apart likewise. */
const MODEL_QUALITY_INFIX = '-mq';

/**
 * The part of the endpoint name that starts every model and endpoint config name the deployer
 * generates. It has a fixed length, whatever the version, so it also serves as the `NameContains`
 * filter that finds them again.
 */
export function ownedNamePrefix(endpointName: string): string {
  return truncatedEndpointName(endpointName, MAX_SUFFIX_LENGTH);
}

/**
 * `{endpoint}-v{version}-{fingerprint}`: at most 63 characters and within SageMaker's
 * `^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$`, the endpoint part truncated when needed. The model and the
 * endpoint config of one deployment share the name, which shows that they belong together.
 */
export function deploymentResourceName(endpointName: string, packageVersion: number, fingerprint: string): string {
  return `${ownedNamePrefix(endpointName)}-v${packageVersion}-${fingerprint.slice(0, 8)}`;
}

/**
 * The fixed-length start of every data-quality job definition name the deployer generates for the
 * endpoint: the `NameContains` filter that finds them again and the prefix IAM policies scope to.
 */
export function dataQualityNamePrefix(endpointName: string): string {
  return `${truncatedEndpointName(endpointName, DATA_QUALITY_INFIX.length + MAX_SUFFIX_LENGTH)}${DATA_QUALITY_INFIX}`;
}

/** `{endpoint}-dq-v{version}-{fingerprint}`, within the same limits as {@link deploymentResourceName}. */
export function dataQualityJobDefinitionName(endpointName: string, packageVersion: number, fingerprint: string): string {
  return `${dataQualityNamePrefix(endpointName)}-v${packageVersion}-${fingerprint.slice(0, 8)}`;
}

/**
 * The fixed-length start of every model-quality job definition name the deployer generates for the
 * endpoint, like {@link dataQualityNamePrefix}.
 */
export function modelQualityNamePrefix(endpointName: string): string {
  return `${truncatedEndpointName(endpointName, MODEL_QUALITY_INFIX.length + MAX_SUFFIX_LENGTH)}${MODEL_QUALITY_INFIX}`;
}

/** `{endpoint}-mq-v{version}-{fingerprint}`, within the same limits as {@link deploymentResourceName}. */
export function modelQualityJobDefinitionName(endpointName: string, packageVersion: number, fingerprint: string): string {
  return `${modelQualityNamePrefix(endpointName)}-v${packageVersion}-${fingerprint.slice(0, 8)}`;
}

/** The tags that tie a model, endpoint config or job definition to its endpoint and model package. */
export function packageTags(endpointName: string, pkg: { readonly arn: string; readonly version: number }) {
  return [
    { Key: TAG.ENDPOINT, Value: endpointName },
    { Key: TAG.MODEL_PACKAGE_ARN, Value: pkg.arn },
    { Key: TAG.MODEL_PACKAGE_VERSION, Value: String(pkg.version) },
  ];
}

/** Leaves room for `suffixLength` characters; a name never ends in a hyphen before its suffix. */
function truncatedEndpointName(endpointName: string, suffixLength: number): string {
  return endpointName.slice(0, MAX_NAME_LENGTH - suffixLength).replace(/-+$/, '');
}
