import { ApplicationAutoScalingClient } from '@aws-sdk/client-application-auto-scaling';
import { SageMakerClient } from '@aws-sdk/client-sagemaker';
import { Logger } from '@aws-lambda-powertools/logger';
import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import { removeEndpointResources } from './cleanup';
import { ENDPOINT_CLEANUP_PROPERTIES } from './properties';

// Created once per execution environment and reused by every invocation it serves.
const sagemaker = new SageMakerClient({});
const autoscaling = new ApplicationAutoScalingClient({});
const logger = new Logger({ serviceName: 'cdk-mlops-endpoint-cleanup' });
const deps = { sagemaker, autoscaling, log: logger };

const ENDPOINT_NAME_PATTERN = /^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$/;

/** The Provider framework adds the physical ID it got from onEvent before calling isComplete. */
export type IsCompleteEvent = CloudFormationCustomResourceEvent & { readonly PhysicalResourceId: string };

/**
 * onEvent handler for `custom_resources.Provider`. Create and Update change nothing; Delete starts
 * removing the endpoint and what the deployer created for it, which isComplete finishes.
 */
export async function onEvent(event: CloudFormationCustomResourceEvent): Promise<{ PhysicalResourceId: string }> {
  const endpointName = endpointNameOf(event);
  logger.info('custom resource request', { requestType: event.RequestType, requestId: event.RequestId, endpointName });
  if (event.RequestType === 'Delete') {
    await removeEndpointResources(endpointName, deps);
    return { PhysicalResourceId: event.PhysicalResourceId };
  }
  // A new endpoint name gives a new ID, so CloudFormation deletes the old resource with the old name.
  return { PhysicalResourceId: `endpoint-cleanup:${endpointName}` };
}

/** isComplete handler for `custom_resources.Provider`: Delete is complete once nothing is left. */
export async function isComplete(event: IsCompleteEvent): Promise<{ IsComplete: boolean }> {
  if (event.RequestType !== 'Delete') return { IsComplete: true };
  const progress = await removeEndpointResources(endpointNameOf(event), deps);
  return { IsComplete: progress.complete };
}

function endpointNameOf(event: CloudFormationCustomResourceEvent): string {
  const endpointName: unknown = event.ResourceProperties[ENDPOINT_CLEANUP_PROPERTIES.ENDPOINT_NAME];
  if (typeof endpointName !== 'string' || !ENDPOINT_NAME_PATTERN.test(endpointName)) {
    throw new Error(
      `resource property ${ENDPOINT_CLEANUP_PROPERTIES.ENDPOINT_NAME} is ${JSON.stringify(endpointName)}: ` +
        'expected an endpoint name of 1-63 letters, digits and hyphens',
    );
  }
  return endpointName;
}
