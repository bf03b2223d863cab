import type { S3Client } from '@aws-sdk/client-s3';
import { readS3Json } from './s3-json';
import {
  DescribeProcessingJobCommand,
  ListMonitoringExecutionsCommand,
  type MonitoringExecutionSummary,
  type SageMakerClient,
} from '@aws-sdk/client-sagemaker';
import { METRICS_SECTION, type ProblemType } from '../../lambda/shared/model-metrics';
import { briefReason } from './errors';
import { cell, formatAgo, formatTable } from './output';

/** The newest run of one kind of Model Monitor schedule on the endpoint. */
export interface MonitoringRunView {
  readonly scheduleName: string | null;
  /** Pending, InProgress, Completed, CompletedWithViolations, Failed, Stopping or Stopped. */
  readonly status: string;
  readonly scheduledAt: string | null;
  readonly failureReason: string | null;
  /** Entries of the run's constraint_violations.json; null when it wrote none (or it could not be read). */
  readonly violations: number | null;
  /** Model quality: the watched metric in the run's statistics.json; null otherwise or when not found. */
  readonly metric: { readonly name: string; readonly value: number } | null;
  /** Why the reports could not be read, when they could not. */
  readonly note: string | null;
}

/** The newest data-quality and model-quality runs; a kind is null when it has run on the endpoint no time yet. */
export interface MonitoringStatus {
  readonly dataQuality: MonitoringRunView | null;
  readonly modelQuality: MonitoringRunView | null;
  /** Why the runs could not be listed at all. */
  readonly note: string | null;
}

/** Which metric of a model-quality run to show, and in which section of statistics.json it is. */
export interface WatchedMetric {
  readonly name: string;
  readonly problemType: ProblemType;
}

/**
 * The newest execution of each monitoring type on the endpoint (ListMonitoringExecutions by
 * endpoint and type, so no schedule name is needed) and what its reports say: the number of
 * violations, and for model quality the watched metric. Model Monitor writes statistics.json and
 * constraint_violations.json under the execution's processing-job output, as the SageMaker Python
 * SDK's MonitoringExecution reads them. Failures to read become notes, never a failed `status`.
 */
export async function readMonitoringStatus(sagemaker: SageMakerClient, s3: S3Client, endpointName: string, metric: WatchedMetric): Promise<MonitoringStatus> {
  try {
    const [dataQuality, modelQuality] = await Promise.all(
      (['DataQuality', 'ModelQuality'] as const).map(async (type) => {
        const { MonitoringExecutionSummaries } = await sagemaker.send(
          new ListMonitoringExecutionsCommand({ EndpointName: endpointName, MonitoringTypeEquals: type, SortBy: 'ScheduledTime', SortOrder: 'Descending', MaxResults: 1 }),
        );
        const newest = MonitoringExecutionSummaries?.[0];
        return newest ? readRun(sagemaker, s3, newest, type === 'ModelQuality' ? metric : undefined) : null;
      }),
    );
    return { dataQuality, modelQuality, note: null };
  } catch (error) {
    return { dataQuality: null, modelQuality: null, note: `monitoring runs unavailable (ListMonitoringExecutions: ${briefReason(error)})` };
  }
}

async function readRun(sagemaker: SageMakerClient, s3: S3Client, summary: MonitoringExecutionSummary, metric: WatchedMetric | undefined): Promise<MonitoringRunView> {
  const status = summary.MonitoringExecutionStatus ?? 'Unknown';
  const base = {
    scheduleName: summary.MonitoringScheduleName ?? null,
    status,
    scheduledAt: summary.ScheduledTime?.toISOString() ?? null,
    failureReason: summary.FailureReason ?? null,
  };
  const jobName = summary.ProcessingJobArn?.split('/').pop();
  if (!jobName || (status !== 'Completed' && status !== 'CompletedWithViolations')) {
    return { ...base, violations: null, metric: null, note: null };
  }
  try {
    const job = await sagemaker.send(new DescribeProcessingJobCommand({ ProcessingJobName: jobName }));
    const outputUri = job.ProcessingOutputConfig?.Outputs?.[0]?.S3Output?.S3Uri?.replace(/\/+$/, '');
    if (!outputUri) return { ...base, violations: null, metric: null, note: `processing job ${jobName} names no output` };
    const [violations, statistics] = await Promise.all([
      readS3Json(s3, `${outputUri}/constraint_violations.json`),
      metric ? readS3Json(s3, `${outputUri}/statistics.json`) : undefined,
    ]);
    const listed = (violations as { violations?: unknown } | undefined)?.violations;
    const section = metric && (statistics as Record<string, Record<string, { value?: unknown }>> | undefined)?.[METRICS_SECTION[metric.problemType]];
    const value = metric ? section?.[metric.name]?.value : undefined;
    return {
      ...base,
      violations: Array.isArray(listed) ? listed.length : null,
      metric: metric && typeof value === 'number' ? { name: metric.name, value } : null,
      note: null,
    };
  } catch (error) {
    return { ...base, violations: null, metric: null, note: `reports unavailable (${briefReason(error)})` };
  }
}

export function renderMonitoringStatus(monitoring: MonitoringStatus, now: Date): string {
  if (monitoring.note) return `note: ${monitoring.note}\n`;
  const rows = ([['data quality', monitoring.dataQuality], ['model quality', monitoring.modelQuality]] as const).map(([kind, run]) =>
    run
      ? [
          kind,
          cell(run.scheduleName),
          run.status,
          formatAgo(run.scheduledAt, now),
          run.violations === null ? '-' : String(run.violations),
          run.metric ? `${run.metric.name} ${Number(run.metric.value.toFixed(4))}` : '-',
          cell(run.failureReason ?? run.note),
        ]
      : [kind, '-', 'no run yet', '-', '-', '-', '-'],
  );
  return formatTable(['MONITOR', 'SCHEDULE', 'LAST RUN', 'SCHEDULED', 'VIOLATIONS', 'METRIC', 'NOTE'], rows);
}
