import { RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import { ModelApprovalStatus, ModelRegistry } from '../../constructs';
import { appLikeCli } from '../helpers/app';

describe('ModelRegistry', () => {
  const stack = new Stack(appLikeCli(), 'TeamStack', { env: { account: '111122223333', region: 'eu-west-1' } });
  const registry = new ModelRegistry(stack, 'Registry', {
    modelPackageGroupName: 'churn-prod-models',
    approverEmails: ['ml-leads@example.com'],
  });
  const approver = new iam.Role(stack, 'Approver', { assumedBy: new iam.AccountRootPrincipal() });
  registry.grantApprove(approver);
  const template = Template.fromStack(stack);
  const topicId = stack.getLogicalId(registry.approvalTopic.node.defaultChild as never);

  test('creates the model package group, retained by default', () => {
    template.hasResource('AWS::SageMaker::ModelPackageGroup', {
      Properties: { ModelPackageGroupName: 'churn-prod-models' },
      DeletionPolicy: 'Retain',
    });
  });

  test('tells approvers about pending packages of this group only, with the approve command', () => {
    const rule = template.findResources('AWS::Events::Rule', {
      Properties: {
        EventPattern: {
          source: ['aws.sagemaker'],
          'detail-type': ['SageMaker Model Package State Change'],
          detail: { ModelPackageGroupName: ['churn-prod-models'], ModelApprovalStatus: ['PendingManualApproval'] },
        },
      },
    });
    const [pendingRule] = Object.values(rule);
    expect(pendingRule).toBeDefined();
    const [target] = pendingRule.Properties.Targets;
    expect(target.Arn).toEqual({ Ref: topicId });
    expect(target.RetryPolicy).toEqual({ MaximumRetryAttempts: 8, MaximumEventAgeInSeconds: 86400 });
    expect(target.DeadLetterConfig).toEqual({ Arn: { 'Fn::GetAtt': [expect.stringMatching(/EventDeadLetterQueue/), 'Arn'] } });
    const template_ = target.InputTransformer.InputTemplate as string;
    expect(template_).toMatch(/aws sagemaker update-model-package --model-package-arn <detail-ModelPackageArn> --model-approval-status Approved/);
    expect(template_).toMatch(/--model-approval-status Rejected/);
    expect(target.InputTransformer.InputPathsMap).toMatchObject({ 'detail-ModelPackageVersion': '$.detail.ModelPackageVersion' });
  });

  test('encrypts the approval topic with the key, enforces TLS and subscribes approvers', () => {
    template.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: Match.anyValue() });
    template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]) },
    });
    template.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: 'ml-leads@example.com' });
  });

  test('records every state change of the group in an encrypted, retained audit log', () => {
    const logGroupId = stack.getLogicalId(registry.auditLog.node.defaultChild as never);
    template.hasResource('AWS::Logs::LogGroup', {
      Properties: { KmsKeyId: Match.anyValue(), RetentionInDays: 365 },
      DeletionPolicy: 'Retain',
    });
    const [auditRule] = Object.values(template.findResources('AWS::Events::Rule', {
      Properties: { EventPattern: { detail: { ModelPackageGroupName: ['churn-prod-models'], ModelApprovalStatus: Match.absent() } } },
    }));
    const [target] = auditRule.Properties.Targets;
    // The log group's ARN without the ":*" of its Arn attribute: EventBridge delivers nothing to that.
    const arnText = JSON.stringify(target.Arn);
    expect(arnText).toContain(':log-group:');
    expect(arnText).toContain(logGroupId);
    expect(arnText).not.toContain(':*');
    expect(target.DeadLetterConfig).toEqual({ Arn: expect.anything() });
    // The policy document is a Fn::Join around the log group ARN, so match its text.
    const [resourcePolicy] = Object.values(template.findResources('AWS::Logs::ResourcePolicy'));
    const policyText = JSON.stringify(resourcePolicy.Properties.PolicyDocument);
    expect(policyText).toContain('events.amazonaws.com');
    expect(policyText).toContain('logs:PutLogEvents');
    expect(policyText).toContain(logGroupId);
    expect(policyText).toContain('aws:SourceArn');
    template.resourceCountIs('AWS::Lambda::Function', 0);
  });

  test('grantApprove allows updating only this group\'s packages', () => {
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: [
          Match.objectLike({
            Action: Match.arrayWith(['sagemaker:UpdateModelPackage']),
            Resource: Match.arrayWith(['arn:aws:sagemaker:eu-west-1:111122223333:model-package/churn-prod-models/*']),
          }),
        ],
      },
    });
  });

  test('empties a destroyed group before CloudFormation deletes it, and only then', () => {
    template.resourceCountIs('Custom::ModelRegistryCleanup', 0);
    const other = new Stack(appLikeCli(), 'Disposable', { env: { account: '111122223333', region: 'eu-west-1' } });
    new ModelRegistry(other, 'Registry', { modelPackageGroupName: 'churn-dev-models', removalPolicy: RemovalPolicy.DESTROY });
    const disposable = Template.fromStack(other);
    const [[cleanupId, cleanup]] = Object.entries(disposable.findResources('Custom::ModelRegistryCleanup'));
    expect(cleanup.Properties.ModelPackageGroupName).toBe('churn-dev-models');
    const [groupId] = Object.keys(disposable.findResources('AWS::SageMaker::ModelPackageGroup'));
    expect(cleanup.DependsOn).toEqual(expect.arrayContaining([groupId]));
    disposable.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Action: 'sagemaker:DeleteModelPackage', Resource: 'arn:aws:sagemaker:eu-west-1:111122223333:model-package/churn-dev-models/*' }),
        ]),
      },
    });
    expect(cleanupId).toMatch(/Cleanup/);
  });

  test('onStateChange matches the statuses asked for', () => {
    // GIVEN
    const other = new Stack(appLikeCli(), 'Other');
    const otherRegistry = new ModelRegistry(other, 'Registry', { modelPackageGroupName: 'fraud-models', removalPolicy: RemovalPolicy.DESTROY });
    // WHEN
    otherRegistry.onStateChange('Decisions', { approvalStatuses: [ModelApprovalStatus.APPROVED, ModelApprovalStatus.REJECTED] });
    // THEN
    Template.fromStack(other).hasResourceProperties('AWS::Events::Rule', {
      EventPattern: { detail: { ModelPackageGroupName: ['fraud-models'], ModelApprovalStatus: ['Approved', 'Rejected'] } },
    });
  });

  test('fails when the group name or an email is invalid, reporting both', () => {
    expect(
      () =>
        new ModelRegistry(new Stack(appLikeCli(), 'Bad'), 'Registry', {
          modelPackageGroupName: 'churn_models',
          approverEmails: ['not-an-email'],
        }),
    ).toThrow(/modelPackageGroupName "churn_models" is invalid: use 1-63 letters, digits and hyphens.*; approverEmails contains "not-an-email"/);
  });
});

describe('ModelRegistry.fromModelPackageGroupName', () => {
  // GIVEN a group another stack (or the console) created, imported by name
  const stack = new Stack(appLikeCli(), 'TeamStack', { env: { account: '111122223333', region: 'eu-west-1' } });
  const registry = ModelRegistry.fromModelPackageGroupName(stack, 'Existing', 'Team-Churn-Models');
  const publisher = new iam.Role(stack, 'Publisher', { assumedBy: new iam.ServicePrincipal('sagemaker.amazonaws.com') });
  registry.grantRegister(publisher);
  registry.onStateChange('Approved', { approvalStatuses: [ModelApprovalStatus.APPROVED] });
  const template = Template.fromStack(stack);

  test('creates no group, and names the existing one by its lower-cased ARN as SageMaker does', () => {
    template.resourceCountIs('AWS::SageMaker::ModelPackageGroup', 0);
    expect(stack.resolve(registry.modelPackageGroupArn)).toBe('arn:aws:sagemaker:eu-west-1:111122223333:model-package-group/team-churn-models');
  });

  test('grantRegister allows creating versions of that group only', () => {
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: [
          {
            Action: ['sagemaker:AddTags', 'sagemaker:CreateModelPackage', 'sagemaker:DescribeModelPackage'],
            Effect: 'Allow',
            Resource: [
              'arn:aws:sagemaker:eu-west-1:111122223333:model-package-group/team-churn-models',
              'arn:aws:sagemaker:eu-west-1:111122223333:model-package/team-churn-models/*',
            ],
          },
        ],
      },
    });
  });

  test('matches state changes by the name as given', () => {
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: { detail: { ModelPackageGroupName: ['Team-Churn-Models'], ModelApprovalStatus: ['Approved'] } },
    });
  });

  test('refuses a name SageMaker would refuse', () => {
    expect(() => ModelRegistry.fromModelPackageGroupName(stack, 'Bad', 'team_churn')).toThrow(
      'ModelRegistry.fromModelPackageGroupName: modelPackageGroupName "team_churn" is invalid: use 1-63 letters, digits and hyphens',
    );
  });
});
