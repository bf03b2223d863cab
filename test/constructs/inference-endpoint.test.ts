import { Duration, RemovalPolicy, Size, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import {
  EndpointVariant,
  InferenceEndpoint,
  InferenceEndpointProps,
  InstanceVariantProps,
  IModelRegistry,
  ModelQualityComparison,
  ModelQualityProblemType,
  ModelRegistry,
  MonitoringFrequency,
  TrafficShift,
} from '../../constructs';
import { DEPLOYER_ENV, readDeployerSettings } from '../../lambda/deployer/environment';
import { appLikeCli } from '../helpers/app';

/** A prod-like instance endpoint; `instance` overrides settings of its variant, `props` the rest. */
function synth(
  props: Partial<InferenceEndpointProps> & { readonly instance?: Partial<InstanceVariantProps> } = {},
  addToStack: (stack: Stack, endpoint: InferenceEndpoint) => void = () => undefined,
) {
  const stack = new Stack(appLikeCli(), 'ServingStack', { env: { account: '111122223333', region: 'eu-west-1' } });
  const encryptionKey = new kms.Key(stack, 'Key', { enableKeyRotation: true });
  const bucket = new s3.Bucket(stack, 'Data', { encryptionKey, enforceSSL: true });
  const modelRegistry = new ModelRegistry(stack, 'Registry', { modelPackageGroupName: 'churn-prod-models', encryptionKey });
  const alarm = new cloudwatch.Alarm(stack, 'Errors', { metric: new cloudwatch.Metric({ namespace: 'AWS/SageMaker', metricName: 'Invocation5XXErrors' }), threshold: 1, evaluationPeriods: 1 });
  const { instance, ...endpointProps } = props;
  const endpoint = new InferenceEndpoint(stack, 'Endpoint', {
    endpointName: 'churn-prod-endpoint',
    modelRegistry,
    encryptionKey,
    modelArtifactsBucket: bucket,
    variant: EndpointVariant.instances({
      instanceType: 'ml.m5.large',
      initialInstanceCount: 2,
      minCapacity: 2,
      maxCapacity: 6,
      dataCapture: { bucket, samplingPercent: 20 },
      trafficShift: TrafficShift.canary(10),
      trafficShiftWait: Duration.minutes(5),
      rollbackAlarms: [alarm],
      monitoring: { scheduleName: 'churn-prod-data-quality', frequency: MonitoringFrequency.HOURLY },
      ...instance,
    }),
    removalPolicy: RemovalPolicy.DESTROY,
    ...endpointProps,
  });
  addToStack(stack, endpoint);
  return { stack, endpoint, template: Template.fromStack(stack), bucketId: stack.getLogicalId(bucket.node.defaultChild as never) };
}

function deployerEnvironment(template: Template): Record<string, unknown> {
  const functions = template.findResources('AWS::Lambda::Function', { Properties: { Environment: { Variables: { [DEPLOYER_ENV.ENDPOINT_NAME]: Match.anyValue() } } } });
  return Object.values(functions)[0].Properties.Environment.Variables;
}

describe('InferenceEndpoint', () => {
  const { stack, endpoint, template, bucketId } = synth();
  const deployerArn = { 'Fn::GetAtt': [stack.getLogicalId(endpoint.deployer.function.node.defaultChild as never), 'Arn'] };
  const dlqArn = { 'Fn::GetAtt': [stack.getLogicalId(endpoint.deployer.deadLetterQueue.node.defaultChild as never), 'Arn'] };

  test('deploys on approvals and rejections of this group only, with retries and the dead-letter queue', () => {
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        source: ['aws.sagemaker'],
        'detail-type': ['SageMaker Model Package State Change'],
        detail: { ModelPackageGroupName: ['churn-prod-models'], ModelApprovalStatus: ['Approved', 'Rejected'] },
      },
      Targets: [Match.objectLike({ Arn: deployerArn, RetryPolicy: { MaximumRetryAttempts: 8, MaximumEventAgeInSeconds: 21600 }, DeadLetterConfig: { Arn: dlqArn } })],
    });
  });

  test('finishes deployments when this endpoint becomes InService', () => {
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: { 'detail-type': ['SageMaker Endpoint State Change'], detail: { EndpointName: ['churn-prod-endpoint'], EndpointStatus: ['IN_SERVICE'] } },
      Targets: [Match.objectLike({ Arn: deployerArn })],
    });
  });

  test('runs the deployer without reserved concurrency (new accounts have none), with an encrypted dead-letter queue', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: { [DEPLOYER_ENV.ENDPOINT_NAME]: 'churn-prod-endpoint' } },
      ReservedConcurrentExecutions: Match.absent(),
      DeadLetterConfig: { TargetArn: dlqArn },
      Runtime: 'nodejs24.x',
    });
    template.hasResourceProperties('AWS::SQS::Queue', { KmsMasterKeyId: Match.anyValue() });
  });

  test('gives the deployer settings its own validation accepts', () => {
    const environment = deployerEnvironment(template);
    expect(environment).toMatchObject({
      [DEPLOYER_ENV.VARIANT_TYPE]: 'instance',
      [DEPLOYER_ENV.INSTANCE_TYPE]: 'ml.m5.large',
      [DEPLOYER_ENV.DATA_CAPTURE_PERCENT]: '20',
      [DEPLOYER_ENV.DEPLOYMENT_STRATEGY]: 'canary',
      [DEPLOYER_ENV.TRAFFIC_STEP_PERCENT]: '10',
      [DEPLOYER_ENV.WAIT_INTERVAL_SECONDS]: '300',
      [DEPLOYER_ENV.MAX_EXECUTION_TIMEOUT_SECONDS]: '1500',
      [DEPLOYER_ENV.DATA_CAPTURE_S3_URI]: { 'Fn::Join': ['', ['s3://', { Ref: bucketId }, '/capture/']] },
      [DEPLOYER_ENV.ROLLBACK_ALARM_NAMES]: { Ref: expect.stringMatching(/^Errors/) },
      [DEPLOYER_ENV.MONITORING_SCHEDULE_NAME]: 'churn-prod-data-quality',
      [DEPLOYER_ENV.MONITORING_SCHEDULE_EXPRESSION]: 'cron(0 * ? * * *)',
      [DEPLOYER_ENV.MONITORING_INSTANCE_TYPE]: 'ml.m5.large',
      [DEPLOYER_ENV.MONITORING_OUTPUT_S3_URI]: { 'Fn::Join': ['', ['s3://', { Ref: bucketId }, '/monitoring/']] },
    });
    expect(environment[DEPLOYER_ENV.MONITORING_IMAGE_URI]).toEqual({ 'Fn::Join': ['', ['468650794304.dkr.ecr.eu-west-1.', { Ref: 'AWS::URLSuffix' }, '/sagemaker-model-monitor-analyzer:latest']] });
    // Tokens stand in for what CloudFormation fills in; everything else must pass the handler's own check.
    const concrete = Object.fromEntries(
      Object.entries(environment).map(([name, value]) => [
        name,
        typeof value === 'string'
          ? value
          : name.endsWith('ROLE_ARN')
            ? 'arn:aws:iam::111122223333:role/model'
            : name.endsWith('S3_URI')
              ? 's3://bucket/capture/'
              : name.includes('KMS')
                ? 'arn:aws:kms:eu-west-1:111122223333:key/abc'
                : name.endsWith('IMAGE_URI')
                  ? '468650794304.dkr.ecr.eu-west-1.amazonaws.com/sagemaker-model-monitor-analyzer:latest'
                  : 'alarm',
      ]),
    );
    expect(() => readDeployerSettings(concrete)).not.toThrow();
  });

  test('lets the deployer manage only this endpoint and the configs and models it names', () => {
    const statements: any[] = Object.values(template.findResources('AWS::IAM::Policy'))
      .filter((policy) => JSON.stringify(policy.Properties.Roles).includes(stack.getLogicalId(endpoint.deployer.role.node.defaultChild as never)))
      .flatMap((policy) => policy.Properties.PolicyDocument.Statement);
    const resourcesOf = (action: string) => statements.filter((statement) => [statement.Action].flat().includes(action)).flatMap((statement) => [statement.Resource].flat());
    expect(resourcesOf('sagemaker:UpdateEndpoint')).toEqual(
      expect.arrayContaining(['arn:aws:sagemaker:eu-west-1:111122223333:endpoint/churn-prod-endpoint', 'arn:aws:sagemaker:eu-west-1:111122223333:endpoint-config/churn-prod-endpoint*']),
    );
    expect(resourcesOf('sagemaker:CreateModel')).toEqual(['arn:aws:sagemaker:eu-west-1:111122223333:model/churn-prod-endpoint*']);
    expect(resourcesOf('sagemaker:DeleteEndpointConfig')).toEqual(['arn:aws:sagemaker:eu-west-1:111122223333:endpoint-config/churn-prod-endpoint*']);
    expect(resourcesOf('iam:PassRole')).toEqual([
      { 'Fn::GetAtt': [stack.getLogicalId(endpoint.modelRole.node.defaultChild as never), 'Arn'] },
      { 'Fn::GetAtt': [stack.getLogicalId(endpoint.monitoringRole!.node.defaultChild as never), 'Arn'] },
    ]);
    expect(resourcesOf('sagemaker:DeleteEndpoint')).toEqual([]);
  });

  test('runs models under their own role without managed policies', () => {
    const roleId = stack.getLogicalId(endpoint.modelRole.node.defaultChild as never);
    expect(template.toJSON().Resources[roleId].Properties).toMatchObject({
      AssumeRolePolicyDocument: { Statement: [expect.objectContaining({ Principal: { Service: 'sagemaker.amazonaws.com' } })] },
    });
    expect(template.toJSON().Resources[roleId].Properties.ManagedPolicyArns).toBeUndefined();
  });

  test('keeps the data-quality schedule under its own least-privilege role', () => {
    const monitoringRoleId = stack.getLogicalId(endpoint.monitoringRole!.node.defaultChild as never);
    const statements: any[] = Object.values(template.findResources('AWS::IAM::Policy')).flatMap((policy) => policy.Properties.PolicyDocument.Statement);
    const passRole = statements.find((statement) => statement.Action === 'iam:PassRole' && JSON.stringify(statement.Resource).includes(monitoringRoleId));
    expect(passRole.Condition).toEqual({ StringEquals: { 'iam:PassedToService': 'sagemaker.amazonaws.com' } });
    expect(statements).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          Action: expect.arrayContaining(['sagemaker:CreateMonitoringSchedule', 'sagemaker:UpdateMonitoringSchedule']),
          Resource: 'arn:aws:sagemaker:eu-west-1:111122223333:monitoring-schedule/churn-prod-data-quality',
        }),
      ]),
    );
  });

  test('removes what the deployer created when the stack is deleted, after the deployer and its rules are gone', () => {
    const cleanups = template.findResources('Custom::EndpointCleanup');
    expect(Object.values(cleanups)).toEqual([
      expect.objectContaining({ Properties: expect.objectContaining({ EndpointName: 'churn-prod-endpoint', MonitoringScheduleName: 'churn-prod-data-quality' }) }),
    ]);
    const cleanupId = Object.keys(cleanups)[0];
    const deployerId = stack.getLogicalId(endpoint.deployer.function.node.defaultChild as never);
    expect(template.toJSON().Resources[deployerId].DependsOn).toEqual(expect.arrayContaining([cleanupId]));
  });

  test('leaves the endpoint serving when the stack retains it', () => {
    synth({ removalPolicy: RemovalPolicy.RETAIN }).template.resourceCountIs('Custom::EndpointCleanup', 0);
  });

  test('serves serverless without capture or blue/green settings', () => {
    const { template: serverless } = synth({ variant: EndpointVariant.serverless({ memorySize: Size.gibibytes(3), maxConcurrency: 4 }) });
    const environment = deployerEnvironment(serverless);
    expect(environment).toMatchObject({ [DEPLOYER_ENV.VARIANT_TYPE]: 'serverless', [DEPLOYER_ENV.SERVERLESS_MEMORY_MB]: '3072', [DEPLOYER_ENV.SERVERLESS_MAX_CONCURRENCY]: '4' });
    expect(environment).not.toHaveProperty(DEPLOYER_ENV.DATA_CAPTURE_S3_URI);
    expect(environment).not.toHaveProperty(DEPLOYER_ENV.DEPLOYMENT_STRATEGY);
  });

  test('grants invoking the endpoint and exposes its metrics', () => {
    const { endpoint: served, template: withCaller } = synth({ removalPolicy: RemovalPolicy.RETAIN }, (other, toInvoke) =>
      toInvoke.grantInvoke(new iam.Role(other, 'Caller', { assumedBy: new iam.AccountRootPrincipal() })),
    );
    withCaller.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: { Statement: [{ Action: 'sagemaker:InvokeEndpoint', Effect: 'Allow', Resource: 'arn:aws:sagemaker:eu-west-1:111122223333:endpoint/churn-prod-endpoint' }] },
    });
    expect(served.metricModelLatency({ statistic: 'p99' })).toMatchObject({ namespace: 'AWS/SageMaker', metricName: 'ModelLatency', statistic: 'p99', dimensions: { EndpointName: 'churn-prod-endpoint', VariantName: 'AllTraffic' } });
    expect(served.metricInvocation5XXErrors().statistic).toBe('Sum');
  });

  test('fails when the serverless memory is not a size SageMaker offers', () => {
    expect(() => synth({ variant: EndpointVariant.serverless({ memorySize: Size.mebibytes(1500) }) })).toThrow(/memorySize is 1500 MiB: use 1, 2, 3, 4, 5 or 6 GiB/);
  });

  test('takes the instance-only settings (capture, blue/green, monitoring, VPC) only on an instance variant, by type', () => {
    // @ts-expect-error: a serverless variant has no data capture
    EndpointVariant.serverless({ dataCapture: {} });
    // @ts-expect-error: an instance variant cannot go without data capture
    EndpointVariant.instances({ instanceType: 'ml.m5.large' });
    const props: InferenceEndpointProps = {
      endpointName: 'churn-prod-endpoint',
      modelRegistry: {} as IModelRegistry,
      modelArtifactsBucket: {} as s3.IBucket,
      // @ts-expect-error: the endpoint itself takes no capture settings, whatever its variant
      dataCaptureBucket: {} as s3.IBucket,
    };
    expect(props).toBeDefined();
  });

  test('fails when the instance variant, name and canary are invalid', () => {
    expect(() =>
      synth({
        endpointName: 'churn_prod',
        instance: {
          instanceType: 'ml.t3.medium',
          initialInstanceCount: 8,
          minCapacity: 2,
          maxCapacity: 4,
          trafficShift: TrafficShift.canary(60),
          dataCapture: { bucket: new s3.Bucket(new Stack(), 'Capture'), samplingPercent: 0 },
          monitoring: { scheduleName: 'churn_quality', instanceType: 'ml.t2.medium' },
          rollbackAlarms: Array.from({ length: 11 }, () => ({}) as cloudwatch.IAlarm),
        },
      }),
    ).toThrow(
      /instanceType "ml\.t3\.medium" is not an instance type SageMaker offers for endpoints \(hosting\) by @aws-sdk\/client-sagemaker [\d.]+: use one such as ml\.m5\.large.*initialInstanceCount \(8\) is outside minCapacity\.\.maxCapacity \(2\.\.4\).*dataCapture\.samplingPercent is 0: use a whole percentage from 1 to 100.*the canary step is 60%: SageMaker accepts 1-50%.*monitoring\.scheduleName "churn_quality" is invalid.*monitoring\.instanceType "ml\.t2\.medium" is not an instance type SageMaker offers for processing jobs.*rollbackAlarms has 11 alarms: SageMaker watches at most 10.*endpointName "churn_prod" is invalid/,
    );
  });
});

describe('InferenceEndpoint with model-quality monitoring', () => {
  const modelQuality = {
    scheduleName: 'churn-prod-model-quality',
    problemType: ModelQualityProblemType.BINARY_CLASSIFICATION,
    metric: 'auc',
    threshold: 0.75,
    frequency: MonitoringFrequency.HOURLY,
    groundTruthDelay: Duration.hours(6),
  };
  const monitoring = { scheduleName: 'churn-prod-data-quality', frequency: MonitoringFrequency.HOURLY, modelQuality };
  const { stack, endpoint, template, bucketId } = synth({ instance: { monitoring } });
  const statements = (role: iam.IRole): any[] =>
    Object.values(template.findResources('AWS::IAM::Policy'))
      .filter((policy) => JSON.stringify(policy.Properties.Roles).includes(stack.getLogicalId(role.node.defaultChild as never)))
      .flatMap((policy) => policy.Properties.PolicyDocument.Statement);
  const resourcesOf = (role: iam.IRole, action: string) =>
    statements(role).filter((statement) => [statement.Action].flat().includes(action)).flatMap((statement) => [statement.Resource].flat());

  test('gives the deployer the model-quality settings its own validation accepts: offsets one period back from the ground-truth delay', () => {
    const environment = deployerEnvironment(template);
    expect(environment).toMatchObject({
      [DEPLOYER_ENV.MODEL_QUALITY_SCHEDULE_NAME]: 'churn-prod-model-quality',
      [DEPLOYER_ENV.MODEL_QUALITY_SCHEDULE_EXPRESSION]: 'cron(0 * ? * * *)',
      [DEPLOYER_ENV.MODEL_QUALITY_PROBLEM_TYPE]: 'BinaryClassification',
      [DEPLOYER_ENV.MODEL_QUALITY_GROUND_TRUTH_S3_URI]: { 'Fn::Join': ['', ['s3://', { Ref: bucketId }, '/ground-truth/']] },
      [DEPLOYER_ENV.MODEL_QUALITY_START_TIME_OFFSET]: '-PT7H',
      [DEPLOYER_ENV.MODEL_QUALITY_END_TIME_OFFSET]: '-PT6H',
      [DEPLOYER_ENV.MODEL_QUALITY_PROBABILITY_THRESHOLD]: '0.5',
    });
    const concrete = Object.fromEntries(
      Object.entries(environment).map(([name, value]) => [
        name,
        typeof value === 'string'
          ? value
          : name.endsWith('ROLE_ARN')
            ? 'arn:aws:iam::111122223333:role/model'
            : name.endsWith('S3_URI')
              ? 's3://bucket/prefix/'
              : name.includes('KMS')
                ? 'arn:aws:kms:eu-west-1:111122223333:key/abc'
                : name.endsWith('IMAGE_URI')
                  ? '468650794304.dkr.ecr.eu-west-1.amazonaws.com/sagemaker-model-monitor-analyzer:latest'
                  : 'alarm',
      ]),
    );
    expect(readDeployerSettings(concrete).variant).toMatchObject({ monitoring: { modelQuality: { problemType: 'BinaryClassification', probabilityThreshold: 0.5 } } });
  });

  test('a daily regression schedule reads the day that ended 24 hours ago by default, without a probability threshold', () => {
    const { template: daily } = synth({
      instance: { monitoring: { scheduleName: 'churn-prod-data-quality', modelQuality: { scheduleName: 'churn-prod-mq', problemType: ModelQualityProblemType.REGRESSION, metric: 'rmse', threshold: 4 } } },
    });
    const environment = deployerEnvironment(daily);
    expect(environment).toMatchObject({
      [DEPLOYER_ENV.MODEL_QUALITY_SCHEDULE_EXPRESSION]: 'cron(0 0 ? * * *)',
      [DEPLOYER_ENV.MODEL_QUALITY_START_TIME_OFFSET]: '-PT48H',
      [DEPLOYER_ENV.MODEL_QUALITY_END_TIME_OFFSET]: '-PT24H',
    });
    expect(environment).not.toHaveProperty(DEPLOYER_ENV.MODEL_QUALITY_PROBABILITY_THRESHOLD);
  });

  test('lets the deployer create only its model-quality job definitions and schedule', () => {
    expect(resourcesOf(endpoint.deployer.role, 'sagemaker:CreateModelQualityJobDefinition')).toEqual([
      'arn:aws:sagemaker:eu-west-1:111122223333:model-quality-job-definition/churn-prod-endpoint-mq*',
    ]);
    expect(resourcesOf(endpoint.deployer.role, 'sagemaker:CreateMonitoringSchedule')).toEqual([
      'arn:aws:sagemaker:eu-west-1:111122223333:monitoring-schedule/churn-prod-data-quality',
      'arn:aws:sagemaker:eu-west-1:111122223333:monitoring-schedule/churn-prod-model-quality',
    ]);
  });

  test('lets the monitoring jobs read the ground truth and publish to the model-metrics namespace only', () => {
    const role = endpoint.monitoringRole!;
    expect(resourcesOf(role, 's3:GetObject*')).toEqual(
      expect.arrayContaining([{ 'Fn::Join': ['', [{ 'Fn::GetAtt': [bucketId, 'Arn'] }, '/ground-truth/*']] }]),
    );
    expect(statements(role)).toContainEqual(
      expect.objectContaining({
        Action: 'cloudwatch:PutMetricData',
        Resource: '*',
        Condition: { StringEquals: { 'cloudwatch:namespace': 'aws/sagemaker/Endpoints/model-metrics' } },
      }),
    );
  });

  test('the clean-up removes the model-quality schedule and its job definitions too', () => {
    expect(Object.values(template.findResources('Custom::EndpointCleanup'))).toEqual([
      expect.objectContaining({ Properties: expect.objectContaining({ MonitoringScheduleName: 'churn-prod-data-quality', ModelQualityScheduleName: 'churn-prod-model-quality' }) }),
    ]);
    expect(resourcesOf(endpoint.cleanupFunction!.role, 'sagemaker:DeleteModelQualityJobDefinition')).toEqual([
      'arn:aws:sagemaker:eu-west-1:111122223333:model-quality-job-definition/churn-prod-endpoint-mq*',
    ]);
    expect(resourcesOf(endpoint.cleanupFunction!.role, 'sagemaker:DeleteMonitoringSchedule')).toContain(
      'arn:aws:sagemaker:eu-west-1:111122223333:monitoring-schedule/churn-prod-model-quality',
    );
  });

  test('exposes the metric Model Monitor publishes and the alarm settings, below the threshold for a metric better higher', () => {
    expect(endpoint.modelQuality).toEqual({
      endpointName: 'churn-prod-endpoint',
      scheduleName: 'churn-prod-model-quality',
      metricName: 'auc',
      threshold: 0.75,
      comparison: ModelQualityComparison.LESS_THAN_THRESHOLD,
      period: Duration.hours(1),
    });
    expect(endpoint.metricModelQuality()).toMatchObject({
      namespace: 'aws/sagemaker/Endpoints/model-metrics',
      metricName: 'auc',
      statistic: 'Average',
      dimensions: { Endpoint: 'churn-prod-endpoint', MonitoringSchedule: 'churn-prod-model-quality' },
    });
    expect(synth().endpoint.modelQuality).toBeUndefined();
    expect(() => synth().endpoint.metricModelQuality()).toThrow(/metricModelQuality needs monitoring\.modelQuality/);
  });

  test('fails when the metric, direction, names, prefix, delay or probability threshold cannot work', () => {
    expect(() =>
      synth({
        instance: {
          monitoring: {
            scheduleName: 'churn-prod-data-quality',
            modelQuality: { ...modelQuality, metric: 'rmse', scheduleName: 'churn-prod-data-quality', groundTruthPrefix: '/labels', groundTruthDelay: Duration.minutes(90) },
          },
        },
      }),
    ).toThrow(
      /monitoring\.modelQuality: metric "rmse" is not one Model Monitor computes for BinaryClassification: use one of auc, accuracy.*monitoring\.modelQuality\.scheduleName "churn-prod-data-quality" is the data-quality schedule's name.*groundTruthPrefix "\/labels" is invalid.*groundTruthDelay is 1 hour 30 minutes: use whole hours from 0 to 8760/,
    );
    expect(() =>
      synth({
        instance: {
          monitoring: {
            scheduleName: 'churn-prod-data-quality',
            modelQuality: { ...modelQuality, problemType: ModelQualityProblemType.REGRESSION, metric: 'rmse', comparison: ModelQualityComparison.LESS_THAN_THRESHOLD, probabilityThreshold: 0.5 },
          },
        },
      }),
    ).toThrow(/comparison LessThanThreshold alarms when rmse improves: rmse is better lower, use GreaterThanThreshold.*probabilityThreshold applies to BinaryClassification only, not Regression/);
  });
});

test("warns, with the statement to add, when the key is imported and its policy cannot let CloudWatch Logs in", () => {
  // GIVEN a bucket and key the team imported
  const stack = new Stack(appLikeCli(), 'ImportedStack', { env: { account: '111122223333', region: 'eu-west-1' } });
  const encryptionKey = kms.Key.fromKeyArn(stack, 'TeamKey', 'arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab');
  const bucket = s3.Bucket.fromBucketAttributes(stack, 'TeamBucket', { bucketName: 'team-models', encryptionKey });
  // WHEN an endpoint's deployer logs with that key
  new InferenceEndpoint(stack, 'Endpoint', {
    endpointName: 'team-live',
    modelRegistry: ModelRegistry.fromModelPackageGroupName(stack, 'Models', 'team-models'),
    modelArtifactsBucket: bucket,
  });
  // THEN synth says which statement the key policy needs
  Annotations.fromStack(stack).hasWarning(
    '/ImportedStack/Endpoint/Deployer',
    Match.stringLikeRegexp('the key arn:aws:kms:eu-west-1:111122223333:key/1234abcd.* is imported.*kms:EncryptionContext:aws:logs:arn.*logs\\.eu-west-1\\.amazonaws\\.com.*'),
  );
});
