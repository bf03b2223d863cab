/**
 * The contract between the retraining governor and the CDK code that deploys it: environment
 * variable names, pipeline parameter names, event and metric names. No AWS SDK import, so
 * constructs and the pipeline builder can use these constants without pulling in the SDK.
 */
import { hasAllowedCharacters, SAGEMAKER_LIMITS } from '../shared/sagemaker-limits';

/** Environment variables the governor reads; the construct sets every one. */
export const GOVERNOR_ENV = {
  /** Name of the SageMaker pipeline to start. */
  PIPELINE_NAME: 'PIPELINE_NAME',
  /**
   * `s3://BUCKET/PREFIX/` the pipeline trains from; also the only prefix whose uploads trigger a run.
   * The pipeline records it in the model package's CustomerMetadataProperties, so it must fit a
   * value there: at most 256 letters, digits, spaces and `_.:/=+-@`.
   */
  INPUT_DATA_URL: 'INPUT_DATA_URL',
  /** Whole minutes that must pass after the last execution start before another starts (0 = none). */
  COOLDOWN_MINUTES: 'COOLDOWN_MINUTES',
  /** Whole minutes (>= 1) of the window that all new-data events of a burst share. */
  DEBOUNCE_MINUTES: 'DEBOUNCE_MINUTES',
  /** CloudWatch namespace of the `RetrainingDecision` metric, e.g. `CdkMlops`. */
  METRIC_NAMESPACE: 'METRIC_NAMESPACE',
  /**
   * Optional: the model-quality alarm's name. Its ALARM state changes start runs as `model-quality`
   * triggers; every other alarm's are `drift` triggers.
   */
  MODEL_QUALITY_ALARM_NAME: 'MODEL_QUALITY_ALARM_NAME',
} as const;

/** Pipeline parameters the governor passes; the pipeline definition must declare both. */
export const PIPELINE_PARAMETER = {
  /** String: the S3 prefix to train from (the value of INPUT_DATA_URL). */
  INPUT_DATA_URL: 'InputDataUrl',
  /** String: why the run started: `schedule`, `new-data:KEY`, `drift:ALARM`, `model-quality:ALARM`, `manual:REASON`. */
  TRIGGER_REASON: 'TriggerReason',
} as const;

/** The event the operator CLI puts on the default bus to ask for a run. */
export const OPERATOR_RETRAIN_EVENT = {
  SOURCE: 'cdk-mlops.operator',
  DETAIL_TYPE: 'Retrain Requested',
} as const;

/** The FIFO queue every trigger passes through: one message group, so one decision at a time. */
export const GOVERNOR_QUEUE = { MESSAGE_GROUP_ID: 'retraining' } as const;

/** The metric the governor publishes (Embedded Metric Format), one per invocation, value 1. */
export const RETRAINING_METRIC = {
  NAME: 'RetrainingDecision',
  PIPELINE_DIMENSION: 'Pipeline',
  DECISION_DIMENSION: 'Decision',
} as const;

/** Every value of the `Decision` dimension and of the `decision` log field. */
export const RETRAINING_DECISIONS = [
  'started',
  'skipped-running',
  'skipped-cooldown',
  'skipped-duplicate',
  'ignored-event',
] as const;
export type RetrainingDecision = (typeof RETRAINING_DECISIONS)[number];

export interface GovernorSettings {
  readonly pipelineName: string;
  /** As configured, `s3://BUCKET/PREFIX/`. */
  readonly inputDataUrl: string;
  readonly inputBucket: string;
  /** Key prefix inside the bucket, ending in `/`. */
  readonly inputPrefix: string;
  readonly cooldownMinutes: number;
  readonly debounceMinutes: number;
  readonly metricNamespace: string;
  /** The alarm whose ALARM state is a model-quality drop rather than drift; undefined when there is none. */
  readonly modelQualityAlarmName?: string;
}

// SageMaker's PipelineName pattern (1-256 characters).
const PIPELINE_NAME_PATTERN = /^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,255}$/;
const S3_PREFIX_URL_PATTERN = /^s3:\/\/([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])\/([^\s/]\S*\/)$/;
// CloudWatch namespace characters; `AWS/` is reserved for AWS services.
const NAMESPACE_PATTERN = /^[A-Za-z0-9._/#: -]{1,255}$/;
const WHOLE_NUMBER_PATTERN = /^\d+$/;

/**
 * Reads and validates the governor's settings; throws one error naming every bad variable, the value
 * received and what is expected.
 */
export function readGovernorSettings(env: Readonly<Record<string, string | undefined>>): GovernorSettings {
  const problems: string[] = [];
  const problem = (name: string, expected: string): void => {
    const value = env[name];
    problems.push(`${name} ${value === undefined ? 'is not set' : `is "${value}"`}: expected ${expected}`);
  };

  const pipelineName = env[GOVERNOR_ENV.PIPELINE_NAME] ?? '';
  if (!PIPELINE_NAME_PATTERN.test(pipelineName)) {
    problem(GOVERNOR_ENV.PIPELINE_NAME, 'a SageMaker pipeline name (1-256 letters, digits and hyphens)');
  }

  const inputDataUrl = env[GOVERNOR_ENV.INPUT_DATA_URL] ?? '';
  const urlMatch = S3_PREFIX_URL_PATTERN.exec(inputDataUrl);
  const metadataValue = SAGEMAKER_LIMITS.CUSTOMER_METADATA_VALUE;
  if (!urlMatch) {
    problem(
      GOVERNOR_ENV.INPUT_DATA_URL,
      'an S3 prefix URL such as s3://my-bucket/raw/ (bucket name, then a prefix ending in /)',
    );
  } else if (inputDataUrl.length > metadataValue.maxLength || !hasAllowedCharacters(inputDataUrl, metadataValue)) {
    problem(
      GOVERNOR_ENV.INPUT_DATA_URL,
      `at most ${metadataValue.maxLength} characters, all letters, digits, spaces or _ . : / = + - @ ` +
        `(it is ${inputDataUrl.length} long; the model package's CustomerMetadataProperties records it)`,
    );
  }

  const cooldownMinutes = wholeNumber(env[GOVERNOR_ENV.COOLDOWN_MINUTES]);
  if (cooldownMinutes === undefined) {
    problem(GOVERNOR_ENV.COOLDOWN_MINUTES, 'a whole number of minutes, 0 or more');
  }

  const debounceMinutes = wholeNumber(env[GOVERNOR_ENV.DEBOUNCE_MINUTES]);
  if (debounceMinutes === undefined || debounceMinutes < 1) {
    problem(GOVERNOR_ENV.DEBOUNCE_MINUTES, 'a whole number of minutes, 1 or more');
  }

  const metricNamespace = env[GOVERNOR_ENV.METRIC_NAMESPACE] ?? '';
  if (!NAMESPACE_PATTERN.test(metricNamespace) || metricNamespace.startsWith('AWS/')) {
    problem(
      GOVERNOR_ENV.METRIC_NAMESPACE,
      'a CloudWatch namespace (1-255 letters, digits and . _ / # : - or space, not starting with AWS/)',
    );
  }

  const modelQualityAlarmName = env[GOVERNOR_ENV.MODEL_QUALITY_ALARM_NAME]?.trim() || undefined;
  if (modelQualityAlarmName !== undefined && modelQualityAlarmName.length > 255) {
    problem(GOVERNOR_ENV.MODEL_QUALITY_ALARM_NAME, 'a CloudWatch alarm name of at most 255 characters, or no value');
  }

  // Past the first test, each condition only narrows a type: every one of them added a problem.
  if (problems.length > 0 || !urlMatch || cooldownMinutes === undefined || debounceMinutes === undefined) {
    throw new Error(`retraining governor settings are invalid:\n  - ${problems.join('\n  - ')}`);
  }
  return {
    pipelineName,
    inputDataUrl,
    inputBucket: urlMatch[1],
    inputPrefix: urlMatch[2],
    cooldownMinutes,
    debounceMinutes,
    metricNamespace,
    modelQualityAlarmName,
  };
}

function wholeNumber(value: string | undefined): number | undefined {
  if (value === undefined || !WHOLE_NUMBER_PATTERN.test(value)) return undefined;
  const parsed = Number(value);
  return Number.isSafeInteger(parsed) ? parsed : undefined;
}
