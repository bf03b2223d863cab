import { createHash } from 'node:crypto';
import {
  ListPipelineExecutionsCommand,
  PipelineExecutionSummary,
  SageMakerClient,
  StartPipelineExecutionCommand,
  StartPipelineExecutionCommandOutput,
} from '@aws-sdk/client-sagemaker';
import {
  GovernorSettings,
  OPERATOR_RETRAIN_EVENT,
  PIPELINE_PARAMETER,
  RetrainingDecision,
  RETRAINING_METRIC,
} from './environment';
import { SAGEMAKER_LIMITS, toCustomerMetadataValue, truncateCodeUnits, withoutControlCharacters } from '../shared/sagemaker-limits';
import { describeValue } from '../shared/describe-value';

/** An EventBridge event as delivered to the governor; `id` is the Lambda request id for a direct invoke. */
export interface RetrainingEvent {
  readonly id: string;
  readonly time?: string;
  readonly source?: string;
  readonly 'detail-type'?: string;
  readonly detail?: unknown;
}

export type Trigger =
  | { readonly kind: 'schedule' }
  | { readonly kind: 'new-data'; readonly bucket: string; readonly key: string }
  | { readonly kind: 'drift'; readonly alarmName: string }
  | { readonly kind: 'model-quality'; readonly alarmName: string }
  | { readonly kind: 'manual'; readonly reason: string; readonly force: boolean };

export interface IgnoredEvent {
  readonly kind: 'ignored';
  readonly why: string;
}

/** What starts every TriggerReason of an operator request: `manual:<reason>`. */
export const MANUAL_TRIGGER_PREFIX = 'manual:';
/** The longest operator reason whose TriggerReason fits a model package's CustomerMetadataValue whole. */
export const MAX_MANUAL_REASON_LENGTH = SAGEMAKER_LIMITS.CUSTOMER_METADATA_VALUE.maxLength - MANUAL_TRIGGER_PREFIX.length;

export interface GovernorOutcome {
  readonly decision: RetrainingDecision;
  readonly eventId: string;
  /** The TriggerReason passed to the pipeline, or `ignored` for an event that is not a trigger. */
  readonly trigger: string;
  /** Why the governor decided so, in words. */
  readonly detail: string;
  /** The execution started, or the one that caused the skip. */
  readonly executionArn?: string;
  readonly clientRequestToken?: string;
}

/** Final: the configured pipeline does not exist, so retrying the event cannot succeed. */
export class PipelineNotFoundError extends Error {
  public override readonly name = 'PipelineNotFoundError';

  constructor(pipelineName: string, cause: Error) {
    super(
      `SageMaker pipeline "${pipelineName}" does not exist in this account and region ` +
        `(${cause.name}: ${cause.message}); deploy the training pipeline or correct PIPELINE_NAME`,
      { cause },
    );
  }
}

const MINUTE_MS = 60_000;
// SageMaker ends a pipeline execution after 672 hours, so an older execution cannot still be running.
const EXECUTION_TIMEOUT_MS = 672 * 60 * MINUTE_MS;
const RUNNING_STATUSES = new Set(['Executing', 'Stopping']);
const S3_OBJECT_CREATED = { SOURCE: 'aws.s3', DETAIL_TYPE: 'Object Created' } as const;
const ALARM_STATE_CHANGE = { SOURCE: 'aws.cloudwatch', DETAIL_TYPE: 'CloudWatch Alarm State Change' } as const;
const SCHEDULED_EVENT = 'Scheduled Event';

/** Decides whether the event should start the pipeline, and starts it if so. */
export async function governRetraining(
  sagemaker: SageMakerClient,
  settings: GovernorSettings,
  event: RetrainingEvent,
  now: () => Date,
): Promise<GovernorOutcome> {
  const trigger = classifyEvent(event, settings);
  if (trigger.kind === 'ignored') {
    return { decision: 'ignored-event', eventId: event.id, trigger: 'ignored', detail: trigger.why };
  }

  const currentTime = now();
  const eventTime = parseTime(event.time) ?? currentTime;
  const reason = triggerReason(trigger);
  const token = clientRequestToken(settings, trigger, event.id, eventTime);
  const outcome = { eventId: event.id, trigger: reason, clientRequestToken: token };

  const history = await readExecutionHistory(sagemaker, settings, currentTime);
  if (history.running) {
    return {
      ...outcome,
      decision: 'skipped-running',
      detail: `execution is ${history.running.PipelineExecutionStatus}`,
      executionArn: history.running.PipelineExecutionArn,
    };
  }
  const force = trigger.kind === 'manual' && trigger.force;
  const sinceLastStartMs = history.lastStart ? currentTime.getTime() - history.lastStart.time.getTime() : Infinity;
  if (!force && sinceLastStartMs < settings.cooldownMinutes * MINUTE_MS) {
    return {
      ...outcome,
      decision: 'skipped-cooldown',
      detail:
        `last execution started ${Math.floor(sinceLastStartMs / MINUTE_MS)} min ago; ` +
        `cool-down is ${settings.cooldownMinutes} min`,
      executionArn: history.lastStart?.arn,
    };
  }

  const runTime = trigger.kind === 'new-data' ? debounceWindowStart(eventTime, settings.debounceMinutes) : eventTime;
  let started: StartPipelineExecutionCommandOutput;
  try {
    started = await sagemaker.send(
      new StartPipelineExecutionCommand({
        PipelineName: settings.pipelineName,
        ClientRequestToken: token,
        PipelineExecutionDisplayName: `${trigger.kind}-${runTime.toISOString().replace(/[-:]|\.\d{3}/g, '')}`,
        PipelineExecutionDescription: truncate(
          withoutControlCharacters(`Started by the retraining governor: ${explain(trigger, settings, runTime)}. Event ${event.id}.`),
          SAGEMAKER_LIMITS.PIPELINE_EXECUTION_DESCRIPTION.maxLength,
        ),
        PipelineParameters: [
          { Name: PIPELINE_PARAMETER.INPUT_DATA_URL, Value: settings.inputDataUrl },
          // Already within the 256 characters of CustomerMetadataValue, below the parameter's 1024.
          { Name: PIPELINE_PARAMETER.TRIGGER_REASON, Value: reason },
        ],
      }),
    );
  } catch (err) {
    if (isDuplicateRequest(err)) {
      return {
        ...outcome,
        decision: 'skipped-duplicate',
        detail: `SageMaker refused the token as a repeat: ${err.message}`,
      };
    }
    throw asFinalIfPipelineMissing(err, settings.pipelineName);
  }
  const executionArn = started.PipelineExecutionArn;
  // A repeated token may also be answered with the execution it started before: then nothing new ran.
  if (executionArn && history.executionArns.has(executionArn)) {
    return { ...outcome, decision: 'skipped-duplicate', detail: 'token already used by this execution', executionArn };
  }
  const detail = force ? 'forced past the cool-down' : 'idle and past the cool-down';
  return { ...outcome, decision: 'started', detail, executionArn };
}

/**
 * Why an event as received cannot be read, or undefined when it can: not an object, an id that is
 * not a non-empty string (or none, with `requireId`), no source or detail-type, or a trigger's
 * detail-type whose detail is not an object or lacks the fields that trigger carries. Events of
 * other types are readable: {@link classifyEvent} ignores them.
 */
export function whyUnreadable(event: unknown, options: { readonly requireId?: boolean } = {}): string | undefined {
  if (!isObject(event)) return `the event is ${describeValue(event)}, not an object`;
  if (event.id !== undefined || options.requireId) {
    if (typeof event.id !== 'string' || event.id.trim() === '') return `the event has no id (id is ${describeValue(event.id)})`;
  }
  const { source } = event;
  const detailType = event['detail-type'];
  if (typeof source !== 'string') return `the event has no source (source is ${describeValue(source)})`;
  if (typeof detailType !== 'string') return `the event has no detail-type (detail-type is ${describeValue(detailType)})`;
  const kind =
    detailType === SCHEDULED_EVENT ||
    (source === S3_OBJECT_CREATED.SOURCE && detailType === S3_OBJECT_CREATED.DETAIL_TYPE) ||
    (source === ALARM_STATE_CHANGE.SOURCE && detailType === ALARM_STATE_CHANGE.DETAIL_TYPE) ||
    (source === OPERATOR_RETRAIN_EVENT.SOURCE && detailType === OPERATOR_RETRAIN_EVENT.DETAIL_TYPE);
  if (!kind) return undefined;
  const { detail } = event;
  if (!isObject(detail)) return `its detail is ${describeValue(detail)}, not the object a "${detailType}" event carries`;
  const lacking = (fields: string[]) =>
    fields.length > 0 ? `its detail has no ${fields.join(', ')} (a "${detailType}" event carries them as strings)` : undefined;
  const isText = (value: unknown) => typeof value === 'string' && value !== '';
  if (detailType === S3_OBJECT_CREATED.DETAIL_TYPE) {
    return lacking([
      ...(isText(asRecord(detail.bucket).name) ? [] : ['bucket.name']),
      ...(isText(asRecord(detail.object).key) ? [] : ['object.key']),
    ]);
  }
  if (detailType === ALARM_STATE_CHANGE.DETAIL_TYPE) {
    return lacking([...(isText(detail.alarmName) ? [] : ['alarmName']), ...(isText(asRecord(detail.state).value) ? [] : ['state.value'])]);
  }
  if (detailType === OPERATOR_RETRAIN_EVENT.DETAIL_TYPE) {
    if (detail.reason !== undefined && detail.reason !== null && typeof detail.reason !== 'string') {
      return `its detail's reason is ${describeValue(detail.reason)}, not a string`;
    }
    if (detail.force !== undefined && typeof detail.force !== 'boolean') return `its detail's force is ${describeValue(detail.force)}, not true or false`;
  }
  return undefined;
}

/** Which trigger an event is, or why it is not one. */
export function classifyEvent(event: RetrainingEvent, settings: GovernorSettings): Trigger | IgnoredEvent {
  const detailType = event['detail-type'];
  const detail = asRecord(event.detail);
  if (detailType === SCHEDULED_EVENT) {
    return { kind: 'schedule' };
  }
  if (event.source === S3_OBJECT_CREATED.SOURCE && detailType === S3_OBJECT_CREATED.DETAIL_TYPE) {
    const bucket = asRecord(detail.bucket).name;
    const key = asRecord(detail.object).key;
    if (bucket === settings.inputBucket && typeof key === 'string' && key.startsWith(settings.inputPrefix)) {
      return { kind: 'new-data', bucket, key };
    }
    return { kind: 'ignored', why: `object s3://${String(bucket)}/${String(key)} is outside ${settings.inputDataUrl}` };
  }
  if (event.source === ALARM_STATE_CHANGE.SOURCE && detailType === ALARM_STATE_CHANGE.DETAIL_TYPE) {
    const state = asRecord(detail.state).value;
    if (state === 'ALARM' && typeof detail.alarmName === 'string') {
      // The stage's rules deliver two alarms: the model-quality one, named in the settings, and drift.
      const kind = settings.modelQualityAlarmName !== undefined && detail.alarmName === settings.modelQualityAlarmName ? 'model-quality' : 'drift';
      return { kind, alarmName: detail.alarmName };
    }
    return { kind: 'ignored', why: `alarm ${String(detail.alarmName)} changed to ${String(state)}, not ALARM` };
  }
  if (event.source === OPERATOR_RETRAIN_EVENT.SOURCE && detailType === OPERATOR_RETRAIN_EVENT.DETAIL_TYPE) {
    const reason = typeof detail.reason === 'string' && detail.reason.trim() ? detail.reason.trim() : 'operator request';
    return { kind: 'manual', reason, force: detail.force === true };
  }
  return { kind: 'ignored', why: `not a retraining trigger: source "${event.source}", detail-type "${detailType}"` };
}

/**
 * The TriggerReason pipeline parameter. The pipeline records it in the model package's
 * CustomerMetadataProperties (and ModelPackageDescription), whose values allow 256 letters, digits,
 * spaces and `_.:/=+-@`; an object key or alarm name can hold anything, so each run of other
 * characters becomes `-` and the value is cut to 256.
 */
export function triggerReason(trigger: Trigger): string {
  switch (trigger.kind) {
    case 'schedule':
      return 'schedule';
    case 'new-data':
      return toCustomerMetadataValue(`new-data:${trigger.key}`);
    case 'drift':
      return toCustomerMetadataValue(`drift:${trigger.alarmName}`);
    case 'model-quality':
      return toCustomerMetadataValue(`model-quality:${trigger.alarmName}`);
    case 'manual':
      return toCustomerMetadataValue(`${MANUAL_TRIGGER_PREFIX}${trigger.reason}`);
  }
}

/**
 * The StartPipelineExecution ClientRequestToken. SageMaker starts at most one execution per token,
 * so the token defines which triggers are "the same request":
 * - new-data: the pipeline name and the debounce window (event time floored to DEBOUNCE_MINUTES).
 *   Every upload of a burst inside one window, and every redelivery of any of them, shares one token,
 *   so even invocations that both saw the pipeline idle start one execution between them.
 *   The price: an upload later in a window whose run already started starts nothing; the next
 *   window's first upload or the schedule picks it up.
 * - schedule, drift, model-quality and manual: the pipeline name and the event id, which EventBridge and Lambda's
 *   asynchronous retries keep on every redelivery of the event.
 * The pipeline name keeps two governed pipelines in one account apart; the SHA-256 hex digest is
 * 64 characters, inside the 32-128 the API accepts.
 */
export function clientRequestToken(settings: GovernorSettings, trigger: Trigger, eventId: string, eventTime: Date): string {
  const key =
    trigger.kind === 'new-data'
      ? `new-data\n${debounceWindowStart(eventTime, settings.debounceMinutes).toISOString()}`
      : `event\n${eventId}`;
  return createHash('sha256').update(`${settings.pipelineName}\n${key}`).digest('hex');
}

function debounceWindowStart(eventTime: Date, debounceMinutes: number): Date {
  const windowMs = debounceMinutes * MINUTE_MS;
  return new Date(Math.floor(eventTime.getTime() / windowMs) * windowMs);
}

/**
 * Log attributes that make the decision log line a CloudWatch Embedded Metric Format record:
 * CloudWatch extracts `RetrainingDecision` = 1 with dimensions Pipeline and Decision, without an API
 * call or an IAM permission.
 */
export function retrainingDecisionMetric(settings: GovernorSettings, decision: RetrainingDecision, at: Date) {
  return {
    _aws: {
      Timestamp: at.getTime(),
      CloudWatchMetrics: [
        {
          Namespace: settings.metricNamespace,
          Dimensions: [[RETRAINING_METRIC.PIPELINE_DIMENSION, RETRAINING_METRIC.DECISION_DIMENSION]],
          Metrics: [{ Name: RETRAINING_METRIC.NAME, Unit: 'Count' }],
        },
      ],
    },
    [RETRAINING_METRIC.PIPELINE_DIMENSION]: settings.pipelineName,
    [RETRAINING_METRIC.DECISION_DIMENSION]: decision,
    [RETRAINING_METRIC.NAME]: 1,
  };
}

interface ExecutionHistory {
  readonly running?: PipelineExecutionSummary;
  readonly lastStart?: { readonly arn?: string; readonly time: Date };
  readonly executionArns: ReadonlySet<string>;
}

/**
 * Reads every execution that can still be running or that falls inside the cool-down, newest first,
 * stopping early at a running one. The latest start is the maximum over all of them rather than
 * the first row, so it does not depend on the order the service returns.
 */
async function readExecutionHistory(
  sagemaker: SageMakerClient,
  settings: GovernorSettings,
  now: Date,
): Promise<ExecutionHistory> {
  const createdAfter = new Date(now.getTime() - Math.max(EXECUTION_TIMEOUT_MS, settings.cooldownMinutes * MINUTE_MS));
  const executionArns = new Set<string>();
  let lastStart: ExecutionHistory['lastStart'];
  let nextToken: string | undefined;
  do {
    const page = await sagemaker
      .send(
        new ListPipelineExecutionsCommand({
          PipelineName: settings.pipelineName,
          CreatedAfter: createdAfter,
          SortBy: 'CreationTime',
          SortOrder: 'Descending',
          MaxResults: 100,
          NextToken: nextToken,
        }),
      )
      .catch((err: unknown) => {
        throw asFinalIfPipelineMissing(err, settings.pipelineName);
      });
    for (const execution of page.PipelineExecutionSummaries ?? []) {
      if (RUNNING_STATUSES.has(execution.PipelineExecutionStatus ?? '')) {
        return { running: execution, executionArns };
      }
      if (execution.PipelineExecutionArn) executionArns.add(execution.PipelineExecutionArn);
      if (execution.StartTime && (!lastStart || execution.StartTime > lastStart.time)) {
        lastStart = { arn: execution.PipelineExecutionArn, time: execution.StartTime };
      }
    }
    nextToken = page.NextToken;
  } while (nextToken);
  return { lastStart, executionArns };
}

function explain(trigger: Trigger, settings: GovernorSettings, runTime: Date): string {
  switch (trigger.kind) {
    case 'schedule':
      return 'scheduled retraining';
    case 'new-data':
      return (
        `new data s3://${trigger.bucket}/${trigger.key}; uploads from ${runTime.toISOString()} ` +
        `for ${settings.debounceMinutes} min share this run`
      );
    case 'drift':
      return `drift alarm ${trigger.alarmName} is in ALARM`;
    case 'model-quality':
      return `model-quality alarm ${trigger.alarmName} is in ALARM: the metric measured against the uploaded ground truth crossed the threshold`;
    case 'manual':
      return `operator request${trigger.force ? ' (forced past the cool-down)' : ''}: ${trigger.reason}`;
  }
}

function isDuplicateRequest(err: unknown): err is Error {
  return (
    err instanceof Error &&
    (err.name === 'ConflictException' || /ClientRequestToken[^.]*(already|duplicate|reuse|in use)/i.test(err.message))
  );
}

/** SageMaker reports a missing pipeline as ResourceNotFound, or ValidationException naming it. */
function asFinalIfPipelineMissing(err: unknown, pipelineName: string): unknown {
  if (!(err instanceof Error)) return err;
  const namesPipeline =
    err.name === 'ValidationException' &&
    err.message.toLowerCase().includes(pipelineName.toLowerCase()) &&
    /not found|does not exist|could not find/i.test(err.message);
  return err.name === 'ResourceNotFound' || namesPipeline ? new PipelineNotFoundError(pipelineName, err) : err;
}

function asRecord(value: unknown): Record<string, unknown> {
  return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : {};
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function parseTime(value: string | undefined): Date | undefined {
  const time = value === undefined ? NaN : Date.parse(value);
  return Number.isNaN(time) ? undefined : new Date(time);
}

function truncate(value: string, max: number): string {
  return value.length <= max ? value : `${truncateCodeUnits(value, max - 1)}…`;
}
