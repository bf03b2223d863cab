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
