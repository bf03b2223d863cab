/**
 * What the review gate may check, per problem type: the metrics the shipped evaluation script
 * writes in Model Monitor's model-quality format, each with the direction in which it is better,
 * and Clarify's pre-training bias metrics. Shared by the config schema, the pipeline construct,
 * the review-gate handler and the CLI, so a metric means the same everywhere.
 *
 * Formats: https://docs.aws.amazon.com/sagemaker/latest/dg/model-monitor-model-quality-metrics.html
 * Bias metrics: https://docs.aws.amazon.com/sagemaker/latest/dg/clarify-measure-data-bias.html
 */

export const PROBLEM_TYPES = ['binary', 'multiclass', 'regression'] as const;
export type ProblemType = (typeof PROBLEM_TYPES)[number];

/** Model Monitor's name of each problem type (ModelQualityAppSpecification.ProblemType). */
export const MODEL_QUALITY_PROBLEM_TYPE = {
  binary: 'BinaryClassification',
  multiclass: 'MulticlassClassification',
  regression: 'Regression',
} as const satisfies Record<ProblemType, string>;
export type ModelQualityProblemTypeName = (typeof MODEL_QUALITY_PROBLEM_TYPE)[ProblemType];

/** The problem type Model Monitor calls `name`. */
export function problemTypeOf(name: ModelQualityProblemTypeName): ProblemType {
  return PROBLEM_TYPES.find((type) => MODEL_QUALITY_PROBLEM_TYPE[type] === name)!;
}

/** The key of evaluation.json that holds a problem type's metrics. */
export const METRICS_SECTION: Readonly<Record<ProblemType, string>> = {
  binary: 'binary_classification_metrics',
  multiclass: 'multiclass_classification_metrics',
  regression: 'regression_metrics',
};

/** Whether a larger value of the metric is better (`higher`) or worse (`lower`). */
export type MetricDirection = 'higher' | 'lower';

/** The gateable metrics of each problem type and their directions. */
export const MODEL_METRICS: Readonly<Record<ProblemType, Readonly<Record<string, MetricDirection>>>> = {
  binary: {
    auc: 'higher',
    accuracy: 'higher',
    precision: 'higher',
    recall: 'higher',
    f0_5: 'higher',
    f1: 'higher',
    f2: 'higher',
    true_positive_rate: 'higher',
    true_negative_rate: 'higher',
    false_positive_rate: 'lower',
    false_negative_rate: 'lower',
  },
  multiclass: {
    accuracy: 'higher',
    weighted_precision: 'higher',
    weighted_recall: 'higher',
    weighted_f0_5: 'higher',
    weighted_f1: 'higher',
    weighted_f2: 'higher',
  },
  regression: { mae: 'lower', mse: 'lower', rmse: 'lower', r2: 'higher' },
};

/**
 * Clarify's pre-training bias metrics. Each is a disparity whose ideal is 0 (CI, DPL range from -1
 * to 1, the others are 0 or more), so a check bounds its absolute value: |DPL| ≤ threshold.
 */
export const BIAS_METRICS = ['CI', 'DPL', 'KL', 'JS', 'LP', 'TVD', 'KS'] as const;
export type BiasMetric = (typeof BIAS_METRICS)[number];

export function isBiasMetric(metric: string): metric is BiasMetric {
  return (BIAS_METRICS as readonly string[]).includes(metric);
}

/** How a check compares the value with its threshold. */
export const COMPARISONS = ['>=', '>', '<=', '<'] as const;
export type Comparison = (typeof COMPARISONS)[number];

/** The comparison a check on `metric` makes unless it says otherwise: the metric's good direction, threshold included. */
export function defaultComparison(problemType: ProblemType, metric: string): Comparison | undefined {
  if (isBiasMetric(metric)) return '<=';
  const direction = MODEL_METRICS[problemType][metric];
  if (direction === undefined) return undefined;
  return direction === 'higher' ? '>=' : '<=';
}

/**
 * Why `comparison` makes no sense for `metric`, or undefined: a check must keep the metric's good
 * side (≥ or > for a metric that is better higher, ≤ or < for one better lower), or it would pass
 * worse models and stop better ones.
 */
export function comparisonProblem(problemType: ProblemType, metric: string, comparison: Comparison): string | undefined {
  const expected = defaultComparison(problemType, metric);
  if (expected === undefined) return undefined;
  const upward = comparison.startsWith('>');
  if (upward === expected.startsWith('>')) return undefined;
  const better = expected === '>=' ? 'higher' : 'lower';
  const allowed = expected === '>=' ? '">=" or ">"' : '"<=" or "<"';
  return isBiasMetric(metric)
    ? `${allowed}: a bias check bounds |${metric}| from above`
    : `${allowed}: ${metric} is better ${better}, so "${comparison}" would pass worse models`;
}

/** Whether `value` satisfies `comparison threshold`. */
export function compare(value: number, comparison: Comparison, threshold: number): boolean {
  switch (comparison) {
    case '>=':
      return value >= threshold;
    case '>':
      return value > threshold;
    case '<=':
      return value <= threshold;
    case '<':
      return value < threshold;
  }
}

/** The names of the metrics a problem type can gate on, model metrics first. */
export function gateableMetrics(problemType: ProblemType): string[] {
  return [...Object.keys(MODEL_METRICS[problemType]), ...BIAS_METRICS];
}
