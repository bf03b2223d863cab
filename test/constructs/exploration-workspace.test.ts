import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import { ExplorationWorkspace, ExplorationWorkspaceProps, MlopsStorage } from '../../constructs';
import { STUDIO_CLEANUP_PROPERTIES } from '../../lambda/studio-cleanup/properties';
import { complianceChecks } from '../../lib/mlops-app';
import { appLikeCli } from '../helpers/app';

const PIPELINE_ARN = 'arn:aws:sagemaker:eu-west-1:111122223333:pipeline/churn-dev-pipeline';
const SUBNETS = ['subnet-0123456789abcdef0', 'subnet-0123456789abcdef1'];

/** A workspace in a VPC imported from IDs, as the stage config passes it (no lookup at synth). */
function synth(props: Partial<ExplorationWorkspaceProps> = {}) {
  const stack = new Stack(appLikeCli(), 'ExplorationStack', { env: { account: '111122223333', region: 'eu-west-1' } });
  const storage = new MlopsStorage(stack, 'Storage', { removalPolicy: RemovalPolicy.DESTROY, autoDeleteObjects: true });
  const vpc = ec2.Vpc.fromVpcAttributes(stack, 'Vpc', { vpcId: 'vpc-0123456789abcdef0', availabilityZones: ['eu-west-1a', 'eu-west-1b'] });
  const workspace = new ExplorationWorkspace(stack, 'Workspace', {
    vpc,
    subnetIds: SUBNETS,
    encryptionKey: storage.encryptionKey,
    dataBucket: storage.dataBucket,
    pipeline: { pipelineName: 'churn-dev-pipeline', pipelineArn: PIPELINE_ARN },
    userProfiles: ['alice', 'bob'],
    idleTimeout: Duration.hours(2),
    removalPolicy: RemovalPolicy.DESTROY,
    ...props,
  });
  const id = (construct: { node: { defaultChild?: unknown } }) => stack.getLogicalId(construct.node.defaultChild as never);
  return { stack, storage, workspace, template: Template.fromStack(stack), id };
}

/** Findings of every compliance pack that are not acknowledged, as "rule at resource path". */
function unacknowledgedFindings(stack: Stack): string[] {
  return complianceChecks(appLikeCli()).flatMap((pack) =>
    pack.validateScope(stack).violations.flatMap((violation) =>
      // cdk-nag reports the construct path, which the core type does not declare.
      violation.violatingResources.map((resource) => `${violation.ruleName} at ${(resource as { constructPath?: string }).constructPath}`),
    ),
  );
}

/** The statements of the role's policies. */
function statementsOf(template: Template, roleId: string): any[] {
  return Object.values(template.findResources('AWS::IAM::Policy'))
    .filter((policy) => JSON.stringify(policy.Properties.Roles).includes(roleId))
    .flatMap((policy) => policy.Properties.PolicyDocument.Statement);
}

function allowing(statements: any[], action: string): any[] {
  return statements.filter((statement) => statement.Effect === 'Allow' && [statement.Action].flat().includes(action));
}

describe('ExplorationWorkspace', () => {
  const { stack, storage, workspace, template, id } = synth();
  const domainId = id(workspace);
  const roleId = id(workspace.executionRole);
  const statements = statementsOf(template, roleId);

  test('has zero unacknowledged AwsSolutions, NIST 800-53 rev5 and HIPAA findings', () => {
    expect(unacknowledgedFindings(stack)).toEqual([]);
  });

  test('is a VPC-only, IAM-authenticated domain in the given VPC and subnets, its home EFS encrypted with the key', () => {
    template.hasResourceProperties('AWS::SageMaker::Domain', {
      AppNetworkAccessType: 'VpcOnly',
      AuthMode: 'IAM',
      VpcId: 'vpc-0123456789abcdef0',
      SubnetIds: SUBNETS,
      KmsKeyId: { 'Fn::GetAtt': [id(storage.encryptionKey), 'Arn'] },
      DefaultUserSettings: Match.objectLike({
        ExecutionRole: { 'Fn::GetAtt': [roleId, 'Arn'] },
        SecurityGroups: [{ 'Fn::GetAtt': [id(workspace.securityGroups[0] as ec2.SecurityGroup), 'GroupId'] }],
        SharingSettings: { NotebookOutputOption: 'Disabled' },
      }),
      DefaultSpaceSettings: Match.objectLike({ ExecutionRole: { 'Fn::GetAtt': [roleId, 'Arn'] } }),
    });
  });

  test('shuts JupyterLab and Code Editor apps down after the idle timeout, which users cannot lengthen', () => {
    const idleSettings = { LifecycleManagement: 'ENABLED', IdleTimeoutInMinutes: 120, MinIdleTimeoutInMinutes: 60, MaxIdleTimeoutInMinutes: 120 };
    const idle = { AppLifecycleManagement: { IdleSettings: idleSettings } };
    template.hasResourceProperties('AWS::SageMaker::Domain', {
      DefaultUserSettings: Match.objectLike({ JupyterLabAppSettings: idle, CodeEditorAppSettings: idle }),
      DefaultSpaceSettings: Match.objectLike({ JupyterLabAppSettings: idle }),
    });
  });

  test('creates one user profile per name in the domain', () => {
    template.resourceCountIs('AWS::SageMaker::UserProfile', 2);
    for (const name of ['alice', 'bob']) {
      template.hasResourceProperties('AWS::SageMaker::UserProfile', { UserProfileName: name, DomainId: { 'Fn::GetAtt': [domainId, 'DomainId'] } });
    }
  });

  test('creates a security group that admits nothing from outside and sends only HTTPS out', () => {
    const groupId = id(workspace.securityGroups[0] as ec2.SecurityGroup);
    const group = template.toJSON().Resources[groupId].Properties;
    expect(group.SecurityGroupIngress).toBeUndefined();
    expect(group.SecurityGroupEgress).toEqual([expect.objectContaining({ CidrIp: '0.0.0.0/0', IpProtocol: 'tcp', FromPort: 443, ToPort: 443 })]);
    // The only ingress: apps of the same group, on Studio's inter-app ports.
    expect(Object.values(template.findResources('AWS::EC2::SecurityGroupIngress')).map((rule) => rule.Properties)).toEqual([
      expect.objectContaining({ SourceSecurityGroupId: { 'Fn::GetAtt': [groupId, 'GroupId'] }, FromPort: 8192, ToPort: 65535 }),
    ]);
  });

  test('lets the users start and follow the pipeline', () => {
    expect(allowing(statements, 'sagemaker:StartPipelineExecution').flatMap((statement) => [statement.Resource].flat())).toEqual([PIPELINE_ARN]);
    for (const action of ['sagemaker:DescribePipeline', 'sagemaker:ListPipelineExecutions']) {
      expect(allowing(statements, action).flatMap((statement) => [statement.Resource].flat())).toEqual([PIPELINE_ARN]);
    }
    for (const action of ['sagemaker:DescribePipelineExecution', 'sagemaker:ListPipelineExecutionSteps']) {
      expect(allowing(statements, action).flatMap((statement) => [statement.Resource].flat())).toEqual([`${PIPELINE_ARN}/execution/*`]);
    }
  });

  test('lets the users read the data bucket and decrypt with its key, and write nothing to it', () => {
    const bucketId = id(storage.dataBucket);
    const read = allowing(statements, 's3:GetObject*');
    expect(read.flatMap((statement) => [statement.Resource].flat())).toEqual(
      expect.arrayContaining([{ 'Fn::GetAtt': [bucketId, 'Arn'] }, { 'Fn::Join': ['', [{ 'Fn::GetAtt': [bucketId, 'Arn'] }, '/*']] }]),
    );
    expect(allowing(statements, 'kms:Decrypt').flatMap((statement) => [statement.Resource].flat())).toEqual([{ 'Fn::GetAtt': [id(storage.encryptionKey), 'Arn'] }]);
    expect(statements.filter((statement) => [statement.Action].flat().some((action: string) => /^s3:(Put|Delete)/.test(action)))).toEqual([]);
  });

  test('denies approving models: an explicit Deny of UpdateModelPackage, and no Allow of it', () => {
    expect(statements).toContainEqual({ Effect: 'Deny', Action: 'sagemaker:UpdateModelPackage', Resource: '*' });
    expect(allowing(statements, 'sagemaker:UpdateModelPackage')).toEqual([]);
    expect(statements.filter((statement) => statement.Effect === 'Allow' && [statement.Action].flat().some((action: string) => action.includes('*') && action.startsWith('sagemaker:')))).toEqual([]);
  });

  test('lets users manage only spaces they own in this domain', () => {
    const [createSpace] = allowing(statements, 'sagemaker:CreateSpace');
    expect(createSpace.Resource).toEqual({ 'Fn::Join': ['', ['arn:aws:sagemaker:eu-west-1:111122223333:space/', { 'Fn::GetAtt': [domainId, 'DomainId'] }, '/*']] });
    expect(createSpace.Condition.ArnLike['sagemaker:OwnerUserProfileArn']).toEqual({
      'Fn::Join': ['', ['arn:aws:sagemaker:eu-west-1:111122223333:user-profile/', { 'Fn::GetAtt': [domainId, 'DomainId'] }, '/${sagemaker:UserProfileName}']],
    });
  });

  test('runs without managed policies (no AmazonSageMakerFullAccess)', () => {
    expect(template.toJSON().Resources[roleId].Properties.ManagedPolicyArns).toBeUndefined();
  });

  test('deletes the clean-up custom resource before the user profiles and the domain', () => {
    const cleanups = template.findResources('Custom::StudioCleanup');
    expect(Object.values(cleanups)).toEqual([
      expect.objectContaining({
        Properties: expect.objectContaining({ [STUDIO_CLEANUP_PROPERTIES.DOMAIN_ID]: { 'Fn::GetAtt': [domainId, 'DomainId'] }, [STUDIO_CLEANUP_PROPERTIES.REMOVAL_POLICY]: 'destroy' }),
      }),
    ]);
    // CloudFormation deletes in reverse dependency order: what the clean-up depends on goes after it.
    const profiles = Object.values(workspace.userProfiles).map((profile) => stack.getLogicalId(profile));
    expect(Object.values(cleanups)[0].DependsOn).toEqual(expect.arrayContaining([domainId, ...profiles]));
    expect(template.toJSON().Resources[domainId].DeletionPolicy).toBe('Delete');
  });

  test('lets the clean-up delete only what is in this domain, and the domain', () => {
    const cleanupStatements = statementsOf(template, id(workspace.cleanupFunction.role));
    const domainArn = { 'Fn::GetAtt': [domainId, 'DomainArn'] };
    expect(allowing(cleanupStatements, 'sagemaker:DeleteDomain').map((statement) => statement.Resource)).toEqual([domainArn]);
    for (const [action, type] of [['sagemaker:DeleteApp', 'app'], ['sagemaker:DeleteSpace', 'space'], ['sagemaker:DeleteUserProfile', 'user-profile']]) {
      expect(allowing(cleanupStatements, action).map((statement) => statement.Resource)).toEqual([
        { 'Fn::Join': ['', [`arn:aws:sagemaker:eu-west-1:111122223333:${type}/`, { 'Fn::GetAtt': [domainId, 'DomainId'] }, '/*']] },
      ]);
    }
  });

  test('runs the clean-up like the other clean-ups: dead-letter queue, log retention, KMS', () => {
    const functionId = id(workspace.cleanupFunction.function);
    const fn = template.toJSON().Resources[functionId];
    expect(fn.Properties).toMatchObject({
      DeadLetterConfig: { TargetArn: { 'Fn::GetAtt': [id(workspace.cleanupFunction.deadLetterQueue), 'Arn'] } },
      Timeout: 840,
    });
    template.hasResourceProperties('AWS::Logs::LogGroup', { KmsKeyId: { 'Fn::GetAtt': [id(storage.encryptionKey), 'Arn'] }, RetentionInDays: 365 });
    expect(fn.Metadata).toMatchObject({ 'cdk-mlops:handler': 'studio-cleanup' });
  });
});

test('reports a wildcard the workspace did not grant itself: the acknowledgements name each resource', () => {
  // GIVEN a workspace whose role someone gives every object of another bucket
  const { stack, workspace } = synth();
  workspace.executionRole.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['s3:GetObject'], resources: ['arn:aws:s3:::other-bucket/*'] }));
  // THEN
  expect(unacknowledgedFindings(stack)).toEqual([
    'AwsSolutions-IAM5[Resource::arn:aws:s3:::other-bucket/*] at ExplorationStack/Workspace/ExecutionRole/DefaultPolicy/Resource',
  ]);
});

describe('ExplorationWorkspace retained', () => {
  const { stack, workspace, template, id } = synth({ removalPolicy: undefined });

  test('keeps the domain, its profiles and its role, and its clean-up removes nothing (so no delete permission)', () => {
    expect(template.toJSON().Resources[id(workspace)].DeletionPolicy).toBe('Retain');
    for (const profile of Object.values(workspace.userProfiles)) expect(template.toJSON().Resources[stack.getLogicalId(profile)].DeletionPolicy).toBe('Retain');
    expect(template.toJSON().Resources[id(workspace.executionRole)].DeletionPolicy).toBe('Retain');
    // Present all the same, so switching the stage to retain updates the custom resource instead of deleting it.
    template.hasResourceProperties('Custom::StudioCleanup', { [STUDIO_CLEANUP_PROPERTIES.REMOVAL_POLICY]: 'retain' });
    const cleanupActions = statementsOf(template, id(workspace.cleanupFunction.role)).flatMap((statement) => [statement.Action].flat());
    expect(cleanupActions.filter((action: string) => action.startsWith('sagemaker:'))).toEqual([]);
  });
});

test('has zero unacknowledged findings when retained and given its security group', () => {
  // GIVEN a group the team manages
  const stack = new Stack(appLikeCli(), 'GivenGroupStack', { env: { account: '111122223333', region: 'eu-west-1' } });
  const storage = new MlopsStorage(stack, 'Storage');
  const vpc = ec2.Vpc.fromVpcAttributes(stack, 'Vpc', { vpcId: 'vpc-0123456789abcdef0', availabilityZones: ['eu-west-1a'] });
  const group = ec2.SecurityGroup.fromSecurityGroupId(stack, 'Group', 'sg-0123456789abcdef0');
  // WHEN
  new ExplorationWorkspace(stack, 'Workspace', {
    vpc,
    subnetIds: [SUBNETS[0]],
    securityGroups: [group],
    encryptionKey: storage.encryptionKey,
    dataBucket: storage.dataBucket,
    pipeline: { pipelineName: 'churn-dev-pipeline', pipelineArn: PIPELINE_ARN },
    userProfiles: ['alice'],
  });
  // THEN
  const template = Template.fromStack(stack);
  template.resourceCountIs('AWS::EC2::SecurityGroup', 0);
  template.hasResourceProperties('AWS::SageMaker::Domain', { DefaultUserSettings: Match.objectLike({ SecurityGroups: ['sg-0123456789abcdef0'] }) });
  expect(unacknowledgedFindings(stack)).toEqual([]);
});

test('fails when the subnets, profile names, idle timeout and domain name are invalid, naming each', () => {
  expect(() =>
    synth({
      subnetIds: [],
      userProfiles: ['alice', 'data_scientist', 'Alice'],
      idleTimeout: Duration.minutes(30),
      domainName: '-studio',
    }),
  ).toThrow(
    /^ExplorationWorkspace: subnetIds has 0 subnets: name 1-16 private subnets of the VPC; userProfiles\[1\] "data_scientist" is invalid: use 1-63 letters, digits and hyphens.*; userProfiles lists "alice", "Alice": each must be unique \(ignoring case\); idleTimeout is 30 minutes: use whole minutes from 60 to 525600 \(365 days\); domainName "-studio" is invalid/,
  );
});

test('fails when a subnet ID is not one, or is listed twice', () => {
  expect(() => synth({ subnetIds: ['subnet-0123456789abcdef0', 'sub-1', 'subnet-0123456789abcdef0'] })).toThrow(
    /subnetIds\[1\] "sub-1" is invalid: expected a subnet ID such as subnet-0123456789abcdef0; subnetIds lists "subnet-0123456789abcdef0", "subnet-0123456789abcdef0": each must be unique/,
  );
});

test('fails when given no security group, or more than SageMaker takes', () => {
  expect(() => synth({ securityGroups: [] })).toThrow(/securityGroups has 0 groups: give 1-4 \(SageMaker adds one for NFS\), or none to have one created/);
});
