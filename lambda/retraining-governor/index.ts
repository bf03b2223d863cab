import { Logger } from '@aws-lambda-powertools/logger';
import { SageMakerClient } from '@aws-sdk/client-sagemaker';
import type { Context, SQSBatchItemFailure, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { GovernorSettings, readGovernorSettings } from './environment';
import { governRetraining, GovernorOutcome, retrainingDecisionMetric, RetrainingEvent, whyUnreadable } from './governor';

const sagemaker = new SageMakerClient({});
const logger = new Logger({ serviceName: 'retraining-governor' });

/** The event as invoked: from EventBridge, or directly (then without id and time). */
export type GovernorInvocation = Omit<RetrainingEvent, 'id'> & { readonly id?: string };

/** The answer to an event that cannot be read: it is logged and dropped, not retried. */
export interface GovernorRefusal {
  readonly refused: true;
  readonly eventId?: string;
  /** Why, in words. */
  readonly detail: string;
}

/**
 * Retraining governor: schedule, S3 Object Created, alarm state change and operator request events
 * → start the SageMaker pipeline, or skip. Logs one decision line per event that is also the
 * `RetrainingDecision` EMF metric.
 *
 * It is invoked two ways:
 * - with the EventBridge event itself (a rule target, or directly): errors are thrown, so Lambda
 *   retries the asynchronous event and then sends it to the function's dead-letter queue;
 * - with a batch from the SQS FIFO queue the rules feed (one message group, so one decision at a
 *   time), each record's body an EventBridge event: records are decided in order, and the first
 *   that fails is reported in `batchItemFailures` with every record after it, so SQS redelivers
 *   them in order (the event source mapping reports batch item failures) and, past the queue's
 *   maxReceiveCount, moves them to its dead-letter queue.
 *
 * An event that cannot be read (not JSON, not an object, no detail, a detail without the fields its
 * type carries, no id where one is needed) is logged once as refused and not retried: retrying
 * cannot make it readable.
 */
export async function handler(event: SQSEvent, context: Context): Promise<SQSBatchResponse>;
export async function handler(event: GovernorInvocation, context: Context): Promise<GovernorOutcome | GovernorRefusal>;
export async function handler(
  event: GovernorInvocation | SQSEvent,
  context: Context,
): Promise<GovernorOutcome | GovernorRefusal | SQSBatchResponse> {
  logger.addContext(context);
  if (isQueueBatch(event)) return handleQueueBatch(event.Records);

  const why = whyUnreadable(event);
  if (why) return refuse(event, why);
  const invocation = event as GovernorInvocation;
  const eventId = invocation.id ?? context.awsRequestId;
  try {
    return await decide(readSettings(), { ...invocation, id: eventId });
  } catch (err) {
    logFailure(err, { eventId, source: invocation.source, detailType: invocation['detail-type'] });
    throw err;
  }
}

async function handleQueueBatch(records: readonly SQSRecord[]): Promise<SQSBatchResponse> {
  // A bad environment fails the whole batch loudly, as it fails every direct invocation.
  let settings: GovernorSettings;
  try {
    settings = readSettings();
  } catch (err) {
    logFailure(err, { messageIds: records.map((record) => record.messageId) });
    throw err;
  }
  for (const [index, record] of records.entries()) {
    const messageId = record.messageId;
    const body = parseBody(record);
    const why = 'why' in body ? body.why : whyUnreadable(body.event, { requireId: true });
    if (why) {
      refuse('event' in body ? body.event : undefined, why, { messageId });
      continue;
    }
    const received = (body as { event: RetrainingEvent }).event;
    try {
      await decide(settings, received, { messageId });
    } catch (err) {
      const later = records.slice(index + 1).map((next) => next.messageId);
      logFailure(err, { eventId: received.id, source: received.source, detailType: received['detail-type'], messageId, retriedWith: later });
      const batchItemFailures: SQSBatchItemFailure[] = records.slice(index).map((failed) => ({ itemIdentifier: failed.messageId }));
      return { batchItemFailures };
    }
  }
  return { batchItemFailures: [] };
}

async function decide(settings: GovernorSettings, event: RetrainingEvent, attributes: Record<string, unknown> = {}): Promise<GovernorOutcome> {
  const outcome = await governRetraining(sagemaker, settings, event, () => new Date());
  logger.info(`retraining ${outcome.decision}`, {
    ...attributes,
    ...outcome,
    ...retrainingDecisionMetric(settings, outcome.decision, new Date()),
  });
  return outcome;
}

function readSettings(): GovernorSettings {
  return readGovernorSettings(process.env);
}

function refuse(event: unknown, why: string, attributes: Record<string, unknown> = {}): GovernorRefusal {
  const received = typeof event === 'object' && event !== null ? (event as Record<string, unknown>) : {};
  const eventId = typeof received.id === 'string' ? received.id : undefined;
  const detail = `refused the event: ${why}; it is dropped, not retried`;
  logger.warn('retraining event refused', { ...attributes, eventId, source: received.source, detailType: received['detail-type'], why });
  return { refused: true, eventId, detail };
}

function logFailure(err: unknown, attributes: Record<string, unknown>): void {
  logger.error('retraining governor failed', { ...attributes, error: err as Error });
}

/** The record's body parsed, or why it cannot be. */
function parseBody(record: SQSRecord): { readonly event: unknown } | { readonly why: string } {
  if (record.eventSource !== 'aws:sqs') return { why: `the record comes from ${JSON.stringify(record.eventSource)}, not aws:sqs` };
  if (typeof record.body !== 'string') return { why: 'the record has no body' };
  try {
    return { event: JSON.parse(record.body) };
  } catch {
    return { why: `the message body is not JSON (${record.body.length} characters)` };
  }
}

function isQueueBatch(event: unknown): event is SQSEvent {
  return typeof event === 'object' && event !== null && Array.isArray((event as { Records?: unknown }).Records);
}
