import { Duration, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { MlopsMonitoring, MlopsMonitoringProps, ModelQualityComparison } from '../../constructs';
import { appLikeCli } from '../helpers/app';

function synth(props: Partial<MlopsMonitoringProps> = {}, addToStack: (monitoring: MlopsMonitoring) => void = () => undefined) {
  const stack = new Stack(appLikeCli(), 'OpsStack', { env: { account: '111122223333', region: 'eu-west-1' } });
  const encryptionKey = new kms.Key(stack, 'Key', { enableKeyRotation: true });
  const monitoring = new MlopsMonitoring(stack, 'Monitoring', {
    encryptionKey,
    alarmEmails: ['oncall@example.com'],
    endpointName: 'churn-prod-endpoint',
    serverErrorRatePercent: 2,
    latencyP99Threshold: Duration.millis(400),
    pipeline: { pipelineName: 'churn-prod-pipeline', stepNames: ['Train', 'Evaluate'] },
    modelPackageGroupName: 'churn-prod-models',
    dataQualityScheduleName: 'churn-prod-data-quality',
    ...props,
  });
  const fn = new lambda.Function(stack, 'Deployer', { runtime: lambda.Runtime.NODEJS_24_X, handler: 'index.handler', code: lambda.Code.fromInline('exports.handler=async()=>{}') });
  const dlq = new sqs.Queue(stack, 'DeployerDlq');
  monitoring.watchFunction('Deployer', fn, dlq);
  addToStack(monitoring);
  return { stack, monitoring, template: Template.fromStack(stack) };
}

describe('MlopsMonitoring', () => {
  const { stack, monitoring, template } = synth();
  const topicRef = { Ref: stack.getLogicalId(monitoring.alarmTopic.node.defaultChild as never) };

  test('every alarm notifies the topic, has a threshold and treats missing data as not breaching', () => {
    const alarms = Object.values(template.findResources('AWS::CloudWatch::Alarm'));
    expect(alarms.map((alarm) => alarm.Properties.AlarmDescription)).toEqual([
      'Notices has events it could not process in its dead-letter queue',
      'More than 2% of invocations of churn-prod-endpoint failed with 5xx',
      'p99 model latency of churn-prod-endpoint above 400 ms',
      'A run of churn-prod-pipeline failed',
      'Model Monitor found data-quality violations in churn-prod-data-quality',
      'Deployer failed at least once in 5 minutes',
      'Deployer has events it could not process in its dead-letter queue',
    ]);
    for (const alarm of alarms) {
      expect(alarm.Properties.AlarmActions).toEqual([topicRef]);
      expect(alarm.Properties.TreatMissingData).toBe('notBreaching');
      expect(typeof alarm.Properties.Threshold).toBe('number');
    }
  });

  test('lets CloudWatch publish to the alarm topic for this construct\'s alarms only', () => {
    // A topic policy replaces SNS's default owner policy: without this statement no alarm is heard.
    template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Principal: { Service: 'cloudwatch.amazonaws.com' },
            Action: 'sns:Publish',
            Condition: {
              ArnEquals: { 'aws:SourceArn': Match.arrayWith([{ 'Fn::GetAtt': [Match.stringLikeRegexp('EndpointServerErrorRateAlarm'), 'Arn'] }]) },
              StringEquals: { 'aws:SourceAccount': Match.anyValue() },
            },
          }),
        ]),
      },
    });
  });

  test('takes the thresholds from props: 5xx rate in percent, p99 latency in microseconds', () => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Threshold: 2,
      ComparisonOperator: 'GreaterThanThreshold',
      // A documented metric-math form: MAX takes time series only, not a series and a scalar.
      Metrics: Match.arrayWith([Match.objectLike({ Expression: 'IF(invocations > 0, 100 * errors / invocations, 0)' })]),
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'ModelLatency',
      Namespace: 'AWS/SageMaker',
      ExtendedStatistic: 'p99',
      Threshold: 400000,
      Dimensions: Match.arrayWith([{ Name: 'EndpointName', Value: 'churn-prod-endpoint' }]),
    });
  });

  test('encrypts the topic with the key and lets CloudWatch and EventBridge publish to it', () => {
    template.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: Match.anyValue() });
    const keyPolicy = JSON.stringify(Object.values(template.findResources('AWS::KMS::Key'))[0].Properties.KeyPolicy);
    expect(keyPolicy).toContain('cloudwatch.amazonaws.com');
    expect(keyPolicy).toContain('events.amazonaws.com');
    template.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: 'oncall@example.com' });
  });

  test('the dashboard shows the endpoint, pipeline steps, functions and violations', () => {
    const body = JSON.stringify(Object.values(template.findResources('AWS::CloudWatch::Dashboard'))[0].Properties.DashboardBody);
    for (const expected of ['churn-prod-endpoint', 'OverheadLatency', 'p90', 'CPUUtilization', 'churn-prod-pipeline', 'ExecutionFailed', 'StepDuration', 'Evaluate', 'Deployer: dead-letter queue depth', 'DataQualityViolations']) {
      expect(body).toContain(expected);
    }
  });

  test('tells the topic about failed pipeline runs in readable words', () => {
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        'detail-type': ['SageMaker Model Building Pipeline Execution Status Change'],
        detail: { pipelineArn: ['arn:aws:sagemaker:eu-west-1:111122223333:pipeline/churn-prod-pipeline'], currentPipelineExecutionStatus: ['Failed'] },
      },
      Targets: [Match.objectLike({ Arn: topicRef, InputTransformer: Match.objectLike({ InputTemplate: Match.stringLikeRegexp('Pipeline run failed') }) })],
    });
  });

  test('tells the topic about model package state changes', () => {
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: { 'detail-type': ['SageMaker Model Package State Change'], detail: { ModelPackageGroupName: ['churn-prod-models'] } },
      Targets: [Match.objectLike({ Arn: topicRef })],
    });
  });

  test('counts Model Monitor violations of the schedule without a function', () => {
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        'detail-type': ['SageMaker Processing Job State Change'],
        detail: {
          MonitoringScheduleArn: ['arn:aws:sagemaker:eu-west-1:111122223333:monitoring-schedule/churn-prod-data-quality'],
          ExitMessage: [{ prefix: 'CompletedWithViolations' }],
        },
      },
    });
    template.hasResourceProperties('AWS::Logs::MetricFilter', {
      MetricTransformations: [Match.objectLike({ MetricName: 'DataQualityViolations', MetricNamespace: 'CdkMlops' })],
    });
    expect(monitoring.driftAlarm).toBeDefined();
    template.resourceCountIs('AWS::Lambda::Function', 1); // only the test's own function
  });

  test('shows serverless concurrency instead of CPU for a serverless endpoint', () => {
    const { template: serverless } = synth({ endpointServerless: true });
    const body = JSON.stringify(Object.values(serverless.findResources('AWS::CloudWatch::Dashboard'))[0].Properties.DashboardBody);
    expect(body).toContain('ServerlessConcurrentExecutionsUtilization');
    expect(body).not.toContain('CPUUtilization');
  });

  test('fails when thresholds are out of range, reporting all', () => {
    expect(() => synth({ serverErrorRatePercent: 120, latencyP99Threshold: Duration.millis(0) })).toThrow(
      /serverErrorRatePercent is 120: use a percentage from 0 to 100; latencyP99Threshold must be above 0 milliseconds/,
    );
  });
});

describe('MlopsMonitoring.watchBatchJobs', () => {
  test('raises an alarm on the topic when a batch transform job fails, and shows the jobs on the dashboard', () => {
    // GIVEN
    const stack = new Stack(appLikeCli(), 'BatchOpsStack', { env: { account: '111122223333', region: 'eu-west-1' } });
    const monitoring = new MlopsMonitoring(stack, 'Monitoring', { encryptionKey: new kms.Key(stack, 'Key', { enableKeyRotation: true }) });
    const metric = (status: string) => new cloudwatch.Metric({ namespace: 'CdkMlops', metricName: 'BatchTransformJobs', dimensionsMap: { Scorer: 'churn-prod-batch', Status: status }, statistic: 'Sum' });
    const logGroup = new logs.LogGroup(stack, 'ScorerLogs');
    // WHEN
    const alarm = monitoring.watchBatchJobs('BatchJobs', { scorerName: 'churn-prod-batch', startedJobs: metric('Started'), completedJobs: metric('Completed'), failedJobs: metric('Failed'), logGroup });
    // THEN
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmDescription: "A batch transform job of churn-prod-batch failed (the scorer's log names it and why)",
      MetricName: 'BatchTransformJobs',
      Dimensions: Match.arrayWith([{ Name: 'Status', Value: 'Failed' }]),
      Threshold: 1,
      Period: 3600,
      TreatMissingData: 'notBreaching',
      AlarmActions: [{ Ref: stack.getLogicalId(monitoring.alarmTopic.node.defaultChild as never) }],
    });
    expect(monitoring.alarms).toContain(alarm);
    const body = JSON.stringify(Object.values(template.findResources('AWS::CloudWatch::Dashboard'))[0].Properties.DashboardBody);
    expect(body).toContain('Batch inference churn-prod-batch');
    expect(body).toContain('Recent batch jobs');
  });
});

describe('MlopsMonitoring.watchModelQuality', () => {
  function watched(comparison: ModelQualityComparison, metricName = 'auc', threshold = 0.75) {
    let alarm: unknown;
    const synthesized = synth({}, (monitoring) => {
      alarm = monitoring.watchModelQuality({
        endpointName: 'churn-prod-endpoint',
        scheduleName: 'churn-prod-model-quality',
        metricName,
        threshold,
        comparison,
        period: Duration.hours(1),
      });
    });
    return { ...synthesized, alarm };
  }

  test('alarms on the metric Model Monitor publishes for the schedule when it falls below the threshold', () => {
    // WHEN
    const { monitoring, alarm, template, stack } = watched(ModelQualityComparison.LESS_THAN_THRESHOLD);

    // THEN
    expect(monitoring.modelQualityAlarm).toBe(alarm);
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'aws/sagemaker/Endpoints/model-metrics',
      MetricName: 'auc',
      Dimensions: Match.arrayWith([
        { Name: 'Endpoint', Value: 'churn-prod-endpoint' },
        { Name: 'MonitoringSchedule', Value: 'churn-prod-model-quality' },
      ]),
      Statistic: 'Average',
      Period: 3600,
      Threshold: 0.75,
      ComparisonOperator: 'LessThanThreshold',
      TreatMissingData: 'notBreaching',
      AlarmActions: [{ Ref: stack.getLogicalId(monitoring.alarmTopic.node.defaultChild as never) }],
      AlarmDescription: 'Model quality of churn-prod-endpoint: auc measured against uploaded ground truth went below 0.75 (schedule churn-prod-model-quality)',
    });
  });

  test('alarms above the threshold for a metric that is better lower', () => {
    watched(ModelQualityComparison.GREATER_THAN_THRESHOLD, 'rmse', 4.5).template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'rmse',
      Threshold: 4.5,
      ComparisonOperator: 'GreaterThanThreshold',
    });
  });

  test('the dashboard shows the metric against its threshold and the alarm', () => {
    const { template } = watched(ModelQualityComparison.LESS_THAN_THRESHOLD);
    const body = JSON.stringify(Object.values(template.findResources('AWS::CloudWatch::Dashboard'))[0].Properties.DashboardBody);
    expect(body).toContain('## Model quality churn-prod-model-quality');
    expect(body).toContain('aws/sagemaker/Endpoints/model-metrics');
    expect(body).toContain('threshold (alarm below)');
  });

  test('lets CloudWatch publish the model-quality alarm to the topic', () => {
    watched(ModelQualityComparison.LESS_THAN_THRESHOLD).template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Condition: Match.objectLike({ ArnEquals: { 'aws:SourceArn': Match.arrayWith([{ 'Fn::GetAtt': [Match.stringLikeRegexp('ModelQualityDropAlarm'), 'Arn'] }]) } }) }),
        ]),
      },
    });
  });

  test('fails when called twice', () => {
    const { monitoring } = watched(ModelQualityComparison.LESS_THAN_THRESHOLD);
    expect(() =>
      monitoring.watchModelQuality({ endpointName: 'e', scheduleName: 's', metricName: 'auc', threshold: 0.7, comparison: ModelQualityComparison.LESS_THAN_THRESHOLD }),
    ).toThrow(/watchModelQuality was already called/);
  });
});
