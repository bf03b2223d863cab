import { METRICS_SECTION } from '../../lambda/shared/model-metrics';
import {
  DescribeModelPackageCommand,
  DescribeModelPackageCommandOutput,
  ModelApprovalStatus,
  ModelPackageSummary,
  paginateListModelPackages,
  SageMakerClient,
  UpdateModelPackageCommand,
} from '@aws-sdk/client-sagemaker';
import type { S3Client } from '@aws-sdk/client-s3';
import { modelCardUrlOf } from '../../lambda/review-gate/environment';
import { readS3JsonSoftly } from './s3-json';
import { SAGEMAKER_LIMITS } from '../../lambda/shared/sagemaker-limits';
import { RefusedError, UsageError } from './errors';
import { cell, formatAge, formatSection, formatTable } from './output';

/**
 * The key metric of a package: `<section>.<metric>.value` (the first review check's metric) of the
 * evaluation report the pipeline registered as the package's ModelQuality statistics.
 */
export interface PackageMetric {
  readonly name: string;
  /** Null when the package has no evaluation report, or it cannot be read or lacks the metric. */
  readonly value: string | null;
}

/** One version of the model package group, as `models list` and `status` show it. */
export interface ModelPackageView {
  readonly version: number;
  readonly arn: string;
  readonly approvalStatus: string;
  /** Completed, InProgress, Failed...: only Completed packages can be deployed. */
  readonly packageStatus: string;
  readonly createdAt: string | null;
  readonly metric: PackageMetric;
  readonly approvalDescription: string | null;
  /** Whether the endpoint serves this version now. */
  readonly serving: boolean;
}

/** Everything `models show` prints about one version. */
export interface ModelPackageDetails extends ModelPackageView {
  readonly description: string | null;
  readonly lastModifiedAt: string | null;
  readonly customerMetadata: Readonly<Record<string, string>>;
  /** The evaluation and monitoring reports registered with the package, e.g. `ModelQuality.Statistics`. */
  readonly metricsReports: readonly { readonly report: string; readonly s3Uri: string }[];
  readonly containers: readonly { readonly image: string | null; readonly modelDataUrl: string | null }[];
  /** The review gate's verdict the pipeline recorded, with each check when its review.json is readable. */
  readonly review: {
    readonly summary: string | null;
    readonly reportUrl: string | null;
    readonly checks: readonly { readonly passed: boolean; readonly detail: string }[];
  } | null;
  /** The package's model card (CreateModelPackage's ModelCard), its main fields. */
  readonly modelCard: { readonly status: string; readonly intendedUse: string | null; readonly riskRating: string | null; readonly url: string | null } | null;
}

export interface ModelList {
  readonly group: string;
  readonly metricName: string;
  readonly servedVersion: number | null;
  /** Newest first. */
  readonly packages: readonly ModelPackageView[];
}

export interface ApprovalChange {
  readonly version: number;
  readonly arn: string;
  readonly previousStatus: string;
  readonly status: string;
  /** False when the package already had the status: nothing was sent and no event fires. */
  readonly changed: boolean;
  /** The ApprovalDescription written; null when nothing changed. */
  readonly note: string | null;
}

export type ApprovalDecision = typeof ModelApprovalStatus.APPROVED | typeof ModelApprovalStatus.REJECTED;


/** The group's package summaries, newest first; only the first `limit` when given. */
export async function listPackageSummaries(sagemaker: SageMakerClient, group: string, limit?: number): Promise<ModelPackageSummary[]> {
  const summaries: ModelPackageSummary[] = [];
  const pages = paginateListModelPackages(
    { client: sagemaker },
    { ModelPackageGroupName: group, SortBy: 'CreationTime', SortOrder: 'Descending' },
  );
  for await (const page of pages) {
    summaries.push(...(page.ModelPackageSummaryList ?? []));
    if (limit !== undefined && summaries.length >= limit) return summaries.slice(0, limit);
  }
  return summaries;
}

/** The summary of `version`; refuses (exit 4) when the group has no such version. */
export async function findPackage(sagemaker: SageMakerClient, group: string, version: number): Promise<ModelPackageSummary> {
  const summaries = await listPackageSummaries(sagemaker, group);
  const found = summaries.find((summary) => summary.ModelPackageVersion === version);
  if (found) return found;
  if (summaries.length === 0) {
    throw new RefusedError(
      `model package group ${group} has no versions: deploy the stage and let the pipeline register a model first`,
    );
  }
  const known = summaries.map((summary) => summary.ModelPackageVersion);
  const shown = known.slice(0, 10).join(', ') + (known.length > 10 ? ` and ${known.length - 10} older` : '');
  throw new RefusedError(`version ${version} is not in model package group ${group}; its versions are ${shown}`);
}

/** The newest `limit` packages of the group with their key metric, marking the served version. */
export async function readModelList(
  sagemaker: SageMakerClient,
  s3: S3Client,
  group: string,
  metricName: string,
  servedVersion: number | null,
  limit: number,
): Promise<ModelList> {
  const summaries = await listPackageSummaries(sagemaker, group, limit);
  // The summaries lack the metadata and the approval note: one describe per package.
  const packages = await Promise.all(
    summaries.map(async (summary) => toView(s3, await describePackage(sagemaker, summary), metricName, servedVersion)),
  );
  return { group, metricName, servedVersion, packages };
}

export async function readModelDetails(
  sagemaker: SageMakerClient,
  s3: S3Client,
  group: string,
  version: number,
  metricName: string,
  servedVersion: number | null,
): Promise<ModelPackageDetails> {
  const described = await describePackage(sagemaker, await findPackage(sagemaker, group, version));
  return {
    ...(await toView(s3, described, metricName, servedVersion)),
    description: described.ModelPackageDescription || null,
    lastModifiedAt: described.LastModifiedTime?.toISOString() ?? null,
    customerMetadata: described.CustomerMetadataProperties ?? {},
    metricsReports: Object.entries(described.ModelMetrics ?? {}).flatMap(([category, reports]) =>
      Object.entries((reports ?? {}) as Record<string, { S3Uri?: string } | undefined>).flatMap(([kind, source]) =>
        source?.S3Uri ? [{ report: `${category}.${kind}`, s3Uri: source.S3Uri }] : [],
      ),
    ),
    containers: (described.InferenceSpecification?.Containers ?? []).map((container) => ({
      image: container.Image ?? null,
      modelDataUrl: container.ModelDataUrl ?? null,
    })),
    ...(await reviewOf(s3, described)),
  };
}

/**
 * Sets the approval status of `version` with `note` as the ApprovalDescription. A package that
 * already has the status is left alone (`changed: false`, exit 0): the operator's intent holds.
 * Refuses versions that do not exist and packages that did not finish registering.
 */
export async function changeApproval(
  sagemaker: SageMakerClient,
  group: string,
  version: number,
  status: ApprovalDecision,
  note: string | undefined,
): Promise<ApprovalChange> {
  checkApprovalNote(note);
  const summary = await findPackage(sagemaker, group, version);
  const arn = summary.ModelPackageArn ?? '';
  const previousStatus = summary.ModelApprovalStatus ?? 'unknown';
  const decision = { version, arn, previousStatus, status };
  if (previousStatus === status) return { ...decision, changed: false, note: null };
  if (summary.ModelPackageStatus !== 'Completed') {
    throw new RefusedError(
      `version ${version} cannot be ${status.toLowerCase()}: its registration is ${summary.ModelPackageStatus ?? 'unknown'}, not Completed`,
    );
  }
  const description = note ?? `${status} with the cdk-mlops CLI`;
  await sagemaker.send(new UpdateModelPackageCommand({ ModelPackageArn: arn, ModelApprovalStatus: status, ApprovalDescription: description }));
  return { ...decision, changed: true, note: description };
}

/**
 * Refuses (exit 2) a --note longer than UpdateModelPackage's ApprovalDescription keeps: the
 * operator's words are not cut without their knowing.
 */
export function checkApprovalNote(note: string | undefined): void {
  const { maxLength, shape } = SAGEMAKER_LIMITS.APPROVAL_DESCRIPTION;
  if (note !== undefined && note.length > maxLength) {
    throw new UsageError(`--note is ${note.length} characters long; SageMaker keeps at most ${maxLength} (the ${shape} of the model package): shorten it`);
  }
}

export function renderModelList(list: ModelList, now: Date): string {
  return formatTable(
    ['VERSION', 'APPROVAL', 'REGISTRATION', list.metricName.toUpperCase(), 'AGE', 'SERVING', 'NOTE'],
    list.packages.map((model) => [
      String(model.version),
      model.approvalStatus,
      model.packageStatus,
      cell(model.metric.value),
      formatAge(model.createdAt ? new Date(model.createdAt) : undefined, now),
      model.serving ? 'yes' : '',
      cell(model.approvalDescription),
    ]),
  );
}

/** The review the pipeline recorded (metadata ReviewSummary, ReviewReportUrl) and the model card. */
async function reviewOf(s3: S3Client, described: DescribeModelPackageCommandOutput): Promise<Pick<ModelPackageDetails, 'review' | 'modelCard'>> {
  const metadata = described.CustomerMetadataProperties ?? {};
  const reportUrl = metadata.ReviewReportUrl ?? null;
  const report = reportUrl ? await readS3JsonSoftly(s3, reportUrl) : undefined;
  const checks = Array.isArray((report as { checks?: unknown })?.checks) ? ((report as { checks: { passed: boolean; detail: string }[] }).checks) : [];
  const review = metadata.ReviewSummary || reportUrl ? { summary: metadata.ReviewSummary ?? null, reportUrl, checks: checks.map(({ passed, detail }) => ({ passed: passed === true, detail: String(detail) })) } : null;
  const card = described.ModelCard;
  let content: { intended_uses?: { intended_uses?: string; risk_rating?: string } } = {};
  try {
    content = JSON.parse(card?.ModelCardContent ?? '{}');
  } catch {
    // A card that is not JSON shows as its status only.
  }
  const modelCard = card
    ? {
        status: card.ModelCardStatus ?? '-',
        intendedUse: content.intended_uses?.intended_uses ?? null,
        riskRating: content.intended_uses?.risk_rating ?? null,
        url: reportUrl ? modelCardUrlOf(reportUrl) : null,
      }
    : null;
  return { review, modelCard };
}

export function renderModelDetails(details: ModelPackageDetails, now: Date): string {
  const createdAt = details.createdAt ? new Date(details.createdAt) : undefined;
  const fields = formatTable(
    ['FIELD', 'VALUE'],
    [
      ['version', String(details.version)],
      ['arn', details.arn],
      ['approval', details.approvalStatus],
      ['approval note', cell(details.approvalDescription)],
      ['registration', details.packageStatus],
      [details.metric.name, cell(details.metric.value)],
      ['serving', details.serving ? 'yes' : 'no'],
      ['created', createdAt ? `${details.createdAt} (${formatAge(createdAt, now)} ago)` : '-'],
      ['last modified', cell(details.lastModifiedAt)],
      ['description', cell(details.description)],
    ],
  );
  return [
    fields,
    ...(details.review
      ? [
          formatSection(
            'Review',
            formatTable(['CHECK', 'RESULT'], [
              ['summary', cell(details.review.summary)],
              ...details.review.checks.map((check) => [check.passed ? 'ok' : 'FAILED', check.detail]),
              ['report', cell(details.review.reportUrl)],
            ]),
          ),
        ]
      : []),
    ...(details.modelCard
      ? [
          formatSection(
            'Model card',
            formatTable(['FIELD', 'VALUE'], [
              ['status', details.modelCard.status],
              ['risk rating', cell(details.modelCard.riskRating)],
              ['intended use', cell(details.modelCard.intendedUse)],
              ['card', cell(details.modelCard.url)],
            ]),
          ),
        ]
      : []),
    formatSection('Metadata', formatTable(['KEY', 'VALUE'], Object.entries(details.customerMetadata))),
    formatSection('Metrics reports', formatTable(['REPORT', 'S3 URI'], details.metricsReports.map((r) => [r.report, r.s3Uri]))),
    formatSection('Containers', formatTable(['IMAGE', 'MODEL DATA'], details.containers.map((c) => [cell(c.image), cell(c.modelDataUrl)]))),
  ].join('\n');
}

export function renderApprovalChange(change: ApprovalChange, endpointName: string): string {
  if (!change.changed) {
    return `version ${change.version} is already ${change.status}; nothing changed and the deployer is not notified again\n`;
  }
  const effect =
    change.status === ModelApprovalStatus.APPROVED
      ? `the deployer keeps ${endpointName} on the newest approved version`
      : `if ${endpointName} serves it, the deployer moves to the newest remaining approved version`;
  return `version ${change.version}: ${change.previousStatus} -> ${change.status} ("${change.note}"); ${effect}\n`;
}

async function describePackage(sagemaker: SageMakerClient, summary: ModelPackageSummary): Promise<DescribeModelPackageCommandOutput> {
  return sagemaker.send(new DescribeModelPackageCommand({ ModelPackageName: summary.ModelPackageArn }));
}

async function toView(s3: S3Client, described: DescribeModelPackageCommandOutput, metricName: string, servedVersion: number | null): Promise<ModelPackageView> {
  const version = described.ModelPackageVersion ?? 0;
  return {
    version,
    arn: described.ModelPackageArn ?? '',
    approvalStatus: described.ModelApprovalStatus ?? 'unknown',
    packageStatus: described.ModelPackageStatus ?? 'unknown',
    createdAt: described.CreationTime?.toISOString() ?? null,
    metric: { name: metricName, value: await readKeyMetric(s3, described.ModelMetrics?.ModelQuality?.Statistics?.S3Uri, metricName) },
    approvalDescription: described.ApprovalDescription || null,
    serving: servedVersion !== null && version === servedVersion,
  };
}

/**
 * The metric from the package's evaluation report. A report that is missing, unreadable (no access
 * to the artifacts bucket) or without the metric shows as no value rather than failing the listing.
 */
async function readKeyMetric(s3: S3Client, reportUri: string | undefined, metricName: string): Promise<string | null> {
  const metrics = reportUri ? ((await readS3JsonSoftly(s3, reportUri)) as Record<string, Record<string, { value?: unknown }> | undefined> | undefined) : undefined;
  // The metric under whichever problem type's section the evaluation wrote.
  const value: unknown = Object.values(METRICS_SECTION).map((section) => metrics?.[section]?.[metricName]?.value).find((found) => found !== undefined);
  return typeof value === 'number' && Number.isFinite(value) ? String(Number(value.toFixed(4))) : null;
}
