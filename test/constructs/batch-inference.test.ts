import { Duration, RemovalPolicy, Size, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as events from 'aws-cdk-lib/aws-events';
import { BatchInference, BatchInferenceProps, BatchSplitType, InstanceTypes, MlopsStorage, ModelRegistry } from '../../constructs';
import { BATCH_CLEANUP_PROPERTIES } from '../../lambda/batch-cleanup/properties';
import { BATCH_SCORER_ENV, readBatchScorerSettings } from '../../lambda/batch-scorer/environment';
import { complianceChecks } from '../../lib/mlops-app';
import { appLikeCli } from '../helpers/app';

/** Batch inference over a storage like the stage's, as MlopsStack composes it. */
function synth(props: Partial<BatchInferenceProps> = {}) {
  const stack = new Stack(appLikeCli(), 'BatchStack', { env: { account: '111122223333', region: 'eu-west-1' } });
  const storage = new MlopsStorage(stack, 'Storage', { removalPolicy: RemovalPolicy.DESTROY, autoDeleteObjects: true });
  const modelRegistry = new ModelRegistry(stack, 'Registry', { modelPackageGroupName: 'churn-prod-models', encryptionKey: storage.encryptionKey });
  const batch = new BatchInference(stack, 'Batch', {
    scorerName: 'churn-prod-batch',
    dataBucket: storage.dataBucket,
    modelRegistry,
    modelArtifactsBucket: storage.artifactsBucket,
    schedule: events.Schedule.cron({ minute: '0', hour: '2' }),
    removalPolicy: RemovalPolicy.DESTROY,
    ...props,
  });
  const id = (construct: { node: { defaultChild?: unknown } }) => stack.getLogicalId(construct.node.defaultChild as never);
  return { stack, storage, batch, template: Template.fromStack(stack), id };
}

function unacknowledgedFindings(stack: Stack): string[] {
  return complianceChecks(appLikeCli()).flatMap((pack) =>
    pack.validateScope(stack).violations.flatMap((violation) =>
      // cdk-nag reports the construct path, which the core type does not declare.
      violation.violatingResources.map((resource) => `${violation.ruleName} at ${(resource as { constructPath?: string }).constructPath}`),
    ),
  );
}

function statementsOf(template: Template, roleId: string): any[] {
  return Object.values(template.findResources('AWS::IAM::Policy'))
    .filter((policy) => JSON.stringify(policy.Properties.Roles).includes(roleId))
    .flatMap((policy) => policy.Properties.PolicyDocument.Statement);
}

function scorerEnvironment(template: Template): Record<string, unknown> {
  const functions = template.findResources('AWS::Lambda::Function', { Properties: { Environment: { Variables: { [BATCH_SCORER_ENV.SCORER_NAME]: Match.anyValue() } } } });
  return Object.values(functions)[0].Properties.Environment.Variables;
}

describe('BatchInference', () => {
  const { stack, storage, batch, template, id } = synth();
  const scorerArn = { 'Fn::GetAtt': [id(batch.function), 'Arn'] };
  const dlqArn = { 'Fn::GetAtt': [id(batch.deadLetterQueue), 'Arn'] };
  const keyArn = { 'Fn::GetAtt': [id(storage.encryptionKey), 'Arn'] };
  const scorerStatements = statementsOf(template, id(batch.scorer.role));
  const modelStatements = statementsOf(template, id(batch.modelRole));

  test('has zero unacknowledged AwsSolutions, NIST 800-53 rev5 and HIPAA findings', () => {
    expect(unacknowledgedFindings(stack)).toEqual([]);
  });

  test('scores objects created under batch/input/ of the data bucket, with retries and the dead-letter queue', () => {
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        source: ['aws.s3'],
        'detail-type': ['Object Created'],
        detail: { bucket: { name: [{ Ref: id(storage.dataBucket) }] }, object: { key: [{ prefix: 'batch/input/' }] } },
      },
      Targets: [Match.objectLike({ Arn: scorerArn, RetryPolicy: { MaximumRetryAttempts: 8, MaximumEventAgeInSeconds: 21600 }, DeadLetterConfig: { Arn: dlqArn } })],
    });
  });

  test('scans on the schedule, and counts the ended jobs of this scorer only', () => {
    template.hasResourceProperties('AWS::Events::Rule', { ScheduleExpression: 'cron(0 2 * * ? *)', Targets: [Match.objectLike({ Arn: scorerArn })] });
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        source: ['aws.sagemaker'],
        'detail-type': ['SageMaker Transform Job State Change'],
        detail: { TransformJobName: [{ prefix: 'churn-prod-batch-' }], TransformJobStatus: ['Completed', 'Failed', 'Stopped'] },
      },
      Targets: [Match.objectLike({ Arn: scorerArn, DeadLetterConfig: { Arn: dlqArn } })],
    });
    expect(batch.rules).toHaveLength(3);
  });

  test('gives the scorer settings it accepts: the model role, the prefixes, the key on outputs and volumes', () => {
    const env = scorerEnvironment(template);
    expect(env).toMatchObject({
      SCORER_NAME: 'churn-prod-batch',
      MODEL_PACKAGE_GROUP_NAME: 'churn-prod-models',
      MODEL_EXECUTION_ROLE_ARN: { 'Fn::GetAtt': [id(batch.modelRole), 'Arn'] },
      OUTPUT_KMS_KEY_ID: keyArn,
      VOLUME_KMS_KEY_ID: keyArn,
      INSTANCE_TYPE: 'ml.m5.large',
      INSTANCE_COUNT: '1',
      MAX_PAYLOAD_MB: '6',
      SPLIT_TYPE: 'Line',
      METRIC_NAMESPACE: 'CdkMlops',
    });
    // Resolved as CloudFormation would, the handler reads them without a problem.
    const resolved = JSON.parse(JSON.stringify(env).replace(/\{"Fn::Join":\["",\["s3:\/\/",\{"Ref":"[A-Za-z0-9]+"\},"\/([a-z/]+)"\]\]\}/g, '"s3://churn-data/$1"').replace(/\{"Fn::GetAtt":\["([A-Za-z0-9]+)","Arn"\]\}/g, (_m, logicalId: string) => (logicalId.includes('Role') ? '"arn:aws:iam::111122223333:role/model"' : '"arn:aws:kms:eu-west-1:111122223333:key/k"')));
    expect(readBatchScorerSettings(resolved)).toMatchObject({ input: { prefix: 'batch/input/' }, output: { prefix: 'batch/output/' }, splitType: 'Line' });
  });

  test('lets the scorer create network-isolated models and keyed jobs of its own names, and pass the model role to SageMaker only', () => {
    expect(scorerStatements).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ Action: 'sagemaker:CreateModel', Condition: { Bool: { 'sagemaker:NetworkIsolation': 'true' } } }),
        expect.objectContaining({
          Action: 'sagemaker:CreateTransformJob',
          Condition: { ArnEquals: { 'sagemaker:OutputKmsKeyArn': keyArn, 'sagemaker:VolumeKmsKeyArn': keyArn } },
        }),
        expect.objectContaining({ Action: 'iam:PassRole', Resource: { 'Fn::GetAtt': [id(batch.modelRole), 'Arn'] }, Condition: { StringEquals: { 'iam:PassedToService': 'sagemaker.amazonaws.com' } } }),
        expect.objectContaining({ Action: 's3:ListBucket', Condition: { StringLike: { 's3:prefix': 'batch/input/*' } } }),
      ]),
    );
    const createModel = scorerStatements.find((statement) => statement.Action === 'sagemaker:CreateModel');
    expect(JSON.stringify(createModel.Resource)).toContain(':model/churn-prod-batch-*');
    // The scorer never reads or writes the data itself.
    expect(scorerStatements.filter((statement) => [statement.Action].flat().some((action: string) => /^s3:(Get|Put)/.test(action)))).toEqual([]);
  });

  test('the model role reads the inputs and artifacts, writes the outputs, and uses the key for the volumes', () => {
    const actions = modelStatements.flatMap((statement) => [statement.Action].flat());
    expect(actions).toEqual(expect.arrayContaining(['s3:GetObject*', 's3:PutObject', 'kms:CreateGrant', 'logs:PutLogEvents', 'cloudwatch:PutMetricData']));
    expect(JSON.stringify(modelStatements)).toContain('/batch/input/*');
    expect(JSON.stringify(modelStatements)).toContain('/batch/output/*');
    expect(modelStatements).toContainEqual(expect.objectContaining({ Action: 'kms:CreateGrant', Condition: { Bool: { 'kms:GrantIsForAWSResource': 'true' } } }));
    template.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: { Statement: [Match.objectLike({ Principal: { Service: 'sagemaker.amazonaws.com' } })] },
      ManagedPolicyArns: Match.absent(),
      Description: 'Runs the models and batch transform jobs of churn-prod-batch',
    });
  });

  test('stops running jobs and deletes its models on delete, after the scorer and its rules are gone', () => {
    template.hasResourceProperties('Custom::BatchInferenceCleanup', { [BATCH_CLEANUP_PROPERTIES.SCORER_NAME]: 'churn-prod-batch' });
    const cleanupId = Object.keys(template.findResources('Custom::BatchInferenceCleanup'))[0];
    for (const dependent of [id(batch.function), ...batch.rules.map((rule) => id(rule))]) {
      expect([template.toJSON().Resources[dependent].DependsOn].flat()).toContain(cleanupId);
    }
    expect(statementsOf(template, id(batch.cleanupFunction!.role))).toEqual(
      expect.arrayContaining([expect.objectContaining({ Action: ['sagemaker:ListTags', 'sagemaker:StopTransformJob'] }), expect.objectContaining({ Action: ['sagemaker:DeleteModel', 'sagemaker:ListTags'] })]),
    );
  });

  test('metricFailedJobs is the Failed count of this scorer, overridable', () => {
    expect(batch.metricFailedJobs({ period: Duration.hours(1) })).toMatchObject({
      namespace: 'CdkMlops',
      metricName: 'BatchTransformJobs',
      dimensions: { Scorer: 'churn-prod-batch', Status: 'Failed' },
      statistic: 'Sum',
      period: Duration.hours(1),
    });
  });
});

describe('BatchInference options', () => {
  test('RETAIN creates no clean-up; without onNewInput only the schedule and job rules', () => {
    const { template, batch } = synth({ removalPolicy: RemovalPolicy.RETAIN, onNewInput: false });
    template.resourceCountIs('Custom::BatchInferenceCleanup', 0);
    expect(batch.cleanupFunction).toBeUndefined();
    expect(batch.rules.map((rule) => rule.node.id)).toEqual(['ScheduleRule', 'JobEndedRule']);
  });

  test('an instance type with local NVMe storage gets no volume key, and the policy no volume condition', () => {
    const { template, batch, id } = synth({ instanceType: 'ml.g4dn.xlarge', splitType: BatchSplitType.NONE, maxPayload: Size.mebibytes(20), instanceCount: 3 });
    const env = scorerEnvironment(template);
    expect(env.VOLUME_KMS_KEY_ID).toBeUndefined();
    expect(env).toMatchObject({ INSTANCE_TYPE: 'ml.g4dn.xlarge', SPLIT_TYPE: 'None', MAX_PAYLOAD_MB: '20', INSTANCE_COUNT: '3' });
    const create = statementsOf(template, id(batch.scorer.role)).find((statement) => statement.Action === 'sagemaker:CreateTransformJob');
    expect(Object.keys(create.Condition.ArnEquals)).toEqual(['sagemaker:OutputKmsKeyArn']);
    expect(statementsOf(template, id(batch.modelRole)).some((statement) => statement.Action === 'kms:CreateGrant')).toBe(false);
  });

  test('warns that maxPayload 0 (chunked encoding) does not work with built-in algorithms', () => {
    const { stack } = synth({ maxPayload: Size.mebibytes(0) });
    Annotations.fromStack(stack).hasWarning('/BatchStack/Batch', Match.stringLikeRegexp('chunked encoding'));
  });

  test('accepts a newer instance type allowed explicitly, with a warning', () => {
    const { stack } = synth({ instanceType: InstanceTypes.unlisted('ml.x9.large') });
    Annotations.fromStack(stack).hasWarning('/BatchStack/Batch', Match.stringLikeRegexp('ml\\.x9\\.large.*batch transform jobs'));
  });

  test.each([
    ['the scorer name is too long', { scorerName: 'x'.repeat(39) }, /scorerName "x{39}" is invalid: use 1-38 letters/],
    ['an instance type is not for batch transform', { instanceType: 'ml.t3.medium' }, /instanceType "ml.t3.medium" is not an instance type SageMaker offers for batch transform jobs/],
    ['the instance count is 0', { instanceCount: 0 }, /instanceCount is 0: use a whole number from 1 to 100/],
    ['the payload is above 100 MiB', { maxPayload: Size.mebibytes(101) }, /maxPayload is 101 MiB: use whole MiB from 0 to 100/],
    ['the payload is not whole MiB', { maxPayload: Size.kibibytes(1536) }, /maxPayload is 1.5 MiB/],
    ['the outputs are under the inputs', { outputPrefix: 'batch/input/scored/' }, /overlap: outputs written under the inputs would be scored again/],
    ['a prefix does not end in /', { inputPrefix: 'batch/in' }, /inputPrefix "batch\/in" is invalid/],
    ['no trigger is on', { onNewInput: false, schedule: undefined }, /no trigger is enabled: set schedule, or leave onNewInput on/],
  ])('fails when %s', (_what, props, message) => {
    expect(() => synth(props)).toThrow(message);
  });
});
