import { CustomResource, Duration, RemovalPolicy, Token } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sagemaker from 'aws-cdk-lib/aws-sagemaker';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct, IConstruct } from 'constructs';
import { sageMakerNameProblem } from './naming';
import { acknowledgeWildcardResource } from './private/nag-acknowledgements';
import { sageMakerArn } from './private/sagemaker-iam';
import { REGISTRY_CLEANUP_PROPERTIES } from '../lambda/registry-cleanup/properties';
import { encryptedDeadLetterQueue } from './private/dead-letter-queue';
import { logGroupTarget, topicTarget } from './private/event-targets';
import { grantLogsServiceKeyUse, SecureFunction } from './secure-function';

/** Approval states of a model package, as SageMaker names them. */
export enum ModelApprovalStatus {
  PENDING_MANUAL_APPROVAL = 'PendingManualApproval',
  APPROVED = 'Approved',
  REJECTED = 'Rejected',
}

/** Properties of {@link ModelRegistry}. */
export interface ModelRegistryProps {
  /** Name of the model package group: 1-63 letters, digits and hyphens. */
  readonly modelPackageGroupName: string;

  /**
   * Description of the model package group.
   * @default - none
   */
  readonly description?: string;

  /**
   * Key that encrypts the approval topic and the approval audit log.
   * @default - a KMS key is created with rotation enabled
   */
  readonly encryptionKey?: kms.IKey;

  /**
   * Email addresses told about each package waiting for approval.
   * @default - no subscriptions; subscribe to `approvalTopic` yourself
   */
  readonly approverEmails?: string[];

  /**
   * How long the audit log of approval decisions is kept.
   * @default logs.RetentionDays.ONE_YEAR
   */
  readonly auditLogRetention?: logs.RetentionDays;

  /**
   * What happens to the model package group and the audit log when they leave the stack.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
}

/** A model package group that pipelines register into and endpoints serve from. */
export interface IModelRegistry extends IConstruct {
  /** Name of the model package group. */
  readonly modelPackageGroupName: string;
  /** ARN of the model package group. */
  readonly modelPackageGroupArn: string;

  /** A rule matching state changes of this group's packages, optionally only some approval statuses. */
  onStateChange(id: string, options?: StateChangeOptions): events.Rule;
  /** Grants registering new package versions in this group (and describing and tagging them). */
  grantRegister(grantee: iam.IGrantable): iam.Grant;
  /** Grants approving and rejecting this group's packages, and reading them to decide. */
  grantApprove(grantee: iam.IGrantable): iam.Grant;
  /** Grants reading this group's packages (describe, list). */
  grantRead(grantee: iam.IGrantable): iam.Grant;
}

/** Options of {@link IModelRegistry.onStateChange}. */
export interface StateChangeOptions {
  /** @default - every approval status */
  readonly approvalStatuses?: ModelApprovalStatus[];
  /** @default - no target; add one to the returned rule */
  readonly target?: events.IRuleTarget;
  /** @default - none */
  readonly description?: string;
}

/** What a model registry offers, whether this stack created its group or imported it by name. */
abstract class ModelRegistryBase extends Construct implements IModelRegistry {
  private static readonly READ_ACTIONS = ['sagemaker:DescribeModelPackage', 'sagemaker:ListModelPackages', 'sagemaker:DescribeModelPackageGroup'];

  public abstract readonly modelPackageGroupName: string;
  public abstract readonly modelPackageGroupArn: string;

  public onStateChange(id: string, options: StateChangeOptions = {}): events.Rule {
    return new events.Rule(this, id, {
      description: options.description,
      eventPattern: {
        source: ['aws.sagemaker'],
        detailType: [ModelRegistry.STATE_CHANGE_DETAIL_TYPE],
        detail: {
          ModelPackageGroupName: [this.modelPackageGroupName],
          ...(options.approvalStatuses ? { ModelApprovalStatus: options.approvalStatuses } : {}),
        },
      },
      targets: options.target ? [options.target] : undefined,
    });
  }

  public grantRegister(grantee: iam.IGrantable): iam.Grant {
    return this.grantOnPackages(grantee, 'Package versions of this one group are created by pipeline runs; their numbers are not known in advance.', 'sagemaker:CreateModelPackage', 'sagemaker:DescribeModelPackage', 'sagemaker:AddTags');
  }

  public grantApprove(grantee: iam.IGrantable): iam.Grant {
    return this.grantOnPackages(grantee, 'Approving or rejecting any version of this one group.', 'sagemaker:UpdateModelPackage', ...ModelRegistryBase.READ_ACTIONS);
  }

  public grantRead(grantee: iam.IGrantable): iam.Grant {
    return this.grantOnPackages(grantee, 'Reading the versions of this one group, such as to find the newest approved one.', ...ModelRegistryBase.READ_ACTIONS);
  }

  /**
   * Grants `actions` on the group and every version in it (`model-package/<group>/*`), and
   * acknowledges that one wildcard on the grantee's own policy, where cdk-nag reports it.
   */
  private grantOnPackages(grantee: iam.IGrantable, reason: string, ...actions: string[]): iam.Grant {
    const packages = sageMakerArn(this, 'model-package', `${this.modelPackageGroupName}/*`);
    const grant = iam.Grant.addToPrincipal({ grantee, actions, resourceArns: [this.modelPackageGroupArn, packages] });
    const policy = grantee.grantPrincipal instanceof iam.Role ? grantee.grantPrincipal.node.tryFindChild('DefaultPolicy') : undefined;
    if (policy) acknowledgeWildcardResource(policy, packages, reason);
    return grant;
  }
}

/**
 * A SageMaker model package group with its approval workflow: approvers are told about each
 * pending package with the exact command that approves or rejects it, and every state change
 * (who, when, which version) is written to an audit log that outlives stack updates.
 */
export class ModelRegistry extends ModelRegistryBase {
  /** Source and detail type of the events the model registry emits. */
  public static readonly STATE_CHANGE_DETAIL_TYPE = 'SageMaker Model Package State Change';
  /**
   * A model package group that exists already, by name, such as one another stack or the console
   * created: pipelines can register into it and endpoints serve from it. Give the name exactly as
   * it was created: state-change events carry it so, and rules match it case-sensitively.
   */
  public static fromModelPackageGroupName(scope: Construct, id: string, modelPackageGroupName: string): IModelRegistry {
    const problem = Token.isUnresolved(modelPackageGroupName) ? undefined : sageMakerNameProblem(modelPackageGroupName);
    if (problem) throw new Error(`ModelRegistry.fromModelPackageGroupName: modelPackageGroupName "${modelPackageGroupName}" is invalid: ${problem}`);
    class Import extends ModelRegistryBase {
      public readonly modelPackageGroupName = modelPackageGroupName;
      public readonly modelPackageGroupArn = sageMakerArn(this, 'model-package-group', modelPackageGroupName);
    }
    return new Import(scope, id);
  }

  public readonly modelPackageGroupName: string;
  public readonly modelPackageGroupArn: string;
  /** Tells approvers about each package waiting for approval (KMS-encrypted). */
  public readonly approvalTopic: sns.Topic;
  /** Every state change of every package of the group, as received from EventBridge. */
  public readonly auditLog: logs.LogGroup;
  public readonly encryptionKey: kms.IKey;
  /** The function that empties the group when the stack deletes it (DESTROY only). */
  public readonly cleanupFunction?: SecureFunction;
  /** Events the approval notices and the audit log could not receive (alarm on its depth). */
  public readonly deadLetterQueue: sqs.Queue;

  constructor(scope: Construct, id: string, props: ModelRegistryProps) {
    super(scope, id);
    validateProps(props);
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;

    const group = new sagemaker.CfnModelPackageGroup(this, 'Resource', {
      modelPackageGroupName: props.modelPackageGroupName,
      modelPackageGroupDescription: props.description,
    });
    group.applyRemovalPolicy(removalPolicy);
    // The literal name (the resource has no name attribute); event patterns need it literal anyway.
    this.modelPackageGroupName = props.modelPackageGroupName;
    this.modelPackageGroupArn = group.attrModelPackageGroupArn;

    this.encryptionKey =
      props.encryptionKey ??
      new kms.Key(this, 'Key', { description: `Encrypts approvals of ${props.modelPackageGroupName}`, enableKeyRotation: true, removalPolicy });
    if (removalPolicy === RemovalPolicy.DESTROY) this.cleanupFunction = this.emptyGroupOnDelete(group, props);
    // EventBridge encrypts what it publishes to the topic with this key.
    this.encryptionKey.grant(new iam.ServicePrincipal('events.amazonaws.com'), 'kms:Decrypt', 'kms:GenerateDataKey*');

    this.deadLetterQueue = encryptedDeadLetterQueue(this, 'EventDeadLetterQueue', this.encryptionKey);
    this.approvalTopic = new sns.Topic(this, 'ApprovalTopic', {
      displayName: `Model approvals for ${props.modelPackageGroupName}`,
      masterKey: this.encryptionKey,
      enforceSSL: true,
    });
    for (const email of props.approverEmails ?? []) {
      this.approvalTopic.addSubscription(new subscriptions.EmailSubscription(email));
    }

    this.onStateChange('PendingApprovalRule', {
      description: `Tells approvers about packages of ${props.modelPackageGroupName} waiting for approval`,
      approvalStatuses: [ModelApprovalStatus.PENDING_MANUAL_APPROVAL],
      target: topicTarget(this.approvalTopic, { message: approvalRequestMessage(), deadLetterQueue: this.deadLetterQueue }),
    });

    this.auditLog = new logs.LogGroup(this, 'AuditLog', {
      encryptionKey: this.encryptionKey,
      retention: props.auditLogRetention ?? logs.RetentionDays.ONE_YEAR,
      removalPolicy,
    });
    grantLogsServiceKeyUse(this.encryptionKey, this);
    this.onStateChange('AuditRule', {
      description: `Records every approval decision on ${props.modelPackageGroupName}`,
      target: logGroupTarget(this.auditLog, { deadLetterQueue: this.deadLetterQueue }),
    });
  }

  /**
   * SageMaker refuses to delete a group that still holds packages: a custom resource (deleted
   * before the group, which it depends on) deletes them first.
   */
  private emptyGroupOnDelete(group: sagemaker.CfnModelPackageGroup, props: ModelRegistryProps): SecureFunction {
    const cleanup = new SecureFunction(this, 'CleanupFunction', {
      handlerFolder: 'registry-cleanup',
      description: `Deletes the packages of ${props.modelPackageGroupName} when the stack deletes the group`,
      environment: {},
      encryptionKey: this.encryptionKey,
      logRetention: props.auditLogRetention ?? logs.RetentionDays.ONE_YEAR,
      removalPolicy: RemovalPolicy.DESTROY,
      timeout: Duration.minutes(5),
    });
    // List actions cannot be scoped to a resource.
    cleanup.role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['sagemaker:ListModelPackages'], resources: ['*'] }));
    const packages = sageMakerArn(this, 'model-package', `${props.modelPackageGroupName}/*`);
    cleanup.role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['sagemaker:DeleteModelPackage'], resources: [packages] }));
    acknowledgeWildcardResource(cleanup.role.node.findChild('DefaultPolicy'), packages, 'Every version of this one group is deleted when the stage destroys it.');
    const resource = new CustomResource(this, 'Cleanup', {
      serviceToken: cleanup.function.functionArn,
      resourceType: 'Custom::ModelRegistryCleanup',
      properties: { [REGISTRY_CLEANUP_PROPERTIES.MODEL_PACKAGE_GROUP_NAME]: props.modelPackageGroupName },
    });
    resource.node.addDependency(group);
    return cleanup;
  }

}

/** The approver's notice: which version, where its metrics are, and the commands that decide. */
function approvalRequestMessage(): events.RuleTargetInput {
  const arn = events.EventField.fromPath('$.detail.ModelPackageArn');
  return events.RuleTargetInput.fromMultilineText(
    [
      `Model package version ${events.EventField.fromPath('$.detail.ModelPackageVersion')} of ${events.EventField.fromPath('$.detail.ModelPackageGroupName')} is waiting for approval.`,
      `Package: ${arn}`,
      `Metrics: ${events.EventField.fromPath('$.detail.ModelMetrics.ModelQuality.Statistics.S3Uri')}`,
      // The review gate's verdict, which the pipeline records on the package it registers.
      `Review: ${events.EventField.fromPath('$.detail.CustomerMetadataProperties.ReviewSummary')}`,
      `Review report: ${events.EventField.fromPath('$.detail.CustomerMetadataProperties.ReviewReportUrl')}`,
      `Model card: aws sagemaker describe-model-package --model-package-name ${arn} --query ModelCard (or cdk-mlops models show <version>)`,
      '',
      'Approve (the deployer then serves it):',
      `  aws sagemaker update-model-package --model-package-arn ${arn} --model-approval-status Approved --approval-description "why"`,
      'Reject:',
      `  aws sagemaker update-model-package --model-package-arn ${arn} --model-approval-status Rejected --approval-description "why"`,
    ].join('\n'),
  );
}

function validateProps(props: ModelRegistryProps): void {
  const problems: string[] = [];
  if (!Token.isUnresolved(props.modelPackageGroupName)) {
    const problem = sageMakerNameProblem(props.modelPackageGroupName);
    if (problem) problems.push(`modelPackageGroupName "${props.modelPackageGroupName}" is invalid: ${problem}`);
  }
  for (const email of props.approverEmails ?? []) {
    if (!Token.isUnresolved(email) && !/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(email)) {
      problems.push(`approverEmails contains "${email}", which is not an email address`);
    }
  }
  if (problems.length > 0) throw new Error(`ModelRegistry: ${problems.join('; ')}`);
}
