import { createHash } from 'node:crypto';
import { ListObjectsV2Command, paginateListObjectsV2, type S3Client } from '@aws-sdk/client-s3';
import {
  CreateModelCommand,
  type CreateModelCommandInput,
  CreateTransformJobCommand,
  type CreateTransformJobCommandInput,
  paginateListTransformJobs,
  type SageMakerClient,
  type TransformInstanceType,
  type TransformJobSummary,
} from '@aws-sdk/client-sagemaker';
import { createUnlessExists, isNameTaken } from '../deployer/resources';
import { errorAttributes, errorText, isAwsError, isRetryable } from '../shared/aws-errors';
import { describeValue } from '../shared/describe-value';
import type { HandlerLog } from '../shared/handler-log';
import { findNewestApprovedPackage, packageModelRequest, type PackageRef } from '../shared/model-packages';
import { BATCH_JOBS_METRIC, type BatchScorerSettings } from './environment';
import {
  batchModelName,
  batchTags,
  type InputObject,
  inputHash,
  inputJobNamePrefix,
  jobOutputPath,
  ownedNamePrefix,
  parseTransformJobName,
  transformJobName,
} from './naming';

/** `detail` of an S3 "Object Created" event (only the fields the scorer reads). */
export interface ObjectCreatedDetail {
  readonly bucket: { readonly name: string };
  readonly object: { readonly key: string; readonly etag: string; readonly size?: number };
}

/** `detail` of "SageMaker Transform Job State Change" (only the fields the scorer reads). */
export interface TransformJobStateChangeDetail {
  readonly TransformJobName: string;
  readonly TransformJobStatus: string;
  readonly FailureReason?: string;
}

/** What invokes the scorer: an EventBridge event as a rule delivers it. */
export interface BatchScorerEvent {
  readonly id: string;
  readonly source: string;
  readonly 'detail-type': string;
  readonly time?: string;
  readonly detail: unknown;
}

/** What the scorer logs with: the Powertools Logger, or a recorder in tests. */
export type BatchScorerLog = HandlerLog;

export interface BatchScorerDependencies {
  readonly sagemaker: SageMakerClient;
  readonly s3: S3Client;
  readonly settings: BatchScorerSettings;
  readonly log: BatchScorerLog;
  /** Milliseconds left in the invocation; a scan stops starting jobs when little is left. @default - no limit */
  readonly remainingTimeMs?: () => number;
  /** @default () => new Date() */
  readonly now?: () => Date;
}

export type InputOutcome =
  /** A transform job was created for the object. */
  | 'started'
  /** A job of this scorer already scored (or is scoring) this object, with any package. */
  | 'already-scored'
  /** Scoring it cannot work: it is empty, gone, replaced since the event, or its key is a prefix of another object's. */
  | 'refused-input'
  /** A scan left it for the next one: the per-run limit, the account's job quota, or the time left. */
  | 'deferred';

export interface ScoredInput {
  readonly key: string;
  readonly outcome: InputOutcome;
  readonly detail: string;
  readonly jobName?: string;
}

export type ScoringOutcome =
  | 'started'
  | 'already-scored'
  | 'refused-input'
  | 'no-approved-package'
  /** A scheduled scan ran: see its inputs. */
  | 'scanned'
  /** One of the scorer's jobs ended: counted in the metric. */
  | 'job-ended'
  | 'ignored-event'
  /** The event could not be read: logged and dropped, not retried. */
  | 'refused-event';

export interface ScoringResult {
  readonly outcome: ScoringOutcome;
  /** One sentence for the operator reading the log. */
  readonly detail: string;
  readonly packageArn?: string;
  readonly packageVersion?: number;
  /** The inputs the event concerned: the object of an S3 event, every unscored object of a scan. */
  readonly inputs: readonly ScoredInput[];
}

/** A failure retrying cannot fix; thrown, so the event reaches the dead-letter queue after Lambda's retries. */
export class BatchScoringFailedError extends Error {
  public override readonly name = 'BatchScoringFailedError';
}

/** Jobs one scheduled scan starts at most; the next scan starts the rest. */
export const MAX_JOBS_PER_SCAN = 20;
/** A scan starts no job with less than this left of the invocation. */
const SCAN_RESERVE_MS = 20_000;

const OBJECT_CREATED = { SOURCE: 'aws.s3', DETAIL_TYPE: 'Object Created' } as const;
const SCHEDULED_EVENT = 'Scheduled Event';
const TRANSFORM_JOB_STATE_CHANGE = 'SageMaker Transform Job State Change';
/** The end states of a transform job (DescribeTransformJob's TransformJobStatus). */
const ENDED = new Set(['Completed', 'Failed', 'Stopped']);

type Trigger =
  | { readonly kind: 'object'; readonly input: InputObject; readonly size?: number }
  | { readonly kind: 'scan' }
  | { readonly kind: 'job-ended'; readonly jobName: string; readonly status: string; readonly failureReason?: string; readonly packageVersion: number }
  | { readonly kind: 'ignored'; readonly reason: string }
  | { readonly kind: 'refused'; readonly reason: string };

type Step = 'list-jobs' | 'check-input' | 'list-inputs' | 'find-newest-approved-package' | 'create-model' | 'create-transform-job';

/**
 * Scores what the event asks for with the newest approved package of the group:
 * - an S3 "Object Created" event under the input prefix: that object, unless a job of this scorer
 *   already scored it (a duplicate event finds the job by its name and starts nothing);
 * - a scheduled event: every object under the input prefix that no job of this scorer scored yet,
 *   up to {@link MAX_JOBS_PER_SCAN};
 * - a "SageMaker Transform Job State Change" of one of its jobs that ended: counted in the
 *   `BatchTransformJobs` metric by status (a Failed job raises the alarm), with its failure reason
 *   in the log.
 *
 * @throws the SDK's own error for throttling, 5xx, network failures and the account's job quota (retryable)
 * @throws BatchScoringFailedError for failures retrying cannot fix
 */
export async function handleBatchScorerEvent(event: BatchScorerEvent | unknown, deps: BatchScorerDependencies): Promise<ScoringResult> {
  const { settings } = deps;
  const received = asRecord(event);
  const trigger = readTrigger(event, settings);
  const log = withAttributes(deps.log, { eventId: typeof received.id === 'string' ? received.id : undefined, scorerName: settings.scorerName, trigger: trigger.kind });
  if (trigger.kind === 'refused') {
    const detail = `refused the event: ${trigger.reason}; it is dropped, not retried`;
    log.warn(detail, { outcome: 'refused-event', source: received.source, detailType: received['detail-type'], retryable: false });
    return { outcome: 'refused-event', detail, inputs: [] };
  }
  if (trigger.kind === 'ignored') return report(deps, log, { outcome: 'ignored-event', detail: trigger.reason, inputs: [] });
  if (trigger.kind === 'job-ended') return jobEnded(deps, log, trigger);

  const state = new ScoringRun(deps);
  try {
    const result = trigger.kind === 'object' ? await scoreObject(state, trigger.input, trigger.size) : await scan(state);
    return report(deps, log, result);
  } catch (error) {
    throw reportFailure(log, error, state.step);
  }
}

function readTrigger(event: unknown, settings: BatchScorerSettings): Trigger {
  const refused = (reason: string): Trigger => ({ kind: 'refused', reason });
  if (typeof event !== 'object' || event === null || Array.isArray(event)) return refused(`the event is ${describeValue(event)}, not an object`);
  const received = event as Record<string, unknown>;
  if (typeof received.id !== 'string' || received.id === '') return refused(`the event has no id (id is ${describeValue(received.id)})`);
  const detailType = received['detail-type'];
  if (typeof detailType !== 'string') return refused(`the event has no detail-type (detail-type is ${describeValue(detailType)})`);
  if (detailType === SCHEDULED_EVENT) return { kind: 'scan' };
  const known = (detailType === OBJECT_CREATED.DETAIL_TYPE && received.source === OBJECT_CREATED.SOURCE) || detailType === TRANSFORM_JOB_STATE_CHANGE;
  if (!known) return { kind: 'ignored', reason: `events of type "${detailType}" are not handled` };
  const detail = received.detail;
  if (typeof detail !== 'object' || detail === null || Array.isArray(detail)) {
    return refused(`its detail is ${describeValue(detail)}, not the object a "${detailType}" event carries`);
  }
  const fields = detail as Record<string, unknown>;
  const text = (value: unknown): value is string => typeof value === 'string' && value !== '';

  if (detailType === TRANSFORM_JOB_STATE_CHANGE) {
    const { TransformJobName: jobName, TransformJobStatus: status, FailureReason: failureReason } = fields;
    const missing = [...(text(jobName) ? [] : ['TransformJobName']), ...(text(status) ? [] : ['TransformJobStatus'])];
    if (missing.length > 0) return refused(`its detail has no ${missing.join(', ')} (a "${detailType}" event carries them as strings)`);
    const parsed = parseTransformJobName(settings.scorerName, jobName as string);
    if (!parsed) return { kind: 'ignored', reason: `transform job "${String(jobName)}" is not one of this scorer's` };
    if (!ENDED.has(status as string)) return { kind: 'ignored', reason: `transform job ${String(jobName)} is ${String(status)}, not ended` };
    return { kind: 'job-ended', jobName: jobName as string, status: status as string, failureReason: text(failureReason) ? failureReason : undefined, packageVersion: parsed.packageVersion };
  }

  const bucket = asRecord(fields.bucket).name;
  const object = asRecord(fields.object);
  const missing = [...(text(bucket) ? [] : ['bucket.name']), ...(text(object.key) ? [] : ['object.key']), ...(text(object.etag) ? [] : ['object.etag'])];
  if (missing.length > 0) return refused(`its detail has no ${missing.join(', ')} (an "${detailType}" event carries them as strings)`);
  const key = object.key as string;
  const { input } = settings;
  if (bucket !== input.bucket || !key.startsWith(input.prefix)) {
    return { kind: 'ignored', reason: `object s3://${String(bucket)}/${key} is outside ${input.uri}` };
  }
  if (key.endsWith('/')) return { kind: 'ignored', reason: `s3://${String(bucket)}/${key} is a folder marker, not an input` };
  return { kind: 'object', input: { bucket: bucket as string, key, etag: object.etag as string }, size: typeof object.size === 'number' ? object.size : undefined };
}

/** What one invocation learns once and reuses: the newest package and its model, the step it is in. */
class ScoringRun {
  public step: Step = 'list-jobs';
  private newest?: Promise<PackageRef | undefined>;
  private readonly models = new Map<string, Promise<string>>();

  constructor(public readonly deps: BatchScorerDependencies) {}

  public newestPackage(): Promise<PackageRef | undefined> {
    this.step = 'find-newest-approved-package';
    this.newest ??= findNewestApprovedPackage(this.deps.sagemaker, this.deps.settings.modelPackageGroupName);
    return this.newest;
  }

  /** The scorer's model of `pkg`, created unless it exists: its name ends in a fingerprint of its request. */
  public model(pkg: PackageRef): Promise<string> {
    let model = this.models.get(pkg.arn);
    if (!model) {
      model = this.createModel(pkg);
      this.models.set(pkg.arn, model);
    }
    return model;
  }

  private async createModel(pkg: PackageRef): Promise<string> {
    const { settings, sagemaker } = this.deps;
    // Network isolation: the containers get no network at all; SageMaker itself reads the input
    // and writes the output with the model's role.
    // https://docs.aws.amazon.com/sagemaker/latest/dg/mkt-algo-model-internet-free.html
    const request: Omit<CreateModelCommandInput, 'ModelName'> = packageModelRequest(pkg, {
      executionRoleArn: settings.executionRoleArn,
      networkIsolation: true,
      tags: batchTags(settings.scorerName, pkg),
    });
    const name = batchModelName(settings.scorerName, pkg.version, createHash('sha256').update(JSON.stringify(request)).digest('hex'));
    this.step = 'create-model';
    await createUnlessExists(() => sagemaker.send(new CreateModelCommand({ ...request, ModelName: name })));
    return name;
  }
}

/** One object from its S3 event: scored unless a job of the scorer already has it. */
async function scoreObject(run: ScoringRun, input: InputObject, size: number | undefined): Promise<ScoringResult> {
  const { settings, sagemaker, s3 } = run.deps;
  const hash = inputHash(input);
  const one = (outcome: Exclude<InputOutcome, 'deferred'> | 'no-approved-package', detail: string, jobName?: string, pkg?: PackageRef): ScoringResult => ({
    outcome,
    detail,
    packageArn: pkg?.arn,
    packageVersion: pkg?.version,
    inputs: [{ key: input.key, outcome: outcome === 'no-approved-package' ? 'deferred' : outcome, detail, jobName }],
  });

  run.step = 'list-jobs';
  const existing = await listJobs(sagemaker, inputJobNamePrefix(settings.scorerName, hash));
  const scored = existing.find((job) => parseTransformJobName(settings.scorerName, job.TransformJobName ?? '')?.inputHash === hash);
  if (scored) return one('already-scored', `job ${scored.TransformJobName} (${scored.TransformJobStatus}) already scores this object`, scored.TransformJobName);
  if (size === 0) return one('refused-input', 'the object is empty: there is nothing to score');

  run.step = 'check-input';
  // S3Prefix reads every object whose key starts with S3Uri: the job's input must be this object alone.
  // https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_TransformS3DataSource.html
  const listed = await s3.send(new ListObjectsV2Command({ Bucket: input.bucket, Prefix: input.key, MaxKeys: 2 }));
  const objects = listed.Contents ?? [];
  const self = objects.find((object) => object.Key === input.key);
  if (!self) return one('refused-input', 'the object no longer exists');
  if (self.ETag && inputHash({ ...input, etag: self.ETag }) !== hash) {
    return one('refused-input', 'the object was replaced since the event: the event of the new content scores it');
  }
  const refusal = prefixCollision(input.key, objects.map((object) => object.Key ?? ''));
  if (refusal) return one('refused-input', refusal);

  const pkg = await run.newestPackage();
  if (!pkg) return one('no-approved-package', noPackageDetail(settings, 'the object is scored by the next scheduled scan, if the stage has one'));
  const jobName = transformJobName(settings.scorerName, hash, pkg.version);
  const started = await startJob(run, input, jobName, pkg);
  return started
    ? one('started', `started job ${jobName} with version ${pkg.version}`, jobName, pkg)
    : one('already-scored', `job ${jobName} was created meanwhile (a duplicate event)`, jobName, pkg);
}

/** Every object under the input prefix that no job of the scorer has scored. */
async function scan(run: ScoringRun): Promise<ScoringResult> {
  const { settings, sagemaker, s3, remainingTimeMs } = run.deps;
  run.step = 'list-jobs';
  const scoredHashes = new Set(
    (await listJobs(sagemaker, ownedNamePrefix(settings.scorerName))).flatMap((job) => {
      const parsed = parseTransformJobName(settings.scorerName, job.TransformJobName ?? '');
      return parsed ? [parsed.inputHash] : [];
    }),
  );
  run.step = 'list-inputs';
  const objects: { key: string; etag: string; size: number }[] = [];
  for await (const page of paginateListObjectsV2({ client: s3 }, { Bucket: settings.input.bucket, Prefix: settings.input.prefix })) {
    for (const object of page.Contents ?? []) {
      if (object.Key && !object.Key.endsWith('/')) objects.push({ key: object.Key, etag: object.ETag ?? '', size: object.Size ?? 0 });
    }
  }
  const allKeys = objects.map((object) => object.key);
  const unscored = objects
    .map((object) => ({ ...object, input: { bucket: settings.input.bucket, key: object.key, etag: object.etag } }))
    .filter((object) => !scoredHashes.has(inputHash(object.input)));
  if (unscored.length === 0) {
    return { outcome: 'scanned', detail: `every one of the ${objects.length} objects under ${settings.input.uri} is scored`, inputs: [] };
  }
  const pkg = await run.newestPackage();
  if (!pkg) {
    return { outcome: 'no-approved-package', detail: noPackageDetail(settings, `${unscored.length} objects wait for the next scan`), inputs: [] };
  }

  const inputs: ScoredInput[] = [];
  let started = 0;
  let deferredBecause: string | undefined;
  for (const object of unscored) {
    const key = object.key;
    if (deferredBecause) {
      inputs.push({ key, outcome: 'deferred', detail: deferredBecause });
      continue;
    }
    const refusal = object.size === 0 ? 'the object is empty: there is nothing to score' : prefixCollision(key, allKeys);
    if (refusal) {
      inputs.push({ key, outcome: 'refused-input', detail: refusal });
      continue;
    }
    if (started >= MAX_JOBS_PER_SCAN) deferredBecause = `a scan starts at most ${MAX_JOBS_PER_SCAN} jobs; the next scan starts the rest`;
    else if (remainingTimeMs && remainingTimeMs() < SCAN_RESERVE_MS) deferredBecause = 'the invocation is nearly out of time; the next scan starts the rest';
    if (deferredBecause) {
      inputs.push({ key, outcome: 'deferred', detail: deferredBecause });
      continue;
    }
    const jobName = transformJobName(settings.scorerName, inputHash(object.input), pkg.version);
    try {
      const created = await startJob(run, object.input, jobName, pkg);
      if (created) started += 1;
      inputs.push({ key, outcome: created ? 'started' : 'already-scored', detail: created ? `started job ${jobName}` : `job ${jobName} was created meanwhile`, jobName });
    } catch (error) {
      if (!isQuotaExceeded(error)) throw error;
      deferredBecause = `the account's transform job quota is reached (${errorText(error)}); the next scan starts the rest`;
      inputs.push({ key, outcome: 'deferred', detail: deferredBecause });
    }
  }
  const count = (outcome: InputOutcome) => inputs.filter((entry) => entry.outcome === outcome).length;
  return {
    outcome: 'scanned',
    detail:
      `${objects.length} objects under ${settings.input.uri}, ${unscored.length} unscored: started ${count('started')} jobs with version ${pkg.version}, ` +
      `${count('deferred')} deferred, ${count('refused-input')} refused`,
    packageArn: pkg.arn,
    packageVersion: pkg.version,
    inputs,
  };
}

/**
 * Creates the transform job; false when its name is taken (a duplicate event created it first).
 * Batch transform writes `<S3OutputPath>/<input file name>.out`.
 */
async function startJob(run: ScoringRun, input: InputObject, jobName: string, pkg: PackageRef): Promise<boolean> {
  const { settings, sagemaker } = run.deps;
  const modelName = await run.model(pkg);
  run.step = 'create-transform-job';
  try {
    await sagemaker.send(new CreateTransformJobCommand(transformJobRequest(settings, input, jobName, modelName, pkg)));
    return true;
  } catch (error) {
    if (isNameTaken(error)) return false;
    throw error;
  }
}

/** The request for one input object (https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_CreateTransformJob.html). */
export function transformJobRequest(settings: BatchScorerSettings, input: InputObject, jobName: string, modelName: string, pkg: PackageRef): CreateTransformJobCommandInput {
  const lines = settings.splitType === 'Line';
  return {
    TransformJobName: jobName,
    ModelName: modelName,
    MaxPayloadInMB: settings.maxPayloadMb,
    // MultiRecord fits as many lines in a request as MaxPayloadInMB allows; it needs SplitType Line.
    BatchStrategy: lines ? 'MultiRecord' : undefined,
    TransformInput: {
      DataSource: { S3DataSource: { S3DataType: 'S3Prefix', S3Uri: `s3://${input.bucket}/${input.key}` } },
      ContentType: 'text/csv',
      SplitType: settings.splitType,
    },
    TransformOutput: {
      S3OutputPath: jobOutputPath(settings.output.uri, jobName),
      Accept: 'text/csv',
      // One answer per line, each ending in a newline, so output line i answers input line i.
      AssembleWith: lines ? 'Line' : 'None',
      KmsKeyId: settings.outputKmsKeyId,
    },
    TransformResources: {
      // Checked against the SDK's TransformInstanceType at synth.
      InstanceType: settings.instanceType as TransformInstanceType,
      InstanceCount: settings.instanceCount,
      VolumeKmsKeyId: settings.volumeKmsKeyId,
    },
    // No DataProcessing: the inputs hold the model's features only, and the defaults (InputFilter $,
    // JoinSource None, OutputFilter $) send each record whole and write the answers alone.
    Tags: batchTags(settings.scorerName, pkg),
  };
}

/** A key that is a prefix of another input's key would score that object too (S3Prefix). */
function prefixCollision(key: string, keys: readonly string[]): string | undefined {
  const others = keys.filter((other) => other !== key && other.startsWith(key));
  if (others.length === 0) return undefined;
  return (
    `SageMaker reads every object whose key starts with the input's key, and ${others.length === 1 ? 'another key starts' : `${others.length} other keys start`} ` +
    `with "${key}" (${others.slice(0, 3).join(', ')}): rename the file so that no other file's name starts with it`
  );
}

async function listJobs(sagemaker: SageMakerClient, nameContains: string): Promise<TransformJobSummary[]> {
  const jobs: TransformJobSummary[] = [];
  for await (const page of paginateListTransformJobs({ client: sagemaker }, { NameContains: nameContains, MaxResults: 100 })) {
    jobs.push(...(page.TransformJobSummaries ?? []));
  }
  return jobs;
}

function noPackageDetail(settings: BatchScorerSettings, consequence: string): string {
  return `model package group "${settings.modelPackageGroupName}" has no approved package: nothing is scored; ${consequence}`;
}

/** The account's limit on concurrent transform jobs: a later attempt can succeed. */
function isQuotaExceeded(error: unknown): boolean {
  return isAwsError(error) && error.name === 'ResourceLimitExceeded';
}

function jobEnded(deps: BatchScorerDependencies, log: BatchScorerLog, trigger: Extract<Trigger, { kind: 'job-ended' }>): ScoringResult {
  const detail = `transform job ${trigger.jobName} ${trigger.status}${trigger.failureReason ? `: ${trigger.failureReason}` : ''}`;
  const attributes = {
    outcome: 'job-ended',
    jobName: trigger.jobName,
    jobStatus: trigger.status,
    failureReason: trigger.failureReason,
    packageVersion: trigger.packageVersion,
    ...batchJobsMetric(deps, trigger.status, 1),
  };
  if (trigger.status === 'Failed') log.error(detail, attributes);
  else log.info(detail, attributes);
  return { outcome: 'job-ended', detail, packageVersion: trigger.packageVersion, inputs: [] };
}

/** `count` jobs of `status` as an Embedded Metric Format record (merged into the log line). */
export function batchJobsMetric(deps: Pick<BatchScorerDependencies, 'settings' | 'now'>, status: string, count: number) {
  const { settings } = deps;
  return {
    _aws: {
      Timestamp: (deps.now?.() ?? new Date()).getTime(),
      CloudWatchMetrics: [
        {
          Namespace: settings.metricNamespace,
          Dimensions: [[BATCH_JOBS_METRIC.SCORER_DIMENSION, BATCH_JOBS_METRIC.STATUS_DIMENSION]],
          Metrics: [{ Name: BATCH_JOBS_METRIC.NAME, Unit: 'Count' }],
        },
      ],
    },
    [BATCH_JOBS_METRIC.SCORER_DIMENSION]: settings.scorerName,
    [BATCH_JOBS_METRIC.STATUS_DIMENSION]: status,
    [BATCH_JOBS_METRIC.NAME]: count,
  };
}

function report(deps: BatchScorerDependencies, log: BatchScorerLog, result: ScoringResult): ScoringResult {
  const { detail, ...attributes } = result;
  const started = result.inputs.filter((input) => input.outcome === 'started').length;
  const metric = started > 0 ? batchJobsMetric(deps, 'Started', started) : {};
  const needsAttention = result.outcome === 'no-approved-package' || result.outcome === 'refused-input' || result.inputs.some((input) => input.outcome === 'refused-input');
  log[needsAttention ? 'warn' : 'info'](detail, { ...attributes, ...metric });
  return result;
}

/** Logs the failure and returns the error to throw: retryable ones as they are, final ones as BatchScoringFailedError. */
function reportFailure(log: BatchScorerLog, error: unknown, step: Step): Error {
  if (isRetryable(error) || isQuotaExceeded(error)) {
    log.error(`${step} failed; the invocation is retried`, { outcome: 'retryable-error', step, retryable: true, ...errorAttributes(error) });
    return error instanceof Error ? error : new Error(String(error));
  }
  const failed = new BatchScoringFailedError(`${step} failed and retrying cannot fix it: ${errorText(error)}`, { cause: error });
  log.error(failed.message, { outcome: failed.name, step, retryable: false, ...errorAttributes(error) });
  return failed;
}

function asRecord(value: unknown): Record<string, unknown> {
  return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : {};
}

function withAttributes(log: BatchScorerLog, base: Record<string, unknown>): BatchScorerLog {
  return {
    info: (message, attributes) => log.info(message, { ...base, ...attributes }),
    warn: (message, attributes) => log.warn(message, { ...base, ...attributes }),
    error: (message, attributes) => log.error(message, { ...base, ...attributes }),
  };
}
