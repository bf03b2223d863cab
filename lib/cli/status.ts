import { CloudWatchClient, paginateDescribeAlarms } from '@aws-sdk/client-cloudwatch';
import { BatchJobList, batchScorerFor, readBatchJobs, renderBatchJobs } from './batch';
import { EndpointState, readEndpointState } from './endpoint';
import { ModelList, readModelList, renderModelList } from './models';
import { MonitoringStatus, readMonitoringStatus, renderMonitoringStatus, WatchedMetric } from './monitoring';
import { stageModelQuality } from '../model-quality-config';
import { cell, formatAgo, formatSection, formatTable, indent } from './output';
import { ExecutionView, readRecentExecutions, renderSteps } from './pipeline';
import { Session } from './session';

/** How much history `status` shows. */
export const STATUS_EXECUTIONS = 3;
export const STATUS_MODEL_PACKAGES = 5;
export const STATUS_BATCH_JOBS = 5;

export interface AlarmView {
  readonly name: string;
  readonly reason: string | null;
  readonly since: string | null;
}

/** Where the loop stands: the `status` command's result and its --json document. */
export interface StatusReport {
  /** Of the stage config the names came from; null when they came from flags alone. */
  readonly project: string | null;
  readonly stage: string | null;
  readonly region: string;
  readonly pipeline: {
    readonly name: string;
    readonly exists: boolean;
    /** Newest first. */
    readonly executions: readonly ExecutionView[];
  };
  readonly models: ModelList;
  readonly endpoint: EndpointState;
  readonly alarms: {
    /** CDK names a stack's alarms `<stack name>-...`; MlopsStack is named `<project>-<stage>`. Null: not checked. */
    readonly namePrefix: string | null;
    /** Null when no --alarm-name-prefix or stage config said which alarms are the loop's. */
    readonly firing: readonly AlarmView[] | null;
  };
  /** The batch scorer's newest jobs; null when the stage config has no batch.enabled. */
  readonly batch: BatchJobList | null;
  /** The newest Model Monitor data-quality and model-quality runs; null when the stage serves serverless (nothing is monitored). */
  readonly monitoring: MonitoringStatus | null;
}

export async function readStatus(session: Session<'pipeline' | 'modelPackageGroup' | 'endpoint'>): Promise<StatusReport> {
  const { config, names, metricName, sagemaker, cloudwatch, s3 } = session;
  const alarmNamePrefix = names.alarmNamePrefix ?? null;
  const scorerName = batchScorerFor(config);
  const serverless = config?.endpoint.variant === 'serverless';
  const [executions, endpoint, firing, batch, monitoring] = await Promise.all([
    readRecentExecutions(sagemaker, names.pipeline, STATUS_EXECUTIONS),
    readEndpointState(sagemaker, names.endpoint),
    alarmNamePrefix === null ? null : readFiringAlarms(cloudwatch, alarmNamePrefix),
    scorerName === undefined ? null : readBatchJobs(sagemaker, scorerName, STATUS_BATCH_JOBS),
    serverless ? null : readMonitoringStatus(sagemaker, s3, names.endpoint, watchedMetric(session)),
  ]);
  const models = await readModelList(sagemaker, s3, names.modelPackageGroup, metricName, endpoint.servedVersion, STATUS_MODEL_PACKAGES);
  return {
    project: config?.project ?? null,
    stage: config?.stage ?? null,
    region: session.connection.region,
    pipeline: { name: names.pipeline, exists: executions !== undefined, executions: executions ?? [] },
    models,
    endpoint,
    alarms: { namePrefix: alarmNamePrefix, firing },
    batch,
    monitoring,
  };
}

/** The model-quality metric the stage alarms on (review.checks[0]); without a config, the key metric of a binary classifier. */
function watchedMetric(session: Session<'endpoint'>): WatchedMetric {
  const quality = session.config && stageModelQuality(session.config);
  return quality ? { name: quality.metric, problemType: session.config!.training.problemType } : { name: session.metricName, problemType: session.config?.training.problemType ?? 'binary' };
}

/** Metric and composite alarms in ALARM whose names start with `namePrefix`. */
export async function readFiringAlarms(cloudwatch: CloudWatchClient, namePrefix: string): Promise<AlarmView[]> {
  const firing: AlarmView[] = [];
  const pages = paginateDescribeAlarms(
    { client: cloudwatch },
    { StateValue: 'ALARM', AlarmNamePrefix: namePrefix, AlarmTypes: ['MetricAlarm', 'CompositeAlarm'] },
  );
  for await (const page of pages) {
    for (const alarm of [...(page.MetricAlarms ?? []), ...(page.CompositeAlarms ?? [])]) {
      firing.push({
        name: alarm.AlarmName ?? '',
        reason: alarm.StateReason ?? null,
        since: alarm.StateUpdatedTimestamp?.toISOString() ?? null,
      });
    }
  }
  return firing;
}

export function renderStatus(report: StatusReport, now: Date): string {
  return [
    report.stage !== null ? `Stage ${report.stage} of ${report.project} in ${report.region}\n` : `In ${report.region}\n`,
    formatSection(`Pipeline ${report.pipeline.name}`, renderExecutions(report, now)),
    formatSection(
      `Models in ${report.models.group} (newest ${STATUS_MODEL_PACKAGES})`,
      report.models.packages.length > 0 ? renderModelList(report.models, now) : 'no model package registered yet',
    ),
    formatSection(`Endpoint ${report.endpoint.name}`, renderEndpoint(report.endpoint)),
    ...(report.batch ? [formatSection(`Batch jobs of ${report.batch.scorerName} (newest ${STATUS_BATCH_JOBS})`, renderBatchJobs(report.batch, now))] : []),
    ...(report.monitoring ? [formatSection(`Model Monitor on ${report.endpoint.name} (newest runs)`, renderMonitoringStatus(report.monitoring, now))] : []),
    renderAlarms(report.alarms, now),
  ].join('\n');
}

function renderAlarms({ namePrefix, firing }: StatusReport['alarms'], now: Date): string {
  if (namePrefix === null || firing === null) {
    return formatSection('Alarms in ALARM', "not checked: pass --alarm-name-prefix (CDK names a stack's alarms <stack name>-...)");
  }
  return formatSection(
    `Alarms in ALARM (names starting ${namePrefix})`,
    firing.length > 0
      ? formatTable(['ALARM', 'SINCE', 'REASON'], firing.map((alarm) => [alarm.name, formatAgo(alarm.since, now), cell(alarm.reason)]))
      : 'none firing',
  );
}

function renderExecutions(report: StatusReport, now: Date): string {
  if (!report.pipeline.exists) return 'not found: deploy the stage first';
  if (report.pipeline.executions.length === 0) return 'no execution yet';
  return report.pipeline.executions
    .map((execution) => {
      const failure = execution.failureReason ? `: ${execution.failureReason}` : '';
      const heading = `${execution.name}  ${execution.status}${failure}  started ${formatAgo(execution.startedAt, now)}`;
      return `${heading}\n${indent(renderSteps(execution, now))}`;
    })
    .join('');
}

function renderEndpoint(endpoint: EndpointState): string {
  if (!endpoint.exists) return 'not deployed: the deployer creates it when a version is approved';
  const served =
    endpoint.servedVersion !== null
      ? `serving version ${endpoint.servedVersion}`
      : 'serving a config without the deployer\'s version tags';
  const failure = endpoint.failureReason ? `\nfailure: ${endpoint.failureReason}` : '';
  return `${endpoint.status}, ${served} (endpoint config ${cell(endpoint.endpointConfigName)})${failure}`;
}
