/** A unit price in US dollars. */
export interface UnitPrice {
  readonly item: string;
  readonly usd: number;
  readonly per: string;
}

/**
 * Every unit price the idle-cost estimate assumes: AWS list prices, us-east-1, on-demand, USD.
 * Recalled from memory on 2026-11-27 (the bench machine's date) without network access: the
 * machine has no internet, so they were not checked against aws.amazon.com/pricing and may be
 * out of date. Per-account free tiers (10 alarm metrics, 3 dashboards) are not subtracted because
 * other stacks in the account share them.
 */
export const PRICES = {
  region: 'us-east-1',
  takenOn: '2026-11-27',
  source: 'AWS on-demand list prices recalled without network access (no internet on this machine); not verified',
  hoursPerMonth: 730,
  /** SageMaker real-time inference; only the instance types the stage configs use or default to. */
  endpointInstanceHour: {
    'ml.t2.medium': { item: 'SageMaker real-time inference ml.t2.medium', usd: 0.056, per: 'instance-hour' },
    'ml.m5.large': { item: 'SageMaker real-time inference ml.m5.large', usd: 0.115, per: 'instance-hour' },
    'ml.m5.xlarge': { item: 'SageMaker real-time inference ml.m5.xlarge', usd: 0.23, per: 'instance-hour' },
  } as Record<string, UnitPrice>,
  serverlessEndpointIdle: { item: 'SageMaker serverless inference, idle', usd: 0, per: 'month (billed per inference duration and data)' },
  kmsKey: { item: 'KMS customer managed key', usd: 1, per: 'key-month' },
  alarmMetric: { item: 'CloudWatch alarm, standard resolution', usd: 0.1, per: 'alarm metric-month' },
  highResolutionAlarmMetric: { item: 'CloudWatch alarm, high resolution', usd: 0.3, per: 'alarm metric-month' },
  dashboard: { item: 'CloudWatch dashboard', usd: 3, per: 'dashboard-month' },
  eventRule: { item: 'EventBridge rule (schedule or AWS service events)', usd: 0, per: 'rule-month' },
  queueOrTopicIdle: { item: 'SQS queue or SNS topic, idle', usd: 0, per: 'month (requests only, 1M free per month)' },
} as const;

/** Every unit price of PRICES, for printing the table. */
export function allUnitPrices(): UnitPrice[] {
  const { endpointInstanceHour, serverlessEndpointIdle, kmsKey, alarmMetric, highResolutionAlarmMetric, dashboard, eventRule, queueOrTopicIdle } = PRICES;
  return [
    ...Object.values(endpointInstanceHour),
    serverlessEndpointIdle,
    kmsKey,
    alarmMetric,
    highResolutionAlarmMetric,
    dashboard,
    eventRule,
    queueOrTopicIdle,
  ];
}

/** "$0.056", "$0.10", "$167.90": cents, or more digits when a unit price has them. */
export function formatUsd(usd: number): string {
  const digits = Math.abs(Number(usd.toFixed(2)) - usd) < 1e-9 ? 2 : 3;
  return `$${usd.toFixed(digits)}`;
}
