import { Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { TrainingPipeline, TrainingTuning } from '../../constructs';
import { loadStageConfig } from '../../lib/config-loader';
import { addMlopsStage } from '../../lib/mlops-app';
import { appLikeCli } from '../helpers/app';
import { validateAgainstPublishedSchema, validatePipelineDefinition } from './pipeline-schema';
import { definitionOf, named, pipelineWith, refusalOf, stepsByName } from './training-pipeline-fixture';

// TrainingPipeline.tuning: a Tuning step (Tune) in place of the training step (Train), the best
// job's model evaluated and registered, its values in the package metadata, the role allowed to
// run tuning jobs, and the props refused where SageMaker would refuse the tuning job.

const TUNING: TrainingTuning = {
  strategy: 'Random',
  maxJobs: 6,
  maxParallelJobs: 3,
  objective: { metricName: 'validation:auc', type: 'Maximize' },
  continuousRanges: { eta: { min: 0.1, max: 0.4 }, subsample: { min: 0.6, max: 1, scaling: 'Linear' } },
  integerRanges: { max_depth: { min: 3, max: 8 } },
  categoricalRanges: { grow_policy: ['depthwise', 'lossguide'] },
};

const MODELS_PATH = ['s3://team-artifacts/models', { Get: 'Execution.PipelineExecutionId' }];
/** The best tuning job's model, as the SageMaker Python SDK's TuningStep.get_top_model_s3_uri builds it. */
const BEST_MODEL = { 'Std:Join': { On: '/', Values: [...MODELS_PATH, { Get: 'Steps.Tune.TrainingJobSummaries[0].TrainingJobName' }, 'output/model.tar.gz'] } };

/** The statements of the execution role's policy. */
function roleStatements(built: ReturnType<typeof pipelineWith>): any[] {
  const roleId = built.stack.getLogicalId(built.pipeline.role.node.defaultChild as never);
  const policy = Object.values(built.template.findResources('AWS::IAM::Policy')).find((candidate) => JSON.stringify(candidate.Properties.Roles).includes(roleId));
  return policy!.Properties.PolicyDocument.Statement;
}

/** The message TrainingPipeline throws for the tuning; fails the test if it accepts it. */
function refusal(tuning: TrainingTuning): string {
  return refusalOf({ tuning });
}

describe('TrainingPipeline with tuning', () => {
  const untuned = pipelineWith();
  const tuned = pipelineWith({ tuning: TUNING });

  test('runs Tune, a Tuning step, in place of Train, and stepNames says so', () => {
    expect(tuned.pipeline.stepNames).toEqual(['DataProfile', 'FeatureProcessing', 'Tune', 'Evaluate', 'DataQualityBaseline', 'Review', 'CheckReview', 'RegisterModel', 'ReviewFailed']);
    expect(tuned.pipeline.stepNames).toEqual(TrainingPipeline.STEP_NAMES.filter((name) => !name.startsWith('Bias')).map((name) => (name === 'Train' ? 'Tune' : name)));
    expect(Object.keys(tuned.steps).sort()).toEqual([...tuned.pipeline.stepNames].sort());
    expect(tuned.steps.Tune).toMatchObject({
      Type: 'Tuning',
      Description: 'Tunes the hyperparameters (Random, up to 6 training jobs), ranked by validation:auc.',
    });
    expect(tuned.steps.Train).toBeUndefined();
    expect(JSON.stringify(tuned.definition)).not.toContain('Steps.Train.');
    expect(tuned.pipeline.definition.stepGraph().map((node) => [node.name, node.dependsOn])).toEqual([
      ['DataProfile', []],
      ['FeatureProcessing', []],
      ['Tune', ['FeatureProcessing']],
      ['Evaluate', ['FeatureProcessing', 'Tune']],
      ['DataQualityBaseline', ['Evaluate']],
      // The review gets the best job's model URI for the model card.
      ['Review', ['Tune', 'Evaluate', 'DataQualityBaseline']],
      ['CheckReview', ['Review']],
      ['RegisterModel', expect.arrayContaining(['DataProfile', 'Tune', 'Evaluate', 'DataQualityBaseline', 'Review', 'CheckReview'])],
      ['ReviewFailed', ['Review', 'CheckReview']],
    ]);
    expect(tuned.steps.Review.Arguments.ModelDataUrl).toEqual(BEST_MODEL);
    // Without tuning it is Train, as STEP_NAMES lists (without a bias report).
    expect(untuned.pipeline.stepNames).toEqual(TrainingPipeline.STEP_NAMES.filter((name) => !name.startsWith('Bias')));
    expect(untuned.steps.Train.Type).toBe('Training');
    expect(untuned.steps.Tune).toBeUndefined();
  });

  test('is valid against the published SageMaker schema (with the documented amendments)', () => {
    expect(validatePipelineDefinition(tuned.definition)).toEqual([]);
  });

  test('searches the ranges with the strategy, limits and objective given', () => {
    expect(tuned.steps.Tune.Arguments.HyperParameterTuningJobConfig).toEqual({
      Strategy: 'Random',
      HyperParameterTuningJobObjective: { MetricName: 'validation:auc', Type: 'Maximize' },
      ResourceLimits: { MaxNumberOfTrainingJobs: 6, MaxParallelTrainingJobs: 3 },
      TrainingJobEarlyStoppingType: 'Off',
      ParameterRanges: {
        ContinuousParameterRanges: [
          { Name: 'eta', MinValue: '0.1', MaxValue: '0.4', ScalingType: 'Auto' },
          { Name: 'subsample', MinValue: '0.6', MaxValue: '1', ScalingType: 'Linear' },
        ],
        IntegerParameterRanges: [{ Name: 'max_depth', MinValue: '3', MaxValue: '8', ScalingType: 'Auto' }],
        CategoricalParameterRanges: [{ Name: 'grow_policy', Values: ['depthwise', 'lossguide'] }],
      },
    });
  });

  test("defines each training job as Train's, with the untuned hyperparameters static", () => {
    const { StaticHyperParameters, ...job } = tuned.steps.Tune.Arguments.TrainingJobDefinition;
    const { HyperParameters, ...train } = untuned.steps.Train.Arguments;
    // The same image, channels, output path, resources, limits, isolation, encryption and role ...
    expect(job).toEqual(train);
    expect(job).toMatchObject({
      InputDataConfig: [
        { ChannelName: 'train', DataSource: { S3DataSource: { S3Uri: { Get: "Steps.FeatureProcessing.ProcessingOutputConfig.Outputs['train'].S3Output.S3Uri" } } } },
        { ChannelName: 'validation', DataSource: { S3DataSource: { S3Uri: { Get: "Steps.FeatureProcessing.ProcessingOutputConfig.Outputs['validation'].S3Output.S3Uri" } } } },
      ],
      OutputDataConfig: { S3OutputPath: { 'Std:Join': { On: '/', Values: MODELS_PATH } } },
      EnableNetworkIsolation: true,
      EnableInterContainerTrafficEncryption: true,
    });
    // ... and the default hyperparameters less the tuned ones (eta, max_depth).
    expect(HyperParameters).toEqual(TrainingPipeline.defaultHyperparameters());
    expect(StaticHyperParameters).toEqual({ objective: 'binary:logistic', num_round: '50', eval_metric: 'auc' });
  });

  test('tunes a hyperparameter given in hyperparameters too: the range wins, the rest stay static', () => {
    const built = pipelineWith({
      hyperparameters: { objective: 'binary:logistic', num_round: '100', eta: '0.3', eval_metric: 'logloss' },
      tuning: { ...TUNING, continuousRanges: { eta: { min: 0.1, max: 0.4 } }, integerRanges: undefined, categoricalRanges: undefined },
    });
    expect(built.steps.Tune.Arguments.TrainingJobDefinition.StaticHyperParameters).toEqual({ objective: 'binary:logistic', num_round: '100', eval_metric: 'logloss' });
    expect(built.steps.Tune.Arguments.HyperParameterTuningJobConfig.ParameterRanges).toEqual({
      ContinuousParameterRanges: [{ Name: 'eta', MinValue: '0.1', MaxValue: '0.4', ScalingType: 'Auto' }],
      IntegerParameterRanges: [],
      CategoricalParameterRanges: [],
    });
  });

  test("evaluates and registers the best job's model: the S3 output path joined with TrainingJobSummaries[0]'s name", () => {
    const outputPath = tuned.steps.Tune.Arguments.TrainingJobDefinition.OutputDataConfig.S3OutputPath['Std:Join'].Values;
    expect(BEST_MODEL['Std:Join'].Values.slice(0, outputPath.length)).toEqual(outputPath);
    expect(named(tuned.steps.Evaluate.Arguments.ProcessingInputs, 'InputName', 'model').S3Input).toEqual({
      S3Uri: BEST_MODEL,
      LocalPath: '/opt/ml/processing/model',
      S3DataType: 'S3Prefix',
      S3InputMode: 'File',
      S3DataDistributionType: 'FullyReplicated',
    });
    expect(tuned.steps.RegisterModel.Arguments.InferenceSpecification.Containers).toEqual([{ Image: expect.stringMatching(/sagemaker-xgboost:1\.7-1$/), ModelDataUrl: BEST_MODEL }]);
  });

  test('records the best training job and each tuned value in the package metadata, next to the data profile', () => {
    const best = (name: string) => ({ Get: `Steps.Tune.BestTrainingJob.TunedHyperParameters['${name}']` });
    expect(tuned.steps.RegisterModel.Arguments.CustomerMetadataProperties).toEqual({
      InputDataUrl: { Get: 'Parameters.InputDataUrl' },
      TriggerReason: { Get: 'Parameters.TriggerReason' },
      PipelineExecutionId: { Get: 'Execution.PipelineExecutionId' },
      BaselineDataUrl: { Get: "Steps.Evaluate.ProcessingOutputConfig.Outputs['baseline'].S3Output.S3Uri" },
      ReviewSummary: { Get: "Steps.Review.OutputParameters['Summary']" },
      ReviewReportUrl: { Get: "Steps.Review.OutputParameters['ReviewReportUrl']" },
      DataProfileUrl: { Get: "Steps.DataProfile.ProcessingOutputConfig.Outputs['profile'].S3Output.S3Uri" },
      BestTrainingJob: { Get: 'Steps.Tune.BestTrainingJob.TrainingJobName' },
      'TunedHyperParameter:eta': best('eta'),
      'TunedHyperParameter:subsample': best('subsample'),
      'TunedHyperParameter:max_depth': best('max_depth'),
      'TunedHyperParameter:grow_policy': best('grow_policy'),
    });
    expect(Object.keys(untuned.steps.RegisterModel.Arguments.CustomerMetadataProperties).filter((key) => /^(BestTrainingJob|TunedHyperParameter:)/.test(key))).toEqual([]);
  });

  test('retries the Tune step as it retried Train', () => {
    expect(tuned.steps.Tune.RetryPolicies).toEqual(untuned.steps.Train.RetryPolicies);
    expect(tuned.steps.Tune.RetryPolicies).toEqual([
      expect.objectContaining({ ExceptionType: expect.arrayContaining(['SageMaker.CAPACITY_ERROR', 'SageMaker.JOB_INTERNAL_ERROR']), MaxAttempts: 4 }),
    ]);
  });

  test.each([
    [{ strategy: undefined }, 'Bayesian', 'Off'],
    [{ strategy: 'Bayesian', earlyStopping: true }, 'Bayesian', 'Auto'],
    [{ strategy: 'Hyperband', earlyStopping: false }, 'Hyperband', 'Off'],
  ] as const)('writes strategy and early stopping: %j → %s, %s', (change, strategy, earlyStopping) => {
    const built = pipelineWith({ tuning: { ...TUNING, ...change } });
    expect(built.steps.Tune.Arguments.HyperParameterTuningJobConfig).toMatchObject({
      Strategy: strategy,
      TrainingJobEarlyStoppingType: earlyStopping,
      ResourceLimits: { MaxNumberOfTrainingJobs: 6, MaxParallelTrainingJobs: 3 },
    });
    expect(built.steps.Tune.Description).toBe(`Tunes the hyperparameters (${strategy}, up to 6 training jobs), ranked by validation:auc.`);
  });

  test('gives a Grid search no job count of its own: it tries every combination of the categorical values', () => {
    const built = pipelineWith({ tuning: { ...TUNING, strategy: 'Grid', continuousRanges: undefined, integerRanges: undefined } });
    expect(built.steps.Tune.Arguments.HyperParameterTuningJobConfig).toMatchObject({
      Strategy: 'Grid',
      ResourceLimits: { MaxParallelTrainingJobs: 3 },
      ParameterRanges: { ContinuousParameterRanges: [], IntegerParameterRanges: [], CategoricalParameterRanges: [{ Name: 'grow_policy', Values: ['depthwise', 'lossguide'] }] },
    });
    expect(built.steps.Tune.Arguments.HyperParameterTuningJobConfig.ResourceLimits).not.toHaveProperty('MaxNumberOfTrainingJobs');
  });

  test('without a data profile, Tune still replaces Train and the package has no DataProfileUrl', () => {
    const built = pipelineWith({ tuning: TUNING, dataProfile: false });
    expect(built.pipeline.stepNames).toEqual(['FeatureProcessing', 'Tune', 'Evaluate', 'DataQualityBaseline', 'Review', 'CheckReview', 'RegisterModel', 'ReviewFailed']);
    expect(built.steps.DataProfile).toBeUndefined();
    expect(built.steps.RegisterModel.Arguments.CustomerMetadataProperties).not.toHaveProperty('DataProfileUrl');
    expect(built.steps.RegisterModel.Arguments.CustomerMetadataProperties).toHaveProperty('BestTrainingJob');
    expect(validatePipelineDefinition(built.definition)).toEqual([]);
  });

  test("runs each tuning job's training jobs distributed and in the VPC, as Train's", () => {
    const built = pipelineWith((stack) => ({
      trainingInstanceCount: 4,
      vpc: new ec2.Vpc(stack, 'Vpc', { maxAzs: 2, natGateways: 0, subnetConfiguration: [{ name: 'jobs', subnetType: ec2.SubnetType.PRIVATE_ISOLATED }] }),
      vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_ISOLATED },
      tuning: TUNING,
    }));
    const job = built.steps.Tune.Arguments.TrainingJobDefinition;
    expect(job.ResourceConfig.InstanceCount).toBe(4);
    expect(job.VpcConfig).toEqual({ SecurityGroupIds: ['cfn-reference'], Subnets: ['cfn-reference', 'cfn-reference'] });
  });

  describe('execution role', () => {
    const runTuningJobs = {
      Sid: 'RunTuningJobs',
      Effect: 'Allow',
      Action: expect.arrayContaining([
        'sagemaker:CreateHyperParameterTuningJob',
        'sagemaker:DescribeHyperParameterTuningJob',
        'sagemaker:ListTrainingJobsForHyperParameterTuningJob',
        'sagemaker:StopHyperParameterTuningJob',
        'sagemaker:AddTags',
      ]),
      Resource: 'arn:aws:sagemaker:eu-west-1:111122223333:hyper-parameter-tuning-job/*',
    };

    test('may create, read and stop tuning jobs when the pipeline tunes', () => {
      const statements = roleStatements(tuned);
      expect(statements.filter((statement) => statement.Sid === 'RunTuningJobs')).toEqual([runTuningJobs]);
      expect([statements.find((statement) => statement.Sid === 'RunTuningJobs').Action].flat()).toHaveLength(5);
      // The tuning job launches its training jobs under this role, which may still pass only itself.
      expect(statements.filter((statement) => [statement.Action].flat().includes('iam:PassRole'))).toEqual([
        expect.objectContaining({ Sid: 'PassOnlyItself', Condition: { StringEquals: { 'iam:PassedToService': 'sagemaker.amazonaws.com' } } }),
      ]);
    });

    test('may not when it does not', () => {
      const statements = roleStatements(untuned);
      expect(statements.filter((statement) => statement.Sid === 'RunTuningJobs')).toEqual([]);
      expect(JSON.stringify(statements)).not.toMatch(/HyperParameterTuningJob|hyper-parameter-tuning-job/);
    });

    test('has no wildcard action and no * resource beyond PutMetricData when it tunes', () => {
      const statements = roleStatements(tuned);
      for (const statement of statements) {
        for (const action of [statement.Action].flat()) expect(action).not.toMatch(/^(\*|[a-z0-9-]+:\*)$/);
      }
      expect(statements.filter((statement) => [statement.Resource].flat().includes('*')).map((statement) => statement.Action)).toEqual(['cloudwatch:PutMetricData']);
    });
  });
});

describe('TrainingPipeline refuses tuning SageMaker would refuse, naming the prop', () => {
  test.each<[string, Partial<TrainingTuning>, string]>([
    ['more parallel jobs than jobs', { maxJobs: 4, maxParallelJobs: 5 }, 'tuning.maxParallelJobs is 5: use a whole number from 1 to 4'],
    ['no jobs', { maxJobs: 0, maxParallelJobs: 1 }, 'tuning.maxJobs is 0: use a whole number from 1 to 500'],
    ['more jobs than SageMaker runs', { maxJobs: 501, maxParallelJobs: 1 }, 'tuning.maxJobs is 501: use a whole number from 1 to 500'],
    ['a fractional job count', { maxJobs: 6, maxParallelJobs: 1.5 }, 'tuning.maxParallelJobs is 1.5: use a whole number from 1 to 6'],
    [
      'no ranges',
      { continuousRanges: undefined, integerRanges: undefined, categoricalRanges: undefined },
      'tuning has no ranges: give at least one of continuousRanges, integerRanges, categoricalRanges',
    ],
    ['only empty range maps', { continuousRanges: {}, integerRanges: {}, categoricalRanges: {} }, 'tuning has no ranges: give at least one of continuousRanges, integerRanges, categoricalRanges'],
    ['a continuous min above max', { continuousRanges: { eta: { min: 0.4, max: 0.1 } } }, 'tuning.continuousRanges.eta is 0.4 to 0.1: min must be below max'],
    ['an integer min equal to max', { integerRanges: { max_depth: { min: 5, max: 5 } } }, 'tuning.integerRanges.max_depth is 5 to 5: min must be below max'],
    ['a range that is not finite', { continuousRanges: { eta: { min: 0, max: Number.POSITIVE_INFINITY } } }, 'tuning.continuousRanges.eta is 0 to Infinity: min must be below max'],
    ['a fractional integer range', { integerRanges: { max_depth: { min: 2.5, max: 6 } } }, 'tuning.integerRanges.max_depth is 2.5 to 6: use whole numbers'],
    ['a categorical range without values', { categoricalRanges: { grow_policy: [] } }, 'tuning.categoricalRanges.grow_policy has no values: give at least one'],
    [
      'Grid with a numeric range',
      { strategy: 'Grid' },
      'tuning.strategy is Grid, which searches categorical ranges only: turn the numeric ranges into categoricalRanges or use another strategy',
    ],
    ['Hyperband with early stopping', { strategy: 'Hyperband', earlyStopping: true }, 'tuning.earlyStopping is true with strategy Hyperband, which stops jobs itself: set earlyStopping false'],
    ['an objective metric that is no metric name', { objective: { metricName: 'validation auc', type: 'Maximize' } }, 'tuning.objective.metricName "validation auc" is not a metric name such as validation:auc'],
  ])('%s', (_, change, problem) => {
    expect(refusal({ ...TUNING, ...change })).toBe(`TrainingPipeline: ${problem}`);
  });

  test('more than 20 ranges of a kind', () => {
    const ranges = Object.fromEntries(Array.from({ length: 21 }, (_, index) => [`p${index}`, { min: 0, max: 1 }]));
    expect(refusal({ ...TUNING, continuousRanges: ranges })).toBe('TrainingPipeline: tuning.continuousRanges has 21 ranges: SageMaker takes at most 20');
  });

  test('lists every tuning problem at once', () => {
    expect(
      refusal({
        strategy: 'Hyperband',
        earlyStopping: true,
        maxJobs: 2,
        maxParallelJobs: 3,
        objective: { metricName: 'validation:auc', type: 'Maximize' },
        continuousRanges: { eta: { min: 1, max: 0 } },
        integerRanges: { max_depth: { min: 3.5, max: 8 } },
      }),
    ).toBe(
      'TrainingPipeline: ' +
        [
          'tuning.maxParallelJobs is 3: use a whole number from 1 to 2',
          'tuning.continuousRanges.eta is 1 to 0: min must be below max',
          'tuning.integerRanges.max_depth is 3.5 to 8: use whole numbers',
          'tuning.earlyStopping is true with strategy Hyperband, which stops jobs itself: set earlyStopping false',
        ].join('; '),
    );
  });

  test('accepts Grid over categorical ranges only, and Hyperband without early stopping', () => {
    expect(() => pipelineWith({ tuning: { ...TUNING, strategy: 'Grid', continuousRanges: undefined, integerRanges: undefined } })).not.toThrow();
    expect(() => pipelineWith({ tuning: { ...TUNING, strategy: 'Hyperband', earlyStopping: false } })).not.toThrow();
  });
});

describe('the stage configs: dev trains once, staging and prod tune', () => {
  const build = (stage: string, change: (config: ReturnType<typeof loadStageConfig>) => ReturnType<typeof loadStageConfig> = (config) => config) => {
    const stack = addMlopsStage(appLikeCli(), change(loadStageConfig({ stage })));
    const definition = definitionOf(Template.fromStack(stack));
    return { stack, definition, steps: stepsByName(definition) };
  };
  const range = (Name: string, min: string, max: string) => ({ Name, MinValue: min, MaxValue: max, ScalingType: 'Auto' });

  test('dev: Train with the default hyperparameters, and no tuning permissions', () => {
    const dev = build('dev');
    expect(dev.stack.pipeline.stepNames).toEqual(TrainingPipeline.STEP_NAMES.filter((name) => !name.startsWith('Bias')));
    expect(dev.steps.Train.Arguments.HyperParameters).toEqual(TrainingPipeline.defaultHyperparameters());
    expect(dev.steps.Tune).toBeUndefined();
    expect(JSON.stringify(Template.fromStack(dev.stack).findResources('AWS::IAM::Policy'))).not.toContain('HyperParameterTuningJob');
  });

  test('staging: a small Random search of eta and max_depth, on spot', () => {
    const staging = build('staging');
    expect(staging.stack.pipeline.stepNames).toContain('Tune');
    expect(staging.stack.pipeline.stepNames).not.toContain('Train');
    const args = staging.steps.Tune.Arguments;
    expect(args.HyperParameterTuningJobConfig).toEqual({
      Strategy: 'Random',
      HyperParameterTuningJobObjective: { MetricName: 'validation:auc', Type: 'Maximize' },
      ResourceLimits: { MaxNumberOfTrainingJobs: 4, MaxParallelTrainingJobs: 2 },
      TrainingJobEarlyStoppingType: 'Off',
      ParameterRanges: {
        ContinuousParameterRanges: [range('eta', '0.1', '0.4')],
        IntegerParameterRanges: [range('max_depth', '3', '6')],
        CategoricalParameterRanges: [],
      },
    });
    expect(args.TrainingJobDefinition.StaticHyperParameters).toEqual({ objective: 'binary:logistic', num_round: '50', eval_metric: 'auc' });
    expect(args.TrainingJobDefinition.EnableManagedSpotTraining).toBe(true);
    expect(Object.keys(staging.steps.RegisterModel.Arguments.CustomerMetadataProperties)).toEqual(expect.arrayContaining(['BestTrainingJob', 'TunedHyperParameter:eta', 'TunedHyperParameter:max_depth']));
    // The published schema takes an empty range list (minItems 0), as SageMaker does.
    expect(validatePipelineDefinition(staging.definition)).toEqual([]);
  });

  test('prod: a Bayesian search of 20 jobs over five hyperparameters, stopping hopeless jobs early', () => {
    const prod = build('prod');
    const args = prod.steps.Tune.Arguments;
    expect(args.HyperParameterTuningJobConfig).toEqual({
      Strategy: 'Bayesian',
      HyperParameterTuningJobObjective: { MetricName: 'validation:auc', Type: 'Maximize' },
      ResourceLimits: { MaxNumberOfTrainingJobs: 20, MaxParallelTrainingJobs: 4 },
      TrainingJobEarlyStoppingType: 'Auto',
      ParameterRanges: {
        ContinuousParameterRanges: [range('eta', '0.05', '0.4'), range('min_child_weight', '1', '10'), range('subsample', '0.6', '1')],
        IntegerParameterRanges: [range('max_depth', '3', '8'), range('num_round', '50', '300')],
        CategoricalParameterRanges: [],
      },
    });
    expect(args.TrainingJobDefinition.StaticHyperParameters).toEqual({ objective: 'binary:logistic', eval_metric: 'auc' });
    expect(args.TrainingJobDefinition.ResourceConfig.InstanceType).toEqual({ Get: 'Parameters.TrainingInstanceType' });
    expect(prod.definition.Parameters.find((parameter: any) => parameter.Name === 'TrainingInstanceType').DefaultValue).toBe('ml.m5.xlarge');
    expect(Object.keys(prod.steps.RegisterModel.Arguments.CustomerMetadataProperties).filter((key) => key.startsWith('TunedHyperParameter:'))).toEqual([
      'TunedHyperParameter:eta',
      'TunedHyperParameter:min_child_weight',
      'TunedHyperParameter:subsample',
      'TunedHyperParameter:max_depth',
      'TunedHyperParameter:num_round',
    ]);
    expect(validatePipelineDefinition(prod.definition)).toEqual([]);
  });

  test('eval_metric follows the objective metric, and its direction the metric', () => {
    const logloss = build('staging', (config) => ({ ...config, training: { ...config.training, tuning: { ...config.training.tuning, objectiveMetric: 'validation:logloss' } } }));
    const args = logloss.steps.Tune.Arguments;
    expect(args.HyperParameterTuningJobConfig.HyperParameterTuningJobObjective).toEqual({ MetricName: 'validation:logloss', Type: 'Minimize' });
    expect(args.TrainingJobDefinition.StaticHyperParameters.eval_metric).toBe('logloss');
  });

  test("a regression stage ranks by its problem type's default objective, validation:rmse, minimized, with the regression objective", () => {
    const regression = build('staging', (config) => ({
      ...config,
      training: { ...config.training, problemType: 'regression', tuning: { ...config.training.tuning, objectiveMetric: undefined } },
      review: { ...config.review, checks: [{ metric: 'rmse', threshold: 5 }] },
    }));
    const args = regression.steps.Tune.Arguments;
    expect(args.HyperParameterTuningJobConfig.HyperParameterTuningJobObjective).toEqual({ MetricName: 'validation:rmse', Type: 'Minimize' });
    expect(args.TrainingJobDefinition.StaticHyperParameters).toEqual({ objective: 'reg:squarederror', num_round: '50', eval_metric: 'rmse' });
  });
});

describe('what the published pipeline schema rejects in Tuning steps SageMaker accepts', () => {
  // CreateHyperParameterTuningJob takes Strategy Bayesian, Random, Hyperband or Grid
  // (HyperParameterTuningJobStrategyType in @aws-sdk/client-sagemaker), and a Grid search has no
  // MaxNumberOfTrainingJobs (its job count is the number of combinations):
  // https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_HyperParameterTuningJobConfig.html
  // The published schema lists only Bayesian and Random and requires MaxNumberOfTrainingJobs. The
  // helper is NOT amended for this: these tests show the rejection instead.
  const indexOfTune = (definition: Record<string, any>) => definition.Steps.findIndex((step: any) => step.Name === 'Tune');
  const withConfig = (definition: Record<string, any>, change: (config: any) => void) => {
    const copy = structuredClone(definition);
    change(copy.Steps[indexOfTune(copy)].Arguments.HyperParameterTuningJobConfig);
    return copy;
  };

  test('Bayesian and Random validate', () => {
    expect(validatePipelineDefinition(pipelineWith({ tuning: { ...TUNING, strategy: 'Bayesian' } }).definition)).toEqual([]);
    expect(validatePipelineDefinition(pipelineWith({ tuning: { ...TUNING, strategy: 'Random' } }).definition)).toEqual([]);
  });

  test('Hyperband: rejected for its Strategy and the StrategyConfig (MaxResource = num_round) the schema does not list', () => {
    const { definition } = pipelineWith({ tuning: { ...TUNING, strategy: 'Hyperband', integerRanges: { max_depth: { min: 3, max: 6 } } } });
    const at = `/Steps/${indexOfTune(definition)}/Arguments/HyperParameterTuningJobConfig`;
    const tune = definition.Steps.find((step: { Name: string }) => step.Name === 'Tune') as { Arguments: { HyperParameterTuningJobConfig: Record<string, unknown> } };
    expect(tune.Arguments.HyperParameterTuningJobConfig.StrategyConfig).toEqual({ HyperbandStrategyConfig: { MinResource: 1, MaxResource: 50 } });
    for (const errors of [validatePipelineDefinition(definition), validateAgainstPublishedSchema(definition)]) {
      expect(errors).toContainEqual(`${at}/Strategy must be equal to one of the allowed values {"allowedValues":["Bayesian","Random"]}`);
      expect(errors).toContainEqual(`${at} must NOT have additional properties {"additionalProperty":"StrategyConfig"}`);
    }
    // Only those two: with Random in its place and no StrategyConfig it validates.
    expect(validatePipelineDefinition(withConfig(definition, (config) => ((config.Strategy = 'Random'), delete config.StrategyConfig)))).toEqual([]);
  });

  test('Grid: rejected for its Strategy and for the MaxNumberOfTrainingJobs it must not have', () => {
    const { definition } = pipelineWith({ tuning: { ...TUNING, strategy: 'Grid', continuousRanges: undefined, integerRanges: undefined } });
    const at = `/Steps/${indexOfTune(definition)}/Arguments/HyperParameterTuningJobConfig`;
    const errors = validatePipelineDefinition(definition);
    expect(errors).toContainEqual(`${at}/Strategy must be equal to one of the allowed values {"allowedValues":["Bayesian","Random"]}`);
    expect(errors).toContainEqual(`${at}/ResourceLimits must have required property 'MaxNumberOfTrainingJobs' {"missingProperty":"MaxNumberOfTrainingJobs"}`);
    // Only those two: with Random and a job count it validates; with either alone it does not.
    expect(validatePipelineDefinition(withConfig(definition, (config) => ((config.Strategy = 'Random'), (config.ResourceLimits.MaxNumberOfTrainingJobs = 3))))).toEqual([]);
    expect(validatePipelineDefinition(withConfig(definition, (config) => (config.Strategy = 'Random')))).not.toEqual([]);
    expect(validatePipelineDefinition(withConfig(definition, (config) => (config.ResourceLimits.MaxNumberOfTrainingJobs = 3)))).not.toEqual([]);
  });
});
