import { randomUUID } from 'node:crypto';
import { PutEventsCommand } from '@aws-sdk/client-eventbridge';
import {
  DescribePipelineCommand,
  DescribePipelineExecutionCommand,
  ListPipelineExecutionsCommand,
  ListPipelineParametersForExecutionCommand,
  SageMakerClient,
} from '@aws-sdk/client-sagemaker';
import {
  GOVERNOR_ENV,
  OPERATOR_RETRAIN_EVENT,
  PIPELINE_PARAMETER,
  readGovernorSettings,
  RetrainingDecision,
} from '../../lambda/retraining-governor/environment';
import {
  governRetraining,
  MANUAL_TRIGGER_PREFIX,
  MAX_MANUAL_REASON_LENGTH,
  PipelineNotFoundError,
  triggerReason,
} from '../../lambda/retraining-governor/governor';
import { hasAllowedCharacters, SAGEMAKER_LIMITS } from '../../lambda/shared/sagemaker-limits';
import { OperationFailedError, RefusedError, UsageError } from './errors';
import { isPipelineMissing, readStepStates } from './pipeline';
import { Session } from './session';

export interface RetrainOptions {
  /** Why the run is wanted; the pipeline receives `TriggerReason=manual:<reason>`. */
  readonly reason?: string;
  /** Start even inside the cool-down (never while an execution runs). */
  readonly force?: boolean;
  /** `s3://BUCKET/PREFIX/` to train from. */
  readonly inputUrl?: string;
  /** Poll the execution until it ends. */
  readonly wait?: boolean;
  /** Ask the deployed governor Lambda through EventBridge instead of starting the pipeline here. */
  readonly viaGovernor?: boolean;
  /** The deployed governor's cool-down. @default - the stage config's, else RetrainingSchedule's default */
  readonly cooldownMinutes?: number;
}

/** Where the run's InputDataUrl came from. */
export type InputDataUrlSource = '--input-url' | 'pipeline default' | 'last execution';

/** The `retrain` command's result and its --json document. */
export interface RetrainResult {
  /** The governor's decision; `requested` when the request went to the governor through EventBridge. */
  readonly decision: RetrainingDecision | 'requested';
  readonly pipeline: string;
  readonly executionArn: string | null;
  readonly triggerReason: string;
  readonly inputDataUrl: string | null;
  readonly inputDataUrlSource: InputDataUrlSource | null;
  readonly detail: string;
  /** With --wait: Succeeded (anything else fails the command). */
  readonly finalStatus: string | null;
  /** With --via-governor: the id of the event put on the default bus. */
  readonly eventId: string | null;
}

/** The clock and how `--wait` polls: injectable so tests need not sleep. */
export interface RetrainRuntime {
  readonly now: () => Date;
  readonly wait: WaitSettings;
  /** Receives a line for each thing the command changes in what it was given (stderr). */
  readonly warn?: (line: string) => void;
}

export interface WaitSettings {
  readonly pollIntervalMs: number;
  readonly sleep: (ms: number) => Promise<void>;
  /** Receives one line per change of the execution or one of its steps. */
  readonly progress: (line: string) => void;
}

// The reason the governor itself uses when an operator request carries none.
const DEFAULT_REASON = 'operator request';
// The namespace RetrainingSchedule publishes the governor's decisions in; a manual start publishes nothing.
const METRIC_NAMESPACE = 'CdkMlops';
const FINAL_STATUSES = new Set(['Succeeded', 'Failed', 'Stopped']);
/** RetrainingSchedule's defaults (`cooldown` 6 hours, `newDataDebounce` 1 hour), for a stack composed without a stage config. */
export const DEFAULT_COOLDOWN_MINUTES = 360;
export const DEFAULT_DEBOUNCE_MINUTES = 60;

/**
 * Starts the stage's pipeline with the retraining governor's own decision function, so the CLI obeys
 * the same rules: never while an execution is Executing or Stopping, not inside the stage's
 * cool-down unless forced, and the same `TriggerReason` and `InputDataUrl` parameters.
 */
export async function retrain(session: Session<'pipeline'>, options: RetrainOptions, runtime: RetrainRuntime): Promise<RetrainResult> {
  checkReason(options.reason, runtime.warn);
  if (options.viaGovernor) return requestFromGovernor(session, options);
  const { sagemaker, names, config } = session;
  const input = await resolveInputDataUrl(sagemaker, names.pipeline, options.inputUrl);
  let settings;
  try {
    settings = readGovernorSettings({
      [GOVERNOR_ENV.PIPELINE_NAME]: names.pipeline,
      [GOVERNOR_ENV.INPUT_DATA_URL]: input.url,
      [GOVERNOR_ENV.COOLDOWN_MINUTES]: String(options.cooldownMinutes ?? config?.retraining.cooldownMinutes ?? DEFAULT_COOLDOWN_MINUTES),
      // Only new-data triggers are debounced; a manual start is not.
      [GOVERNOR_ENV.DEBOUNCE_MINUTES]: String(config?.retraining.newDataDebounceMinutes ?? DEFAULT_DEBOUNCE_MINUTES),
      [GOVERNOR_ENV.METRIC_NAMESPACE]: METRIC_NAMESPACE,
    });
  } catch {
    // Every other setting comes from the validated stage config or a checked flag: only the URL can be wrong.
    const metadataValue = SAGEMAKER_LIMITS.CUSTOMER_METADATA_VALUE;
    const fitsMetadata = input.url.length <= metadataValue.maxLength && hasAllowedCharacters(input.url, metadataValue);
    throw new UsageError(
      fitsMetadata
        ? `the InputDataUrl from the ${input.source} ("${input.url}") is not an S3 prefix URL such as s3://my-bucket/raw/ ` +
            '(a bucket, then a prefix ending in /)'
        : `the InputDataUrl from the ${input.source} ("${input.url}") does not fit the model package's metadata, which records it: ` +
            `use at most ${metadataValue.maxLength} characters (it has ${input.url.length}), all letters, digits, spaces or _ . : / = + - @`,
    );
  }

  let outcome;
  try {
    outcome = await governRetraining(
      sagemaker,
      settings,
      {
        id: randomUUID(),
        time: runtime.now().toISOString(),
        source: OPERATOR_RETRAIN_EVENT.SOURCE,
        'detail-type': OPERATOR_RETRAIN_EVENT.DETAIL_TYPE,
        detail: { pipelineName: names.pipeline, reason: options.reason, force: options.force === true },
      },
      runtime.now,
    );
  } catch (error) {
    if (error instanceof PipelineNotFoundError) throw pipelineNotFound(names.pipeline);
    throw error;
  }

  switch (outcome.decision) {
    case 'skipped-running':
      throw new RefusedError(
        `not started: ${outcome.detail} (${outcome.executionArn}) and the loop runs one execution at a time ` +
          '(--force does not override this). Wait for it with cdk-mlops status, or stop it with ' +
          `aws sagemaker stop-pipeline-execution --pipeline-execution-arn ${outcome.executionArn}`,
      );
    case 'skipped-cooldown':
      throw new RefusedError(`not started: ${outcome.detail}. Pass --force to start inside the cool-down`);
    case 'started':
      break;
    default:
      throw new RefusedError(`not started: ${outcome.decision} (${outcome.detail})`);
  }

  const executionArn = outcome.executionArn ?? null;
  const finalStatus = options.wait && executionArn ? await waitForExecution(sagemaker, executionArn, runtime.wait) : null;
  if (finalStatus !== null && finalStatus !== 'Succeeded') {
    throw new OperationFailedError(`execution ${executionArn} ended ${finalStatus}; cdk-mlops status shows the failed step`);
  }
  return {
    decision: outcome.decision,
    pipeline: names.pipeline,
    executionArn,
    triggerReason: outcome.trigger,
    inputDataUrl: input.url,
    inputDataUrlSource: input.source,
    detail: outcome.detail,
    finalStatus,
    eventId: null,
  };
}

/**
 * The run's InputDataUrl: `--input-url`, else the default the pipeline definition declares, else
 * what the newest execution was given (the governor passes the data bucket's raw/ prefix on every
 * run). The data bucket's name is not in the stage config, so there is no other source.
 */
export async function resolveInputDataUrl(
  sagemaker: SageMakerClient,
  pipelineName: string,
  inputUrl: string | undefined,
): Promise<{ readonly url: string; readonly source: InputDataUrlSource }> {
  if (inputUrl !== undefined) return { url: inputUrl, source: '--input-url' };
  let definition: string | undefined;
  try {
    ({ PipelineDefinition: definition } = await sagemaker.send(new DescribePipelineCommand({ PipelineName: pipelineName })));
  } catch (error) {
    if (isPipelineMissing(error)) throw pipelineNotFound(pipelineName);
    throw error;
  }
  const declared = parameterDefault(definition, PIPELINE_PARAMETER.INPUT_DATA_URL);
  if (declared) return { url: declared, source: 'pipeline default' };

  const { PipelineExecutionSummaries = [] } = await sagemaker.send(
    new ListPipelineExecutionsCommand({ PipelineName: pipelineName, SortBy: 'CreationTime', SortOrder: 'Descending', MaxResults: 1 }),
  );
  const newest = PipelineExecutionSummaries[0]?.PipelineExecutionArn;
  if (newest) {
    const { PipelineParameters = [] } = await sagemaker.send(new ListPipelineParametersForExecutionCommand({ PipelineExecutionArn: newest }));
    const previous = PipelineParameters.find((parameter) => parameter.Name === PIPELINE_PARAMETER.INPUT_DATA_URL)?.Value;
    if (previous) return { url: previous, source: 'last execution' };
  }
  throw new UsageError(
    `cannot tell where ${pipelineName} should read its data from: its definition declares no ${PIPELINE_PARAMETER.INPUT_DATA_URL} ` +
      'default and no earlier execution had one. Pass --input-url s3://DATA-BUCKET/raw/',
  );
}

/** Polls until the execution ends, reporting each status change of it and of its steps. */
export async function waitForExecution(sagemaker: SageMakerClient, executionArn: string, wait: WaitSettings): Promise<string> {
  const seen = new Map<string, string>();
  let stepsNoteShown = false;
  let executionStatus = '';
  for (;;) {
    const execution = await sagemaker.send(new DescribePipelineExecutionCommand({ PipelineExecutionArn: executionArn }));
    const states = await readStepStates(sagemaker, executionArn);
    for (const step of states.steps ?? []) {
      if (seen.get(step.name) === step.status) continue;
      seen.set(step.name, step.status);
      wait.progress(`step ${step.name}: ${step.status}${step.failureReason ? ` (${step.failureReason})` : ''}`);
    }
    if (states.stepsNote && !stepsNoteShown) {
      stepsNoteShown = true;
      wait.progress(`note: ${states.stepsNote}`);
    }
    const status = execution.PipelineExecutionStatus ?? 'unknown';
    if (status !== executionStatus) {
      executionStatus = status;
      wait.progress(`execution: ${status}${execution.FailureReason ? ` (${execution.FailureReason})` : ''}`);
    }
    if (FINAL_STATUSES.has(status)) return status;
    await wait.sleep(wait.pollIntervalMs);
  }
}

export function renderRetrainResult(result: RetrainResult): string {
  if (result.decision === 'requested') {
    return (
      `asked the retraining governor to start ${result.pipeline} (event ${result.eventId}, TriggerReason ${result.triggerReason}); ` +
      'it applies its rules and logs its decision in its log group\n'
    );
  }
  const lines = [
    `started ${result.pipeline}: ${result.detail}`,
    `  execution      ${result.executionArn}`,
    `  TriggerReason  ${result.triggerReason}`,
    `  InputDataUrl   ${result.inputDataUrl} (from the ${result.inputDataUrlSource})`,
  ];
  if (result.finalStatus) lines.push(`  finished       ${result.finalStatus}`);
  return `${lines.join('\n')}\n`;
}

async function requestFromGovernor(session: Session<'pipeline'>, options: RetrainOptions): Promise<RetrainResult> {
  if (options.wait || options.inputUrl !== undefined) {
    throw new UsageError('--via-governor cannot be combined with --wait or --input-url: the governor decides asynchronously and trains from its configured data');
  }
  const reason = options.reason?.trim() || DEFAULT_REASON;
  const detail = { pipelineName: session.names.pipeline, reason, force: options.force === true };
  const { FailedEntryCount, Entries = [] } = await session.eventbridge.send(
    new PutEventsCommand({
      Entries: [{ Source: OPERATOR_RETRAIN_EVENT.SOURCE, DetailType: OPERATOR_RETRAIN_EVENT.DETAIL_TYPE, Detail: JSON.stringify(detail) }],
    }),
  );
  const entry = Entries[0];
  if (FailedEntryCount || !entry?.EventId) {
    throw new OperationFailedError(`EventBridge did not accept the request: ${entry?.ErrorCode ?? 'no event id'}: ${entry?.ErrorMessage ?? ''}`.trim());
  }
  return {
    decision: 'requested',
    pipeline: session.names.pipeline,
    executionArn: null,
    triggerReason: triggerReason({ kind: 'manual', reason, force: options.force === true }),
    inputDataUrl: null,
    inputDataUrlSource: null,
    detail: 'the governor decides whether to start',
    finalStatus: null,
    eventId: entry.EventId,
  };
}

/**
 * The pipeline records TriggerReason (`manual:<reason>`) in the model package's
 * CustomerMetadataProperties: a reason too long for it is refused (exit 2) rather than cut;
 * characters it does not allow are replaced by the governor, and said so here.
 */
function checkReason(reason: string | undefined, warn: ((line: string) => void) | undefined): void {
  const trimmed = reason?.trim();
  if (!trimmed) return;
  if (trimmed.length > MAX_MANUAL_REASON_LENGTH) {
    throw new UsageError(
      `--reason is ${trimmed.length} characters long; the pipeline's TriggerReason (${MANUAL_TRIGGER_PREFIX}<reason>, kept in the ` +
        `model package's metadata) keeps at most ${MAX_MANUAL_REASON_LENGTH}: shorten it`,
    );
  }
  const value = triggerReason({ kind: 'manual', reason: trimmed, force: false });
  if (value !== `${MANUAL_TRIGGER_PREFIX}${trimmed}`) {
    warn?.(`note: TriggerReason allows only letters, digits, spaces and _ . : / = + - @; the pipeline gets "${value}"`);
  }
}

function pipelineNotFound(pipelineName: string): RefusedError {
  return new RefusedError(`pipeline ${pipelineName} does not exist in this account and region: deploy the stage first`);
}

/** The DefaultValue a pipeline definition declares for `name`, if it is a non-empty string. */
function parameterDefault(definition: string | undefined, name: string): string | undefined {
  if (!definition) return undefined;
  try {
    const parsed = JSON.parse(definition) as { Parameters?: { Name?: unknown; DefaultValue?: unknown }[] };
    const value = parsed.Parameters?.find((parameter) => parameter.Name === name)?.DefaultValue;
    return typeof value === 'string' && value !== '' ? value : undefined;
  } catch {
    // Not JSON: there is no declared default to read.
    return undefined;
  }
}
