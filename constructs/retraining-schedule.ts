import { Duration, RemovalPolicy, Token } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { sageMakerArn } from './private/sagemaker-iam';
import { GOVERNOR_ENV, GOVERNOR_QUEUE, OPERATOR_RETRAIN_EVENT } from '../lambda/retraining-governor/environment';
import { encryptedDeadLetterQueue } from './private/dead-letter-queue';
import { SecureFunction } from './secure-function';

/** Properties of {@link RetrainingSchedule}. */
export interface RetrainingScheduleProps {
  /** Name of the SageMaker pipeline the governor starts. */
  readonly pipelineName: string;

  /** Bucket holding the training data. */
  readonly inputBucket: s3.IBucket;

  /**
   * Key prefix of the training data in `inputBucket`, passed to each run as `InputDataUrl`.
   * @default 'raw/'
   */
  readonly inputPrefix?: string;

  /**
   * When retraining runs regardless of new data.
   * @default - no schedule; only the triggers enabled below start runs
   */
  readonly schedule?: events.Schedule;

  /**
   * Retrain when objects are created under `inputPrefix`. The bucket must send its events to
   * EventBridge (MlopsStorage's data bucket does).
   * @default false
   */
  readonly retrainOnNewData?: boolean;

  /**
   * Uploads inside one window of this length start at most one run.
   * @default Duration.hours(1)
   */
  readonly newDataDebounce?: Duration;

  /**
   * Retrain when this alarm (typically the Model Monitor drift alarm) goes into ALARM.
   * @default - no drift trigger
   */
  readonly driftAlarm?: cloudwatch.IAlarm;

  /**
   * Retrain when this alarm (typically `MlopsMonitoring.modelQualityAlarm`) goes into ALARM; the
   * run's TriggerReason says `model-quality:<alarm name>`.
   * @default - no model-quality trigger
   */
  readonly modelQualityAlarm?: cloudwatch.IAlarm;

  /**
   * Least time between two starts, whatever triggers them.
   * @default Duration.hours(6)
   */
  readonly cooldown?: Duration;

  /** Key for the governor's log group and dead-letter queue. */
  readonly encryptionKey: kms.IKey;

  /**
   * How long the governor's logs (its decisions) are kept.
   * @default logs.RetentionDays.ONE_YEAR
   */
  readonly logRetention?: logs.RetentionDays;

  /**
   * What happens to the governor's log group when it leaves the stack.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;

  /**
   * CloudWatch namespace of the `RetrainingDecision` metric.
   * @default 'CdkMlops'
   */
  readonly metricNamespace?: string;
}

/**
 * Starts retraining from a schedule, new data, drift and a model-quality drop, all through one retraining governor that
 * runs the pipeline only when no execution is running and the cool-down has passed.
 */
export class RetrainingSchedule extends Construct {
  /** The governor function. */
  public readonly governor: SecureFunction;
  /** FIFO queue (one message group) every trigger passes through on its way to the governor. */
  public readonly triggerQueue: sqs.Queue;
  /** Triggers the governor failed on five times (its depth should raise an alarm). */
  public readonly triggerDeadLetterQueue: sqs.Queue;
  /** Every rule that invokes the governor. */
  public readonly rules: events.Rule[] = [];
  public readonly metricNamespace: string;
  private readonly pipelineName: string;

  constructor(scope: Construct, id: string, props: RetrainingScheduleProps) {
    super(scope, id);
    validateProps(props);
    const inputPrefix = props.inputPrefix ?? 'raw/';
    this.metricNamespace = props.metricNamespace ?? 'CdkMlops';
    this.pipelineName = props.pipelineName;

    this.governor = new SecureFunction(this, 'Governor', {
      handlerFolder: 'retraining-governor',
      description: `Starts ${props.pipelineName} when idle and out of cool-down`,
      environment: {
        [GOVERNOR_ENV.PIPELINE_NAME]: props.pipelineName,
        [GOVERNOR_ENV.INPUT_DATA_URL]: props.inputBucket.s3UrlForObject(inputPrefix),
        [GOVERNOR_ENV.COOLDOWN_MINUTES]: String((props.cooldown ?? Duration.hours(6)).toMinutes()),
        [GOVERNOR_ENV.DEBOUNCE_MINUTES]: String((props.newDataDebounce ?? Duration.hours(1)).toMinutes()),
        [GOVERNOR_ENV.METRIC_NAMESPACE]: this.metricNamespace,
        ...(props.modelQualityAlarm ? { [GOVERNOR_ENV.MODEL_QUALITY_ALARM_NAME]: props.modelQualityAlarm.alarmName } : {}),
      },
      encryptionKey: props.encryptionKey,
      logRetention: props.logRetention ?? logs.RetentionDays.ONE_YEAR,
      removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
      timeout: Duration.seconds(30),
    });
    // One decision at a time, without reserved concurrency (a new account has none to reserve):
    // every trigger goes through a FIFO queue with one message group, and Lambda reads a message
    // group one batch at a time, so two invocations can never both see "idle" and start two runs.
    // https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-scaling.html
    this.triggerDeadLetterQueue = encryptedDeadLetterQueue(this, 'TriggerDeadLetterQueue', props.encryptionKey, { fifo: true });
    this.triggerQueue = new sqs.Queue(this, 'TriggerQueue', {
      fifo: true,
      // EventBridge gives each event its own content (id, time), so a redelivered event is the
      // same message and is dropped within SQS's five-minute deduplication window.
      contentBasedDeduplication: true,
      encryption: sqs.QueueEncryption.KMS,
      encryptionMasterKey: props.encryptionKey,
      enforceSSL: true,
      // Lambda's advice: at least six times the function timeout.
      visibilityTimeout: Duration.seconds(180),
      retentionPeriod: Duration.days(4),
      deadLetterQueue: { queue: this.triggerDeadLetterQueue, maxReceiveCount: 5 },
    });
    this.governor.function.addEventSource(new SqsEventSource(this.triggerQueue, { batchSize: 1, reportBatchItemFailures: true }));
    this.governor.role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['sagemaker:ListPipelineExecutions', 'sagemaker:StartPipelineExecution'],
        resources: [sageMakerArn(this, 'pipeline', props.pipelineName)],
      }),
    );

    const target = new targets.SqsQueue(this.triggerQueue, {
      messageGroupId: GOVERNOR_QUEUE.MESSAGE_GROUP_ID,
      retryAttempts: 8,
      maxEventAge: Duration.hours(2),
      deadLetterQueue: this.governor.deadLetterQueue,
    });
    if (props.schedule) {
      this.addRule('ScheduleRule', 'Scheduled retraining', { schedule: props.schedule }, target);
    }
    if (props.retrainOnNewData) {
      this.addRule(
        'NewDataRule',
        `Retraining on new objects under ${inputPrefix}`,
        {
          eventPattern: {
            source: ['aws.s3'],
            detailType: ['Object Created'],
            detail: { bucket: { name: [props.inputBucket.bucketName] }, object: { key: [{ prefix: inputPrefix }] } },
          },
        },
        target,
      );
    }
    if (props.driftAlarm) {
      this.addRule(
        'DriftRule',
        'Retraining when the drift alarm fires',
        {
          eventPattern: {
            source: ['aws.cloudwatch'],
            detailType: ['CloudWatch Alarm State Change'],
            resources: [props.driftAlarm.alarmArn],
            detail: { state: { value: ['ALARM'] } },
          },
        },
        target,
      );
    }
    if (props.modelQualityAlarm) {
      this.addRule(
        'ModelQualityRule',
        'Retraining when the model-quality alarm fires',
        {
          eventPattern: {
            source: ['aws.cloudwatch'],
            detailType: ['CloudWatch Alarm State Change'],
            resources: [props.modelQualityAlarm.alarmArn],
            detail: { state: { value: ['ALARM'] } },
          },
        },
        target,
      );
    }
    this.addRule(
      'OperatorRule',
      'Retraining requested by an operator',
      {
        eventPattern: {
          source: [OPERATOR_RETRAIN_EVENT.SOURCE],
          detailType: [OPERATOR_RETRAIN_EVENT.DETAIL_TYPE],
          detail: { pipelineName: [props.pipelineName] },
        },
      },
      target,
    );
  }

  /** The governor's decisions: `started`, `skipped-running`, `skipped-cooldown`, ... (Sum). */
  public metricRetrainingDecision(decision: string, props: cloudwatch.MetricOptions = {}): cloudwatch.Metric {
    return new cloudwatch.Metric({
      namespace: this.metricNamespace,
      metricName: 'RetrainingDecision',
      dimensionsMap: { Pipeline: this.pipelineName, Decision: decision },
      statistic: 'Sum',
      ...props,
    });
  }

  private addRule(id: string, description: string, props: events.RuleProps, target: events.IRuleTarget): void {
    this.rules.push(new events.Rule(this, id, { description, ...props, targets: [target] }));
  }
}

function validateProps(props: RetrainingScheduleProps): void {
  const problems: string[] = [];
  const prefix = props.inputPrefix ?? 'raw/';
  if (!Token.isUnresolved(prefix) && (prefix.startsWith('/') || !prefix.endsWith('/'))) {
    problems.push(`inputPrefix "${prefix}" is invalid: use a key prefix ending in "/" and not starting with one, such as "raw/"`);
  }
  if (props.newDataDebounce && props.newDataDebounce.toMinutes({ integral: false }) < 1) {
    problems.push(`newDataDebounce is ${props.newDataDebounce.toHumanString()}: use at least one minute`);
  }
  if (!props.schedule && !props.retrainOnNewData && !props.driftAlarm && !props.modelQualityAlarm) {
    problems.push('no trigger is enabled: set schedule, retrainOnNewData, driftAlarm or modelQualityAlarm');
  }
  if (problems.length > 0) throw new Error(`RetrainingSchedule: ${problems.join('; ')}`);
}
