import { Annotations, ArnFormat, CustomResource, Duration, RemovalPolicy, Size, SizeRoundingBehavior, Stack, Token } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { checkInstanceType, InstanceTypes } from './instance-types';
import { IModelRegistry } from './model-registry';
import { keyOrBucketKey } from './private/bucket-key';
import { acknowledgeGrantActions, acknowledgeInlinePolicy, acknowledgeWildcardResource } from './private/nag-acknowledgements';
import { sageMakerArn } from './private/sagemaker-iam';
import { SecureFunction } from './secure-function';
import { BATCH_CLEANUP_PROPERTIES } from '../lambda/batch-cleanup/properties';
import { BATCH_JOBS_METRIC, BATCH_SCORER_ENV } from '../lambda/batch-scorer/environment';
import { ownedNamePrefix, SCORER_NAME_MAX_LENGTH } from '../lambda/batch-scorer/naming';
import { SAGEMAKER_NAME_PATTERN } from '../lambda/shared/sagemaker-names';

/** How a transform job splits an input file into requests. */
export enum BatchSplitType {
  /** Each line is a record; lines go to the model in mini-batches of up to the maximum payload. */
  LINE = 'Line',
  /** Each file is one request, so it must fit the maximum payload. */
  NONE = 'None',
}

/** Properties of {@link BatchInference}. */
export interface BatchInferenceProps {
  /**
   * Starts the name of every model and transform job the scorer creates (the CLI finds the jobs
   * by it): 1-38 letters, digits and hyphens.
   */
  readonly scorerName: string;

  /** Bucket of the inputs and outputs. It must send its events to EventBridge (MlopsStorage's data bucket does). */
  readonly dataBucket: s3.IBucket;

  /**
   * Key prefix of the inputs: CSV files of the model's features, no header, no label.
   * @default 'batch/input/'
   */
  readonly inputPrefix?: string;

  /**
   * Key prefix of the outputs: each job writes `<prefix><job name>/<input file name>.out`.
   * @default 'batch/output/'
   */
  readonly outputPrefix?: string;

  /** The registry whose newest approved package scores the inputs: the one the endpoint serves. */
  readonly modelRegistry: IModelRegistry;

  /** Bucket holding the model artifacts the packages point at (read by the model). */
  readonly modelArtifactsBucket: s3.IBucket;

  /**
   * Key for the outputs, the instances' volumes, and the scorer's logs and queue.
   * @default - the KMS key of `dataBucket`
   */
  readonly encryptionKey?: kms.IKey;

  /**
   * One `INSTANCE_TYPES.transform` lists, or a newer one wrapped in `InstanceTypes.unlisted(...)`.
   * Types with local NVMe storage (ml.g4dn, ml.g5, ...) get no volume key: SageMaker encrypts
   * their storage in hardware and refuses a key for it.
   * @default 'ml.m5.large'
   */
  readonly instanceType?: string;

  /** Instances of each job, 1-100. @default 1 */
  readonly instanceCount?: number;

  /**
   * The largest request payload, in whole MiB from 0 to 100 (0 streams with chunked encoding,
   * which SageMaker's built-in algorithms do not support).
   * @default Size.mebibytes(6)
   */
  readonly maxPayload?: Size;

  /** @default BatchSplitType.LINE */
  readonly splitType?: BatchSplitType;

  /**
   * Also score, on this schedule, every object under the input prefix no job has scored yet (what
   * arrived while `onNewInput` was off, or what waited for an approved package).
   * @default - no schedule
   */
  readonly schedule?: events.Schedule;

  /**
   * Score each object when it is created under the input prefix.
   * @default true
   */
  readonly onNewInput?: boolean;

  /**
   * What happens to what the scorer created when the stack is deleted. DESTROY stops its running
   * transform jobs and deletes its models through a clean-up custom resource (SageMaker keeps the
   * records of finished jobs; the outputs are data in the bucket); RETAIN leaves them.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;

  /**
   * How long the scorer's logs are kept.
   * @default logs.RetentionDays.ONE_YEAR
   */
  readonly logRetention?: logs.RetentionDays;

  /**
   * CloudWatch namespace of the `BatchTransformJobs` metric.
   * @default 'CdkMlops'
   */
  readonly metricNamespace?: string;
}

/**
 * Batch inference over files arriving in a bucket: a scorer function scores each object created
 * under the input prefix (and, on an optional schedule, every one not yet scored) with the newest
 * approved package of a registry, the deployer's rule, as a SageMaker batch transform job: a
 * network-isolated model running with its own role, KMS on the outputs and volumes, one job per
 * input whatever the number of events. It counts the jobs that end by status, so a failed job
 * raises an alarm (see {@link metricFailedJobs}), and cleans up on delete where told to.
 */
export class BatchInference extends Construct {
  /** The key that encrypts the outputs, volumes, logs and queue. */
  public readonly encryptionKey: kms.IKey;
  public readonly scorerName: string;
  public readonly inputPrefix: string;
  public readonly outputPrefix: string;
  public readonly metricNamespace: string;
  /** The scorer function, its role and dead-letter queue. */
  public readonly scorer: SecureFunction;
  /** The scorer function. */
  public readonly function: lambda.Function;
  /** Events the scorer could not process after Lambda's and EventBridge's retries (its depth should raise an alarm). */
  public readonly deadLetterQueue: sqs.Queue;
  /** The role the models, and so the transform jobs, run with. */
  public readonly modelRole: iam.Role;
  /** Every rule that invokes the scorer: new inputs, the schedule, ended jobs. */
  public readonly rules: events.Rule[] = [];
  /** The function that removes what the scorer created when the stack is deleted (DESTROY only). */
  public readonly cleanupFunction?: SecureFunction;

  constructor(scope: Construct, id: string, props: BatchInferenceProps) {
    super(scope, id);
    this.encryptionKey = keyOrBucketKey('BatchInference', props.encryptionKey, props.dataBucket, 'dataBucket');
    this.inputPrefix = props.inputPrefix ?? 'batch/input/';
    this.outputPrefix = props.outputPrefix ?? 'batch/output/';
    this.metricNamespace = props.metricNamespace ?? 'CdkMlops';
    this.scorerName = props.scorerName;
    validateProps(this, props, this.inputPrefix, this.outputPrefix);
    const instanceType = props.instanceType ?? 'ml.m5.large';
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    const logRetention = props.logRetention ?? logs.RetentionDays.ONE_YEAR;
    const owned = ownedNamePrefix(props.scorerName);
    const arn = (resource: string, name: string) => sageMakerArn(this, resource, name);
    const models = arn('model', `${owned}*`);
    const jobs = arn('transform-job', `${owned}*`);
    const volumeKey = hasLocalStorage(InstanceTypes.unlistedTypeOf(instanceType) ?? instanceType) ? undefined : this.encryptionKey;

    this.modelRole = this.createModelRole(props, volumeKey);

    this.scorer = new SecureFunction(this, 'Scorer', {
      handlerFolder: 'batch-scorer',
      description: `Scores the files under ${this.inputPrefix} with the newest approved model, as ${props.scorerName}`,
      environment: {
        [BATCH_SCORER_ENV.SCORER_NAME]: props.scorerName,
        [BATCH_SCORER_ENV.MODEL_PACKAGE_GROUP_NAME]: props.modelRegistry.modelPackageGroupName,
        [BATCH_SCORER_ENV.MODEL_EXECUTION_ROLE_ARN]: this.modelRole.roleArn,
        [BATCH_SCORER_ENV.INPUT_S3_URI]: props.dataBucket.s3UrlForObject(this.inputPrefix),
        [BATCH_SCORER_ENV.OUTPUT_S3_URI]: props.dataBucket.s3UrlForObject(this.outputPrefix),
        [BATCH_SCORER_ENV.OUTPUT_KMS_KEY_ID]: this.encryptionKey.keyArn,
        ...(volumeKey ? { [BATCH_SCORER_ENV.VOLUME_KMS_KEY_ID]: volumeKey.keyArn } : {}),
        [BATCH_SCORER_ENV.INSTANCE_TYPE]: instanceType,
        [BATCH_SCORER_ENV.INSTANCE_COUNT]: String(props.instanceCount ?? 1),
        [BATCH_SCORER_ENV.MAX_PAYLOAD_MB]: String((props.maxPayload ?? Size.mebibytes(6)).toMebibytes()),
        [BATCH_SCORER_ENV.SPLIT_TYPE]: props.splitType ?? BatchSplitType.LINE,
        [BATCH_SCORER_ENV.METRIC_NAMESPACE]: this.metricNamespace,
      },
      encryptionKey: this.encryptionKey,
      logRetention,
      removalPolicy,
      // A scheduled scan starts up to 20 jobs, a few calls each.
      timeout: Duration.minutes(5),
    });
    this.function = this.scorer.function;
    this.deadLetterQueue = this.scorer.deadLetterQueue;
    this.grantScorer(props, models, jobs, volumeKey);

    const target = new targets.LambdaFunction(this.function, { retryAttempts: 8, maxEventAge: Duration.hours(6), deadLetterQueue: this.deadLetterQueue });
    if (props.onNewInput ?? true) {
      this.addRule('NewInputRule', `Scores objects created under ${this.inputPrefix}`, {
        eventPattern: {
          source: ['aws.s3'],
          detailType: ['Object Created'],
          detail: { bucket: { name: [props.dataBucket.bucketName] }, object: { key: [{ prefix: this.inputPrefix }] } },
        },
      }, target);
    }
    if (props.schedule) this.addRule('ScheduleRule', `Scores what no job scored yet under ${this.inputPrefix}`, { schedule: props.schedule }, target);
    // The scorer counts its jobs that end (a Lambda, not the rule's own AWS/Events metrics, which
    // EventBridge delivers best-effort: https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-monitoring.html).
    // The event: https://docs.aws.amazon.com/sagemaker/latest/dg/automating-sagemaker-with-eventbridge.html#eventbridge-transform
    this.addRule('JobEndedRule', `Counts the transform jobs of ${props.scorerName} that end`, {
      eventPattern: {
        source: ['aws.sagemaker'],
        detailType: ['SageMaker Transform Job State Change'],
        detail: { TransformJobName: [{ prefix: owned }], TransformJobStatus: ['Completed', 'Failed', 'Stopped'] },
      },
    }, target);

    if (removalPolicy === RemovalPolicy.DESTROY) {
      this.cleanupFunction = new SecureFunction(this, 'CleanupFunction', {
        handlerFolder: 'batch-cleanup',
        description: `Stops the running transform jobs of ${props.scorerName} and deletes its models when the stack is deleted`,
        environment: {},
        encryptionKey: this.encryptionKey,
        logRetention,
        removalPolicy: RemovalPolicy.DESTROY,
        // Stopping a transform job takes minutes; the handler waits up to this long before giving up.
        timeout: Duration.minutes(14),
      });
      const cleanup = this.cleanupResource(props, this.cleanupFunction, models, jobs);
      // Deleted before the clean-up runs, so nothing starts a job meanwhile.
      for (const dependent of [this.scorer, ...this.rules]) dependent.node.addDependency(cleanup);
    }

    const scorerPolicy = this.scorer.role.node.findChild('DefaultPolicy');
    const named = `The scorer names each model and transform job ${owned} plus a version or input hash: the prefix is as narrow as the names allow.`;
    acknowledgeWildcardResource(scorerPolicy, models, named);
    acknowledgeWildcardResource(scorerPolicy, jobs, named);
  }

  /** A metric of the scorer's jobs by status in `metricNamespace` (Sum by default). */
  public metric(status: 'Started' | 'Completed' | 'Failed' | 'Stopped', props: cloudwatch.MetricOptions = {}): cloudwatch.Metric {
    return new cloudwatch.Metric({
      namespace: this.metricNamespace,
      metricName: BATCH_JOBS_METRIC.NAME,
      dimensionsMap: { [BATCH_JOBS_METRIC.SCORER_DIMENSION]: this.scorerName, [BATCH_JOBS_METRIC.STATUS_DIMENSION]: status },
      statistic: 'Sum',
      ...props,
    });
  }

  /** Transform jobs the scorer started. */
  public metricStartedJobs(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metric('Started', props);
  }

  /** The scorer's transform jobs that completed. */
  public metricCompletedJobs(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metric('Completed', props);
  }

  /** The scorer's transform jobs that failed; alarm on it (SageMaker may report one change twice: count ≥ 1, not exact numbers). */
  public metricFailedJobs(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metric('Failed', props);
  }

  /** Reads the inputs and writes the outputs: what the transform jobs do with the model role. */
  private createModelRole(props: BatchInferenceProps, volumeKey: kms.IKey | undefined): iam.Role {
    const role = new iam.Role(this, 'ModelRole', {
      assumedBy: new iam.ServicePrincipal('sagemaker.amazonaws.com'),
      description: `Runs the models and batch transform jobs of ${props.scorerName}`,
    });
    // With network isolation SageMaker still downloads and uploads with this role
    // (https://docs.aws.amazon.com/sagemaker/latest/dg/mkt-algo-model-internet-free.html), and the
    // output key must let it encrypt (TransformOutput.KmsKeyId:
    // https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_TransformOutput.html).
    props.modelArtifactsBucket.grantRead(role);
    props.dataBucket.grantRead(role, `${this.inputPrefix}*`);
    props.dataBucket.grantPut(role, `${this.outputPrefix}*`);
    this.encryptionKey.grantEncryptDecrypt(role);
    if (volumeKey) {
      // SageMaker attaches the key to the instances' volumes through a grant made with the role.
      role.addToPrincipalPolicy(
        new iam.PolicyStatement({ actions: ['kms:CreateGrant'], resources: [volumeKey.keyArn], conditions: { Bool: { 'kms:GrantIsForAWSResource': 'true' } } }),
      );
      volumeKey.grant(role, 'kms:DescribeKey');
    }
    const jobLogs = Stack.of(this).formatArn({ service: 'logs', resource: 'log-group', resourceName: '/aws/sagemaker/TransformJobs*', arnFormat: ArnFormat.COLON_RESOURCE_NAME });
    role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['logs:CreateLogGroup', 'logs:CreateLogStream', 'logs:PutLogEvents'], resources: [jobLogs] }));
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({ actions: ['cloudwatch:PutMetricData'], resources: ['*'], conditions: { StringEquals: { 'cloudwatch:namespace': '/aws/sagemaker/TransformJobs' } } }),
    );
    const policy = role.node.findChild('DefaultPolicy');
    acknowledgeGrantActions(policy, ['s3:GetObject*', 's3:GetBucket*', 's3:List*', 's3:Abort*', 'kms:ReEncrypt*', 'kms:GenerateDataKey*']);
    acknowledgeInlinePolicy(policy, `the artifacts, the batch input and output locations and the key of ${props.scorerName}`);
    acknowledgeWildcardResource(policy, props.modelArtifactsBucket.arnForObjects('*'), 'Models load their artifacts from wherever the pipeline wrote them in the artifacts bucket.');
    acknowledgeWildcardResource(policy, props.dataBucket.arnForObjects(`${this.inputPrefix}*`), 'Transform jobs read the input file they are given, any file under the input prefix.');
    acknowledgeWildcardResource(policy, props.dataBucket.arnForObjects(`${this.outputPrefix}*`), 'Transform jobs write <job name>/<input file>.out under the output prefix.');
    acknowledgeWildcardResource(policy, jobLogs, 'SageMaker writes transform job logs to /aws/sagemaker/TransformJobs with generated stream names.');
    acknowledgeWildcardResource(policy, '*', 'cloudwatch:PutMetricData supports only the * resource; the statement allows the /aws/sagemaker/TransformJobs namespace alone.');
    return role;
  }

  private grantScorer(props: BatchInferenceProps, models: string, jobs: string, volumeKey: kms.IKey | undefined): void {
    const statement = (actions: string[], resources: string[], conditions?: Record<string, unknown>) =>
      this.scorer.role.addToPrincipalPolicy(new iam.PolicyStatement({ actions, resources, conditions }));
    // The condition keys SageMaker sets from each request
    // (https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonsagemaker.html):
    // no model without network isolation, no job without the key on its outputs (and volumes).
    statement(['sagemaker:CreateModel'], [models], { Bool: { 'sagemaker:NetworkIsolation': 'true' } });
    statement(['sagemaker:CreateTransformJob'], [jobs], {
      ArnEquals: { 'sagemaker:OutputKmsKeyArn': this.encryptionKey.keyArn, ...(volumeKey ? { 'sagemaker:VolumeKmsKeyArn': volumeKey.keyArn } : {}) },
    });
    statement(['sagemaker:AddTags'], [models, jobs], { StringEquals: { 'sagemaker:TaggingAction': ['CreateModel', 'CreateTransformJob'] } });
    // List actions cannot be scoped to a resource.
    statement(['sagemaker:ListTransformJobs', 'sagemaker:ListModelPackages'], ['*']);
    statement(['iam:PassRole'], [this.modelRole.roleArn], { StringEquals: { 'iam:PassedToService': 'sagemaker.amazonaws.com' } });
    statement(['s3:ListBucket'], [props.dataBucket.bucketArn], { StringLike: { 's3:prefix': `${this.inputPrefix}*` } });
  }

  private cleanupResource(props: BatchInferenceProps, cleanup: SecureFunction, models: string, jobs: string): CustomResource {
    const role = cleanup.role;
    role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['sagemaker:ListTags', 'sagemaker:StopTransformJob'], resources: [jobs] }));
    role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['sagemaker:ListTags', 'sagemaker:DeleteModel'], resources: [models] }));
    role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['sagemaker:ListTransformJobs', 'sagemaker:ListModels'], resources: ['*'] }));
    const policy = role.node.findChild('DefaultPolicy');
    const reason = `The scorer names each model and transform job ${ownedNamePrefix(props.scorerName)} plus a version or input hash; the clean-up acts only on those it tagged.`;
    acknowledgeWildcardResource(policy, models, reason);
    acknowledgeWildcardResource(policy, jobs, reason);
    return new CustomResource(this, 'Cleanup', {
      serviceToken: cleanup.function.functionArn,
      resourceType: 'Custom::BatchInferenceCleanup',
      properties: { [BATCH_CLEANUP_PROPERTIES.SCORER_NAME]: props.scorerName },
    });
  }

  private addRule(id: string, description: string, props: events.RuleProps, target: events.IRuleTarget): void {
    this.rules.push(new events.Rule(this, id, { description, ...props, targets: [target] }));
  }
}

/**
 * Instance types with local NVMe instance storage, for which SageMaker refuses a VolumeKmsKeyId
 * ("You can't request a VolumeKmsKeyId when using an instance type with local storage",
 * https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_TransformResources.html): the
 * families with a `d` attribute (m5d, c5d, r5d, g4dn, p4d) and those that come only with instance
 * storage (g5, g6, g6e, trn1, trn2, p5).
 */
function hasLocalStorage(instanceType: string): boolean {
  const family = /^ml\.([a-z0-9-]+)\./.exec(instanceType)?.[1] ?? '';
  return /^[a-z]+\d+[a-z]*d[a-z]*$/.test(family) || ['g5', 'g6', 'g6e', 'trn1', 'trn2', 'p5', 'p5e', 'p5en'].includes(family);
}

function validateProps(scope: Construct, props: BatchInferenceProps, inputPrefix: string, outputPrefix: string): void {
  const problems: string[] = [];
  const name = props.scorerName;
  if (!Token.isUnresolved(name) && !(SAGEMAKER_NAME_PATTERN.test(name) && name.length <= SCORER_NAME_MAX_LENGTH)) {
    problems.push(`scorerName "${name}" is invalid: use 1-${SCORER_NAME_MAX_LENGTH} letters, digits and hyphens, starting and ending with a letter or digit (the job names add up to 25 characters)`);
  }
  for (const [key, prefix] of [['inputPrefix', inputPrefix], ['outputPrefix', outputPrefix]] as const) {
    if (!Token.isUnresolved(prefix) && (prefix.startsWith('/') || !prefix.endsWith('/') || prefix.length < 2)) {
      problems.push(`${key} "${prefix}" is invalid: use a key prefix ending in "/" and not starting with one, such as "batch/input/"`);
    }
  }
  if (!Token.isUnresolved(inputPrefix) && !Token.isUnresolved(outputPrefix) && (outputPrefix.startsWith(inputPrefix) || inputPrefix.startsWith(outputPrefix))) {
    problems.push(`inputPrefix "${inputPrefix}" and outputPrefix "${outputPrefix}" overlap: outputs written under the inputs would be scored again`);
  }
  const typeProblem = checkInstanceType(scope, 'transform', 'instanceType', props.instanceType ?? 'ml.m5.large');
  if (typeProblem) problems.push(typeProblem);
  const count = props.instanceCount ?? 1;
  if (!Token.isUnresolved(count) && !(Number.isInteger(count) && count >= 1 && count <= 100)) {
    problems.push(`instanceCount is ${count}: use a whole number from 1 to 100`);
  }
  const payload = props.maxPayload?.toMebibytes({ rounding: SizeRoundingBehavior.NONE });
  if (payload !== undefined && !(Number.isInteger(payload) && payload >= 0 && payload <= 100)) {
    problems.push(`maxPayload is ${payload} MiB: use whole MiB from 0 to 100 (SageMaker's MaxPayloadInMB)`);
  } else if (payload === 0) {
    Annotations.of(scope).addWarningV2(
      'cdk-mlops:batchChunkedEncoding',
      "maxPayload 0 streams each request with HTTP chunked encoding, which SageMaker's built-in algorithms (XGBoost included) do not support: https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_CreateTransformJob.html",
    );
  }
  if (props.onNewInput === false && !props.schedule) problems.push('no trigger is enabled: set schedule, or leave onNewInput on');
  if (problems.length > 0) throw new Error(`BatchInference: ${problems.join('; ')}`);
}
