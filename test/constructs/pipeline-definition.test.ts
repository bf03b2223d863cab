import {
  Condition,
  ConditionStep,
  ExecutionVariable,
  FailStep,
  join,
  jsonGet,
  PipelineDefinition,
  PipelineParameter,
  ProcessingJobArguments,
  ProcessingStep,
  RegisterModelStep,
  RetryExceptionType,
} from '../../constructs/pipeline-definition';
import { AUC_PATH, churnPipeline, processingArguments, XGBOOST_IMAGE } from './pipeline-definition-fixture';
import { validatePipelineDefinition } from './pipeline-schema';

describe('PipelineDefinition: the churn pipeline (process → train → evaluate → check AUC → register or fail)', () => {
  // GIVEN
  const { pipeline } = churnPipeline();
  // WHEN
  const definition = pipeline.toDefinition();
  const steps = definition.Steps;

  test('is valid against the pipeline definition schema', () => {
    // THEN
    expect(validatePipelineDefinition(definition)).toEqual([]);
  });

  test('is a plain JSON object: serialising and parsing it changes nothing', () => {
    expect(JSON.parse(JSON.stringify(definition))).toEqual(definition);
  });

  test('declares the version, metadata and typed parameters with their defaults', () => {
    expect(definition.Version).toBe('2020-12-01');
    expect(definition.Metadata).toEqual({});
    expect(definition.Parameters).toEqual([
      { Name: 'InputDataUrl', Type: 'String', DefaultValue: 's3://churn-data-123456789012/raw/' },
      { Name: 'ProcessingInstanceType', Type: 'String', DefaultValue: 'ml.m5.xlarge' },
      { Name: 'ProcessingInstanceCount', Type: 'Integer', DefaultValue: 1 },
      { Name: 'TrainingInstanceType', Type: 'String', DefaultValue: 'ml.m5.xlarge' },
      { Name: 'UseSpotInstances', Type: 'Boolean', DefaultValue: true },
      { Name: 'MinAuc', Type: 'Float', DefaultValue: 0.75 },
      { Name: 'ModelApprovalStatus', Type: 'String', DefaultValue: 'PendingManualApproval' },
    ]);
  });

  test('names the experiment and trial after the pipeline and the execution', () => {
    expect(definition.PipelineExperimentConfig).toEqual({
      ExperimentName: { Get: 'Execution.PipelineName' },
      TrialName: { Get: 'Execution.PipelineExecutionId' },
    });
  });

  test('lists the top-level steps in order and nests the branch steps in the condition only', () => {
    expect(steps.map((step) => [step.Name, step.Type])).toEqual([
      ['Process', 'Processing'],
      ['Train', 'Training'],
      ['Evaluate', 'Processing'],
      ['CheckAuc', 'Condition'],
    ]);
    expect(steps[3].Arguments).toMatchObject({
      IfSteps: [{ Name: 'RegisterModel', Type: 'RegisterModel' }],
      ElseSteps: [{ Name: 'AucBelowThreshold', Type: 'Fail' }],
    });
  });

  test('references parameters as Get Parameters.<name> wherever a value is accepted', () => {
    expect(steps[0]).toMatchObject({
      Arguments: {
        ProcessingInputs: [{ InputName: 'raw', S3Input: { S3Uri: { Get: 'Parameters.InputDataUrl' } } }, {}],
        ProcessingResources: {
          ClusterConfig: {
            InstanceType: { Get: 'Parameters.ProcessingInstanceType' },
            InstanceCount: { Get: 'Parameters.ProcessingInstanceCount' },
          },
        },
      },
    });
    expect(steps[1]).toMatchObject({
      Arguments: {
        ResourceConfig: { InstanceType: { Get: 'Parameters.TrainingInstanceType' } },
        EnableManagedSpotTraining: { Get: 'Parameters.UseSpotInstances' },
      },
    });
    expect(steps[3].Arguments).toMatchObject({
      IfSteps: [{ Arguments: { ModelApprovalStatus: { Get: 'Parameters.ModelApprovalStatus' } } }],
    });
  });

  test('references processing outputs and model artifacts as step properties', () => {
    const trainOutput = { Get: "Steps.Process.ProcessingOutputConfig.Outputs['train'].S3Output.S3Uri" };
    const validationOutput = { Get: "Steps.Process.ProcessingOutputConfig.Outputs['validation'].S3Output.S3Uri" };
    const modelArtifacts = { Get: 'Steps.Train.ModelArtifacts.S3ModelArtifacts' };
    expect(steps[1]).toMatchObject({
      Arguments: {
        InputDataConfig: [
          { ChannelName: 'train', DataSource: { S3DataSource: { S3Uri: trainOutput } } },
          { ChannelName: 'validation', DataSource: { S3DataSource: { S3Uri: validationOutput } } },
        ],
      },
    });
    expect(steps[2]).toMatchObject({
      Arguments: {
        ProcessingInputs: [
          { InputName: 'model', S3Input: { S3Uri: modelArtifacts } },
          { InputName: 'test', S3Input: { S3Uri: { Get: "Steps.Process.ProcessingOutputConfig.Outputs['test'].S3Output.S3Uri" } } },
          { InputName: 'code' },
        ],
      },
    });
    expect(steps[3].Arguments).toMatchObject({
      IfSteps: [
        {
          Arguments: {
            InferenceSpecification: { Containers: [{ Image: XGBOOST_IMAGE, ModelDataUrl: modelArtifacts }] },
          },
        },
      ],
    });
  });

  test('joins execution variables and step properties into S3 URIs with Std:Join', () => {
    expect(steps[0]).toMatchObject({
      Arguments: {
        ProcessingOutputConfig: {
          Outputs: [
            {
              OutputName: 'train',
              S3Output: {
                S3Uri: {
                  'Std:Join': {
                    On: '/',
                    Values: ['s3://churn-artifacts-123456789012/features', { Get: 'Execution.PipelineExecutionId' }, 'train'],
                  },
                },
              },
            },
            {},
            {},
          ],
        },
      },
    });
    expect(steps[3].Arguments).toMatchObject({
      IfSteps: [
        {
          Arguments: {
            ModelMetrics: {
              ModelQuality: {
                Statistics: {
                  ContentType: 'application/json',
                  S3Uri: {
                    'Std:Join': {
                      On: '/',
                      Values: [
                        { Get: "Steps.Evaluate.ProcessingOutputConfig.Outputs['evaluation'].S3Output.S3Uri" },
                        'evaluation.json',
                      ],
                    },
                  },
                },
              },
            },
          },
        },
      ],
    });
  });

  test('declares the evaluation report as a property file of the evaluation step', () => {
    expect(steps[2].PropertyFiles).toEqual([
      { PropertyFileName: 'EvaluationReport', OutputName: 'evaluation', FilePath: 'evaluation.json' },
    ]);
  });

  test('compares the AUC read with Std:JsonGet against the MinAuc parameter', () => {
    expect(steps[3].Arguments).toMatchObject({
      Conditions: [
        {
          Type: 'GreaterThanOrEqualTo',
          LeftValue: {
            'Std:JsonGet': {
              PropertyFile: { Get: 'Steps.Evaluate.PropertyFiles.EvaluationReport' },
              Path: AUC_PATH,
            },
          },
          RightValue: { Get: 'Parameters.MinAuc' },
        },
      ],
    });
  });

  test('fails with a message naming the metric and the threshold', () => {
    expect(steps[3].Arguments).toMatchObject({
      ElseSteps: [
        {
          Name: 'AucBelowThreshold',
          Arguments: {
            ErrorMessage: {
              'Std:Join': {
                On: ' ',
                Values: [`Model AUC (${AUC_PATH}) is below the MinAuc threshold`, { Get: 'Parameters.MinAuc' }],
              },
            },
          },
        },
      ],
    });
  });

  test('retries job steps on SageMaker job errors and the register step on Step errors only', () => {
    const jobRetry = {
      ExceptionType: ['SageMaker.CAPACITY_ERROR', 'SageMaker.JOB_INTERNAL_ERROR'],
      IntervalSeconds: 60,
      BackoffRate: 2,
      MaxAttempts: 3,
    };
    expect(steps[0].RetryPolicies).toEqual([jobRetry]);
    expect(steps[1].RetryPolicies).toEqual([
      jobRetry,
      { ExceptionType: ['SageMaker.RESOURCE_LIMIT'], IntervalSeconds: 300, ExpireAfterMin: 120 },
    ]);
    expect(steps[3].Arguments).toMatchObject({
      IfSteps: [{ RetryPolicies: [{ ExceptionType: ['Step.SERVICE_FAULT', 'Step.THROTTLING'], MaxAttempts: 5 }] }],
    });
    expect(steps[3].RetryPolicies).toBeUndefined();
  });

  test('caches processing and training for 30 days and leaves evaluation uncached', () => {
    expect(steps[0].CacheConfig).toEqual({ Enabled: true, ExpireAfter: 'P30D' });
    expect(steps[1].CacheConfig).toEqual({ Enabled: true, ExpireAfter: 'P30D' });
    expect(steps[2].CacheConfig).toBeUndefined();
  });

  test('needs no DependsOn: every dependency is implied by a property reference', () => {
    expect(steps.map((step) => step.DependsOn)).toEqual([undefined, undefined, undefined, undefined]);
  });

  test('lists the step graph in run order with what each step waits for', () => {
    expect(pipeline.stepGraph()).toEqual([
      { name: 'Process', type: 'Processing', dependsOn: [] },
      { name: 'Train', type: 'Training', dependsOn: ['Process'] },
      { name: 'Evaluate', type: 'Processing', dependsOn: ['Process', 'Train'] },
      { name: 'CheckAuc', type: 'Condition', dependsOn: ['Evaluate'] },
      { name: 'RegisterModel', type: 'RegisterModel', dependsOn: ['Train', 'Evaluate', 'CheckAuc'] },
      { name: 'AucBelowThreshold', type: 'Fail', dependsOn: ['CheckAuc'] },
    ]);
  });
});

describe('PipelineDefinition: other building blocks', () => {
  test('writes explicit dependsOn once per step and adds it to the graph', () => {
    // GIVEN
    const extract = new ProcessingStep('Extract', { arguments: processingArguments('data') });
    const audit = new ProcessingStep('Audit', { arguments: processingArguments('report') });
    const publish = new ProcessingStep('Publish', {
      arguments: processingArguments('out'),
      dependsOn: [extract, audit, extract],
    });
    // WHEN
    const pipeline = new PipelineDefinition({ steps: [publish, extract, audit] });
    const definition = pipeline.toDefinition();
    // THEN
    expect(definition.Steps[0].DependsOn).toEqual(['Extract', 'Audit']);
    expect(pipeline.stepGraph().map((node) => [node.name, node.dependsOn])).toEqual([
      ['Extract', []],
      ['Audit', []],
      ['Publish', ['Extract', 'Audit']],
    ]);
    expect(validatePipelineDefinition(definition)).toEqual([]);
  });

  test('reads any Describe* property with step.property and turns numbers into strings with join', () => {
    // GIVEN
    const seed = PipelineParameter.integer('Seed');
    const prepare = new ProcessingStep('Prepare', { arguments: processingArguments('data') });
    const report = new ProcessingStep('Report', {
      arguments: {
        ...processingArguments('report'),
        Environment: { SOURCE_JOB: prepare.property('ProcessingJobName'), SEED: join('', [seed]) },
      },
    });
    // WHEN
    const definition = new PipelineDefinition({ parameters: [seed], steps: [prepare, report] }).toDefinition();
    // THEN
    expect(definition.Parameters).toEqual([{ Name: 'Seed', Type: 'Integer' }]);
    expect(definition.Steps[1].Arguments).toMatchObject({
      Environment: {
        SOURCE_JOB: { Get: 'Steps.Prepare.ProcessingJobName' },
        SEED: { 'Std:Join': { On: '', Values: [{ Get: 'Parameters.Seed' }] } },
      },
    });
    expect(validatePipelineDefinition(definition)).toEqual([]);
  });

  test('exposes the registered model package ARN and every execution variable as references', () => {
    const { register } = churnPipeline();
    expect(register.modelPackageArn.path).toBe('Steps.RegisterModel.ModelPackageArn');
    expect(
      [
        ExecutionVariable.PIPELINE_NAME,
        ExecutionVariable.PIPELINE_ARN,
        ExecutionVariable.PIPELINE_EXECUTION_ID,
        ExecutionVariable.PIPELINE_EXECUTION_ARN,
        ExecutionVariable.START_DATETIME,
        ExecutionVariable.CURRENT_DATETIME,
      ].map((variable) => variable.render()),
    ).toEqual([
      { Get: 'Execution.PipelineName' },
      { Get: 'Execution.PipelineArn' },
      { Get: 'Execution.PipelineExecutionId' },
      { Get: 'Execution.PipelineExecutionArn' },
      { Get: 'Execution.StartDateTime' },
      { Get: 'Execution.CurrentDateTime' },
    ]);
  });

  test('writes metadata, a fail step without a message, and no experiment config unless asked', () => {
    // WHEN
    const definition = new PipelineDefinition({
      steps: [new FailStep('Stop')],
      metadata: { owner: 'ml-platform' },
    }).toDefinition();
    // THEN
    expect(definition).toEqual({
      Version: '2020-12-01',
      Metadata: { owner: 'ml-platform' },
      Parameters: [],
      Steps: [{ Name: 'Stop', Type: 'Fail', Arguments: {} }],
    });
    expect(validatePipelineDefinition(definition)).toEqual([]);
  });

  test.each(['P30D', 'PT12H', 'P1Y2M3W4DT5H6M7S', 'p30d'])('accepts cache expiry %s', (expireAfter) => {
    const step = new ProcessingStep('Cached', { arguments: processingArguments('out'), cacheExpireAfter: expireAfter });
    expect(new PipelineDefinition({ steps: [step] }).toDefinition().Steps[0].CacheConfig).toEqual({
      Enabled: true,
      ExpireAfter: expireAfter,
    });
  });

  // The @ts-expect-error lines are checked by `tsc --noEmit`: each must be a type error.
  test('types hold values to the API types and step kinds to what SageMaker supports', () => {
    const { evaluationReport } = churnPipeline();
    const instanceCount = PipelineParameter.integer('InstanceCount');
    const args: ProcessingJobArguments = {
      ...processingArguments(),
      // @ts-expect-error an Integer parameter cannot stand for a string
      RoleArn: instanceCount,
      // A JsonGet value takes its type from where it is used: the file's content is unknown here.
      Environment: { AUC: jsonGet(evaluationReport, 'auc') },
    };
    const inner = new ConditionStep('Inner', { conditions: [Condition.equals(1, 1)] });
    // @ts-expect-error condition steps do not nest
    const outer = new ConditionStep('Outer', { conditions: [], ifSteps: [inner] });
    const registerArguments = { ModelPackageGroupName: 'models' };
    const capacity = RetryExceptionType.SAGEMAKER_CAPACITY_ERROR;
    // @ts-expect-error RegisterModel steps retry Step.* exceptions only
    const register = new RegisterModelStep('Register', { arguments: registerArguments, retryPolicies: [{ exceptionTypes: [capacity] }] });
    expect([args.RoleArn, outer.ifSteps, register.name]).toEqual([instanceCount, [inner], 'Register']);
  });
});

