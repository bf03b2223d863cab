import { Duration, Size, Token } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3assets from 'aws-cdk-lib/aws-s3-assets';
import { Construct } from 'constructs';
import { checkInstanceType } from './instance-types';
import { packageFile } from './private/package-files';
import { Expression, PipelineValue, ProcessingStep, RetryPolicy } from './pipeline-definition';
import { SageMakerImage } from './sagemaker-image';

/** Properties of {@link FeatureProcessing}. */
export interface FeatureProcessingProps {
  /**
   * The feature script. It reads every CSV under /opt/ml/processing/input and writes train/,
   * validation/, test/ and baseline/ under /opt/ml/processing (see ml/README.md).
   * @default - ml/preprocessing.py shipped with this package
   */
  readonly scriptPath?: string;

  /**
   * Arguments passed to the script.
   * @default - none: the script's defaults (label column `churn`, 70/15/15 split)
   */
  readonly scriptArguments?: string[];

  /**
   * Image the script runs in.
   * @default SageMakerImage.scikitLearn()
   */
  readonly image?: SageMakerImage;

  /**
   * Instance type of the processing job (a pipeline parameter can override it per run): one
   * `INSTANCE_TYPES.processing` lists, or a newer one wrapped in `InstanceTypes.unlisted(...)`,
   * which synth then warns about.
   * @default 'ml.m5.large'
   */
  readonly instanceType?: string;

  /**
   * Instances of the processing job; above 1, the raw files are sharded across them.
   * @default 1
   */
  readonly instanceCount?: number;

  /**
   * Longest the job may run.
   * @default Duration.hours(1)
   */
  readonly maxRuntime?: Duration;

  /**
   * Storage volume of each instance.
   * @default Size.gibibytes(30)
   */
  readonly volumeSize?: Size;
}

/** Where and how the pipeline runs the feature step; supplied by TrainingPipeline. */
export interface FeatureProcessingStepOptions {
  readonly role: iam.IRole;
  /** S3 prefix of the raw data. */
  readonly inputUrl: PipelineValue<string>;
  /** S3 prefix the outputs go under, one folder per output. */
  readonly outputUrl: (output: FeatureOutput) => PipelineValue<string>;
  readonly instanceType: Expression<string>;
  readonly instanceCount: PipelineValue<number>;
  readonly kmsKeyArn: string;
  readonly vpcConfig?: { readonly SecurityGroupIds: string[]; readonly Subnets: string[] };
  readonly retryPolicies: readonly RetryPolicy[];
  readonly cacheExpireAfter?: string;
}

/** The outputs of the feature step. */
export type FeatureOutput = 'train' | 'validation' | 'test' | 'baseline';

/**
 * The feature-engineering step of a training pipeline: a script (shipped as an S3 asset) run as a
 * SageMaker processing job on the raw data, writing train/validation/test splits and a
 * data-quality baseline.
 */
export class FeatureProcessing extends Construct {
  public static readonly OUTPUTS: readonly FeatureOutput[] = ['train', 'validation', 'test', 'baseline'];
  /** The processing step's name in the pipeline. */
  public static readonly STEP_NAME = 'FeatureProcessing';
  private static readonly CODE_DIR = '/opt/ml/processing/input/code';

  public readonly instanceType: string;
  public readonly instanceCount: number;
  private readonly script: s3assets.Asset;
  private readonly props: FeatureProcessingProps;

  constructor(scope: Construct, id: string, props: FeatureProcessingProps = {}) {
    super(scope, id);
    this.props = props;
    this.instanceType = props.instanceType ?? 'ml.m5.large';
    this.instanceCount = props.instanceCount ?? 1;
    validateProps(this, this.instanceType, this.instanceCount, props);
    this.script = new s3assets.Asset(this, 'Script', { path: props.scriptPath ?? packageFile('ml', 'preprocessing.py') });
  }

  /** The pipeline step; grants `options.role` reading the script and pulling the image. */
  public toStep(options: FeatureProcessingStepOptions): ProcessingStep {
    this.script.grantRead(options.role);
    const imageUri = (this.props.image ?? SageMakerImage.scikitLearn()).bind(this, options.role);
    return new ProcessingStep(FeatureProcessing.STEP_NAME, {
      description: 'Turns the raw data into train, validation and test sets and a data-quality baseline.',
      arguments: {
        AppSpecification: {
          ImageUri: imageUri,
          // A single-object S3 input keeps the object's key as the file name.
          ContainerEntrypoint: ['python3', `${FeatureProcessing.CODE_DIR}/${this.script.s3ObjectKey}`],
          ContainerArguments: this.props.scriptArguments,
        },
        ProcessingInputs: [
          {
            InputName: 'raw',
            S3Input: {
              S3Uri: options.inputUrl,
              LocalPath: '/opt/ml/processing/input/raw',
              S3DataType: 'S3Prefix',
              S3InputMode: 'File',
              // Each instance gets its own share of the files when there are several.
              S3DataDistributionType: 'ShardedByS3Key',
            },
          },
          {
            InputName: 'code',
            S3Input: {
              S3Uri: this.script.s3ObjectUrl,
              LocalPath: FeatureProcessing.CODE_DIR,
              S3DataType: 'S3Prefix',
              S3InputMode: 'File',
              S3DataDistributionType: 'FullyReplicated',
            },
          },
        ],
        ProcessingOutputConfig: {
          KmsKeyId: options.kmsKeyArn,
          Outputs: FeatureProcessing.OUTPUTS.map((output) => ({
            OutputName: output,
            S3Output: { S3Uri: options.outputUrl(output), LocalPath: `/opt/ml/processing/${output}`, S3UploadMode: 'EndOfJob' },
          })),
        },
        ProcessingResources: {
          ClusterConfig: {
            InstanceType: options.instanceType,
            InstanceCount: options.instanceCount,
            VolumeSizeInGB: (this.props.volumeSize ?? Size.gibibytes(30)).toGibibytes(),
            VolumeKmsKeyId: options.kmsKeyArn,
          },
        },
        NetworkConfig: {
          EnableNetworkIsolation: true,
          EnableInterContainerTrafficEncryption: true,
          VpcConfig: options.vpcConfig,
        },
        StoppingCondition: { MaxRuntimeInSeconds: (this.props.maxRuntime ?? Duration.hours(1)).toSeconds() },
        RoleArn: options.role.roleArn,
      },
      retryPolicies: options.retryPolicies,
      cacheExpireAfter: options.cacheExpireAfter,
    });
  }
}

function validateProps(scope: Construct, instanceType: string, instanceCount: number, props: FeatureProcessingProps): void {
  const problems: string[] = [];
  const instanceTypeProblem = checkInstanceType(scope, 'processing', 'instanceType', instanceType);
  if (instanceTypeProblem) problems.push(instanceTypeProblem);
  if (!Token.isUnresolved(instanceCount) && !(Number.isInteger(instanceCount) && instanceCount >= 1)) {
    problems.push(`instanceCount is ${instanceCount}: use a whole number of at least 1`);
  }
  if (props.maxRuntime && props.maxRuntime.toSeconds() < 1) {
    problems.push('maxRuntime must be at least one second');
  }
  if (problems.length > 0) throw new Error(`FeatureProcessing: ${problems.join('; ')}`);
}
