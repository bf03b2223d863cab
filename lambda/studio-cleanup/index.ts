import { SageMakerClient } from '@aws-sdk/client-sagemaker';
import { Logger } from '@aws-lambda-powertools/logger';
import type { CloudFormationCustomResourceEvent, CloudFormationCustomResourceResponse, Context } from 'aws-lambda';
import { responseTo, sendResponse } from '../shared/cloudformation-response';
import { CleanupProgress, removeStudioDomain } from './cleanup';
import { DOMAIN_ID_PATTERN, STUDIO_CLEANUP_PROPERTIES, STUDIO_REMOVAL_POLICIES } from './properties';

// Created once per execution environment and reused by every invocation it serves.
const sagemaker = new SageMakerClient({});
const logger = new Logger({ serviceName: 'cdk-mlops-studio-cleanup' });

/** Between two clean-up passes while SageMaker deletes apps, spaces, profiles or the domain (minutes each). */
const PASS_INTERVAL_MS = 15_000;
/** Time kept back to answer CloudFormation before Lambda's timeout. */
const RESPONSE_RESERVE_MS = 30_000;

/** What one request needs besides the event; tests pass fakes. */
export interface CustomResourceDependencies {
  readonly removeStudioDomain: (domainId: string) => Promise<CleanupProgress>;
  readonly remainingTimeMs: () => number;
  readonly sleep: (ms: number) => Promise<void>;
  readonly log: { info(message: string, attributes: Record<string, unknown>): void };
}

/**
 * The custom resource's Lambda handler, invoked by CloudFormation directly (no provider framework).
 * Create and Update change nothing; Delete under the `destroy` policy removes the domain's apps,
 * spaces and user profiles, then the domain with its home EFS file system, waiting while SageMaker
 * deletes them; Delete under `retain` removes nothing.
 */
export async function handler(event: CloudFormationCustomResourceEvent, context: Context): Promise<void> {
  const response = await handleCustomResource(event, {
    removeStudioDomain: (domainId) => removeStudioDomain(domainId, { sagemaker, log: logger }),
    remainingTimeMs: () => context.getRemainingTimeInMillis(),
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    log: logger,
  });
  logger.info('custom resource response', { requestType: event.RequestType, requestId: event.RequestId, status: response.Status, reason: response.Reason });
  await sendResponse(event.ResponseURL, response);
}

/** The response to one CloudFormation request; failures become a FAILED response with the reason. */
export async function handleCustomResource(event: CloudFormationCustomResourceEvent, deps: CustomResourceDependencies): Promise<CloudFormationCustomResourceResponse> {
  const { DOMAIN_ID, REMOVAL_POLICY } = STUDIO_CLEANUP_PROPERTIES;
  const domainId: unknown = event.ResourceProperties[DOMAIN_ID];
  const removalPolicy: unknown = event.ResourceProperties[REMOVAL_POLICY];
  const policies: unknown[] = Object.values(STUDIO_REMOVAL_POLICIES);
  const problem = !isDomainId(domainId)
    ? `resource property ${DOMAIN_ID} is ${JSON.stringify(domainId)}: expected a SageMaker domain ID such as d-abc123def456`
    : !policies.includes(removalPolicy)
      ? `resource property ${REMOVAL_POLICY} is ${JSON.stringify(removalPolicy)}: expected ${policies.map((policy) => JSON.stringify(policy)).join(' or ')}`
      : undefined;
  const answer = (status: 'SUCCESS' | 'FAILED', physicalResourceId: string, reason?: string) => responseTo(event, status, physicalResourceId, reason);

  if (event.RequestType !== 'Delete') {
    if (problem) return answer('FAILED', event.RequestType === 'Update' ? event.PhysicalResourceId : event.LogicalResourceId, problem);
    // A replaced domain gives a new ID, so CloudFormation deletes the old resource with the old domain ID.
    return answer('SUCCESS', `studio-cleanup:${domainId}`);
  }
  // The Delete of a resource whose Create failed on a bad property: there is nothing to remove.
  if (problem || !isDomainId(domainId)) return answer('SUCCESS', event.PhysicalResourceId);
  if (removalPolicy === STUDIO_REMOVAL_POLICIES.RETAIN) {
    deps.log.info('the stage retains the domain: nothing removed', { domainId, requestId: event.RequestId });
    return answer('SUCCESS', event.PhysicalResourceId);
  }

  try {
    for (;;) {
      const progress = await deps.removeStudioDomain(domainId);
      if (progress.complete) return answer('SUCCESS', event.PhysicalResourceId);
      if (deps.remainingTimeMs() < PASS_INTERVAL_MS + RESPONSE_RESERVE_MS) {
        return answer('FAILED', event.PhysicalResourceId, `Studio domain ${domainId} is not gone yet (${progress.detail}); retry the stack deletion in a few minutes`);
      }
      await deps.sleep(PASS_INTERVAL_MS);
    }
  } catch (error) {
    return answer('FAILED', event.PhysicalResourceId, `removing Studio domain ${domainId} failed: ${(error as Error).message}`);
  }
}

function isDomainId(value: unknown): value is string {
  return typeof value === 'string' && DOMAIN_ID_PATTERN.test(value);
}
