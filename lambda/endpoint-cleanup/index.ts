import { ApplicationAutoScalingClient } from '@aws-sdk/client-application-auto-scaling';
import { SageMakerClient } from '@aws-sdk/client-sagemaker';
import { Logger } from '@aws-lambda-powertools/logger';
import type { CloudFormationCustomResourceEvent, CloudFormationCustomResourceResponse, Context } from 'aws-lambda';
import { SAGEMAKER_NAME_PATTERN } from '../shared/sagemaker-names';
import { responseTo, sendResponse } from '../shared/cloudformation-response';
import { CleanupProgress, removeEndpointResources } from './cleanup';
import { ENDPOINT_CLEANUP_PROPERTIES } from './properties';

// Created once per execution environment and reused by every invocation it serves.
const sagemaker = new SageMakerClient({});
const autoscaling = new ApplicationAutoScalingClient({});
const logger = new Logger({ serviceName: 'cdk-mlops-endpoint-cleanup' });

/** SageMaker's pattern for endpoint and monitoring schedule names. */
/** Between two clean-up passes while SageMaker deletes the monitoring schedule or the endpoint (minutes). */
const PASS_INTERVAL_MS = 15_000;
/** Time kept back to answer CloudFormation before Lambda's timeout. */
const RESPONSE_RESERVE_MS = 30_000;

/** What one request needs besides the event; tests pass fakes. */
export interface CustomResourceDependencies {
  readonly removeEndpointResources: (endpointName: string, monitoringScheduleName?: string, modelQualityScheduleName?: string) => Promise<CleanupProgress>;
  readonly remainingTimeMs: () => number;
  readonly sleep: (ms: number) => Promise<void>;
}

/**
 * The custom resource's Lambda handler, invoked by CloudFormation directly (no provider framework:
 * one function, answering CloudFormation itself). Create and Update change nothing; Delete removes
 * the endpoint and what the deployer created for it, waiting while SageMaker deletes the endpoint.
 */
export async function handler(event: CloudFormationCustomResourceEvent, context: Context): Promise<void> {
  const response = await handleCustomResource(event, {
    removeEndpointResources: (endpointName, monitoringScheduleName, modelQualityScheduleName) =>
      removeEndpointResources(endpointName, { sagemaker, autoscaling, log: logger }, monitoringScheduleName, modelQualityScheduleName),
    remainingTimeMs: () => context.getRemainingTimeInMillis(),
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  });
  logger.info('custom resource response', { requestType: event.RequestType, requestId: event.RequestId, status: response.Status, reason: response.Reason });
  await sendResponse(event.ResponseURL, response);
}

/** The response to one CloudFormation request; failures become a FAILED response with the reason. */
export async function handleCustomResource(
  event: CloudFormationCustomResourceEvent,
  deps: CustomResourceDependencies,
): Promise<CloudFormationCustomResourceResponse> {
  const { ENDPOINT_NAME, MONITORING_SCHEDULE_NAME, MODEL_QUALITY_SCHEDULE_NAME } = ENDPOINT_CLEANUP_PROPERTIES;
  const endpointName: unknown = event.ResourceProperties[ENDPOINT_NAME];
  const scheduleName: unknown = event.ResourceProperties[MONITORING_SCHEDULE_NAME];
  const modelQualityName: unknown = event.ResourceProperties[MODEL_QUALITY_SCHEDULE_NAME];
  const badSchedule = (property: string, value: unknown) =>
    `resource property ${property} is ${JSON.stringify(value)}: expected a monitoring schedule name of 1-63 letters, digits and hyphens, or no value`;
  const problem = !isName(endpointName)
    ? `resource property ${ENDPOINT_NAME} is ${JSON.stringify(endpointName)}: expected an endpoint name of 1-63 letters, digits and hyphens`
    : scheduleName !== undefined && !isName(scheduleName)
      ? badSchedule(MONITORING_SCHEDULE_NAME, scheduleName)
      : modelQualityName !== undefined && !isName(modelQualityName)
        ? badSchedule(MODEL_QUALITY_SCHEDULE_NAME, modelQualityName)
        : undefined;
  const answer = (status: 'SUCCESS' | 'FAILED', physicalResourceId: string, reason?: string) => responseTo(event, status, physicalResourceId, reason);

  if (event.RequestType !== 'Delete') {
    if (problem) return answer('FAILED', event.RequestType === 'Update' ? event.PhysicalResourceId : event.LogicalResourceId, problem);
    // A new endpoint name gives a new ID, so CloudFormation deletes the old resource with the old name.
    return answer('SUCCESS', `endpoint-cleanup:${endpointName}`);
  }
  // The Delete of a resource whose Create failed on a bad property: there is nothing to remove.
  if (problem || !isName(endpointName)) return answer('SUCCESS', event.PhysicalResourceId);
  const monitoringScheduleName = isName(scheduleName) ? scheduleName : undefined;
  const modelQualityScheduleName = isName(modelQualityName) ? modelQualityName : undefined;

  try {
    for (;;) {
      const progress = await deps.removeEndpointResources(endpointName, monitoringScheduleName, modelQualityScheduleName);
      if (progress.complete) return answer('SUCCESS', event.PhysicalResourceId);
      if (deps.remainingTimeMs() < PASS_INTERVAL_MS + RESPONSE_RESERVE_MS) {
        return answer('FAILED', event.PhysicalResourceId, `endpoint ${endpointName} is not gone yet (${progress.detail}); retry the stack deletion in a few minutes`);
      }
      await deps.sleep(PASS_INTERVAL_MS);
    }
  } catch (error) {
    return answer('FAILED', event.PhysicalResourceId, `removing endpoint ${endpointName} failed: ${(error as Error).message}`);
  }
}

function isName(value: unknown): value is string {
  return typeof value === 'string' && SAGEMAKER_NAME_PATTERN.test(value);
}
