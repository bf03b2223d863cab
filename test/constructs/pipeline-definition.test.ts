import {
  Condition,
  ConditionStep,
  ExecutionVariable,
  FailStep,
  join,
  jsonGet,
  LambdaStep,
  PipelineDefinition,
  PipelineParameter,
  ProcessingJobArguments,
  ProcessingStep,
  RegisterModelStep,
  RenderContext,
  RetryExceptionType,
  TuningJobArguments,
  TuningStep,
} from '../../constructs/pipeline-definition';
import { ARTIFACTS_BUCKET, AUC_PATH, churnPipeline, KMS_KEY_ARN, processingArguments, ROLE_ARN, XGBOOST_IMAGE } from './pipeline-definition-fixture';
import { validateAgainstPublishedSchema, validatePipelineDefinition } from './pipeline-schema';

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


describe('PipelineDefinition: a Tuning step (process → tune → evaluate the best model → register it)', () => {
  // GIVEN
  const process = new ProcessingStep('Process', { arguments: processingArguments('train', 'validation', 'test') });
  const channel = (name: 'train' | 'validation') =>
    ({
      ChannelName: name,
      ContentType: 'text/csv',
      DataSource: { S3DataSource: { S3DataType: 'S3Prefix', S3Uri: process.outputS3Uri(name), S3DataDistributionType: 'FullyReplicated' } },
    }) as const;
  const modelsPath = [`${ARTIFACTS_BUCKET}/models`, ExecutionVariable.PIPELINE_EXECUTION_ID];
  const tuningArguments: TuningJobArguments = {
    HyperParameterTuningJobConfig: {
      Strategy: 'Bayesian',
      HyperParameterTuningJobObjective: { MetricName: 'validation:auc', Type: 'Maximize' },
      ResourceLimits: { MaxNumberOfTrainingJobs: 8, MaxParallelTrainingJobs: 2 },
      TrainingJobEarlyStoppingType: 'Auto',
      ParameterRanges: {
        ContinuousParameterRanges: [{ Name: 'eta', MinValue: '0.1', MaxValue: '0.5', ScalingType: 'Logarithmic' }],
        IntegerParameterRanges: [{ Name: 'max_depth', MinValue: '3', MaxValue: '8' }],
        CategoricalParameterRanges: [{ Name: 'grow_policy', Values: ['depthwise', 'lossguide'] }],
      },
    },
    TrainingJobDefinition: {
      AlgorithmSpecification: { TrainingImage: XGBOOST_IMAGE, TrainingInputMode: 'File' },
      StaticHyperParameters: { objective: 'binary:logistic', eval_metric: 'auc', num_round: '100' },
      InputDataConfig: [channel('train'), channel('validation')],
      OutputDataConfig: { S3OutputPath: join('/', modelsPath), KmsKeyId: KMS_KEY_ARN },
      ResourceConfig: { InstanceType: 'ml.m5.xlarge', InstanceCount: 1, VolumeSizeInGB: 30 },
      StoppingCondition: { MaxRuntimeInSeconds: 3600 },
      EnableNetworkIsolation: true,
      RoleArn: ROLE_ARN,
    },
  };
  const tune = new TuningStep('Tune', {
    description: 'Tunes eta, max_depth and grow_policy.',
    arguments: tuningArguments,
    retryPolicies: [{ exceptionTypes: [RetryExceptionType.SAGEMAKER_CAPACITY_ERROR], intervalSeconds: 60, maxAttempts: 2 }],
    cacheExpireAfter: 'P7D',
  });
  const evaluate = new ProcessingStep('Evaluate', {
    arguments: {
      ...processingArguments('evaluation'),
      ProcessingInputs: [{ InputName: 'model', S3Input: { S3Uri: tune.topModelS3Uri(modelsPath), LocalPath: '/opt/ml/processing/model', S3DataType: 'S3Prefix', S3InputMode: 'File' } }],
    },
  });
  const register = new RegisterModelStep('RegisterModel', {
    arguments: {
      ModelPackageGroupName: 'churn-models',
      InferenceSpecification: { Containers: [{ Image: XGBOOST_IMAGE, ModelDataUrl: tune.topModelS3Uri(modelsPath) }], SupportedContentTypes: ['text/csv'], SupportedResponseMIMETypes: ['text/csv'] },
      CustomerMetadataProperties: {
        BestTrainingJob: tune.bestTrainingJobName,
        'TunedHyperParameter:eta': tune.bestTunedHyperparameter('eta'),
        EvaluatedBy: evaluate.property('ProcessingJobName'),
      },
    },
  });
  const pipeline = new PipelineDefinition({ steps: [process, tune, evaluate, register] });
  // WHEN
  const definition = pipeline.toDefinition();
  const processOutput = (name: string) => ({ Get: `Steps.Process.ProcessingOutputConfig.Outputs['${name}'].S3Output.S3Uri` });
  const bestModel = {
    'Std:Join': {
      On: '/',
      Values: [`${ARTIFACTS_BUCKET}/models`, { Get: 'Execution.PipelineExecutionId' }, { Get: 'Steps.Tune.TrainingJobSummaries[0].TrainingJobName' }, 'output/model.tar.gz'],
    },
  };
  const context: RenderContext = {
    propertyFileOwner: () => {
      throw new Error('no property files here');
    },
  };

  test("renders Type Tuning with the CreateHyperParameterTuningJob request as its arguments, references resolved to Get and Std:Join", () => {
    // THEN
    expect(tune.type).toBe('Tuning');
    expect(definition.Steps[1]).toEqual({
      Name: 'Tune',
      Type: 'Tuning',
      Description: 'Tunes eta, max_depth and grow_policy.',
      Arguments: {
        HyperParameterTuningJobConfig: {
          Strategy: 'Bayesian',
          HyperParameterTuningJobObjective: { MetricName: 'validation:auc', Type: 'Maximize' },
          ResourceLimits: { MaxNumberOfTrainingJobs: 8, MaxParallelTrainingJobs: 2 },
          TrainingJobEarlyStoppingType: 'Auto',
          ParameterRanges: {
            ContinuousParameterRanges: [{ Name: 'eta', MinValue: '0.1', MaxValue: '0.5', ScalingType: 'Logarithmic' }],
            IntegerParameterRanges: [{ Name: 'max_depth', MinValue: '3', MaxValue: '8' }],
            CategoricalParameterRanges: [{ Name: 'grow_policy', Values: ['depthwise', 'lossguide'] }],
          },
        },
        TrainingJobDefinition: {
          AlgorithmSpecification: { TrainingImage: XGBOOST_IMAGE, TrainingInputMode: 'File' },
          StaticHyperParameters: { objective: 'binary:logistic', eval_metric: 'auc', num_round: '100' },
          InputDataConfig: [
            { ChannelName: 'train', ContentType: 'text/csv', DataSource: { S3DataSource: { S3DataType: 'S3Prefix', S3Uri: processOutput('train'), S3DataDistributionType: 'FullyReplicated' } } },
            {
              ChannelName: 'validation',
              ContentType: 'text/csv',
              DataSource: { S3DataSource: { S3DataType: 'S3Prefix', S3Uri: processOutput('validation'), S3DataDistributionType: 'FullyReplicated' } },
            },
          ],
          OutputDataConfig: { S3OutputPath: { 'Std:Join': { On: '/', Values: [`${ARTIFACTS_BUCKET}/models`, { Get: 'Execution.PipelineExecutionId' }] } }, KmsKeyId: KMS_KEY_ARN },
          ResourceConfig: { InstanceType: 'ml.m5.xlarge', InstanceCount: 1, VolumeSizeInGB: 30 },
          StoppingCondition: { MaxRuntimeInSeconds: 3600 },
          EnableNetworkIsolation: true,
          RoleArn: ROLE_ARN,
        },
      },
      RetryPolicies: [{ ExceptionType: ['SageMaker.CAPACITY_ERROR'], IntervalSeconds: 60, MaxAttempts: 2 }],
      CacheConfig: { Enabled: true, ExpireAfter: 'P7D' },
    });
    expect(tune.arguments).toBe(tuningArguments);
  });

  test('is valid against the pipeline definition schema', () => {
    expect(validatePipelineDefinition(definition)).toEqual([]);
  });

  test("hands the best job's model to the steps that read it, as the SDK's get_top_model_s3_uri joins it", () => {
    expect(definition.Steps[2].Arguments).toMatchObject({ ProcessingInputs: [{ InputName: 'model', S3Input: { S3Uri: bestModel } }] });
    expect(definition.Steps[3].Arguments).toMatchObject({ InferenceSpecification: { Containers: [{ ModelDataUrl: bestModel }] } });
  });

  test("reads the best training job's name and tuned values", () => {
    expect(tune.bestTrainingJobName.path).toBe('Steps.Tune.BestTrainingJob.TrainingJobName');
    expect(tune.bestTunedHyperparameter('max_depth').render()).toEqual({ Get: "Steps.Tune.BestTrainingJob.TunedHyperParameters['max_depth']" });
    expect(definition.Steps[3].Arguments).toMatchObject({
      CustomerMetadataProperties: {
        BestTrainingJob: { Get: 'Steps.Tune.BestTrainingJob.TrainingJobName' },
        'TunedHyperParameter:eta': { Get: "Steps.Tune.BestTrainingJob.TunedHyperParameters['eta']" },
      },
    });
  });

  test('makes the steps that read its model or best job wait for it', () => {
    expect(pipeline.stepGraph()).toEqual([
      { name: 'Process', type: 'Processing', dependsOn: [] },
      { name: 'Tune', type: 'Tuning', dependsOn: ['Process'] },
      { name: 'Evaluate', type: 'Processing', dependsOn: ['Tune'] },
      { name: 'RegisterModel', type: 'RegisterModel', dependsOn: ['Tune', 'Evaluate'] },
    ]);
    expect(definition.Steps.map((step) => step.DependsOn)).toEqual([undefined, undefined, undefined, undefined]);
  });

  describe('topModelS3Uri', () => {
    test('joins an output path string, the ranked job name and output/model.tar.gz', () => {
      expect(tune.topModelS3Uri('s3://bucket/models').render(context)).toEqual({
        'Std:Join': { On: '/', Values: ['s3://bucket/models', { Get: 'Steps.Tune.TrainingJobSummaries[0].TrainingJobName' }, 'output/model.tar.gz'] },
      });
    });

    test("joins the parts of a joined output path in place (a join cannot hold a join), at the rank's index", () => {
      expect(tune.topModelS3Uri(modelsPath, 2).render(context)).toEqual({
        'Std:Join': {
          On: '/',
          Values: [`${ARTIFACTS_BUCKET}/models`, { Get: 'Execution.PipelineExecutionId' }, { Get: 'Steps.Tune.TrainingJobSummaries[2].TrainingJobName' }, 'output/model.tar.gz'],
        },
      });
    });

    test('takes a reference as the output path', () => {
      const outputPath = PipelineParameter.string('ModelsPath');
      const uri = tune.topModelS3Uri(outputPath, 1);
      expect(uri.render(context)).toEqual({
        'Std:Join': { On: '/', Values: [{ Get: 'Parameters.ModelsPath' }, { Get: 'Steps.Tune.TrainingJobSummaries[1].TrainingJobName' }, 'output/model.tar.gz'] },
      });
      expect(uri.references()).toEqual([
        { kind: 'parameter', name: 'ModelsPath' },
        { kind: 'step', step: tune, processingOutputName: undefined },
      ]);
    });

    test.each([1.5, -1, Number.NaN, Number.POSITIVE_INFINITY])('fails when the rank %s is not a whole number from 0', (rank) => {
      expect(() => tune.topModelS3Uri('s3://bucket/models', rank)).toThrow(`rank ${rank} is not a whole number from 0`);
    });
  });

  // The @ts-expect-error line is checked by `tsc --noEmit`: it must be a type error.
  test('keeps Tuning steps out of condition branches, where the published schema does not admit them', () => {
    // @ts-expect-error condition branches hold Processing, Training, RegisterModel and Fail steps only
    const check = new ConditionStep('Check', { conditions: [Condition.equals(1, 1)], ifSteps: [tune] });
    expect(check.ifSteps).toEqual([tune]);
  });

  // The builder types let pipeline parameters stand for any value of the request (the SageMaker
  // Python SDK takes a PipelineVariable for max_jobs, max_parallel_jobs and the strategy), but the
  // published schema types the tuning config's limits as plain integers and its Strategy,
  // objective Type and early stopping as plain strings. Shown here; the helper is not amended.
  test('the published schema rejects parameters in the tuning config', () => {
    const maxJobs = PipelineParameter.integer('MaxTuningJobs', { defaultValue: 8 });
    const strategy = PipelineParameter.string('TuningStrategy', { defaultValue: 'Bayesian' });
    const parameterized = new TuningStep('Tune', {
      arguments: {
        ...tuningArguments,
        HyperParameterTuningJobConfig: {
          ...tuningArguments.HyperParameterTuningJobConfig,
          Strategy: strategy,
          ResourceLimits: { MaxNumberOfTrainingJobs: maxJobs, MaxParallelTrainingJobs: 2 },
        },
      },
    });
    const rendered = new PipelineDefinition({ parameters: [maxJobs, strategy], steps: [process, parameterized] }).toDefinition();
    const at = '/Steps/1/Arguments/HyperParameterTuningJobConfig';
    for (const errors of [validatePipelineDefinition(rendered), validateAgainstPublishedSchema(rendered)]) {
      expect(errors).toContainEqual(`${at}/ResourceLimits/MaxNumberOfTrainingJobs must be integer {"type":"integer"}`);
      expect(errors).toContainEqual(`${at}/Strategy must be string {"type":"string"}`);
    }
  });
});

describe('PipelineDefinition: a Lambda step (evaluate → review with a function → register or fail on its answer)', () => {
  // GIVEN
  const FUNCTION_ARN = 'arn:aws:lambda:eu-west-1:123456789012:function:churn-review-gate';
  const threshold = PipelineParameter.float('MetricThreshold', { defaultValue: 0.75 });
  const evaluate = new ProcessingStep('Evaluate', { arguments: processingArguments('evaluation') });
  const review = new LambdaStep('Review', {
    description: 'Checks the model against the policy.',
    functionArn: FUNCTION_ARN,
    arguments: {
      EvaluationReportUrl: join('/', [evaluate.outputS3Uri('evaluation'), 'evaluation.json']),
      FirstCheckThreshold: threshold,
      PipelineExecutionId: ExecutionVariable.PIPELINE_EXECUTION_ID,
      BiasReportUrl: '',
    },
    outputs: { Passed: 'Boolean', Summary: 'String', FailureMessage: 'String', Checks: 'Integer', Score: 'Float' },
  });
  const register = new RegisterModelStep('RegisterModel', {
    arguments: {
      ModelPackageGroupName: 'churn-models',
      InferenceSpecification: { Containers: [{ Image: XGBOOST_IMAGE, ModelDataUrl: 's3://bucket/model.tar.gz' }] },
      CustomerMetadataProperties: { ReviewSummary: review.output('Summary') },
    },
  });
  const check = new ConditionStep('CheckReview', {
    conditions: [Condition.equals(review.output<boolean>('Passed'), true)],
    ifSteps: [register],
    elseSteps: [new FailStep('ReviewFailed', { errorMessage: review.output('FailureMessage') })],
  });
  // WHEN
  const pipeline = new PipelineDefinition({ parameters: [threshold], steps: [evaluate, review, check] });
  const definition = pipeline.toDefinition();

  test('renders Type Lambda with the function, the event as its Arguments and the declared outputs, in order', () => {
    // THEN
    expect(definition.Steps[1]).toEqual({
      Name: 'Review',
      Type: 'Lambda',
      Description: 'Checks the model against the policy.',
      FunctionArn: FUNCTION_ARN,
      Arguments: {
        EvaluationReportUrl: { 'Std:Join': { On: '/', Values: [{ Get: "Steps.Evaluate.ProcessingOutputConfig.Outputs['evaluation'].S3Output.S3Uri" }, 'evaluation.json'] } },
        FirstCheckThreshold: { Get: 'Parameters.MetricThreshold' },
        PipelineExecutionId: { Get: 'Execution.PipelineExecutionId' },
        BiasReportUrl: '',
      },
      OutputParameters: [
        { OutputName: 'Passed', OutputType: 'Boolean' },
        { OutputName: 'Summary', OutputType: 'String' },
        { OutputName: 'FailureMessage', OutputType: 'String' },
        { OutputName: 'Checks', OutputType: 'Integer' },
        { OutputName: 'Score', OutputType: 'Float' },
      ],
    });
  });

  test('is valid against the pipeline definition schema', () => {
    expect(validatePipelineDefinition(definition)).toEqual([]);
  });

  test("reads the function's answer as Steps.<name>.OutputParameters['<key>'] in conditions, messages and arguments", () => {
    const [checkStep] = definition.Steps.slice(2) as any[];
    expect(checkStep.Arguments.Conditions).toEqual([{ Type: 'Equals', LeftValue: { Get: "Steps.Review.OutputParameters['Passed']" }, RightValue: true }]);
    expect(checkStep.Arguments.ElseSteps[0].Arguments).toEqual({ ErrorMessage: { Get: "Steps.Review.OutputParameters['FailureMessage']" } });
    expect(checkStep.Arguments.IfSteps[0].Arguments.CustomerMetadataProperties).toEqual({ ReviewSummary: { Get: "Steps.Review.OutputParameters['Summary']" } });
    expect(review.output('Checks').path).toBe("Steps.Review.OutputParameters['Checks']");
  });

  test('makes the steps that read its answer wait for it, and it for the steps its event reads', () => {
    expect(pipeline.stepGraph().map((node) => [node.name, node.dependsOn])).toEqual([
      ['Evaluate', []],
      ['Review', ['Evaluate']],
      ['CheckReview', ['Review']],
      ['RegisterModel', expect.arrayContaining(['CheckReview', 'Review'])],
      ['ReviewFailed', expect.arrayContaining(['CheckReview', 'Review'])],
    ]);
  });

  test('renders no OutputParameters without outputs, and an empty event without arguments', () => {
    const notify = new LambdaStep('Notify', { functionArn: FUNCTION_ARN });
    const rendered = new PipelineDefinition({ steps: [notify] }).toDefinition();
    expect(rendered.Steps).toEqual([{ Name: 'Notify', Type: 'Lambda', FunctionArn: FUNCTION_ARN, Arguments: {} }]);
    expect(validatePipelineDefinition(rendered)).toEqual([]);
  });

  test('fails when a step reads an output the Lambda step does not declare, naming the declared ones', () => {
    expect(() => review.output('Passd')).toThrow('Lambda step "Review" has no output "Passd": declare it in outputs (Passed, Summary, FailureMessage, Checks, Score)');
    expect(() => new LambdaStep('Notify', { functionArn: FUNCTION_ARN }).output('Passed')).toThrow('Lambda step "Notify" has no output "Passed": declare it in outputs (none)');
  });
});
