import { Duration, RemovalPolicy, Stack, Token, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';

/** Properties of {@link MlopsStorage}. */
export interface MlopsStorageProps {
  /**
   * Key that encrypts the data and artifacts buckets (and what other constructs encrypt with it).
   * @default - a customer-managed KMS key is created with yearly rotation enabled
   */
  readonly encryptionKey?: kms.IKey;

  /**
   * Alias of the created key, such as `alias/churn-prod`. Ignored when `encryptionKey` is given.
   * @default - no alias
   */
  readonly encryptionKeyAlias?: string;

  /**
   * What happens to the buckets and the created key when they leave the stack.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;

  /**
   * Delete every object when a bucket is removed, so DESTROY can succeed on non-empty buckets.
   * Requires `removalPolicy: RemovalPolicy.DESTROY`.
   * @default false
   */
  readonly autoDeleteObjects?: boolean;

  /**
   * How long a noncurrent (overwritten or deleted) object version is kept.
   * @default Duration.days(90)
   */
  readonly noncurrentVersionExpiration?: Duration;

  /**
   * How long server access logs are kept.
   * @default Duration.days(365)
   */
  readonly accessLogsExpiration?: Duration;

  /**
   * Send the data bucket's object events to EventBridge (the new-data retraining trigger uses them).
   * @default true
   */
  readonly dataBucketEventBridgeEnabled?: boolean;
}

/**
 * Encrypted, versioned, TLS-only storage for an ML workload: a data bucket laid out by prefix
 * (raw/, features/, capture/, monitoring/, ground-truth/), an artifacts bucket for models and pipeline outputs,
 * and a bucket receiving both buckets' server access logs.
 */
export class MlopsStorage extends Construct {
  /** Prefix where incoming training data lands. */
  public static readonly RAW_PREFIX = 'raw/';
  /** Prefix of the train/validation/test splits written by feature processing. */
  public static readonly FEATURES_PREFIX = 'features/';
  /** Prefix of the endpoint's captured requests and responses. */
  public static readonly CAPTURE_PREFIX = 'capture/';
  /** Prefix of Model Monitor baselines and reports. */
  public static readonly MONITORING_PREFIX = 'monitoring/';
  /** Prefix users upload ground truth labels under, for Model Monitor's model-quality jobs. */
  public static readonly GROUND_TRUTH_PREFIX = 'ground-truth/';

  /** The key that encrypts the data and artifacts buckets. */
  public readonly encryptionKey: kms.IKey;
  /** Raw data, features, captured inference data and monitoring reports. */
  public readonly dataBucket: s3.Bucket;
  /** Model artifacts, evaluation reports, checkpoints and pipeline outputs. */
  public readonly artifactsBucket: s3.Bucket;
  /** Server access logs of the other two buckets. */
  public readonly accessLogsBucket: s3.Bucket;

  constructor(scope: Construct, id: string, props: MlopsStorageProps = {}) {
    super(scope, id);
    validateProps(props);

    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    const autoDeleteObjects = props.autoDeleteObjects ?? false;

    this.encryptionKey =
      props.encryptionKey ??
      new kms.Key(this, 'Key', {
        description: `Encrypts the ML data and artifacts of ${this.node.path}`,
        enableKeyRotation: true,
        alias: props.encryptionKeyAlias,
        removalPolicy,
        pendingWindow: removalPolicy === RemovalPolicy.DESTROY ? Duration.days(7) : undefined,
      });

    this.accessLogsBucket = new s3.Bucket(this, 'AccessLogsBucket', {
      // Server access logging can only deliver to a bucket encrypted with SSE-S3.
      encryption: s3.BucketEncryption.S3_MANAGED,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      enforceSSL: true,
      minimumTLSVersion: 1.2,
      versioned: true,
      lifecycleRules: [
        {
          expiration: props.accessLogsExpiration ?? Duration.days(365),
          noncurrentVersionExpiration: Duration.days(1),
          abortIncompleteMultipartUploadAfter: Duration.days(1),
        },
      ],
      removalPolicy,
      autoDeleteObjects,
    });
    for (const rule of ['AwsSolutions-S1', 'NIST.800.53.R5-S3BucketLoggingEnabled', 'HIPAA.Security-S3BucketLoggingEnabled']) {
      Validations.of(this.accessLogsBucket).acknowledge({
        id: rule,
        reason: 'This is the access-log target; logging its own access would log the log deliveries recursively.',
      });
    }
    for (const rule of ['NIST.800.53.R5-S3DefaultEncryptionKMS', 'HIPAA.Security-S3DefaultEncryptionKMS']) {
      Validations.of(this.accessLogsBucket).acknowledge({
        id: rule,
        reason: 'S3 server access logging delivers only to buckets encrypted with SSE-S3, not SSE-KMS.',
      });
    }

    const noncurrentVersionExpiration = props.noncurrentVersionExpiration ?? Duration.days(90);
    this.dataBucket = this.securedBucket('DataBucket', 'data/', noncurrentVersionExpiration, removalPolicy, autoDeleteObjects);
    this.artifactsBucket = this.securedBucket('ArtifactsBucket', 'artifacts/', noncurrentVersionExpiration, removalPolicy, autoDeleteObjects);

    if (props.dataBucketEventBridgeEnabled ?? true) {
      // Set on the L1 bucket: Bucket.eventBridgeEnabled would add a notification custom resource
      // and a Lambda function for what CloudFormation supports natively.
      const cfnDataBucket = this.dataBucket.node.defaultChild as s3.CfnBucket;
      cfnDataBucket.notificationConfiguration = { eventBridgeConfiguration: { eventBridgeEnabled: true } };
    }

    for (const bucket of [this.accessLogsBucket, this.dataBucket, this.artifactsBucket]) {
      for (const rule of ['NIST.800.53.R5-S3BucketReplicationEnabled', 'HIPAA.Security-S3BucketReplicationEnabled']) {
        Validations.of(bucket).acknowledge({
          id: rule,
          reason:
            'Durability comes from versioning with noncurrent-version retention in one region; cross-region replication needs a second region the stage config does not define.',
        });
      }
    }
  }

  /** Grants reading objects of the data bucket under `prefix` (all of it by default), with decryption. */
  public grantReadData(grantee: iam.IGrantable, prefix = ''): iam.Grant {
    return this.dataBucket.grantRead(grantee, `${prefix}*`);
  }

  /** Grants writing objects of the data bucket under `prefix`, with encryption. */
  public grantWriteData(grantee: iam.IGrantable, prefix: string): iam.Grant {
    return this.dataBucket.grantPut(grantee, `${prefix}*`);
  }

  /** Grants reading the artifacts bucket, with decryption. */
  public grantReadArtifacts(grantee: iam.IGrantable): iam.Grant {
    return this.artifactsBucket.grantRead(grantee);
  }

  /** Grants reading and writing (not deleting) the artifacts bucket, with encryption and decryption. */
  public grantReadWriteArtifacts(grantee: iam.IGrantable): iam.Grant {
    this.artifactsBucket.grantRead(grantee);
    return this.artifactsBucket.grantPut(grantee);
  }

  private securedBucket(
    id: string,
    logPrefix: string,
    noncurrentVersionExpiration: Duration,
    removalPolicy: RemovalPolicy,
    autoDeleteObjects: boolean,
  ): s3.Bucket {
    const bucket = new s3.Bucket(this, id, {
      encryption: s3.BucketEncryption.KMS,
      encryptionKey: this.encryptionKey,
      bucketKeyEnabled: true,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      enforceSSL: true,
      minimumTLSVersion: 1.2,
      versioned: true,
      lifecycleRules: [{ noncurrentVersionExpiration, abortIncompleteMultipartUploadAfter: Duration.days(7) }],
      removalPolicy,
      autoDeleteObjects,
    });
    this.deliverAccessLogs(bucket, logPrefix);
    return bucket;
  }

  /**
   * Server access logging through a bucket policy. Done by hand rather than with
   * `serverAccessLogsBucket`, which falls back to a LogDeliveryWrite ACL (and fails on
   * BUCKET_OWNER_ENFORCED) in apps without the `serverAccessLogsUseBucketPolicy` feature flag.
   */
  private deliverAccessLogs(source: s3.Bucket, prefix: string): void {
    const cfnSource = source.node.defaultChild as s3.CfnBucket;
    cfnSource.loggingConfiguration = { destinationBucketName: this.accessLogsBucket.bucketName, logFilePrefix: prefix };
    this.accessLogsBucket.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: `S3ServerAccessLogs${prefix.replace(/\W/g, '')}`,
        principals: [new iam.ServicePrincipal('logging.s3.amazonaws.com')],
        actions: ['s3:PutObject'],
        resources: [this.accessLogsBucket.arnForObjects(`${prefix}*`)],
        conditions: {
          ArnLike: { 'aws:SourceArn': source.bucketArn },
          StringEquals: { 'aws:SourceAccount': Stack.of(this).account },
        },
      }),
    );
  }
}

function validateProps(props: MlopsStorageProps): void {
  const problems: string[] = [];
  if (props.autoDeleteObjects && props.removalPolicy !== RemovalPolicy.DESTROY) {
    problems.push(
      `autoDeleteObjects is true but removalPolicy is ${props.removalPolicy ?? 'RETAIN (the default)'}: objects can only be deleted when the buckets are destroyed; set removalPolicy: RemovalPolicy.DESTROY`,
    );
  }
  for (const [name, duration] of [
    ['noncurrentVersionExpiration', props.noncurrentVersionExpiration],
    ['accessLogsExpiration', props.accessLogsExpiration],
  ] as const) {
    if (duration && !Token.isUnresolved(duration.toDays({ integral: false })) && duration.toDays({ integral: false }) < 1) {
      problems.push(`${name} is ${duration.toHumanString()}: S3 lifecycle rules count whole days; use at least Duration.days(1)`);
    }
  }
  if (props.encryptionKey && props.encryptionKeyAlias) {
    problems.push('encryptionKeyAlias is set together with encryptionKey: the alias can only name a key this construct creates');
  }
  if (problems.length > 0) throw new Error(`MlopsStorage: ${problems.join('; ')}`);
}
