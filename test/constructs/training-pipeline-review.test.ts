import { RemovalPolicy } from 'aws-cdk-lib';
import { Match } from 'aws-cdk-lib/assertions';
import * as logs from 'aws-cdk-lib/aws-logs';
import { readReviewSettings, REVIEW_ENV, REVIEW_OUTPUT, REVIEW_REQUEST } from '../../lambda/review-gate/environment';
import { validatePipelineDefinition } from './pipeline-schema';
import { definitionOf, getAttName, named, pipelineWith, refusalOf, stepsByName } from './training-pipeline-fixture';

// TrainingPipeline's review gate: the Review step (a Lambda step) and the function behind it, the
// registration it gates (model card, review metadata) or the Fail step it leads to, the optional
// Clarify bias report, and the review props refused, each problem named.

/** The review gate function's environment and the logical id of the function. */
function gateOf(built: ReturnType<typeof pipelineWith>) {
  const functionId = built.stack.getLogicalId(built.pipeline.reviewFunction.function.node.defaultChild as never);
  const resource = built.template.toJSON().Resources[functionId];
  return { functionId, resource, environment: resource.Properties.Environment.Variables as Record<string, string> };
}

const EVALUATION_REPORT = { 'Std:Join': { On: '/', Values: [{ Get: "Steps.Evaluate.ProcessingOutputConfig.Outputs['evaluation'].S3Output.S3Uri" }, 'evaluation.json'] } };
const BIAS_REPORT = { 'Std:Join': { On: '/', Values: [{ Get: "Steps.BiasReport.ProcessingOutputConfig.Outputs['analysis'].S3Output.S3Uri" }, 'analysis.json'] } };
const perRun = (prefix: string) => ({ 'Std:Join': { On: '/', Values: [`s3://team-artifacts/${prefix}`, { Get: 'Execution.PipelineExecutionId' }] } });
const output = (step: string, name: string) => ({ Get: `Steps.${step}.OutputParameters['${name}']` });

describe('TrainingPipeline review gate, by default (binary, auc >= 0.75, no champion check)', () => {
  // GIVEN / WHEN
  const built = pipelineWith();
  const gate = gateOf(built);

  test('reviews in a Lambda step that invokes the gate function with the reports and the run, and declares its answer', () => {
    // THEN
    const review = stepsByName(definitionOf(built.template, getAttName)).Review;
    expect(review).toMatchObject({ Type: 'Lambda', FunctionArn: `${gate.functionId}.Arn`, DependsOn: ['DataQualityBaseline'] });
    expect(review.Description).toBe('Checks the model (auc >= 0.75) and writes its model card.');
    // The event has every key the handler reads ...
    expect(Object.keys(review.Arguments).sort()).toEqual(Object.values(REVIEW_REQUEST).sort());
    expect(built.steps.Review.Arguments).toEqual({
      [REVIEW_REQUEST.EVALUATION_REPORT_URL]: EVALUATION_REPORT,
      [REVIEW_REQUEST.BIAS_REPORT_URL]: '',
      [REVIEW_REQUEST.REVIEW_OUTPUT_URL]: perRun('review'),
      [REVIEW_REQUEST.FIRST_CHECK_THRESHOLD]: { Get: 'Parameters.MetricThreshold' },
      [REVIEW_REQUEST.INPUT_DATA_URL]: { Get: 'Parameters.InputDataUrl' },
      [REVIEW_REQUEST.MODEL_DATA_URL]: { Get: 'Steps.Train.ModelArtifacts.S3ModelArtifacts' },
      [REVIEW_REQUEST.PIPELINE_EXECUTION_ID]: { Get: 'Execution.PipelineExecutionId' },
      [REVIEW_REQUEST.TRIGGER_REASON]: { Get: 'Parameters.TriggerReason' },
    });
    // ... and its outputs every key of the handler's answer.
    expect(review.OutputParameters).toEqual([
      { OutputName: REVIEW_OUTPUT.PASSED, OutputType: 'Boolean' },
      { OutputName: REVIEW_OUTPUT.SUMMARY, OutputType: 'String' },
      { OutputName: REVIEW_OUTPUT.FAILURE_MESSAGE, OutputType: 'String' },
      { OutputName: REVIEW_OUTPUT.REPORT_URL, OutputType: 'String' },
      { OutputName: REVIEW_OUTPUT.MODEL_CARD, OutputType: 'String' },
    ]);
    expect(validatePipelineDefinition(built.definition)).toEqual([]);
  });

  test("sets the function's environment to settings the handler accepts: the group, the bucket, the default policy", () => {
    expect(gate.environment).toEqual({
      [REVIEW_ENV.MODEL_PACKAGE_GROUP]: 'team-churn-models',
      [REVIEW_ENV.ARTIFACTS_BUCKET]: 'team-artifacts',
      [REVIEW_ENV.POLICY]: expect.any(String),
    });
    expect(readReviewSettings(gate.environment)).toEqual({
      modelPackageGroupName: 'team-churn-models',
      artifactsBucket: 'team-artifacts',
      policy: { problemType: 'binary', checks: [{ metric: 'auc', threshold: 0.75, comparison: '>=' }], modelCard: { intendedUse: '', riskRating: 'Unknown' } },
    });
    expect(built.definition.Parameters.find((parameter: any) => parameter.Name === 'MetricThreshold')).toEqual({ Name: 'MetricThreshold', Type: 'Float', DefaultValue: 0.75 });
  });

  test('lets the function read the evaluation and bias reports, write only under review/, and read the registry', () => {
    const [policy] = Object.values(built.template.findResources('AWS::IAM::Policy', { Properties: { Roles: [{ Ref: gate.resource.Properties.Role['Fn::GetAtt'][0] }] } }));
    const statements: any[] = policy.Properties.PolicyDocument.Statement;
    expect(statements).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ Action: expect.arrayContaining(['s3:GetObject*']), Resource: ['arn:aws:s3:::team-artifacts', 'arn:aws:s3:::team-artifacts/bias/*', 'arn:aws:s3:::team-artifacts/evaluation/*'] }),
        expect.objectContaining({ Action: expect.arrayContaining(['s3:PutObject']), Resource: 'arn:aws:s3:::team-artifacts/review/*' }),
        expect.objectContaining({
          Action: ['sagemaker:DescribeModelPackage', 'sagemaker:DescribeModelPackageGroup', 'sagemaker:ListModelPackages'],
          Resource: ['arn:aws:sagemaker:eu-west-1:111122223333:model-package-group/team-churn-models', 'arn:aws:sagemaker:eu-west-1:111122223333:model-package/team-churn-models/*'],
        }),
      ]),
    );
    const writes = statements.filter((statement) => [statement.Action].flat().some((action: string) => /^s3:(Put|Delete)/.test(action)));
    expect(writes.map((statement) => statement.Resource)).toEqual(['arn:aws:s3:::team-artifacts/review/*']);
  });

  test("keeps the function's logs a year, encrypted, and retains them", () => {
    built.template.hasResource('AWS::Logs::LogGroup', {
      Properties: { RetentionInDays: 365, KmsKeyId: Match.anyValue() },
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
    });
  });

  test('registers only when Passed, with the card as a draft and the verdict in the metadata; otherwise fails with its message', () => {
    expect(built.steps.CheckReview.Arguments.Conditions).toEqual([{ Type: 'Equals', LeftValue: output('Review', REVIEW_OUTPUT.PASSED), RightValue: true }]);
    const register = built.steps.RegisterModel.Arguments;
    expect(register.ModelCard).toEqual({ ModelCardContent: output('Review', REVIEW_OUTPUT.MODEL_CARD), ModelCardStatus: 'Draft' });
    expect(register.CustomerMetadataProperties).toMatchObject({ ReviewSummary: output('Review', REVIEW_OUTPUT.SUMMARY), ReviewReportUrl: output('Review', REVIEW_OUTPUT.REPORT_URL) });
    expect(register.ModelMetrics).not.toHaveProperty('Bias');
    expect(built.steps.ReviewFailed.Arguments).toEqual({ ErrorMessage: output('Review', REVIEW_OUTPUT.FAILURE_MESSAGE) });
  });
});

describe('TrainingPipeline review props', () => {
  test('puts the checks with their comparisons, the champion margin and the model card in the policy, and the first threshold in MetricThreshold', () => {
    // WHEN
    const built = pipelineWith({
      review: {
        checks: [
          { metric: 'auc', threshold: 0.8 },
          { metric: 'false_positive_rate', threshold: 0.1 },
          { metric: 'f1', threshold: 0.6, comparison: '>' },
        ],
        championMargin: 0.02,
        intendedUse: 'Retention offers only.',
        riskRating: 'High',
      },
    });
    // THEN
    expect(readReviewSettings(gateOf(built).environment).policy).toEqual({
      problemType: 'binary',
      checks: [
        { metric: 'auc', threshold: 0.8, comparison: '>=' },
        { metric: 'false_positive_rate', threshold: 0.1, comparison: '<=' },
        { metric: 'f1', threshold: 0.6, comparison: '>' },
      ],
      championMargin: 0.02,
      modelCard: { intendedUse: 'Retention offers only.', riskRating: 'High' },
    });
    expect(built.steps.Review.Description).toBe(
      'Checks the model (auc >= 0.8, false_positive_rate <= 0.1, f1 > 0.6, not worse than the champion by more than 0.02) and writes its model card.',
    );
    expect(built.definition.Parameters.find((parameter: any) => parameter.Name === 'MetricThreshold').DefaultValue).toBe(0.8);
  });

  test("sets the function's log retention and removal policy from logRetention and removalPolicy", () => {
    const built = pipelineWith({ logRetention: logs.RetentionDays.ONE_WEEK, removalPolicy: RemovalPolicy.DESTROY });
    built.template.hasResource('AWS::Logs::LogGroup', { Properties: { RetentionInDays: 7 }, DeletionPolicy: 'Delete' });
  });
});

describe('TrainingPipeline bias report', () => {
  // GIVEN a bias report on age above 60, with a DPL check
  const bias = { facet: 'age', facetValues: [60], metrics: ['CI' as const, 'DPL' as const] };
  const review = { checks: [{ metric: 'auc', threshold: 0.75 }, { metric: 'DPL', threshold: 0.2 }] };
  const built = pipelineWith({ bias, review });
  const gate = gateOf(built);

  test('runs BiasConfig then BiasReport on the raw data beside feature processing, and the review waits for the report', () => {
    expect(built.pipeline.stepNames).toEqual(['DataProfile', 'FeatureProcessing', 'BiasConfig', 'BiasReport', 'Train', 'Evaluate', 'DataQualityBaseline', 'Review', 'CheckReview', 'RegisterModel', 'ReviewFailed']);
    const graph = Object.fromEntries(built.pipeline.definition.stepGraph().map((node) => [node.name, node.dependsOn]));
    expect(graph.BiasConfig).toEqual([]);
    expect(graph.BiasReport).toEqual(['BiasConfig']);
    expect(graph.Review).toContain('BiasReport');
    expect(validatePipelineDefinition(built.definition)).toEqual([]);
  });

  test("runs SageMaker Clarify's image for the stack's region, isolated and encrypted, writing analysis.json under bias/", () => {
    const args = built.steps.BiasReport.Arguments;
    expect(args.AppSpecification).toEqual({ ImageUri: '131013547314.dkr.ecr.eu-west-1.cfn-reference/sagemaker-clarify-processing:1.0' });
    expect(pipelineWith({ bias, review }, 'us-west-2').steps.BiasReport.Arguments.AppSpecification.ImageUri).toBe('306415355426.dkr.ecr.us-west-2.cfn-reference/sagemaker-clarify-processing:1.0');
    expect(named(args.ProcessingInputs, 'InputName', 'dataset').S3Input).toMatchObject({ S3Uri: { Get: 'Parameters.InputDataUrl' }, LocalPath: '/opt/ml/processing/input/data' });
    expect(named(args.ProcessingOutputConfig.Outputs, 'OutputName', 'analysis').S3Output).toEqual({ S3Uri: perRun('bias'), LocalPath: '/opt/ml/processing/output', S3UploadMode: 'EndOfJob' });
    expect(args.NetworkConfig).toMatchObject({ EnableNetworkIsolation: true, EnableInterContainerTrafficEncryption: true });
    expect(args.ProcessingOutputConfig.KmsKeyId).toBe('cfn-reference');
    expect(args.ProcessingResources.ClusterConfig.VolumeKmsKeyId).toBe('cfn-reference');
  });

  test('reads the analysis configuration the BiasConfig step wrote, from the configuration the function carries', () => {
    // The function writes analysis_config.json under bias-config/<execution>/ and answers the folder ...
    expect(built.steps.BiasConfig).toMatchObject({
      Type: 'Lambda',
      Arguments: { Action: 'WriteBiasAnalysisConfig', OutputUrl: perRun('bias-config') },
      OutputParameters: [{ OutputName: 'ConfigUrl', OutputType: 'String' }],
    });
    expect(stepsByName(definitionOf(built.template, getAttName)).BiasConfig.FunctionArn).toBe(`${gate.functionId}.Arn`);
    // ... which the Clarify job copies to the path the container reads.
    expect(named(built.steps.BiasReport.Arguments.ProcessingInputs, 'InputName', 'analysis_config').S3Input).toMatchObject({
      S3Uri: output('BiasConfig', 'ConfigUrl'),
      LocalPath: '/opt/ml/processing/input/config',
    });
    // The configuration: the label and its positive value, the facet with one numeric value as its threshold, the metrics.
    expect(JSON.parse(gate.environment[REVIEW_ENV.BIAS_ANALYSIS_CONFIG])).toEqual({
      dataset_type: 'text/csv',
      label: 'churn',
      label_values_or_threshold: [1],
      facet: [{ name_or_index: 'age', value_or_threshold: 60 }],
      methods: { pre_training_bias: { methods: ['CI', 'DPL'] } },
    });
    expect(readReviewSettings(gate.environment).biasAnalysisConfig).toEqual(JSON.parse(gate.environment[REVIEW_ENV.BIAS_ANALYSIS_CONFIG]));
  });

  test('hands the report to the review and registers it as the pre-training bias report', () => {
    expect(built.steps.Review.Arguments[REVIEW_REQUEST.BIAS_REPORT_URL]).toEqual(BIAS_REPORT);
    expect(built.steps.RegisterModel.Arguments.ModelMetrics.Bias).toEqual({ PreTrainingReport: { ContentType: 'application/json', S3Uri: BIAS_REPORT } });
    expect(readReviewSettings(gate.environment).policy.checks).toEqual([
      { metric: 'auc', threshold: 0.75, comparison: '>=' },
      { metric: 'DPL', threshold: 0.2, comparison: '<=' },
    ]);
  });

  test('is absent without bias: no steps, no configuration, no report for the review', () => {
    const plain = pipelineWith();
    expect(plain.steps.BiasConfig).toBeUndefined();
    expect(plain.steps.BiasReport).toBeUndefined();
    expect(gateOf(plain).environment).not.toHaveProperty(REVIEW_ENV.BIAS_ANALYSIS_CONFIG);
    expect(JSON.stringify(plain.definition)).not.toMatch(/sagemaker-clarify-processing|Steps\.Bias/);
  });
});

describe('TrainingPipeline refuses review props that cannot work, naming each problem', () => {
  test('lists every problem of the checks at once: unknown metric, wrong direction, bias check without a bias report', () => {
    expect(
      refusalOf({
        review: {
          checks: [
            { metric: 'rmse', threshold: 5 },
            { metric: 'auc', threshold: 0.8, comparison: '<=' },
            { metric: 'DPL', threshold: 0.2 },
          ],
        },
      }),
    ).toBe(
      'TrainingPipeline: ' +
        [
          'review.checks[0].metric: expected a binary metric (auc, accuracy, precision, recall, f0_5, f1, f2, true_positive_rate, true_negative_rate, false_positive_rate, false_negative_rate, CI, DPL, KL, JS, LP, TVD, KS)',
          'review.checks[1].comparison: expected ">=" or ">": auc is better higher, so "<=" would pass worse models',
          'review.checks[2].metric: expected a model metric, or configure a bias report (review.bias) to check DPL',
        ].join('; '),
    );
  });

  test.each<[string, Parameters<typeof refusalOf>[0], string]>([
    ['no checks', { review: { checks: [] } }, 'review.checks: expected at least one check, such as { "metric": "auc", "threshold": ... }'],
    [
      'a regression model without review',
      { problemType: 'regression' },
      "review is not set: a regression model has no default check, so give review.checks, such as [{ metric: 'rmse', threshold: ... }]",
    ],
    [
      'a multiclass model without review',
      { problemType: 'multiclass', numClasses: 3 },
      "review is not set: a multiclass model has no default check, so give review.checks, such as [{ metric: 'accuracy', threshold: ... }]",
    ],
    [
      'a bias check on a metric the report does not compute',
      { bias: { facet: 'age', facetValues: [60] }, review: { checks: [{ metric: 'auc', threshold: 0.75 }, { metric: 'KS', threshold: 0.1 }] } },
      'review.checks gates on KS, which bias.metrics does not compute (CI, DPL)',
    ],
    ['a negative champion margin', { review: { checks: [{ metric: 'auc', threshold: 0.75 }], championMargin: -0.01 } }, 'review.championMargin is -0.01: use a number of at least 0'],
    [
      'a bias report without facet values',
      { bias: { facet: 'age', facetValues: [] }, review: { checks: [{ metric: 'auc', threshold: 0.75 }] } },
      'bias.facetValues is empty: name the facet values of the sensitive group, or one numeric threshold',
    ],
  ])('fails when %s', (_, props, problem) => {
    expect(refusalOf(props)).toBe(`TrainingPipeline: ${problem}`);
  });
});
