import { Duration, Fn, RemovalPolicy, Size, Stack, StackProps, Tags } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as events from 'aws-cdk-lib/aws-events';
import * as logs from 'aws-cdk-lib/aws-logs';
import {
  BatchInference,
  BatchSplitType,
  EndpointVariant,
  ExplorationWorkspace,
  FeatureProcessing,
  InferenceEndpoint,
  MlopsMonitoring,
  MlopsStorage,
  ModelApprovalStatus,
  ModelQualityComparison,
  ModelQualityProblemType,
  MonitoringFrequency,
  ModelRegistry,
  RetrainingSchedule,
  TrainingPipeline,
  TrainingPipelineProps,
  TrafficShift,
  XGBOOST_OBJECTIVE_METRICS,
  XGBOOST_TUNABLE_HYPERPARAMETERS,
} from '../constructs';
import { batchScorerName, resourceNames } from '../constructs/naming';
import { stageModelQuality } from './model-quality-config';
import { StageConfig, withAdditionalInstanceTypesAllowed } from './stage-config';

/** Properties of {@link MlopsStack}. */
export interface MlopsStackProps extends StackProps {
  /** The validated stage config (see `loadStageConfig`). */
  readonly config: StageConfig;
}

/**
 * The stage's tuning as TrainingPipeline props: the ranges by kind, the objective (by default the
 * problem type's first) with its direction, and the hyperparameters with `eval_metric` set to the
 * objective's metric so the algorithm emits it.
 */
function tuningProps(training: StageConfig['training']): Pick<TrainingPipelineProps, 'tuning' | 'hyperparameters'> {
  const { tuning, problemType } = training;
  const objectives: Readonly<Record<string, 'Maximize' | 'Minimize'>> = XGBOOST_OBJECTIVE_METRICS[problemType];
  const objectiveMetric = tuning.objectiveMetric ?? Object.keys(objectives)[0];
  const ranges = Object.entries(tuning.ranges);
  const numeric = (kind: 'continuous' | 'integer') =>
    Object.fromEntries(
      ranges.flatMap(([name, range]) =>
        'values' in range || XGBOOST_TUNABLE_HYPERPARAMETERS[name].kind !== kind ? [] : [[name, { min: range.min, max: range.max, scaling: range.scaling }]],
      ),
    );
  return {
    hyperparameters: { ...TrainingPipeline.defaultHyperparameters(problemType, training.numClasses), eval_metric: objectiveMetric.replace(/^validation:/, '') },
    tuning: {
      strategy: tuning.strategy,
      maxJobs: tuning.maxJobs,
      maxParallelJobs: tuning.maxParallelJobs,
      objective: { metricName: objectiveMetric, type: objectives[objectiveMetric] },
      continuousRanges: numeric('continuous'),
      integerRanges: numeric('integer'),
      categoricalRanges: Object.fromEntries(ranges.flatMap(([name, range]) => ('values' in range ? [[name, range.values]] : []))),
      earlyStopping: tuning.earlyStopping,
    },
  };
}

/** One stage of the MLOps environment, composed from the reusable constructs and its stage config. */
export class MlopsStack extends Stack {
  public readonly config: StageConfig;
  public readonly storage: MlopsStorage;
  public readonly registry: ModelRegistry;
  public readonly pipeline: TrainingPipeline;
  public readonly monitoring: MlopsMonitoring;
  public readonly endpoint: InferenceEndpoint;
  public readonly retraining: RetrainingSchedule;
  /** Batch inference of batch/input/, when the config has `batch.enabled`. */
  public readonly batch?: BatchInference;
  /** The Studio domain, when the config has `exploration.studio`. */
  public readonly exploration?: ExplorationWorkspace;

  constructor(scope: Construct, id: string, props: MlopsStackProps) {
    // The config's additionalInstanceTypes reach the constructs marked, so they accept them with a warning.
    const config = withAdditionalInstanceTypesAllowed(props.config);
    super(scope, id, {
      description: `cdk-mlops ${config.project} ${config.stage}: ${config.description}`.trim(),
      terminationProtection: config.removalPolicy === 'retain',
      ...props,
    });
    this.config = props.config;
    const names = resourceNames(config.project, config.stage);
    const destroy = config.removalPolicy === 'destroy';
    const removalPolicy = destroy ? RemovalPolicy.DESTROY : RemovalPolicy.RETAIN;
    // CloudWatch's RetentionDays values are the day counts the config schema allows.
    const logRetention = config.logRetentionDays as logs.RetentionDays;

    // cfn-lint's resource schemas do not list Tags on dashboards yet, though aws-cdk-lib renders them.
    const tagging = { excludeResourceTypes: ['AWS::CloudWatch::Dashboard'] };
    Tags.of(this).add('cdk-mlops:project', config.project, tagging);
    Tags.of(this).add('cdk-mlops:stage', config.stage, tagging);

    this.storage = new MlopsStorage(this, 'Storage', {
      encryptionKeyAlias: `alias/${names.prefix}`,
      removalPolicy,
      autoDeleteObjects: destroy,
      noncurrentVersionExpiration: Duration.days(config.storage.noncurrentVersionExpirationDays),
      accessLogsExpiration: Duration.days(config.storage.accessLogExpirationDays),
    });

    this.registry = new ModelRegistry(this, 'Registry', {
      modelPackageGroupName: names.modelPackageGroup,
      description: `Models of ${config.project} (${config.stage})`,
      encryptionKey: this.storage.encryptionKey,
      approverEmails: config.approval.approverEmails,
      auditLogRetention: logRetention,
      removalPolicy,
    });

    const { training, endpoint } = config;
    this.pipeline = new TrainingPipeline(this, 'Pipeline', {
      pipelineName: names.pipeline,
      dataBucket: this.storage.dataBucket,
      rawDataPrefix: MlopsStorage.RAW_PREFIX,
      featuresPrefix: MlopsStorage.FEATURES_PREFIX,
      artifactsBucket: this.storage.artifactsBucket,
      encryptionKey: this.storage.encryptionKey,
      modelRegistry: this.registry,
      modelApprovalStatus: config.approval.mode === 'auto' ? ModelApprovalStatus.APPROVED : ModelApprovalStatus.PENDING_MANUAL_APPROVAL,
      featureProcessing: new FeatureProcessing(this, 'FeatureProcessing', {
        instanceType: training.processingInstanceType,
        instanceCount: training.processingInstanceCount,
        scriptArguments: TrainingPipeline.scriptArguments(training.labelColumn, training.problemType, training.numClasses),
      }),
      problemType: training.problemType,
      numClasses: training.numClasses,
      labelColumn: training.labelColumn,
      trainingInstanceType: training.trainingInstanceType,
      trainingInstanceCount: training.trainingInstanceCount,
      maxRuntime: Duration.minutes(training.maxRuntimeMinutes),
      useSpotInstances: training.useSpotInstances,
      maxWait: training.useSpotInstances ? Duration.minutes(training.maxWaitMinutes) : undefined,
      checkpointPrefix: training.useSpotInstances ? 'checkpoints/' : undefined,
      review: {
        checks: config.review.checks,
        championMargin: config.review.championMargin,
        intendedUse: config.review.modelCard.intendedUse,
        riskRating: config.review.modelCard.riskRating,
      },
      bias: config.review.bias,
      ...(training.tuning.enabled && tuningProps(training)),
      logRetention,
      removalPolicy,
    });
    this.pipeline.node.addDependency(this.registry);

    this.monitoring = new MlopsMonitoring(this, 'Monitoring', {
      encryptionKey: this.storage.encryptionKey,
      alarmEmails: config.monitoring.alarmEmails,
      dashboardName: names.prefix,
      endpointName: names.endpoint,
      endpointServerless: endpoint.variant === 'serverless',
      serverErrorRatePercent: config.monitoring.serverErrorRatePercent,
      latencyP99Threshold: Duration.millis(config.monitoring.latencyP99Millis),
      pipeline: { pipelineName: names.pipeline, stepNames: this.pipeline.stepNames },
      modelPackageGroupName: names.modelPackageGroup,
      // Serverless endpoints capture no data, so they have no Model Monitor schedule to watch.
      dataQualityScheduleName: endpoint.variant === 'instance' ? names.dataQualitySchedule : undefined,
      logRetention,
      removalPolicy,
    });

    // Serverless endpoints capture nothing, so they have no model-quality schedule either.
    const modelQuality = endpoint.variant === 'instance' ? stageModelQuality(config) : undefined;
    this.endpoint = new InferenceEndpoint(this, 'Endpoint', {
      endpointName: names.endpoint,
      modelRegistry: this.registry,
      encryptionKey: this.storage.encryptionKey,
      modelArtifactsBucket: this.storage.artifactsBucket,
      variant:
        endpoint.variant === 'instance'
          ? EndpointVariant.instances({
              instanceType: endpoint.instanceType,
              initialInstanceCount: endpoint.instanceCount,
              minCapacity: endpoint.minCapacity,
              maxCapacity: endpoint.maxCapacity,
              targetInvocationsPerInstance: endpoint.targetInvocationsPerInstance,
              dataCapture: { bucket: this.storage.dataBucket, prefix: MlopsStorage.CAPTURE_PREFIX, samplingPercent: endpoint.dataCapturePercent },
              trafficShift: trafficShift(endpoint.deploymentStrategy, endpoint.trafficStepPercent),
              trafficShiftWait: Duration.minutes(endpoint.deploymentWaitMinutes),
              rollbackAlarms: this.monitoring.endpointAlarms,
              monitoring: {
                scheduleName: names.dataQualitySchedule,
                frequency: config.monitoring.dataQualitySchedule === 'hourly' ? MonitoringFrequency.HOURLY : MonitoringFrequency.DAILY,
                outputPrefix: MlopsStorage.MONITORING_PREFIX,
                modelQuality: modelQuality && {
                  scheduleName: names.modelQualitySchedule,
                  problemType: modelQuality.problemType as ModelQualityProblemType,
                  metric: modelQuality.metric,
                  threshold: modelQuality.threshold,
                  comparison: modelQuality.comparison as ModelQualityComparison,
                  groundTruthPrefix: MlopsStorage.GROUND_TRUTH_PREFIX,
                  frequency: modelQuality.frequency === 'hourly' ? MonitoringFrequency.HOURLY : MonitoringFrequency.DAILY,
                  groundTruthDelay: Duration.hours(modelQuality.groundTruthDelayHours),
                  probabilityThreshold: modelQuality.probabilityThreshold,
                },
              },
            })
          : EndpointVariant.serverless({ memorySize: Size.mebibytes(endpoint.serverlessMemorySizeMb), maxConcurrency: endpoint.serverlessMaxConcurrency }),
      removalPolicy,
      logRetention,
    });
    this.monitoring.watchFunction('Deployer', this.endpoint.deployer.function, this.endpoint.deployer.deadLetterQueue);
    if (this.endpoint.modelQuality) this.monitoring.watchModelQuality(this.endpoint.modelQuality);
    this.monitoring.watchFunction('ReviewGate', this.pipeline.reviewFunction.function, this.pipeline.reviewFunction.deadLetterQueue);

    const { retraining } = config;
    this.retraining = new RetrainingSchedule(this, 'Retraining', {
      pipelineName: this.pipeline.pipelineName,
      inputBucket: this.storage.dataBucket,
      inputPrefix: MlopsStorage.RAW_PREFIX,
      schedule: events.Schedule.expression(retraining.schedule),
      retrainOnNewData: retraining.onNewData,
      newDataDebounce: Duration.minutes(retraining.newDataDebounceMinutes),
      driftAlarm: retraining.onDrift ? this.monitoring.driftAlarm : undefined,
      modelQualityAlarm: retraining.onModelQualityDrop ? this.monitoring.modelQualityAlarm : undefined,
      cooldown: Duration.minutes(retraining.cooldownMinutes),
      encryptionKey: this.storage.encryptionKey,
      logRetention,
      removalPolicy,
    });
    this.monitoring.watchFunction('RetrainingGovernor', this.retraining.governor.function, this.retraining.governor.deadLetterQueue);
    this.monitoring.watchDeadLetterQueue('RetrainingTriggers', this.retraining.triggerDeadLetterQueue);
    this.monitoring.watchDeadLetterQueue('RegistryEvents', this.registry.deadLetterQueue);
    for (const [label, cleanup] of [['RegistryCleanup', this.registry.cleanupFunction], ['EndpointCleanup', this.endpoint.cleanupFunction]] as const) {
      if (cleanup) this.monitoring.watchFunction(label, cleanup.function, cleanup.deadLetterQueue);
    }

    const { batch } = config;
    if (batch.enabled) {
      this.batch = new BatchInference(this, 'Batch', {
        scorerName: batchScorerName(config.project, config.stage),
        dataBucket: this.storage.dataBucket,
        modelRegistry: this.registry,
        modelArtifactsBucket: this.storage.artifactsBucket,
        encryptionKey: this.storage.encryptionKey,
        instanceType: batch.instanceType,
        instanceCount: batch.instanceCount,
        maxPayload: Size.mebibytes(batch.maxPayloadMb),
        splitType: batch.splitType === 'None' ? BatchSplitType.NONE : BatchSplitType.LINE,
        schedule: batch.schedule ? events.Schedule.expression(batch.schedule) : undefined,
        onNewInput: batch.onNewInput,
        removalPolicy,
        logRetention,
      });
      this.monitoring.watchFunction('BatchScorer', this.batch.function, this.batch.deadLetterQueue);
      this.monitoring.watchBatchJobs('BatchJobs', {
        scorerName: this.batch.scorerName,
        startedJobs: this.batch.metricStartedJobs(),
        completedJobs: this.batch.metricCompletedJobs(),
        failedJobs: this.batch.metricFailedJobs(),
        logGroup: this.batch.scorer.logGroup,
      });
      if (this.batch.cleanupFunction) this.monitoring.watchFunction('BatchCleanup', this.batch.cleanupFunction.function, this.batch.cleanupFunction.deadLetterQueue);
    }

    const studio = config.exploration.studio;
    if (studio) {
      this.exploration = new ExplorationWorkspace(this, 'Exploration', {
        // Only the id is read (the domain and its security group): no lookup at synth, and the one
        // zone fromVpcAttributes needs stays a deploy-time token nothing reads.
        vpc: ec2.Vpc.fromVpcAttributes(this, 'ExplorationVpc', { vpcId: studio.vpcId, availabilityZones: [Fn.select(0, Fn.getAzs())] }),
        subnetIds: studio.subnetIds,
        encryptionKey: this.storage.encryptionKey,
        dataBucket: this.storage.dataBucket,
        pipeline: this.pipeline,
        userProfiles: studio.userProfiles,
        idleTimeout: Duration.minutes(studio.idleTimeoutMinutes),
        domainName: `${names.prefix}-studio`,
        removalPolicy,
        logRetention,
      });
      this.monitoring.watchFunction('StudioCleanup', this.exploration.cleanupFunction.function, this.exploration.cleanupFunction.deadLetterQueue);
    }
  }
}

function trafficShift(strategy: StageConfig['endpoint']['deploymentStrategy'], stepPercent: number): TrafficShift {
  if (strategy === 'canary') return TrafficShift.canary(stepPercent);
  if (strategy === 'linear') return TrafficShift.linear(stepPercent);
  return TrafficShift.allAtOnce();
}
