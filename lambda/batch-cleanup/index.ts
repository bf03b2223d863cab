import { SageMakerClient } from '@aws-sdk/client-sagemaker';
import { Logger } from '@aws-lambda-powertools/logger';
import type { CloudFormationCustomResourceEvent, CloudFormationCustomResourceResponse, Context } from 'aws-lambda';
import { SCORER_NAME_MAX_LENGTH } from '../batch-scorer/naming';
import { responseTo, sendResponse } from '../shared/cloudformation-response';
import { SAGEMAKER_NAME_PATTERN } from '../shared/sagemaker-names';
import { type BatchCleanupProgress, removeBatchResources } from './cleanup';
import { BATCH_CLEANUP_PROPERTIES } from './properties';

// Created once per execution environment and reused by every invocation it serves.
const sagemaker = new SageMakerClient({});
const logger = new Logger({ serviceName: 'cdk-mlops-batch-cleanup' });

/** Between two clean-up passes while SageMaker stops the jobs. */
const PASS_INTERVAL_MS = 15_000;
/** Time kept back to answer CloudFormation before Lambda's timeout. */
const RESPONSE_RESERVE_MS = 30_000;

/** What one request needs besides the event; tests pass fakes. */
export interface BatchCleanupDependencies {
  readonly removeBatchResources: (scorerName: string) => Promise<BatchCleanupProgress>;
  readonly remainingTimeMs: () => number;
  readonly sleep: (ms: number) => Promise<void>;
}

/**
 * The custom resource's Lambda handler, invoked by CloudFormation directly (no provider framework).
 * Create and Update change nothing; Delete stops the scorer's running transform jobs, waits while
 * they stop, and deletes the scorer's models.
 */
export async function handler(event: CloudFormationCustomResourceEvent, context: Context): Promise<void> {
  const response = await handleBatchCleanup(event, {
    removeBatchResources: (scorerName) => removeBatchResources(scorerName, sagemaker, logger),
    remainingTimeMs: () => context.getRemainingTimeInMillis(),
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  });
  logger.info('custom resource response', { requestType: event.RequestType, requestId: event.RequestId, status: response.Status, reason: response.Reason });
  await sendResponse(event.ResponseURL, response);
}

/** The response to one CloudFormation request; failures become a FAILED response with the reason. */
export async function handleBatchCleanup(event: CloudFormationCustomResourceEvent, deps: BatchCleanupDependencies): Promise<CloudFormationCustomResourceResponse> {
  const scorerName: unknown = event.ResourceProperties[BATCH_CLEANUP_PROPERTIES.SCORER_NAME];
  const valid = typeof scorerName === 'string' && SAGEMAKER_NAME_PATTERN.test(scorerName) && scorerName.length <= SCORER_NAME_MAX_LENGTH;
  const answer = (status: 'SUCCESS' | 'FAILED', physicalResourceId: string, reason?: string) => responseTo(event, status, physicalResourceId, reason);
  if (event.RequestType !== 'Delete') {
    const physicalResourceId = event.RequestType === 'Update' ? event.PhysicalResourceId : event.LogicalResourceId;
    if (!valid) {
      return answer(
        'FAILED',
        physicalResourceId,
        `resource property ${BATCH_CLEANUP_PROPERTIES.SCORER_NAME} is ${JSON.stringify(scorerName)}: expected a scorer name of 1-${SCORER_NAME_MAX_LENGTH} letters, digits and hyphens`,
      );
    }
    // A new scorer name gives a new ID, so CloudFormation deletes the old resource with the old name.
    return answer('SUCCESS', `batch-cleanup:${scorerName}`);
  }
  // The Delete of a resource whose Create failed on a bad name: there is nothing to remove.
  if (!valid) return answer('SUCCESS', event.PhysicalResourceId);
  try {
    for (;;) {
      const progress = await deps.removeBatchResources(scorerName);
      if (progress.complete) return answer('SUCCESS', event.PhysicalResourceId);
      if (deps.remainingTimeMs() < PASS_INTERVAL_MS + RESPONSE_RESERVE_MS) {
        return answer('FAILED', event.PhysicalResourceId, `the transform jobs of ${scorerName} have not stopped yet (${progress.detail}); retry the stack deletion in a few minutes`);
      }
      await deps.sleep(PASS_INTERVAL_MS);
    }
  } catch (error) {
    return answer('FAILED', event.PhysicalResourceId, `removing what ${scorerName} created failed: ${(error as Error).message}`);
  }
}
