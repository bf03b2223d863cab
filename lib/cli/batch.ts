import { DescribeTransformJobCommand, paginateListTransformJobs, SageMakerClient, TransformJobSummary } from '@aws-sdk/client-sagemaker';
import { batchScorerName } from '../../constructs/naming';
import { ownedNamePrefix, parseTransformJobName, SCORER_NAME_MAX_LENGTH } from '../../lambda/batch-scorer/naming';
import { SAGEMAKER_NAME_PATTERN } from '../../lambda/shared/sagemaker-names';
import { StageConfig } from '../stage-config';
import { UsageError } from './errors';
import { cell, formatAgo, formatTable } from './output';

/** One transform job of the batch scorer, as `batch list` and `status` show it. */
export interface BatchJobView {
  readonly name: string;
  readonly status: string;
  /** The model package version that scored it (from the job's name). */
  readonly packageVersion: number | null;
  /** The input file (TransformInput's S3Uri). */
  readonly input: string | null;
  /** Where the outputs are: `<S3OutputPath>/`, each `<input file>.out`. */
  readonly output: string | null;
  readonly createdAt: string | null;
  readonly endedAt: string | null;
  readonly failureReason: string | null;
}

export interface BatchJobList {
  readonly scorerName: string;
  /** Newest first. */
  readonly jobs: readonly BatchJobView[];
}

/**
 * The scorer whose jobs the commands show: `--scorer-name`, else the stage config's when it has
 * `batch.enabled`; undefined when neither says.
 */
export function batchScorerFor(config: StageConfig | undefined, scorerName?: string): string | undefined {
  if (scorerName !== undefined) return scorerName;
  return config?.batch.enabled ? batchScorerName(config.project, config.stage) : undefined;
}

/** `batchScorerFor`, or a UsageError naming the ways to give one. */
export function requireBatchScorer(config: StageConfig | undefined, scorerName?: string): string {
  const found = batchScorerFor(config, scorerName);
  if (found !== undefined) return found;
  const why = config ? `stage ${config.stage} has batch.enabled false` : 'no stage config was read';
  throw new UsageError(`batch list acts on the batch scorer's jobs, and ${why}: pass --scorer-name NAME (the BatchInference construct's scorerName), or a stage config with batch.enabled`);
}

/** Checks a `--scorer-name` value; commander reports the message. */
export function scorerNameProblem(value: string): string | undefined {
  if (SAGEMAKER_NAME_PATTERN.test(value) && value.length <= SCORER_NAME_MAX_LENGTH) return undefined;
  return `expected a batch scorer name: 1-${SCORER_NAME_MAX_LENGTH} letters, digits and hyphens, starting and ending with a letter or digit (got ${value.length} characters)`;
}

/** The scorer's newest `limit` transform jobs, each described for its input, output and failure. */
export async function readBatchJobs(sagemaker: SageMakerClient, scorerName: string, limit: number): Promise<BatchJobList> {
  const summaries: TransformJobSummary[] = [];
  const pages = paginateListTransformJobs(
    { client: sagemaker, pageSize: Math.min(100, Math.max(limit, 10)) },
    { NameContains: ownedNamePrefix(scorerName), SortBy: 'CreationTime', SortOrder: 'Descending' },
  );
  for await (const page of pages) {
    // NameContains also matches other scorers whose names start alike: keep this one's names.
    summaries.push(...(page.TransformJobSummaries ?? []).filter((job) => parseTransformJobName(scorerName, job.TransformJobName ?? '') !== undefined));
    if (summaries.length >= limit) break;
  }
  const jobs = await Promise.all(
    summaries.slice(0, limit).map(async (summary): Promise<BatchJobView> => {
      const name = summary.TransformJobName ?? '';
      const described = await sagemaker.send(new DescribeTransformJobCommand({ TransformJobName: name }));
      const outputPath = described.TransformOutput?.S3OutputPath;
      return {
        name,
        status: described.TransformJobStatus ?? summary.TransformJobStatus ?? 'Unknown',
        packageVersion: parseTransformJobName(scorerName, name)?.packageVersion ?? null,
        input: described.TransformInput?.DataSource?.S3DataSource?.S3Uri ?? null,
        output: outputPath ? `${outputPath.replace(/\/+$/, '')}/` : null,
        createdAt: (described.CreationTime ?? summary.CreationTime)?.toISOString() ?? null,
        endedAt: (described.TransformEndTime ?? summary.TransformEndTime)?.toISOString() ?? null,
        failureReason: described.FailureReason || summary.FailureReason || null,
      };
    }),
  );
  return { scorerName, jobs };
}

export function renderBatchJobs(list: BatchJobList, now: Date): string {
  if (list.jobs.length === 0) return `no transform job of ${list.scorerName} yet: put CSV files under the stage's batch/input/\n`;
  return formatTable(
    ['JOB', 'STATUS', 'VERSION', 'CREATED', 'INPUT', 'OUTPUT', 'FAILURE'],
    list.jobs.map((job) => [job.name, job.status, cell(job.packageVersion), formatAgo(job.createdAt, now), cell(job.input), cell(job.output), cell(job.failureReason)]),
  );
}
