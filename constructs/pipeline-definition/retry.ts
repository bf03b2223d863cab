/**
 * Failures a step retry policy can match.
 *
 * @see https://docs.aws.amazon.com/sagemaker/latest/dg/pipelines-retry-policy.html
 */
export enum RetryExceptionType {
  /** An internal or transient error calling a downstream service. */
  STEP_SERVICE_FAULT = 'Step.SERVICE_FAULT',
  /** Throttling by a downstream service. */
  STEP_THROTTLING = 'Step.THROTTLING',
  /** The SageMaker job failed with InternalServerError. Job steps only. */
  SAGEMAKER_JOB_INTERNAL_ERROR = 'SageMaker.JOB_INTERNAL_ERROR',
  /** The SageMaker job hit EC2 InsufficientCapacityError. Job steps only. */
  SAGEMAKER_CAPACITY_ERROR = 'SageMaker.CAPACITY_ERROR',
  /** The SageMaker job exceeded a resource limit quota. Job steps only. */
  SAGEMAKER_RESOURCE_LIMIT = 'SageMaker.RESOURCE_LIMIT',
}

/** The exception types every retryable step kind supports. */
export type StepExceptionType = RetryExceptionType.STEP_SERVICE_FAULT | RetryExceptionType.STEP_THROTTLING;

/** Exception types steps that run a SageMaker job (processing, training) support. */
export const JOB_STEP_EXCEPTION_TYPES: readonly RetryExceptionType[] = Object.values(RetryExceptionType);

/**
 * Exception types model steps (RegisterModel, CreateModel) support: they run no job, and the
 * SageMaker Python SDK rejects SageMaker job retry policies for them.
 */
export const MODEL_STEP_EXCEPTION_TYPES: readonly StepExceptionType[] = [
  RetryExceptionType.STEP_SERVICE_FAULT,
  RetryExceptionType.STEP_THROTTLING,
];

/**
 * When and how often SageMaker retries a failed step.
 *
 * @see https://docs.aws.amazon.com/sagemaker/latest/dg/pipelines-retry-policy.html
 */
export interface RetryPolicy<E extends RetryExceptionType = RetryExceptionType> {
  /** The failures this policy retries. */
  readonly exceptionTypes: readonly E[];
  /**
   * Seconds before the first retry, at most 43200 (12 hours).
   *
   * @default 1
   */
  readonly intervalSeconds?: number;
  /**
   * Multiplier applied to the interval after each attempt.
   *
   * @default 2
   */
  readonly backoffRate?: number;
  /**
   * Most retry attempts, 0 to 20. Set this or `expireAfterMinutes`, not both.
   *
   * @default - 5 attempts, unless `expireAfterMinutes` is set
   */
  readonly maxAttempts?: number;
  /**
   * Minutes after the step started beyond which SageMaker stops retrying, 0 to 14400 (10 days).
   * Set this or `maxAttempts`, not both.
   *
   * @default - retries are limited by `maxAttempts`
   */
  readonly expireAfterMinutes?: number;
}

/** A retry policy as it appears in a step's `RetryPolicies` list. */
export interface RetryPolicyJson {
  /** The failures the policy retries: an array, as the SageMaker documentation specifies. */
  readonly ExceptionType: readonly RetryExceptionType[];
  /** Seconds before the first retry. */
  readonly IntervalSeconds?: number;
  /** Multiplier applied to the interval after each attempt. */
  readonly BackoffRate?: number;
  /** Most retry attempts. */
  readonly MaxAttempts?: number;
  /** Minutes after which retrying stops. */
  readonly ExpireAfterMin?: number;
}

/** Renders a policy; unset options are left out so SageMaker's defaults apply. */
export function renderRetryPolicy(policy: RetryPolicy): RetryPolicyJson {
  return {
    ExceptionType: [...policy.exceptionTypes],
    ...(policy.intervalSeconds !== undefined && { IntervalSeconds: policy.intervalSeconds }),
    ...(policy.backoffRate !== undefined && { BackoffRate: policy.backoffRate }),
    ...(policy.maxAttempts !== undefined && { MaxAttempts: policy.maxAttempts }),
    ...(policy.expireAfterMinutes !== undefined && { ExpireAfterMin: policy.expireAfterMinutes }),
  };
}

function wholeNumberProblem(
  label: string,
  option: string,
  value: number | undefined,
  max: number,
): string | undefined {
  if (value === undefined || (Number.isInteger(value) && value >= 0 && value <= max)) return undefined;
  return `${label} ${option} ${value} is out of range: use a whole number from 0 to ${max}`;
}

/**
 * Problems with a step's retry policies, against the limits the SageMaker documentation gives
 * and the exception types the step kind supports.
 */
export function retryPolicyProblems(
  stepLabel: string,
  stepType: string,
  policies: readonly RetryPolicy[],
  supported: readonly RetryExceptionType[],
): string[] {
  const problems: string[] = [];
  policies.forEach((policy, index) => {
    const label = `${stepLabel} retry policy ${index + 1}`;
    if (policy.exceptionTypes.length === 0) {
      problems.push(`${label} has no exception types: list at least one of ${supported.join(', ')}`);
    }
    for (const exceptionType of policy.exceptionTypes) {
      if (!supported.includes(exceptionType)) {
        problems.push(
          `${label} has exception type "${exceptionType}", which ${stepType} steps do not support: ` +
            `use ${supported.join(', ')}`,
        );
      }
    }
    problems.push(
      ...[
        wholeNumberProblem(label, 'intervalSeconds', policy.intervalSeconds, 43200),
        wholeNumberProblem(label, 'maxAttempts', policy.maxAttempts, 20),
        wholeNumberProblem(label, 'expireAfterMinutes', policy.expireAfterMinutes, 14400),
      ].filter((problem): problem is string => problem !== undefined),
    );
    if (policy.backoffRate !== undefined && !(Number.isFinite(policy.backoffRate) && policy.backoffRate >= 0)) {
      problems.push(`${label} backoffRate ${policy.backoffRate} is invalid: use a number of at least 0`);
    }
    if (policy.maxAttempts !== undefined && policy.expireAfterMinutes !== undefined) {
      problems.push(`${label} sets both maxAttempts and expireAfterMinutes: set only one`);
    }
  });
  return problems;
}
