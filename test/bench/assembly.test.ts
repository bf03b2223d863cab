import { billedAlarmMetrics, Template, templateFacts } from '../../bench/assembly';

const template: Template = {
  Resources: {
    Key: { Type: 'AWS::KMS::Key' },
    Fn: { Type: 'AWS::Lambda::Function' },
    AutoDelete: { Type: 'Custom::S3AutoDeleteObjects' },
    Generic: { Type: 'AWS::CloudFormation::CustomResource' },
    Latency: { Type: 'AWS::CloudWatch::Alarm', Properties: { MetricName: 'ModelLatency', Period: 300 } },
    ErrorRate: {
      Type: 'AWS::CloudWatch::Alarm',
      Properties: { Metrics: [{ Expression: 'm1 / m2' }, { MetricStat: { Period: 60 } }, { MetricStat: { Period: 60 } }] },
    },
    Fast: { Type: 'AWS::CloudWatch::Alarm', Properties: { MetricName: 'Errors', Period: 10 } },
    Dashboard: { Type: 'AWS::CloudWatch::Dashboard' },
    Schedule: { Type: 'AWS::Events::Rule', Properties: { ScheduleExpression: 'rate(7 days)' } },
    OnApproval: { Type: 'AWS::Events::Rule', Properties: { EventPattern: {} } },
    Queue: { Type: 'AWS::SQS::Queue' },
    Topic: { Type: 'AWS::SNS::Topic' },
  },
};

describe('template facts', () => {
  test('counts what the template and its asset manifest contain', () => {
    expect(templateFacts(template, { dockerImages: { abc: {} } })).toEqual({
      resources: 12,
      lambdaFunctions: 1,
      customResources: 2,
      kmsKeys: 1,
      alarms: 3,
      standardAlarmMetrics: 3,
      highResolutionAlarmMetrics: 1,
      dashboards: 1,
      scheduleRules: 1,
      eventRules: 1,
      queues: 1,
      topics: 1,
      dockerImageAssets: 1,
    });
  });

  test('an anomaly-detection alarm is billed as three metrics', () => {
    const properties = {
      ThresholdMetricId: 'band',
      Metrics: [{ MetricStat: { Period: 300 } }, { Expression: 'ANOMALY_DETECTION_BAND(m1, 2)' }],
    };
    expect(billedAlarmMetrics(properties)).toEqual({ metrics: 3, highResolution: false });
  });
});
