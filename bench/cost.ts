import type { StageConfig } from '../lib/stage-config';
import type { TemplateFacts } from './assembly';
import { PRICES, UnitPrice } from './prices';

/** One line of a monthly estimate; `usd` is undefined when PRICES has no price for it. */
export interface CostLine {
  readonly item: string;
  readonly quantity: string;
  readonly usd: number | undefined;
}

export interface IdleCost {
  readonly lines: CostLine[];
  /** Sum of the priced lines. */
  readonly totalUsd: number;
  /** False when a line has no price, so the total is a lower bound. */
  readonly complete: boolean;
}

/** What the estimate leaves out, said once next to every estimate. */
export const NOT_ESTIMATED = [
  'log storage and ingestion',
  'S3 storage and requests',
  'KMS and SQS/SNS requests',
  'training and processing jobs the retraining schedule starts',
  'Model Monitor jobs once an instance endpoint is deployed',
  'custom metrics published while the functions run',
];

/**
 * Monthly cost of a stage while nothing happens: the endpoint (which the deployer creates once a
 * model is approved; while idle, autoscaling holds it at minCapacity) plus what the synthesized
 * template really contains.
 */
export function idleMonthlyCost(config: StageConfig, facts: TemplateFacts): IdleCost {
  const { endpoint } = config;
  const monthly = (price: UnitPrice, count: number) => price.usd * count;
  const lines: CostLine[] = [];
  const item = 'endpoint (once a model is approved)';
  if (endpoint.variant === 'instance') {
    const price = PRICES.endpointInstanceHour[endpoint.instanceType];
    lines.push({
      item,
      quantity: `${endpoint.minCapacity} × ${endpoint.instanceType} × ${PRICES.hoursPerMonth} h`,
      usd: price && monthly(price, endpoint.minCapacity * PRICES.hoursPerMonth),
    });
  } else {
    lines.push({ item, quantity: 'serverless, idle', usd: PRICES.serverlessEndpointIdle.usd });
  }
  const alarmUsd =
    monthly(PRICES.alarmMetric, facts.standardAlarmMetrics) + monthly(PRICES.highResolutionAlarmMetric, facts.highResolutionAlarmMetrics);
  const alarmMetrics = facts.standardAlarmMetrics + facts.highResolutionAlarmMetrics;
  lines.push(
    { item: 'KMS keys', quantity: String(facts.kmsKeys), usd: monthly(PRICES.kmsKey, facts.kmsKeys) },
    { item: 'CloudWatch alarms', quantity: `${facts.alarms} (${alarmMetrics} billed metrics)`, usd: alarmUsd },
    { item: 'CloudWatch dashboards', quantity: String(facts.dashboards), usd: monthly(PRICES.dashboard, facts.dashboards) },
    {
      item: 'EventBridge rules',
      quantity: `${facts.scheduleRules} schedule + ${facts.eventRules} event`,
      usd: monthly(PRICES.eventRule, facts.scheduleRules + facts.eventRules),
    },
    {
      item: 'SQS queues, SNS topics',
      quantity: `${facts.queues} + ${facts.topics}`,
      usd: monthly(PRICES.queueOrTopicIdle, facts.queues + facts.topics),
    },
  );
  return {
    lines,
    totalUsd: lines.reduce((sum, line) => sum + (line.usd ?? 0), 0),
    complete: lines.every((line) => line.usd !== undefined),
  };
}
