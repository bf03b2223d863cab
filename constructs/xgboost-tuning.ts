/**
 * What automatic model tuning of SageMaker's built-in XGBoost algorithm can rank by and vary,
 * from https://docs.aws.amazon.com/sagemaker/latest/dg/xgboost-tuning.html ("Evaluation Metrics
 * Computed by the XGBoost Algorithm", "Tunable XGBoost Hyperparameters"). The algorithm emits
 * `validation:<eval_metric>`, so the objective metric also sets the `eval_metric` hyperparameter.
 */
import type { ProblemType } from '../lambda/shared/model-metrics';

/**
 * Objective metrics by problem type (binary:logistic, multi:softmax, reg:squarederror), with
 * their direction; the first of each is the default.
 */
export const XGBOOST_OBJECTIVE_METRICS = {
  binary: {
    'validation:auc': 'Maximize',
    'validation:accuracy': 'Maximize',
    'validation:aucpr': 'Maximize',
    'validation:error': 'Minimize',
    'validation:f1': 'Maximize',
    'validation:logloss': 'Minimize',
  },
  multiclass: { 'validation:merror': 'Minimize', 'validation:mlogloss': 'Minimize' },
  regression: { 'validation:rmse': 'Minimize', 'validation:mae': 'Minimize', 'validation:mse': 'Minimize' },
} as const satisfies Record<ProblemType, Record<string, 'Maximize' | 'Minimize'>>;

/** A tunable hyperparameter: its range type and the values XGBoost accepts. */
export interface TunableHyperparameter {
  readonly kind: 'continuous' | 'integer';
  readonly min: number;
  readonly max: number;
  /** Whether `min` itself is excluded (subsample and colsample_* must be above 0). */
  readonly minExclusive?: boolean;
}

/** The tunable hyperparameters; bounds are XGBoost's domains, wider than AWS's recommended ranges. */
export const XGBOOST_TUNABLE_HYPERPARAMETERS: Readonly<Record<string, TunableHyperparameter>> = {
  alpha: { kind: 'continuous', min: 0, max: Number.MAX_SAFE_INTEGER },
  colsample_bylevel: { kind: 'continuous', min: 0, max: 1, minExclusive: true },
  colsample_bynode: { kind: 'continuous', min: 0, max: 1, minExclusive: true },
  colsample_bytree: { kind: 'continuous', min: 0, max: 1, minExclusive: true },
  eta: { kind: 'continuous', min: 0, max: 1 },
  gamma: { kind: 'continuous', min: 0, max: Number.MAX_SAFE_INTEGER },
  lambda: { kind: 'continuous', min: 0, max: Number.MAX_SAFE_INTEGER },
  max_delta_step: { kind: 'integer', min: 0, max: Number.MAX_SAFE_INTEGER },
  max_depth: { kind: 'integer', min: 0, max: 100 },
  min_child_weight: { kind: 'continuous', min: 0, max: Number.MAX_SAFE_INTEGER },
  num_round: { kind: 'integer', min: 1, max: 10000 },
  subsample: { kind: 'continuous', min: 0, max: 1, minExclusive: true },
};
