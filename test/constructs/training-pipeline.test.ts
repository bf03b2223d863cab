import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Duration, Stack, Stage } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as s3assets from 'aws-cdk-lib/aws-s3-assets';
import { FeatureProcessing, ModelApprovalStatus, ModelRegistry, SageMakerImage, TrainingPipeline, TrainingPipelineProps } from '../../constructs';
import { loadStageConfig } from '../../lib/config-loader';
import { addMlopsStage } from '../../lib/mlops-app';
import { defaultComparison } from '../../lambda/shared/model-metrics';
import { appLikeCli } from '../helpers/app';
import { validatePipelineDefinition } from './pipeline-schema';
import { definitionOf, named, stepsByName } from './training-pipeline-fixture';

const EVALUATE_BASELINE = { Get: "Steps.Evaluate.ProcessingOutputConfig.Outputs['baseline'].S3Output.S3Uri" };
const FEATURES_BASELINE = { Get: "Steps.FeatureProcessing.ProcessingOutputConfig.Outputs['baseline'].S3Output.S3Uri" };

function userStack(region = 'eu-west-1') {
  const stack = new Stack(appLikeCli(), 'TeamStack', { env: { account: '111122223333', region } });
  const encryptionKey = new kms.Key(stack, 'TeamKey', { enableKeyRotation: true });
  const dataBucket = new s3.Bucket(stack, 'TeamData', { encryptionKey, enforceSSL: true });
  const artifactsBucket = new s3.Bucket(stack, 'TeamArtifacts', { encryptionKey, enforceSSL: true });
  return { stack, encryptionKey, dataBucket, artifactsBucket };
}

function pipelineIn(parts: ReturnType<typeof userStack>, props: Partial<TrainingPipelineProps> = {}) {
  return new TrainingPipeline(parts.stack, 'Training', {
    pipelineName: 'team-churn',
    dataBucket: parts.dataBucket,
    artifactsBucket: parts.artifactsBucket,
    encryptionKey: parts.encryptionKey,
    modelRegistry: ModelRegistry.fromModelPackageGroupName(parts.stack, 'TeamModels', 'team-churn-models'),
    ...props,
  });
}

const DATA_PROFILE_OUTPUT = { Get: "Steps.DataProfile.ProcessingOutputConfig.Outputs['profile'].S3Output.S3Uri" };

/** Whether each stage config tunes: dev trains once, staging and prod tune (so both paths stay covered). */
const TUNED_STAGES: Record<string, boolean> = { dev: false, staging: true, prod: true };

describe.each(['dev', 'staging', 'prod'])('the %s pipeline definition', (stage) => {
  const config = loadStageConfig({ stage });
  const stack = addMlopsStage(appLikeCli(), config);
  const definition = definitionOf(Template.fromStack(stack));
  const steps = stepsByName(definition);
  const tuned = TUNED_STAGES[stage];
  /** Whether the stage computes a bias report (prod): BiasConfig and BiasReport steps, a bias check. */
  const biased = config.review.bias !== undefined;
  /** The step that produces the model: Tune when the stage tunes, Train otherwise. */
  const trainName = tuned ? 'Tune' : 'Train';
  /** The training job request: Train's arguments, or the training job definition of Tune's. */
  const trainingJob = () => (tuned ? steps.Tune.Arguments.TrainingJobDefinition : steps.Train.Arguments);

  test('is valid against the published SageMaker schema', () => {
    expect(validatePipelineDefinition(definition)).toEqual([]);
  });

  test(`${tuned ? 'tunes' : 'trains once'} as the stage config says`, () => {
    expect(config.training.tuning.enabled).toBe(tuned);
    expect(steps[trainName].Type).toBe(tuned ? 'Tuning' : 'Training');
    expect(steps[tuned ? 'Train' : 'Tune']).toBeUndefined();
  });

  test(`runs data profile and feature processing${biased ? ' and the bias report' : ''} → train or tune → evaluate → baseline → review → condition → register or fail`, () => {
    const bias = biased ? ['BiasConfig', 'BiasReport'] : [];
    expect(stack.pipeline.definition.stepGraph().map((node) => [node.name, node.dependsOn])).toEqual([
      ['DataProfile', []],
      ['FeatureProcessing', []],
      ...(biased
        ? [
            ['BiasConfig', []],
            ['BiasReport', ['BiasConfig']],
          ]
        : []),
      [trainName, ['FeatureProcessing']],
      ['Evaluate', ['FeatureProcessing', trainName]],
      ['DataQualityBaseline', ['Evaluate']],
      // The review reads the reports (and the model's URI, for the card) and waits for the baseline registration needs.
      ['Review', [...(biased ? ['BiasReport'] : []), trainName, 'Evaluate', 'DataQualityBaseline']],
      ['CheckReview', ['Review']],
      ['RegisterModel', expect.arrayContaining(['CheckReview', 'Review', 'DataProfile', trainName, 'Evaluate', 'DataQualityBaseline', ...(biased ? ['BiasReport'] : [])])],
      ['ReviewFailed', ['Review', 'CheckReview']],
    ]);
    expect(definition.Steps.map((step: any) => step.Name)).toEqual(['DataProfile', 'FeatureProcessing', ...bias, trainName, 'Evaluate', 'DataQualityBaseline', 'Review', 'CheckReview']);
    // stepNames is this pipeline's run order; STEP_NAMES lists every step, Train where Tune may stand.
    expect(stack.pipeline.stepNames).toEqual(stack.pipeline.definition.stepGraph().map((node) => node.name));
    expect(stack.pipeline.stepNames).toEqual(TrainingPipeline.STEP_NAMES.filter((name) => biased || !name.startsWith('Bias')).map((name) => (name === 'Train' ? trainName : name)));
    expect(Object.keys(steps).sort()).toEqual([...stack.pipeline.stepNames].sort());
  });

  test('profiles the raw data the run reads, in the XGBoost image, and links the profile from the registered package', () => {
    const profile = steps.DataProfile;
    expect(profile.Type).toBe('Processing');
    expect(profile.DependsOn).toBeUndefined();
    const args = profile.Arguments;
    expect(args.AppSpecification.ImageUri).toMatch(/\/sagemaker-xgboost:1\.7-1$/);
    expect(args.AppSpecification.ContainerEntrypoint).toEqual(['python3', expect.stringMatching(/^\/opt\/ml\/processing\/input\/code\/[0-9a-f]{64}\.py$/)]);
    expect(args.ProcessingInputs.map((input: any) => input.InputName)).toEqual(['raw', 'code']);
    expect(named(args.ProcessingInputs, 'InputName', 'raw').S3Input).toEqual({
      S3Uri: { Get: 'Parameters.InputDataUrl' },
      LocalPath: '/opt/ml/processing/input/raw',
      S3DataType: 'S3Prefix',
      S3InputMode: 'File',
      S3DataDistributionType: 'FullyReplicated',
    });
    expect(named(args.ProcessingInputs, 'InputName', 'code').S3Input.LocalPath).toBe('/opt/ml/processing/input/code');
    expect(args.ProcessingOutputConfig.Outputs).toEqual([
      {
        OutputName: 'profile',
        S3Output: {
          S3Uri: { 'Std:Join': { On: '/', Values: ['s3://cfn-reference/profiles', { Get: 'Execution.PipelineExecutionId' }] } },
          LocalPath: '/opt/ml/processing/profile',
          S3UploadMode: 'EndOfJob',
        },
      },
    ]);
    expect(steps.RegisterModel.Arguments.CustomerMetadataProperties.DataProfileUrl).toEqual(DATA_PROFILE_OUTPUT);
  });

  test("baselines data quality on Evaluate's copy of the feature baseline, whose first column holds the model's predictions", () => {
    // Evaluate reads the feature step's baseline (label first) next to the test split, before its code ...
    const evaluate = steps.Evaluate.Arguments;
    expect(evaluate.ProcessingInputs.map((input: any) => input.InputName)).toEqual(['model', 'test', 'baseline', 'code']);
    expect(named(evaluate.ProcessingInputs, 'InputName', 'baseline').S3Input).toEqual({
      S3Uri: FEATURES_BASELINE,
      LocalPath: '/opt/ml/processing/baseline_input',
      S3DataType: 'S3Prefix',
      S3InputMode: 'File',
      S3DataDistributionType: 'FullyReplicated',
    });
    // ... and writes it again, predictions first, to an output of its own in the data bucket's features prefix, per run.
    expect(evaluate.ProcessingOutputConfig.Outputs.map((output: any) => output.OutputName)).toEqual(['evaluation', 'baseline']);
    expect(named(evaluate.ProcessingOutputConfig.Outputs, 'OutputName', 'baseline').S3Output).toEqual({
      S3Uri: { 'Std:Join': { On: '/', Values: ['s3://cfn-reference/features', { Get: 'Execution.PipelineExecutionId' }, 'prediction-baseline'] } },
      LocalPath: '/opt/ml/processing/baseline',
      S3UploadMode: 'EndOfJob',
    });

    // DataQualityBaseline analyzes that output, not the feature step's ...
    const [input] = steps.DataQualityBaseline.Arguments.ProcessingInputs;
    expect(steps.DataQualityBaseline.Arguments.ProcessingInputs).toHaveLength(1);
    expect(input).toMatchObject({ InputName: 'baseline_dataset_input', S3Input: { S3Uri: EVALUATE_BASELINE } });
    expect(JSON.stringify(steps.DataQualityBaseline.Arguments)).not.toContain('Steps.FeatureProcessing');

    // ... and the registered package names it as the data its baseline came from.
    expect(steps.RegisterModel.Arguments.CustomerMetadataProperties.BaselineDataUrl).toEqual(EVALUATE_BASELINE);
  });

  test("reviews with the stage's checks and champion margin, a run overriding the first check's threshold, and registers only what passed", () => {
    // The function's policy: the stage's checks with their comparisons resolved, the margin, the card.
    const [gate] = Object.values(Template.fromStack(stack).findResources('AWS::Lambda::Function', { Properties: { Environment: { Variables: { REVIEW_POLICY: Match.anyValue() } } } }));
    expect(JSON.parse(gate.Properties.Environment.Variables.REVIEW_POLICY)).toEqual({
      problemType: 'binary',
      checks: config.review.checks.map((check) => ({ ...check, comparison: check.comparison ?? defaultComparison('binary', check.metric) })),
      ...(config.review.championMargin !== undefined && { championMargin: config.review.championMargin }),
      modelCard: config.review.modelCard,
    });
    // The first check's threshold is the MetricThreshold parameter's default.
    const threshold = definition.Parameters.find((parameter: any) => parameter.Name === 'MetricThreshold');
    expect(threshold).toEqual({ Name: 'MetricThreshold', Type: 'Float', DefaultValue: config.review.checks[0].threshold });
    expect(steps.Review).toMatchObject({ Type: 'Lambda', FunctionArn: 'cfn-reference' });
    expect(steps.Review.Arguments).toMatchObject({
      EvaluationReportUrl: { 'Std:Join': { On: '/', Values: [{ Get: "Steps.Evaluate.ProcessingOutputConfig.Outputs['evaluation'].S3Output.S3Uri" }, 'evaluation.json'] } },
      BiasReportUrl: biased ? { 'Std:Join': { On: '/', Values: [{ Get: "Steps.BiasReport.ProcessingOutputConfig.Outputs['analysis'].S3Output.S3Uri" }, 'analysis.json'] } } : '',
      FirstCheckThreshold: { Get: 'Parameters.MetricThreshold' },
      PipelineExecutionId: { Get: 'Execution.PipelineExecutionId' },
      TriggerReason: { Get: 'Parameters.TriggerReason' },
    });
    expect(steps.CheckReview.Arguments.Conditions).toEqual([{ Type: 'Equals', LeftValue: { Get: "Steps.Review.OutputParameters['Passed']" }, RightValue: true }]);
    expect(steps.CheckReview.Arguments.IfSteps.map((step: any) => step.Name)).toEqual(['RegisterModel']);
    expect(steps.CheckReview.Arguments.ElseSteps.map((step: any) => step.Name)).toEqual(['ReviewFailed']);
  });

  test('registers in the stage group with the stage approval status, metrics, model card and input data', () => {
    const approval = definition.Parameters.find((parameter: any) => parameter.Name === 'ModelApprovalStatus');
    expect(approval.DefaultValue).toBe(config.approval.mode === 'auto' ? 'Approved' : 'PendingManualApproval');
    const args = steps.RegisterModel.Arguments;
    expect(args.ModelPackageGroupName).toBe(`churn-${stage}-models`);
    expect(args.ModelApprovalStatus).toEqual({ Get: 'Parameters.ModelApprovalStatus' });
    expect(args.ModelMetrics.ModelQuality.Statistics.S3Uri).toEqual({
      'Std:Join': { On: '/', Values: [{ Get: "Steps.Evaluate.ProcessingOutputConfig.Outputs['evaluation'].S3Output.S3Uri" }, 'evaluation.json'] },
    });
    expect(args.CustomerMetadataProperties.InputDataUrl).toEqual({ Get: 'Parameters.InputDataUrl' });
    expect(args.ModelMetrics.ModelDataQuality.Constraints.S3Uri).toEqual({
      'Std:Join': { On: '/', Values: [{ Get: "Steps.DataQualityBaseline.ProcessingOutputConfig.Outputs['baseline'].S3Output.S3Uri" }, 'constraints.json'] },
    });
    // Clarify's pre-training report when the stage computes one (the deployer and the registry show it as the model's bias).
    expect(args.ModelMetrics.Bias).toEqual(
      biased
        ? { PreTrainingReport: { ContentType: 'application/json', S3Uri: steps.Review.Arguments.BiasReportUrl } }
        : undefined,
    );
    // The card the review gate wrote, as a draft for the approver to complete.
    expect(args.ModelCard).toEqual({ ModelCardContent: { Get: "Steps.Review.OutputParameters['ModelCardContent']" }, ModelCardStatus: 'Draft' });
    // The model: Train's artifacts, or the best tuning job's model as the SDK's get_top_model_s3_uri builds it.
    const model = tuned
      ? { 'Std:Join': { On: '/', Values: ['s3://cfn-reference/models', { Get: 'Execution.PipelineExecutionId' }, { Get: 'Steps.Tune.TrainingJobSummaries[0].TrainingJobName' }, 'output/model.tar.gz'] } }
      : { Get: 'Steps.Train.ModelArtifacts.S3ModelArtifacts' };
    expect(args.InferenceSpecification.Containers[0].ModelDataUrl).toEqual(model);
    expect(named(steps.Evaluate.Arguments.ProcessingInputs, 'InputName', 'model').S3Input.S3Uri).toEqual(model);
  });

  test(`records ${tuned ? 'the best training job and each tuned value' : 'no tuning'} in the package metadata, with the data profile`, () => {
    const metadata = steps.RegisterModel.Arguments.CustomerMetadataProperties;
    // Only a tuned stage's ranges are tuned (dev's config has the default ranges, unused).
    const tunedNames = tuned ? Object.keys(config.training.tuning.ranges) : [];
    expect(metadata).toEqual({
      InputDataUrl: { Get: 'Parameters.InputDataUrl' },
      TriggerReason: { Get: 'Parameters.TriggerReason' },
      PipelineExecutionId: { Get: 'Execution.PipelineExecutionId' },
      BaselineDataUrl: EVALUATE_BASELINE,
      ReviewSummary: { Get: "Steps.Review.OutputParameters['Summary']" },
      ReviewReportUrl: { Get: "Steps.Review.OutputParameters['ReviewReportUrl']" },
      DataProfileUrl: DATA_PROFILE_OUTPUT,
      ...(tuned && {
        BestTrainingJob: { Get: 'Steps.Tune.BestTrainingJob.TrainingJobName' },
        ...Object.fromEntries(tunedNames.map((name) => [`TunedHyperParameter:${name}`, { Get: `Steps.Tune.BestTrainingJob.TunedHyperParameters['${name}']` }])),
      }),
    });
  });

  test("fails with the review's message, which names every failed check", () => {
    expect(steps.ReviewFailed).toEqual({ Name: 'ReviewFailed', Type: 'Fail', Arguments: { ErrorMessage: { Get: "Steps.Review.OutputParameters['FailureMessage']" } } });
  });

  test('encrypts volumes and outputs and isolates every job', () => {
    for (const name of ['DataProfile', 'FeatureProcessing', 'DataQualityBaseline', 'Evaluate', ...(biased ? ['BiasReport'] : [])]) {
      const args = steps[name].Arguments;
      expect(args.ProcessingResources.ClusterConfig.VolumeKmsKeyId).toBe('cfn-reference');
      expect(args.ProcessingOutputConfig.KmsKeyId).toBe('cfn-reference');
      expect(args.NetworkConfig).toMatchObject({ EnableNetworkIsolation: true, EnableInterContainerTrafficEncryption: true });
    }
    // Train's job, or each training job Tune launches.
    const train = trainingJob();
    expect(train).toMatchObject({ EnableNetworkIsolation: true, EnableInterContainerTrafficEncryption: true });
    expect(train.ResourceConfig.VolumeKmsKeyId).toBe('cfn-reference');
    expect(train.OutputDataConfig.KmsKeyId).toBe('cfn-reference');
  });

  test('trains on spot with checkpoints and a max wait exactly when the stage asks for it', () => {
    const train = trainingJob();
    expect(train.EnableManagedSpotTraining).toBe(config.training.useSpotInstances);
    if (config.training.useSpotInstances) {
      expect(train.StoppingCondition).toEqual({ MaxRuntimeInSeconds: config.training.maxRuntimeMinutes * 60, MaxWaitTimeInSeconds: config.training.maxWaitMinutes * 60 });
      expect(train.CheckpointConfig.S3Uri['Std:Join'].Values[0]).toMatch(/\/checkpoints$/);
    } else {
      expect(train.StoppingCondition).toEqual({ MaxRuntimeInSeconds: config.training.maxRuntimeMinutes * 60 });
      expect(train.CheckpointConfig).toBeUndefined();
    }
  });

  test('lets a run override input location, instance types and threshold', () => {
    expect(definition.Parameters.map((parameter: any) => parameter.Name)).toEqual([
      'InputDataUrl',
      'TriggerReason',
      'ProcessingInstanceType',
      'ProcessingInstanceCount',
      'TrainingInstanceType',
      'MetricThreshold',
      'ModelApprovalStatus',
    ]);
    expect(steps.FeatureProcessing.Arguments.ProcessingInputs[0].S3Input).toMatchObject({
      S3Uri: { Get: 'Parameters.InputDataUrl' },
      S3DataDistributionType: 'ShardedByS3Key',
    });
    expect(named(steps.DataProfile.Arguments.ProcessingInputs, 'InputName', 'raw').S3Input.S3Uri).toEqual({ Get: 'Parameters.InputDataUrl' });
    expect(trainingJob().ResourceConfig.InstanceType).toEqual({ Get: 'Parameters.TrainingInstanceType' });
  });

  test('retries capacity and internal errors of every job step', () => {
    for (const name of ['DataProfile', 'FeatureProcessing', 'DataQualityBaseline', trainName, 'Evaluate', ...(biased ? ['BiasReport'] : [])]) {
      expect(steps[name].RetryPolicies).toEqual([
        expect.objectContaining({ ExceptionType: expect.arrayContaining(['SageMaker.CAPACITY_ERROR', 'SageMaker.JOB_INTERNAL_ERROR']), MaxAttempts: 4 }),
      ]);
    }
  });
});

describe('TrainingPipeline', () => {
  test('composes alone in a user stack with the user\'s own buckets and key', () => {
    // GIVEN
    const parts = userStack();
    // WHEN
    const pipeline = pipelineIn(parts, { review: { checks: [{ metric: 'f1', threshold: 0.6 }] }, modelApprovalStatus: ModelApprovalStatus.APPROVED });
    const grantee = new iam.Role(parts.stack, 'Scheduler', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
    pipeline.grantStartExecution(grantee);
    // THEN
    const template = Template.fromStack(parts.stack);
    template.hasResourceProperties('AWS::SageMaker::Pipeline', { PipelineName: 'team-churn', RoleArn: Match.anyValue() });
    const definition = definitionOf(template);
    expect(validatePipelineDefinition(definition)).toEqual([]);
    expect(stepsByName(definition).Review.Description).toBe('Checks the model (f1 >= 0.6) and writes its model card.');
    expect(definition.Parameters.find((parameter: any) => parameter.Name === 'MetricThreshold').DefaultValue).toBe(0.6);
    // The default image comes from the region's SageMaker registry account.
    expect(JSON.stringify(definition)).toContain('141502667606.dkr.ecr.eu-west-1.cfn-reference/sagemaker-xgboost:1.7-1');
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: [
          Match.objectLike({
            // Sorted: the minimizePolicies feature flag orders actions.
            Action: ['sagemaker:DescribePipelineExecution', 'sagemaker:ListPipelineExecutionSteps', 'sagemaker:ListPipelineExecutions', 'sagemaker:StartPipelineExecution'],
            Resource: ['arn:aws:sagemaker:eu-west-1:111122223333:pipeline/team-churn', 'arn:aws:sagemaker:eu-west-1:111122223333:pipeline/team-churn/execution/*'],
          }),
        ],
      },
      Roles: [{ Ref: parts.stack.getLogicalId(grantee.node.defaultChild as never) }],
    });
  });

  describe('execution role', () => {
    const parts = userStack();
    const pipeline = pipelineIn(parts);
    const template = Template.fromStack(parts.stack);
    const roleId = parts.stack.getLogicalId(pipeline.role.node.defaultChild as never);
    const statements: any[] = Object.values(template.findResources('AWS::IAM::Policy')).find((policy) => JSON.stringify(policy.Properties.Roles).includes(roleId))!.Properties
      .PolicyDocument.Statement;

    test('has no managed policies (no AmazonSageMakerFullAccess)', () => {
      expect(template.toJSON().Resources[roleId].Properties.ManagedPolicyArns).toBeUndefined();
    });

    test('has no wildcard action, and * as resource only for PutMetricData limited by namespace', () => {
      for (const statement of statements) {
        for (const action of [statement.Action].flat()) expect(action).not.toMatch(/^(\*|[a-z0-9-]+:\*)$/);
      }
      const onEverything = statements.filter((statement) => [statement.Resource].flat().includes('*'));
      expect(onEverything).toEqual([
        expect.objectContaining({ Action: 'cloudwatch:PutMetricData', Condition: { StringLike: { 'cloudwatch:namespace': ['/aws/sagemaker/*', 'aws/sagemaker/*'] } } }),
      ]);
    });

    test('may pass only itself, and only to SageMaker', () => {
      const passRole = statements.filter((statement) => [statement.Action].flat().includes('iam:PassRole'));
      expect(passRole).toEqual([
        expect.objectContaining({
          Resource: { 'Fn::GetAtt': [roleId, 'Arn'] },
          Condition: { StringEquals: { 'iam:PassedToService': 'sagemaker.amazonaws.com' } },
        }),
      ]);
    });

    test('starts only jobs SageMaker Pipelines names, and registers only in its group', () => {
      expect(statements).toEqual(
        expect.arrayContaining([
          expect.objectContaining({
            Sid: 'RunPipelineJobs',
            Resource: ['arn:aws:sagemaker:eu-west-1:111122223333:processing-job/pipelines-*', 'arn:aws:sagemaker:eu-west-1:111122223333:training-job/pipelines-*'],
          }),
          expect.objectContaining({
            Action: ['sagemaker:AddTags', 'sagemaker:CreateModelPackage', 'sagemaker:DescribeModelPackage'],
            Resource: [
              'arn:aws:sagemaker:eu-west-1:111122223333:model-package-group/team-churn-models',
              'arn:aws:sagemaker:eu-west-1:111122223333:model-package/team-churn-models/*',
            ],
          }),
        ]),
      );
    });

    test('may invoke the review gate function (its Review step) and no other', () => {
      const functionId = parts.stack.getLogicalId(pipeline.reviewFunction.function.node.defaultChild as never);
      const invoke = statements.filter((statement) => [statement.Action].flat().some((action: string) => action.startsWith('lambda:')));
      expect(invoke).toEqual([
        expect.objectContaining({
          Action: 'lambda:InvokeFunction',
          Resource: [{ 'Fn::GetAtt': [functionId, 'Arn'] }, { 'Fn::Join': ['', [{ 'Fn::GetAtt': [functionId, 'Arn'] }, ':*']] }],
        }),
      ]);
    });

    test('may not run tuning jobs when the pipeline does not tune', () => {
      expect(statements.filter((statement) => statement.Sid === 'RunTuningJobs')).toEqual([]);
      expect(JSON.stringify(statements)).not.toMatch(/HyperParameterTuningJob|hyper-parameter-tuning-job/);
    });
  });

  describe('data profile', () => {
    test('is the first step by default, reading the InputDataUrl the run was given, and the registered package links its output', () => {
      // GIVEN an artifacts bucket named at synth
      const parts = userStack();
      const artifactsBucket = s3.Bucket.fromBucketName(parts.stack, 'NamedArtifacts', 'team-artifacts');
      // WHEN
      const pipeline = pipelineIn(parts, { artifactsBucket });
      // THEN
      const definition = definitionOf(Template.fromStack(parts.stack));
      const steps = stepsByName(definition);
      expect(pipeline.stepNames).toEqual(TrainingPipeline.STEP_NAMES.filter((name) => !name.startsWith('Bias')));
      expect(pipeline.stepNames[0]).toBe('DataProfile');
      expect(definition.Steps[0].Name).toBe('DataProfile');
      expect(named(steps.DataProfile.Arguments.ProcessingInputs, 'InputName', 'raw').S3Input).toMatchObject({
        S3Uri: { Get: 'Parameters.InputDataUrl' },
        LocalPath: '/opt/ml/processing/input/raw',
      });
      expect(named(steps.DataProfile.Arguments.ProcessingOutputConfig.Outputs, 'OutputName', 'profile').S3Output).toEqual({
        S3Uri: { 'Std:Join': { On: '/', Values: ['s3://team-artifacts/profiles', { Get: 'Execution.PipelineExecutionId' }] } },
        LocalPath: '/opt/ml/processing/profile',
        S3UploadMode: 'EndOfJob',
      });
      expect(steps.RegisterModel.Arguments.CustomerMetadataProperties.DataProfileUrl).toEqual(DATA_PROFILE_OUTPUT);
      // Registering waits for the profile, since the package links it.
      expect(pipeline.definition.stepGraph().find((node) => node.name === 'RegisterModel')!.dependsOn).toContain('DataProfile');
      expect(validatePipelineDefinition(definition)).toEqual([]);
    });

    test('runs ml/profile.py shipped with the package: the code input is its asset, the entrypoint its file name', () => {
      const parts = userStack();
      const pipeline = pipelineIn(parts);
      const template = Template.fromStack(parts.stack);
      const steps = stepsByName(definitionOf(template));
      const script = pipeline.node.findChild('DataProfileScript') as s3assets.Asset;
      expect(steps.DataProfile.Arguments.AppSpecification.ContainerEntrypoint).toEqual(['python3', `/opt/ml/processing/input/code/${script.s3ObjectKey}`]);
      expect(named(steps.DataProfile.Arguments.ProcessingInputs, 'InputName', 'code').S3Input).toMatchObject({
        S3Uri: script.s3ObjectUrl,
        LocalPath: '/opt/ml/processing/input/code',
      });
      const outdir = Stage.of(parts.stack)!.outdir;
      expect(readFileSync(join(outdir, script.assetPath), 'utf8')).toBe(readFileSync(join(__dirname, '..', '..', 'ml', 'profile.py'), 'utf8'));
    });

    test('dataProfile false leaves the step out, and the package has no DataProfileUrl', () => {
      // GIVEN / WHEN
      const parts = userStack();
      const pipeline = pipelineIn(parts, { dataProfile: false });
      // THEN
      const definition = definitionOf(Template.fromStack(parts.stack));
      const steps = stepsByName(definition);
      expect(pipeline.stepNames).toEqual(TrainingPipeline.STEP_NAMES.filter((name) => name !== 'DataProfile' && !name.startsWith('Bias')));
      expect(Object.keys(steps).sort()).toEqual([...pipeline.stepNames].sort());
      expect(steps.DataProfile).toBeUndefined();
      expect(steps.RegisterModel.Arguments.CustomerMetadataProperties).not.toHaveProperty('DataProfileUrl');
      expect(JSON.stringify(definition)).not.toContain('Steps.DataProfile');
      expect(pipeline.definition.stepGraph().find((node) => node.name === 'RegisterModel')!.dependsOn).not.toContain('DataProfile');
      expect(pipeline.node.tryFindChild('DataProfileScript')).toBeUndefined();
      expect(validatePipelineDefinition(definition)).toEqual([]);
    });
  });

  test('trains distributed on several instances and runs jobs in a VPC when given one', () => {
    const parts = userStack();
    const vpc = new (require('aws-cdk-lib/aws-ec2').Vpc)(parts.stack, 'Vpc', { maxAzs: 2, natGateways: 0, subnetConfiguration: [{ name: 'jobs', subnetType: 'Isolated' }] });
    pipelineIn(parts, { trainingInstanceCount: 4, vpc, vpcSubnets: { subnetType: 'Isolated' as never } });
    const definition = definitionOf(Template.fromStack(parts.stack));
    const train = stepsByName(definition).Train;
    expect(train.Arguments.ResourceConfig.InstanceCount).toBe(4);
    expect(train.Arguments.VpcConfig).toEqual({ SecurityGroupIds: ['cfn-reference'], Subnets: ['cfn-reference', 'cfn-reference'] });
  });

  test("writes Evaluate's prediction baseline under the user's data bucket and features prefix", () => {
    // GIVEN buckets whose names are known at synth, so the URI shows which bucket it is in
    const parts = userStack();
    const dataBucket = s3.Bucket.fromBucketName(parts.stack, 'NamedData', 'team-data');
    const artifactsBucket = s3.Bucket.fromBucketName(parts.stack, 'NamedArtifacts', 'team-artifacts');

    // WHEN
    pipelineIn(parts, { dataBucket, artifactsBucket, featuresPrefix: 'team-features/' });

    // THEN
    const steps = stepsByName(definitionOf(Template.fromStack(parts.stack)));
    const outputs = steps.Evaluate.Arguments.ProcessingOutputConfig.Outputs;
    expect(named(outputs, 'OutputName', 'baseline').S3Output.S3Uri).toEqual({
      'Std:Join': { On: '/', Values: ['s3://team-data/team-features', { Get: 'Execution.PipelineExecutionId' }, 'prediction-baseline'] },
    });
    expect(named(outputs, 'OutputName', 'evaluation').S3Output.S3Uri).toEqual({
      'Std:Join': { On: '/', Values: ['s3://team-artifacts/evaluation', { Get: 'Execution.PipelineExecutionId' }] },
    });
    expect(named(steps.Evaluate.Arguments.ProcessingInputs, 'InputName', 'baseline').S3Input.S3Uri).toEqual(FEATURES_BASELINE);
    expect(steps.DataQualityBaseline.Arguments.ProcessingInputs[0].S3Input.S3Uri).toEqual(EVALUATE_BASELINE);
    expect(steps.RegisterModel.Arguments.CustomerMetadataProperties.BaselineDataUrl).toEqual(EVALUATE_BASELINE);
  });

  test('accepts any image by URI for training', () => {
    const parts = userStack();
    pipelineIn(parts, { trainingImage: SageMakerImage.fromRegistry('111122223333.dkr.ecr.eu-west-1.amazonaws.com/team/train:2') });
    expect(JSON.stringify(definitionOf(Template.fromStack(parts.stack)))).toContain('team/train:2');
  });

  test('fails when checks, spot settings and instance count are wrong, listing every problem', () => {
    const parts = userStack();
    expect(() =>
      pipelineIn(parts, {
        review: {
          checks: [
            { metric: 'auc', threshold: Number.POSITIVE_INFINITY },
            { metric: '', threshold: 0.5 },
          ],
        },
        useSpotInstances: true,
        maxRuntime: Duration.hours(2),
        maxWait: Duration.hours(1),
        trainingInstanceCount: 0,
      }),
    ).toThrow(
      new RegExp(
        [
          'review\\.checks\\[0\\]\\.threshold: expected a finite number',
          'review\\.checks\\[1\\]\\.metric: expected a binary metric \\(auc, ',
          'trainingInstanceCount is 0: use a whole number of at least 1',
          'useSpotInstances is true but checkpointPrefix is not set',
          'maxWait \\(1 hour\\) is shorter than maxRuntime \\(2 hours\\)',
        ].join('.*'),
      ),
    );
  });

  test('fails when the default image is asked for in a region SageMaker does not serve', () => {
    expect(() => pipelineIn(userStack('xx-nowhere-1'))).toThrow(/SageMaker does not publish sagemaker-scikit-learn in region xx-nowhere-1: supported regions are af-south-1, .*us-west-2; or pass your own image/);
  });

  test("encrypts with the artifacts bucket's key when no key is given", () => {
    const parts = userStack();
    const pipeline = pipelineIn(parts, { encryptionKey: undefined });
    expect(pipeline.encryptionKey).toBe(parts.encryptionKey);
  });

  test('fails, saying what to pass, when no key is given and the artifacts bucket has none', () => {
    const parts = userStack();
    const artifactsBucket = new s3.Bucket(parts.stack, 'S3Managed', { encryption: s3.BucketEncryption.S3_MANAGED, enforceSSL: true });
    expect(() => pipelineIn(parts, { encryptionKey: undefined, artifactsBucket })).toThrow(
      'TrainingPipeline: encryptionKey is not set and artifactsBucket has no KMS key to default to: pass encryptionKey',
    );
  });

  test('fails when the region is unknown at synth, since the default image is per region', () => {
    const stack = new Stack(appLikeCli(), 'Agnostic');
    const encryptionKey = new kms.Key(stack, 'Key');
    const bucket = new s3.Bucket(stack, 'Bucket');
    expect(
      () => new TrainingPipeline(stack, 'Training', { pipelineName: 'p', dataBucket: bucket, artifactsBucket: bucket, encryptionKey, modelRegistry: ModelRegistry.fromModelPackageGroupName(stack, 'Models', 'g') }),
    ).toThrow(/give the stack an explicit region/);
  });

  test('fails when the feature processing instance type is not a processing type', () => {
    expect(() => new FeatureProcessing(new Stack(appLikeCli(), 'S'), 'Features', { instanceType: 'ml.p4d.24xlarge', instanceCount: 0 })).toThrow(
      /instanceType "ml\.p4d\.24xlarge" is not an instance type SageMaker offers for processing jobs by @aws-sdk\/client-sagemaker [\d.]+: use one such as .*; instanceCount is 0/,
    );
  });
});
