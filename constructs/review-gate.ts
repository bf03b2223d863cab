import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { acknowledgeGrantActions, acknowledgeWildcardResource } from './private/nag-acknowledgements';
import { IModelRegistry } from './model-registry';
import { SecureFunction } from './secure-function';
import { checkProblems, describeCheckProblems, REVIEW_ENV, ReviewPolicy } from '../lambda/review-gate/environment';

/** Properties of {@link ReviewGate}. */
export interface ReviewGateProps {
  /** The group whose newest approved package is the champion. */
  readonly modelRegistry: IModelRegistry;
  /** Bucket with the run's reports (read under the report prefixes) where review.json and the model card are written. */
  readonly artifactsBucket: s3.IBucket;
  /** Key of the artifacts bucket, the log group and the dead-letter queue. */
  readonly encryptionKey: kms.IKey;
  /** The checks, champion margin and model card fields. */
  readonly policy: ReviewPolicy;
  /** Prefixes of the artifacts bucket the gate reads (evaluation and bias reports, its own and the champion's). */
  readonly reportPrefixes: readonly string[];
  /** Prefix it writes review.json and model-card.json under. */
  readonly reviewPrefix: string;
  /**
   * Clarify's analysis configuration, which the gate writes under `biasConfigPrefix` for the run's
   * BiasReport step.
   * @default - no bias report
   */
  readonly biasAnalysisConfig?: Readonly<Record<string, unknown>>;
  /** @default 'bias-config/' */
  readonly biasConfigPrefix?: string;
  /** @default logs.RetentionDays.ONE_YEAR */
  readonly logRetention?: logs.RetentionDays;
  /** @default RemovalPolicy.RETAIN */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * The function behind a pipeline's Review step: it checks the candidate's reports against the
 * policy and against the champion (the group's newest approved package), and writes the verdict
 * and the model card. Internal to TrainingPipeline, which invokes it.
 */
export class ReviewGate extends Construct {
  public readonly handler: SecureFunction;

  constructor(scope: Construct, id: string, props: ReviewGateProps) {
    super(scope, id);
    const problems = describeCheckProblems(checkProblems(props.policy.problemType, props.policy.checks, true), 'policy.checks');
    if (problems.length > 0) throw new Error(`ReviewGate: ${problems.join('; ')}`);
    this.handler = new SecureFunction(this, 'Handler', {
      handlerFolder: 'review-gate',
      description: `Reviews each candidate of ${props.modelRegistry.modelPackageGroupName} before registration`,
      environment: {
        [REVIEW_ENV.MODEL_PACKAGE_GROUP]: props.modelRegistry.modelPackageGroupName,
        [REVIEW_ENV.ARTIFACTS_BUCKET]: props.artifactsBucket.bucketName,
        [REVIEW_ENV.POLICY]: JSON.stringify(props.policy),
        ...(props.biasAnalysisConfig && { [REVIEW_ENV.BIAS_ANALYSIS_CONFIG]: JSON.stringify(props.biasAnalysisConfig) }),
      },
      encryptionKey: props.encryptionKey,
      logRetention: props.logRetention ?? logs.RetentionDays.ONE_YEAR,
      removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
      // A Lambda step waits at most 10 minutes; the gate reads and writes a few small objects.
      timeout: Duration.minutes(1),
    });
    const role = this.handler.role;
    const policy = role.node.findChild('DefaultPolicy');
    for (const prefix of props.reportPrefixes) {
      props.artifactsBucket.grantRead(role, `${prefix}*`);
      acknowledgeWildcardResource(policy, props.artifactsBucket.arnForObjects(`${prefix}*`), 'Each run writes its report under its own execution folder of this prefix; the gate reads the candidate\'s and the champion\'s.');
    }
    props.artifactsBucket.grantPut(role, `${props.reviewPrefix}*`);
    acknowledgeWildcardResource(policy, props.artifactsBucket.arnForObjects(`${props.reviewPrefix}*`), 'The gate writes review.json and model-card.json under the execution folder of this prefix.');
    if (props.biasAnalysisConfig) {
      const configPrefix = props.biasConfigPrefix ?? 'bias-config/';
      props.artifactsBucket.grantPut(role, `${configPrefix}*`);
      acknowledgeWildcardResource(policy, props.artifactsBucket.arnForObjects(`${configPrefix}*`), 'The BiasConfig step writes analysis_config.json under the execution folder of this prefix.');
    }
    acknowledgeGrantActions(policy, ['s3:GetObject*', 's3:GetBucket*', 's3:List*', 's3:Abort*', 'kms:ReEncrypt*', 'kms:GenerateDataKey*']);
    props.modelRegistry.grantRead(role);
  }

  /** Lets `grantee` (the pipeline's role) invoke the gate. */
  public grantInvoke(grantee: iam.IGrantable): iam.Grant {
    return this.handler.function.grantInvoke(grantee);
  }
}
