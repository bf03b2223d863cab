import { Duration, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as events from 'aws-cdk-lib/aws-events';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { RetrainingSchedule, RetrainingScheduleProps } from '../../constructs';
import { GOVERNOR_ENV, GOVERNOR_QUEUE } from '../../lambda/retraining-governor/environment';
import { appLikeCli } from '../helpers/app';

function synth(props: Partial<RetrainingScheduleProps> = {}, more: (stack: Stack) => Partial<RetrainingScheduleProps> = () => ({})) {
  const stack = new Stack(appLikeCli(), 'TeamStack', { env: { account: '111122223333', region: 'eu-west-1' } });
  const encryptionKey = new kms.Key(stack, 'TeamKey', { enableKeyRotation: true });
  const inputBucket = new s3.Bucket(stack, 'TeamData', { encryptionKey, eventBridgeEnabled: true });
  const driftAlarm = new cloudwatch.Alarm(stack, 'Drift', {
    metric: new cloudwatch.Metric({ namespace: 'Team', metricName: 'Drift' }),
    threshold: 1,
    evaluationPeriods: 1,
  });
  const retraining = new RetrainingSchedule(stack, 'Retraining', {
    pipelineName: 'Churn-Pipeline',
    inputBucket,
    encryptionKey,
    schedule: events.Schedule.expression('cron(0 3 ? * SUN *)'),
    retrainOnNewData: true,
    driftAlarm,
    cooldown: Duration.hours(2),
    newDataDebounce: Duration.minutes(15),
    ...props,
    ...more(stack),
  });
  return { stack, retraining, template: Template.fromStack(stack), bucketId: stack.getLogicalId(inputBucket.node.defaultChild as never) };
}

describe('RetrainingSchedule', () => {
  const { stack, retraining, template, bucketId } = synth();
  const functionArn = { 'Fn::GetAtt': [stack.getLogicalId(retraining.governor.function.node.defaultChild as never), 'Arn'] };
  const dlqArn = { 'Fn::GetAtt': [stack.getLogicalId(retraining.governor.deadLetterQueue.node.defaultChild as never), 'Arn'] };
  const triggerQueueArn = { 'Fn::GetAtt': [stack.getLogicalId(retraining.triggerQueue.node.defaultChild as never), 'Arn'] };
  const triggerDlqArn = { 'Fn::GetAtt': [stack.getLogicalId(retraining.triggerDeadLetterQueue.node.defaultChild as never), 'Arn'] };

  test('schedules retraining with the expression given', () => {
    template.hasResourceProperties('AWS::Events::Rule', { ScheduleExpression: 'cron(0 3 ? * SUN *)', State: 'ENABLED' });
  });

  test('triggers on objects created under raw/ of the input bucket only', () => {
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        source: ['aws.s3'],
        'detail-type': ['Object Created'],
        detail: { bucket: { name: [{ Ref: bucketId }] }, object: { key: [{ prefix: 'raw/' }] } },
      },
    });
  });

  test('triggers when the drift alarm goes into ALARM', () => {
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: { source: ['aws.cloudwatch'], 'detail-type': ['CloudWatch Alarm State Change'], detail: { state: { value: ['ALARM'] } } },
    });
  });

  test('every rule sends to the FIFO trigger queue in one message group, with a retry policy and the encrypted dead-letter queue', () => {
    const rules = Object.values(template.findResources('AWS::Events::Rule'));
    expect(rules).toHaveLength(4); // schedule, new data, drift, operator
    for (const rule of rules) {
      expect(rule.Properties.Targets).toEqual([
        expect.objectContaining({
          Arn: triggerQueueArn,
          SqsParameters: { MessageGroupId: GOVERNOR_QUEUE.MESSAGE_GROUP_ID },
          RetryPolicy: { MaximumRetryAttempts: 8, MaximumEventAgeInSeconds: 7200 },
          DeadLetterConfig: { Arn: dlqArn },
        }),
      ]);
    }
    template.hasResourceProperties('AWS::SQS::Queue', { KmsMasterKeyId: Match.anyValue() });
  });

  test('runs one decision at a time without reserved concurrency: a FIFO queue read one message at a time', () => {
    template.hasResourceProperties('AWS::SQS::Queue', {
      FifoQueue: true,
      ContentBasedDeduplication: true,
      KmsMasterKeyId: Match.anyValue(),
      RedrivePolicy: { deadLetterTargetArn: triggerDlqArn, maxReceiveCount: 5 },
    });
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      EventSourceArn: triggerQueueArn,
      FunctionName: { Ref: functionArn['Fn::GetAtt'][0] },
      BatchSize: 1,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
    });
    template.hasResourceProperties('AWS::Lambda::Function', { Environment: Match.anyValue(), ReservedConcurrentExecutions: Match.absent() });
  });

  test('runs the governor with its settings, on the latest Node.js runtime', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Runtime: 'nodejs24.x',
      DeadLetterConfig: { TargetArn: dlqArn },
      TracingConfig: { Mode: 'Active' },
      Environment: {
        Variables: {
          [GOVERNOR_ENV.PIPELINE_NAME]: 'Churn-Pipeline',
          [GOVERNOR_ENV.INPUT_DATA_URL]: { 'Fn::Join': ['', ['s3://', { Ref: bucketId }, '/raw/']] },
          [GOVERNOR_ENV.COOLDOWN_MINUTES]: '120',
          [GOVERNOR_ENV.DEBOUNCE_MINUTES]: '15',
          [GOVERNOR_ENV.METRIC_NAMESPACE]: 'CdkMlops',
        },
      },
    });
    template.hasResourceProperties('AWS::Logs::LogGroup', { KmsKeyId: Match.anyValue(), RetentionInDays: 365 });
  });

  test('lets the governor list and start executions of its pipeline only (ARN lower-cased as SageMaker does)', () => {
    const policies = Object.values(template.findResources('AWS::IAM::Policy'));
    const statements = policies.flatMap((policy) => policy.Properties.PolicyDocument.Statement);
    const sagemaker = statements.filter((statement) => JSON.stringify(statement.Action).includes('sagemaker:'));
    expect(sagemaker).toEqual([
      expect.objectContaining({
        Action: ['sagemaker:ListPipelineExecutions', 'sagemaker:StartPipelineExecution'],
        Resource: 'arn:aws:sagemaker:eu-west-1:111122223333:pipeline/churn-pipeline',
      }),
    ]);
    const governorRoleId = stack.getLogicalId(retraining.governor.role.node.defaultChild as never);
    expect(template.toJSON().Resources[governorRoleId].Properties.ManagedPolicyArns).toBeUndefined();
  });

  test('triggers when the model-quality alarm goes into ALARM, and tells the governor which alarm that is', () => {
    // GIVEN
    const { template: withQuality, stack: qualityStack } = synth({}, (stack) => ({
      modelQualityAlarm: new cloudwatch.Alarm(stack, 'Quality', {
        metric: new cloudwatch.Metric({ namespace: 'aws/sagemaker/Endpoints/model-metrics', metricName: 'auc' }),
        threshold: 0.75,
        comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
        evaluationPeriods: 1,
      }),
    }));
    const qualityAlarmId = Object.keys(withQuality.findResources('AWS::CloudWatch::Alarm')).find((id) => id.startsWith('Quality'))!;

    // THEN
    withQuality.hasResourceProperties('AWS::Events::Rule', {
      Description: 'Retraining when the model-quality alarm fires',
      EventPattern: {
        source: ['aws.cloudwatch'],
        'detail-type': ['CloudWatch Alarm State Change'],
        resources: [{ 'Fn::GetAtt': [qualityAlarmId, 'Arn'] }],
        detail: { state: { value: ['ALARM'] } },
      },
      Targets: [Match.objectLike({ SqsParameters: { MessageGroupId: GOVERNOR_QUEUE.MESSAGE_GROUP_ID } })],
    });
    withQuality.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ [GOVERNOR_ENV.MODEL_QUALITY_ALARM_NAME]: { Ref: qualityAlarmId } }) },
    });
    expect(qualityStack).toBeDefined();
    // The alarm alone is a trigger.
    expect(() => synth({ schedule: undefined, retrainOnNewData: false, driftAlarm: undefined }, (stack) => ({ modelQualityAlarm: cloudwatch.Alarm.fromAlarmArn(stack, 'Imported', 'arn:aws:cloudwatch:eu-west-1:111122223333:alarm:q') }))).not.toThrow();
  });

  test('leaves out the triggers not asked for', () => {
    const { template: scheduleOnly } = synth({ retrainOnNewData: false, driftAlarm: undefined });
    scheduleOnly.resourceCountIs('AWS::Events::Rule', 2); // schedule and operator
  });

  test('fails when no trigger is enabled and the prefix is malformed, reporting both', () => {
    expect(() => synth({ schedule: undefined, retrainOnNewData: false, driftAlarm: undefined, inputPrefix: '/raw' })).toThrow(
      /inputPrefix "\/raw" is invalid: use a key prefix ending in "\/".*; no trigger is enabled: set schedule, retrainOnNewData, driftAlarm or modelQualityAlarm/,
    );
  });

  test('fails when the debounce is under a minute', () => {
    expect(() => synth({ newDataDebounce: Duration.seconds(30) })).toThrow(/newDataDebounce is 30 seconds: use at least one minute/);
  });
});
