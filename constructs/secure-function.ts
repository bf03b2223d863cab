import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Annotations, ArnFormat, DockerImage, Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { acknowledgeInlinePolicy } from './private/nag-acknowledgements';
import { encryptedDeadLetterQueue } from './private/dead-letter-queue';

/** Metadata key on each function naming the handler folder its code comes from. */
export const HANDLER_METADATA_KEY = 'cdk-mlops:handler';

/** Properties of {@link SecureFunction}. */
export interface SecureFunctionProps {
  /** Folder under lambda/ holding the handler's index.ts (index.js once built). */
  readonly handlerFolder: string;
  readonly description: string;
  readonly environment: Record<string, string>;
  /** Key for the log group and the dead-letter queue. */
  readonly encryptionKey: kms.IKey;
  readonly logRetention: logs.RetentionDays;
  /** What happens to the log group when it leaves the stack. */
  readonly removalPolicy: RemovalPolicy;
  readonly timeout: Duration;
}

/**
 * The shared shape of this package's Lambda functions (none reserves concurrency: a new account's
 * quota of 10 leaves nothing to reserve): Node.js bundled with the local esbuild (the
 * AWS SDK comes from the runtime), its own role with log permissions for its own log group only,
 * a KMS-encrypted log group with retention, a KMS-encrypted dead-letter queue for async failures
 * that the function may write (key included), and X-Ray tracing. Internal: the public constructs
 * compose it.
 */
export class SecureFunction extends Construct {
  public readonly function: lambda.Function;
  public readonly role: iam.Role;
  public readonly deadLetterQueue: sqs.Queue;
  public readonly logGroup: logs.LogGroup;

  constructor(scope: Construct, id: string, props: SecureFunctionProps) {
    super(scope, id);

    this.logGroup = new logs.LogGroup(this, 'Logs', {
      encryptionKey: props.encryptionKey,
      retention: props.logRetention,
      removalPolicy: props.removalPolicy,
    });
    grantLogsServiceKeyUse(props.encryptionKey, this);

    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: props.description,
    });
    // Inline instead of AWSLambdaBasicExecutionRole, which allows writing to every log group.
    this.role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        resources: [this.logGroup.logGroupArn],
      }),
    );

    this.deadLetterQueue = encryptedDeadLetterQueue(this, 'DeadLetterQueue', props.encryptionKey);
    // Lambda's dead-letter setting adds sqs:SendMessage only; SQS asks the key on the sender's
    // behalf, so an encrypted queue also needs these (aws/aws-cdk#33153).
    props.encryptionKey.grant(this.role, 'kms:GenerateDataKey', 'kms:Decrypt');

    this.function = new lambda.Function(this, 'Function', {
      code: bundledHandler(props.handlerFolder),
      handler: 'index.handler',
      description: props.description,
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: 256,
      timeout: props.timeout,
      role: this.role,
      logGroup: this.logGroup,
      loggingFormat: lambda.LoggingFormat.JSON,
      tracing: lambda.Tracing.ACTIVE,
      environment: props.environment,
      deadLetterQueue: this.deadLetterQueue,
      retryAttempts: 2,
    });
    // Names the handler folder, so the wiring check finds the SDK-call inventory beside it.
    (this.function.node.defaultChild as lambda.CfnFunction).addMetadata(HANDLER_METADATA_KEY, props.handlerFolder);
    // The role's statements (logs, X-Ray, queue, and what the owning construct adds) land in its
    // default policy, created by the log statement above.
    const defaultPolicy = this.role.node.findChild('DefaultPolicy');
    Validations.of(defaultPolicy).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason: 'X-Ray PutTraceSegments and PutTelemetryRecords, and the List and Describe actions the owning construct adds, support only the * resource.',
    });
    acknowledgeInlinePolicy(defaultPolicy, "this function's own log group, queue and targets");
    Validations.of(this.function).acknowledge(
      {
        id: 'NIST.800.53.R5-LambdaInsideVPC',
        reason: 'The function only calls AWS APIs (SageMaker, Auto Scaling) over TLS with IAM auth; it reaches no private network resource.',
      },
      {
        id: 'HIPAA.Security-LambdaInsideVPC',
        reason: 'The function only calls AWS APIs (SageMaker, Auto Scaling) over TLS with IAM auth; it handles no PHI.',
      },
      ...['NIST.800.53.R5-LambdaConcurrency', 'HIPAA.Security-LambdaConcurrency'].map((id) => ({
        id,
        reason:
          'No reserved concurrency, so the stage deploys in a new account (quota 10, nothing to reserve); the function is invoked only by its own rules, queue or stack, and whatever must run one at a time is serialized by a FIFO queue instead.',
      })),
    );
  }
}

/**
 * Lets CloudWatch Logs in this region use the key for this account's log groups only: Logs sends
 * the log group's ARN as encryption context
 * (https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/encrypt-log-data-kms.html). A pattern
 * rather than each group's ARN, since naming a generated group in the key policy would make the key
 * and the group depend on each other.
 */
export function grantLogsServiceKeyUse(key: kms.IKey, scope: Construct): void {
  const stack = Stack.of(scope);
  const statement = new iam.PolicyStatement({
    principals: [new iam.ServicePrincipal(`logs.${stack.region}.amazonaws.com`)],
    actions: ['kms:Encrypt*', 'kms:Decrypt*', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:Describe*'],
    resources: ['*'],
    conditions: {
      ArnLike: { 'kms:EncryptionContext:aws:logs:arn': stack.formatArn({ service: 'logs', resource: 'log-group', resourceName: '*', arnFormat: ArnFormat.COLON_RESOURCE_NAME }) },
    },
  });
  // An imported key's policy is not the app's to change: CloudWatch Logs would then refuse to
  // create the encrypted log groups at deploy, so say so at synth, with the statement to add.
  if (!key.addToResourcePolicy(statement).statementAdded) {
    Annotations.of(scope).addWarningV2(
      IMPORTED_KEY_WARNING,
      `the key ${key.keyArn} is imported, so its key policy cannot be extended here: add this statement to it, or CloudWatch Logs cannot encrypt this construct's log groups: ${JSON.stringify(stack.resolve(statement.toStatementJson()))}`,
    );
  }
}

/** The id of the synth warning for an imported key whose policy must let CloudWatch Logs use it. */
export const IMPORTED_KEY_WARNING = 'cdk-mlops:importedKeyNeedsLogsStatement';

/**
 * The handler bundled with esbuild in this process (never Docker): one minified file, the AWS SDK
 * left to the Node.js runtime that ships it. aws-cdk-lib caches staged assets by source and
 * options, so a handler used by several stacks of one app is bundled once.
 */
function bundledHandler(folder: string): lambda.Code {
  const base = join(__dirname, '..', 'lambda', folder, 'index');
  // The handler source in this repository, or the compiled handler in the published package.
  const entry = existsSync(`${base}.ts`) ? `${base}.ts` : `${base}.js`;
  return lambda.Code.fromAsset(dirname(entry), {
    bundling: {
      // Required by the type, never pulled: local bundling always succeeds or throws.
      image: DockerImage.fromRegistry('local-esbuild-only'),
      local: {
        tryBundle(outputDir: string): boolean {
          // Loaded here so that apps without these functions need no esbuild.
          const esbuild: typeof import('esbuild') = require('esbuild');
          esbuild.buildSync({
            entryPoints: [entry],
            outfile: join(outputDir, 'index.js'),
            bundle: true,
            platform: 'node',
            target: 'node24',
            format: 'cjs',
            minify: true,
            external: ['@aws-sdk/*'],
            logLevel: 'warning',
          });
          return true;
        },
      },
    },
  });
}
