import { DeleteModelPackageCommand, paginateListModelPackages, SageMakerClient } from '@aws-sdk/client-sagemaker';
import { Logger } from '@aws-lambda-powertools/logger';
import type { CloudFormationCustomResourceEvent, CloudFormationCustomResourceResponse } from 'aws-lambda';
import { deleteIfPresent } from '../deployer/resources';
import { SAGEMAKER_NAME_PATTERN } from '../shared/sagemaker-names';
import { responseTo, sendResponse } from '../shared/cloudformation-response';
import { REGISTRY_CLEANUP_PROPERTIES } from './properties';

// Created once per execution environment and reused by every invocation it serves.
const sagemaker = new SageMakerClient({});
const logger = new Logger({ serviceName: 'cdk-mlops-registry-cleanup' });

/**
 * The custom resource of a model registry the stage destroys: SageMaker refuses to delete a model
 * package group that still holds packages, so on Delete this removes every package first.
 */
export async function handler(event: CloudFormationCustomResourceEvent): Promise<void> {
  const response = await handleRegistryCleanup(event, sagemaker);
  logger.info('custom resource response', { requestType: event.RequestType, requestId: event.RequestId, status: response.Status, reason: response.Reason });
  await sendResponse(event.ResponseURL, response);
}

/** The response to one CloudFormation request; failures become a FAILED response with the reason. */
export async function handleRegistryCleanup(event: CloudFormationCustomResourceEvent, client: SageMakerClient): Promise<CloudFormationCustomResourceResponse> {
  const group: unknown = event.ResourceProperties[REGISTRY_CLEANUP_PROPERTIES.MODEL_PACKAGE_GROUP_NAME];
  const validName = typeof group === 'string' && SAGEMAKER_NAME_PATTERN.test(group);
  if (event.RequestType !== 'Delete') {
    const physicalResourceId = event.RequestType === 'Update' ? event.PhysicalResourceId : event.LogicalResourceId;
    if (!validName) {
      return responseTo(event, 'FAILED', physicalResourceId, `resource property ${REGISTRY_CLEANUP_PROPERTIES.MODEL_PACKAGE_GROUP_NAME} is ${JSON.stringify(group)}: expected a model package group name of 1-63 letters, digits and hyphens`);
    }
    // A new group name gives a new ID, so CloudFormation deletes the old resource with the old name.
    return responseTo(event, 'SUCCESS', `registry-cleanup:${group}`);
  }
  // The Delete of a resource whose Create failed on a bad name: there is nothing to remove.
  if (!validName) return responseTo(event, 'SUCCESS', event.PhysicalResourceId);
  try {
    const deleted = await deleteModelPackages(client, group);
    logger.info('deleted model packages', { modelPackageGroupName: group, deleted });
    return responseTo(event, 'SUCCESS', event.PhysicalResourceId);
  } catch (error) {
    return responseTo(event, 'FAILED', event.PhysicalResourceId, `deleting the packages of ${group} failed: ${(error as Error).message}`);
  }
}

/** Deletes every package of the group (any approval status); returns how many there were. */
export async function deleteModelPackages(client: SageMakerClient, group: string): Promise<number> {
  const arns: string[] = [];
  for await (const page of paginateListModelPackages({ client }, { ModelPackageGroupName: group })) {
    arns.push(...(page.ModelPackageSummaryList ?? []).flatMap((summary) => (summary.ModelPackageArn ? [summary.ModelPackageArn] : [])));
  }
  for (const arn of arns) await deleteIfPresent(() => client.send(new DeleteModelPackageCommand({ ModelPackageName: arn })));
  return arns.length;
}
