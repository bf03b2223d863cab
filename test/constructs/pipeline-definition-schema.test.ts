import {
  Condition,
  ConditionStep,
  ExecutionVariable,
  FailStep,
  join,
  jsonGet,
  PipelineDefinition,
  PipelineDefinitionProps,
  PipelineParameter,
  ProcessingStep,
  PropertyFile,
  RegisterModelStep,
  RetryExceptionType,
} from '../../constructs/pipeline-definition';
import { churnPipeline, processingArguments, ROLE_ARN, XGBOOST_IMAGE } from './pipeline-definition-fixture';
import { validateAgainstPublishedSchema, validatePipelineDefinition } from './pipeline-schema';

const evaluate = new ProcessingStep('Evaluate', {
  arguments: processingArguments('evaluation'),
  propertyFiles: [new PropertyFile({ name: 'Report', outputName: 'evaluation', filePath: 'evaluation.json' })],
  retryPolicies: [{ exceptionTypes: [RetryExceptionType.SAGEMAKER_CAPACITY_ERROR], maxAttempts: 2 }],
});

function definitionOf(props: PipelineDefinitionProps) {
  return new PipelineDefinition(props).toDefinition();
}

/** A copy of the first step with one top-level or `Arguments` key removed. */
function withoutKey(definition: { readonly Steps: readonly object[] }, key: string, inArguments = false) {
  const [step] = definition.Steps as readonly Record<string, unknown>[];
  const { [key]: _removed, ...rest } = (inArguments ? step.Arguments : step) as Record<string, unknown>;
  return { ...definition, Steps: [inArguments ? { ...step, Arguments: rest } : rest] };
}

describe('pipeline schema helper', () => {
  test('reports schema errors with their path', () => {
    expect(validatePipelineDefinition({ Version: '2020-12-01' })).toEqual([
      expect.stringMatching(/^\/ must have required property 'Steps'/),
    ]);
    expect(validatePipelineDefinition({ Steps: [{ Name: 'Train', Type: 'Training' }] })).toContainEqual(
      expect.stringMatching(/^\/Steps\/0 must have required property 'Arguments'/),
    );
  });

  test('rejects the churn pipeline as published and accepts it with the documented amendments', () => {
    const definition = churnPipeline().pipeline.toDefinition();
    const published = validateAgainstPublishedSchema(definition).join('\n');
    for (const rejected of ['PipelineExperimentConfig', 'PropertyFiles', 'ModelApprovalStatus', '/RetryPolicies/0/ExceptionType']) {
      expect(published).toContain(rejected);
    }
    expect(validatePipelineDefinition(definition)).toEqual([]);
  });
});

describe('where the published schema rejects what SageMaker accepts (amended in the helper)', () => {
  // PipelineExperimentConfig is a top-level key of the definition:
  // https://docs.aws.amazon.com/sagemaker/latest/dg/pipelines-experiments.html
  test('PipelineExperimentConfig', () => {
    const definition = definitionOf({
      steps: [new FailStep('Stop')],
      experimentConfig: { experimentName: 'churn', trialName: ExecutionVariable.PIPELINE_EXECUTION_ID },
    });
    expect(validateAgainstPublishedSchema(definition)).toContainEqual(
      expect.stringMatching(/^\/ must NOT have additional properties {"additionalProperty":"PipelineExperimentConfig"}/),
    );
    expect(validatePipelineDefinition(definition)).toEqual([]);
  });

  // Processing steps list the property files JsonGet reads:
  // https://docs.aws.amazon.com/sagemaker/latest/dg/build-and-manage-propertyfile.html
  test('PropertyFiles on a processing step', () => {
    const definition = definitionOf({ steps: [evaluate] });
    expect(validateAgainstPublishedSchema(definition)).toContainEqual(
      expect.stringMatching(/^\/Steps\/0 must NOT have additional properties {"additionalProperty":"PropertyFiles"}/),
    );
    expect(validatePipelineDefinition(definition)).toEqual([]);
  });

  // A condition reads a property file with JsonGet (Std:JsonGet); the schema has no JsonGet:
  // https://docs.aws.amazon.com/sagemaker/latest/dg/build-and-manage-propertyfile.html
  test('Std:JsonGet as a condition operand', () => {
    const check = new ConditionStep('Check', {
      conditions: [Condition.greaterThan(jsonGet<number>(evaluate.propertyFiles[0], 'auc'), 0.7)],
    });
    const definition = definitionOf({ steps: [evaluate, check] });
    expect(validateAgainstPublishedSchema(definition)).toContainEqual(
      expect.stringMatching(/^\/Steps\/1\/Arguments\/Conditions\/0\/LeftValue must NOT have additional properties {"additionalProperty":"Std:JsonGet"}/),
    );
    expect(validatePipelineDefinition(definition)).toEqual([]);
  });

  // A Fail step's ErrorMessage may be a Join over parameters; the published JoinFunction is
  // unsatisfiable and unreferenced:
  // https://docs.aws.amazon.com/sagemaker/latest/dg/build-and-manage-steps-types.html#step-type-fail
  test('Std:Join as a Fail step ErrorMessage', () => {
    const threshold = PipelineParameter.integer('MseThreshold', { defaultValue: 5 });
    const definition = definitionOf({
      parameters: [threshold],
      steps: [new FailStep('Stop', { errorMessage: join(' ', ['Execution failed due to MSE >', threshold]) })],
    });
    expect(validateAgainstPublishedSchema(definition)).toContainEqual(
      expect.stringMatching(/^\/Steps\/0\/Arguments\/ErrorMessage must NOT have additional properties {"additionalProperty":"Std:Join"}/),
    );
    expect(validatePipelineDefinition(definition)).toEqual([]);
  });

  // "ExceptionType: This field requires the following exception types in a string array format":
  // https://docs.aws.amazon.com/sagemaker/latest/dg/pipelines-retry-policy.html
  // The published schema wants one string instead, the reverse of the documented form, so the
  // amended schema rejects a bare string.
  test('RetryPolicies ExceptionType as an array', () => {
    const definition = definitionOf({ steps: [evaluate] });
    expect(validateAgainstPublishedSchema(definition)).toContainEqual(
      expect.stringMatching(/^\/Steps\/0\/RetryPolicies\/0\/ExceptionType must be string/),
    );
    expect(validatePipelineDefinition(definition)).toEqual([]);

    const bareString = {
      Version: '2020-12-01',
      Steps: [{ Name: 'Register', Type: 'RegisterModel', Arguments: {}, RetryPolicies: [{ ExceptionType: 'Step.THROTTLING' }] }],
    };
    expect(validateAgainstPublishedSchema(bareString)).toEqual([]);
    expect(validatePipelineDefinition(bareString)).toContainEqual(
      expect.stringMatching(/^\/Steps\/0\/RetryPolicies\/0\/ExceptionType must be array/),
    );
  });

  // ModelApprovalStatus is part of the CreateModelPackage request a RegisterModel step sends:
  // https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_CreateModelPackage.html
  test('ModelApprovalStatus on a RegisterModel step', () => {
    const definition = definitionOf({
      steps: [
        new RegisterModelStep('Register', {
          arguments: {
            ModelPackageGroupName: 'churn-models',
            ModelApprovalStatus: 'Approved',
            InferenceSpecification: { Containers: [{ Image: XGBOOST_IMAGE, ModelDataUrl: 's3://bucket/model.tar.gz' }] },
          },
        }),
      ],
    });
    expect(validateAgainstPublishedSchema(definition)).toContainEqual(
      expect.stringMatching(/^\/Steps\/0\/Arguments must NOT have additional properties {"additionalProperty":"ModelApprovalStatus"}/),
    );
    expect(validatePipelineDefinition(definition)).toEqual([]);
  });

  // CustomerMetadataProperties is part of the same CreateModelPackage request:
  // https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_CreateModelPackage.html
  test('CustomerMetadataProperties on a RegisterModel step', () => {
    const definition = definitionOf({
      steps: [
        new RegisterModelStep('Register', {
          arguments: {
            ModelPackageGroupName: 'churn-models',
            CustomerMetadataProperties: { InputDataUrl: 's3://bucket/raw/' },
            InferenceSpecification: { Containers: [{ Image: XGBOOST_IMAGE, ModelDataUrl: 's3://bucket/model.tar.gz' }] },
          },
        }),
      ],
    });
    expect(validateAgainstPublishedSchema(definition)).toContainEqual(
      expect.stringMatching(/^\/Steps\/0\/Arguments must NOT have additional properties {"additionalProperty":"CustomerMetadataProperties"}/),
    );
    expect(validatePipelineDefinition(definition)).toEqual([]);
  });

  // ModelCard is part of the same CreateModelPackage request:
  // https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_CreateModelPackage.html
  // The amended schema takes its two members only, and ModelCardStatus from its enum.
  test('ModelCard on a RegisterModel step', () => {
    const register = (ModelCard: Record<string, unknown>) =>
      definitionOf({
        steps: [
          new RegisterModelStep('Register', {
            arguments: {
              ModelPackageGroupName: 'churn-models',
              ModelCard,
              InferenceSpecification: { Containers: [{ Image: XGBOOST_IMAGE, ModelDataUrl: 's3://bucket/model.tar.gz' }] },
            } as never,
          }),
        ],
      });
    const definition = register({ ModelCardContent: '{"intended_uses":{"risk_rating":"Low"}}', ModelCardStatus: 'Draft' });
    expect(validateAgainstPublishedSchema(definition)).toContainEqual(
      expect.stringMatching(/^\/Steps\/0\/Arguments must NOT have additional properties {"additionalProperty":"ModelCard"}/),
    );
    expect(validatePipelineDefinition(definition)).toEqual([]);
    expect(validatePipelineDefinition(register({ ModelCardContent: '{}', ModelCardStatus: 'Final' }))).toContainEqual(
      expect.stringMatching(/^\/Steps\/0\/Arguments\/ModelCard\/ModelCardStatus must be equal to one of the allowed values/),
    );
    expect(validatePipelineDefinition(register({ ModelCardContent: '{}', Card: '{}' }))).toContainEqual(
      expect.stringMatching(/^\/Steps\/0\/Arguments\/ModelCard must NOT have additional properties {"additionalProperty":"Card"}/),
    );
  });

  // Bias takes PreTrainingReport and PostTrainingReport as well as Report:
  // https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_Bias.html
  test('ModelMetrics.Bias.PreTrainingReport on a RegisterModel step', () => {
    const definition = definitionOf({
      steps: [
        new RegisterModelStep('Register', {
          arguments: {
            ModelPackageGroupName: 'churn-models',
            ModelMetrics: { Bias: { PreTrainingReport: { ContentType: 'application/json', S3Uri: 's3://bucket/bias/analysis.json' } } },
            InferenceSpecification: { Containers: [{ Image: XGBOOST_IMAGE, ModelDataUrl: 's3://bucket/model.tar.gz' }] },
          },
        }),
      ],
    });
    expect(validateAgainstPublishedSchema(definition)).toContainEqual(
      expect.stringMatching(/^\/Steps\/0\/Arguments\/ModelMetrics\/Bias must NOT have additional properties {"additionalProperty":"PreTrainingReport"}/),
    );
    expect(validatePipelineDefinition(definition)).toEqual([]);
  });
});

describe('where the published schema rejects what SageMaker accepts (not amended: the builder does not need it)', () => {
  // StepDisplayName allows any characters up to 256:
  // https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_PipelineExecutionStep.html
  // The schema applies the step-name pattern, so the builder keeps display names to that pattern
  // (see "fails when a display name does not match the schema pattern").
  test('a display name with spaces', () => {
    const definition = { Version: '2020-12-01', Steps: [{ Name: 'Stop', Type: 'Fail', DisplayName: 'Stop the run', Arguments: {} }] };
    expect(validatePipelineDefinition(definition)).toContainEqual(
      expect.stringMatching(/^\/Steps\/0\/DisplayName must match pattern/),
    );
    expect(validatePipelineDefinition(withoutKey(definition, 'DisplayName'))).toEqual([]);
  });

  // CreateTrainingJob takes Environment:
  // https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_CreateTrainingJob.html#sagemaker-CreateTrainingJob-request-Environment
  // The schema's Training arguments forbid it. The builder's types follow the API, so a training
  // step that sets Environment fails this helper until the helper is amended with that page.
  test('Environment on a Training step', () => {
    const definition = {
      Version: '2020-12-01',
      Steps: [
        {
          Name: 'Train',
          Type: 'Training',
          Arguments: {
            AlgorithmSpecification: { TrainingImage: XGBOOST_IMAGE, TrainingInputMode: 'File' },
            Environment: { LOG_LEVEL: 'info' },
            OutputDataConfig: { S3OutputPath: 's3://bucket/models' },
            ResourceConfig: { InstanceType: 'ml.m5.large', InstanceCount: 1, VolumeSizeInGB: 30 },
            RoleArn: ROLE_ARN,
            StoppingCondition: { MaxRuntimeInSeconds: 3600 },
          },
        },
      ],
    };
    expect(validatePipelineDefinition(definition)).toContainEqual(
      expect.stringMatching(/^\/Steps\/0\/Arguments must NOT have additional properties {"additionalProperty":"Environment"}/),
    );
    expect(validatePipelineDefinition(withoutKey(definition, 'Environment', true))).toEqual([]);
  });

  // The condition step example puts a create-model step in if_steps:
  // https://docs.aws.amazon.com/sagemaker/latest/dg/build-and-manage-steps-types.html#step-type-condition
  // The schema admits only Training, Fail, Processing, Transform and RegisterModel steps in
  // branches, as does the builder's ConditionBranchStep until a CreateModel step exists.
  test('a CreateModel step in a condition branch', () => {
    const definition = {
      Version: '2020-12-01',
      Steps: [
        {
          Name: 'Check',
          Type: 'Condition',
          Arguments: {
            Conditions: [{ Type: 'Equals', LeftValue: 1, RightValue: 1 }],
            IfSteps: [{ Name: 'CreateModel', Type: 'Model', Arguments: { ExecutionRoleArn: ROLE_ARN } }],
          },
        },
      ],
    };
    expect(validatePipelineDefinition(definition)).toContainEqual(
      expect.stringMatching(/^\/Steps\/0\/Arguments\/IfSteps\/0\/Type must be equal to one of the allowed values/),
    );
    expect(validatePipelineDefinition({ ...definition, Steps: definition.Steps[0].Arguments.IfSteps })).toEqual([]);
  });
});
