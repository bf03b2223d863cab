import { Duration, Token } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { MODEL_METRICS, problemTypeOf } from '../lambda/shared/model-metrics';

/*
 * What InferenceEndpoint (which keeps the model-quality schedule) and MlopsMonitoring (which alarms
 * on its metric) share: the problem types, the direction of a threshold, and the metric Model
 * Monitor publishes.
 */

/** The machine-learning problem a model-quality schedule evaluates (ModelQualityAppSpecification.ProblemType). */
export enum ModelQualityProblemType {
  /** One probability of the positive class per row; Model Monitor derives the label with a threshold. */
  BINARY_CLASSIFICATION = 'BinaryClassification',
  /** The class index per row (XGBoost multi:softmax). */
  MULTICLASS_CLASSIFICATION = 'MulticlassClassification',
  /** The predicted value per row. */
  REGRESSION = 'Regression',
}

/** When the model-quality alarm fires, in the terms of Model Monitor's constraints. */
export enum ModelQualityComparison {
  /** The live metric fell below the threshold: for metrics that are better higher (auc, accuracy, r2). */
  LESS_THAN_THRESHOLD = 'LessThanThreshold',
  /** The live metric rose above the threshold: for metrics that are better lower (rmse, mae, false_positive_rate). */
  GREATER_THAN_THRESHOLD = 'GreaterThanThreshold',
}

/**
 * Where Model Monitor publishes the model-quality metrics of real-time endpoints, one metric per
 * statistic (auc, accuracy, rmse, ...) with the dimensions Endpoint and MonitoringSchedule:
 * https://docs.aws.amazon.com/sagemaker/latest/dg/model-monitor-model-quality-metrics.html
 * ("Monitoring model quality metrics with CloudWatch"); the dimensions as the SageMaker Python
 * SDK's model-quality dashboard queries them (sagemaker/dashboard/automatic_model_quality_dashboard.py).
 */
export const MODEL_QUALITY_METRIC_NAMESPACE = 'aws/sagemaker/Endpoints/model-metrics';

/** A model-quality alarm: the metric of one schedule against a threshold (see `MlopsMonitoring.watchModelQuality`). */
export interface ModelQualityAlarmOptions {
  /** Endpoint the schedule watches. */
  readonly endpointName: string;
  /** The model-quality monitoring schedule. */
  readonly scheduleName: string;
  /** The metric Model Monitor publishes, such as auc, accuracy, weighted_f1 or rmse. */
  readonly metricName: string;
  readonly threshold: number;
  /** Which side of the threshold is a drop in quality. */
  readonly comparison: ModelQualityComparison;
  /**
   * How often the schedule runs: one data point per run.
   * @default Duration.days(1)
   */
  readonly period?: Duration;
}


/** The metrics Model Monitor computes for a problem type that an alarm may watch. */
export function modelQualityMetrics(problemType: ModelQualityProblemType): string[] {
  return Object.keys(MODEL_METRICS[problemTypeOf(problemType)]);
}

/** Below the threshold is worse for a metric that is better higher; above, for one better lower. */
export function defaultModelQualityComparison(problemType: ModelQualityProblemType, metricName: string): ModelQualityComparison {
  return MODEL_METRICS[problemTypeOf(problemType)][metricName] === 'lower'
    ? ModelQualityComparison.GREATER_THAN_THRESHOLD
    : ModelQualityComparison.LESS_THAN_THRESHOLD;
}

/** Why the metric, comparison or threshold cannot work for the problem type; empty when they can. */
export function modelQualityProblems(
  problemType: ModelQualityProblemType,
  metricName: string,
  threshold: number,
  comparison?: ModelQualityComparison,
): string[] {
  const problems: string[] = [];
  const metrics = modelQualityMetrics(problemType);
  if (!Token.isUnresolved(metricName) && !metrics.includes(metricName)) {
    problems.push(`metric "${metricName}" is not one Model Monitor computes for ${problemType}: use one of ${metrics.join(', ')}`);
  } else if (comparison !== undefined && comparison !== defaultModelQualityComparison(problemType, metricName)) {
    const better = comparison === ModelQualityComparison.LESS_THAN_THRESHOLD ? 'lower' : 'higher';
    problems.push(`comparison ${comparison} alarms when ${metricName} improves: ${metricName} is better ${better}, use ${defaultModelQualityComparison(problemType, metricName)}`);
  }
  if (!Token.isUnresolved(threshold) && !Number.isFinite(threshold)) problems.push(`threshold is ${threshold}: use a finite number`);
  return problems;
}

/** The metric Model Monitor publishes for one schedule (Average over the period by default). */
export function modelQualityMetric(endpointName: string, scheduleName: string, metricName: string, props: cloudwatch.MetricOptions = {}): cloudwatch.Metric {
  return new cloudwatch.Metric({
    namespace: MODEL_QUALITY_METRIC_NAMESPACE,
    metricName,
    dimensionsMap: { Endpoint: endpointName, MonitoringSchedule: scheduleName },
    statistic: 'Average',
    ...props,
  });
}
