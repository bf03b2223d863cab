import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { DescribeModelPackageCommand, ListModelPackagesCommand, SageMakerClient } from '@aws-sdk/client-sagemaker';
import { compare, isBiasMetric, METRICS_SECTION, MODEL_METRICS, ProblemType } from '../shared/model-metrics';
import { SAGEMAKER_LIMITS } from '../shared/sagemaker-limits';
import { BIAS_CONFIG_REQUEST, REVIEW_FILES, REVIEW_OUTPUT, REVIEW_REQUEST, ReviewCheck, ReviewPolicy, ReviewSettings } from './environment';

/**
 * The review gate: every check of the policy on the candidate's evaluation report (and bias
 * report), then the champion/challenger check against the newest approved package of the group.
 * It writes review.json and the model card beside the run's other reports and answers the
 * pipeline's Review step; the condition after it registers the model only when `Passed` is true.
 */

export interface ReviewClients {
  readonly s3: S3Client;
  readonly sagemaker: SageMakerClient;
}

/** The event the Review step sends, with the keys of `REVIEW_REQUEST`. */
export type ReviewRequest = Readonly<Record<string, unknown>>;

/** The outcome of one check. */
export interface CheckResult {
  /** `auc >= 0.75`, `|DPL| <= 0.2`, `champion auc`. */
  readonly check: string;
  readonly metric: string;
  readonly value: number | null;
  readonly threshold: number | null;
  readonly passed: boolean;
  /** What was compared, or why nothing could be: `auc 0.84 >= 0.75`. */
  readonly detail: string;
}

/** review.json: what the gate decided and why. */
export interface ReviewReport {
  readonly passed: boolean;
  readonly problemType: ProblemType;
  readonly checks: readonly CheckResult[];
  /** The champion compared with, or null when the group has no approved version (or no champion check). */
  readonly champion: { readonly modelPackageArn: string; readonly version: number | null; readonly value: number | null } | null;
  readonly evaluationReportUrl: string;
  readonly biasReportUrl: string | null;
  readonly reviewedAt: string;
}

/** The answer the Review step's OutputParameters read. */
export interface ReviewAnswer {
  readonly [REVIEW_OUTPUT.PASSED]: boolean;
  readonly [REVIEW_OUTPUT.SUMMARY]: string;
  readonly [REVIEW_OUTPUT.FAILURE_MESSAGE]: string;
  readonly [REVIEW_OUTPUT.REPORT_URL]: string;
  readonly [REVIEW_OUTPUT.MODEL_CARD]: string;
}

/** Writes Clarify's analysis configuration for the run's BiasReport step; answers where. */
export async function writeBiasAnalysisConfig(s3: S3Client, settings: ReviewSettings, request: ReviewRequest): Promise<{ ConfigUrl: string }> {
  if (!settings.biasAnalysisConfig) throw new Error('the BiasConfig step ran, but the function has no bias analysis configuration (BIAS_ANALYSIS_CONFIG)');
  const output = request[BIAS_CONFIG_REQUEST.OUTPUT_URL];
  if (typeof output !== 'string' || !/^s3:\/\/[^/]+\/.+/.test(output)) throw new Error(`${BIAS_CONFIG_REQUEST.OUTPUT_URL} is ${JSON.stringify(output)}: an s3://bucket/prefix URL`);
  const folder = output.replace(/\/+$/, '');
  await writeJson(s3, `${folder}/analysis_config.json`, settings.biasAnalysisConfig);
  return { ConfigUrl: `${folder}/` };
}

/** CustomerMetadataProperties values hold at most 256 characters. */
const SUMMARY_LIMIT = 256;

export async function reviewModel(clients: ReviewClients, settings: ReviewSettings, request: ReviewRequest, now: () => Date = () => new Date()): Promise<{ answer: ReviewAnswer; report: ReviewReport }> {
  const { policy } = settings;
  const read = readRequest(request);
  const checks = policy.checks.map((check, index) => (index === 0 && read.firstCheckThreshold !== undefined ? { ...check, threshold: read.firstCheckThreshold } : check));
  const evaluation = await readJson(clients.s3, read.evaluationReportUrl, 'evaluation report');
  const metrics = modelMetricsOf(evaluation, policy.problemType, read.evaluationReportUrl);
  const bias = read.biasReportUrl ? biasMetricsOf(await readJson(clients.s3, read.biasReportUrl, 'bias report'), read.biasReportUrl) : undefined;

  const results: CheckResult[] = checks.map((check) => thresholdCheck(check, isBiasMetric(check.metric) ? bias : metrics, read.biasReportUrl));
  let champion: ReviewReport['champion'] = null;
  if (policy.championMargin !== undefined) {
    const outcome = await championCheck(clients, settings, checks[0], metrics, policy.championMargin);
    champion = outcome.champion;
    results.push(outcome.result);
  }

  const passed = results.every((result) => result.passed);
  const report: ReviewReport = {
    passed,
    problemType: policy.problemType,
    checks: results,
    champion,
    evaluationReportUrl: read.evaluationReportUrl,
    biasReportUrl: read.biasReportUrl ?? null,
    reviewedAt: now().toISOString(),
  };
  const card = modelCard(policy, read, metrics, bias, report);
  const folder = read.reviewOutputUrl.replace(/\/+$/, '');
  await writeJson(clients.s3, `${folder}/${REVIEW_FILES.REPORT}`, report);
  await writeJson(clients.s3, `${folder}/${REVIEW_FILES.MODEL_CARD}`, card);

  const failed = results.filter((result) => !result.passed);
  return {
    report,
    answer: {
      [REVIEW_OUTPUT.PASSED]: passed,
      [REVIEW_OUTPUT.SUMMARY]: summary(passed, results),
      [REVIEW_OUTPUT.FAILURE_MESSAGE]: passed ? '' : `The model is not registered: ${failed.length} of ${results.length} review checks failed: ${failed.map((result) => result.detail).join('; ')}.`,
      [REVIEW_OUTPUT.REPORT_URL]: `${folder}/${REVIEW_FILES.REPORT}`,
      [REVIEW_OUTPUT.MODEL_CARD]: JSON.stringify(card),
    },
  };
}

interface ReadRequest {
  readonly evaluationReportUrl: string;
  readonly biasReportUrl?: string;
  readonly reviewOutputUrl: string;
  readonly firstCheckThreshold?: number;
  readonly inputDataUrl: string;
  readonly modelDataUrl: string;
  readonly executionId: string;
  readonly triggerReason: string;
}

function readRequest(request: ReviewRequest): ReadRequest {
  const problems: string[] = [];
  const url = (key: string, optional = false): string | undefined => {
    const value = request[key];
    if (optional && (value === undefined || value === '')) return undefined;
    if (typeof value !== 'string' || !/^s3:\/\/[^/]+\/.+/.test(value)) {
      problems.push(`${key} is ${JSON.stringify(value)}: an s3://bucket/key URL`);
      return undefined;
    }
    return value;
  };
  const text = (key: string): string => (typeof request[key] === 'string' ? (request[key] as string) : '');
  const threshold = request[REVIEW_REQUEST.FIRST_CHECK_THRESHOLD];
  const firstCheckThreshold = threshold === undefined || threshold === '' ? undefined : Number(threshold);
  if (firstCheckThreshold !== undefined && !Number.isFinite(firstCheckThreshold)) {
    problems.push(`${REVIEW_REQUEST.FIRST_CHECK_THRESHOLD} is ${JSON.stringify(threshold)}: a finite number`);
  }
  const read = {
    evaluationReportUrl: url(REVIEW_REQUEST.EVALUATION_REPORT_URL)!,
    biasReportUrl: url(REVIEW_REQUEST.BIAS_REPORT_URL, true),
    reviewOutputUrl: url(REVIEW_REQUEST.REVIEW_OUTPUT_URL)!,
    firstCheckThreshold,
    inputDataUrl: text(REVIEW_REQUEST.INPUT_DATA_URL),
    modelDataUrl: text(REVIEW_REQUEST.MODEL_DATA_URL),
    executionId: text(REVIEW_REQUEST.PIPELINE_EXECUTION_ID),
    triggerReason: text(REVIEW_REQUEST.TRIGGER_REASON),
  };
  if (problems.length > 0) throw new Error(`the Review step's event: ${problems.join('; ')}`);
  return read;
}

/** `metric → value` of the problem type's section of evaluation.json. */
function modelMetricsOf(report: unknown, problemType: ProblemType, url: string): Map<string, number> {
  const section = METRICS_SECTION[problemType];
  const found = (report as Record<string, unknown> | null)?.[section];
  if (typeof found !== 'object' || found === null) {
    const keys = typeof report === 'object' && report !== null ? Object.keys(report) : [];
    throw new Error(`${url} has no ${section} (it has ${keys.join(', ') || 'nothing'}): the evaluation must write the ${problemType} metrics`);
  }
  const values = new Map<string, number>();
  for (const [name, entry] of Object.entries(found)) {
    const value = (entry as { value?: unknown } | null)?.value;
    if (typeof value === 'number' && Number.isFinite(value)) values.set(name, value);
  }
  return values;
}

/**
 * `metric → worst value` of Clarify's pre-training bias metrics: the largest |value| over every
 * facet and facet value analysed, since every group must stay within the bound.
 * Layout: https://docs.aws.amazon.com/sagemaker/latest/dg/clarify-processing-job-analysis-results.html
 */
function biasMetricsOf(report: unknown, url: string): Map<string, number> {
  const facets = (report as { pre_training_bias_metrics?: { facets?: unknown } } | null)?.pre_training_bias_metrics?.facets;
  if (typeof facets !== 'object' || facets === null) throw new Error(`${url} has no pre_training_bias_metrics.facets: not a Clarify pre-training bias analysis`);
  const worst = new Map<string, number>();
  for (const groups of Object.values(facets)) {
    for (const group of Array.isArray(groups) ? groups : []) {
      for (const metric of Array.isArray(group?.metrics) ? group.metrics : []) {
        if (typeof metric?.name !== 'string' || typeof metric.value !== 'number' || !Number.isFinite(metric.value)) continue;
        worst.set(metric.name, Math.max(worst.get(metric.name) ?? 0, Math.abs(metric.value)));
      }
    }
  }
  return worst;
}

function format(value: number): string {
  return Number.isInteger(value) ? String(value) : String(Number(value.toPrecision(4)));
}

function thresholdCheck(check: ReviewCheck, values: Map<string, number> | undefined, biasReportUrl: string | undefined): CheckResult {
  const bias = isBiasMetric(check.metric);
  const label = bias ? `|${check.metric}|` : check.metric;
  const name = `${label} ${check.comparison} ${format(check.threshold)}`;
  const value = values?.get(check.metric);
  if (value === undefined) {
    const missing = bias && !biasReportUrl ? `no bias report was computed for ${check.metric}` : `${check.metric} not found in ${bias ? `the bias report ${biasReportUrl}` : 'the evaluation report'}`;
    return { check: name, metric: check.metric, value: null, threshold: check.threshold, passed: false, detail: `${missing} (${name} cannot hold)` };
  }
  const passed = compare(value, check.comparison, check.threshold);
  const verb = passed ? check.comparison : negate(check.comparison);
  return { check: name, metric: check.metric, value, threshold: check.threshold, passed, detail: `${label} ${format(value)} ${verb} ${format(check.threshold)}${passed ? '' : ` (needs ${check.comparison} ${format(check.threshold)})`}` };
}

function negate(comparison: ReviewCheck['comparison']): string {
  return { '>=': '<', '>': '<=', '<=': '>', '<': '>=' }[comparison];
}

async function championCheck(
  clients: ReviewClients,
  settings: ReviewSettings,
  check: ReviewCheck,
  metrics: Map<string, number>,
  margin: number,
): Promise<{ champion: ReviewReport['champion']; result: CheckResult }> {
  const { metric } = check;
  const name = `champion ${metric} (margin ${format(margin)})`;
  const base = { check: name, metric };
  const listed = await clients.sagemaker.send(
    new ListModelPackagesCommand({
      ModelPackageGroupName: settings.modelPackageGroupName,
      ModelApprovalStatus: 'Approved',
      SortBy: 'CreationTime',
      SortOrder: 'Descending',
      MaxResults: 1,
    }),
  );
  const newest = listed.ModelPackageSummaryList?.[0];
  if (!newest?.ModelPackageArn) {
    return { champion: null, result: { ...base, value: metrics.get(metric) ?? null, threshold: null, passed: true, detail: `no approved version in ${settings.modelPackageGroupName} yet: the first model has no champion to beat` } };
  }
  const described = await clients.sagemaker.send(new DescribeModelPackageCommand({ ModelPackageName: newest.ModelPackageArn }));
  const version = described.ModelPackageVersion ?? newest.ModelPackageVersion ?? null;
  const reportUrl = described.ModelMetrics?.ModelQuality?.Statistics?.S3Uri;
  const label = `version ${version ?? '?'}`;
  const candidate = metrics.get(metric);
  const championValue = reportUrl ? modelMetricsOf(await readJson(clients.s3, reportUrl, `champion ${label}'s evaluation report`), settings.policy.problemType, reportUrl).get(metric) : undefined;
  const champion = { modelPackageArn: newest.ModelPackageArn, version, value: championValue ?? null };
  if (championValue === undefined) {
    return { champion, result: { ...base, value: candidate ?? null, threshold: null, passed: true, detail: `champion ${label} records no ${metric} (${reportUrl ?? 'no ModelQuality statistics'}): not compared` } };
  }
  if (candidate === undefined) {
    return { champion, result: { ...base, value: null, threshold: null, passed: false, detail: `${metric} not found in the evaluation report, so it cannot be compared with champion ${label}'s ${format(championValue)}` } };
  }
  const higher = MODEL_METRICS[settings.policy.problemType][metric] === 'higher';
  const bound = higher ? championValue - margin : championValue + margin;
  const passed = higher ? candidate >= bound : candidate <= bound;
  const detail = passed
    ? `${metric} ${format(candidate)} is within ${format(margin)} of champion ${label}'s ${format(championValue)} or better`
    : `${metric} ${format(candidate)} is worse than champion ${label}'s ${format(championValue)} by more than the margin ${format(margin)} (needs ${higher ? '>=' : '<='} ${format(bound)})`;
  return { champion, result: { ...base, value: candidate, threshold: bound, passed, detail } };
}

/**
 * The outcome in at most 256 characters a CustomerMetadataValue allows, cut at a check boundary:
 * `passed: auc 0.84 at least 0.75 / champion ...`.
 */
function summary(passed: boolean, results: readonly CheckResult[]): string {
  let text = passed ? 'passed' : 'failed';
  for (const [index, result] of results.entries()) {
    const part = `${index === 0 ? ': ' : ' / '}${result.passed ? '' : 'FAILED '}${metadataText(result.detail)}`;
    if (text.length + part.length > SUMMARY_LIMIT) {
      const rest = ` / +${results.length - index} more in review.json`;
      return (text + rest).slice(0, SUMMARY_LIMIT);
    }
    text += part;
  }
  return text;
}

const COMPARISON_WORDS: readonly (readonly [string, string])[] = [
  ['>=', 'at least'],
  ['<=', 'at most'],
  ['>', 'above'],
  ['<', 'below'],
];

/** A run of the characters a CustomerMetadataValue does not allow (it allows letters, digits, spaces and _.:/=+-@). */
const NOT_METADATA = new RegExp(`${SAGEMAKER_LIMITS.CUSTOMER_METADATA_VALUE.characters.replace(/^\[/, '[^')}+`, 'gu');

/**
 * `text` in the characters of a CustomerMetadataValue, which CreateModelPackage refuses otherwise:
 * comparisons in words, `|DPL|` as `abs DPL`, a possessive `'s` as a colon, any other punctuation
 * as a space.
 */
function metadataText(text: string): string {
  const worded = COMPARISON_WORDS.reduce((out, [symbol, words]) => out.split(symbol).join(words), text)
    .replace(/\|([^|]+)\|/g, 'abs $1')
    .replace(/'s\b/g, ':');
  return worded.replace(NOT_METADATA, ' ').replace(/ {2,}/g, ' ').trim();
}

/**
 * The model card registered with the package, in the model package card schema (model_overview
 * holds only model_creator and model_artifact):
 * https://docs.aws.amazon.com/sagemaker/latest/dg/model-registry-details.html#model-card-schema
 */
function modelCard(policy: ReviewPolicy, read: ReadRequest, metrics: Map<string, number>, bias: Map<string, number> | undefined, report: ReviewReport) {
  const number = (name: string, value: number) => ({ name, type: 'number', value });
  return {
    model_overview: {
      model_creator: `cdk-mlops pipeline execution ${read.executionId || 'unknown'}`,
      ...(read.modelDataUrl && { model_artifact: [read.modelDataUrl] }),
    },
    intended_uses: {
      ...(policy.modelCard.intendedUse && { intended_uses: policy.modelCard.intendedUse }),
      risk_rating: policy.modelCard.riskRating,
    },
    training_details: { training_job_details: { training_datasets: read.inputDataUrl ? [read.inputDataUrl] : [] } },
    evaluation_details: [
      {
        name: 'Test split',
        evaluation_observation: `Evaluated on the held-out test split; the review gate ${report.passed ? 'passed' : 'failed'}.`,
        datasets: [read.evaluationReportUrl],
        metric_groups: [
          { name: METRICS_SECTION[policy.problemType], metric_data: [...metrics].map(([name, value]) => number(name, value)) },
          ...(bias ? [{ name: 'pre_training_bias_metrics', metric_data: [...bias].map(([name, value]) => number(`max |${name}|`, value)) }] : []),
          { name: 'review_gate', metric_data: report.checks.map((check) => ({ name: check.check, type: 'boolean', value: check.passed, notes: check.detail })) },
        ],
      },
    ],
    additional_information: {
      custom_details: {
        review_result: report.passed ? 'passed' : 'failed',
        trigger_reason: read.triggerReason,
        ...(report.champion && { champion_model_package: report.champion.modelPackageArn }),
      },
    },
  };
}

function parseS3Url(url: string): { Bucket: string; Key: string } {
  const match = /^s3:\/\/([^/]+)\/(.+)$/.exec(url);
  if (!match) throw new Error(`${url} is not an s3://bucket/key URL`);
  return { Bucket: match[1], Key: match[2] };
}

async function readJson(s3: S3Client, url: string, what: string): Promise<unknown> {
  const answer = await s3.send(new GetObjectCommand(parseS3Url(url)));
  const text = (await answer.Body?.transformToString()) ?? '';
  try {
    return JSON.parse(text);
  } catch {
    throw new Error(`the ${what} ${url} is not JSON: ${JSON.stringify(text.slice(0, 80))}`);
  }
}

async function writeJson(s3: S3Client, url: string, value: unknown): Promise<void> {
  await s3.send(new PutObjectCommand({ ...parseS3Url(url), Body: JSON.stringify(value, null, 2), ContentType: 'application/json' }));
}
