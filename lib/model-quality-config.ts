import { defaultComparison, MODEL_QUALITY_PROBLEM_TYPE, type ModelQualityProblemTypeName } from '../lambda/shared/model-metrics';
import type { StageConfig } from './stage-config';

/**
 * What a stage's model-quality monitoring measures, read from its config in one place so the
 * stack, the operator CLI and the local loop agree: the problem type of `training.problemType`, and
 * the metric, threshold and direction of the first review check (the review gate's headline check,
 * which the stage config requires to be a model metric), so a served model is held to the bar it
 * was registered on. Plain values, no CDK import: the CLI reads this without loading the constructs.
 */
export interface StageModelQuality {
  /** Model Monitor's name of it (ModelQualityProblemType's values). */
  readonly problemType: ModelQualityProblemTypeName;
  readonly metric: string;
  readonly threshold: number;
  /**
   * Which side of the threshold is a drop (ModelQualityComparison's values): below it for a check
   * of ">=" or ">", above it for "<=" or "<".
   */
  readonly comparison: 'LessThanThreshold' | 'GreaterThanThreshold';
  readonly frequency: 'hourly' | 'daily';
  readonly groundTruthDelayHours: number;
  /** Binary classification: the built-in XGBoost endpoint answers a probability; from this on it counts as the positive class. */
  readonly probabilityThreshold?: number;
}

/** The stage's model-quality monitoring, or undefined when `monitoring.modelQuality` is false (whatever the variant). */
export function stageModelQuality(config: StageConfig): StageModelQuality | undefined {
  if (!config.monitoring.modelQuality) return undefined;
  const problemType = config.training.problemType;
  const check = config.review.checks[0];
  const comparison = check.comparison ?? defaultComparison(problemType, check.metric) ?? '>=';
  return {
    problemType: MODEL_QUALITY_PROBLEM_TYPE[problemType],
    metric: check.metric,
    threshold: check.threshold,
    comparison: comparison.startsWith('>') ? 'LessThanThreshold' : 'GreaterThanThreshold',
    frequency: config.monitoring.modelQualitySchedule,
    groundTruthDelayHours: config.monitoring.groundTruthDelayHours,
    probabilityThreshold: problemType === 'binary' ? 0.5 : undefined,
  };
}
