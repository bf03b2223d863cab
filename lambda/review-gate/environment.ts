/**
 * The contract between the review gate and the CDK code that deploys it: environment variable
 * names, the policy they carry, and the event the pipeline's Lambda step sends. No AWS SDK import.
 */
import {
  Comparison,
  COMPARISONS,
  comparisonProblem,
  defaultComparison,
  gateableMetrics,
  isBiasMetric,
  PROBLEM_TYPES,
  ProblemType,
} from '../shared/model-metrics';

/** Environment variables the gate reads; the construct sets every one. */
export const REVIEW_ENV = {
  /** The model package group whose newest approved version is the champion. */
  MODEL_PACKAGE_GROUP: 'MODEL_PACKAGE_GROUP',
  /** Bucket the evaluation, bias and review reports live in (the pipeline's artifacts bucket). */
  ARTIFACTS_BUCKET: 'ARTIFACTS_BUCKET',
  /** The policy, as JSON: see `ReviewPolicy`. */
  POLICY: 'REVIEW_POLICY',
  /** Clarify's analysis configuration, as JSON, when the pipeline has a bias report; unset otherwise. */
  BIAS_ANALYSIS_CONFIG: 'BIAS_ANALYSIS_CONFIG',
} as const;

/**
 * The event of the pipeline's BiasConfig step: write the analysis configuration to
 * `<OutputUrl>/analysis_config.json`, the one file name the Clarify container reads. A CDK asset
 * cannot carry it: asset objects are named by their content hash.
 */
export const BIAS_CONFIG_REQUEST = { ACTION: 'Action', ACTION_VALUE: 'WriteBiasAnalysisConfig', OUTPUT_URL: 'OutputUrl' } as const;

/** The keys of the event the pipeline's Review step sends (its Arguments). */
export const REVIEW_REQUEST = {
  EVALUATION_REPORT_URL: 'EvaluationReportUrl',
  /** Clarify's analysis.json, or '' when the pipeline computes no bias report. */
  BIAS_REPORT_URL: 'BiasReportUrl',
  /** Folder the gate writes review.json and model-card.json to. */
  REVIEW_OUTPUT_URL: 'ReviewOutputUrl',
  /** Overrides the first check's threshold for this run (the MetricThreshold parameter). */
  FIRST_CHECK_THRESHOLD: 'FirstCheckThreshold',
  INPUT_DATA_URL: 'InputDataUrl',
  MODEL_DATA_URL: 'ModelDataUrl',
  PIPELINE_EXECUTION_ID: 'PipelineExecutionId',
  TRIGGER_REASON: 'TriggerReason',
} as const;

/** The keys of the gate's answer, which the pipeline reads as the Review step's OutputParameters. */
export const REVIEW_OUTPUT = {
  /** Boolean: every check held. */
  PASSED: 'Passed',
  /** String: the outcome of each check for the package's metadata, so a CustomerMetadataValue (at most 256 letters, digits, spaces and _.:/=+-@). */
  SUMMARY: 'Summary',
  /** String: every failed check with its values, for the Fail step ('' when passed). */
  FAILURE_MESSAGE: 'FailureMessage',
  /** String: s3:// URL of review.json. */
  REPORT_URL: 'ReviewReportUrl',
  /** String: the model card content (JSON) registered with the package. */
  MODEL_CARD: 'ModelCardContent',
} as const;

/** The files the gate writes into the Review step's output folder. */
export const REVIEW_FILES = { REPORT: 'review.json', MODEL_CARD: 'model-card.json' } as const;

/** The model card's URL beside a review report's (the package records only the report's). */
export function modelCardUrlOf(reportUrl: string): string {
  return `${reportUrl.slice(0, reportUrl.lastIndexOf('/') + 1)}${REVIEW_FILES.MODEL_CARD}`;
}

/** SageMaker's risk ratings of a model card. */
export const RISK_RATINGS = ['High', 'Medium', 'Low', 'Unknown'] as const;
export type RiskRating = (typeof RISK_RATINGS)[number];

/** One check of the gate, with its comparison resolved. */
export interface ReviewCheck {
  readonly metric: string;
  readonly comparison: Comparison;
  readonly threshold: number;
}

/** What the gate enforces and records. */
export interface ReviewPolicy {
  readonly problemType: ProblemType;
  /** Every check must hold; the first one's metric is the champion comparison's. */
  readonly checks: readonly ReviewCheck[];
  /** How much worse than the champion the candidate may be on the first check's metric; absent: no champion check. */
  readonly championMargin?: number;
  readonly modelCard: { readonly intendedUse: string; readonly riskRating: RiskRating };
}

export interface ReviewSettings {
  readonly modelPackageGroupName: string;
  readonly artifactsBucket: string;
  readonly policy: ReviewPolicy;
  /** Clarify's analysis configuration, when the pipeline has a bias report. */
  readonly biasAnalysisConfig?: Readonly<Record<string, unknown>>;
}

/** A check as a user writes it: the comparison may be left to the metric's direction. */
export interface ReviewCheckInput {
  readonly metric: string;
  readonly threshold: number;
  readonly comparison?: Comparison;
}

/** A problem of a list of checks: where (relative to the list), and what is expected there. */
export interface CheckProblem {
  /** Index of the check and its field, empty for the list itself. */
  readonly path: readonly (number | 'metric' | 'threshold' | 'comparison')[];
  /** What is expected, such as `a regression metric (mae, mse, rmse, r2, CI, ...)`. */
  readonly expected: string;
}

/**
 * The problems of a list of checks for a problem type: no checks, an unknown metric, a bias metric
 * without a bias report or first, a comparison against the metric's direction, a threshold that is
 * not a finite number.
 */
export function checkProblems(problemType: ProblemType, checks: readonly ReviewCheckInput[], hasBias: boolean): CheckProblem[] {
  const problems: CheckProblem[] = [];
  if (checks.length === 0) problems.push({ path: [], expected: `at least one check, such as { "metric": "${HEADLINE_METRIC[problemType]}", "threshold": ... }` });
  checks.forEach((check, index) => {
    if (!gateableMetrics(problemType).includes(check.metric)) {
      problems.push({ path: [index, 'metric'], expected: `a ${problemType} metric (${gateableMetrics(problemType).join(', ')})` });
      return;
    }
    if (isBiasMetric(check.metric) && !hasBias) problems.push({ path: [index, 'metric'], expected: `a model metric, or configure a bias report (review.bias) to check ${check.metric}` });
    if (index === 0 && isBiasMetric(check.metric)) {
      problems.push({ path: [0, 'metric'], expected: 'a model metric first: the champion check and the MetricThreshold parameter use the first check' });
    }
    if (!Number.isFinite(check.threshold)) problems.push({ path: [index, 'threshold'], expected: 'a finite number' });
    if (check.comparison !== undefined) {
      const problem = COMPARISONS.includes(check.comparison) ? comparisonProblem(problemType, check.metric, check.comparison) : `one of ${COMPARISONS.join(', ')}`;
      if (problem) problems.push({ path: [index, 'comparison'], expected: problem });
    }
  });
  return problems;
}

/** The problems as one line each: `<at>[1].comparison: expected ...`. */
export function describeCheckProblems(problems: readonly CheckProblem[], at: string): string[] {
  return problems.map(({ path, expected }) => `${at}${path.map((part) => (typeof part === 'number' ? `[${part}]` : `.${part}`)).join('')}: expected ${expected}`);
}

/** The review of a binary model when none is configured. */
export const DEFAULT_REVIEW_CHECK: ReviewCheckInput = { metric: 'auc', threshold: 0.75 };

/** The metric a problem type is usually judged by, for examples in messages. */
export const HEADLINE_METRIC: Readonly<Record<ProblemType, string>> = { binary: 'auc', multiclass: 'accuracy', regression: 'rmse' };

/** The checks with each comparison resolved from the metric's direction where left out. */
export function resolveChecks(problemType: ProblemType, checks: readonly ReviewCheckInput[]): ReviewCheck[] {
  return checks.map((check) => ({ metric: check.metric, threshold: check.threshold, comparison: check.comparison ?? defaultComparison(problemType, check.metric)! }));
}

/**
 * Reads and validates the gate's settings; throws one error naming every bad variable, the value
 * received and what is expected.
 */
export function readReviewSettings(env: Readonly<Record<string, string | undefined>>): ReviewSettings {
  const problems: string[] = [];
  const group = env[REVIEW_ENV.MODEL_PACKAGE_GROUP]?.trim() ?? '';
  if (!/^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$/.test(group)) problems.push(`${REVIEW_ENV.MODEL_PACKAGE_GROUP} is ${JSON.stringify(group)}: a model package group name`);
  const bucket = env[REVIEW_ENV.ARTIFACTS_BUCKET]?.trim() ?? '';
  if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(bucket)) problems.push(`${REVIEW_ENV.ARTIFACTS_BUCKET} is ${JSON.stringify(bucket)}: a bucket name`);
  const policy = parsePolicy(env[REVIEW_ENV.POLICY], problems);
  let biasAnalysisConfig: Record<string, unknown> | undefined;
  const configText = env[REVIEW_ENV.BIAS_ANALYSIS_CONFIG];
  if (configText) {
    try {
      biasAnalysisConfig = JSON.parse(configText);
    } catch {
      problems.push(`${REVIEW_ENV.BIAS_ANALYSIS_CONFIG} is not JSON: ${JSON.stringify(configText.slice(0, 80))}`);
    }
  }
  if (problems.length > 0 || policy === undefined) throw new Error(`review gate settings: ${problems.join('; ')}`);
  return { modelPackageGroupName: group, artifactsBucket: bucket, policy, ...(biasAnalysisConfig && { biasAnalysisConfig }) };
}

function parsePolicy(text: string | undefined, problems: string[]): ReviewPolicy | undefined {
  const name = REVIEW_ENV.POLICY;
  let value: unknown;
  try {
    value = JSON.parse(text ?? '');
  } catch {
    problems.push(`${name} is not JSON: ${JSON.stringify((text ?? '').slice(0, 80))}`);
    return undefined;
  }
  const policy = value as Partial<ReviewPolicy>;
  if (typeof value !== 'object' || value === null) {
    problems.push(`${name} is not a JSON object`);
    return undefined;
  }
  if (!PROBLEM_TYPES.includes(policy.problemType as ProblemType)) {
    problems.push(`${name}.problemType is ${JSON.stringify(policy.problemType)}: one of ${PROBLEM_TYPES.join(', ')}`);
    return undefined;
  }
  if (!Array.isArray(policy.checks)) {
    problems.push(`${name}.checks is not a list`);
    return undefined;
  }
  const before = problems.length;
  problems.push(...describeCheckProblems(checkProblems(policy.problemType!, policy.checks, true), `${name}.checks`));
  if (policy.checks.some((check) => check.comparison === undefined)) problems.push(`${name}.checks: every check names its comparison`);
  const margin = policy.championMargin;
  if (margin !== undefined && !(typeof margin === 'number' && Number.isFinite(margin) && margin >= 0)) {
    problems.push(`${name}.championMargin is ${JSON.stringify(margin)}: a number of at least 0, or absent`);
  }
  const card = policy.modelCard;
  if (typeof card?.intendedUse !== 'string' || !RISK_RATINGS.includes(card.riskRating)) {
    problems.push(`${name}.modelCard is ${JSON.stringify(card)}: { "intendedUse": string, "riskRating": ${RISK_RATINGS.join('|')} }`);
  }
  return problems.length === before ? (policy as ReviewPolicy) : undefined;
}
