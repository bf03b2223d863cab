import {
  Condition,
  ConditionBranchStep,
  ConditionStep,
  ExecutionVariable,
  FailStep,
  jsonGet,
  LambdaStep,
  PipelineDefinition,
  PipelineDefinitionError,
  PipelineDefinitionProps,
  PipelineParameter,
  ProcessingStep,
  PropertyFile,
  RegisterModelStep,
  RetryExceptionType,
  RetryPolicy,
  StepExceptionType,
  TrainingStep,
  TuningJobArguments,
  TuningStep,
} from '../../constructs/pipeline-definition';
import { processingArguments, ROLE_ARN, XGBOOST_IMAGE } from './pipeline-definition-fixture';

function processing(name: string, ...outputs: string[]): ProcessingStep {
  return new ProcessingStep(name, { arguments: processingArguments(...outputs) });
}

function register(name: string, retryPolicies?: readonly RetryPolicy<StepExceptionType>[]): RegisterModelStep {
  return new RegisterModelStep(name, {
    arguments: { ModelPackageGroupName: 'models', InferenceSpecification: { Containers: [{ Image: XGBOOST_IMAGE }] } },
    retryPolicies,
  });
}

/** The problems the constructor reports; fails the test if it does not throw. */
function problemsOf(props: PipelineDefinitionProps): readonly string[] {
  try {
    new PipelineDefinition(props);
  } catch (error) {
    if (error instanceof PipelineDefinitionError) return error.problems;
    throw error;
  }
  throw new Error('expected the pipeline definition to be invalid');
}

describe('PipelineDefinition validation: names and placement', () => {
  test('fails when a step name does not match SageMaker pattern', () => {
    expect(problemsOf({ steps: [new FailStep('stop here')] })).toEqual([
      expect.stringMatching(/^step name "stop here" is invalid: use 1-64 letters, digits, hyphens and underscores$/),
    ]);
  });

  test('fails when a step name is longer than 64 characters', () => {
    const name = 'S'.repeat(65);
    expect(problemsOf({ steps: [new FailStep(name)] })).toEqual([expect.stringMatching(`step name "${name}" is invalid`)]);
  });

  test('fails when two steps share a name', () => {
    const first = processing('Prepare', 'out');
    const second = processing('Prepare', 'out');
    expect(problemsOf({ steps: [first, second] })).toEqual([
      expect.stringMatching(/^step name "Prepare" is used by 2 steps: give each step a unique name$/),
    ]);
  });

  test('fails when a branch step is also listed in the pipeline steps', () => {
    const approve = register('Register');
    const check = new ConditionStep('Check', { conditions: [Condition.equals(1, 1)], ifSteps: [approve] });
    expect(problemsOf({ steps: [check, approve] })).toEqual([
      expect.stringMatching(
        /^step "Register" is listed 2 times \(in the If branch of "Check", the pipeline steps\): list each step once/,
      ),
    ]);
  });

  test('fails when a step is in both branches of a condition', () => {
    const stop = new FailStep('Stop');
    const check = new ConditionStep('Check', { conditions: [Condition.equals(1, 1)], ifSteps: [stop], elseSteps: [stop] });
    expect(problemsOf({ steps: [check] })).toEqual([
      expect.stringMatching(/^step "Stop" is listed 2 times \(in the If branch of "Check", the Else branch of "Check"\)/),
    ]);
  });

  test('fails when a condition step is nested in a branch', () => {
    const inner = new ConditionStep('Inner', { conditions: [Condition.equals(1, 1)] });
    const outer = new ConditionStep('Outer', {
      conditions: [Condition.equals(1, 1)],
      // The types exclude condition steps; a cast stands in for a JavaScript caller.
      elseSteps: [inner as unknown as ConditionBranchStep],
    });
    expect(problemsOf({ steps: [outer] })).toEqual([
      expect.stringMatching(/^condition step "Outer" has condition step "Inner" in its Else branch: SageMaker does not nest/),
    ]);
  });

  test('fails when a display name does not match the schema pattern', () => {
    const step = new FailStep('Stop', { displayName: 'Stop the run' });
    expect(problemsOf({ steps: [step] })).toEqual([
      expect.stringMatching(/^step "Stop" display name "Stop the run" is invalid: use 1-64 letters, digits, hyphens/),
    ]);
  });

  test('fails when a description is longer than 4096 characters', () => {
    const step = new FailStep('Stop', { description: 'x'.repeat(4097) });
    expect(problemsOf({ steps: [step] })).toEqual([
      expect.stringMatching(/^step "Stop" description has 4097 characters: use at most 4096$/),
    ]);
  });

  test('fails when a metadata key or value breaks the schema limits', () => {
    expect(problemsOf({ steps: [], metadata: { 'team name': 'ml', owner: 'x'.repeat(1025) } })).toEqual([
      expect.stringMatching(/^metadata key "team name" is invalid: use 1-128 letters, digits, hyphens and underscores$/),
      expect.stringMatching(/^metadata "owner" has 1025 characters: use at most 1024$/),
    ]);
  });
});

describe('PipelineDefinition validation: parameters', () => {
  test('fails when a parameter name does not match SageMaker pattern', () => {
    expect(problemsOf({ steps: [], parameters: [PipelineParameter.string('min auc')] })).toEqual([
      expect.stringMatching(/^parameter name "min auc" is invalid: use 1-64 letters, digits, hyphens and underscores$/),
    ]);
  });

  test('fails when two parameters share a name', () => {
    const parameters = [PipelineParameter.float('MinAuc'), PipelineParameter.string('MinAuc')];
    expect(problemsOf({ steps: [], parameters })).toEqual([
      expect.stringMatching(/^parameter name "MinAuc" is used more than once: give each parameter a unique name$/),
    ]);
  });

  test('fails when an Integer parameter default is not a whole number', () => {
    const parameters = [PipelineParameter.integer('InstanceCount', { defaultValue: 1.5 })];
    expect(problemsOf({ steps: [], parameters })).toEqual([
      expect.stringMatching(/^parameter "InstanceCount" is Integer but its default value is 1\.5: use a whole number$/),
    ]);
  });

  test('fails when a default does not match the parameter type', () => {
    // Casts stand in for JavaScript callers and untyped configuration.
    const parameters = [
      PipelineParameter.float('MinAuc', { defaultValue: Number.NaN }),
      PipelineParameter.boolean('UseSpot', { defaultValue: 'yes' as unknown as boolean }),
      PipelineParameter.string('Note', { defaultValue: 'x'.repeat(4097) }),
    ];
    expect(problemsOf({ steps: [], parameters })).toEqual([
      expect.stringMatching(/^parameter "MinAuc" is Float but its default value is NaN: use a finite number$/),
      expect.stringMatching(/^parameter "UseSpot" is Boolean but its default value is "yes": use true or false$/),
      expect.stringMatching(
        /^parameter "Note" is String but its default value is "x{39}…" \(4097 characters\): use a string of at most 4096 characters$/,
      ),
    ]);
  });
});

describe('PipelineDefinition validation: references', () => {
  test('fails when a step uses a parameter that is not in the pipeline', () => {
    const instanceType = PipelineParameter.string('InstanceType');
    const step = new ProcessingStep('Prepare', {
      arguments: {
        ...processingArguments(),
        ProcessingResources: { ClusterConfig: { InstanceType: instanceType, InstanceCount: 1, VolumeSizeInGB: 30 } },
      },
    });
    expect(problemsOf({ steps: [step] })).toEqual([
      expect.stringMatching(/^step "Prepare" uses parameter "InstanceType", which is not in the pipeline: add it to the parameters$/),
    ]);
  });

  test('fails when the experiment config uses a parameter that is not in the pipeline', () => {
    const experiment = PipelineParameter.string('Experiment');
    expect(problemsOf({ steps: [], experimentConfig: { experimentName: experiment } })).toEqual([
      expect.stringMatching(/^the experiment config uses parameter "Experiment", which is not in the pipeline/),
    ]);
  });

  test('fails when a step reads a property of a step that is not in the pipeline', () => {
    const prepare = processing('Prepare', 'data');
    const report = new ProcessingStep('Report', {
      arguments: { ...processingArguments(), Environment: { SOURCE: prepare.property('ProcessingJobName') } },
    });
    expect(problemsOf({ steps: [report] })).toEqual([
      expect.stringMatching(
        /^step "Report" reads a property of step "Prepare", which is not in the pipeline: add it to the pipeline steps or to a condition branch$/,
      ),
    ]);
  });

  test('fails when a step depends on a step that is not in the pipeline', () => {
    const prepare = processing('Prepare', 'data');
    const report = new ProcessingStep('Report', { arguments: processingArguments(), dependsOn: [prepare] });
    expect(problemsOf({ steps: [report] })).toEqual([
      expect.stringMatching(/^step "Report" depends on step "Prepare", which is not in the pipeline/),
    ]);
  });

  test('fails when a step reads a processing output the step does not declare', () => {
    const prepare = processing('Prepare', 'train', 'test');
    const train = new TrainingStep('Train', {
      arguments: {
        AlgorithmSpecification: { TrainingImage: XGBOOST_IMAGE, TrainingInputMode: 'File' },
        InputDataConfig: [
          { ChannelName: 'train', DataSource: { S3DataSource: { S3DataType: 'S3Prefix', S3Uri: prepare.outputS3Uri('trian') } } },
        ],
        OutputDataConfig: { S3OutputPath: 's3://bucket/models' },
        RoleArn: ROLE_ARN,
      },
    });
    expect(problemsOf({ steps: [prepare, train] })).toEqual([
      expect.stringMatching(/^step "Train" reads output "trian" of step "Prepare", which declares no such output: use one of train, test$/),
    ]);
  });

  // SageMaker: "You cannot add a FailStep to the DependsOn list of other steps" and "Other steps
  // cannot reference the FailStep":
  // https://docs.aws.amazon.com/sagemaker/latest/dg/build-and-manage-steps-types.html#step-type-fail
  test('fails when a step depends on or reads a property of a Fail step', () => {
    const stop = new FailStep('Stop');
    const after = new ProcessingStep('After', {
      arguments: { ...processingArguments(), Environment: { REASON: stop.property('FailureReason') } },
      dependsOn: [stop],
    });
    expect(problemsOf({ steps: [stop, after] })).toEqual([
      expect.stringMatching(/^step "After" depends on fail step "Stop": no step can depend on a Fail step or read its properties$/),
      expect.stringMatching(/^step "After" reads a property of fail step "Stop": no step can depend on a Fail step/),
    ]);
  });
});

describe('PipelineDefinition validation: property files', () => {
  const report = new PropertyFile({ name: 'EvaluationReport', outputName: 'evaluation', filePath: 'evaluation.json' });
  const auc = jsonGet<number>(report, 'metrics.auc');

  test('fails when a condition reads a property file no processing step declares', () => {
    const check = new ConditionStep('Check', { conditions: [Condition.greaterThan(auc, 0.7)] });
    expect(problemsOf({ steps: [processing('Evaluate', 'evaluation'), check] })).toEqual([
      expect.stringMatching(
        /^step "Check" reads property file "EvaluationReport", which no processing step in the pipeline declares: add it to the propertyFiles/,
      ),
    ]);
  });

  test('fails when two processing steps declare the same property file', () => {
    const first = new ProcessingStep('EvaluateA', { arguments: processingArguments('evaluation'), propertyFiles: [report] });
    const second = new ProcessingStep('EvaluateB', { arguments: processingArguments('evaluation'), propertyFiles: [report] });
    expect(problemsOf({ steps: [first, second] })).toEqual([
      expect.stringMatching(
        /^property file "EvaluationReport" is declared by steps "EvaluateA" and "EvaluateB": give each processing step its own PropertyFile$/,
      ),
    ]);
  });

  test('fails when a processing step declares two property files with one name', () => {
    const again = new PropertyFile({ name: 'EvaluationReport', outputName: 'evaluation', filePath: 'other.json' });
    const evaluate = new ProcessingStep('Evaluate', {
      arguments: processingArguments('evaluation'),
      propertyFiles: [report, again],
    });
    expect(problemsOf({ steps: [evaluate] })).toEqual([
      expect.stringMatching(/^step "Evaluate" declares property file "EvaluationReport" more than once: give each file its own name$/),
    ]);
  });

  test('fails when a property file is written to an output the step does not declare', () => {
    const evaluate = new ProcessingStep('Evaluate', { arguments: processingArguments('metrics'), propertyFiles: [report] });
    expect(problemsOf({ steps: [evaluate] })).toEqual([
      expect.stringMatching(
        /^step "Evaluate" property file "EvaluationReport" is written to output "evaluation", which the step does not declare: use one of the ProcessingOutputConfig output names \(metrics\)$/,
      ),
    ]);
  });
});

describe('PipelineDefinition validation: graph', () => {
  test('fails when a condition uses a step listed in its own branch', () => {
    const report = new PropertyFile({ name: 'Report', outputName: 'evaluation', filePath: 'evaluation.json' });
    const evaluate = new ProcessingStep('Evaluate', { arguments: processingArguments('evaluation'), propertyFiles: [report] });
    const check = new ConditionStep('Check', {
      conditions: [Condition.greaterThanOrEqualTo(jsonGet<number>(report, 'auc'), 0.8)],
      ifSteps: [evaluate],
    });
    expect(problemsOf({ steps: [check] })).toEqual([
      expect.stringMatching(
        /^condition step "Check" uses step "Evaluate", which is in its own If branch: a condition can only use steps that run before it$/,
      ),
    ]);
  });

  // "SageMaker Pipelines throws a validation exception if the dependency would create a cyclic
  // dependency": https://docs.aws.amazon.com/sagemaker/latest/dg/build-and-manage-steps.html#build-and-manage-custom-dependency
  test('fails when steps wait for each other in a cycle through a condition branch', () => {
    const approve = register('Register');
    const report = new ProcessingStep('Report', {
      arguments: { ...processingArguments(), Environment: { PACKAGE: approve.modelPackageArn } },
    });
    const check = new ConditionStep('Check', {
      conditions: [Condition.equals(report.property('ProcessingJobStatus'), 'Completed')],
      ifSteps: [approve],
    });
    expect(problemsOf({ steps: [report, check] })).toEqual([
      expect.stringMatching(
        /^steps wait for each other in a cycle \("Report" waits for "Register" waits for "Check" waits for "Report"\): SageMaker rejects cyclic dependencies/,
      ),
    ]);
  });
});

describe('PipelineDefinition validation: retry policies, caching and argument values', () => {
  test('fails when a RegisterModel step retries SageMaker job exceptions', () => {
    const approve = register('Register', [
      // RegisterModel steps run no job; the types exclude these and a cast stands in for JavaScript callers.
      { exceptionTypes: [RetryExceptionType.SAGEMAKER_CAPACITY_ERROR as unknown as StepExceptionType], maxAttempts: 2 },
    ]);
    expect(problemsOf({ steps: [approve] })).toEqual([
      expect.stringMatching(
        /^step "Register" retry policy 1 has exception type "SageMaker.CAPACITY_ERROR", which RegisterModel steps do not support: use Step.SERVICE_FAULT, Step.THROTTLING$/,
      ),
    ]);
  });

  test('fails when a retry policy lists no exception types', () => {
    const step = new ProcessingStep('Prepare', { arguments: processingArguments(), retryPolicies: [{ exceptionTypes: [] }] });
    expect(problemsOf({ steps: [step] })).toEqual([
      expect.stringMatching(/^step "Prepare" retry policy 1 has no exception types: list at least one of Step.SERVICE_FAULT, /),
    ]);
  });

  test('fails when retry limits are out of the documented ranges', () => {
    const step = new ProcessingStep('Prepare', {
      arguments: processingArguments(),
      retryPolicies: [
        { exceptionTypes: [RetryExceptionType.STEP_THROTTLING], intervalSeconds: 43201, backoffRate: -1, maxAttempts: 21 },
        { exceptionTypes: [RetryExceptionType.STEP_THROTTLING], expireAfterMinutes: 14400.5 },
      ],
    });
    expect(problemsOf({ steps: [step] })).toEqual([
      expect.stringMatching(/^step "Prepare" retry policy 1 intervalSeconds 43201 is out of range: use a whole number from 0 to 43200$/),
      expect.stringMatching(/^step "Prepare" retry policy 1 maxAttempts 21 is out of range: use a whole number from 0 to 20$/),
      expect.stringMatching(/^step "Prepare" retry policy 1 backoffRate -1 is invalid: use a number of at least 0$/),
      expect.stringMatching(
        /^step "Prepare" retry policy 2 expireAfterMinutes 14400.5 is out of range: use a whole number from 0 to 14400$/,
      ),
    ]);
  });

  // "Only one of MaxAttempts or ExpireAfterMin can be given, but not both":
  // https://docs.aws.amazon.com/sagemaker/latest/dg/pipelines-retry-policy.html
  test('fails when a retry policy sets both maxAttempts and expireAfterMinutes', () => {
    const step = new ProcessingStep('Prepare', {
      arguments: processingArguments(),
      retryPolicies: [{ exceptionTypes: [RetryExceptionType.STEP_SERVICE_FAULT], maxAttempts: 3, expireAfterMinutes: 60 }],
    });
    expect(problemsOf({ steps: [step] })).toEqual([
      expect.stringMatching(/^step "Prepare" retry policy 1 sets both maxAttempts and expireAfterMinutes: set only one$/),
    ]);
  });

  test.each(['30 days', 'P', 'PT', '30d'])('fails when the cache expiry "%s" is not an ISO 8601 duration', (expireAfter) => {
    // The caching guide's own examples ("30d", "T16m") lack the "P" that ISO 8601 requires; the
    // builder asks for the standard form the guide names:
    // https://docs.aws.amazon.com/sagemaker/latest/dg/pipelines-caching-enabling.html
    const step = new ProcessingStep('Prepare', { arguments: processingArguments(), cacheExpireAfter: expireAfter });
    expect(problemsOf({ steps: [step] })).toEqual([
      expect.stringMatching(
        new RegExp(`^step "Prepare" cacheExpireAfter "${expireAfter}" is not an ISO 8601 duration: use a value such as "P30D"`),
      ),
    ]);
  });

  test('fails when an argument is a value JSON cannot carry, such as an unresolved CDK object', () => {
    class Intrinsic {}
    const step = new ProcessingStep('Prepare', {
      arguments: { ...processingArguments(), RoleArn: new Intrinsic() as unknown as string },
    });
    expect(problemsOf({ steps: [step] })).toEqual([
      expect.stringMatching(
        /^step "Prepare" has an object of class Intrinsic at Arguments.RoleArn, which a pipeline definition cannot carry: use strings, numbers, booleans, arrays, plain objects or pipeline expressions$/,
      ),
    ]);
  });
});

describe('PipelineDefinition validation: Lambda steps', () => {
  const functionArn = 'arn:aws:lambda:eu-west-1:123456789012:function:review';

  test('fails when a Lambda step declares an output name SageMaker cannot read back', () => {
    const review = new LambdaStep('Review', { functionArn, outputs: { Passed: 'Boolean', 'Failure Message': 'String', [`O${'x'.repeat(64)}`]: 'String' } });
    expect(problemsOf({ steps: [review] })).toEqual([
      'step "Review" output "Failure Message" is invalid: use 1-64 letters, digits and underscores',
      `step "Review" output "O${'x'.repeat(64)}" is invalid: use 1-64 letters, digits and underscores`,
    ]);
  });

  test("checks a Lambda step's event as any step's arguments", () => {
    const review = new LambdaStep('Review', { functionArn, arguments: { Threshold: PipelineParameter.float('MetricThreshold') } });
    expect(problemsOf({ steps: [review] })).toEqual(['step "Review" uses parameter "MetricThreshold", which is not in the pipeline: add it to the parameters']);
  });

  // The @ts-expect-error line is checked by `tsc --noEmit`: it must be a type error.
  test('keeps Lambda steps out of condition branches, where the published schema does not admit them', () => {
    const review = new LambdaStep('Review', { functionArn });
    // @ts-expect-error condition branches hold Processing, Training, RegisterModel and Fail steps only
    const check = new ConditionStep('Check', { conditions: [Condition.equals(1, 1)], ifSteps: [review] });
    expect(check.ifSteps).toEqual([review]);
  });
});

describe('PipelineDefinition validation: tuning steps', () => {
  type TuningConfig = TuningJobArguments['HyperParameterTuningJobConfig'];
  const eta = { Name: 'eta', MinValue: '0.1', MaxValue: '0.4' };

  /** A tuning job of up to 6 jobs, 3 at a time, over eta; `config` replaces parts of its tuning config. */
  function tuning(config: Partial<TuningConfig> = {}, definition: Partial<NonNullable<TuningJobArguments['TrainingJobDefinition']>> = {}): TuningStep {
    return new TuningStep('Tune', {
      arguments: {
        HyperParameterTuningJobConfig: {
          Strategy: 'Random',
          HyperParameterTuningJobObjective: { MetricName: 'validation:auc', Type: 'Maximize' },
          ResourceLimits: { MaxNumberOfTrainingJobs: 6, MaxParallelTrainingJobs: 3 },
          ParameterRanges: { ContinuousParameterRanges: [eta] },
          ...config,
        },
        TrainingJobDefinition: {
          AlgorithmSpecification: { TrainingImage: XGBOOST_IMAGE, TrainingInputMode: 'File' },
          OutputDataConfig: { S3OutputPath: 's3://bucket/models' },
          ResourceConfig: { InstanceType: 'ml.m5.xlarge', InstanceCount: 1, VolumeSizeInGB: 30 },
          StoppingCondition: { MaxRuntimeInSeconds: 3600 },
          RoleArn: ROLE_ARN,
          ...definition,
        },
      },
    });
  }

  test('accepts a tuning job within its limits, with ranges', () => {
    expect(() => new PipelineDefinition({ steps: [tuning()] })).not.toThrow();
    expect(() => new PipelineDefinition({ steps: [tuning({ ResourceLimits: { MaxNumberOfTrainingJobs: 3, MaxParallelTrainingJobs: 3 } })] })).not.toThrow();
  });

  test('fails when more training jobs run in parallel than in all', () => {
    const step = tuning({ ResourceLimits: { MaxNumberOfTrainingJobs: 4, MaxParallelTrainingJobs: 5 } });
    expect(problemsOf({ steps: [step] })).toEqual([
      expect.stringMatching(/^step "Tune" runs up to 5 training jobs in parallel but 4 in all: MaxParallelTrainingJobs must not exceed MaxNumberOfTrainingJobs$/),
    ]);
  });

  test('leaves limits it cannot know at synth, and a Grid search without a job count, to SageMaker', () => {
    const maxJobs = PipelineParameter.integer('MaxJobs', { defaultValue: 2 });
    const parameterized = tuning({ ResourceLimits: { MaxNumberOfTrainingJobs: maxJobs, MaxParallelTrainingJobs: 5 } });
    expect(() => new PipelineDefinition({ parameters: [maxJobs], steps: [parameterized] })).not.toThrow();
    const grid = tuning({ Strategy: 'Grid', ResourceLimits: { MaxParallelTrainingJobs: 5 }, ParameterRanges: { CategoricalParameterRanges: [{ Name: 'grow_policy', Values: ['depthwise'] }] } });
    expect(() => new PipelineDefinition({ steps: [grid] })).not.toThrow();
  });

  test.each([
    ['no ParameterRanges', { ParameterRanges: undefined }],
    ['empty range lists', { ParameterRanges: { ContinuousParameterRanges: [], IntegerParameterRanges: [], CategoricalParameterRanges: [] } }],
  ])('fails when the tuning job has no hyperparameter ranges: %s', (_, config) => {
    expect(problemsOf({ steps: [tuning(config)] })).toEqual([
      expect.stringMatching(/^step "Tune" has no hyperparameter ranges: give at least one continuous, integer or categorical range$/),
    ]);
  });

  test("counts the training job definition's own HyperParameterRanges as ranges", () => {
    const step = tuning({ ParameterRanges: undefined }, { HyperParameterRanges: { IntegerParameterRanges: [{ Name: 'max_depth', MinValue: '3', MaxValue: '8' }] } });
    expect(() => new PipelineDefinition({ steps: [step] })).not.toThrow();
    const inverted = tuning({ ParameterRanges: undefined }, { HyperParameterRanges: { IntegerParameterRanges: [{ Name: 'max_depth', MinValue: '8', MaxValue: '3' }] } });
    expect(problemsOf({ steps: [inverted] })).toEqual([expect.stringMatching(/^step "Tune" range of max_depth is 8 to 3: MinValue must be a number below MaxValue$/)]);
  });

  test('fails when a range does not run from a number to a larger one', () => {
    const step = tuning({
      ParameterRanges: {
        ContinuousParameterRanges: [eta, { Name: 'subsample', MinValue: '1', MaxValue: '0.6' }, { Name: 'gamma', MinValue: 'low', MaxValue: '5' }],
        IntegerParameterRanges: [{ Name: 'max_depth', MinValue: '5', MaxValue: '5' }],
      },
    });
    expect(problemsOf({ steps: [step] })).toEqual([
      expect.stringMatching(/^step "Tune" range of subsample is 1 to 0\.6: MinValue must be a number below MaxValue$/),
      expect.stringMatching(/^step "Tune" range of gamma is low to 5: MinValue must be a number below MaxValue$/),
      expect.stringMatching(/^step "Tune" range of max_depth is 5 to 5: MinValue must be a number below MaxValue$/),
    ]);
  });

  test('leaves a range bound given by a parameter to SageMaker', () => {
    const top = PipelineParameter.string('EtaMax', { defaultValue: '0.01' });
    const step = tuning({ ParameterRanges: { ContinuousParameterRanges: [{ Name: 'eta', MinValue: '0.1', MaxValue: top }] } });
    expect(() => new PipelineDefinition({ parameters: [top], steps: [step] })).not.toThrow();
  });

  test('checks what a tuning step reads as for any job step', () => {
    const prepare = processing('Prepare', 'train');
    const step = tuning({}, { InputDataConfig: [{ ChannelName: 'train', DataSource: { S3DataSource: { S3DataType: 'S3Prefix', S3Uri: prepare.outputS3Uri('trian') } } }] });
    expect(problemsOf({ steps: [step] })).toEqual([
      expect.stringMatching(/^step "Tune" reads a property of step "Prepare", which is not in the pipeline/),
    ]);
    expect(problemsOf({ steps: [prepare, step] })).toEqual([
      expect.stringMatching(/^step "Tune" reads output "trian" of step "Prepare", which declares no such output: use one of train$/),
    ]);
  });

  test('lists every tuning problem in the PipelineDefinitionError, with the other problems', () => {
    // GIVEN
    const step = tuning({
      ResourceLimits: { MaxNumberOfTrainingJobs: 2, MaxParallelTrainingJobs: 4 },
      ParameterRanges: { ContinuousParameterRanges: [{ Name: 'eta', MinValue: '0.4', MaxValue: '0.1' }] },
    });
    const props: PipelineDefinitionProps = { steps: [step, new TuningStep('Tune2', { arguments: { ...step.arguments, HyperParameterTuningJobConfig: { ...step.arguments.HyperParameterTuningJobConfig, ParameterRanges: {} } } }), new FailStep('Stop now')] };
    // WHEN
    const build = () => new PipelineDefinition(props);
    // THEN
    expect(build).toThrow(PipelineDefinitionError);
    expect(build).toThrow(/^Invalid SageMaker pipeline definition \(5 problems\):\n- /);
    expect(problemsOf(props)).toEqual([
      'step "Tune" runs up to 4 training jobs in parallel but 2 in all: MaxParallelTrainingJobs must not exceed MaxNumberOfTrainingJobs',
      'step "Tune" range of eta is 0.4 to 0.1: MinValue must be a number below MaxValue',
      'step "Tune2" runs up to 4 training jobs in parallel but 2 in all: MaxParallelTrainingJobs must not exceed MaxNumberOfTrainingJobs',
      'step "Tune2" has no hyperparameter ranges: give at least one continuous, integer or categorical range',
      expect.stringMatching(/^step name "Stop now" is invalid/),
    ]);
  });
});

describe('PipelineDefinition validation: reporting', () => {
  test('fails once, listing every problem with the value and what is expected', () => {
    // GIVEN
    const threshold = PipelineParameter.integer('Threshold', { defaultValue: 0.8 });
    const stop = new FailStep('Stop now', { errorMessage: ExecutionVariable.PIPELINE_EXECUTION_ID });
    const twin = processing('Twin', 'out');
    const check = new ConditionStep('Check', {
      conditions: [Condition.lessThanOrEqualTo(PipelineParameter.float('Missing'), threshold)],
      elseSteps: [stop],
    });
    const props: PipelineDefinitionProps = {
      parameters: [threshold],
      steps: [twin, processing('Twin', 'out'), check],
    };
    // WHEN
    const build = () => new PipelineDefinition(props);
    // THEN
    expect(build).toThrow(PipelineDefinitionError);
    expect(build).toThrow(/^Invalid SageMaker pipeline definition \(4 problems\):\n- /);
    expect(problemsOf(props)).toEqual([
      expect.stringMatching(/parameter "Threshold" is Integer but its default value is 0\.8: use a whole number/),
      expect.stringMatching(/step name "Twin" is used by 2 steps/),
      expect.stringMatching(/step "Check" uses parameter "Missing", which is not in the pipeline/),
      expect.stringMatching(/step name "Stop now" is invalid/),
    ]);
  });
});
