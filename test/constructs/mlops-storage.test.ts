import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import { MlopsStorage, MlopsStorageProps } from '../../constructs';
import { appLikeCli } from '../helpers/app';

function synth(props: MlopsStorageProps = {}): { stack: Stack; storage: MlopsStorage; template: Template } {
  const stack = new Stack(appLikeCli(), 'UserStack', { env: { account: '111122223333', region: 'eu-west-1' } });
  const storage = new MlopsStorage(stack, 'Storage', props);
  return { stack, storage, template: Template.fromStack(stack) };
}

function bucketLogicalId(template: Template, stack: Stack, bucket: MlopsStorage['dataBucket']): string {
  const logicalId = stack.getLogicalId(bucket.node.defaultChild as never);
  expect(template.toJSON().Resources[logicalId]).toBeDefined();
  return logicalId;
}

describe('MlopsStorage', () => {
  const { stack, storage, template } = synth();
  const dataId = bucketLogicalId(template, stack, storage.dataBucket);
  const artifactsId = bucketLogicalId(template, stack, storage.artifactsBucket);
  const logsId = bucketLogicalId(template, stack, storage.accessLogsBucket);
  const keyId = stack.getLogicalId((storage.encryptionKey as kms.Key).node.defaultChild as never);

  test('creates one customer-managed key with rotation and three buckets', () => {
    template.resourceCountIs('AWS::KMS::Key', 1);
    template.resourceCountIs('AWS::S3::Bucket', 3);
    template.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true });
  });

  test.each([
    ['data', () => dataId],
    ['artifacts', () => artifactsId],
  ])('encrypts the %s bucket with the key (SSE-KMS, bucket key on)', (_name, id) => {
    expect(template.toJSON().Resources[id()].Properties.BucketEncryption).toEqual({
      ServerSideEncryptionConfiguration: [
        {
          BucketKeyEnabled: true,
          ServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: { 'Fn::GetAtt': [keyId, 'Arn'] } },
        },
      ],
    });
  });

  test('encrypts the access-log bucket with SSE-S3, the only encryption log delivery supports', () => {
    expect(template.toJSON().Resources[logsId].Properties.BucketEncryption).toEqual({
      ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
    });
  });

  test.each([
    ['data', () => dataId],
    ['artifacts', () => artifactsId],
    ['access-log', () => logsId],
  ])('blocks public access, enforces bucket ownership and versions the %s bucket', (_name, id) => {
    const properties = template.toJSON().Resources[id()].Properties;
    expect(properties.PublicAccessBlockConfiguration).toEqual({
      BlockPublicAcls: true,
      BlockPublicPolicy: true,
      IgnorePublicAcls: true,
      RestrictPublicBuckets: true,
    });
    expect(properties.OwnershipControls).toEqual({ Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] });
    expect(properties.VersioningConfiguration).toEqual({ Status: 'Enabled' });
    expect(properties.LifecycleConfiguration.Rules).toEqual(
      expect.arrayContaining([expect.objectContaining({ NoncurrentVersionExpiration: expect.any(Object) })]),
    );
  });

  test.each([
    ['data', () => dataId],
    ['artifacts', () => artifactsId],
    ['access-log', () => logsId],
  ])('denies non-TLS and TLS < 1.2 requests to the %s bucket', (_name, id) => {
    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      Bucket: { Ref: id() },
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
          Match.objectLike({ Effect: 'Deny', Condition: { NumericLessThan: { 's3:TlsVersion': 1.2 } } }),
        ]),
      },
    });
  });

  test('logs data and artifacts access to the log bucket through a bucket policy, not an ACL', () => {
    const resources = template.toJSON().Resources;
    expect(resources[dataId].Properties.LoggingConfiguration).toEqual({ DestinationBucketName: { Ref: logsId }, LogFilePrefix: 'data/' });
    expect(resources[artifactsId].Properties.LoggingConfiguration).toEqual({
      DestinationBucketName: { Ref: logsId },
      LogFilePrefix: 'artifacts/',
    });
    expect(resources[logsId].Properties.AccessControl).toBeUndefined();
    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      Bucket: { Ref: logsId },
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Principal: { Service: 'logging.s3.amazonaws.com' },
            Action: 's3:PutObject',
            Condition: { ArnLike: { 'aws:SourceArn': { 'Fn::GetAtt': [dataId, 'Arn'] } }, StringEquals: { 'aws:SourceAccount': '111122223333' } },
          }),
        ]),
      },
    });
  });

  test('sends data-bucket events to EventBridge without a notification custom resource', () => {
    expect(template.toJSON().Resources[dataId].Properties.NotificationConfiguration).toEqual({
      EventBridgeConfiguration: { EventBridgeEnabled: true },
    });
    template.resourceCountIs('Custom::S3BucketNotifications', 0);
    template.resourceCountIs('AWS::Lambda::Function', 0);
  });

  test('retains buckets and key by default', () => {
    for (const id of [dataId, artifactsId, logsId, keyId]) {
      expect(template.toJSON().Resources[id]).toMatchObject({ DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
    }
    template.resourceCountIs('Custom::S3AutoDeleteObjects', 0);
  });

  test('destroys buckets, objects and key when asked to', () => {
    // WHEN
    const destroyed = synth({ removalPolicy: RemovalPolicy.DESTROY, autoDeleteObjects: true }).template;
    // THEN
    for (const [, resource] of Object.entries(destroyed.findResources('AWS::S3::Bucket'))) {
      expect(resource).toMatchObject({ DeletionPolicy: 'Delete', UpdateReplacePolicy: 'Delete' });
    }
    destroyed.resourceCountIs('Custom::S3AutoDeleteObjects', 3);
    destroyed.hasResource('AWS::KMS::Key', { DeletionPolicy: 'Delete', Properties: { PendingWindowInDays: 7 } });
  });

  test('applies the noncurrent-version and access-log expirations given', () => {
    const custom = synth({ noncurrentVersionExpiration: Duration.days(14), accessLogsExpiration: Duration.days(30) }).template;
    custom.hasResourceProperties('AWS::S3::Bucket', {
      LifecycleConfiguration: { Rules: Match.arrayWith([Match.objectLike({ NoncurrentVersionExpiration: { NoncurrentDays: 14 } })]) },
    });
    custom.hasResourceProperties('AWS::S3::Bucket', {
      LifecycleConfiguration: { Rules: Match.arrayWith([Match.objectLike({ ExpirationInDays: 30 })]) },
    });
  });

  test('uses a key the user brings instead of creating one', () => {
    // GIVEN
    const userStack = new Stack(appLikeCli(), 'BringYourOwnKey');
    const key = new kms.Key(userStack, 'TeamKey', { enableKeyRotation: true });
    // WHEN
    const userStorage = new MlopsStorage(userStack, 'Storage', { encryptionKey: key });
    // THEN
    expect(userStorage.encryptionKey).toBe(key);
    Template.fromStack(userStack).resourceCountIs('AWS::KMS::Key', 1);
  });

  test('fails when autoDeleteObjects is set without DESTROY', () => {
    expect(() => synth({ autoDeleteObjects: true })).toThrow(
      /autoDeleteObjects is true but removalPolicy is RETAIN \(the default\).*set removalPolicy: RemovalPolicy\.DESTROY/,
    );
  });

  test('fails when an alias is given for a key it does not create, reporting every problem', () => {
    const stackWithKey = new Stack(appLikeCli(), 'Bad');
    const key = new kms.Key(stackWithKey, 'Key');
    expect(
      () =>
        new MlopsStorage(stackWithKey, 'Storage', {
          encryptionKey: key,
          encryptionKeyAlias: 'alias/mine',
          autoDeleteObjects: true,
          removalPolicy: RemovalPolicy.RETAIN,
        }),
    ).toThrow(/autoDeleteObjects is true but removalPolicy is retain.*; encryptionKeyAlias is set together with encryptionKey/);
  });

  describe('composed in a plain user stack', () => {
    test('grants a role read on raw/ and write on features/, including the key', () => {
      // GIVEN a user's own stack and role
      const userStack = new Stack(appLikeCli(), 'TeamStack');
      const userStorage = new MlopsStorage(userStack, 'MlData');
      const role = new iam.Role(userStack, 'FeatureJobRole', { assumedBy: new iam.ServicePrincipal('sagemaker.amazonaws.com') });
      // WHEN
      userStorage.grantReadData(role, MlopsStorage.RAW_PREFIX);
      userStorage.grantWriteData(role, MlopsStorage.FEATURES_PREFIX);
      userStorage.grantReadArtifacts(role);
      // THEN
      const userTemplate = Template.fromStack(userStack);
      const dataBucketId = userStack.getLogicalId(userStorage.dataBucket.node.defaultChild as never);
      const userKeyArn = { 'Fn::GetAtt': [userStack.getLogicalId((userStorage.encryptionKey as kms.Key).node.defaultChild as never), 'Arn'] };
      const objectsUnder = (prefix: string) => ({ 'Fn::Join': ['', [{ 'Fn::GetAtt': [dataBucketId, 'Arn'] }, `/${prefix}*`]] });
      const policies = Object.values(userTemplate.findResources('AWS::IAM::Policy'));
      expect(policies).toHaveLength(1);
      expect(policies[0].Properties.Roles).toEqual([{ Ref: userStack.getLogicalId(role.node.defaultChild as never) }]);
      const statements: { Action: string | string[]; Resource: unknown }[] = policies[0].Properties.PolicyDocument.Statement;
      const actionsOn = (resource: unknown) =>
        statements
          .filter((statement) => JSON.stringify(statement.Resource).includes(JSON.stringify(resource)))
          .flatMap((statement) => statement.Action);
      expect(actionsOn(objectsUnder('raw/'))).toContain('s3:GetObject*');
      expect(actionsOn(objectsUnder('raw/'))).not.toContain('s3:PutObject');
      expect(actionsOn(objectsUnder('features/'))).toContain('s3:PutObject');
      expect(actionsOn(objectsUnder('features/'))).not.toContain('s3:DeleteObject*');
      expect(actionsOn(userKeyArn)).toEqual(expect.arrayContaining(['kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey*']));
    });
  });
});
