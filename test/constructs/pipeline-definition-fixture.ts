// The reference pipeline and small builders shared by the pipeline-definition tests.
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
  ProcessingJobArguments,
  ProcessingStep,
  PropertyFile,
  RegisterModelStep,
  RetryExceptionType,
  RetryPolicy,
  TrainingStep,
} from '../../constructs/pipeline-definition';

export const ROLE_ARN = 'arn:aws:iam::123456789012:role/churn-pipeline-execution';
export const KMS_KEY_ARN = 'arn:aws:kms:eu-west-1:123456789012:key/0f6c8e5e-0000-4000-8000-000000000000';
export const SKLEARN_IMAGE = '141502667606.dkr.ecr.eu-west-1.amazonaws.com/sagemaker-scikit-learn:1.2-1-cpu-py3';
export const XGBOOST_IMAGE = '141502667606.dkr.ecr.eu-west-1.amazonaws.com/sagemaker-xgboost:1.7-1';
export const DATA_BUCKET = 's3://churn-data-123456789012';
export const ARTIFACTS_BUCKET = 's3://churn-artifacts-123456789012';
export const AUC_PATH = 'binary_classification_metrics.auc.value';

/** A minimal processing job whose S3 outputs are named `outputs`. */
export function processingArguments(...outputs: string[]): ProcessingJobArguments {
  return {
    AppSpecification: { ImageUri: SKLEARN_IMAGE },
    ProcessingOutputConfig: {
      Outputs: outputs.map((name) => ({
        OutputName: name,
        S3Output: {
          S3Uri: `s3://bucket/${name}`,
          LocalPath: `/opt/ml/processing/${name}`,
          S3UploadMode: 'EndOfJob' as const,
        },
      })),
    },
    ProcessingResources: { ClusterConfig: { InstanceType: 'ml.m5.large', InstanceCount: 1, VolumeSizeInGB: 30 } },
    RoleArn: ROLE_ARN,
  };
}

/** A prefix under the artifacts bucket unique to each execution. */
function perExecution(prefix: string, ...rest: string[]) {
  return join('/', [`${ARTIFACTS_BUCKET}/${prefix}`, ExecutionVariable.PIPELINE_EXECUTION_ID, ...rest]);
}

function s3Input(inputName: string, s3Uri: PipelineValue<string>, localPath: string) {
  return {
    InputName: inputName,
    S3Input: { S3Uri: s3Uri, LocalPath: localPath, S3DataType: 'S3Prefix', S3InputMode: 'File' },
  } as const;
}

function featureOutput(name: 'train' | 'validation' | 'test') {
  return {
    OutputName: name,
    S3Output: {
      S3Uri: perExecution('features', name),
      LocalPath: `/opt/ml/processing/${name}`,
      S3UploadMode: 'EndOfJob',
    },
  } as const;
}

/**
 * The package's reference pipeline: process → train → evaluate (writing evaluation.json) →
 * condition on AUC ≥ MinAuc → register the model, else fail naming metric and threshold.
 */
export function churnPipeline() {
  const inputDataUrl = PipelineParameter.string('InputDataUrl', { defaultValue: `${DATA_BUCKET}/raw/` });
  const processingInstanceType = PipelineParameter.string('ProcessingInstanceType', { defaultValue: 'ml.m5.xlarge' });
  const processingInstanceCount = PipelineParameter.integer('ProcessingInstanceCount', { defaultValue: 1 });
  const trainingInstanceType = PipelineParameter.string('TrainingInstanceType', { defaultValue: 'ml.m5.xlarge' });
  const useSpotInstances = PipelineParameter.boolean('UseSpotInstances', { defaultValue: true });
  const minAuc = PipelineParameter.float('MinAuc', { defaultValue: 0.75 });
  const modelApprovalStatus = PipelineParameter.string('ModelApprovalStatus', {
    defaultValue: 'PendingManualApproval',
  });

  const jobRetry: RetryPolicy = {
    exceptionTypes: [RetryExceptionType.SAGEMAKER_CAPACITY_ERROR, RetryExceptionType.SAGEMAKER_JOB_INTERNAL_ERROR],
    intervalSeconds: 60,
    backoffRate: 2,
    maxAttempts: 3,
  };

  const process = new ProcessingStep('Process', {
    displayName: 'Feature-processing',
    description: 'Turns raw churn records into train, validation and test sets.',
    arguments: {
      AppSpecification: {
        ImageUri: SKLEARN_IMAGE,
        ContainerEntrypoint: ['python3', '/opt/ml/processing/input/code/features.py'],
      },
      ProcessingInputs: [
        s3Input('raw', inputDataUrl, '/opt/ml/processing/input/raw'),
        s3Input('code', `${ARTIFACTS_BUCKET}/code/features.py`, '/opt/ml/processing/input/code'),
      ],
      ProcessingOutputConfig: {
        KmsKeyId: KMS_KEY_ARN,
        Outputs: [featureOutput('train'), featureOutput('validation'), featureOutput('test')],
      },
      ProcessingResources: {
        ClusterConfig: {
          InstanceType: processingInstanceType,
          InstanceCount: processingInstanceCount,
          VolumeSizeInGB: 30,
          VolumeKmsKeyId: KMS_KEY_ARN,
        },
      },
      NetworkConfig: { EnableNetworkIsolation: true, EnableInterContainerTrafficEncryption: true },
      StoppingCondition: { MaxRuntimeInSeconds: 3600 },
      RoleArn: ROLE_ARN,
    },
    retryPolicies: [jobRetry],
    cacheExpireAfter: 'P30D',
  });

  const channel = (name: 'train' | 'validation') =>
    ({
      ChannelName: name,
      ContentType: 'text/csv',
      DataSource: {
        S3DataSource: {
          S3DataType: 'S3Prefix',
          S3Uri: process.outputS3Uri(name),
          S3DataDistributionType: 'FullyReplicated',
        },
      },
    }) as const;

  const train = new TrainingStep('Train', {
    arguments: {
      AlgorithmSpecification: { TrainingImage: XGBOOST_IMAGE, TrainingInputMode: 'File' },
      HyperParameters: { objective: 'binary:logistic', eval_metric: 'auc', num_round: '200', max_depth: '5' },
      InputDataConfig: [channel('train'), channel('validation')],
      OutputDataConfig: { S3OutputPath: perExecution('models'), KmsKeyId: KMS_KEY_ARN },
      ResourceConfig: {
        InstanceType: trainingInstanceType,
        InstanceCount: 1,
        VolumeSizeInGB: 30,
        VolumeKmsKeyId: KMS_KEY_ARN,
      },
      StoppingCondition: { MaxRuntimeInSeconds: 3600, MaxWaitTimeInSeconds: 7200 },
      EnableManagedSpotTraining: useSpotInstances,
      CheckpointConfig: { S3Uri: perExecution('checkpoints') },
      EnableNetworkIsolation: true,
      EnableInterContainerTrafficEncryption: true,
      RoleArn: ROLE_ARN,
    },
    retryPolicies: [
      jobRetry,
      { exceptionTypes: [RetryExceptionType.SAGEMAKER_RESOURCE_LIMIT], intervalSeconds: 300, expireAfterMinutes: 120 },
    ],
    cacheExpireAfter: 'P30D',
  });

  const evaluationReport = new PropertyFile({
    name: 'EvaluationReport',
    outputName: 'evaluation',
    filePath: 'evaluation.json',
  });
  const evaluate = new ProcessingStep('Evaluate', {
    arguments: {
      AppSpecification: {
        ImageUri: XGBOOST_IMAGE,
        ContainerEntrypoint: ['python3', '/opt/ml/processing/input/code/evaluate.py'],
      },
      ProcessingInputs: [
        s3Input('model', train.modelArtifactsS3Uri, '/opt/ml/processing/model'),
        s3Input('test', process.outputS3Uri('test'), '/opt/ml/processing/test'),
        s3Input('code', `${ARTIFACTS_BUCKET}/code/evaluate.py`, '/opt/ml/processing/input/code'),
      ],
      ProcessingOutputConfig: {
        Outputs: [
          {
            OutputName: 'evaluation',
            S3Output: {
              S3Uri: perExecution('evaluation'),
              LocalPath: '/opt/ml/processing/evaluation',
              S3UploadMode: 'EndOfJob',
            },
          },
        ],
      },
      ProcessingResources: { ClusterConfig: { InstanceType: 'ml.m5.large', InstanceCount: 1, VolumeSizeInGB: 30 } },
      NetworkConfig: { EnableNetworkIsolation: true },
      RoleArn: ROLE_ARN,
    },
    propertyFiles: [evaluationReport],
    retryPolicies: [jobRetry],
  });

  const register = new RegisterModelStep('RegisterModel', {
    arguments: {
      ModelPackageGroupName: 'churn-models',
      ModelPackageDescription: 'XGBoost churn classifier',
      ModelApprovalStatus: modelApprovalStatus,
      InferenceSpecification: {
        Containers: [{ Image: XGBOOST_IMAGE, ModelDataUrl: train.modelArtifactsS3Uri }],
        SupportedContentTypes: ['text/csv'],
        SupportedResponseMIMETypes: ['text/csv'],
        SupportedRealtimeInferenceInstanceTypes: ['ml.m5.large', 'ml.m5.xlarge'],
        SupportedTransformInstanceTypes: ['ml.m5.large'],
      },
      ModelMetrics: {
        ModelQuality: {
          Statistics: {
            ContentType: 'application/json',
            S3Uri: join('/', [evaluate.outputS3Uri('evaluation'), 'evaluation.json']),
          },
        },
      },
    },
    retryPolicies: [
      { exceptionTypes: [RetryExceptionType.STEP_SERVICE_FAULT, RetryExceptionType.STEP_THROTTLING], maxAttempts: 5 },
    ],
  });

  const aucTooLow = new FailStep('AucBelowThreshold', {
    errorMessage: join(' ', [`Model AUC (${AUC_PATH}) is below the MinAuc threshold`, minAuc]),
  });

  const checkAuc = new ConditionStep('CheckAuc', {
    conditions: [Condition.greaterThanOrEqualTo(jsonGet<number>(evaluationReport, AUC_PATH), minAuc)],
    ifSteps: [register],
    elseSteps: [aucTooLow],
  });

  const pipeline = new PipelineDefinition({
    parameters: [
      inputDataUrl,
      processingInstanceType,
      processingInstanceCount,
      trainingInstanceType,
      useSpotInstances,
      minAuc,
      modelApprovalStatus,
    ],
    steps: [process, train, evaluate, checkAuc],
    experimentConfig: {
      experimentName: ExecutionVariable.PIPELINE_NAME,
      trialName: ExecutionVariable.PIPELINE_EXECUTION_ID,
    },
  });

  return { pipeline, process, train, evaluate, evaluationReport, checkAuc, register, aucTooLow };
}
