import { join } from 'node:path';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { readReviewSettings, REVIEW_ENV } from '../../lambda/review-gate/environment';
import { loadStageConfig, parseStageConfig } from '../../lib/config-loader';
import { addMlopsStage, complianceChecks } from '../../lib/mlops-app';
import { MlopsStack } from '../../lib/mlops-stack';
import { appLikeCli } from '../helpers/app';

/** Findings of every compliance pack that are not acknowledged, as "rule at resource path". */
function unacknowledgedFindings(stack: MlopsStack): string[] {
  return complianceChecks(appLikeCli()).flatMap((pack) =>
    pack.validateScope(stack).violations.flatMap((violation) =>
      // cdk-nag reports the construct path, which the core type does not declare.
      violation.violatingResources.map((resource) => `${violation.ruleName} at ${(resource as { constructPath?: string }).constructPath}`),
    ),
  );
}

describe.each(['dev', 'staging', 'prod'])('MlopsStack for %s', (stage) => {
  const config = loadStageConfig({ stage });
  const stack = addMlopsStage(appLikeCli(), config);
  const template = Template.fromStack(stack);

  test('has zero unacknowledged AwsSolutions, NIST 800-53 rev5 and HIPAA findings', () => {
    expect(unacknowledgedFindings(stack)).toEqual([]);
  });

  test('is named after project and stage and deploys to the configured region', () => {
    expect(stack.stackName).toBe(`churn-${stage}`);
    expect(stack.region).toBe(config.region);
  });

  test('follows the removal policy of the stage', () => {
    const destroy = config.removalPolicy === 'destroy';
    for (const bucket of Object.values(template.findResources('AWS::S3::Bucket'))) {
      expect(bucket.DeletionPolicy).toBe(destroy ? 'Delete' : 'Retain');
    }
    template.resourceCountIs('Custom::S3AutoDeleteObjects', destroy ? 3 : 0);
    expect(stack.terminationProtection).toBe(!destroy);
  });

  test('aliases the key after project and stage', () => {
    template.hasResourceProperties('AWS::KMS::Alias', { AliasName: `alias/churn-${stage}` });
  });

  test('schedules retraining with the configured expression and enables the configured triggers', () => {
    template.hasResourceProperties('AWS::Events::Rule', { ScheduleExpression: config.retraining.schedule });
    const patterns = Object.values(template.findResources('AWS::Events::Rule')).map((rule) => JSON.stringify(rule.Properties.EventPattern ?? {}));
    expect(patterns.some((pattern) => pattern.includes('"Object Created"'))).toBe(config.retraining.onNewData);
    expect(patterns.some((pattern) => pattern.includes('"CloudWatch Alarm State Change"'))).toBe(config.retraining.onDrift);
  });

  test('serves the configured variant, with rollback alarms and capture on instances', () => {
    const [deployer] = Object.values(
      template.findResources('AWS::Lambda::Function', { Properties: { Environment: { Variables: { ENDPOINT_NAME: `churn-${stage}-endpoint` } } } }),
    );
    const environment = deployer.Properties.Environment.Variables;
    expect(environment.VARIANT_TYPE).toBe(config.endpoint.variant);
    if (config.endpoint.variant === 'instance') {
      expect(environment).toMatchObject({
        INITIAL_INSTANCE_COUNT: String(config.endpoint.instanceCount),
        DATA_CAPTURE_PERCENT: String(config.endpoint.dataCapturePercent),
        DEPLOYMENT_STRATEGY: config.endpoint.deploymentStrategy,
      });
      expect(environment.ROLLBACK_ALARM_NAMES).toBeDefined();
    } else {
      expect(environment.SERVERLESS_MAX_CONCURRENCY).toBe(String(config.endpoint.serverlessMaxConcurrency));
    }
  });

  test('every alarm notifies the stage topic and takes its thresholds from the config', () => {
    const alarms = Object.values(template.findResources('AWS::CloudWatch::Alarm'));
    expect(alarms.length).toBeGreaterThanOrEqual(7);
    for (const alarm of alarms) {
      expect(alarm.Properties.AlarmActions).toHaveLength(1);
      expect(alarm.Properties.TreatMissingData).toBe('notBreaching');
    }
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'ModelLatency', Threshold: config.monitoring.latencyP99Millis * 1000 });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { Threshold: config.monitoring.serverErrorRatePercent, ComparisonOperator: 'GreaterThanThreshold' });
  });

  test('stays well inside CloudFormation limits', () => {
    const json = JSON.stringify(template.toJSON());
    expect(Object.keys(template.toJSON().Resources).length).toBeLessThanOrEqual(200);
    expect(json.length).toBeLessThan(1_000_000);
  });
});

describe('compliance checks', () => {
  test('report an unacknowledged finding (the nag test above can fail)', () => {
    // GIVEN a stage stack with one bucket added without any of the secure defaults
    const stack = addMlopsStage(appLikeCli(), loadStageConfig({ stage: 'dev' }));
    new s3.Bucket(stack, 'CarelessBucket');
    // THEN
    expect(unacknowledgedFindings(stack)).toEqual(
      expect.arrayContaining([expect.stringMatching(/^AwsSolutions-S1 at .*CarelessBucket/), expect.stringMatching(/^NIST\.800\.53\.R5-S3DefaultEncryptionKMS/)]),
    );
  });
});

test("accepts the config's additionalInstanceTypes at each use, warning there, also when built in code", () => {
  // GIVEN a stage config, as a library user parses it, with a type newer than the SDK for processing and hosting
  const config = parseStageConfig({
    project: 'fraud',
    stage: 'newer',
    removalPolicy: 'destroy',
    additionalInstanceTypes: ['ml.x9.large'],
    training: { processingInstanceType: 'ml.x9.large' },
    endpoint: { variant: 'instance', instanceType: 'ml.x9.large', instanceCount: 2 },
  });
  // WHEN the stack is built without the app entry
  const stack = new MlopsStack(appLikeCli(), 'fraud-newer', { config, env: { account: '111122223333', region: config.region } });
  // THEN each use warns, the template carries the type, and the config stays as given
  const warnings = Annotations.fromStack(stack)
    .findWarning('*', Match.stringLikeRegexp('ml\\.x9\\.large'))
    .map((entry) => `${entry.id}: ${entry.entry.data}`);
  expect(warnings).toEqual([
    expect.stringMatching(/^\/fraud-newer\/FeatureProcessing: instanceType "ml\.x9\.large" is not in @aws-sdk\/client-sagemaker [\d.]+'s list of instance types for processing jobs/),
    expect.stringMatching(/^\/fraud-newer\/Endpoint: instanceType "ml\.x9\.large" is not in .* for endpoints \(hosting\).*\[ack: cdk-mlops:unlistedInstanceType\]$/),
  ]);
  expect(JSON.stringify(Template.fromStack(stack).toJSON())).toContain('\\"DefaultValue\\":\\"ml.x9.large\\"');
  expect(stack.config.endpoint.instanceType).toBe('ml.x9.large');
});

describe('MlopsStack with exploration.studio (the optional Studio domain)', () => {
  const studio = { vpcId: 'vpc-0123456789abcdef0', subnetIds: ['subnet-0123456789abcdef0', 'subnet-0fedcba987654321f'], userProfiles: ['analyst-1', 'analyst-2'] };
  const stackOf = (stage: string) => {
    const config = loadStageConfig({ stage });
    return addMlopsStage(appLikeCli(), parseStageConfig({ ...config, exploration: { studio } }, `${stage} with studio`));
  };

  test.each(['dev', 'prod'])('%s: a VPC-only domain in the given subnets, nag-clean, its clean-up watched', (stage) => {
    const stack = stackOf(stage);
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::SageMaker::Domain', { AppNetworkAccessType: 'VpcOnly', VpcId: studio.vpcId, SubnetIds: studio.subnetIds, DomainName: `churn-${stage}-studio` });
    template.resourceCountIs('AWS::SageMaker::UserProfile', 2);
    expect(stack.exploration).toBeDefined();
    expect(unacknowledgedFindings(stack)).toEqual([]);
    // The clean-up function has an errors alarm like the other functions.
    expect(Object.keys(template.findResources('AWS::CloudWatch::Alarm')).some((id) => id.includes('StudioCleanup'))).toBe(true);
  });

  test('is off unless configured', () => {
    expect(addMlopsStage(appLikeCli(), loadStageConfig({ stage: 'dev' })).exploration).toBeUndefined();
  });
});

describe('MlopsStack with batch (batch inference of batch/input/)', () => {
  test('staging scores new inputs and on its schedule, alarms on failed jobs and watches the scorer; it retains, so no clean-up', () => {
    const stack = addMlopsStage(appLikeCli(), loadStageConfig({ stage: 'staging' }));
    const template = Template.fromStack(stack);
    expect(stack.batch?.scorerName).toBe('churn-staging-batch');
    template.hasResourceProperties('AWS::Events::Rule', { ScheduleExpression: 'cron(0 4 * * ? *)' });
    template.hasResourceProperties('AWS::Events::Rule', { EventPattern: Match.objectLike({ 'detail-type': ['Object Created'], detail: Match.objectLike({ object: { key: [{ prefix: 'batch/input/' }] } }) }) });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'BatchTransformJobs', Dimensions: Match.arrayWith([{ Name: 'Status', Value: 'Failed' }]) });
    const alarmIds = Object.keys(template.findResources('AWS::CloudWatch::Alarm'));
    expect(alarmIds.some((id) => id.includes('BatchScorerErrors'))).toBe(true);
    expect(alarmIds.some((id) => id.includes('BatchScorerDeadLetters'))).toBe(true);
    template.resourceCountIs('Custom::BatchInferenceCleanup', 0);
  });

  test('a destroy stage with batch cleans up on delete, nag-clean, its clean-up watched', () => {
    const dev = loadStageConfig({ stage: 'dev' });
    const stack = addMlopsStage(appLikeCli(), parseStageConfig({ ...dev, batch: { enabled: true, onNewInput: true, instanceType: 'ml.c5.xlarge' } }, 'dev with batch'));
    const template = Template.fromStack(stack);
    template.hasResourceProperties('Custom::BatchInferenceCleanup', { ScorerName: 'churn-dev-batch' });
    expect(unacknowledgedFindings(stack)).toEqual([]);
    expect(Object.keys(template.findResources('AWS::CloudWatch::Alarm')).some((id) => id.includes('BatchCleanupErrors'))).toBe(true);
  });

  test('is off unless configured', () => {
    const stack = addMlopsStage(appLikeCli(), loadStageConfig({ stage: 'dev' }));
    expect(stack.batch).toBeUndefined();
    Template.fromStack(stack).resourceCountIs('Custom::BatchInferenceCleanup', 0);
  });
});

describe('MlopsStack model quality (instance endpoints)', () => {
  test("prod keeps a model-quality schedule on review.checks[0], alarms below its threshold and retrains on the alarm", () => {
    // GIVEN
    const config = loadStageConfig({ stage: 'prod' });
    const stack = addMlopsStage(appLikeCli(), config);
    const template = Template.fromStack(stack);
    // THEN the deployer keeps the schedule
    const [deployer] = Object.values(template.findResources('AWS::Lambda::Function', { Properties: { Environment: { Variables: { ENDPOINT_NAME: 'churn-prod-endpoint' } } } }));
    expect(deployer.Properties.Environment.Variables).toMatchObject({
      MODEL_QUALITY_SCHEDULE_NAME: 'churn-prod-model-quality',
      MODEL_QUALITY_SCHEDULE_EXPRESSION: 'cron(0 0 ? * * *)',
      MODEL_QUALITY_PROBLEM_TYPE: 'BinaryClassification',
      MODEL_QUALITY_START_TIME_OFFSET: '-PT48H',
      MODEL_QUALITY_END_TIME_OFFSET: '-PT24H',
    });
    // THEN the alarm watches Model Monitor's metric at the review gate's bar
    const [check] = config.review.checks;
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'aws/sagemaker/Endpoints/model-metrics',
      MetricName: check.metric,
      Threshold: check.threshold,
      ComparisonOperator: 'LessThanThreshold',
      Period: 86400,
      Dimensions: Match.arrayWith([{ Name: 'MonitoringSchedule', Value: 'churn-prod-model-quality' }]),
    });
    const alarmId = Object.keys(template.findResources('AWS::CloudWatch::Alarm')).find((id) => id.includes('ModelQualityDrop'))!;
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: { source: ['aws.cloudwatch'], 'detail-type': ['CloudWatch Alarm State Change'], resources: [{ 'Fn::GetAtt': [alarmId, 'Arn'] }], detail: { state: { value: ['ALARM'] } } },
    });
    template.hasResourceProperties('AWS::Lambda::Function', { Environment: { Variables: Match.objectLike({ MODEL_QUALITY_ALARM_NAME: { Ref: alarmId } }) } });
  });

  test('a destroy instance stage removes the model-quality schedule with the endpoint, nag-clean', () => {
    const dev = loadStageConfig({ stage: 'dev' });
    const stack = addMlopsStage(appLikeCli(), parseStageConfig({ ...dev, endpoint: { ...dev.endpoint, variant: 'instance' }, retraining: { ...dev.retraining, onModelQualityDrop: true } }, 'dev on instances'));
    const template = Template.fromStack(stack);
    template.hasResourceProperties('Custom::EndpointCleanup', { MonitoringScheduleName: 'churn-dev-data-quality', ModelQualityScheduleName: 'churn-dev-model-quality' });
    expect(unacknowledgedFindings(stack)).toEqual([]);
  });

  test('serverless stages, and stages with monitoring.modelQuality false, have no model-quality schedule or alarm', () => {
    for (const stack of [
      addMlopsStage(appLikeCli(), loadStageConfig({ stage: 'dev' })),
      addMlopsStage(appLikeCli(), parseStageConfig({ ...loadStageConfig({ stage: 'staging' }), monitoring: { modelQuality: false }, retraining: { ...loadStageConfig({ stage: 'staging' }).retraining, onModelQualityDrop: false } }, 'staging without')),
    ]) {
      expect(stack.monitoring.modelQualityAlarm).toBeUndefined();
      expect(JSON.stringify(Template.fromStack(stack).toJSON())).not.toContain('MODEL_QUALITY_SCHEDULE_NAME');
    }
  });
});

describe('MlopsStack review gate', () => {
  /** The review gate function's environment: the one function with a REVIEW_POLICY. */
  const gateEnvironment = (template: Template): Record<string, string> => {
    const functions = Object.values(template.findResources('AWS::Lambda::Function', { Properties: { Environment: { Variables: { REVIEW_POLICY: Match.anyValue() } } } }));
    expect(functions).toHaveLength(1);
    return functions[0].Properties.Environment.Variables;
  };
  const alarmIds = (template: Template) => Object.keys(template.findResources('AWS::CloudWatch::Alarm'));
  /** The settings the handler reads from that environment; the bucket name is a reference to the artifacts bucket until deployed. */
  const settingsOf = (environment: Record<string, any>) => {
    expect(environment[REVIEW_ENV.ARTIFACTS_BUCKET]).toEqual({ Ref: expect.stringMatching(/Artifacts/) });
    return readReviewSettings({ ...environment, [REVIEW_ENV.ARTIFACTS_BUCKET]: 'deployed-artifacts-bucket' });
  };

  test("prod's gate enforces the stage's checks, champion margin and model card, with its bias report on age, and is watched", () => {
    // GIVEN
    const config = loadStageConfig({ stage: 'prod' });
    // WHEN
    const template = Template.fromStack(addMlopsStage(appLikeCli(), config));
    // THEN
    const environment = gateEnvironment(template);
    expect(settingsOf(environment)).toMatchObject({
      modelPackageGroupName: 'churn-prod-models',
      policy: {
        problemType: 'binary',
        checks: [
          { metric: 'auc', threshold: 0.75, comparison: '>=' },
          { metric: 'DPL', threshold: 0.2, comparison: '<=' },
        ],
        championMargin: config.review.championMargin,
        modelCard: config.review.modelCard,
      },
      biasAnalysisConfig: { label: 'churn', facet: [{ name_or_index: 'age', value_or_threshold: 60 }], methods: { pre_training_bias: { methods: ['CI', 'DPL'] } } },
    });
    expect(alarmIds(template).filter((id) => id.includes('ReviewGate'))).toEqual([expect.stringMatching(/ReviewGateErrors/), expect.stringMatching(/ReviewGateDeadLetters/)]);
  });

  test('dev has no bias report and no champion check', () => {
    const settings = settingsOf(gateEnvironment(Template.fromStack(addMlopsStage(appLikeCli(), loadStageConfig({ stage: 'dev' })))));
    expect(settings.policy).toEqual({ problemType: 'binary', checks: [{ metric: 'auc', threshold: 0.6, comparison: '>=' }], modelCard: loadStageConfig({ stage: 'dev' }).review.modelCard });
    expect(settings.biasAnalysisConfig).toBeUndefined();
  });

  test('the regression example builds nag-clean: a regressor on delivery_minutes, reviewed on rmse and r2', () => {
    // GIVEN
    const config = loadStageConfig({ configFile: join(__dirname, '..', '..', 'config', 'examples', 'delivery-regression.json') });
    // WHEN
    const stack = addMlopsStage(appLikeCli(), config);
    const template = Template.fromStack(stack);
    // THEN
    expect(unacknowledgedFindings(stack)).toEqual([]);
    expect(settingsOf(gateEnvironment(template)).policy).toMatchObject({
      problemType: 'regression',
      checks: [
        { metric: 'rmse', threshold: 8, comparison: '<=' },
        { metric: 'r2', threshold: 0.5, comparison: '>=' },
      ],
      championMargin: 0.5,
    });
    const body = JSON.stringify(template.findResources('AWS::SageMaker::Pipeline'));
    expect(body).toContain('\\"objective\\":\\"reg:squarederror\\"');
    expect(body).toContain('\\"--label-column\\",\\"delivery_minutes\\",\\"--problem-type\\",\\"regression\\"');
  });
});
