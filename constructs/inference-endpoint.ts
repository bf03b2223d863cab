import { ArnFormat, CustomResource, Duration, RemovalPolicy, Size, Stack, Token, Validations } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { checkInstanceType } from './instance-types';
import { acknowledgeGrantActions, acknowledgeInlinePolicy, acknowledgeWildcardResource } from './private/nag-acknowledgements';
import { sageMakerNameProblem } from './naming';
import { SAGEMAKER_VPC_ACTIONS, sageMakerArn } from './private/sagemaker-iam';
import { DEPLOYER_ENV } from '../lambda/deployer/environment';
import { dataQualityNamePrefix, modelQualityNamePrefix, ownedNamePrefix, VARIANT_NAME } from '../lambda/deployer/naming';
import { ENDPOINT_CLEANUP_PROPERTIES } from '../lambda/endpoint-cleanup/properties';
import { IModelRegistry, ModelApprovalStatus } from './model-registry';
import { SageMakerImage } from './sagemaker-image';
import {
  defaultModelQualityComparison,
  MODEL_QUALITY_METRIC_NAMESPACE,
  ModelQualityAlarmOptions,
  ModelQualityComparison,
  modelQualityMetric,
  modelQualityProblems,
  ModelQualityProblemType,
} from './model-quality';
import { keyOrBucketKey } from './private/bucket-key';
import { SecureFunction } from './secure-function';

/** How the endpoint serves: on dedicated instances, or serverless. */
export abstract class EndpointVariant {
  /** Dedicated instances with autoscaling, data capture and blue/green updates. */
  public static instances(props: InstanceVariantProps): EndpointVariant {
    return new InstanceVariant(props);
  }

  /** Serverless: no cost while idle; SageMaker allows no data capture, VPC or blue/green there. */
  public static serverless(props: ServerlessVariantProps = {}): EndpointVariant {
    return new ServerlessVariant(props);
  }

  /** @internal */
  public abstract _environment(): Record<string, string>;
  /** @internal the problems of the variant; warnings go on `scope` */
  public abstract _problems(scope: Construct): string[];
  /** Whether the variant runs on dedicated instances. */
  public abstract readonly dedicatedInstances: boolean;
}

/** Properties of an instance variant. */
export interface InstanceVariantProps {
  /**
   * One `INSTANCE_TYPES.hosting` lists, or a newer one wrapped in `InstanceTypes.unlisted(...)`,
   * which synth then warns about.
   * @default 'ml.m5.large'
   */
  readonly instanceType?: string;
  /** Instances of a new deployment. @default 2 */
  readonly initialInstanceCount?: number;
  /** @default 2 */
  readonly minCapacity?: number;
  /** @default 4 */
  readonly maxCapacity?: number;
  /** Autoscaling target of invocations per instance per minute. @default 100 */
  readonly targetInvocationsPerInstance?: number;

  /** Where requests and responses are captured: what Model Monitor compares with the baseline. */
  readonly dataCapture: DataCaptureOptions;

  /**
   * Traffic shifting of updates.
   * @default TrafficShift.canary(10)
   */
  readonly trafficShift?: TrafficShift;

  /**
   * Time between traffic shifts while the rollback alarms are watched.
   * @default Duration.minutes(10)
   */
  readonly trafficShiftWait?: Duration;

  /**
   * Alarms that roll an update back while they are in ALARM (at most 10).
   * @default - no automatic rollback
   */
  readonly rollbackAlarms?: cloudwatch.IAlarm[];

  /**
   * The Model Monitor data-quality schedule the deployer keeps on the served model's baseline.
   * @default - no data-quality monitoring
   */
  readonly monitoring?: DataQualityMonitoringOptions;

  /**
   * VPC for the model containers (its private subnets with egress).
   * @default - no VPC: the model runs network-isolated
   */
  readonly vpc?: ec2.IVpc;
}

/** Where an instance endpoint captures requests and responses. */
export interface DataCaptureOptions {
  readonly bucket: s3.IBucket;
  /** @default 'capture/' */
  readonly prefix?: string;
  /** Share of requests captured, 1-100. @default 100 */
  readonly samplingPercent?: number;
}

/** A Model Monitor data-quality schedule on the served model's baseline. */
export interface DataQualityMonitoringOptions {
  /** Name of the schedule: 1-63 letters, digits and hyphens. */
  readonly scheduleName: string;
  /** @default MonitoringFrequency.DAILY */
  readonly frequency?: MonitoringFrequency;
  /**
   * Bucket the reports are written to.
   * @default - the data capture bucket
   */
  readonly outputBucket?: s3.IBucket;
  /** @default 'monitoring/' */
  readonly outputPrefix?: string;
  /**
   * Processing instance type of the monitoring jobs (one without local NVMe storage: the volume
   * is KMS-encrypted).
   * @default 'ml.m5.large'
   */
  readonly instanceType?: string;

  /**
   * A Model Monitor model-quality schedule the deployer keeps on the served model too: the
   * captured predictions merged with the ground truth users upload, its metrics published to
   * CloudWatch for an alarm (`InferenceEndpoint.modelQuality`, `MlopsMonitoring.watchModelQuality`).
   * It runs with this schedule's role, output location and instance type.
   * @default - no model-quality monitoring
   */
  readonly modelQuality?: ModelQualityMonitoringOptions;
}

/**
 * A Model Monitor model-quality schedule: what the model predicted, as captured, against the ground
 * truth uploaded under `<groundTruthPrefix><endpoint name>/yyyy/mm/dd/hh/` as JSON lines
 * `{"groundTruthData": {"data": "1", "encoding": "CSV"}, "eventMetadata": {"eventId": "<the captured
 * record's eventId>"}, "eventVersion": "0"}`
 * (https://docs.aws.amazon.com/sagemaker/latest/dg/model-monitor-model-quality-merge.html).
 */
export interface ModelQualityMonitoringOptions {
  /** Name of the schedule: 1-63 letters, digits and hyphens. */
  readonly scheduleName: string;
  /** What the model predicts; the built-in XGBoost endpoint's one CSV column is read accordingly. */
  readonly problemType: ModelQualityProblemType;
  /** The metric the alarm watches, one Model Monitor computes for the problem type (auc, accuracy, weighted_f1, rmse, ...). */
  readonly metric: string;
  /** The value the live metric must not cross. */
  readonly threshold: number;
  /**
   * Which side of the threshold is a drop in quality.
   * @default - below it for metrics that are better higher (auc), above it for those better lower (rmse)
   */
  readonly comparison?: ModelQualityComparison;
  /**
   * Bucket users upload ground truth to.
   * @default - the data capture bucket
   */
  readonly groundTruthBucket?: s3.IBucket;
  /** @default 'ground-truth/' */
  readonly groundTruthPrefix?: string;
  /** @default MonitoringFrequency.DAILY */
  readonly frequency?: MonitoringFrequency;
  /**
   * How late ground truth arrives: each run evaluates the predictions of one schedule period that
   * ended this long before it (the job's StartTimeOffset and EndTimeOffset), whole hours.
   * @default Duration.hours(24)
   */
  readonly groundTruthDelay?: Duration;
  /**
   * Binary classification: the predicted probability from which a prediction counts as the positive class (ProbabilityThresholdAttribute).
   * @default 0.5
   */
  readonly probabilityThreshold?: number;
}

/** Properties of a serverless variant. */
export interface ServerlessVariantProps {
  /** One of 1, 2, 3, 4, 5 or 6 GiB. @default Size.gibibytes(2) */
  readonly memorySize?: Size;
  /** Concurrent invocations, 1-200. @default 5 */
  readonly maxConcurrency?: number;
}

class InstanceVariant extends EndpointVariant {
  public readonly dedicatedInstances = true;
  constructor(public readonly props: InstanceVariantProps) {
    super();
  }
  public _environment(): Record<string, string> {
    const p = this.props;
    return {
      [DEPLOYER_ENV.VARIANT_TYPE]: 'instance',
      [DEPLOYER_ENV.INSTANCE_TYPE]: p.instanceType ?? 'ml.m5.large',
      [DEPLOYER_ENV.INITIAL_INSTANCE_COUNT]: String(p.initialInstanceCount ?? 2),
      [DEPLOYER_ENV.MIN_CAPACITY]: String(p.minCapacity ?? 2),
      [DEPLOYER_ENV.MAX_CAPACITY]: String(p.maxCapacity ?? 4),
      [DEPLOYER_ENV.TARGET_INVOCATIONS_PER_INSTANCE]: String(p.targetInvocationsPerInstance ?? 100),
    };
  }
  public _problems(scope: Construct): string[] {
    const p = this.props;
    const problems: string[] = [];
    const instanceTypeProblem = checkInstanceType(scope, 'hosting', 'instanceType', p.instanceType ?? 'ml.m5.large');
    if (instanceTypeProblem) problems.push(instanceTypeProblem);
    const [initial, min, max] = [p.initialInstanceCount ?? 2, p.minCapacity ?? 2, p.maxCapacity ?? 4];
    for (const [name, value] of [['initialInstanceCount', initial], ['minCapacity', min], ['maxCapacity', max]] as const) {
      if (!(Number.isInteger(value) && value >= 1)) problems.push(`${name} is ${value}: use a whole number of at least 1`);
    }
    if (min > max) problems.push(`minCapacity (${min}) is above maxCapacity (${max})`);
    else if (initial < min || initial > max) problems.push(`initialInstanceCount (${initial}) is outside minCapacity..maxCapacity (${min}..${max})`);
    const percent = p.dataCapture.samplingPercent ?? 100;
    if (!(Number.isInteger(percent) && percent >= 1 && percent <= 100)) problems.push(`dataCapture.samplingPercent is ${percent}: use a whole percentage from 1 to 100`);
    const shift = p.trafficShift;
    if (shift?.stepPercent !== undefined) {
      const [low, high] = shift.strategy === 'linear' ? [10, 50] : [1, 50];
      if (!(Number.isInteger(shift.stepPercent) && shift.stepPercent >= low && shift.stepPercent <= high)) {
        problems.push(`the ${shift.strategy} step is ${shift.stepPercent}%: SageMaker accepts ${low}-${high}%`);
      }
    }
    if (p.monitoring) {
      const name = p.monitoring.scheduleName;
      const problem = Token.isUnresolved(name) ? undefined : sageMakerNameProblem(name);
      if (problem) problems.push(`monitoring.scheduleName "${name}" is invalid: ${problem}`);
      const monitoringTypeProblem = checkInstanceType(scope, 'processing', 'monitoring.instanceType', p.monitoring.instanceType ?? 'ml.m5.large');
      if (monitoringTypeProblem) problems.push(monitoringTypeProblem);
      const quality = p.monitoring.modelQuality;
      if (quality) problems.push(...modelQualityOptionProblems(quality, name));
    }
    if ((p.rollbackAlarms?.length ?? 0) > 10) problems.push(`rollbackAlarms has ${p.rollbackAlarms?.length} alarms: SageMaker watches at most 10`);
    return problems;
  }
}

class ServerlessVariant extends EndpointVariant {
  public readonly dedicatedInstances = false;
  constructor(private readonly props: ServerlessVariantProps) {
    super();
  }
  public _environment(): Record<string, string> {
    return {
      [DEPLOYER_ENV.VARIANT_TYPE]: 'serverless',
      [DEPLOYER_ENV.SERVERLESS_MEMORY_MB]: String((this.props.memorySize ?? Size.gibibytes(2)).toMebibytes()),
      [DEPLOYER_ENV.SERVERLESS_MAX_CONCURRENCY]: String(this.props.maxConcurrency ?? 5),
    };
  }
  public _problems(): string[] {
    const problems: string[] = [];
    const memory = (this.props.memorySize ?? Size.gibibytes(2)).toMebibytes();
    if (![1024, 2048, 3072, 4096, 5120, 6144].includes(memory)) problems.push(`memorySize is ${memory} MiB: use 1, 2, 3, 4, 5 or 6 GiB`);
    const concurrency = this.props.maxConcurrency ?? 5;
    if (!(Number.isInteger(concurrency) && concurrency >= 1 && concurrency <= 200)) {
      problems.push(`maxConcurrency is ${concurrency}: use a whole number from 1 to 200`);
    }
    return problems;
  }
}

/** How often Model Monitor checks the captured data against the baseline. */
export enum MonitoringFrequency {
  HOURLY = 'cron(0 * ? * * *)',
  DAILY = 'cron(0 0 ? * * *)',
}

/** How an update of an instance variant shifts traffic to the new model (blue/green). */
export abstract class TrafficShift {
  /** All traffic at once, after the new fleet is up; rolls back on the alarms during the bake time. */
  public static allAtOnce(): TrafficShift {
    return new (class extends TrafficShift {
      public readonly strategy = 'all-at-once';
      public readonly shifts = 1;
    })();
  }

  /** `percent` (1-50) of capacity first, then the rest. */
  public static canary(percent: number): TrafficShift {
    return new (class extends TrafficShift {
      public readonly strategy = 'canary';
      public override readonly stepPercent = percent;
      public readonly shifts = 2;
    })();
  }

  /** `percent` (10-50) of capacity per step. */
  public static linear(percent: number): TrafficShift {
    return new (class extends TrafficShift {
      public readonly strategy = 'linear';
      public override readonly stepPercent = percent;
      public readonly shifts = Math.ceil(100 / Math.max(percent, 1));
    })();
  }

  public abstract readonly strategy: 'all-at-once' | 'canary' | 'linear';
  public readonly stepPercent?: number;
  /** Traffic shifts of one update, for the update's time budget. */
  public abstract readonly shifts: number;
}

/** Properties of {@link InferenceEndpoint}. */
export interface InferenceEndpointProps {
  /** Name of the endpoint the deployer creates: 1-63 letters, digits and hyphens. */
  readonly endpointName: string;

  /** The registry whose newest approved package the endpoint serves: a {@link ModelRegistry} or one imported by name. */
  readonly modelRegistry: IModelRegistry;

  /**
   * Key for the endpoint's storage, captured data, and the deployer's logs and queue.
   * @default - the KMS key of `modelArtifactsBucket`
   */
  readonly encryptionKey?: kms.IKey;

  /** Bucket holding the model artifacts the packages point at (read by the model). */
  readonly modelArtifactsBucket: s3.IBucket;

  /**
   * How the endpoint serves.
   * @default EndpointVariant.serverless()
   */
  readonly variant?: EndpointVariant;

  /**
   * What happens to the endpoint, its configs and models when the stack is deleted. DESTROY
   * removes them through a clean-up custom resource; RETAIN leaves them serving.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;

  /**
   * How long the deployer's logs are kept.
   * @default logs.RetentionDays.ONE_YEAR
   */
  readonly logRetention?: logs.RetentionDays;
}

/**
 * A real-time SageMaker endpoint that always serves the newest approved model of a registry: a
 * deployer function reacts to approvals and rejections (and to the endpoint becoming InService),
 * creates model → endpoint config → endpoint or updates it with blue/green traffic shifting and
 * auto-rollback, keeps data capture on and registers autoscaling.
 */
export class InferenceEndpoint extends Construct {
  /** The key that encrypts what this construct stores. */
  public readonly encryptionKey: kms.IKey;
  public readonly endpointName: string;
  public readonly endpointArn: string;
  /** Name of the production variant the deployer creates. */
  public readonly variantName = VARIANT_NAME;
  /** The deployer function, its role and dead-letter queue. */
  public readonly deployer: SecureFunction;
  /** The role the model containers run with. */
  public readonly modelRole: iam.Role;
  /** The role Model Monitor jobs run with, when monitoring is on. */
  public readonly monitoringRole?: iam.Role;
  /**
   * The model-quality schedule's metric, threshold and direction, for `MlopsMonitoring.watchModelQuality`;
   * undefined without `monitoring.modelQuality`.
   */
  public readonly modelQuality?: ModelQualityAlarmOptions;
  /** The function that removes what the deployer created when the stack is deleted (DESTROY only). */
  public readonly cleanupFunction?: SecureFunction;
  /** The settings of an instance variant; undefined when serverless. */
  private readonly instance?: InstanceVariantProps;

  constructor(scope: Construct, id: string, props: InferenceEndpointProps) {
    super(scope, id);
    this.encryptionKey = keyOrBucketKey('InferenceEndpoint', props.encryptionKey, props.modelArtifactsBucket, 'modelArtifactsBucket');
    const variant = props.variant ?? EndpointVariant.serverless();
    this.instance = variant instanceof InstanceVariant ? variant.props : undefined;
    const instance = this.instance;
    validateProps(this, props, variant);
    const stack = Stack.of(this);
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    this.endpointName = props.endpointName;
    const sagemakerArn = (resource: string, resourceName: string) => sageMakerArn(this, resource, resourceName);
    this.endpointArn = sagemakerArn('endpoint', props.endpointName);
    const owned = ownedNamePrefix(props.endpointName);

    this.modelRole = new iam.Role(this, 'ModelRole', {
      assumedBy: new iam.ServicePrincipal('sagemaker.amazonaws.com'),
      description: `Runs the models of endpoint ${props.endpointName}`,
    });
    props.modelArtifactsBucket.grantRead(this.modelRole);
    const capturePrefix = instance?.dataCapture.prefix ?? 'capture/';
    instance?.dataCapture.bucket.grantPut(this.modelRole, `${capturePrefix}*`);
    this.encryptionKey.grantEncryptDecrypt(this.modelRole);
    const endpointLogs = stack.formatArn({ service: 'logs', resource: 'log-group', resourceName: '/aws/sagemaker/Endpoints/*', arnFormat: ArnFormat.COLON_RESOURCE_NAME });
    this.modelRole.addToPrincipalPolicy(
      new iam.PolicyStatement({ actions: ['logs:CreateLogGroup', 'logs:CreateLogStream', 'logs:PutLogEvents'], resources: [endpointLogs] }),
    );

    const environment: Record<string, string> = {
      [DEPLOYER_ENV.ENDPOINT_NAME]: props.endpointName,
      [DEPLOYER_ENV.MODEL_PACKAGE_GROUP_NAME]: props.modelRegistry.modelPackageGroupName,
      [DEPLOYER_ENV.MODEL_EXECUTION_ROLE_ARN]: this.modelRole.roleArn,
      [DEPLOYER_ENV.KMS_KEY_ID]: this.encryptionKey.keyArn,
      ...variant._environment(),
    };
    if (instance) {
      const shift = instance.trafficShift ?? TrafficShift.canary(10);
      const waitSeconds = (instance.trafficShiftWait ?? Duration.minutes(10)).toSeconds();
      Object.assign(environment, {
        [DEPLOYER_ENV.DATA_CAPTURE_S3_URI]: instance.dataCapture.bucket.s3UrlForObject(capturePrefix),
        [DEPLOYER_ENV.DATA_CAPTURE_PERCENT]: String(instance.dataCapture.samplingPercent ?? 100),
        [DEPLOYER_ENV.DATA_CAPTURE_KMS_KEY_ID]: this.encryptionKey.keyArn,
        [DEPLOYER_ENV.DEPLOYMENT_STRATEGY]: shift.strategy,
        [DEPLOYER_ENV.WAIT_INTERVAL_SECONDS]: String(waitSeconds),
        // Every shift waits once, plus the final bake and ten minutes for the new fleet to start.
        [DEPLOYER_ENV.MAX_EXECUTION_TIMEOUT_SECONDS]: String(Math.min(14400, Math.max(600, waitSeconds * (shift.shifts + 1) + 600))),
      });
      if (shift.stepPercent !== undefined) environment[DEPLOYER_ENV.TRAFFIC_STEP_PERCENT] = String(shift.stepPercent);
      const monitoring = instance.monitoring;
      if (monitoring) {
        this.monitoringRole = this.createMonitoringRole(props, instance.dataCapture.bucket, capturePrefix, monitoring);
        const outputBucket = monitoring.outputBucket ?? instance.dataCapture.bucket;
        Object.assign(environment, {
          [DEPLOYER_ENV.MONITORING_SCHEDULE_NAME]: monitoring.scheduleName,
          [DEPLOYER_ENV.MONITORING_SCHEDULE_EXPRESSION]: monitoring.frequency ?? MonitoringFrequency.DAILY,
          [DEPLOYER_ENV.MONITORING_IMAGE_URI]: SageMakerImage.modelMonitorAnalyzer().bind(this, this.monitoringRole),
          [DEPLOYER_ENV.MONITORING_ROLE_ARN]: this.monitoringRole.roleArn,
          [DEPLOYER_ENV.MONITORING_OUTPUT_S3_URI]: outputBucket.s3UrlForObject(monitoring.outputPrefix ?? 'monitoring/'),
          [DEPLOYER_ENV.MONITORING_INSTANCE_TYPE]: monitoring.instanceType ?? 'ml.m5.large',
        });
        const quality = monitoring.modelQuality;
        if (quality) {
          const groundTruthBucket = quality.groundTruthBucket ?? instance.dataCapture.bucket;
          const groundTruthPrefix = quality.groundTruthPrefix ?? 'ground-truth/';
          this.grantModelQualityJobs(this.monitoringRole, groundTruthBucket, groundTruthPrefix);
          const frequency = quality.frequency ?? MonitoringFrequency.DAILY;
          const delayHours = (quality.groundTruthDelay ?? Duration.hours(24)).toHours();
          // Each run evaluates the predictions of one schedule period that ended delayHours ago.
          // https://docs.aws.amazon.com/sagemaker/latest/dg/model-monitor-model-quality-schedule.html
          const periodHours = frequency === MonitoringFrequency.HOURLY ? 1 : 24;
          Object.assign(environment, {
            [DEPLOYER_ENV.MODEL_QUALITY_SCHEDULE_NAME]: quality.scheduleName,
            [DEPLOYER_ENV.MODEL_QUALITY_SCHEDULE_EXPRESSION]: frequency,
            [DEPLOYER_ENV.MODEL_QUALITY_PROBLEM_TYPE]: quality.problemType,
            [DEPLOYER_ENV.MODEL_QUALITY_GROUND_TRUTH_S3_URI]: groundTruthBucket.s3UrlForObject(groundTruthPrefix),
            [DEPLOYER_ENV.MODEL_QUALITY_START_TIME_OFFSET]: `-PT${delayHours + periodHours}H`,
            [DEPLOYER_ENV.MODEL_QUALITY_END_TIME_OFFSET]: `-PT${delayHours}H`,
          });
          if (quality.problemType === ModelQualityProblemType.BINARY_CLASSIFICATION) {
            environment[DEPLOYER_ENV.MODEL_QUALITY_PROBABILITY_THRESHOLD] = String(quality.probabilityThreshold ?? 0.5);
          }
          this.modelQuality = {
            endpointName: props.endpointName,
            scheduleName: quality.scheduleName,
            metricName: quality.metric,
            threshold: quality.threshold,
            comparison: quality.comparison ?? defaultModelQualityComparison(quality.problemType, quality.metric),
            period: frequency === MonitoringFrequency.HOURLY ? Duration.hours(1) : Duration.days(1),
          };
        }
      }
      if (instance.rollbackAlarms?.length) environment[DEPLOYER_ENV.ROLLBACK_ALARM_NAMES] = instance.rollbackAlarms.map((alarm) => alarm.alarmName).join(',');
      if (instance.vpc) {
        const securityGroup = new ec2.SecurityGroup(this, 'ModelSecurityGroup', { vpc: instance.vpc, description: `Models of ${props.endpointName}`, allowAllOutbound: false });
        securityGroup.addEgressRule(ec2.Peer.anyIpv4(), ec2.Port.tcp(443), 'AWS APIs over TLS');
        environment[DEPLOYER_ENV.SUBNET_IDS] = instance.vpc.selectSubnets({ subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS }).subnetIds.join(',');
        environment[DEPLOYER_ENV.SECURITY_GROUP_IDS] = securityGroup.securityGroupId;
        this.modelRole.addToPrincipalPolicy(
          new iam.PolicyStatement({
            actions: SAGEMAKER_VPC_ACTIONS,
            resources: ['*'],
          }),
        );
      }
    }

    this.deployer = new SecureFunction(this, 'Deployer', {
      handlerFolder: 'deployer',
      description: `Keeps ${props.endpointName} on the newest approved model of ${props.modelRegistry.modelPackageGroupName}`,
      environment,
      encryptionKey: this.encryptionKey,
      logRetention: props.logRetention ?? logs.RetentionDays.ONE_YEAR,
      removalPolicy,
      // No reserved concurrency (a new account has none to reserve): two deployments at once are
      // safe, since both deploy the same newest approved package, every create tolerates "already
      // exists", and an update refused while the endpoint is Updating is retried.
      timeout: Duration.seconds(60),
    });
    this.grantDeployer(props, variant.dedicatedInstances, owned, sagemakerArn);

    const target = new targets.LambdaFunction(this.deployer.function, {
      retryAttempts: 8,
      maxEventAge: Duration.hours(6),
      deadLetterQueue: this.deployer.deadLetterQueue,
    });
    const decisions = props.modelRegistry.onStateChange('ApprovalDecisionRule', {
      description: `Deploys the newest approved model to ${props.endpointName} after an approval or rejection`,
      approvalStatuses: [ModelApprovalStatus.APPROVED, ModelApprovalStatus.REJECTED],
      target,
    });
    // InService is when autoscaling can be registered, a deferred approval lands, and a silent rollback shows.
    const inService = new events.Rule(this, 'EndpointInServiceRule', {
      description: `Finishes deployments of ${props.endpointName} once it is InService`,
      eventPattern: {
        source: ['aws.sagemaker'],
        detailType: ['SageMaker Endpoint State Change'],
        detail: { EndpointName: [props.endpointName], EndpointStatus: ['IN_SERVICE'] },
      },
      targets: [target],
    });

    if (removalPolicy === RemovalPolicy.DESTROY) {
      this.cleanupFunction = new SecureFunction(this, 'CleanupFunction', {
        handlerFolder: 'endpoint-cleanup',
        description: `Removes ${props.endpointName} and what the deployer created for it when the stack is deleted`,
        environment: {},
        encryptionKey: this.encryptionKey,
        logRetention: props.logRetention ?? logs.RetentionDays.ONE_YEAR,
        removalPolicy: RemovalPolicy.DESTROY,
        // Deleting an endpoint takes minutes; the handler waits up to this long before giving up.
        timeout: Duration.minutes(14),
      });
      const cleanup = this.cleanupResource(props, this.cleanupFunction, owned, sagemakerArn);
      // Deleted before the clean-up runs, so nothing deploys the endpoint again meanwhile.
      for (const dependent of [this.deployer, decisions, inService]) dependent.node.addDependency(cleanup);
    }
    this.acknowledgeWildcards(props, variant.dedicatedInstances, owned, sagemakerArn, endpointLogs);
  }

  /** Grants invoking the endpoint. */
  public grantInvoke(grantee: iam.IGrantable): iam.Grant {
    return iam.Grant.addToPrincipal({ grantee, actions: ['sagemaker:InvokeEndpoint'], resourceArns: [this.endpointArn] });
  }

  /** A metric of the endpoint's variant in AWS/SageMaker (Sum by default). */
  public metric(metricName: string, props: cloudwatch.MetricOptions = {}): cloudwatch.Metric {
    return new cloudwatch.Metric({
      namespace: 'AWS/SageMaker',
      metricName,
      dimensionsMap: { EndpointName: this.endpointName, VariantName: this.variantName },
      statistic: 'Sum',
      ...props,
    });
  }

  /** Requests the endpoint received. */
  public metricInvocations(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metric('Invocations', props);
  }

  /** Requests that failed with a 4xx error. */
  public metricInvocation4XXErrors(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metric('Invocation4XXErrors', props);
  }

  /** Requests that failed with a 5xx error. */
  public metricInvocation5XXErrors(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metric('Invocation5XXErrors', props);
  }

  /** Time the model took to answer, in microseconds (Average by default). */
  public metricModelLatency(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metric('ModelLatency', { statistic: 'Average', ...props });
  }

  /**
   * The metric the model-quality schedule publishes for `monitoring.modelQuality.metric`, such as
   * auc (Average by default); namespace aws/sagemaker/Endpoints/model-metrics.
   */
  public metricModelQuality(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    const quality = this.modelQuality;
    if (!quality) throw new Error(`InferenceEndpoint ${this.endpointName}: metricModelQuality needs monitoring.modelQuality on the instance variant`);
    return modelQualityMetric(quality.endpointName, quality.scheduleName, quality.metricName, { period: quality.period, ...props });
  }

  /** Time SageMaker added around the model, in microseconds (Average by default). */
  public metricOverheadLatency(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metric('OverheadLatency', { statistic: 'Average', ...props });
  }

  private grantDeployer(props: InferenceEndpointProps, dedicatedInstances: boolean, owned: string, arn: (resource: string, name: string) => string): void {
    const role = this.deployer.role;
    const statement = (actions: string[], resources: string[], conditions?: Record<string, unknown>) =>
      role.addToPrincipalPolicy(new iam.PolicyStatement({ actions, resources, conditions }));
    statement(
      ['sagemaker:DescribeEndpoint', 'sagemaker:CreateEndpoint', 'sagemaker:UpdateEndpoint', 'sagemaker:UpdateEndpointWeightsAndCapacities', 'sagemaker:AddTags', 'sagemaker:ListTags'],
      [this.endpointArn, arn('endpoint-config', `${owned}*`)],
    );
    statement(['sagemaker:DescribeEndpointConfig', 'sagemaker:CreateEndpointConfig', 'sagemaker:DeleteEndpointConfig'], [arn('endpoint-config', `${owned}*`)]);
    statement(['sagemaker:CreateModel', 'sagemaker:DeleteModel', 'sagemaker:AddTags', 'sagemaker:ListTags'], [arn('model', `${owned}*`)]);
    props.modelRegistry.grantRead(role);
    // List actions cannot be scoped to a resource.
    statement(['sagemaker:ListModelPackages', 'sagemaker:ListEndpointConfigs', 'sagemaker:ListModels'], ['*']);
    const passable = [this.modelRole.roleArn, ...(this.monitoringRole ? [this.monitoringRole.roleArn] : [])];
    statement(['iam:PassRole'], passable, { StringEquals: { 'iam:PassedToService': 'sagemaker.amazonaws.com' } });
    const scheduleName = this.instance?.monitoring?.scheduleName;
    if (scheduleName && this.monitoringRole) {
      statement(
        ['sagemaker:CreateDataQualityJobDefinition', 'sagemaker:DeleteDataQualityJobDefinition', 'sagemaker:AddTags', 'sagemaker:ListTags'],
        [arn('data-quality-job-definition', `${dataQualityNamePrefix(props.endpointName)}*`)],
      );
      statement(
        ['sagemaker:DescribeMonitoringSchedule', 'sagemaker:CreateMonitoringSchedule', 'sagemaker:UpdateMonitoringSchedule', 'sagemaker:AddTags', 'sagemaker:ListTags'],
        [arn('monitoring-schedule', scheduleName)],
      );
      statement(['sagemaker:ListDataQualityJobDefinitions'], ['*']);
      const modelQualitySchedule = this.instance?.monitoring?.modelQuality?.scheduleName;
      if (modelQualitySchedule) {
        statement(
          ['sagemaker:CreateModelQualityJobDefinition', 'sagemaker:DeleteModelQualityJobDefinition', 'sagemaker:AddTags', 'sagemaker:ListTags'],
          [arn('model-quality-job-definition', `${modelQualityNamePrefix(props.endpointName)}*`)],
        );
        statement(
          ['sagemaker:DescribeMonitoringSchedule', 'sagemaker:CreateMonitoringSchedule', 'sagemaker:UpdateMonitoringSchedule', 'sagemaker:AddTags', 'sagemaker:ListTags'],
          [arn('monitoring-schedule', modelQualitySchedule)],
        );
        statement(['sagemaker:ListModelQualityJobDefinitions'], ['*']);
      }
    }
    this.encryptionKey.grant(role, 'kms:CreateGrant', 'kms:DescribeKey');
    // Described and deregistered for every variant (a serverless update removes an old target).
    statement(
      ['application-autoscaling:DescribeScalableTargets', 'application-autoscaling:DescribeScalingPolicies', 'application-autoscaling:RegisterScalableTarget', 'application-autoscaling:PutScalingPolicy', 'application-autoscaling:DeregisterScalableTarget'],
      ['*'],
    );
    const rollbackAlarms = this.instance?.rollbackAlarms ?? [];
    if (rollbackAlarms.length > 0) {
      // UpdateEndpoint checks the rollback alarms with the caller's permissions.
      // https://docs.aws.amazon.com/sagemaker/latest/dg/deployment-guardrails-configuration.html
      statement(['cloudwatch:DescribeAlarms'], rollbackAlarms.map((alarm) => alarm.alarmArn));
    }
    // Target tracking and its service-linked role come only with instance variants.
    if (dedicatedInstances) {
      statement(['cloudwatch:PutMetricAlarm', 'cloudwatch:DescribeAlarms', 'cloudwatch:DeleteAlarms'], [targetTrackingAlarms(this)]);
      statement(
        ['iam:CreateServiceLinkedRole'],
        [Stack.of(this).formatArn({ service: 'iam', region: '', resource: 'role', resourceName: 'aws-service-role/sagemaker.application-autoscaling.amazonaws.com/AWSServiceRoleForApplicationAutoScaling_SageMakerEndpoint' })],
        { StringLike: { 'iam:AWSServiceName': 'sagemaker.application-autoscaling.amazonaws.com' } },
      );
    }
  }

  /** Model Monitor jobs read captured data and the baseline, and write their reports. */
  private createMonitoringRole(props: InferenceEndpointProps, captureBucket: s3.IBucket, capturePrefix: string, monitoring: DataQualityMonitoringOptions): iam.Role {
    const role = new iam.Role(this, 'MonitoringRole', {
      assumedBy: new iam.ServicePrincipal('sagemaker.amazonaws.com'),
      description: `Runs the Model Monitor jobs of endpoint ${props.endpointName}`,
    });
    const outputBucket = monitoring.outputBucket ?? captureBucket;
    const outputPrefix = monitoring.outputPrefix ?? 'monitoring/';
    captureBucket.grantRead(role, `${capturePrefix}*`);
    props.modelArtifactsBucket.grantRead(role);
    outputBucket.grantPut(role, `${outputPrefix}*`);
    this.encryptionKey.grantEncryptDecrypt(role);
    this.encryptionKey.grant(role, 'kms:CreateGrant', 'kms:DescribeKey');
    const jobLogs = Stack.of(this).formatArn({ service: 'logs', resource: 'log-group', resourceName: '/aws/sagemaker/ProcessingJobs*', arnFormat: ArnFormat.COLON_RESOURCE_NAME });
    role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['logs:CreateLogGroup', 'logs:CreateLogStream', 'logs:PutLogEvents'], resources: [jobLogs] }));
    const policy = role.node.findChild('DefaultPolicy');
    acknowledgeGrantActions(policy, ['s3:GetObject*', 's3:GetBucket*', 's3:List*', 's3:Abort*', 'kms:ReEncrypt*', 'kms:GenerateDataKey*']);
    acknowledgeInlinePolicy(policy, `the capture, baseline and report locations and the key of endpoint ${props.endpointName}`);
    acknowledgeWildcardResource(policy, captureBucket.arnForObjects(`${capturePrefix}*`), 'Monitoring jobs read every captured file under the capture prefix.');
    acknowledgeWildcardResource(policy, props.modelArtifactsBucket.arnForObjects('*'), 'Baselines live wherever each pipeline run wrote them in the artifacts bucket.');
    acknowledgeWildcardResource(policy, outputBucket.arnForObjects(`${outputPrefix}*`), 'Monitoring jobs write reports with generated names under the report prefix.');
    acknowledgeWildcardResource(policy, jobLogs, 'Monitoring jobs write to the /aws/sagemaker/ProcessingJobs log group with generated stream names.');
    return role;
  }

  /**
   * Model-quality jobs also read the uploaded ground truth and publish their metrics. Processing
   * jobs' roles need cloudwatch:PutMetricData
   * (https://docs.aws.amazon.com/sagemaker/latest/dg/sagemaker-roles.html#sagemaker-roles-createprocessingjob-perms),
   * here only in the model-metrics namespace.
   */
  private grantModelQualityJobs(role: iam.Role, groundTruthBucket: s3.IBucket, groundTruthPrefix: string): void {
    groundTruthBucket.grantRead(role, `${groundTruthPrefix}*`);
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'ModelQualityMetrics',
        actions: ['cloudwatch:PutMetricData'],
        resources: ['*'],
        conditions: { StringEquals: { 'cloudwatch:namespace': MODEL_QUALITY_METRIC_NAMESPACE } },
      }),
    );
    const policy = role.node.findChild('DefaultPolicy');
    acknowledgeWildcardResource(policy, groundTruthBucket.arnForObjects(`${groundTruthPrefix}*`), 'Model-quality jobs read every ground-truth file users upload under the ground-truth prefix.');
    Validations.of(policy).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason: `cloudwatch:PutMetricData has no resource type; a condition limits it to the ${MODEL_QUALITY_METRIC_NAMESPACE} namespace the model-quality jobs publish to.`,
    });
  }

  private cleanupResource(props: InferenceEndpointProps, cleanup: SecureFunction, owned: string, arn: (resource: string, name: string) => string): CustomResource {
    const role = cleanup.role;
    role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['sagemaker:DescribeEndpoint', 'sagemaker:ListTags', 'sagemaker:DeleteEndpoint'], resources: [this.endpointArn] }));
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({ actions: ['sagemaker:ListTags', 'sagemaker:DeleteEndpointConfig', 'sagemaker:DeleteModel'], resources: [arn('endpoint-config', `${owned}*`), arn('model', `${owned}*`)] }),
    );
    role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['sagemaker:ListEndpointConfigs', 'sagemaker:ListModels', 'sagemaker:ListDataQualityJobDefinitions', 'application-autoscaling:DescribeScalableTargets', 'application-autoscaling:DeregisterScalableTarget'], resources: ['*'] }));
    const policy = role.node.findChild('DefaultPolicy');
    const scheduleName = this.instance?.monitoring?.scheduleName;
    if (this.monitoringRole && scheduleName) {
      const jobDefinitions = arn('data-quality-job-definition', `${dataQualityNamePrefix(props.endpointName)}*`);
      role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['sagemaker:DescribeMonitoringSchedule', 'sagemaker:DeleteMonitoringSchedule'], resources: [arn('monitoring-schedule', scheduleName)] }));
      role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['sagemaker:ListTags', 'sagemaker:DeleteDataQualityJobDefinition'], resources: [jobDefinitions] }));
      acknowledgeWildcardResource(policy, jobDefinitions, 'The deployer names each data-quality job definition after the endpoint plus a version suffix; the clean-up deletes only those it tagged.');
    }
    const modelQualitySchedule = this.instance?.monitoring?.modelQuality?.scheduleName;
    if (this.monitoringRole && modelQualitySchedule) {
      const jobDefinitions = arn('model-quality-job-definition', `${modelQualityNamePrefix(props.endpointName)}*`);
      role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['sagemaker:DescribeMonitoringSchedule', 'sagemaker:DeleteMonitoringSchedule'], resources: [arn('monitoring-schedule', modelQualitySchedule)] }));
      role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['sagemaker:ListTags', 'sagemaker:DeleteModelQualityJobDefinition'], resources: [jobDefinitions] }));
      role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['sagemaker:ListModelQualityJobDefinitions'], resources: ['*'] }));
      acknowledgeWildcardResource(policy, jobDefinitions, 'The deployer names each model-quality job definition after the endpoint plus a version suffix; the clean-up deletes only those it tagged.');
    }
    acknowledgeWildcardResource(policy, arn('endpoint-config', `${owned}*`), 'The deployer names each endpoint config after the endpoint plus a version suffix; the clean-up deletes only those it tagged.');
    acknowledgeWildcardResource(policy, arn('model', `${owned}*`), 'The deployer names each model after the endpoint plus a version suffix; the clean-up deletes only those it tagged.');
    return new CustomResource(this, 'Cleanup', {
      serviceToken: cleanup.function.functionArn,
      resourceType: 'Custom::EndpointCleanup',
      properties: {
        [ENDPOINT_CLEANUP_PROPERTIES.ENDPOINT_NAME]: props.endpointName,
        ...(this.monitoringRole && scheduleName ? { [ENDPOINT_CLEANUP_PROPERTIES.MONITORING_SCHEDULE_NAME]: scheduleName } : {}),
        ...(this.monitoringRole && modelQualitySchedule ? { [ENDPOINT_CLEANUP_PROPERTIES.MODEL_QUALITY_SCHEDULE_NAME]: modelQualitySchedule } : {}),
      },
    });
  }

  private acknowledgeWildcards(props: InferenceEndpointProps, dedicatedInstances: boolean, owned: string, arn: (resource: string, name: string) => string, endpointLogs: string): void {
    const deployerPolicy = this.deployer.role.node.findChild('DefaultPolicy');
    const named = 'The deployer names models and endpoint configs after the endpoint plus a version suffix: the prefix is as narrow as the names allow.';
    acknowledgeWildcardResource(deployerPolicy, arn('endpoint-config', `${owned}*`), named);
    acknowledgeWildcardResource(deployerPolicy, arn('model', `${owned}*`), named);
    if (this.monitoringRole) {
      acknowledgeWildcardResource(deployerPolicy, arn('data-quality-job-definition', `${dataQualityNamePrefix(props.endpointName)}*`), 'The deployer names each data-quality job definition after the endpoint plus a version suffix.');
      if (this.instance?.monitoring?.modelQuality) {
        acknowledgeWildcardResource(deployerPolicy, arn('model-quality-job-definition', `${modelQualityNamePrefix(props.endpointName)}*`), 'The deployer names each model-quality job definition after the endpoint plus a version suffix.');
      }
    }
    if (dedicatedInstances) {
      acknowledgeWildcardResource(deployerPolicy, targetTrackingAlarms(this), 'Target-tracking scaling creates its alarms under generated TargetTracking-* names.');
    }
    const modelPolicy = this.modelRole.node.findChild('DefaultPolicy');
    acknowledgeGrantActions(modelPolicy, ['s3:GetObject*', 's3:GetBucket*', 's3:List*', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', ...(this.instance ? (['s3:Abort*'] as const) : [])]);
    acknowledgeInlinePolicy(modelPolicy, `the artifacts and capture locations and the key of endpoint ${props.endpointName}`);
    acknowledgeWildcardResource(modelPolicy, endpointLogs, 'SageMaker writes endpoint container logs to /aws/sagemaker/Endpoints/<name> with generated stream names.');
    acknowledgeWildcardResource(modelPolicy, props.modelArtifactsBucket.arnForObjects('*'), 'Models load their artifacts from wherever the pipeline wrote them in the artifacts bucket.');
    if (this.instance) {
      const { bucket, prefix } = this.instance.dataCapture;
      acknowledgeWildcardResource(modelPolicy, bucket.arnForObjects(`${prefix ?? 'capture/'}*`), 'Data capture writes files with generated names under the capture prefix.');
    }
  }
}

/** The alarms target-tracking scaling creates, under generated `TargetTracking-*` names. */
function targetTrackingAlarms(scope: Construct): string {
  return Stack.of(scope).formatArn({ service: 'cloudwatch', resource: 'alarm', resourceName: 'TargetTracking*', arnFormat: ArnFormat.COLON_RESOURCE_NAME });
}

function validateProps(scope: Construct, props: InferenceEndpointProps, variant: EndpointVariant): void {
  const problems = [...variant._problems(scope)];
  if (!Token.isUnresolved(props.endpointName)) {
    const problem = sageMakerNameProblem(props.endpointName);
    if (problem) problems.push(`endpointName "${props.endpointName}" is invalid: ${problem}`);
  }
  if (problems.length > 0) throw new Error(`InferenceEndpoint: ${problems.join('; ')}`);
}

function modelQualityOptionProblems(quality: ModelQualityMonitoringOptions, dataQualityScheduleName: string): string[] {
  const problems = modelQualityProblems(quality.problemType, quality.metric, quality.threshold, quality.comparison).map((problem) => `monitoring.modelQuality: ${problem}`);
  const name = quality.scheduleName;
  if (!Token.isUnresolved(name)) {
    const problem = sageMakerNameProblem(name);
    if (problem) problems.push(`monitoring.modelQuality.scheduleName "${name}" is invalid: ${problem}`);
    else if (!Token.isUnresolved(dataQualityScheduleName) && name.toLowerCase() === dataQualityScheduleName.toLowerCase()) {
      problems.push(`monitoring.modelQuality.scheduleName "${name}" is the data-quality schedule's name: give each schedule its own`);
    }
  }
  const prefix = quality.groundTruthPrefix ?? 'ground-truth/';
  if (!Token.isUnresolved(prefix) && (prefix.startsWith('/') || !prefix.endsWith('/'))) {
    problems.push(`monitoring.modelQuality.groundTruthPrefix "${prefix}" is invalid: use a key prefix ending in "/" and not starting with one, such as "ground-truth/"`);
  }
  const delay = quality.groundTruthDelay;
  if (delay && !Token.isUnresolved(delay.toSeconds()) && !(Number.isInteger(delay.toHours({ integral: false })) && delay.toHours({ integral: false }) >= 0 && delay.toHours({ integral: false }) <= 8760)) {
    problems.push(`monitoring.modelQuality.groundTruthDelay is ${delay.toHumanString()}: use whole hours from 0 to 8760`);
  }
  const threshold = quality.probabilityThreshold;
  if (threshold !== undefined) {
    if (quality.problemType !== ModelQualityProblemType.BINARY_CLASSIFICATION) {
      problems.push(`monitoring.modelQuality.probabilityThreshold applies to ${ModelQualityProblemType.BINARY_CLASSIFICATION} only, not ${quality.problemType}`);
    } else if (!Token.isUnresolved(threshold) && !(threshold >= 0 && threshold <= 1)) {
      problems.push(`monitoring.modelQuality.probabilityThreshold is ${threshold}: use a probability from 0 to 1`);
    }
  }
  return problems;
}
