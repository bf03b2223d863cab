import {
  BIAS_METRICS,
  compare,
  comparisonProblem,
  COMPARISONS,
  defaultComparison,
  gateableMetrics,
  MODEL_METRICS,
  PROBLEM_TYPES,
} from '../../lambda/shared/model-metrics';

// What a review check means, shared by the config, the construct, the gate and the CLI: the
// default comparison per metric, the comparisons refused, and the comparison itself.

describe('defaultComparison', () => {
  test.each([
    ['binary', 'auc', '>='],
    ['binary', 'false_positive_rate', '<='],
    ['multiclass', 'weighted_f1', '>='],
    ['regression', 'rmse', '<='],
    ['regression', 'r2', '>='],
    ['regression', 'DPL', '<='],
  ] as const)('%s %s: %s, the good direction with the threshold included', (problemType, metric, comparison) => {
    expect(defaultComparison(problemType, metric)).toBe(comparison);
  });

  test('is undefined for a metric the problem type does not have', () => {
    expect(defaultComparison('regression', 'auc')).toBeUndefined();
    expect(defaultComparison('binary', 'rmse')).toBeUndefined();
    expect(defaultComparison('multiclass', 'weighted_auc')).toBeUndefined();
  });

  test('gives every metric of every problem type and every bias metric one', () => {
    for (const problemType of PROBLEM_TYPES) {
      for (const metric of gateableMetrics(problemType)) expect(COMPARISONS).toContain(defaultComparison(problemType, metric));
    }
  });
});

describe('comparisonProblem', () => {
  test.each([
    ['regression', 'rmse', '<='],
    ['regression', 'rmse', '<'],
    ['binary', 'auc', '>='],
    ['binary', 'auc', '>'],
    ['binary', 'DPL', '<'],
  ] as const)('accepts %s %s %s: it keeps the good side', (problemType, metric, comparison) => {
    expect(comparisonProblem(problemType, metric, comparison)).toBeUndefined();
  });

  test.each([
    ['regression', 'rmse', '>=', '"<=" or "<": rmse is better lower, so ">=" would pass worse models'],
    ['regression', 'mae', '>', '"<=" or "<": mae is better lower, so ">" would pass worse models'],
    ['binary', 'auc', '<=', '">=" or ">": auc is better higher, so "<=" would pass worse models'],
    ['multiclass', 'accuracy', '<', '">=" or ">": accuracy is better higher, so "<" would pass worse models'],
    ['binary', 'false_positive_rate', '>=', '"<=" or "<": false_positive_rate is better lower, so ">=" would pass worse models'],
    ['binary', 'DPL', '>=', '"<=" or "<": a bias check bounds |DPL| from above'],
  ] as const)('fails %s %s %s, saying what to use and why', (problemType, metric, comparison, problem) => {
    expect(comparisonProblem(problemType, metric, comparison)).toBe(problem);
  });

  test('leaves a metric the problem type does not have to the metric check', () => {
    expect(comparisonProblem('regression', 'auc', '<=')).toBeUndefined();
  });
});

describe('compare', () => {
  test.each([
    [0.75, '>=', 0.75, true],
    [0.7499, '>=', 0.75, false],
    [0.75, '>', 0.75, false],
    [0.7501, '>', 0.75, true],
    [5, '<=', 5, true],
    [5.01, '<=', 5, false],
    [5, '<', 5, false],
    [4.99, '<', 5, true],
    [-0.3, '<=', 0.2, true],
  ] as const)('%s %s %s is %s', (value, comparison, threshold, holds) => {
    expect(compare(value, comparison, threshold)).toBe(holds);
  });
});

describe('the metric tables', () => {
  test('gateableMetrics lists the model metrics of the problem type, then every bias metric', () => {
    expect(gateableMetrics('regression')).toEqual(['mae', 'mse', 'rmse', 'r2', ...BIAS_METRICS]);
    expect(gateableMetrics('binary').slice(0, Object.keys(MODEL_METRICS.binary).length)).toEqual(Object.keys(MODEL_METRICS.binary));
  });
});
