import { Logger } from '@aws-lambda-powertools/logger';
import { SageMakerClient } from '@aws-sdk/client-sagemaker';
import type { Context } from 'aws-lambda';
import { readGovernorSettings } from './environment';
import { governRetraining, GovernorOutcome, retrainingDecisionMetric, RetrainingEvent } from './governor';

const sagemaker = new SageMakerClient({});
const logger = new Logger({ serviceName: 'retraining-governor' });

/** The event as invoked: from EventBridge, or directly (then without id and time). */
export type GovernorInvocation = Omit<RetrainingEvent, 'id'> & { readonly id?: string };

/**
 * Retraining governor: EventBridge (schedule, S3 Object Created, alarm state change, operator request)
 * → start the SageMaker pipeline, or skip. Logs one decision line that is also the
 * `RetrainingDecision` EMF metric. Errors are thrown so Lambda retries the asynchronous event and
 * then sends it to the function's dead-letter queue.
 */
export async function handler(event: GovernorInvocation, context: Context): Promise<GovernorOutcome> {
  logger.addContext(context);
  const eventId = event.id ?? context.awsRequestId;
  try {
    const settings = readGovernorSettings(process.env);
    const outcome = await governRetraining(sagemaker, settings, { ...event, id: eventId }, () => new Date());
    logger.info(`retraining ${outcome.decision}`, {
      ...outcome,
      ...retrainingDecisionMetric(settings, outcome.decision, new Date()),
    });
    return outcome;
  } catch (err) {
    logger.error('retraining governor failed', {
      eventId,
      source: event.source,
      detailType: event['detail-type'],
      error: err as Error,
    });
    throw err;
  }
}
