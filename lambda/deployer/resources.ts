import {
  DeleteEndpointConfigCommand,
  DeleteModelCommand,
  ListTagsCommand,
  paginateListEndpointConfigs,
  paginateListModels,
  type SageMakerClient,
  type Tag,
} from '@aws-sdk/client-sagemaker';

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

export function tagsByKey(tags: readonly Tag[] | undefined): Record<string, string> {
  // Later entries win: AWS overwrites a key on AddTags, moto appends a second entry.
  return Object.fromEntries((tags ?? []).map((tag) => [tag.Key ?? '', tag.Value ?? '']));
}

export async function readTags(sagemaker: SageMakerClient, resourceArn: string): Promise<Record<string, string>> {
  const { Tags } = await sagemaker.send(new ListTagsCommand({ ResourceArn: resourceArn, MaxResults: 100 }));
  return tagsByKey(Tags);
}

export interface OwnedResources {
  readonly endpointConfigNames: string[];
  readonly modelNames: string[];
}

/** Models and endpoint configs tagged as created by the deployer for this endpoint. */
export async function listOwnedResources(sagemaker: SageMakerClient, endpointName: string): Promise<OwnedResources> {
  const prefix = ownedNamePrefix(endpointName);
  const isOwned = async (name: string, arn: string | undefined) =>
    name.startsWith(prefix) && arn !== undefined && (await readTags(sagemaker, arn))[TAG.ENDPOINT] === endpointName;

  const endpointConfigNames: string[] = [];
  for await (const page of paginateListEndpointConfigs({ client: sagemaker }, { NameContains: prefix })) {
    for (const config of page.EndpointConfigs ?? []) {
      if (config.EndpointConfigName && (await isOwned(config.EndpointConfigName, config.EndpointConfigArn))) {
        endpointConfigNames.push(config.EndpointConfigName);
      }
    }
  }
  const modelNames: string[] = [];
  for await (const page of paginateListModels({ client: sagemaker }, { NameContains: prefix })) {
    for (const model of page.Models ?? []) {
      if (model.ModelName && (await isOwned(model.ModelName, model.ModelArn))) modelNames.push(model.ModelName);
    }
  }
  return { endpointConfigNames, modelNames };
}

/** Deletes endpoint configs first, so no config is left pointing at a deleted model. */
export async function deleteOwnedResources(sagemaker: SageMakerClient, resources: OwnedResources): Promise<void> {
  for (const name of resources.endpointConfigNames) {
    await deleteIfPresent(() => sagemaker.send(new DeleteEndpointConfigCommand({ EndpointConfigName: name })));
  }
  for (const name of resources.modelNames) {
    await deleteIfPresent(() => sagemaker.send(new DeleteModelCommand({ ModelName: name })));
  }
}

/** SageMaker answers a request for a missing resource with a ValidationException saying "Could not find". */
export function isNotFound(error: unknown): boolean {
  return isValidationError(error, /could not find/i);
}

/** SageMaker reports most conflicts and bad requests as ValidationException; the message tells them apart. */
export function isValidationError(error: unknown, message: RegExp): boolean {
  return isAwsError(error) && error.name === 'ValidationException' && message.test(error.message);
}

/** Deletion that treats "already gone" as done, so repeating it is harmless. */
export async function deleteIfPresent(remove: () => Promise<unknown>): Promise<void> {
  try {
    await remove();
  } catch (error) {
    if (!isNotFound(error)) throw error;
  }
}

export type AwsError = Error & { $fault?: string; $metadata?: { httpStatusCode?: number } };

export function isAwsError(error: unknown): error is AwsError {
  return error instanceof Error && '$metadata' in error;
}
