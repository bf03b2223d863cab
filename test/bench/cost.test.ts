import { TemplateFacts } from '../../bench/assembly';
import { idleMonthlyCost } from '../../bench/cost';
import { formatUsd } from '../../bench/prices';
import { parseStageConfig } from '../../lib/config-loader';

const facts: TemplateFacts = {
  resources: 60,
  lambdaFunctions: 2,
  customResources: 0,
  kmsKeys: 1,
  alarms: 8,
  standardAlarmMetrics: 9,
  highResolutionAlarmMetrics: 1,
  dashboards: 1,
  scheduleRules: 1,
  eventRules: 9,
  queues: 2,
  topics: 2,
  dockerImageAssets: 0,
};

describe('idle monthly cost', () => {
  test('an instance endpoint idles at its autoscaling minimum, every hour of the month', () => {
    const config = parseStageConfig({
      project: 'churn',
      stage: 'prod',
      endpoint: { variant: 'instance', instanceType: 'ml.m5.large', instanceCount: 3, minCapacity: 2, maxCapacity: 6 },
    });
    const cost = idleMonthlyCost(config, facts);
    expect(cost.lines[0]).toEqual({ item: 'endpoint (once a model is approved)', quantity: '2 × ml.m5.large × 730 h', usd: 2 * 730 * 0.115 });
    // KMS $1, alarms 9 × $0.10 + 1 × $0.30, dashboard $3, rules, queues and topics free.
    expect(cost.totalUsd).toBeCloseTo(167.9 + 1 + 1.2 + 3, 6);
    expect(cost.complete).toBe(true);
  });

  test('a serverless endpoint costs nothing while idle', () => {
    const cost = idleMonthlyCost(parseStageConfig({ project: 'churn', stage: 'dev' }), facts);
    expect(cost.lines[0].usd).toBe(0);
    expect(cost.totalUsd).toBeCloseTo(5.2, 6);
  });

  test('an instance type without a price leaves the total incomplete', () => {
    const config = parseStageConfig({ project: 'churn', stage: 'prod', endpoint: { variant: 'instance', instanceType: 'ml.c5.xlarge' } });
    const cost = idleMonthlyCost(config, facts);
    expect(cost.lines[0].usd).toBeUndefined();
    expect(cost.complete).toBe(false);
  });

  test('dollars print as cents, or with the digits a unit price has', () => {
    expect([formatUsd(167.9), formatUsd(0.1 * 9), formatUsd(0.056), formatUsd(0)]).toEqual(['$167.90', '$0.90', '$0.056', '$0.00']);
  });
});
