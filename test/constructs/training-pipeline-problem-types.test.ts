import { TrainingPipeline } from '../../constructs';
import { readReviewSettings } from '../../lambda/review-gate/environment';
import { validatePipelineDefinition } from './pipeline-schema';
import { pipelineWith, refusalOf } from './training-pipeline-fixture';

// TrainingPipeline.problemType: what the model predicts sets the XGBoost objective and metric, the
// arguments of the feature, profile and evaluation scripts, and what the review may check.

/** The ContainerArguments of a processing step. */
const argumentsOf = (built: ReturnType<typeof pipelineWith>, step: string): string[] => built.steps[step].Arguments.AppSpecification.ContainerArguments;

/** The review gate's policy as its function reads it. */
function policyOf(built: ReturnType<typeof pipelineWith>) {
  const functionId = built.stack.getLogicalId(built.pipeline.reviewFunction.function.node.defaultChild as never);
  return readReviewSettings(built.template.toJSON().Resources[functionId].Properties.Environment.Variables).policy;
}

describe('TrainingPipeline.defaultHyperparameters', () => {
  test.each([
    ['binary', undefined, { objective: 'binary:logistic', eval_metric: 'auc' }],
    ['multiclass', 5, { objective: 'multi:softmax', num_class: '5', eval_metric: 'merror' }],
    ['regression', undefined, { objective: 'reg:squarederror', eval_metric: 'rmse' }],
  ] as const)("%s: the built-in algorithm's objective and metric, 50 rounds of depth 5 at eta 0.2", (problemType, numClasses, objective) => {
    expect(TrainingPipeline.defaultHyperparameters(problemType, numClasses)).toEqual({ num_round: '50', max_depth: '5', eta: '0.2', ...objective });
  });

  test('is the binary classifier without arguments', () => {
    expect(TrainingPipeline.defaultHyperparameters()).toEqual(TrainingPipeline.defaultHyperparameters('binary'));
  });
});

describe('TrainingPipeline problem types', () => {
  test('binary by default: binary:logistic, and each script told so, with the churn label', () => {
    const built = pipelineWith();
    expect(built.steps.Train.Arguments.HyperParameters).toEqual(TrainingPipeline.defaultHyperparameters('binary'));
    expect(argumentsOf(built, 'FeatureProcessing')).toEqual(['--label-column', 'churn', '--problem-type', 'binary']);
    expect(argumentsOf(built, 'DataProfile')).toEqual(['--label-column', 'churn', '--problem-type', 'binary']);
    expect(argumentsOf(built, 'Evaluate')).toEqual(['--problem-type', 'binary']);
  });

  describe('regression', () => {
    // GIVEN delivery times, gated on rmse
    const built = pipelineWith({ problemType: 'regression', labelColumn: 'delivery_minutes', review: { checks: [{ metric: 'rmse', threshold: 5 }, { metric: 'r2', threshold: 0.6 }] } });

    test('trains with reg:squarederror and rmse', () => {
      expect(built.steps.Train.Arguments.HyperParameters).toEqual({ num_round: '50', max_depth: '5', eta: '0.2', objective: 'reg:squarederror', eval_metric: 'rmse' });
    });

    test('tells the feature, profile and evaluation scripts the problem type and the label column', () => {
      expect(argumentsOf(built, 'FeatureProcessing')).toEqual(['--label-column', 'delivery_minutes', '--problem-type', 'regression']);
      expect(argumentsOf(built, 'DataProfile')).toEqual(['--label-column', 'delivery_minutes', '--problem-type', 'regression']);
      expect(argumentsOf(built, 'Evaluate')).toEqual(['--problem-type', 'regression']);
    });

    test('reviews rmse from below and r2 from above, rmse first (its threshold is MetricThreshold)', () => {
      expect(policyOf(built)).toMatchObject({
        problemType: 'regression',
        checks: [
          { metric: 'rmse', threshold: 5, comparison: '<=' },
          { metric: 'r2', threshold: 0.6, comparison: '>=' },
        ],
      });
      expect(built.steps.Review.Description).toBe('Checks the model (rmse <= 5, r2 >= 0.6) and writes its model card.');
      expect(built.definition.Parameters.find((parameter: any) => parameter.Name === 'MetricThreshold').DefaultValue).toBe(5);
      expect(validatePipelineDefinition(built.definition)).toEqual([]);
    });
  });

  describe('multiclass', () => {
    // GIVEN four classes, gated on accuracy
    const built = pipelineWith({ problemType: 'multiclass', numClasses: 4, review: { checks: [{ metric: 'accuracy', threshold: 0.7 }] } });

    test('trains with multi:softmax over numClasses classes', () => {
      expect(built.steps.Train.Arguments.HyperParameters).toMatchObject({ objective: 'multi:softmax', num_class: '4', eval_metric: 'merror' });
    });

    test('tells every script the class count: the evaluation needs it to check the labels and read the predictions', () => {
      expect(argumentsOf(built, 'FeatureProcessing')).toEqual(['--label-column', 'churn', '--problem-type', 'multiclass', '--num-classes', '4']);
      expect(argumentsOf(built, 'DataProfile')).toEqual(['--label-column', 'churn', '--problem-type', 'multiclass', '--num-classes', '4']);
      expect(argumentsOf(built, 'Evaluate')).toEqual(['--problem-type', 'multiclass', '--num-classes', '4']);
    });

    test('reviews a multiclass metric', () => {
      expect(policyOf(built)).toMatchObject({ problemType: 'multiclass', checks: [{ metric: 'accuracy', threshold: 0.7, comparison: '>=' }] });
      expect(validatePipelineDefinition(built.definition)).toEqual([]);
    });
  });

  const accuracy = { checks: [{ metric: 'accuracy', threshold: 0.7 }] };
  test.each<[string, Parameters<typeof refusalOf>[0], string]>([
    [
      'a multiclass model has no numClasses',
      { problemType: 'multiclass', review: accuracy },
      'numClasses is undefined: a multiclass model needs a whole number of classes of at least 3 (two classes: use problemType "binary")',
    ],
    [
      'a multiclass model has two classes',
      { problemType: 'multiclass', numClasses: 2, review: accuracy },
      'numClasses is 2: a multiclass model needs a whole number of classes of at least 3 (two classes: use problemType "binary")',
    ],
    [
      'numClasses is not whole',
      { problemType: 'multiclass', numClasses: 3.5, review: accuracy },
      'numClasses is 3.5: a multiclass model needs a whole number of classes of at least 3 (two classes: use problemType "binary")',
    ],
    ['numClasses is set for a binary model', { numClasses: 3 }, 'numClasses is set but problemType is "binary": numClasses applies to multiclass models only'],
    ['the problem type is unknown', { problemType: 'ranking' as never }, 'problemType is "ranking": use one of binary, multiclass, regression'],
    [
      'a regression model is checked on auc',
      { problemType: 'regression', review: { checks: [{ metric: 'auc', threshold: 0.8 }] } },
      'review.checks[0].metric: expected a regression metric (mae, mse, rmse, r2, CI, DPL, KL, JS, LP, TVD, KS)',
    ],
  ])('fails when %s', (_, props, problem) => {
    expect(refusalOf(props)).toBe(`TrainingPipeline: ${problem}`);
  });
});
