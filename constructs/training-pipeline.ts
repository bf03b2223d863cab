import { ArnFormat, Duration, RemovalPolicy, Stack, Token, Validations } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as s3assets from 'aws-cdk-lib/aws-s3-assets';
import * as sagemaker from 'aws-cdk-lib/aws-sagemaker';
import { Construct } from 'constructs';
import { checkInstanceType } from './instance-types';
import { keyOrBucketKey } from './private/bucket-key';
import { packageFile } from './private/package-files';
import { SAGEMAKER_VPC_ACTIONS, sageMakerArn } from './private/sagemaker-iam';
import { acknowledgeGrantActions, acknowledgeInlinePolicy, acknowledgeWildcardResource } from './private/nag-acknowledgements';
import {
  Condition,
  ConditionStep,
  ExecutionVariable,
  FailStep,
  join,
  LambdaStep,
  PipelineDefinition,
  PipelineParameter,
  PipelineValue,
  ProcessingStep,
  RegisterModelStep,
  Reference,
  RetryExceptionType,
  RetryPolicy,
  TrainingStep,
  TuningJobArguments,
  TuningStep,
} from './pipeline-definition';
import { PIPELINE_PARAMETER } from '../lambda/retraining-governor/environment';
import { BIAS_CONFIG_REQUEST, checkProblems, DEFAULT_REVIEW_CHECK, describeCheckProblems, HEADLINE_METRIC, REVIEW_OUTPUT, REVIEW_REQUEST, resolveChecks, ReviewCheckInput, RiskRating } from '../lambda/review-gate/environment';
import { BIAS_METRICS, BiasMetric, isBiasMetric, PROBLEM_TYPES, ProblemType } from '../lambda/shared/model-metrics';
import { FeatureOutput, FeatureProcessing } from './feature-processing';
import { IModelRegistry, ModelApprovalStatus } from './model-registry';
import { ReviewGate } from './review-gate';
import { SecureFunction } from './secure-function';
import { SageMakerImage } from './sagemaker-image';

/** Properties of {@link TrainingPipeline}. */
export interface TrainingPipelineProps {
  /** Name of the SageMaker pipeline: 1-256 letters, digits and hyphens. */
  readonly pipelineName: string;

  /** Bucket with the raw data (read) and where the feature splits are written. */
  readonly dataBucket: s3.IBucket;

  /**
   * Prefix of the raw data in `dataBucket`; a run's `InputDataUrl` parameter can point elsewhere.
   * @default 'raw/'
   */
  readonly rawDataPrefix?: string;

  /**
   * Prefix in `dataBucket` under which each run writes its feature splits.
   * @default 'features/'
   */
  readonly featuresPrefix?: string;

  /** Bucket for models, evaluation reports and checkpoints. */
  readonly artifactsBucket: s3.IBucket;

  /**
   * Key that encrypts job volumes and outputs.
   * @default - the KMS key of `artifactsBucket`
   */
  readonly encryptionKey?: kms.IKey;

  /** The registry the pipeline registers models in: a {@link ModelRegistry} or one imported by name. */
  readonly modelRegistry: IModelRegistry;

  /**
   * Approval status of registered packages (a run's `ModelApprovalStatus` parameter can override it).
   * @default ModelApprovalStatus.PENDING_MANUAL_APPROVAL
   */
  readonly modelApprovalStatus?: ModelApprovalStatus;

  /**
   * The feature-engineering step.
   * @default - a FeatureProcessing with ml/preprocessing.py in the scikit-learn image
   */
  readonly featureProcessing?: FeatureProcessing;

  /**
   * Training image; also the inference image of registered models.
   * @default SageMakerImage.xgboost() - the built-in XGBoost algorithm for the stack's region
   */
  readonly trainingImage?: SageMakerImage;

  /**
   * What the model predicts: `binary` (a probability of class 1), `multiclass` (a class index) or
   * `regression` (a value). Sets the XGBoost objective, what the evaluation writes and which
   * metrics the review may check.
   * @default 'binary'
   */
  readonly problemType?: ProblemType;

  /**
   * Classes of a multiclass model (labels 0 to numClasses - 1); required with `problemType: 'multiclass'`.
   * @default - none
   */
  readonly numClasses?: number;

  /**
   * The label column of the raw data, for the data profile and the bias report (the feature
   * step's script takes its own `--label-column`).
   * @default 'churn'
   */
  readonly labelColumn?: string;

  /**
   * Hyperparameters of the training job.
   * @default - TrainingPipeline.defaultHyperparameters(problemType, numClasses): 50 rounds, max depth 5, eta 0.2 and the problem type's objective and metric
   */
  readonly hyperparameters?: Record<string, string>;

  /**
   * Training instance type (a run's `TrainingInstanceType` parameter can override it): one
   * `INSTANCE_TYPES.training` lists, or a newer one wrapped in `InstanceTypes.unlisted(...)`,
   * which synth then warns about.
   * @default 'ml.m5.xlarge'
   */
  readonly trainingInstanceType?: string;

  /**
   * Training instances; above 1 the algorithm trains distributed.
   * @default 1
   */
  readonly trainingInstanceCount?: number;

  /**
   * Longest a training job may run.
   * @default Duration.hours(1)
   */
  readonly maxRuntime?: Duration;

  /**
   * Train on managed spot capacity. Needs `checkpointPrefix`, and `maxWait` at least `maxRuntime`.
   * @default false
   */
  readonly useSpotInstances?: boolean;

  /**
   * With spot training: longest to wait for capacity plus run.
   * @default - twice maxRuntime
   */
  readonly maxWait?: Duration;

  /**
   * Prefix in `artifactsBucket` for training checkpoints (each run gets its own folder).
   * @default - no checkpoints; required when useSpotInstances is true
   */
  readonly checkpointPrefix?: string;

  /**
   * Evaluation script: reads the model and test split and writes evaluation.json; also reads the
   * feature step's baseline.csv (`/opt/ml/processing/baseline_input`) and writes it with the model's
   * predictions in its first column to `/opt/ml/processing/baseline`, the data-quality baseline.
   * @default - ml/evaluation.py shipped with this package
   */
  readonly evaluationScriptPath?: string;

  /**
   * Profile each run's raw data first (exploratory data analysis): ml/profile.py writes
   * profile.html (charts embedded, opens offline) and profile.json under `profiles/<execution>/` in
   * the artifacts bucket, and the registered package links it (`DataProfileUrl`).
   * @default true
   */
  readonly dataProfile?: boolean;

  /**
   * Image the evaluation script runs in (needs xgboost, pandas and scikit-learn).
   * @default SageMakerImage.xgboost()
   */
  readonly evaluationImage?: SageMakerImage;

  /**
   * The review gate between evaluation and registration: checks that must all hold, and the
   * champion/challenger comparison.
   * @default - binary: auc >= 0.75, no champion check; other problem types must say
   */
  readonly review?: TrainingReview;

  /**
   * A pre-training bias report (SageMaker Clarify) on the run's raw data, registered with the
   * package (`ModelMetrics.Bias`); its metrics become checkable by the review.
   * @default - no bias report
   */
  readonly bias?: BiasReport;

  /** @default logs.RetentionDays.ONE_YEAR - of the review gate's function */
  readonly logRetention?: logs.RetentionDays;

  /** @default RemovalPolicy.RETAIN - of the review gate's log group */
  readonly removalPolicy?: RemovalPolicy;

  /**
   * Run the jobs inside this VPC (private subnets) instead of SageMaker's network.
   * @default - no VPC: jobs run network-isolated in SageMaker's network
   */
  readonly vpc?: ec2.IVpc;

  /**
   * Subnets for the jobs when `vpc` is set.
   * @default - the VPC's private subnets
   */
  readonly vpcSubnets?: ec2.SubnetSelection;

  /**
   * Tune the hyperparameters: a Tuning step (`Tune`) runs several training jobs over the ranges
   * instead of the one training job (`Train`), and the best job's model goes to evaluation and
   * registration. Its ranges override `hyperparameters` of the same names.
   * @default - no tuning: one training job with `hyperparameters`
   */
  readonly tuning?: TrainingTuning;

  /**
   * Reuse a step's earlier result for this long when its arguments are unchanged. Off by default:
   * the cache key is the arguments, not the data, so new files under the same prefix would be
   * ignored.
   * @default - no step caching
   */
  readonly stepCacheExpiry?: Duration;
}

/** The review gate of `TrainingPipeline`. */
export interface TrainingReview {
  /**
   * Checks that must all hold, each a metric of the problem type (see MODEL_METRICS) or a bias
   * metric (see BIAS_METRICS, bounding its absolute value), a threshold, and optionally the
   * comparison (default: the metric's good direction, `>=` or `<=`). The first is a model metric:
   * the run's `MetricThreshold` parameter overrides its threshold and the champion check uses it.
   */
  readonly checks: readonly ReviewCheckInput[];
  /**
   * The candidate may be worse than the champion (the group's newest approved package, from its
   * registered evaluation report) by at most this much on the first check's metric. A first model,
   * with no champion, passes.
   * @default - no champion check
   */
  readonly championMargin?: number;
  /** @default '' - what the model is for, on its model card */
  readonly intendedUse?: string;
  /** @default 'Unknown' - the model card's risk rating */
  readonly riskRating?: RiskRating;
}

/** A pre-training bias report of `TrainingPipeline` (SageMaker Clarify on the raw data). */
export interface BiasReport {
  /** The column of the sensitive attribute, such as `age`. */
  readonly facet: string;
  /** Values of the facet that form the sensitive group; one number is a threshold (values above it). */
  readonly facetValues: readonly (string | number)[];
  /** @default [1] - label values of the positive outcome; one number is a threshold */
  readonly labelValues?: readonly (string | number)[];
  /** @default ['CI', 'DPL'] */
  readonly metrics?: readonly BiasMetric[];
}

/** A search range of a numeric hyperparameter. */
export interface HyperparameterRange {
  readonly min: number;
  readonly max: number;
  /** @default 'Auto' */
  readonly scaling?: 'Auto' | 'Linear' | 'Logarithmic' | 'ReverseLogarithmic';
}

/** Hyperparameter tuning of `TrainingPipeline` (SageMaker automatic model tuning). */
export interface TrainingTuning {
  /**
   * Search strategy. Grid takes only categorical ranges and no job count of its own.
   * @default 'Bayesian'
   */
  readonly strategy?: 'Bayesian' | 'Random' | 'Hyperband' | 'Grid';
  /** Training jobs in all. */
  readonly maxJobs: number;
  /** Training jobs at a time; at most `maxJobs`. */
  readonly maxParallelJobs: number;
  /** The metric the algorithm emits that ranks the jobs, such as `validation:auc`, and its direction. */
  readonly objective: { readonly metricName: string; readonly type: 'Maximize' | 'Minimize' };
  /** @default - none */
  readonly continuousRanges?: Readonly<Record<string, HyperparameterRange>>;
  /** @default - none */
  readonly integerRanges?: Readonly<Record<string, HyperparameterRange>>;
  /** @default - none */
  readonly categoricalRanges?: Readonly<Record<string, readonly string[]>>;
  /**
   * Stop training jobs that are unlikely to beat the best so far (not with Hyperband, which stops
   * jobs itself).
   * @default false
   */
  readonly earlyStopping?: boolean;
}

/**
 * The registered package's record of the tuning: the best training job and each tuned
 * hyperparameter's value, as CustomerMetadataProperties (keys `TunedHyperParameter:<name>`).
 */
function tunedMetadata(step: TuningStep, tuning: TrainingTuning): Record<string, Reference<string>> {
  return {
    BestTrainingJob: step.bestTrainingJobName,
    ...Object.fromEntries(tunedNames(tuning).map((name) => [`TunedHyperParameter:${name}`, step.bestTunedHyperparameter(name)])),
  };
}

/** Names of the pipeline's parameters: a run can override each. */
export const TRAINING_PIPELINE_PARAMETERS = {
  ...PIPELINE_PARAMETER,
  PROCESSING_INSTANCE_TYPE: 'ProcessingInstanceType',
  PROCESSING_INSTANCE_COUNT: 'ProcessingInstanceCount',
  TRAINING_INSTANCE_TYPE: 'TrainingInstanceType',
  /** Overrides the threshold of the review's first check. */
  METRIC_THRESHOLD: 'MetricThreshold',
  MODEL_APPROVAL_STATUS: 'ModelApprovalStatus',
} as const;

/**
 * A SageMaker pipeline that turns raw data into a registered, reviewed model: data profile →
 * feature processing → (bias report) → training or tuning → evaluation → data-quality baseline →
 * review (every check, and the champion) → register the model package with its model card, else
 * fail naming every check that failed. Jobs run network-isolated with encrypted volumes, outputs
 * and inter-container traffic, under a least-privilege execution role.
 */
export class TrainingPipeline extends Construct {
  /** The key that encrypts what this construct stores. */
  public readonly encryptionKey: kms.IKey;
  /** Step names, in run order, without tuning (see `stepNames`). */
  public static readonly STEP_NAMES = [
    'DataProfile',
    FeatureProcessing.STEP_NAME,
    'BiasConfig',
    'BiasReport',
    'Train',
    'Evaluate',
    'DataQualityBaseline',
    'Review',
    'CheckReview',
    'RegisterModel',
    'ReviewFailed',
  ];

  /**
   * The training job's hyperparameters unless `hyperparameters` says otherwise: the built-in
   * XGBoost objective and evaluation metric of the problem type
   * (https://docs.aws.amazon.com/sagemaker/latest/dg/xgboost_hyperparameters.html), 50 rounds,
   * max depth 5, eta 0.2. multi:softmax answers the class index, the one column the endpoint
   * captures and the data-quality baseline expects.
   */
  public static defaultHyperparameters(problemType: ProblemType = 'binary', numClasses?: number): Record<string, string> {
    const objective: Record<ProblemType, Record<string, string>> = {
      binary: { objective: 'binary:logistic', eval_metric: 'auc' },
      multiclass: { objective: 'multi:softmax', num_class: String(numClasses ?? ''), eval_metric: 'merror' },
      regression: { objective: 'reg:squarederror', eval_metric: 'rmse' },
    };
    return { num_round: '50', max_depth: '5', eta: '0.2', ...objective[problemType] };
  }

  /**
   * The arguments the shipped preprocessing.py and profile.py take for the problem: the label
   * column, the problem type and, for multiclass, the class count.
   */
  public static scriptArguments(labelColumn: string, problemType: ProblemType = 'binary', numClasses?: number): string[] {
    return ['--label-column', labelColumn, ...problemTypeArguments(problemType, numClasses)];
  }

  /** This pipeline's step names, in run order: `Tune` in place of `Train` when tuning is configured, no `DataProfile` or `BiasReport` when off. */
  public readonly stepNames: string[];

  public readonly pipelineName: string;
  public readonly pipelineArn: string;
  /** The role SageMaker runs the pipeline and its jobs with. */
  public readonly role: iam.Role;
  /** The function of the Review step (the review gate). */
  public readonly reviewFunction: SecureFunction;
  /** The definition, for inspection (step graph, parameters). */
  public readonly definition: PipelineDefinition;
  /** Wildcard resources granted on purpose, with why, acknowledged once the role is complete. */
  private readonly wildcards: [string, string][] = [];

  constructor(scope: Construct, id: string, props: TrainingPipelineProps) {
    super(scope, id);
    this.encryptionKey = keyOrBucketKey('TrainingPipeline', props.encryptionKey, props.artifactsBucket, 'artifactsBucket');
    validateProps(this, props);
    const stack = Stack.of(this);
    const problemType = props.problemType ?? 'binary';
    const labelColumn = props.labelColumn ?? 'churn';
    const review: TrainingReview = props.review ?? { checks: [DEFAULT_REVIEW_CHECK] };
    const checks = resolveChecks(problemType, review.checks);
    const featureProcessing =
      props.featureProcessing ??
      new FeatureProcessing(this, 'FeatureProcessing', {
        scriptArguments: TrainingPipeline.scriptArguments(labelColumn, problemType, props.numClasses),
      });
    const kmsKeyArn = this.encryptionKey.keyArn;

    this.role = new iam.Role(this, 'ExecutionRole', {
      assumedBy: new iam.ServicePrincipal('sagemaker.amazonaws.com'),
      description: `Runs the ${props.pipelineName} pipeline and its jobs`,
    });
    this.grantExecutionRole(props);

    const parameters = {
      inputDataUrl: PipelineParameter.string(TRAINING_PIPELINE_PARAMETERS.INPUT_DATA_URL, {
        defaultValue: props.dataBucket.s3UrlForObject(props.rawDataPrefix ?? 'raw/'),
      }),
      triggerReason: PipelineParameter.string(TRAINING_PIPELINE_PARAMETERS.TRIGGER_REASON, { defaultValue: 'manual' }),
      processingInstanceType: PipelineParameter.string(TRAINING_PIPELINE_PARAMETERS.PROCESSING_INSTANCE_TYPE, {
        defaultValue: featureProcessing.instanceType,
      }),
      processingInstanceCount: PipelineParameter.integer(TRAINING_PIPELINE_PARAMETERS.PROCESSING_INSTANCE_COUNT, {
        defaultValue: featureProcessing.instanceCount,
      }),
      trainingInstanceType: PipelineParameter.string(TRAINING_PIPELINE_PARAMETERS.TRAINING_INSTANCE_TYPE, {
        defaultValue: props.trainingInstanceType ?? 'ml.m5.xlarge',
      }),
      metricThreshold: PipelineParameter.float(TRAINING_PIPELINE_PARAMETERS.METRIC_THRESHOLD, {
        defaultValue: checks[0]?.threshold ?? 0,
      }),
      modelApprovalStatus: PipelineParameter.string(TRAINING_PIPELINE_PARAMETERS.MODEL_APPROVAL_STATUS, {
        defaultValue: props.modelApprovalStatus ?? ModelApprovalStatus.PENDING_MANUAL_APPROVAL,
      }),
    };

    const perRunParts = (bucket: s3.IBucket, prefix: string, ...rest: string[]) => [
      `s3://${bucket.bucketName}/${prefix.replace(/\/$/, '')}`,
      ExecutionVariable.PIPELINE_EXECUTION_ID,
      ...rest,
    ];
    const perRun = (bucket: s3.IBucket, prefix: string, ...rest: string[]) => join('/', perRunParts(bucket, prefix, ...rest));
    const vpcConfig = props.vpc ? this.vpcConfig(props.vpc, props.vpcSubnets) : undefined;
    const retryPolicies: RetryPolicy[] = [
      {
        exceptionTypes: [RetryExceptionType.SAGEMAKER_CAPACITY_ERROR, RetryExceptionType.SAGEMAKER_JOB_INTERNAL_ERROR, RetryExceptionType.STEP_THROTTLING],
        intervalSeconds: 30,
        backoffRate: 2,
        maxAttempts: 4,
      },
    ];
    const cacheExpireAfter = props.stepCacheExpiry ? props.stepCacheExpiry.toIsoString() : undefined;

    const features = featureProcessing.toStep({
      role: this.role,
      inputUrl: parameters.inputDataUrl,
      outputUrl: (output: FeatureOutput) => perRun(props.dataBucket, props.featuresPrefix ?? 'features/', output),
      instanceType: parameters.processingInstanceType,
      instanceCount: parameters.processingInstanceCount,
      kmsKeyArn,
      vpcConfig,
      retryPolicies,
      cacheExpireAfter,
    });

    const trainingImage = (props.trainingImage ?? SageMakerImage.xgboost()).bind(this, this.role);
    const maxRuntime = props.maxRuntime ?? Duration.hours(1);
    const channel = (name: 'train' | 'validation') => ({
      ChannelName: name,
      ContentType: 'text/csv',
      DataSource: {
        S3DataSource: { S3DataType: 'S3Prefix' as const, S3Uri: features.outputS3Uri(name), S3DataDistributionType: 'FullyReplicated' as const },
      },
    });
    const hyperparameters = props.hyperparameters ?? TrainingPipeline.defaultHyperparameters(problemType, props.numClasses);
    const modelsPath = perRunParts(props.artifactsBucket, 'models');
    const trainingJob = {
      AlgorithmSpecification: { TrainingImage: trainingImage, TrainingInputMode: 'File' as const },
      InputDataConfig: [channel('train'), channel('validation')],
      OutputDataConfig: { S3OutputPath: join('/', modelsPath), KmsKeyId: kmsKeyArn },
      ResourceConfig: {
        InstanceType: parameters.trainingInstanceType,
        InstanceCount: props.trainingInstanceCount ?? 1,
        VolumeSizeInGB: 30,
        VolumeKmsKeyId: kmsKeyArn,
      },
      StoppingCondition: {
        MaxRuntimeInSeconds: maxRuntime.toSeconds(),
        MaxWaitTimeInSeconds: props.useSpotInstances ? (props.maxWait ?? maxRuntime.plus(maxRuntime)).toSeconds() : undefined,
      },
      EnableManagedSpotTraining: props.useSpotInstances ?? false,
      CheckpointConfig: props.checkpointPrefix ? { S3Uri: perRun(props.artifactsBucket, props.checkpointPrefix) } : undefined,
      EnableNetworkIsolation: true,
      EnableInterContainerTrafficEncryption: true,
      VpcConfig: vpcConfig,
      RoleArn: this.role.roleArn,
    };
    const { train, modelUri } = props.tuning
      ? this.tuningStep(props.tuning, trainingJob, hyperparameters, modelsPath, retryPolicies, cacheExpireAfter)
      : (() => {
          const step = new TrainingStep('Train', {
            description: 'Trains the model on the train split, validating on the validation split.',
            arguments: { ...trainingJob, HyperParameters: hyperparameters },
            retryPolicies,
            cacheExpireAfter,
          });
          return { train: step, modelUri: step.modelArtifactsS3Uri };
        })();
    const profile =
      props.dataProfile === false ? undefined : this.dataProfileStep(parameters.inputDataUrl, perRun(props.artifactsBucket, 'profiles'), labelColumn, problemType, props.numClasses, vpcConfig, retryPolicies);
    const analysisConfig = props.bias && biasAnalysisConfig(props.bias, labelColumn);
    const gate = new ReviewGate(this, 'ReviewGate', {
      modelRegistry: props.modelRegistry,
      artifactsBucket: props.artifactsBucket,
      encryptionKey: this.encryptionKey,
      policy: {
        problemType,
        checks,
        ...(review.championMargin !== undefined && { championMargin: review.championMargin }),
        modelCard: { intendedUse: review.intendedUse ?? '', riskRating: review.riskRating ?? 'Unknown' },
      },
      reportPrefixes: ['evaluation/', 'bias/'],
      reviewPrefix: 'review/',
      biasAnalysisConfig: analysisConfig,
      biasConfigPrefix: 'bias-config/',
      logRetention: props.logRetention,
      removalPolicy: props.removalPolicy,
    });
    gate.grantInvoke(this.role);
    this.wildcards.push([`${gate.handler.function.functionArn}:*`, 'Function.grantInvoke: the review gate function and its versions and aliases, which the Review step invokes.']);
    this.reviewFunction = gate.handler;

    const biasConfigUrl = perRun(props.artifactsBucket, 'bias-config');
    const biasConfig =
      analysisConfig &&
      new LambdaStep('BiasConfig', {
        description: "Writes SageMaker Clarify's analysis configuration (analysis_config.json) for the BiasReport step.",
        functionArn: gate.handler.function.functionArn,
        arguments: { [BIAS_CONFIG_REQUEST.ACTION]: BIAS_CONFIG_REQUEST.ACTION_VALUE, [BIAS_CONFIG_REQUEST.OUTPUT_URL]: biasConfigUrl },
        outputs: { ConfigUrl: 'String' },
      });
    const bias =
      biasConfig && this.biasReportStep(analysisConfig, parameters.inputDataUrl, biasConfig.output('ConfigUrl'), perRun(props.artifactsBucket, 'bias'), vpcConfig, retryPolicies);
    this.stepNames = TrainingPipeline.STEP_NAMES.filter((name) => (profile || name !== 'DataProfile') && (bias || (name !== 'BiasConfig' && name !== 'BiasReport'))).map((name) =>
      name === 'Train' ? train.name : name,
    );

    const evaluate = this.evaluationStep(props, problemType, features, modelUri, {
      evaluation: perRun(props.artifactsBucket, 'evaluation'),
      baseline: perRun(props.dataBucket, props.featuresPrefix ?? 'features/', 'prediction-baseline'),
    }, vpcConfig, retryPolicies);
    const baseline = this.dataQualityBaselineStep(evaluate, perRun(props.artifactsBucket, 'baselines'), vpcConfig, retryPolicies);
    const evaluationReport = join('/', [evaluate.outputS3Uri('evaluation'), 'evaluation.json']);
    const biasReport = bias && join('/', [bias.outputS3Uri('analysis'), 'analysis.json']);

    const reviewStep = new LambdaStep('Review', {
      description: `Checks the model (${checks.map((check) => `${check.metric} ${check.comparison} ${check.threshold}`).join(', ')}${review.championMargin !== undefined ? `, not worse than the champion by more than ${review.championMargin}` : ''}) and writes its model card.`,
      functionArn: gate.handler.function.functionArn,
      arguments: {
        [REVIEW_REQUEST.EVALUATION_REPORT_URL]: evaluationReport,
        [REVIEW_REQUEST.BIAS_REPORT_URL]: biasReport ?? '',
        [REVIEW_REQUEST.REVIEW_OUTPUT_URL]: perRun(props.artifactsBucket, 'review'),
        [REVIEW_REQUEST.FIRST_CHECK_THRESHOLD]: parameters.metricThreshold,
        [REVIEW_REQUEST.INPUT_DATA_URL]: parameters.inputDataUrl,
        [REVIEW_REQUEST.MODEL_DATA_URL]: modelUri,
        [REVIEW_REQUEST.PIPELINE_EXECUTION_ID]: ExecutionVariable.PIPELINE_EXECUTION_ID,
        [REVIEW_REQUEST.TRIGGER_REASON]: parameters.triggerReason,
      },
      outputs: {
        [REVIEW_OUTPUT.PASSED]: 'Boolean',
        [REVIEW_OUTPUT.SUMMARY]: 'String',
        [REVIEW_OUTPUT.FAILURE_MESSAGE]: 'String',
        [REVIEW_OUTPUT.REPORT_URL]: 'String',
        [REVIEW_OUTPUT.MODEL_CARD]: 'String',
      },
      // The gate reads what the baseline step needs to have finished for registration anyway.
      dependsOn: [baseline],
    });

    const register = new RegisterModelStep('RegisterModel', {
      description: 'Registers the model with its metrics, model card and the exact data it was trained on.',
      arguments: {
        ModelPackageGroupName: props.modelRegistry.modelPackageGroupName,
        ModelPackageDescription: join(' ', ['Trained on', parameters.inputDataUrl, 'by run', ExecutionVariable.PIPELINE_EXECUTION_ID, 'because', parameters.triggerReason]),
        ModelApprovalStatus: parameters.modelApprovalStatus,
        InferenceSpecification: {
          Containers: [{ Image: trainingImage, ModelDataUrl: modelUri }],
          SupportedContentTypes: ['text/csv'],
          SupportedResponseMIMETypes: ['text/csv'],
        },
        ModelMetrics: {
          ModelQuality: {
            Statistics: { ContentType: 'application/json', S3Uri: evaluationReport },
          },
          // The deployer points the endpoint's Model Monitor schedule at this baseline.
          ModelDataQuality: {
            Statistics: { ContentType: 'application/json', S3Uri: join('/', [baseline.outputS3Uri('baseline'), 'statistics.json']) },
            Constraints: { ContentType: 'application/json', S3Uri: join('/', [baseline.outputS3Uri('baseline'), 'constraints.json']) },
          },
          ...(biasReport && { Bias: { PreTrainingReport: { ContentType: 'application/json', S3Uri: biasReport } } }),
        },
        // The model package's own card: https://docs.aws.amazon.com/sagemaker/latest/dg/model-registry-details.html
        ModelCard: { ModelCardContent: reviewStep.output(REVIEW_OUTPUT.MODEL_CARD), ModelCardStatus: 'Draft' },
        CustomerMetadataProperties: {
          InputDataUrl: parameters.inputDataUrl,
          TriggerReason: parameters.triggerReason,
          PipelineExecutionId: ExecutionVariable.PIPELINE_EXECUTION_ID,
          BaselineDataUrl: evaluate.outputS3Uri('baseline'),
          ReviewSummary: reviewStep.output(REVIEW_OUTPUT.SUMMARY),
          ReviewReportUrl: reviewStep.output(REVIEW_OUTPUT.REPORT_URL),
          ...(profile && { DataProfileUrl: profile.outputS3Uri('profile') }),
          ...(train instanceof TuningStep && props.tuning ? tunedMetadata(train, props.tuning) : {}),
        },
      },
    });
    const fail = new FailStep('ReviewFailed', { errorMessage: reviewStep.output(REVIEW_OUTPUT.FAILURE_MESSAGE) });
    const check = new ConditionStep('CheckReview', {
      description: 'Registers the model only when every review check held.',
      conditions: [Condition.equals(reviewStep.output<boolean>(REVIEW_OUTPUT.PASSED), true)],
      ifSteps: [register],
      elseSteps: [fail],
    });

    this.definition = new PipelineDefinition({
      parameters: Object.values(parameters),
      steps: [...(profile ? [profile] : []), features, ...(biasConfig && bias ? [biasConfig, bias] : []), train, evaluate, baseline, reviewStep, check],
    });

    const pipeline = new sagemaker.CfnPipeline(this, 'Resource', {
      pipelineName: props.pipelineName,
      pipelineDescription: `Trains, evaluates and registers models in ${props.modelRegistry.modelPackageGroupName}`,
      roleArn: this.role.roleArn,
      pipelineDefinition: { PipelineDefinitionBody: stack.toJsonString(this.definition.toDefinition()) },
    });
    pipeline.node.addDependency(this.role);
    this.acknowledgeExecutionRoleFindings();
    this.pipelineName = props.pipelineName;
    this.pipelineArn = sageMakerArn(this, 'pipeline', props.pipelineName);
  }

  /** Grants starting runs and reading their state (what the governor and operators need). */
  public grantStartExecution(grantee: iam.IGrantable): iam.Grant {
    return iam.Grant.addToPrincipal({
      grantee,
      actions: ['sagemaker:StartPipelineExecution', 'sagemaker:ListPipelineExecutions', 'sagemaker:DescribePipelineExecution', 'sagemaker:ListPipelineExecutionSteps'],
      resourceArns: [this.pipelineArn, `${this.pipelineArn}/execution/*`],
    });
  }

  /** A metric of the pipeline's executions, such as `ExecutionFailed` (Sum by default). */
  public metric(metricName: string, props: cloudwatch.MetricOptions = {}): cloudwatch.Metric {
    return new cloudwatch.Metric({
      namespace: 'AWS/Sagemaker/ModelBuildingPipeline',
      metricName,
      dimensionsMap: { PipelineName: this.pipelineName },
      statistic: 'Sum',
      ...props,
    });
  }

  /** Runs that failed. */
  public metricExecutionFailed(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metric('ExecutionFailed', props);
  }

  /** Runs that succeeded. */
  public metricExecutionSucceeded(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metric('ExecutionSucceeded', props);
  }

  /** Run duration in milliseconds (Average by default). */
  public metricExecutionDuration(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metric('ExecutionDuration', { statistic: 'Average', ...props });
  }

  /**
   * A Model Monitor baselining job on the training split as Evaluate rewrote it (the model's prediction
   * as output column, then the features):
   * statistics.json and constraints.json, what the endpoint's data-quality schedule later checks captured
   * requests against.
   */
  private dataQualityBaselineStep(
    evaluate: ProcessingStep,
    outputUrl: PipelineValue<string>,
    vpcConfig: { SecurityGroupIds: string[]; Subnets: string[] } | undefined,
    retryPolicies: RetryPolicy[],
  ): ProcessingStep {
    const kmsKeyArn = this.encryptionKey.keyArn;
    return new ProcessingStep('DataQualityBaseline', {
      description: 'Computes the data-quality baseline (statistics and constraints) Model Monitor checks the endpoint against.',
      arguments: {
        AppSpecification: { ImageUri: SageMakerImage.modelMonitorAnalyzer().bind(this, this.role) },
        // baseline.csv has a header and the columns of a captured request (the endpoint captures input
        // and output): the model's prediction first (written by Evaluate, which has the model), then the
        // features. "The prediction/output column(s) are assumed to be the 1st column(s)":
        // https://docs.aws.amazon.com/sagemaker/latest/dg/model-monitor-create-baseline.html
        Environment: {
          dataset_format: JSON.stringify({ csv: { header: true, output_columns_position: 'START' } }),
          dataset_source: '/opt/ml/processing/input/baseline_dataset_input',
          output_path: '/opt/ml/processing/output',
          publish_cloudwatch_metrics: 'Disabled',
        },
        ProcessingInputs: [
          {
            InputName: 'baseline_dataset_input',
            S3Input: {
              S3Uri: evaluate.outputS3Uri('baseline'),
              LocalPath: '/opt/ml/processing/input/baseline_dataset_input',
              S3DataType: 'S3Prefix',
              S3InputMode: 'File',
              S3DataDistributionType: 'FullyReplicated',
            },
          },
        ],
        ProcessingOutputConfig: {
          KmsKeyId: kmsKeyArn,
          Outputs: [{ OutputName: 'baseline', S3Output: { S3Uri: outputUrl, LocalPath: '/opt/ml/processing/output', S3UploadMode: 'EndOfJob' } }],
        },
        ProcessingResources: { ClusterConfig: { InstanceType: 'ml.m5.large', InstanceCount: 1, VolumeSizeInGB: 20, VolumeKmsKeyId: kmsKeyArn } },
        NetworkConfig: { EnableNetworkIsolation: true, EnableInterContainerTrafficEncryption: true, VpcConfig: vpcConfig },
        StoppingCondition: { MaxRuntimeInSeconds: 3600 },
        RoleArn: this.role.roleArn,
      },
      retryPolicies,
    });
  }

  /**
   * ml/profile.py on the run's raw data, in the XGBoost framework image: it ships matplotlib for
   * the charts, which the scikit-learn image does not.
   */
  /**
   * A job's Python script as an asset the role may read, with the `code` input that copies it into
   * the container and the entrypoint that runs it there.
   */
  private jobScript(id: string, path: string) {
    const script = new s3assets.Asset(this, id, { path });
    script.grantRead(this.role);
    const assetObjects = script.bucket.arnForObjects('*');
    if (!this.wildcards.some(([resource]) => resource === assetObjects)) {
      this.wildcards.push([assetObjects, 'Asset.grantRead: the CDK asset bucket holds the job scripts under content-hash names.']);
    }
    return {
      input: processingInput('code', script.s3ObjectUrl, SCRIPT_DIR),
      entrypoint: ['python3', `${SCRIPT_DIR}/${script.s3ObjectKey}`],
    };
  }

  private dataProfileStep(
    inputUrl: PipelineValue<string>,
    outputUrl: PipelineValue<string>,
    labelColumn: string,
    problemType: ProblemType,
    numClasses: number | undefined,
    vpcConfig: { SecurityGroupIds: string[]; Subnets: string[] } | undefined,
    retryPolicies: RetryPolicy[],
  ): ProcessingStep {
    const script = this.jobScript('DataProfileScript', packageFile('ml', 'profile.py'));
    const containerArguments = TrainingPipeline.scriptArguments(labelColumn, problemType, numClasses);
    return new ProcessingStep('DataProfile', {
      description: "Profiles the run's raw data: per-column statistics, charts, label balance and correlations (profile.html, profile.json).",
      arguments: {
        AppSpecification: { ImageUri: SageMakerImage.xgboost().bind(this, this.role), ContainerEntrypoint: script.entrypoint, ContainerArguments: containerArguments },
        ProcessingInputs: [processingInput('raw', inputUrl, '/opt/ml/processing/input/raw'), script.input],
        ProcessingOutputConfig: {
          KmsKeyId: this.encryptionKey.keyArn,
          Outputs: [{ OutputName: 'profile', S3Output: { S3Uri: outputUrl, LocalPath: '/opt/ml/processing/profile', S3UploadMode: 'EndOfJob' } }],
        },
        ProcessingResources: { ClusterConfig: { InstanceType: 'ml.m5.large', InstanceCount: 1, VolumeSizeInGB: 30, VolumeKmsKeyId: this.encryptionKey.keyArn } },
        NetworkConfig: { EnableNetworkIsolation: true, EnableInterContainerTrafficEncryption: true, VpcConfig: vpcConfig },
        StoppingCondition: { MaxRuntimeInSeconds: 1800 },
        RoleArn: this.role.roleArn,
      },
      retryPolicies,
    });
  }

  private evaluationStep(
    props: TrainingPipelineProps,
    problemType: ProblemType,
    features: ProcessingStep,
    modelUri: PipelineValue<string>,
    outputUrls: { readonly evaluation: PipelineValue<string>; readonly baseline: PipelineValue<string> },
    vpcConfig: { SecurityGroupIds: string[]; Subnets: string[] } | undefined,
    retryPolicies: RetryPolicy[],
  ): ProcessingStep {
    const script = this.jobScript('EvaluationScript', props.evaluationScriptPath ?? packageFile('ml', 'evaluation.py'));
    return new ProcessingStep('Evaluate', {
      description: 'Scores the model on the test split (evaluation.json) and puts its predictions into the data-quality baseline.',
      arguments: {
        AppSpecification: {
          ImageUri: (props.evaluationImage ?? SageMakerImage.xgboost()).bind(this, this.role),
          ContainerEntrypoint: script.entrypoint,
          // evaluation.py needs the class count of a multiclass model to check the labels and read the predictions.
          ContainerArguments: problemTypeArguments(problemType, props.numClasses),
        },
        ProcessingInputs: [
          processingInput('model', modelUri, '/opt/ml/processing/model'),
          processingInput('test', features.outputS3Uri('test'), '/opt/ml/processing/test'),
          processingInput('baseline', features.outputS3Uri('baseline'), '/opt/ml/processing/baseline_input'),
          script.input,
        ],
        ProcessingOutputConfig: {
          KmsKeyId: this.encryptionKey.keyArn,
          Outputs: [
            { OutputName: 'evaluation', S3Output: { S3Uri: outputUrls.evaluation, LocalPath: '/opt/ml/processing/evaluation', S3UploadMode: 'EndOfJob' } },
            // The baseline with the model's predictions as its output column, for DataQualityBaseline.
            { OutputName: 'baseline', S3Output: { S3Uri: outputUrls.baseline, LocalPath: '/opt/ml/processing/baseline', S3UploadMode: 'EndOfJob' } },
          ],
        },
        ProcessingResources: {
          ClusterConfig: { InstanceType: 'ml.m5.large', InstanceCount: 1, VolumeSizeInGB: 30, VolumeKmsKeyId: this.encryptionKey.keyArn },
        },
        NetworkConfig: { EnableNetworkIsolation: true, EnableInterContainerTrafficEncryption: true, VpcConfig: vpcConfig },
        StoppingCondition: { MaxRuntimeInSeconds: 1800 },
        RoleArn: this.role.roleArn,
      },
      retryPolicies,
    });
  }

  /**
   * SageMaker Clarify's pre-training bias analysis of the run's raw data (the CSV with its header
   * row), with the analysis configuration the BiasConfig step wrote; analysis.json lands under
   * `bias/<execution>/`.
   * https://docs.aws.amazon.com/sagemaker/latest/dg/clarify-processing-job-configure-parameters.html
   */
  private biasReportStep(
    analysisConfig: ReturnType<typeof biasAnalysisConfig>,
    inputUrl: PipelineValue<string>,
    configUrl: PipelineValue<string>,
    outputUrl: PipelineValue<string>,
    vpcConfig: { SecurityGroupIds: string[]; Subnets: string[] } | undefined,
    retryPolicies: RetryPolicy[],
  ): ProcessingStep {
    const kmsKeyArn = this.encryptionKey.keyArn;
    return new ProcessingStep('BiasReport', {
      description: `Measures pre-training bias of ${analysisConfig.label} across ${analysisConfig.facet[0].name_or_index} (${analysisConfig.methods.pre_training_bias.methods.join(', ')}) with SageMaker Clarify.`,
      arguments: {
        AppSpecification: { ImageUri: SageMakerImage.clarify().bind(this, this.role) },
        ProcessingInputs: [
          processingInput('dataset', inputUrl, '/opt/ml/processing/input/data'),
          processingInput('analysis_config', configUrl, '/opt/ml/processing/input/config'),
        ],
        ProcessingOutputConfig: {
          KmsKeyId: kmsKeyArn,
          Outputs: [{ OutputName: 'analysis', S3Output: { S3Uri: outputUrl, LocalPath: '/opt/ml/processing/output', S3UploadMode: 'EndOfJob' } }],
        },
        ProcessingResources: { ClusterConfig: { InstanceType: 'ml.m5.large', InstanceCount: 1, VolumeSizeInGB: 30, VolumeKmsKeyId: kmsKeyArn } },
        NetworkConfig: { EnableNetworkIsolation: true, EnableInterContainerTrafficEncryption: true, VpcConfig: vpcConfig },
        StoppingCondition: { MaxRuntimeInSeconds: 1800 },
        RoleArn: this.role.roleArn,
      },
      retryPolicies,
    });
  }

  /**
   * The Tuning step in place of the training step: the same training job as its definition, the
   * tuned hyperparameters as ranges and the rest static, and the best job's model URI as the
   * SageMaker Python SDK's `TuningStep.get_top_model_s3_uri` builds it.
   */
  private tuningStep(
    tuning: TrainingTuning,
    trainingJob: Omit<NonNullable<TuningJobArguments['TrainingJobDefinition']>, 'StaticHyperParameters' | 'HyperParameterRanges'>,
    hyperparameters: Readonly<Record<string, string>>,
    modelsPath: (string | Reference)[],
    retryPolicies: RetryPolicy[],
    cacheExpireAfter: string | undefined,
  ): { train: TuningStep; modelUri: PipelineValue<string> } {
    const range = ([Name, { min, max, scaling }]: [string, HyperparameterRange]) => ({
      Name,
      MinValue: String(min),
      MaxValue: String(max),
      ScalingType: scaling ?? ('Auto' as const),
    });
    const tuned = new Set(tunedNames(tuning));
    const grid = tuning.strategy === 'Grid';
    const step = new TuningStep('Tune', {
      description: `Tunes the hyperparameters (${tuning.strategy ?? 'Bayesian'}, up to ${tuning.maxJobs} training jobs), ranked by ${tuning.objective.metricName}.`,
      arguments: {
        HyperParameterTuningJobConfig: {
          Strategy: tuning.strategy ?? 'Bayesian',
          HyperParameterTuningJobObjective: { MetricName: tuning.objective.metricName, Type: tuning.objective.type },
          // Grid search tries every combination of the categorical values: it takes no job count.
          ResourceLimits: { ...(grid ? {} : { MaxNumberOfTrainingJobs: tuning.maxJobs }), MaxParallelTrainingJobs: tuning.maxParallelJobs },
          TrainingJobEarlyStoppingType: tuning.earlyStopping ? 'Auto' : 'Off',
          // Hyperband allocates "resources" (epochs) and cannot infer them from XGBoost's num_round,
          // so it is given explicitly: https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_HyperbandStrategyConfig.html
          ...(tuning.strategy === 'Hyperband' && {
            StrategyConfig: { HyperbandStrategyConfig: { MinResource: 1, MaxResource: Number(hyperparameters.num_round ?? TrainingPipeline.defaultHyperparameters().num_round) } },
          }),
          ParameterRanges: {
            ContinuousParameterRanges: Object.entries(tuning.continuousRanges ?? {}).map(range),
            IntegerParameterRanges: Object.entries(tuning.integerRanges ?? {}).map(range),
            CategoricalParameterRanges: Object.entries(tuning.categoricalRanges ?? {}).map(([Name, values]) => ({ Name, Values: [...values] })),
          },
        },
        TrainingJobDefinition: {
          ...trainingJob,
          StaticHyperParameters: Object.fromEntries(Object.entries(hyperparameters).filter(([name]) => !tuned.has(name))),
        },
      },
      retryPolicies,
      cacheExpireAfter,
    });
    return { train: step, modelUri: step.topModelS3Uri(modelsPath) };
  }

  private vpcConfig(vpc: ec2.IVpc, subnets: ec2.SubnetSelection = { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS }) {
    const securityGroup = new ec2.SecurityGroup(this, 'JobSecurityGroup', {
      vpc,
      description: 'SageMaker jobs of the training pipeline',
      allowAllOutbound: false,
    });
    // Distributed training and processing instances talk to each other.
    securityGroup.addIngressRule(securityGroup, ec2.Port.allTraffic(), 'between the instances of one job');
    securityGroup.addEgressRule(securityGroup, ec2.Port.allTraffic(), 'between the instances of one job');
    securityGroup.addEgressRule(ec2.Peer.anyIpv4(), ec2.Port.tcp(443), 'AWS APIs (S3, KMS, CloudWatch) over TLS');
    return { SecurityGroupIds: [securityGroup.securityGroupId], Subnets: vpc.selectSubnets(subnets).subnetIds };
  }

  /**
   * What the execution role needs, scoped to this pipeline's data, jobs, group and key; SageMaker
   * itself pulls its first-party images.
   */
  private grantExecutionRole(props: TrainingPipelineProps): void {
    const stack = Stack.of(this);
    const arn = (resource: string, resourceName: string) => sageMakerArn(this, resource, resourceName);
    const rawPrefix = props.rawDataPrefix ?? 'raw/';
    const featuresPrefix = props.featuresPrefix ?? 'features/';

    props.dataBucket.grantRead(this.role, `${rawPrefix}*`);
    props.dataBucket.grantReadWrite(this.role, `${featuresPrefix}*`);
    props.artifactsBucket.grantReadWrite(this.role);
    this.wildcards.push(
      [props.dataBucket.arnForObjects(`${rawPrefix}*`), 'The feature job reads every object under the raw-data prefix.'],
      [props.dataBucket.arnForObjects(`${featuresPrefix}*`), 'Each run writes its splits under its own folder of the features prefix, and training reads them.'],
      [props.artifactsBucket.arnForObjects('*'), 'The artifacts bucket is dedicated to this pipeline\'s models, evaluations and checkpoints.'],
    );
    this.encryptionKey.grantEncryptDecrypt(this.role);
    // SageMaker attaches the key to job volumes through grants.
    this.encryptionKey.grant(this.role, 'kms:CreateGrant', 'kms:DescribeKey');

    this.role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'RunPipelineJobs',
        actions: [
          'sagemaker:CreateProcessingJob',
          'sagemaker:DescribeProcessingJob',
          'sagemaker:StopProcessingJob',
          'sagemaker:CreateTrainingJob',
          'sagemaker:DescribeTrainingJob',
          'sagemaker:StopTrainingJob',
          'sagemaker:AddTags',
        ],
        // SageMaker Pipelines names every job it starts `pipelines-<execution>-<step>-...`.
        resources: [arn('processing-job', 'pipelines-*'), arn('training-job', 'pipelines-*')],
      }),
    );
    const jobNames = 'SageMaker Pipelines generates job names (pipelines-<execution>-<step>-...); the prefix is as narrow as the service allows.';
    this.wildcards.push([arn('processing-job', 'pipelines-*'), jobNames], [arn('training-job', 'pipelines-*'), jobNames]);
    if (props.tuning) {
      // The training jobs a tuning job launches are started by SageMaker's tuning service under
      // the passed role; the pipeline only creates, reads and stops the tuning job.
      const tuningJobs = arn('hyper-parameter-tuning-job', '*');
      this.role.addToPrincipalPolicy(
        new iam.PolicyStatement({
          sid: 'RunTuningJobs',
          actions: [
            'sagemaker:CreateHyperParameterTuningJob',
            'sagemaker:DescribeHyperParameterTuningJob',
            'sagemaker:ListTrainingJobsForHyperParameterTuningJob',
            'sagemaker:StopHyperParameterTuningJob',
            'sagemaker:AddTags',
          ],
          resources: [tuningJobs],
        }),
      );
      this.wildcards.push([
        tuningJobs,
        'SageMaker Pipelines generates the tuning job name (at most 32 characters, the prefix of its training jobs\' names) without a documented fixed prefix.',
      ]);
    }
    props.modelRegistry.grantRegister(this.role);
    this.role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'PassOnlyItself',
        actions: ['iam:PassRole'],
        resources: [this.role.roleArn],
        conditions: { StringEquals: { 'iam:PassedToService': 'sagemaker.amazonaws.com' } },
      }),
    );
    const jobLogGroups = stack.formatArn({ service: 'logs', resource: 'log-group', resourceName: '/aws/sagemaker/*', arnFormat: ArnFormat.COLON_RESOURCE_NAME });
    this.role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'JobLogs',
        actions: ['logs:CreateLogGroup', 'logs:CreateLogStream', 'logs:PutLogEvents', 'logs:DescribeLogStreams'],
        resources: [jobLogGroups],
      }),
    );
    this.wildcards.push([jobLogGroups, 'SageMaker jobs write to the /aws/sagemaker/ProcessingJobs and TrainingJobs log groups with generated stream names.']);
    this.role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'JobMetrics',
        actions: ['cloudwatch:PutMetricData'],
        resources: ['*'],
        conditions: { StringLike: { 'cloudwatch:namespace': ['/aws/sagemaker/*', 'aws/sagemaker/*'] } },
      }),
    );
    if (props.vpc) {
      this.role.addToPrincipalPolicy(
        new iam.PolicyStatement({
          sid: 'JobNetworkInterfaces',
          actions: SAGEMAKER_VPC_ACTIONS,
          resources: ['*'],
        }),
      );
    }
  }

  private acknowledgeExecutionRoleFindings(): void {
    const policy = this.role.node.findChild('DefaultPolicy');
    for (const [resourceArn, reason] of this.wildcards) acknowledgeWildcardResource(policy, resourceArn, reason);
    Validations.of(policy).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason: 'cloudwatch:PutMetricData has no resource type; it is limited to SageMaker job namespaces by a condition (and ec2 network-interface actions in a VPC accept only *).',
    });
    acknowledgeGrantActions(policy, ['s3:GetObject*', 's3:GetBucket*', 's3:List*', 's3:DeleteObject*', 's3:Abort*', 'kms:ReEncrypt*', 'kms:GenerateDataKey*']);
    acknowledgeInlinePolicy(policy, "this pipeline's buckets, prefixes, jobs, model package group and key");
  }
}

function validateProps(scope: Construct, props: TrainingPipelineProps): void {
  const problems: string[] = [];
  const name = props.pipelineName;
  if (!Token.isUnresolved(name) && !/^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,255}$/.test(name)) {
    problems.push(`pipelineName "${name}" is invalid: use 1-256 letters, digits and hyphens, starting and ending with a letter or digit`);
  }
  const problemType = props.problemType ?? 'binary';
  if (!PROBLEM_TYPES.includes(problemType)) {
    problems.push(`problemType is "${problemType}": use one of ${PROBLEM_TYPES.join(', ')}`);
  } else {
    problems.push(...reviewProblems(problemType, props));
  }
  if (problemType === 'multiclass' && !(Number.isInteger(props.numClasses) && props.numClasses! >= 3)) {
    problems.push(`numClasses is ${props.numClasses}: a multiclass model needs a whole number of classes of at least 3 (two classes: use problemType "binary")`);
  }
  if (problemType !== 'multiclass' && props.numClasses !== undefined) {
    problems.push(`numClasses is set but problemType is "${problemType}": numClasses applies to multiclass models only`);
  }
  const instanceTypeProblem = props.trainingInstanceType === undefined ? undefined : checkInstanceType(scope, 'training', 'trainingInstanceType', props.trainingInstanceType);
  if (instanceTypeProblem) problems.push(instanceTypeProblem);
  const count = props.trainingInstanceCount;
  if (count !== undefined && !Token.isUnresolved(count) && !(Number.isInteger(count) && count >= 1)) {
    problems.push(`trainingInstanceCount is ${count}: use a whole number of at least 1`);
  }
  if (props.useSpotInstances && !props.checkpointPrefix) {
    problems.push('useSpotInstances is true but checkpointPrefix is not set: spot training can be interrupted, so set a checkpoint location (checkpointPrefix: "checkpoints/")');
  }
  if (!props.useSpotInstances && props.maxWait) {
    problems.push('maxWait is set but useSpotInstances is not: the wait time applies to spot training only');
  }
  const maxRuntime = props.maxRuntime ?? Duration.hours(1);
  if (props.useSpotInstances && props.maxWait && props.maxWait.toSeconds() < maxRuntime.toSeconds()) {
    problems.push(`maxWait (${props.maxWait.toHumanString()}) is shorter than maxRuntime (${maxRuntime.toHumanString()}): SageMaker requires maxWait >= maxRuntime`);
  }
  if (props.tuning) problems.push(...tuningProblems(props.tuning));
  if (problems.length > 0) throw new Error(`TrainingPipeline: ${problems.join('; ')}`);
}

function reviewProblems(problemType: ProblemType, props: TrainingPipelineProps): string[] {
  if (!props.review) {
    return problemType === 'binary' ? [] : [`review is not set: a ${problemType} model has no default check, so give review.checks, such as [{ metric: '${HEADLINE_METRIC[problemType]}', threshold: ... }]`];
  }
  const problems = describeCheckProblems(checkProblems(problemType, props.review.checks, props.bias !== undefined), 'review.checks');
  const margin = props.review.championMargin;
  if (margin !== undefined && !(Number.isFinite(margin) && margin >= 0)) problems.push(`review.championMargin is ${margin}: use a number of at least 0`);
  const bias = props.bias;
  if (bias) {
    if (bias.facetValues.length === 0) problems.push('bias.facetValues is empty: name the facet values of the sensitive group, or one numeric threshold');
    for (const metric of bias.metrics ?? []) {
      if (!BIAS_METRICS.includes(metric)) problems.push(`bias.metrics has "${metric}": use ${BIAS_METRICS.join(', ')}`);
    }
    const computed = bias.metrics ?? ['CI', 'DPL'];
    for (const check of props.review.checks) {
      if (isBiasMetric(check.metric) && !computed.includes(check.metric)) problems.push(`review.checks gates on ${check.metric}, which bias.metrics does not compute (${computed.join(', ')})`);
    }
  }
  return problems;
}

/**
 * Clarify's analysis configuration of a pre-training bias report. One numeric facet or label
 * value is written bare: the container reads a bare number as a threshold, while a one-number list
 * may be read as a value (https://docs.aws.amazon.com/sagemaker/latest/dg/clarify-processing-job-configure-analysis.html).
 */
function biasAnalysisConfig(bias: BiasReport, labelColumn: string) {
  const valuesOrThreshold = (values: readonly (string | number)[]) => (values.length === 1 && typeof values[0] === 'number' ? values[0] : [...values]);
  return {
    dataset_type: 'text/csv',
    label: labelColumn,
    label_values_or_threshold: [...(bias.labelValues ?? [1])],
    facet: [{ name_or_index: bias.facet, value_or_threshold: valuesOrThreshold(bias.facetValues) }],
    methods: { pre_training_bias: { methods: [...(bias.metrics ?? ['CI', 'DPL'])] } },
  };
}

/** The shipped scripts' --problem-type and, for multiclass, --num-classes. */
function problemTypeArguments(problemType: ProblemType, numClasses: number | undefined): string[] {
  return ['--problem-type', problemType, ...(numClasses !== undefined ? ['--num-classes', String(numClasses)] : [])];
}

/** The hyperparameters the tuning varies, in range order. */
function tunedNames(tuning: TrainingTuning): string[] {
  return [...Object.keys(tuning.continuousRanges ?? {}), ...Object.keys(tuning.integerRanges ?? {}), ...Object.keys(tuning.categoricalRanges ?? {})];
}

/** Where a processing job's script is copied in the container. */
const SCRIPT_DIR = '/opt/ml/processing/input/code';

/** A processing input that copies every object under an S3 prefix to `localPath` on each instance. */
function processingInput(name: string, s3Uri: PipelineValue<string>, localPath: string) {
  return {
    InputName: name,
    S3Input: { S3Uri: s3Uri, LocalPath: localPath, S3DataType: 'S3Prefix' as const, S3InputMode: 'File' as const, S3DataDistributionType: 'FullyReplicated' as const },
  };
}

/** Limits of CreateHyperParameterTuningJob's ResourceLimits and ParameterRanges. */
const MAX_TUNING_JOBS = 500;
const MAX_RANGES_PER_KIND = 20;

function tuningProblems(tuning: TrainingTuning): string[] {
  const problems: string[] = [];
  const wholeFrom = (key: 'maxJobs' | 'maxParallelJobs', value: number, max: number) => {
    if (!Number.isInteger(value) || value < 1 || value > max) problems.push(`tuning.${key} is ${value}: use a whole number from 1 to ${max}`);
  };
  wholeFrom('maxJobs', tuning.maxJobs, MAX_TUNING_JOBS);
  wholeFrom('maxParallelJobs', tuning.maxParallelJobs, Number.isInteger(tuning.maxJobs) && tuning.maxJobs >= 1 ? Math.min(tuning.maxJobs, 100) : 100);
  const numeric = { continuousRanges: tuning.continuousRanges ?? {}, integerRanges: tuning.integerRanges ?? {} };
  const categorical = tuning.categoricalRanges ?? {};
  const count = Object.keys(numeric.continuousRanges).length + Object.keys(numeric.integerRanges).length + Object.keys(categorical).length;
  if (count === 0) problems.push('tuning has no ranges: give at least one of continuousRanges, integerRanges, categoricalRanges');
  for (const [kind, ranges] of Object.entries(numeric)) {
    if (Object.keys(ranges).length > MAX_RANGES_PER_KIND) problems.push(`tuning.${kind} has ${Object.keys(ranges).length} ranges: SageMaker takes at most ${MAX_RANGES_PER_KIND}`);
    for (const [name, { min, max }] of Object.entries(ranges)) {
      if (!Number.isFinite(min) || !Number.isFinite(max) || !(min < max)) problems.push(`tuning.${kind}.${name} is ${min} to ${max}: min must be below max`);
      if (kind === 'integerRanges' && !(Number.isInteger(min) && Number.isInteger(max))) problems.push(`tuning.integerRanges.${name} is ${min} to ${max}: use whole numbers`);
    }
  }
  if (Object.keys(categorical).length > MAX_RANGES_PER_KIND) problems.push(`tuning.categoricalRanges has ${Object.keys(categorical).length} ranges: SageMaker takes at most ${MAX_RANGES_PER_KIND}`);
  for (const [name, values] of Object.entries(categorical)) {
    if (values.length === 0) problems.push(`tuning.categoricalRanges.${name} has no values: give at least one`);
  }
  if (tuning.strategy === 'Grid' && count !== Object.keys(categorical).length) {
    problems.push('tuning.strategy is Grid, which searches categorical ranges only: turn the numeric ranges into categoricalRanges or use another strategy');
  }
  if (tuning.strategy === 'Hyperband' && ['num_round', 'num-round'].some((name) => name in numeric.integerRanges || name in categorical)) {
    problems.push('tuning ranges num_round with strategy Hyperband, which sets the rounds itself (they are its resource): remove the num_round range');
  }
  if (tuning.strategy === 'Hyperband' && tuning.earlyStopping) {
    problems.push('tuning.earlyStopping is true with strategy Hyperband, which stops jobs itself: set earlyStopping false');
  }
  if (!/^[^\s]{1,255}$/.test(tuning.objective.metricName)) problems.push(`tuning.objective.metricName "${tuning.objective.metricName}" is not a metric name such as validation:auc`);
  return problems;
}
