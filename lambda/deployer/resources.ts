import {
  DeleteEndpointConfigCommand,
  DeleteModelCommand,
  ListTagsCommand,
  paginateListEndpointConfigs,
  paginateListModels,
  type SageMakerClient,
  type Tag,
} from '@aws-sdk/client-sagemaker';
import { ownedNamePrefix, TAG } from './naming';
import { isAwsError } from '../shared/aws-errors';

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

/**
 * Whether the deployer created the resource for this endpoint: its name starts with the prefix the
 * deployer gives it, and it carries the endpoint's tag (`NameContains` also matches other
 * endpoints' resources, and resources someone else named alike).
 */
export async function isOwnedBy(
  sagemaker: SageMakerClient,
  endpointName: string,
  prefix: string,
  name: string,
  arn: string | undefined,
): Promise<boolean> {
  return name.startsWith(prefix) && arn !== undefined && (await readTags(sagemaker, arn))[TAG.ENDPOINT] === endpointName;
}

/** Models and endpoint configs tagged as created by the deployer for this endpoint. */
export async function listOwnedResources(sagemaker: SageMakerClient, endpointName: string): Promise<OwnedResources> {
  const prefix = ownedNamePrefix(endpointName);
  const isOwned = (name: string, arn: string | undefined) => isOwnedBy(sagemaker, endpointName, prefix, name, arn);

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

/**
 * SageMaker answers a request for a missing endpoint, config or model with a ValidationException
 * saying "Could not find" (for a model package, "does not exist"), and one for a missing
 * monitoring schedule or job definition with ResourceNotFound.
 */
export function isNotFound(error: unknown): boolean {
  return isValidationError(error, /could not find|does not exist/i) || (isAwsError(error) && error.name === 'ResourceNotFound');
}

/** SageMaker reports most conflicts and bad requests as ValidationException; the message tells them apart. */
export function isValidationError(error: unknown, message: RegExp): boolean {
  return isAwsError(error) && error.name === 'ValidationException' && message.test(error.message);
}

/**
 * Creation that treats "already exists" as done: callers name what they create after a fingerprint
 * of its content, so a resource left by an earlier attempt is the one wanted. Models and endpoint
 * configs report a taken name as a ValidationException, job definitions as ResourceInUse.
 */
export async function createUnlessExists(create: () => Promise<unknown>): Promise<void> {
  try {
    await create();
  } catch (error) {
    if (!isNameTaken(error)) throw error;
  }
}

/** SageMaker's answer to a create whose name is taken: a ValidationException "already exists", or ResourceInUse. */
export function isNameTaken(error: unknown): boolean {
  return isValidationError(error, /already exist/i) || (isAwsError(error) && error.name === 'ResourceInUse');
}

/** Deletion that treats "already gone" as done, so repeating it is harmless. */
export async function deleteIfPresent(remove: () => Promise<unknown>): Promise<void> {
  try {
    await remove();
  } catch (error) {
    if (!isNotFound(error)) throw error;
  }
}

export type { AwsError } from '../shared/aws-errors';
export { isAwsError };
