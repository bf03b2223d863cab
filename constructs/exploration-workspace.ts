import { ArnFormat, CfnResource, CustomResource, Duration, Names, RemovalPolicy, Stack, Token } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sagemaker from 'aws-cdk-lib/aws-sagemaker';
import { Construct } from 'constructs';
import { STUDIO_CLEANUP_PROPERTIES, STUDIO_REMOVAL_POLICIES } from '../lambda/studio-cleanup/properties';
import { sageMakerNameProblem } from './naming';
import { acknowledgeGrantActions, acknowledgeInlinePolicy, acknowledgeWildcardResource } from './private/nag-acknowledgements';
import { sageMakerArn } from './private/sagemaker-iam';
import { SecureFunction } from './secure-function';

/** The pipeline the workspace's users may run: a `TrainingPipeline`, or any with a name and ARN. */
export interface ExplorationPipeline {
  readonly pipelineName: string;
  readonly pipelineArn: string;
}

/** Properties of {@link ExplorationWorkspace}. */
export interface ExplorationWorkspaceProps {
  /**
   * The VPC Studio runs in. Nothing is looked up at synth: pass a VPC of the app, or import one
   * from the stage's IDs with `ec2.Vpc.fromVpcAttributes(scope, 'Vpc', { vpcId, availabilityZones })`.
   */
  readonly vpc: ec2.IVpc;

  /**
   * Private subnets of `vpc` for the apps and the home EFS file system (1-16 subnet IDs; VPC-only
   * mode takes no public subnet). Each app takes an address; SageMaker suggests 2-4 per user.
   */
  readonly subnetIds: string[];

  /**
   * Security groups of the apps (at most 4: SageMaker adds one for NFS to the home file system).
   * @default - one is created that lets the apps reach each other on TCP 8192-65535 and anything
   * on HTTPS (the VPC's endpoints, or a NAT gateway where the VPC has one), and admits nothing else
   */
  readonly securityGroups?: ec2.ISecurityGroup[];

  /** Key that encrypts the domain's home EFS file system and the clean-up function's logs and queue. */
  readonly encryptionKey: kms.IKey;

  /** Bucket the users read data from (with its KMS key, when the bucket has one). */
  readonly dataBucket: s3.IBucket;

  /** Pipeline the users may start and follow. */
  readonly pipeline: ExplorationPipeline;

  /** Names of the user profiles to create: 1-63 letters, digits and hyphens each, no two alike. */
  readonly userProfiles: string[];

  /**
   * How long a JupyterLab or Code Editor app may sit idle before SageMaker shuts it down (60 minutes
   * to 365 days, whole minutes); users may choose a shorter time, never a longer one.
   * @default Duration.hours(1)
   */
  readonly idleTimeout?: Duration;

  /**
   * Name of the domain: 1-63 letters, digits and hyphens.
   * @default - generated from the construct path
   */
  readonly domainName?: string;

  /**
   * What happens to the domain, its user profiles and its home EFS file system when they leave the
   * stack. DESTROY deletes the apps and spaces users created, the profiles, the domain and its EFS;
   * RETAIN keeps all of them.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;

  /**
   * Retention of the clean-up function's logs.
   * @default logs.RetentionDays.ONE_YEAR
   */
  readonly logRetention?: logs.RetentionDays;
}

/** SageMaker accepts idle timeouts of 60-525600 minutes (AWS::SageMaker::Domain IdleSettings). */
const IDLE_TIMEOUT_MINUTES = { min: 60, max: 525_600 } as const;
/** UserSettings.SecurityGroups takes 5, one of which SageMaker keeps for NFS to the home EFS. */
const MAX_SECURITY_GROUPS = 4;
const MAX_SUBNETS = 16;
const SUBNET_ID_PATTERN = /^subnet-[0-9a-f]{8,17}$/;

/**
 * An optional SageMaker Studio domain for exploring the data: VPC-only (no traffic leaves through
 * SageMaker's network), IAM authentication, its home EFS file system encrypted with the workload's
 * key, one user profile per name, JupyterLab and Code Editor apps shut down when idle, and one
 * execution role that reads the data bucket and starts the pipeline but cannot approve models.
 *
 * Under `RemovalPolicy.DESTROY` a clean-up custom resource, deleted before the profiles and the
 * domain, removes what users created (apps, spaces), the profiles, and the domain with its home EFS
 * file system: running apps and spaces block the deletion of a domain, and CloudFormation alone
 * leaves the EFS behind.
 */
export class ExplorationWorkspace extends Construct {
  /**
   * The domain ID, such as `d-abc123def456`.
   * @attribute
   */
  public readonly domainId: string;
  /** @attribute */
  public readonly domainArn: string;
  public readonly domainName: string;
  /** The role the users' apps and spaces run as. */
  public readonly executionRole: iam.Role;
  /** The security groups of the apps. */
  public readonly securityGroups: ec2.ISecurityGroup[];
  /** The user profiles, by name. */
  public readonly userProfiles: Record<string, sagemaker.CfnUserProfile>;
  /** The function behind the clean-up custom resource. */
  public readonly cleanupFunction: SecureFunction;

  constructor(scope: Construct, id: string, props: ExplorationWorkspaceProps) {
    super(scope, id);
    validateProps(props);
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    this.domainName = props.domainName ?? Names.uniqueResourceName(this, { maxLength: 63, separator: '-' });

    this.securityGroups = props.securityGroups ?? [this.createSecurityGroup(props.vpc, removalPolicy)];
    const securityGroupIds = this.securityGroups.map((group) => group.securityGroupId);

    this.executionRole = new iam.Role(this, 'ExecutionRole', {
      assumedBy: new iam.ServicePrincipal('sagemaker.amazonaws.com'),
      description: `Runs the Studio apps and spaces of domain ${this.domainName}`,
    });

    // IdleSettings of AWS::SageMaker::Domain (names checked against aws-cdk-lib's CfnDomain and
    // https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-properties-sagemaker-domain-idlesettings.html).
    const idleMinutes = (props.idleTimeout ?? Duration.hours(1)).toMinutes();
    const appLifecycleManagement: sagemaker.CfnDomain.AppLifecycleManagementProperty = {
      idleSettings: {
        lifecycleManagement: 'ENABLED',
        idleTimeoutInMinutes: idleMinutes,
        minIdleTimeoutInMinutes: IDLE_TIMEOUT_MINUTES.min,
        maxIdleTimeoutInMinutes: idleMinutes,
      },
    };
    const domain = new sagemaker.CfnDomain(this, 'Resource', {
      domainName: this.domainName,
      authMode: 'IAM',
      // All app traffic goes through the given subnets; none through SageMaker's internet access.
      appNetworkAccessType: 'VpcOnly',
      vpcId: props.vpc.vpcId,
      subnetIds: props.subnetIds,
      kmsKeyId: props.encryptionKey.keyArn,
      defaultUserSettings: {
        executionRole: this.executionRole.roleArn,
        securityGroups: securityGroupIds,
        jupyterLabAppSettings: { appLifecycleManagement },
        codeEditorAppSettings: { appLifecycleManagement },
        // Notebooks are not shared through an S3 copy outside the data bucket's controls.
        sharingSettings: { notebookOutputOption: 'Disabled' },
      },
      defaultSpaceSettings: {
        executionRole: this.executionRole.roleArn,
        securityGroups: securityGroupIds,
        jupyterLabAppSettings: { appLifecycleManagement },
      },
    });
    domain.applyRemovalPolicy(removalPolicy);
    this.domainId = domain.attrDomainId;
    this.domainArn = domain.attrDomainArn;

    this.userProfiles = Object.fromEntries(
      props.userProfiles.map((name) => {
        const profile = new sagemaker.CfnUserProfile(this, `UserProfile-${name}`, { domainId: this.domainId, userProfileName: name });
        profile.applyRemovalPolicy(removalPolicy);
        return [name, profile];
      }),
    );

    this.grantExecutionRole(props);
    // A retained domain keeps the role its apps run as, and the role's policy, so it still works.
    for (const resource of [this.executionRole.node.defaultChild, this.executionRole.node.tryFindChild('DefaultPolicy')?.node.defaultChild]) {
      (resource as CfnResource | undefined)?.applyRemovalPolicy(removalPolicy);
    }

    this.cleanupFunction = new SecureFunction(this, 'CleanupFunction', {
      handlerFolder: 'studio-cleanup',
      description: `Removes the apps, spaces, user profiles and home EFS file system of Studio domain ${this.domainName} when the stack deletes it`,
      environment: {},
      encryptionKey: props.encryptionKey,
      logRetention: props.logRetention ?? logs.RetentionDays.ONE_YEAR,
      removalPolicy,
      // Apps, spaces, profiles and the domain each take minutes to delete; the handler waits up to this long.
      timeout: Duration.minutes(14),
    });
    const destroys = removalPolicy === RemovalPolicy.DESTROY;
    if (destroys) this.grantCleanup();
    // Present under both policies, so switching a stage to RETAIN updates it instead of deleting it
    // (which would remove the domain the stage now keeps).
    const cleanup = new CustomResource(this, 'Cleanup', {
      serviceToken: this.cleanupFunction.function.functionArn,
      resourceType: 'Custom::StudioCleanup',
      properties: {
        [STUDIO_CLEANUP_PROPERTIES.DOMAIN_ID]: this.domainId,
        [STUDIO_CLEANUP_PROPERTIES.REMOVAL_POLICY]: destroys ? STUDIO_REMOVAL_POLICIES.DESTROY : STUDIO_REMOVAL_POLICIES.RETAIN,
      },
    });
    // Depending on them, it is deleted first: it empties the domain before CloudFormation deletes it.
    cleanup.node.addDependency(domain, ...Object.values(this.userProfiles));
  }

  /** Apps reach each other inside the group; HTTPS out reaches the AWS APIs. */
  private createSecurityGroup(vpc: ec2.IVpc, removalPolicy: RemovalPolicy): ec2.SecurityGroup {
    const group = new ec2.SecurityGroup(this, 'SecurityGroup', {
      vpc,
      description: 'Studio apps: each other on TCP 8192-65535, AWS APIs on HTTPS',
      allowAllOutbound: false,
    });
    // "TCP traffic within the security group ... at least ports in the range 8192-65535"
    // (https://docs.aws.amazon.com/sagemaker/latest/dg/studio-updated-and-internet-access.html).
    // NFS to the home EFS needs no rule here: SageMaker adds its own inbound and outbound NFS groups.
    group.connections.allowInternally(ec2.Port.tcpRange(8192, 65535), 'Studio apps of this domain');
    // In VPC-only mode the APIs are reached through interface endpoints in the VPC and S3 through a
    // gateway endpoint, whose addresses lie outside the VPC's range: so HTTPS to any address, which
    // reaches only what the VPC routes (no internet unless the VPC has a NAT gateway).
    group.addEgressRule(ec2.Peer.anyIpv4(), ec2.Port.tcp(443), 'AWS APIs over TLS (VPC endpoints)');
    // A retained domain keeps the group (and its rules) its apps start in.
    for (const resource of group.node.findAll().filter(CfnResource.isCfnResource)) resource.applyRemovalPolicy(removalPolicy);
    return group;
  }

  /**
   * Studio itself (the spaces and apps of the user's own profile, after
   * https://docs.aws.amazon.com/sagemaker/latest/dg/studio-updated-jl-admin-guide-permissions.html,
   * narrowed to this domain), reading the data, running the pipeline; never approving a model.
   */
  private grantExecutionRole(props: ExplorationWorkspaceProps): void {
    const role = this.executionRole;
    const allow = (actions: string[], resources: string[], conditions?: Record<string, unknown>) =>
      role.addToPrincipalPolicy(new iam.PolicyStatement({ actions, resources, conditions }));
    const [apps, spaces, profiles] = ['app', 'space', 'user-profile'].map((type) => sageMakerArn(this, type, `${this.domainId}/*`));
    const ownProfile = sageMakerArn(this, 'user-profile', `${this.domainId}/\${sagemaker:UserProfileName}`);

    allow(['sagemaker:ListApps', 'sagemaker:ListSpaces', 'sagemaker:ListUserProfiles', 'sagemaker:ListDomains'], ['*']);
    allow(['sagemaker:DescribeDomain', 'sagemaker:DescribeUserProfile', 'sagemaker:DescribeSpace', 'sagemaker:DescribeApp'], [this.domainArn, profiles, spaces, apps]);
    allow(['sagemaker:CreateSpace', 'sagemaker:UpdateSpace', 'sagemaker:DeleteSpace'], [spaces], {
      ArnLike: { 'sagemaker:OwnerUserProfileArn': ownProfile },
      StringEquals: { 'sagemaker:SpaceSharingType': ['Private', 'Shared'] },
    });
    allow(['sagemaker:CreateApp', 'sagemaker:DeleteApp'], [apps], {
      ArnLike: { 'sagemaker:OwnerUserProfileArn': ownProfile },
      StringEquals: { 'sagemaker:SpaceSharingType': ['Private'] },
    });
    // Apps of shared spaces, which have no owner.
    allow(['sagemaker:CreateApp', 'sagemaker:DeleteApp'], [apps], { Null: { 'sagemaker:OwnerUserProfileArn': 'true' } });
    // Studio tags what it creates; tagging is allowed only as part of those creations.
    allow(['sagemaker:AddTags'], [spaces, apps], { Null: { 'sagemaker:TaggingAction': 'false' } });
    const studioLogs = Stack.of(this).formatArn({ service: 'logs', resource: 'log-group', resourceName: '/aws/sagemaker/studio:*', arnFormat: ArnFormat.COLON_RESOURCE_NAME });
    allow(['logs:CreateLogGroup', 'logs:CreateLogStream', 'logs:PutLogEvents'], [studioLogs]);

    const executions = `${props.pipeline.pipelineArn}/execution/*`;
    allow(['sagemaker:StartPipelineExecution', 'sagemaker:DescribePipeline', 'sagemaker:ListPipelineExecutions'], [props.pipeline.pipelineArn]);
    allow(
      ['sagemaker:DescribePipelineExecution', 'sagemaker:DescribePipelineDefinitionForExecution', 'sagemaker:ListPipelineExecutionSteps', 'sagemaker:ListPipelineParametersForExecution'],
      [executions],
    );
    props.dataBucket.grantRead(role);
    // The domain's storage is encrypted with its key: SageMaker creates the key grants with the
    // permissions of the caller that creates a space or app, which in Studio is this role. Grants
    // for AWS resources only, so the role cannot hand the key to anyone.
    allow(['kms:DescribeKey'], [props.encryptionKey.keyArn]);
    allow(['kms:CreateGrant'], [props.encryptionKey.keyArn], { Bool: { 'kms:GrantIsForAWSResource': true } });
    // Approving (or rejecting) a model version is UpdateModelPackage: denied whatever else the role is given.
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({ effect: iam.Effect.DENY, actions: ['sagemaker:UpdateModelPackage'], resources: ['*'] }),
    );

    const policy = role.node.findChild('DefaultPolicy');
    acknowledgeGrantActions(policy, ['s3:GetObject*', 's3:GetBucket*', 's3:List*']);
    acknowledgeInlinePolicy(policy, `the Studio resources of domain ${this.domainName}, the data bucket and the pipeline`);
    const reasons: [string, string][] = [
      ['*', 'The List actions of Studio (apps, spaces, profiles, domains) have no resource-level permissions; the one * Deny only narrows.'],
      [apps, 'Studio names apps after the space or profile, type and app name chosen in Studio; the conditions limit them to the user\'s own or shared spaces of this domain.'],
      [spaces, 'Users name their spaces in Studio; the conditions limit them to spaces the user owns in this domain.'],
      [profiles, 'Studio describes the profiles of this domain only.'],
      [studioLogs, 'Studio apps write to the /aws/sagemaker/studio log group with generated stream names.'],
      [executions, 'Pipeline executions get generated IDs; only executions of this one pipeline.'],
      [props.dataBucket.arnForObjects('*'), 'Exploration reads any object of the data bucket, read-only.'],
    ];
    for (const [resource, reason] of reasons) acknowledgeWildcardResource(policy, resource, reason);
  }

  /** Lists and deletes what is in the domain, then the domain: only this domain's resources. */
  private grantCleanup(): void {
    const role = this.cleanupFunction.role;
    const [apps, spaces, profiles] = ['app', 'space', 'user-profile'].map((type) => sageMakerArn(this, type, `${this.domainId}/*`));
    const allow = (actions: string[], resources: string[]) => role.addToPrincipalPolicy(new iam.PolicyStatement({ actions, resources }));
    allow(['sagemaker:ListApps', 'sagemaker:ListSpaces', 'sagemaker:ListUserProfiles'], ['*']);
    allow(['sagemaker:DescribeDomain', 'sagemaker:DeleteDomain'], [this.domainArn]);
    allow(['sagemaker:DeleteApp'], [apps]);
    allow(['sagemaker:DeleteSpace'], [spaces]);
    allow(['sagemaker:DeleteUserProfile'], [profiles]);
    const policy = role.node.findChild('DefaultPolicy');
    acknowledgeWildcardResource(policy, apps, 'The clean-up deletes every app users started in this domain, whatever its name.');
    acknowledgeWildcardResource(policy, spaces, 'The clean-up deletes every space users created in this domain, whatever its name.');
    acknowledgeWildcardResource(policy, profiles, 'The clean-up deletes every user profile of this domain, also those added outside the stack.');
  }
}

function validateProps(props: ExplorationWorkspaceProps): void {
  const problems: string[] = [];
  if (!Token.isUnresolved(props.subnetIds)) {
    if (props.subnetIds.length === 0 || props.subnetIds.length > MAX_SUBNETS) {
      problems.push(`subnetIds has ${props.subnetIds.length} subnets: name 1-${MAX_SUBNETS} private subnets of the VPC`);
    }
    props.subnetIds.forEach((subnetId, index) => {
      if (!Token.isUnresolved(subnetId) && !SUBNET_ID_PATTERN.test(subnetId)) {
        problems.push(`subnetIds[${index}] "${subnetId}" is invalid: expected a subnet ID such as subnet-0123456789abcdef0`);
      }
    });
    problems.push(...duplicates('subnetIds', props.subnetIds, (subnetId) => subnetId));
  }
  props.userProfiles.forEach((name, index) => {
    const problem = Token.isUnresolved(name) ? undefined : sageMakerNameProblem(name);
    if (problem) problems.push(`userProfiles[${index}] "${name}" is invalid: ${problem}`);
  });
  // SageMaker lower-cases names in ARNs: two names differing in case would share one.
  problems.push(...duplicates('userProfiles', props.userProfiles, (name) => name.toLowerCase(), ' (ignoring case)'));
  if (props.idleTimeout) {
    const minutes = props.idleTimeout.toMinutes({ integral: false });
    if (!Number.isInteger(minutes) || minutes < IDLE_TIMEOUT_MINUTES.min || minutes > IDLE_TIMEOUT_MINUTES.max) {
      problems.push(`idleTimeout is ${props.idleTimeout.toHumanString()}: use whole minutes from ${IDLE_TIMEOUT_MINUTES.min} to ${IDLE_TIMEOUT_MINUTES.max} (365 days)`);
    }
  }
  if (props.domainName !== undefined && !Token.isUnresolved(props.domainName)) {
    const problem = sageMakerNameProblem(props.domainName);
    if (problem) problems.push(`domainName "${props.domainName}" is invalid: ${problem}`);
  }
  if (props.securityGroups && (props.securityGroups.length === 0 || props.securityGroups.length > MAX_SECURITY_GROUPS)) {
    problems.push(`securityGroups has ${props.securityGroups.length} groups: give 1-${MAX_SECURITY_GROUPS} (SageMaker adds one for NFS), or none to have one created`);
  }
  if (problems.length > 0) throw new Error(`ExplorationWorkspace: ${problems.join('; ')}`);
}

/** One problem per value listed more than once, compared by `key`. */
function duplicates(prop: string, values: readonly string[], key: (value: string) => string, note = ''): string[] {
  const byKey = new Map<string, string[]>();
  for (const value of values) if (!Token.isUnresolved(value)) byKey.set(key(value), [...(byKey.get(key(value)) ?? []), value]);
  return [...byKey.values()]
    .filter((same) => same.length > 1)
    .map((same) => `${prop} lists ${same.map((value) => `"${value}"`).join(', ')}: each must be unique${note}`);
}
