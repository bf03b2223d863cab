import { ArnFormat, Duration, Stack, Token, Validations } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
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
  jsonGet,
  PipelineDefinition,
  PipelineParameter,
  PipelineValue,
  ProcessingStep,
  PropertyFile,
  RegisterModelStep,
  Reference,
  RetryExceptionType,
  RetryPolicy,
  TrainingStep,
  TuningJobArguments,
  TuningStep,
} from './pipeline-definition';
import { PIPELINE_PARAMETER } from '../lambda/retraining-governor/environment';
import { FeatureOutput, FeatureProcessing } from './feature-processing';
import { IModelRegistry, ModelApprovalStatus } from './model-registry';
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
   * Hyperparameters of the training job.
   * @default - binary:logistic, 50 rounds, max depth 5, eta 0.2, evaluated on AUC
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
   * Metric in evaluation.json (`binary_classification_metrics.<name>.value`) that gates registration.
   * @default 'auc'
   */
  readonly metricName?: string;

  /**
   * Models are registered only when the metric is at least this (a run's `MetricThreshold`
   * parameter can override it).
   * @default 0.75
   */
  readonly metricThreshold?: number;

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
  METRIC_THRESHOLD: 'MetricThreshold',
  MODEL_APPROVAL_STATUS: 'ModelApprovalStatus',
} as const;

/**
 * A SageMaker pipeline that turns raw data into a registered, evaluated model: feature processing
 * → training → evaluation → condition on a metric → register model package (else fail, naming the
 * metric and threshold). Jobs run network-isolated with encrypted volumes, outputs and
 * inter-container traffic, under a least-privilege execution role.
 */
export class TrainingPipeline extends Construct {
  /** The key that encrypts what this construct stores. */
  public readonly encryptionKey: kms.IKey;
  /** Step names, in run order, without tuning (see `stepNames`). */
  public static readonly STEP_NAMES = ['DataProfile', FeatureProcessing.STEP_NAME, 'Train', 'Evaluate', 'DataQualityBaseline', 'CheckMetric', 'RegisterModel', 'MetricBelowThreshold'];
  /** The training job's hyperparameters unless `hyperparameters` says otherwise. */
  public static readonly DEFAULT_HYPERPARAMETERS: Readonly<Record<string, string>> = {
    objective: 'binary:logistic',
    num_round: '50',
    max_depth: '5',
    eta: '0.2',
    eval_metric: 'auc',
  };
  /** This pipeline's step names, in run order: `Tune` in place of `Train` when tuning is configured. */
  public readonly stepNames: string[];

  public readonly pipelineName: string;
  public readonly pipelineArn: string;
  /** The role SageMaker runs the pipeline and its jobs with. */
  public readonly role: iam.Role;
  /** The definition, for inspection (step graph, parameters). */
  public readonly definition: PipelineDefinition;
  /** Wildcard resources granted on purpose, with why, acknowledged once the role is complete. */
  private readonly wildcards: [string, string][] = [];

  constructor(scope: Construct, id: string, props: TrainingPipelineProps) {
    super(scope, id);
    this.encryptionKey = keyOrBucketKey('TrainingPipeline', props.encryptionKey, props.artifactsBucket, 'artifactsBucket');
    validateProps(this, props);
    const stack = Stack.of(this);
    const metricName = props.metricName ?? 'auc';
    const metricPath = `binary_classification_metrics.${metricName}.value`;
    const featureProcessing = props.featureProcessing ?? new FeatureProcessing(this, 'FeatureProcessing');
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
        defaultValue: props.metricThreshold ?? 0.75,
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
    const hyperparameters = props.hyperparameters ?? TrainingPipeline.DEFAULT_HYPERPARAMETERS;
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
    const profile = props.dataProfile === false ? undefined : this.dataProfileStep(parameters.inputDataUrl, perRun(props.artifactsBucket, 'profiles'), vpcConfig, retryPolicies);
    this.stepNames = TrainingPipeline.STEP_NAMES.filter((name) => profile || name !== 'DataProfile').map((name) => (name === 'Train' ? train.name : name));

    const report = new PropertyFile({ name: 'EvaluationReport', outputName: 'evaluation', filePath: 'evaluation.json' });
    const evaluate = this.evaluationStep(props, features, modelUri, report, {
      evaluation: perRun(props.artifactsBucket, 'evaluation'),
      baseline: perRun(props.dataBucket, props.featuresPrefix ?? 'features/', 'prediction-baseline'),
    }, vpcConfig, retryPolicies);
    const baseline = this.dataQualityBaselineStep(evaluate, perRun(props.artifactsBucket, 'baselines'), vpcConfig, retryPolicies);

    const register = new RegisterModelStep('RegisterModel', {
      description: 'Registers the model with its metrics and the exact data it was trained on.',
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
            Statistics: { ContentType: 'application/json', S3Uri: join('/', [evaluate.outputS3Uri('evaluation'), 'evaluation.json']) },
          },
          // The deployer points the endpoint's Model Monitor schedule at this baseline.
          ModelDataQuality: {
            Statistics: { ContentType: 'application/json', S3Uri: join('/', [baseline.outputS3Uri('baseline'), 'statistics.json']) },
            Constraints: { ContentType: 'application/json', S3Uri: join('/', [baseline.outputS3Uri('baseline'), 'constraints.json']) },
          },
        },
        CustomerMetadataProperties: {
          InputDataUrl: parameters.inputDataUrl,
          TriggerReason: parameters.triggerReason,
          PipelineExecutionId: ExecutionVariable.PIPELINE_EXECUTION_ID,
          BaselineDataUrl: evaluate.outputS3Uri('baseline'),
          ...(profile && { DataProfileUrl: profile.outputS3Uri('profile') }),
          ...(train instanceof TuningStep && props.tuning ? tunedMetadata(train, props.tuning) : {}),
        },
      },
    });
    const fail = new FailStep('MetricBelowThreshold', {
      errorMessage: join(' ', [`The model's ${metricName} (${metricPath} in evaluation.json) is below the threshold`, parameters.metricThreshold, '- not registered.']),
    });
    const check = new ConditionStep('CheckMetric', {
      description: `Registers the model only when its ${metricName} is at least the threshold.`,
      conditions: [Condition.greaterThanOrEqualTo(jsonGet<number>(report, metricPath), parameters.metricThreshold)],
      ifSteps: [register],
      elseSteps: [fail],
    });

    this.definition = new PipelineDefinition({
      parameters: Object.values(parameters),
      steps: [...(profile ? [profile] : []), features, train, evaluate, baseline, check],
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
    vpcConfig: { SecurityGroupIds: string[]; Subnets: string[] } | undefined,
    retryPolicies: RetryPolicy[],
  ): ProcessingStep {
    const script = this.jobScript('DataProfileScript', packageFile('ml', 'profile.py'));
    return new ProcessingStep('DataProfile', {
      description: "Profiles the run's raw data: per-column statistics, charts, label balance and correlations (profile.html, profile.json).",
      arguments: {
        AppSpecification: { ImageUri: SageMakerImage.xgboost().bind(this, this.role), ContainerEntrypoint: script.entrypoint },
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
    features: ProcessingStep,
    modelUri: PipelineValue<string>,
    report: PropertyFile,
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
      propertyFiles: [report],
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
            StrategyConfig: { HyperbandStrategyConfig: { MinResource: 1, MaxResource: Number(hyperparameters.num_round ?? TrainingPipeline.DEFAULT_HYPERPARAMETERS.num_round) } },
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
  if (props.metricName !== undefined && !/^[a-z0-9_]+$/.test(props.metricName)) {
    problems.push(`metricName "${props.metricName}" is invalid: name a metric of evaluation.json such as "auc" (lower-case letters, digits, underscores)`);
  }
  if (props.metricThreshold !== undefined && !Number.isFinite(props.metricThreshold)) {
    problems.push(`metricThreshold is ${props.metricThreshold}: use a finite number`);
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
