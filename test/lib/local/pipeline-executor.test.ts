import { Template } from 'aws-cdk-lib/assertions';
import type { JsonObject } from '../../../constructs/pipeline-definition';
import { loadStageConfig } from '../../../lib/config-loader';
import {
  PipelineClock,
  PipelineDefinitionDocument,
  PipelineEvent,
  PipelineRunRefusedError,
  runPipeline,
  RunPipelineOptions,
  StepDocument,
  StepRunners,
  StepRunnerError,
  StepRunOutcome,
  StepRunRequest,
} from '../../../lib/local/pipeline-executor';
import { addMlopsStage } from '../../../lib/mlops-app';
import { CfnTemplate, ResolvedTemplate } from '../../../lib/resolved-template';
import { appLikeCli } from '../../helpers/app';

// The executor on the definitions the stacks deploy: each stage's stack is built in-process, its
// template resolved for one imagined account (the wiring check's resolver), and the pipeline's
// PipelineDefinitionBody run with fake runners that record what they receive and answer as
// SageMaker's Describe* calls would, and as the review gate answers its Lambda steps. Property
// files and Std:JsonGet conditions, which the stage definitions no longer use, run on a small
// definition of their own.

const ACCOUNT = '111122223333';

interface StagePipeline {
  readonly definition: PipelineDefinitionDocument;
  readonly pipelineName: string;
  readonly region: string;
}

function stagePipeline(stage: string): StagePipeline {
  const stack = addMlopsStage(appLikeCli(), loadStageConfig({ stage }));
  const template = new ResolvedTemplate(Template.fromStack(stack).toJSON() as CfnTemplate, {
    account: ACCOUNT,
    region: stack.region,
    partition: 'aws',
  });
  const [pipeline] = template.ofType('AWS::SageMaker::Pipeline');
  const body = (pipeline.properties.PipelineDefinition as { PipelineDefinitionBody: string }).PipelineDefinitionBody;
  return { definition: JSON.parse(body), pipelineName: String(pipeline.properties.PipelineName), region: stack.region };
}

/** A clock that never waits: sleeping moves time on and is recorded. */
class FakeClock implements PipelineClock {
  public readonly sleeps: number[] = [];
  private time = Date.parse('2026-03-01T10:00:00.000Z');

  public now(): Date {
    return new Date(this.time);
  }

  public async sleep(seconds: number): Promise<void> {
    this.sleeps.push(seconds);
    this.advance(seconds);
  }

  public advance(seconds: number): void {
    this.time += seconds * 1000;
  }
}

type Outcome = StepRunOutcome;

/**
 * Runners that record each request and answer like DescribeProcessingJob / DescribeTrainingJob
 * (the request echoed, plus the job's name and results), DescribeHyperParameterTuningJob with
 * ListTrainingJobsForHyperParameterTuningJob's TrainingJobSummaries (best first),
 * CreateModelPackage, and the review gate's function (Lambda steps: BiasConfig's ConfigUrl, the
 * Review's verdict on `auc`).
 */
class FakeSageMaker {
  public readonly calls: StepRunRequest[] = [];
  /** Property file text by name, as the job would write it. */
  public files: { [name: string]: string } = {};
  /** The auc the fake review gate reads from the evaluation report: the Review passes when it is at least FirstCheckThreshold. */
  public auc = 0.9;
  /** The objective metric of each training job a tuning step launches, in launch order. */
  public tuningScores: number[] = [0.81, 0.86, 0.79];
  /** Errors to throw, per step, on its successive attempts. */
  public failures: { [step: string]: Error[] } = {};
  /** Replaces the properties a step returns. */
  public properties: { [step: string]: JsonObject } = {};

  constructor(private readonly clock: FakeClock) {}

  public runners(...types: string[]): StepRunners {
    const all: StepRunners = {
      Processing: (request) =>
        this.answer(request, () => ({
          properties: {
            ...request.arguments,
            ProcessingJobName: jobName(request),
            ProcessingJobArn: `arn:aws:sagemaker:us-east-1:${ACCOUNT}:processing-job/${jobName(request)}`,
            ProcessingJobStatus: 'Completed',
          },
          propertyFiles: Object.fromEntries(
            request.propertyFiles.filter((file) => file.PropertyFileName in this.files).map((file) => [file.PropertyFileName, this.files[file.PropertyFileName]]),
          ),
        })),
      Training: (request) =>
        this.answer(request, () => {
          const output = request.arguments.OutputDataConfig as JsonObject;
          return {
            properties: {
              ...request.arguments,
              TrainingJobName: jobName(request),
              TrainingJobStatus: 'Completed',
              ModelArtifacts: { S3ModelArtifacts: `${output.S3OutputPath}/${jobName(request)}/output/model.tar.gz` },
            },
          };
        }),
      Tuning: (request) =>
        this.answer(request, () => {
          const config = request.arguments.HyperParameterTuningJobConfig as Record<string, any>;
          const objective = config.HyperParameterTuningJobObjective;
          // Tuning job names have at most 32 characters and prefix their training jobs' names.
          const tuningJobName = jobName(request).replace(/^pipelines-/, '').slice(0, 32);
          const summaries = this.tuningScores.map((score, index) => ({
            TrainingJobName: `${tuningJobName}-${String(index + 1).padStart(3, '0')}`,
            TrainingJobArn: `arn:aws:sagemaker:us-east-1:${ACCOUNT}:training-job/${tuningJobName}-${String(index + 1).padStart(3, '0')}`,
            TrainingJobStatus: 'Completed',
            TunedHyperParameters: tunedValues(config.ParameterRanges, (index + 1) / (this.tuningScores.length + 1)),
            FinalHyperParameterTuningJobObjectiveMetric: { MetricName: objective.MetricName, Value: score },
          }));
          const sign = objective.Type === 'Maximize' ? -1 : 1;
          summaries.sort((a, b) => sign * (a.FinalHyperParameterTuningJobObjectiveMetric.Value - b.FinalHyperParameterTuningJobObjectiveMetric.Value));
          return {
            properties: {
              ...request.arguments,
              HyperParameterTuningJobName: tuningJobName,
              HyperParameterTuningJobArn: `arn:aws:sagemaker:us-east-1:${ACCOUNT}:hyper-parameter-tuning-job/${tuningJobName}`,
              HyperParameterTuningJobStatus: 'Completed',
              BestTrainingJob: summaries[0],
              TrainingJobSummaries: summaries,
            },
          };
        }),
      RegisterModel: (request) =>
        this.answer(request, () => ({
          properties: {
            ModelPackageArn: `arn:aws:sagemaker:us-east-1:${ACCOUNT}:model-package/${request.arguments.ModelPackageGroupName}/1`,
          },
        })),
      Lambda: (request) => this.answer(request, () => ({ properties: { FunctionArn: String((request.step as { FunctionArn?: unknown }).FunctionArn), OutputParameters: this.reviewGate(request) } })),
    };
    return types.length === 0 ? all : Object.fromEntries(types.map((type) => [type, all[type]]));
  }

  /** What the review gate answers: where BiasConfig wrote the analysis configuration, or the Review's verdict on `auc`. */
  private reviewGate(request: StepRunRequest): JsonObject {
    const args = request.arguments as Record<string, any>;
    if (request.name === 'BiasConfig') return { ConfigUrl: `${args.OutputUrl}/` };
    const threshold = Number(args.FirstCheckThreshold);
    const passed = this.auc >= threshold;
    return {
      Passed: passed,
      Summary: `${passed ? 'passed' : 'failed'}: ${passed ? '' : 'FAILED '}auc ${this.auc} ${passed ? 'at least' : 'below'} ${threshold}`,
      FailureMessage: passed ? '' : `The model is not registered: 1 of 1 review checks failed: auc ${this.auc} < ${threshold} (needs >= ${threshold}).`,
      ReviewReportUrl: `${args.ReviewOutputUrl}/review.json`,
      ModelCardContent: JSON.stringify({ model_overview: { model_artifact: [args.ModelDataUrl] }, intended_uses: { risk_rating: 'Low' } }),
    };
  }

  public callsOf(step: string): StepRunRequest[] {
    return this.calls.filter((call) => call.name === step);
  }

  public argumentsOf(step: string): Record<string, any> {
    const [call] = this.callsOf(step);
    if (call === undefined) throw new Error(`step ${step} was not run`);
    return call.arguments;
  }

  private async answer(request: StepRunRequest, outcome: () => Outcome): Promise<Outcome> {
    this.calls.push(request);
    this.clock.advance(2);
    const failure = this.failures[request.name]?.shift();
    if (failure !== undefined) throw failure;
    const answered = outcome();
    const replaced = this.properties[request.name];
    return replaced === undefined ? answered : { ...answered, properties: replaced };
  }
}

function jobName(request: StepRunRequest): string {
  return `pipelines-${request.execution.executionId}-${request.name}`;
}

/** A training job's tuned values: each numeric range at `fraction` of the way from min to max, categorical ranges their first value. */
function tunedValues(ranges: Record<string, any>, fraction: number): Record<string, string> {
  const at = (range: any) => Number(range.MinValue) + fraction * (Number(range.MaxValue) - Number(range.MinValue));
  return {
    ...Object.fromEntries((ranges.ContinuousParameterRanges ?? []).map((range: any) => [range.Name, String(Number(at(range).toPrecision(6)))])),
    ...Object.fromEntries((ranges.IntegerParameterRanges ?? []).map((range: any) => [range.Name, String(Math.round(at(range)))])),
    ...Object.fromEntries((ranges.CategoricalParameterRanges ?? []).map((range: any) => [range.Name, range.Values[0]])),
  };
}

/** evaluation.json as ml/evaluation.py writes it, for the property-file definition. */
function evaluationReport(auc: number): string {
  return JSON.stringify({
    binary_classification_metrics: { auc: { value: auc, standard_deviation: 'NaN' }, f1: { value: 0.5, standard_deviation: 'NaN' } },
  });
}

/** Every step a step's definition reads with Steps.<name>.*. */
function stepsRead(step: StepDocument): string[] {
  return [...new Set([...JSON.stringify(step.Arguments).matchAll(/"Steps\.([A-Za-z0-9_-]+)\./g)].map((match) => match[1]))];
}

function allSteps(definition: PipelineDefinitionDocument): StepDocument[] {
  return definition.Steps.flatMap((step) => {
    const args = step.Arguments as { IfSteps?: StepDocument[]; ElseSteps?: StepDocument[] };
    return step.Type === 'Condition' ? [step, ...(args.IfSteps ?? []), ...(args.ElseSteps ?? [])] : [step];
  });
}

function copyOf<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}

/** The step of that name, top level or in a branch: by name, so a reordering of the definition does not move it. */
function stepNamed(definition: PipelineDefinitionDocument, name: string): any {
  const step = allSteps(definition).find((candidate) => candidate.Name === name);
  if (step === undefined) throw new Error(`the definition has no step ${name}`);
  return step;
}

/** The item of a list of processing inputs, outputs or training channels with that name. */
function named(items: any[], key: 'InputName' | 'OutputName' | 'ChannelName', name: string): any {
  const item = items.find((candidate) => candidate[key] === name);
  if (item === undefined) throw new Error(`no ${key} ${name} among ${items.map((candidate) => candidate[key]).join(', ')}`);
  return item;
}

describe('runPipeline on the dev definition', () => {
  let dev: StagePipeline;
  let clock: FakeClock;
  let sagemaker: FakeSageMaker;
  beforeAll(() => {
    dev = stagePipeline('dev');
  }, 120_000);
  beforeEach(() => {
    clock = new FakeClock();
    sagemaker = new FakeSageMaker(clock);
  });

  const run = (options: Partial<RunPipelineOptions> = {}, definition: PipelineDefinitionDocument = dev.definition) =>
    runPipeline(definition, { executionId: 'run0001', runners: sagemaker.runners(), clock, pipelineName: dev.pipelineName, ...options });

  const dataBucketUrl = () => {
    const input = dev.definition.Parameters!.find((parameter) => parameter.Name === 'InputDataUrl')!;
    return String(input.DefaultValue).replace(/\/raw\/$/, '');
  };

  test('runs data profile → feature processing → train → evaluate → baseline → review → condition → register, each step after what it reads', async () => {
    // WHEN
    const result = await run();

    // THEN
    expect(result.status).toBe('Succeeded');
    expect(result.steps.map((step) => [step.name, step.type, step.status])).toEqual([
      ['DataProfile', 'Processing', 'Succeeded'],
      ['FeatureProcessing', 'Processing', 'Succeeded'],
      ['Train', 'Training', 'Succeeded'],
      ['Evaluate', 'Processing', 'Succeeded'],
      ['DataQualityBaseline', 'Processing', 'Succeeded'],
      ['Review', 'Lambda', 'Succeeded'],
      ['CheckReview', 'Condition', 'Succeeded'],
      ['RegisterModel', 'RegisterModel', 'Succeeded'],
    ]);
    expect(result.notRun).toEqual([
      { name: 'ReviewFailed', type: 'Fail', reason: 'it is in the Else branch of "CheckReview", whose conditions held' },
    ]);
    const ran = result.steps.map((step) => step.name);
    for (const step of allSteps(dev.definition).filter((candidate) => ran.includes(candidate.Name))) {
      for (const upstream of stepsRead(step)) expect(ran.indexOf(upstream)).toBeLessThan(ran.indexOf(step.Name));
    }
    expect(result.steps.every((step) => step.attempts === 1)).toBe(true);
    // Each fake job takes 2 s, one at a time: DataProfile first (listed first, waiting for nothing), Train right
    // after FeatureProcessing, DataQualityBaseline after Evaluate.
    expect(result.steps.find((step) => step.name === 'DataProfile')).toMatchObject({ startedAt: '2026-03-01T10:00:00.000Z', seconds: 2 });
    expect(result.steps.find((step) => step.name === 'Train')).toMatchObject({ startedAt: '2026-03-01T10:00:04.000Z', seconds: 2 });
    expect(result.steps.find((step) => step.name === 'DataQualityBaseline')).toMatchObject({ startedAt: '2026-03-01T10:00:08.000Z', seconds: 2 });
  });

  test("profiles the run's input data and registers the profile's location", async () => {
    // WHEN
    await run({ executionId: 'run0001', parameters: { InputDataUrl: 's3://elsewhere/raw/' } });

    // THEN DataProfile reads the data the run was given, as FeatureProcessing does ...
    const profile = sagemaker.argumentsOf('DataProfile');
    expect(named(profile.ProcessingInputs, 'InputName', 'raw').S3Input).toMatchObject({ S3Uri: 's3://elsewhere/raw/', LocalPath: '/opt/ml/processing/input/raw' });
    expect(sagemaker.argumentsOf('FeatureProcessing').ProcessingInputs[0].S3Input.S3Uri).toBe('s3://elsewhere/raw/');
    // ... writes the profile under the artifacts bucket, per run ...
    const output = named(profile.ProcessingOutputConfig.Outputs, 'OutputName', 'profile').S3Output;
    expect(output).toMatchObject({ S3Uri: expect.stringMatching(/^s3:\/\/[^/]+\/profiles\/run0001$/), LocalPath: '/opt/ml/processing/profile' });
    expect(output.S3Uri.split('/')[2]).toBe(sagemaker.argumentsOf('Train').OutputDataConfig.S3OutputPath.split('/')[2]);
    // ... and the package links the URI the DataProfile job reported.
    expect(sagemaker.argumentsOf('RegisterModel').CustomerMetadataProperties.DataProfileUrl).toBe(output.S3Uri);
    expect(sagemaker.argumentsOf('RegisterModel').CustomerMetadataProperties).not.toHaveProperty('BestTrainingJob');
  });

  test('runs DataQualityBaseline after Evaluate, on the baseline URI the Evaluate job reported, and registers that URI', async () => {
    // GIVEN the Evaluate job reports its outputs at URIs of its own, as DescribeProcessingJob would
    const echoed = {
      evaluation: 's3://reported-by-evaluate/evaluation/run0001',
      baseline: 's3://reported-by-evaluate/features/run0001/prediction-baseline',
    };
    sagemaker.properties.Evaluate = {
      ProcessingJobName: 'pipelines-run0001-Evaluate',
      ProcessingJobStatus: 'Completed',
      ProcessingOutputConfig: {
        Outputs: [
          { OutputName: 'evaluation', S3Output: { S3Uri: echoed.evaluation, LocalPath: '/opt/ml/processing/evaluation', S3UploadMode: 'EndOfJob' } },
          { OutputName: 'baseline', S3Output: { S3Uri: echoed.baseline, LocalPath: '/opt/ml/processing/baseline', S3UploadMode: 'EndOfJob' } },
        ],
      },
    };

    // WHEN
    const result = await run();

    // THEN
    expect(result.status).toBe('Succeeded');
    const ran = result.steps.map((step) => step.name);
    expect(ran.indexOf('DataQualityBaseline')).toBe(ran.indexOf('Evaluate') + 1);
    expect(sagemaker.calls.map((call) => call.name).indexOf('DataQualityBaseline')).toBeGreaterThan(sagemaker.calls.map((call) => call.name).indexOf('Evaluate'));
    expect(named(sagemaker.argumentsOf('DataQualityBaseline').ProcessingInputs, 'InputName', 'baseline_dataset_input')).toMatchObject({
      S3Input: { S3Uri: echoed.baseline, LocalPath: '/opt/ml/processing/input/baseline_dataset_input' },
    });
    const register = sagemaker.argumentsOf('RegisterModel');
    expect(register.CustomerMetadataProperties.BaselineDataUrl).toBe(echoed.baseline);
    expect(register.ModelMetrics.ModelQuality.Statistics.S3Uri).toBe(`${echoed.evaluation}/evaluation.json`);
  });

  test('the fake Evaluate job echoes both its outputs, as DescribeProcessingJob does', async () => {
    // WHEN
    const result = await run();

    // THEN what Evaluate reports is the request's ProcessingOutputConfig, both outputs
    const evaluate = result.steps.find((step) => step.name === 'Evaluate')!;
    const request = sagemaker.argumentsOf('Evaluate');
    expect(evaluate.properties.ProcessingOutputConfig).toEqual(request.ProcessingOutputConfig);
    expect((evaluate.properties.ProcessingOutputConfig as any).Outputs.map((output: any) => output.OutputName)).toEqual(['evaluation', 'baseline']);
  });

  test('resolves parameters from their defaults', async () => {
    // WHEN
    const result = await run();

    // THEN
    expect(sagemaker.argumentsOf('FeatureProcessing').ProcessingResources.ClusterConfig).toMatchObject({ InstanceType: 'ml.t3.medium', InstanceCount: 1 });
    expect(sagemaker.argumentsOf('FeatureProcessing').ProcessingInputs[0].S3Input.S3Uri).toBe(`${dataBucketUrl()}/raw/`);
    expect(sagemaker.argumentsOf('Train').ResourceConfig.InstanceType).toBe('ml.m5.large');
    expect(sagemaker.argumentsOf('RegisterModel').ModelApprovalStatus).toBe('Approved');
    expect(result.parameters).toMatchObject({ MetricThreshold: 0.6, ProcessingInstanceCount: 1, TriggerReason: 'manual' });
  });

  test('an overriding parameter reaches the step arguments, typed as the parameter', async () => {
    // WHEN
    const result = await run({
      parameters: { ProcessingInstanceCount: '2', TrainingInstanceType: 'ml.m5.xlarge', TriggerReason: 'drift', InputDataUrl: 's3://elsewhere/raw/' },
    });

    // THEN
    expect(sagemaker.argumentsOf('FeatureProcessing').ProcessingResources.ClusterConfig.InstanceCount).toBe(2);
    expect(sagemaker.argumentsOf('FeatureProcessing').ProcessingInputs[0].S3Input.S3Uri).toBe('s3://elsewhere/raw/');
    expect(sagemaker.argumentsOf('Train').ResourceConfig.InstanceType).toBe('ml.m5.xlarge');
    expect(sagemaker.argumentsOf('RegisterModel').ModelPackageDescription).toBe('Trained on s3://elsewhere/raw/ by run run0001 because drift');
    expect(sagemaker.argumentsOf('RegisterModel').CustomerMetadataProperties).toMatchObject({ TriggerReason: 'drift', InputDataUrl: 's3://elsewhere/raw/' });
    expect(result.parameters).toMatchObject({ ProcessingInstanceCount: 2, TrainingInstanceType: 'ml.m5.xlarge' });
  });

  test("joins each run's output paths with its execution id, and the next steps read those paths", async () => {
    // WHEN
    await run({ executionId: 'run0001' });

    // THEN
    const features = `${dataBucketUrl()}/features/run0001`;
    const outputs = sagemaker.argumentsOf('FeatureProcessing').ProcessingOutputConfig.Outputs;
    expect(outputs.map((output: any) => [output.OutputName, output.S3Output.S3Uri])).toEqual([
      ['train', `${features}/train`],
      ['validation', `${features}/validation`],
      ['test', `${features}/test`],
      ['baseline', `${features}/baseline`],
    ]);
    const channels = sagemaker.argumentsOf('Train').InputDataConfig;
    expect(channels.map((channel: any) => [channel.ChannelName, channel.DataSource.S3DataSource.S3Uri])).toEqual([
      ['train', `${features}/train`],
      ['validation', `${features}/validation`],
    ]);
    const evaluate = sagemaker.argumentsOf('Evaluate');
    expect(named(evaluate.ProcessingInputs, 'InputName', 'test')).toMatchObject({ S3Input: { S3Uri: `${features}/test` } });
    // Evaluate reads the feature step's baseline and writes it again with the model's predictions.
    expect(named(evaluate.ProcessingInputs, 'InputName', 'baseline')).toMatchObject({
      S3Input: { S3Uri: `${features}/baseline`, LocalPath: '/opt/ml/processing/baseline_input' },
    });
    expect(evaluate.ProcessingOutputConfig.Outputs.map((output: any) => [output.OutputName, output.S3Output.S3Uri])).toEqual([
      ['evaluation', expect.stringMatching(/^s3:\/\/[^/]+\/evaluation\/run0001$/)],
      ['baseline', `${features}/prediction-baseline`],
    ]);
    expect(sagemaker.argumentsOf('DataQualityBaseline').ProcessingInputs[0].S3Input.S3Uri).toBe(`${features}/prediction-baseline`);
    expect(sagemaker.argumentsOf('Train').OutputDataConfig.S3OutputPath).toMatch(/^s3:\/\/[^/]+\/models\/run0001$/);
    expect(sagemaker.argumentsOf('RegisterModel').CustomerMetadataProperties.BaselineDataUrl).toBe(`${features}/prediction-baseline`);

    // WHEN another execution
    const second = new FakeSageMaker(clock);
    await runPipeline(dev.definition, { executionId: 'run0002', runners: second.runners(), clock });

    // THEN its paths are its own
    expect(second.argumentsOf('Train').InputDataConfig[0].DataSource.S3DataSource.S3Uri).toBe(`${dataBucketUrl()}/features/run0002/train`);
  });

  test('hands the model artifact path the training job reports to Evaluate and RegisterModel', async () => {
    // WHEN
    const result = await run();

    // THEN
    const artifacts = result.steps.find((step) => step.name === 'Train')!.properties.ModelArtifacts as JsonObject;
    expect(artifacts.S3ModelArtifacts).toMatch(/^s3:\/\/[^/]+\/models\/run0001\/pipelines-run0001-Train\/output\/model\.tar\.gz$/);
    expect(named(sagemaker.argumentsOf('Evaluate').ProcessingInputs, 'InputName', 'model')).toMatchObject({ S3Input: { S3Uri: artifacts.S3ModelArtifacts } });
    const register = sagemaker.argumentsOf('RegisterModel');
    expect(register.InferenceSpecification.Containers[0].ModelDataUrl).toBe(artifacts.S3ModelArtifacts);
    const evaluation = named(sagemaker.argumentsOf('Evaluate').ProcessingOutputConfig.Outputs, 'OutputName', 'evaluation').S3Output.S3Uri;
    const baseline = named(sagemaker.argumentsOf('DataQualityBaseline').ProcessingOutputConfig.Outputs, 'OutputName', 'baseline').S3Output.S3Uri;
    expect(register.ModelMetrics).toEqual({
      ModelQuality: { Statistics: { ContentType: 'application/json', S3Uri: `${evaluation}/evaluation.json` } },
      ModelDataQuality: {
        Statistics: { ContentType: 'application/json', S3Uri: `${baseline}/statistics.json` },
        Constraints: { ContentType: 'application/json', S3Uri: `${baseline}/constraints.json` },
      },
    });
    expect(register.CustomerMetadataProperties.PipelineExecutionId).toBe('run0001');
    expect(result.steps.at(-1)!.properties).toEqual({ ModelPackageArn: `arn:aws:sagemaker:us-east-1:${ACCOUNT}:model-package/churn-dev-models/1` });
  });

  test("hands the Review step the run's reports, the model, the threshold and the run, as the function's event", async () => {
    // WHEN
    await run({ parameters: { TriggerReason: 'drift' } });

    // THEN
    const evaluation = named(sagemaker.argumentsOf('Evaluate').ProcessingOutputConfig.Outputs, 'OutputName', 'evaluation').S3Output.S3Uri;
    const [review] = sagemaker.callsOf('Review');
    expect(review.arguments).toEqual({
      EvaluationReportUrl: `${evaluation}/evaluation.json`,
      BiasReportUrl: '',
      ReviewOutputUrl: expect.stringMatching(/^s3:\/\/[^/]+\/review\/run0001$/),
      FirstCheckThreshold: 0.6,
      InputDataUrl: `${dataBucketUrl()}/raw/`,
      ModelDataUrl: named(sagemaker.argumentsOf('Evaluate').ProcessingInputs, 'InputName', 'model').S3Input.S3Uri,
      PipelineExecutionId: 'run0001',
      TriggerReason: 'drift',
    });
    expect(String(review.arguments.ReviewOutputUrl).split('/')[2]).toBe(evaluation.split('/')[2]);
    expect((review.step as { FunctionArn?: string }).FunctionArn).toMatch(/^arn:aws:lambda:us-east-1:111122223333:function:/);
  });

  test.each([0.9, 0.6])('registers the model when the Review answers Passed (auc %s against the threshold 0.6), with its card and verdict', async (auc) => {
    // GIVEN
    sagemaker.auc = auc;

    // WHEN
    const result = await run();

    // THEN
    const check = result.steps.find((step) => step.name === 'CheckReview')!;
    expect(check.arguments).toEqual({ Conditions: [{ Type: 'Equals', LeftValue: true, RightValue: true }] });
    expect(check.properties).toEqual({ Outcome: 'True' });
    expect(result.status).toBe('Succeeded');
    const answer = result.steps.find((step) => step.name === 'Review')!.properties.OutputParameters as Record<string, any>;
    const register = sagemaker.argumentsOf('RegisterModel');
    expect(register.ModelCard).toEqual({ ModelCardContent: answer.ModelCardContent, ModelCardStatus: 'Draft' });
    expect(register.CustomerMetadataProperties).toMatchObject({ ReviewSummary: `passed: auc ${auc} at least 0.6`, ReviewReportUrl: answer.ReviewReportUrl });
  });

  test("fails when the Review answers Passed false, with its FailureMessage as the Fail step's, and registers nothing", async () => {
    // GIVEN
    sagemaker.auc = 0.59;

    // WHEN
    const result = await run();

    // THEN
    const message = 'The model is not registered: 1 of 1 review checks failed: auc 0.59 < 0.6 (needs >= 0.6).';
    expect(result).toMatchObject({ status: 'Failed', failureReason: message, failedStep: 'ReviewFailed' });
    expect(result.steps.map((step) => [step.name, step.status])).toEqual([
      ['DataProfile', 'Succeeded'],
      ['FeatureProcessing', 'Succeeded'],
      ['Train', 'Succeeded'],
      ['Evaluate', 'Succeeded'],
      ['DataQualityBaseline', 'Succeeded'],
      ['Review', 'Succeeded'],
      ['CheckReview', 'Succeeded'],
      ['ReviewFailed', 'Failed'],
    ]);
    expect(result.steps.at(-1)).toMatchObject({ type: 'Fail', failureReason: message, arguments: { ErrorMessage: message } });
    expect(result.steps.find((step) => step.name === 'CheckReview')!.properties).toEqual({ Outcome: 'False' });
    expect(sagemaker.callsOf('RegisterModel')).toEqual([]);
    expect(result.notRun).toEqual([
      { name: 'RegisterModel', type: 'RegisterModel', reason: 'it is in the If branch of "CheckReview", whose conditions did not hold' },
    ]);
  });

  test('an overriding threshold reaches the Review event, and so its verdict and message', async () => {
    // WHEN
    const result = await run({ parameters: { MetricThreshold: 0.95 } });

    // THEN
    expect(sagemaker.callsOf('Review')[0].arguments.FirstCheckThreshold).toBe(0.95);
    expect(result.failureReason).toMatch(/auc 0\.9 < 0\.95 \(needs >= 0\.95\)\.$/);
    expect(sagemaker.callsOf('RegisterModel')).toEqual([]);
  });

  test('retries a step whose runner reports a retryable exception type, after the policy interval', async () => {
    // GIVEN
    sagemaker.failures.Train = [new StepRunnerError('InsufficientCapacityError: no ml.m5.large capacity', 'SageMaker.CAPACITY_ERROR')];
    const events: PipelineEvent[] = [];

    // WHEN
    const result = await run({ onEvent: (event) => events.push(event) });

    // THEN
    expect(result.status).toBe('Succeeded');
    expect(result.steps.find((step) => step.name === 'Train')).toMatchObject({ status: 'Succeeded', attempts: 2, seconds: 34 });
    expect(sagemaker.callsOf('Train').map((call) => call.attempt)).toEqual([1, 2]);
    expect(clock.sleeps).toEqual([30]);
    expect(events.filter((event) => event.step === 'Train').map((event) => event.type)).toEqual([
      'step-started',
      'step-retrying',
      'step-started',
      'step-succeeded',
    ]);
    expect(events.find((event) => event.type === 'step-retrying')).toMatchObject({
      step: 'Train',
      attempt: 1,
      exceptionType: 'SageMaker.CAPACITY_ERROR',
      delaySeconds: 30,
      reason: 'InsufficientCapacityError: no ml.m5.large capacity',
    });
  });

  test('fails when the retries run out, after the backoff the policy sets', async () => {
    // GIVEN
    sagemaker.failures.Train = Array.from({ length: 10 }, () => new StepRunnerError('InternalServerError', 'SageMaker.JOB_INTERNAL_ERROR'));

    // WHEN
    const result = await run();

    // THEN
    expect(clock.sleeps).toEqual([30, 60, 120, 240]);
    expect(result.steps.at(-1)).toMatchObject({ name: 'Train', status: 'Failed', attempts: 5 });
    expect(result.failureReason).toMatch(
      /^step "Train" \(Training\) failed: InternalServerError \(SageMaker\.JOB_INTERNAL_ERROR; gave up after 5 attempts: its retry policy allows 4 retries\)$/,
    );
    expect(result.notRun.map((step) => [step.name, step.reason])).toEqual([
      ['Evaluate', 'it waits for "Train", which failed'],
      ['DataQualityBaseline', 'it waits for "Evaluate", which did not run'],
      // The review reads the model's URI for the card, from Train itself.
      ['Review', 'it waits for "Train", which failed'],
      ['CheckReview', 'it waits for "Review", which did not run'],
      // RegisterModel reads the model artifacts of Train itself.
      ['RegisterModel', 'it waits for "Train", which failed'],
      ['ReviewFailed', 'it waits for "Review", which did not run'],
    ]);
  });

  test('fails without retrying when the exception type is one no policy of the step retries', async () => {
    // GIVEN
    sagemaker.failures.Train = [new StepRunnerError('socket hang up', 'Step.SERVICE_FAULT')];

    // WHEN
    const result = await run();

    // THEN
    expect(clock.sleeps).toEqual([]);
    expect(result.steps.at(-1)).toMatchObject({ name: 'Train', status: 'Failed', attempts: 1 });
    expect(result.failureReason).toMatch(/socket hang up \(Step\.SERVICE_FAULT, which no retry policy of the step retries\)/);
  });

  test.each([
    [['Processing', 'Training'], 'Review', 'Lambda'],
    [['Processing', 'Training', 'Lambda'], 'RegisterModel', 'RegisterModel'],
  ])('fails a step whose type has no local runner (runners %j), naming the step and its type, and never skips it', async (types, name, type) => {
    // WHEN
    const result = await run({ runners: sagemaker.runners(...types) });

    // THEN
    expect(result.status).toBe('Failed');
    expect(result.steps.at(-1)).toMatchObject({ name, type, status: 'Failed', attempts: 0 });
    expect(result.failureReason).toMatch(`step "${name}" is a ${type} step and no local runner exists for ${type} steps (runners: ${types.join(', ')})`);
  });

  test.each([
    {
      answering: 'FeatureProcessing',
      ran: ['DataProfile', 'FeatureProcessing'],
      reader: 'Train',
      type: 'Training',
      at: 'Arguments.InputDataConfig[0].DataSource.S3DataSource.S3Uri',
      output: 'train',
    },
    {
      answering: 'Evaluate',
      ran: ['DataProfile', 'FeatureProcessing', 'Train', 'Evaluate'],
      reader: 'DataQualityBaseline',
      type: 'Processing',
      at: 'Arguments.ProcessingInputs[0].S3Input.S3Uri',
      output: 'baseline',
    },
  ])(
    'fails the reading step ($reader), naming the path, when $answering did not produce a property it reads',
    async ({ answering, ran, reader, type, at, output }) => {
      // GIVEN the step answers without echoing its ProcessingOutputConfig
      sagemaker.properties[answering] = { ProcessingJobName: `pipelines-run0001-${answering}`, ProcessingJobStatus: 'Completed' };

      // WHEN
      const result = await run();

      // THEN
      expect(result.steps.map((step) => [step.name, step.status])).toEqual([...ran.map((name) => [name, 'Succeeded']), [reader, 'Failed']]);
      expect(result.steps.at(-1)).toMatchObject({ attempts: 0, arguments: undefined });
      expect(result.failedStep).toBe(reader);
      expect(result.failureReason).toBe(
        `step "${reader}" (${type}) failed: ${at}: ` +
          `{"Get":"Steps.${answering}.ProcessingOutputConfig.Outputs['${output}'].S3Output.S3Uri"} does not resolve: ` +
          `step "${answering}" has no "ProcessingOutputConfig" (it has "ProcessingJobName", "ProcessingJobStatus")`,
      );
      expect(sagemaker.callsOf(reader)).toEqual([]);
    },
  );

  test.each([
    ['FeatureProcessing', 'Evaluate', /ProcessingOutputConfig\.Outputs of step "FeatureProcessing" has no item named "baseline" \(it has "train", "validation", "test"\)/],
    ['Evaluate', 'DataQualityBaseline', /ProcessingOutputConfig\.Outputs of step "Evaluate" has no item named "baseline" \(it has "evaluation"\)/],
  ])('fails when a processing output the next step indexes by name is missing: %s without "baseline"', async (writer, reader, reason) => {
    // GIVEN the step reports its outputs without "baseline"
    const copy = copyOf(dev.definition) as any;
    const config = stepNamed(copy, writer).Arguments.ProcessingOutputConfig;
    config.Outputs = config.Outputs.filter((candidate: any) => candidate.OutputName !== 'baseline');

    // WHEN
    const result = await run({}, copy);

    // THEN
    expect(result).toMatchObject({ status: 'Failed', failedStep: reader });
    expect(result.failureReason).toMatch(reason);
    expect(sagemaker.callsOf(reader)).toEqual([]);
  });

  test('fails the condition, naming the path, when the Review answer lacks Passed', async () => {
    // GIVEN the function answers without the output the condition reads
    sagemaker.properties.Review = { FunctionArn: 'arn:aws:lambda:us-east-1:111122223333:function:review', OutputParameters: { Summary: 'passed' } };

    // WHEN
    const result = await run();

    // THEN
    expect(result.steps.at(-1)).toMatchObject({ name: 'CheckReview', status: 'Failed' });
    expect(result.failureReason).toMatch(/^step "CheckReview" \(Condition\) failed: Arguments\.Conditions\[0\]\.LeftValue: .*OutputParameters\['Passed'\].* does not resolve/);
    expect(result.notRun.map((step) => step.name)).toEqual(['RegisterModel', 'ReviewFailed']);
  });

  test('reports each step as it starts and ends', async () => {
    // GIVEN
    const events: PipelineEvent[] = [];

    // WHEN
    await run({ onEvent: (event) => events.push(event) });

    // THEN
    expect(events.map((event) => `${event.type} ${event.step}`)).toEqual([
      'step-started DataProfile',
      'step-succeeded DataProfile',
      'step-started FeatureProcessing',
      'step-succeeded FeatureProcessing',
      'step-started Train',
      'step-succeeded Train',
      'step-started Evaluate',
      'step-succeeded Evaluate',
      'step-started DataQualityBaseline',
      'step-succeeded DataQualityBaseline',
      'step-started Review',
      'step-succeeded Review',
      'step-started CheckReview',
      'step-succeeded CheckReview',
      'step-started RegisterModel',
      'step-succeeded RegisterModel',
    ]);
    expect(events.find((event) => event.step === 'CheckReview' && event.type === 'step-succeeded')).toMatchObject({ outcome: true });
  });

  describe('refuses before anything runs', () => {
    const refusal = async (promise: Promise<unknown>): Promise<string> => {
      const error = await promise.then(
        () => undefined,
        (caught: unknown) => caught,
      );
      expect(error).toBeInstanceOf(PipelineRunRefusedError);
      expect(sagemaker.calls).toEqual([]);
      return (error as Error).message;
    };

    test('fails when a parameter is not one of the pipeline', async () => {
      const message = await refusal(run({ parameters: { MetricTreshold: 0.7 } }));
      expect(message).toMatch(/parameter "MetricTreshold" is not a parameter of the pipeline: use one of "InputDataUrl", .*"MetricThreshold"/);
    });

    test.each([
      ['ProcessingInstanceCount', 'two', /parameter "ProcessingInstanceCount" is Integer: got "two", expected a whole number/],
      ['ProcessingInstanceCount', 1.5, /parameter "ProcessingInstanceCount" is Integer: got 1\.5, expected a whole number/],
      ['MetricThreshold', true, /parameter "MetricThreshold" is Float: got true, expected a number/],
      ['ModelApprovalStatus', 5, /parameter "ModelApprovalStatus" is String: got 5, expected a string/],
    ])('fails when parameter %s is given %j', async (name, value, expected) => {
      expect(await refusal(run({ parameters: { [name]: value } }))).toMatch(expected);
    });

    test('fails when the steps wait for each other in a cycle', async () => {
      const copy = copyOf(dev.definition) as any;
      stepNamed(copy, 'FeatureProcessing').DependsOn = ['Evaluate'];
      expect(await refusal(run({}, copy))).toMatch(/steps wait for each other in a cycle \("FeatureProcessing" waits for "Evaluate" waits for .*"FeatureProcessing"\)/);
    });

    test('fails when a step reads a step that is not in the pipeline', async () => {
      const copy = copyOf(dev.definition) as any;
      stepNamed(copy, 'Train').Arguments.InputDataConfig[0].DataSource.S3DataSource.S3Uri = {
        Get: "Steps.FeatureEngineering.ProcessingOutputConfig.Outputs['train'].S3Output.S3Uri",
      };
      expect(await refusal(run({}, copy))).toMatch(
        /step "Train" Arguments\.InputDataConfig\[0\]\.DataSource\.S3DataSource\.S3Uri reads a property of step "FeatureEngineering", which is not in the pipeline/,
      );
    });

    test('fails when a step depends on an unknown step, and lists every problem at once', async () => {
      const copy = copyOf(dev.definition) as any;
      stepNamed(copy, 'DataQualityBaseline').DependsOn = ['Preprocess'];
      const message = await refusal(run({ parameters: { Nope: 1 } }, copy));
      expect(message).toMatch(/\(2 problems\)/);
      expect(message).toMatch(/step "DataQualityBaseline" depends on step "Preprocess", which is not in the pipeline/);
      expect(message).toMatch(/parameter "Nope" is not a parameter of the pipeline/);
    });
  });
});

describe('runPipeline on the prod definition', () => {
  let prod: StagePipeline;
  let clock: FakeClock;
  let sagemaker: FakeSageMaker;
  beforeAll(() => {
    prod = stagePipeline('prod');
  }, 120_000);
  beforeEach(() => {
    clock = new FakeClock();
    sagemaker = new FakeSageMaker(clock);
  });

  const run = (options: Partial<RunPipelineOptions> = {}) => runPipeline(JSON.stringify(prod.definition), { executionId: 'prod0001', runners: sagemaker.runners(), clock, ...options });

  test.each([
    [0.8, 'Succeeded'],
    [0.7, 'Failed'],
  ])('reviews at the prod threshold and registers pending manual approval (auc %s → %s)', async (auc, status) => {
    // GIVEN
    sagemaker.auc = auc;

    // WHEN
    const result = await run();

    // THEN
    expect(result.status).toBe(status);
    // prod tunes: the tuning job's training jobs run on the prod training instance type.
    expect(sagemaker.argumentsOf('Tune').TrainingJobDefinition.ResourceConfig.InstanceType).toBe('ml.m5.xlarge');
    if (status === 'Succeeded') {
      expect(sagemaker.argumentsOf('RegisterModel')).toMatchObject({ ModelPackageGroupName: 'churn-prod-models', ModelApprovalStatus: 'PendingManualApproval' });
    } else {
      expect(result.failureReason).toBe('The model is not registered: 1 of 1 review checks failed: auc 0.7 < 0.75 (needs >= 0.75).');
      expect(sagemaker.callsOf('RegisterModel')).toEqual([]);
    }
  });

  test('runs data profile → feature processing → bias config → bias report → tune → evaluate → baseline → review → condition → register, each step after what it reads', async () => {
    // WHEN
    const result = await run();

    // THEN
    expect(result.status).toBe('Succeeded');
    expect(result.steps.map((step) => [step.name, step.type, step.status])).toEqual([
      ['DataProfile', 'Processing', 'Succeeded'],
      ['FeatureProcessing', 'Processing', 'Succeeded'],
      ['BiasConfig', 'Lambda', 'Succeeded'],
      ['BiasReport', 'Processing', 'Succeeded'],
      ['Tune', 'Tuning', 'Succeeded'],
      ['Evaluate', 'Processing', 'Succeeded'],
      ['DataQualityBaseline', 'Processing', 'Succeeded'],
      ['Review', 'Lambda', 'Succeeded'],
      ['CheckReview', 'Condition', 'Succeeded'],
      ['RegisterModel', 'RegisterModel', 'Succeeded'],
    ]);
    expect(sagemaker.callsOf('Train')).toEqual([]);
    const ran = result.steps.map((step) => step.name);
    for (const step of allSteps(prod.definition).filter((candidate) => ran.includes(candidate.Name))) {
      for (const upstream of stepsRead(step)) expect(ran.indexOf(upstream)).toBeLessThan(ran.indexOf(step.Name));
    }
  });

  test("hands Clarify the configuration BiasConfig wrote, and the review and the package the report Clarify wrote", async () => {
    // WHEN
    await run();

    // THEN BiasConfig is asked to write under bias-config/<execution>, and answers that folder ...
    const configFolder = sagemaker.callsOf('BiasConfig')[0].arguments.OutputUrl as string;
    expect(configFolder).toMatch(/^s3:\/\/[^/]+\/bias-config\/prod0001$/);
    expect(sagemaker.callsOf('BiasConfig')[0].arguments.Action).toBe('WriteBiasAnalysisConfig');
    // ... which the Clarify job copies in ...
    const clarify = sagemaker.argumentsOf('BiasReport');
    expect(named(clarify.ProcessingInputs, 'InputName', 'analysis_config').S3Input).toMatchObject({ S3Uri: `${configFolder}/`, LocalPath: '/opt/ml/processing/input/config' });
    expect(named(clarify.ProcessingInputs, 'InputName', 'dataset').S3Input.S3Uri).toBe(sagemaker.argumentsOf('FeatureProcessing').ProcessingInputs[0].S3Input.S3Uri);
    // ... and its analysis.json is what the review checks DPL on and the package registers.
    const analysis = `${named(clarify.ProcessingOutputConfig.Outputs, 'OutputName', 'analysis').S3Output.S3Uri}/analysis.json`;
    expect(analysis).toMatch(/^s3:\/\/[^/]+\/bias\/prod0001\/analysis\.json$/);
    expect(sagemaker.callsOf('Review')[0].arguments.BiasReportUrl).toBe(analysis);
    expect(sagemaker.argumentsOf('RegisterModel').ModelMetrics.Bias).toEqual({ PreTrainingReport: { ContentType: 'application/json', S3Uri: analysis } });
  });

  test('sends the tuning job request with the features of the run and the prod search', async () => {
    // WHEN
    const result = await run();

    // THEN
    const tune = sagemaker.argumentsOf('Tune');
    const features = named(sagemaker.argumentsOf('FeatureProcessing').ProcessingOutputConfig.Outputs, 'OutputName', 'train').S3Output.S3Uri.replace(/\/train$/, '');
    expect(features).toMatch(/\/features\/prod0001$/);
    expect(tune.TrainingJobDefinition.InputDataConfig.map((channel: any) => [channel.ChannelName, channel.DataSource.S3DataSource.S3Uri])).toEqual([
      ['train', `${features}/train`],
      ['validation', `${features}/validation`],
    ]);
    expect(tune.TrainingJobDefinition.OutputDataConfig.S3OutputPath).toMatch(/^s3:\/\/[^/]+\/models\/prod0001$/);
    expect(tune.HyperParameterTuningJobConfig).toMatchObject({
      Strategy: 'Bayesian',
      HyperParameterTuningJobObjective: { MetricName: 'validation:auc', Type: 'Maximize' },
      ResourceLimits: { MaxNumberOfTrainingJobs: 20, MaxParallelTrainingJobs: 4 },
      TrainingJobEarlyStoppingType: 'Auto',
    });
    // The fake answers as DescribeHyperParameterTuningJob does: the request echoed.
    const properties = result.steps.find((step) => step.name === 'Tune')!.properties;
    expect(properties.HyperParameterTuningJobConfig).toEqual(tune.HyperParameterTuningJobConfig);
    expect(properties.TrainingJobDefinition).toEqual(tune.TrainingJobDefinition);
  });

  test("evaluates and registers the best job's model, and records its name, its tuned values and the data profile", async () => {
    // WHEN
    const result = await run();

    // THEN the second of the three training jobs scored best (0.86), so it is first in the summaries
    const properties = result.steps.find((step) => step.name === 'Tune')!.properties as Record<string, any>;
    expect(properties.TrainingJobSummaries.map((summary: any) => summary.TrainingJobName)).toEqual(['prod0001-Tune-002', 'prod0001-Tune-001', 'prod0001-Tune-003']);
    expect(properties.BestTrainingJob.TrainingJobName).toBe('prod0001-Tune-002');
    const outputPath = sagemaker.argumentsOf('Tune').TrainingJobDefinition.OutputDataConfig.S3OutputPath;
    const model = `${outputPath}/prod0001-Tune-002/output/model.tar.gz`;
    expect(named(sagemaker.argumentsOf('Evaluate').ProcessingInputs, 'InputName', 'model').S3Input).toMatchObject({ S3Uri: model, LocalPath: '/opt/ml/processing/model' });
    const register = sagemaker.argumentsOf('RegisterModel');
    expect(register.InferenceSpecification.Containers[0].ModelDataUrl).toBe(model);
    const profile = named(sagemaker.argumentsOf('DataProfile').ProcessingOutputConfig.Outputs, 'OutputName', 'profile').S3Output.S3Uri;
    expect(profile).toMatch(/^s3:\/\/[^/]+\/profiles\/prod0001$/);
    const baseline = named(sagemaker.argumentsOf('Evaluate').ProcessingOutputConfig.Outputs, 'OutputName', 'baseline').S3Output.S3Uri;
    expect(register.CustomerMetadataProperties).toEqual({
      InputDataUrl: sagemaker.argumentsOf('FeatureProcessing').ProcessingInputs[0].S3Input.S3Uri,
      TriggerReason: 'manual',
      PipelineExecutionId: 'prod0001',
      BaselineDataUrl: baseline,
      ReviewSummary: 'passed: auc 0.9 at least 0.75',
      ReviewReportUrl: expect.stringMatching(/^s3:\/\/[^/]+\/review\/prod0001\/review\.json$/),
      DataProfileUrl: profile,
      BestTrainingJob: 'prod0001-Tune-002',
      // Halfway through each prod range: the values the fake gave the second job.
      'TunedHyperParameter:eta': '0.225',
      'TunedHyperParameter:min_child_weight': '5.5',
      'TunedHyperParameter:subsample': '0.8',
      'TunedHyperParameter:max_depth': '6',
      'TunedHyperParameter:num_round': '175',
    });
    expect(Object.entries(register.CustomerMetadataProperties).filter(([key]) => key.startsWith('TunedHyperParameter:'))).toEqual(
      Object.entries(properties.BestTrainingJob.TunedHyperParameters).map(([name, value]) => [`TunedHyperParameter:${name}`, value]),
    );
  });

  test('registers the model of whichever job ranks first', async () => {
    // GIVEN the third job scores best
    sagemaker.tuningScores = [0.8, 0.77, 0.91];

    // WHEN
    await run();

    // THEN
    const register = sagemaker.argumentsOf('RegisterModel');
    expect(register.InferenceSpecification.Containers[0].ModelDataUrl).toMatch(/\/models\/prod0001\/prod0001-Tune-003\/output\/model\.tar\.gz$/);
    expect(register.CustomerMetadataProperties).toMatchObject({ BestTrainingJob: 'prod0001-Tune-003', 'TunedHyperParameter:num_round': '238' });
  });

  test('fails the Tune step when no local runner exists for Tuning steps, and never skips it', async () => {
    // WHEN
    const result = await run({ runners: sagemaker.runners('Processing', 'Training', 'RegisterModel', 'Lambda') });

    // THEN
    expect(result).toMatchObject({ status: 'Failed', failedStep: 'Tune' });
    expect(result.steps.at(-1)).toMatchObject({ name: 'Tune', type: 'Tuning', status: 'Failed', attempts: 0 });
    expect(result.failureReason).toMatch(/step "Tune" is a Tuning step and no local runner exists for Tuning steps \(runners: Processing, Training, RegisterModel, Lambda\)/);
    expect(result.notRun.map((step) => [step.name, step.reason])).toEqual([
      ['Evaluate', 'it waits for "Tune", which failed'],
      ['DataQualityBaseline', 'it waits for "Evaluate", which did not run'],
      // The review reads the model's URI for the card, from Tune itself.
      ['Review', 'it waits for "Tune", which failed'],
      ['CheckReview', 'it waits for "Review", which did not run'],
      // RegisterModel reads the best job's name and model of Tune itself.
      ['RegisterModel', 'it waits for "Tune", which failed'],
      ['ReviewFailed', 'it waits for "Review", which did not run'],
    ]);
  });

  test('retries the Tune step on capacity errors, as it retried Train', async () => {
    // GIVEN
    sagemaker.failures.Tune = [new StepRunnerError('ResourceLimitExceeded: no ml.m5.xlarge capacity', 'SageMaker.CAPACITY_ERROR')];

    // WHEN
    const result = await run();

    // THEN
    expect(result.status).toBe('Succeeded');
    expect(result.steps.find((step) => step.name === 'Tune')).toMatchObject({ status: 'Succeeded', attempts: 2 });
    expect(clock.sleeps).toEqual([30]);
  });
});

describe('runPipeline on a metric gate with a property file (Std:JsonGet in a condition)', () => {
  // GIVEN the gate SageMaker's documentation shows: Evaluate writes evaluation.json as a property
  // file, a condition reads the auc from it against a parameter, then registers or fails.
  const definition: PipelineDefinitionDocument = {
    Parameters: [{ Name: 'MinAuc', Type: 'Float', DefaultValue: 0.7 }],
    Steps: [
      { Name: 'Evaluate', Type: 'Processing', Arguments: {}, PropertyFiles: [{ PropertyFileName: 'EvaluationReport', OutputName: 'evaluation', FilePath: 'evaluation.json' }] },
      {
        Name: 'CheckAuc',
        Type: 'Condition',
        Arguments: {
          Conditions: [
            {
              Type: 'GreaterThanOrEqualTo',
              LeftValue: { 'Std:JsonGet': { PropertyFile: { Get: 'Steps.Evaluate.PropertyFiles.EvaluationReport' }, Path: 'binary_classification_metrics.auc.value' } },
              RightValue: { Get: 'Parameters.MinAuc' },
            },
          ],
          IfSteps: [{ Name: 'Register', Type: 'RegisterModel', Arguments: { ModelPackageGroupName: 'churn-models' } }],
          ElseSteps: [{ Name: 'AucTooLow', Type: 'Fail', Arguments: { ErrorMessage: { 'Std:Join': { On: ' ', Values: ['auc below', { Get: 'Parameters.MinAuc' }] } } } }],
        },
      },
    ],
  };
  let sagemaker: FakeSageMaker;
  beforeEach(() => {
    sagemaker = new FakeSageMaker(new FakeClock());
    sagemaker.files.EvaluationReport = evaluationReport(0.9);
  });
  const run = (options: Partial<RunPipelineOptions> = {}, document: PipelineDefinitionDocument = definition) =>
    runPipeline(document, { executionId: 'run0001', runners: sagemaker.runners(), clock: new FakeClock(), ...options });

  test.each([0.9, 0.7])('registers when the auc in the report (%s) is at least the threshold', async (auc) => {
    // GIVEN
    sagemaker.files.EvaluationReport = evaluationReport(auc);

    // WHEN
    const result = await run();

    // THEN
    const check = result.steps.find((step) => step.name === 'CheckAuc')!;
    expect(check.arguments).toEqual({ Conditions: [{ Type: 'GreaterThanOrEqualTo', LeftValue: auc, RightValue: 0.7 }] });
    expect(check.properties).toEqual({ Outcome: 'True' });
    expect(result.steps.find((step) => step.name === 'Evaluate')!.propertyFiles).toEqual({ EvaluationReport: JSON.parse(evaluationReport(auc)) });
    expect(sagemaker.callsOf('Register')).toHaveLength(1);
  });

  test('fails below the threshold with the Fail message resolved (an overriding threshold in it), and registers nothing', async () => {
    // WHEN
    const result = await run({ parameters: { MinAuc: 0.95 } });

    // THEN
    expect(result).toMatchObject({ status: 'Failed', failureReason: 'auc below 0.95', failedStep: 'AucTooLow' });
    expect(result.notRun).toEqual([{ name: 'Register', type: 'RegisterModel', reason: 'it is in the If branch of "CheckAuc", whose conditions did not hold' }]);
  });

  test('fails the condition, naming the path, when the report lacks the metric', async () => {
    // GIVEN
    sagemaker.files.EvaluationReport = JSON.stringify({ metrics: { auc: 0.9 } });

    // WHEN
    const result = await run();

    // THEN
    expect(result.steps.at(-1)).toMatchObject({ name: 'CheckAuc', status: 'Failed' });
    expect(result.failureReason).toMatch(
      /Arguments\.Conditions\[0\]\.LeftValue: .* does not resolve: property file "EvaluationReport" of step "Evaluate" has no "binary_classification_metrics" \(it has "metrics"\)/,
    );
    expect(result.notRun.map((step) => step.name)).toEqual(['Register', 'AucTooLow']);
  });

  test('fails the condition when the metric is not a number', async () => {
    sagemaker.files.EvaluationReport = JSON.stringify({ binary_classification_metrics: { auc: { value: '0.9' } } });
    const result = await run();
    expect(result.failureReason).toMatch(/GreaterThanOrEqualTo compares LeftValue "0\.9" \(string\) with RightValue 0\.7 \(number\)/);
  });

  test.each([
    [undefined, /step "Evaluate" declares property file "EvaluationReport" \(evaluation\.json in output "evaluation"\), but the job produced none/],
    ['{"binary_classification_metrics": ', /step "Evaluate" wrote property file "EvaluationReport" .* that is not JSON/],
  ])('fails the step that should write the report when it writes %j', async (text, reason) => {
    // GIVEN
    if (text === undefined) delete sagemaker.files.EvaluationReport;
    else sagemaker.files.EvaluationReport = text;

    // WHEN
    const result = await run();

    // THEN
    expect(result.steps.at(-1)).toMatchObject({ name: 'Evaluate', status: 'Failed' });
    expect(result.failureReason).toMatch(reason);
  });

  test('refuses before anything runs when the condition reads a property file its step does not declare', async () => {
    const copy = copyOf(definition) as any;
    copy.Steps[0].PropertyFiles[0].PropertyFileName = 'Evaluation';
    await expect(run({}, copy)).rejects.toThrow(
      /step "CheckAuc" Arguments\.Conditions\[0\]\.LeftValue reads property file "EvaluationReport" of step "Evaluate", which declares "Evaluation"/,
    );
    expect(sagemaker.calls).toEqual([]);
  });
});

describe('runPipeline expressions and conditions', () => {
  const processing = (name: string, args: unknown = {}, extra: object = {}) => ({ Name: name, Type: 'Processing', Arguments: args, ...extra });

  async function outcomeOf(conditions: unknown[], parameters: object[] = []) {
    const calls: string[] = [];
    const result = await runPipeline(
      {
        Parameters: parameters as any,
        Steps: [{ Name: 'Check', Type: 'Condition', Arguments: { Conditions: conditions, IfSteps: [processing('WhenTrue')], ElseSteps: [processing('WhenFalse')] } }],
      },
      { runners: { Processing: async (request) => (calls.push(request.name), { properties: {} }) }, clock: new FakeClock() },
    );
    return { result, calls };
  }

  const eq = (left: unknown, right: unknown) => ({ Type: 'Equals', LeftValue: left, RightValue: right });

  test.each([
    ['Equals', [eq(1, 1)], true],
    ['Equals on strings', [eq('a', 'b')], false],
    ['NotEquals', [{ Type: 'NotEquals', LeftValue: 'a', RightValue: 'b' }], true],
    ['GreaterThan', [{ Type: 'GreaterThan', LeftValue: 2, RightValue: 2 }], false],
    ['GreaterThanOrEqualTo', [{ Type: 'GreaterThanOrEqualTo', LeftValue: 2, RightValue: 2 }], true],
    ['LessThan', [{ Type: 'LessThan', LeftValue: 1, RightValue: 1.5 }], true],
    ['LessThanOrEqualTo', [{ Type: 'LessThanOrEqualTo', LeftValue: 3, RightValue: 2 }], false],
    ['GreaterThan on strings', [{ Type: 'GreaterThan', LeftValue: 'b', RightValue: 'a' }], true],
    ['In', [{ Type: 'In', QueryValue: 'b', Values: ['a', 'b'] }], true],
    ['In as the schema writes it', [{ Type: 'In', Value: 2, In: [1, '2'] }], false],
    ['NotIn', [{ Type: 'NotIn', QueryValue: 'c', Values: ['a', 'b'] }], true],
    ['Not', [{ Type: 'Not', Expression: eq(1, 1) }], false],
    ['Or', [{ Type: 'Or', Conditions: [eq(1, 2), eq(2, 2)] }], true],
    ['every condition of the list', [eq(1, 1), eq(1, 2)], false],
  ])('evaluates %s', async (_, conditions, held) => {
    const { result, calls } = await outcomeOf(conditions);
    expect(result.steps[0].properties).toEqual({ Outcome: held ? 'True' : 'False' });
    expect(calls).toEqual([held ? 'WhenTrue' : 'WhenFalse']);
  });

  test('compares parameters as their declared types', async () => {
    const { calls } = await outcomeOf(
      [{ Type: 'LessThan', LeftValue: { Get: 'Parameters.Count' }, RightValue: 10 }],
      [{ Name: 'Count', Type: 'Integer', DefaultValue: 9 }],
    );
    expect(calls).toEqual(['WhenTrue']);
  });

  test('fails when Equals compares values of different types', async () => {
    const { result, calls } = await outcomeOf([eq(1, '1')]);
    expect(result.failureReason).toMatch(/Equals compares LeftValue 1 \(number\) with RightValue "1" \(string\)/);
    expect(calls).toEqual([]);
  });

  test('resolves execution variables, JsonGet paths with list indexes and quoted keys, and nested joins', async () => {
    // GIVEN
    const clock = new FakeClock();
    const received: JsonObject[] = [];
    const definition = {
      Parameters: [{ Name: 'Prefix', Type: 'String', DefaultValue: 's3://bucket' }],
      Steps: [
        processing('Report', {}, { PropertyFiles: [{ PropertyFileName: 'Report', OutputName: 'out', FilePath: 'report.json' }] }),
        processing('Use', {
          Id: { Get: 'Execution.PipelineExecutionId' },
          Arn: { Get: 'Execution.PipelineExecutionArn' },
          Name: { Get: 'Execution.PipelineName' },
          Started: { Get: 'Execution.StartDateTime' },
          Path: { 'Std:Join': { On: '/', Values: [{ Get: 'Parameters.Prefix' }, { Get: 'Execution.PipelineExecutionId' }, 'x'] } },
          Metric: { 'Std:JsonGet': { PropertyFile: { Get: 'Steps.Report.PropertyFiles.Report' }, Path: "metrics[1]['f1'].value" } },
          Job: { Get: 'Steps.Report.Jobs[0].Name' },
        }),
      ],
    };

    // WHEN
    const result = await runPipeline(definition, {
      executionId: 'abc123',
      pipelineName: 'churn-dev',
      pipelineArn: 'arn:aws:sagemaker:us-east-1:111122223333:pipeline/churn-dev',
      clock,
      runners: {
        Processing: async (request): Promise<StepRunOutcome> => {
          received.push(request.arguments);
          return request.name === 'Report'
            ? { properties: { Jobs: [{ Name: 'job-1' }] }, propertyFiles: { Report: JSON.stringify({ metrics: [{ f1: { value: 0.1 } }, { f1: { value: 0.7 } }] }) } }
            : { properties: {} };
        },
      },
    });

    // THEN
    expect(result.status).toBe('Succeeded');
    expect(result.executionArn).toBe('arn:aws:sagemaker:us-east-1:111122223333:pipeline/churn-dev/execution/abc123');
    expect(received[1]).toEqual({
      Id: 'abc123',
      Arn: 'arn:aws:sagemaker:us-east-1:111122223333:pipeline/churn-dev/execution/abc123',
      Name: 'churn-dev',
      Started: '2026-03-01T10:00:00.000Z',
      Path: 's3://bucket/abc123/x',
      Metric: 0.7,
      Job: 'job-1',
    });
    expect(result.steps[0].propertyFiles).toEqual({ Report: { metrics: [{ f1: { value: 0.1 } }, { f1: { value: 0.7 } }] } });
  });

  test('generates an execution id like SageMaker when none is given', async () => {
    const result = await runPipeline({ Steps: [processing('Only')] }, { runners: { Processing: async () => ({ properties: {} }) } });
    expect(result.executionId).toMatch(/^[a-z0-9]{12}$/);
  });

  test.each([
    [{ X: { Get: 'Execution.PipelineName' } }, /reads Execution\.PipelineName: pass the pipeline's name \(pipelineName\)/],
    [{ X: { Get: 'Execution.Nope' } }, /reads Execution\.Nope, which is not an execution variable/],
    [{ X: { Get: 'Steps.Only.PropertyFiles.Report' } }, /reads a property file outside Std:JsonGet/],
    [{ X: { 'Std:Concat': [] } }, /Std:Concat is not a function the local executor knows/],
    [{ X: { Get: "Steps.Other.Outputs['a" } }, /path "Outputs\['a" is not valid/],
    [{ X: { Get: 'Parameters.Missing' } }, /reads parameter "Missing", which is not in the pipeline/],
  ])('fails before running when an expression cannot resolve: %j', async (args, expected) => {
    const calls: string[] = [];
    const promise = runPipeline(
      { Steps: [processing('Other'), processing('Uses', args)] },
      { runners: { Processing: async (request) => (calls.push(request.name), { properties: {} }) } },
    );
    await expect(promise).rejects.toThrow(expected);
    expect(calls).toEqual([]);
  });
});
