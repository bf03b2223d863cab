import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { SageMakerClient } from '@aws-sdk/client-sagemaker';
import { mockClient } from 'aws-sdk-client-mock';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { JsonObject } from '../../../constructs/pipeline-definition';
import { REVIEW_ENV, REVIEW_REQUEST } from '../../../lambda/review-gate/environment';
import type { ControlPlane } from '../../../lib/local/control-plane';
import { PipelineClock, PipelineDefinitionDocument, runPipeline, StepDocument, StepRunRequest } from '../../../lib/local/pipeline-executor';
import type { LocalFunction } from '../../../lib/local/local-stage';
import { LocalImageError, localStepRunners } from '../../../lib/local/step-runners';

// The local step runners refuse, before they touch S3 or start Python, a job whose image has no
// local stand-in. No moto and no Python here: the control plane is an empty object that records
// every property read of it (a refusal must come before any), and the interpreter does not exist.
// Lambda steps run the function's own handler code in-process, here with mocked S3 and SageMaker
// clients in place of the control plane's.

const CUSTOM_IMAGE = '123456789012.dkr.ecr.us-east-1.amazonaws.com/my-team/custom:1';
const SKLEARN_IMAGE = '683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-scikit-learn:1.2-1-cpu-py3';
const XGBOOST_IMAGE = '683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1';
/** Why a processing image is refused, and a training image. */
const NO_STAND_IN =
  "has no local stand-in (only AWS's sagemaker-scikit-learn, sagemaker-xgboost, sagemaker-model-monitor-analyzer, sagemaker-clarify-processing images run locally; a custom image needs Docker and SageMaker)";
const NO_TRAINING_STAND_IN = "has no local stand-in (only AWS's sagemaker-xgboost images run locally; a custom image needs Docker and SageMaker)";

let jobsDir: string;
/** Every property of the control plane a runner read: a refusal reads none. */
let touched: string[];
let controlPlane: ControlPlane;

beforeEach(() => {
  jobsDir = mkdtempSync(join(tmpdir(), 'cdk-mlops-step-runners-'));
  touched = [];
  controlPlane = new Proxy({} as ControlPlane, {
    get: (target, key) => {
      touched.push(String(key));
      return Reflect.get(target, key);
    },
  });
});
afterEach(() => rmSync(jobsDir, { recursive: true, force: true }));

const runners = (functions: ReadonlyMap<string, LocalFunction> = new Map()) => localStepRunners({ controlPlane, functions, jobsDir, python: '/nonexistent/python3' });

function request(name: string, type: string, args: JsonObject): StepRunRequest {
  return {
    execution: { executionId: 'run0001', startedAt: '2026-03-01T10:00:00.000Z' },
    name,
    type,
    attempt: 1,
    arguments: args,
    propertyFiles: [],
    step: { Name: name, Type: type, Arguments: args },
  };
}

const processingArguments = (app: JsonObject, extra: JsonObject = {}): JsonObject => ({
  AppSpecification: app,
  ProcessingInputs: [
    {
      InputName: 'input',
      S3Input: { S3Uri: 's3://data/raw/', LocalPath: '/opt/ml/processing/input', S3DataType: 'S3Prefix', S3InputMode: 'File', S3DataDistributionType: 'FullyReplicated' },
    },
  ],
  ProcessingOutputConfig: { Outputs: [{ OutputName: 'out', S3Output: { S3Uri: 's3://data/out', LocalPath: '/opt/ml/processing/output', S3UploadMode: 'EndOfJob' } }] },
  ProcessingResources: { ClusterConfig: { InstanceType: 'ml.m5.large', InstanceCount: 1, VolumeSizeInGB: 30 } },
  RoleArn: 'arn:aws:iam::123456789012:role/pipeline',
  ...extra,
});

const trainingArguments = (algorithm: JsonObject): JsonObject => ({
  AlgorithmSpecification: algorithm,
  InputDataConfig: [{ ChannelName: 'train', ContentType: 'text/csv', DataSource: { S3DataSource: { S3DataType: 'S3Prefix', S3Uri: 's3://data/features/train' } } }],
  OutputDataConfig: { S3OutputPath: 's3://artifacts/models' },
  ResourceConfig: { InstanceType: 'ml.m5.large', InstanceCount: 1, VolumeSizeInGB: 30 },
  HyperParameters: { num_round: '10' },
  StoppingCondition: { MaxRuntimeInSeconds: 3600 },
  RoleArn: 'arn:aws:iam::123456789012:role/pipeline',
});

/** The runner's rejection, checked to be a LocalImageError that came before any S3 call or Python run. */
async function refusal(promise: Promise<unknown>): Promise<LocalImageError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(LocalImageError);
  expect((error as Error).name).toBe('LocalImageError');
  expect(touched).toEqual([]);
  return error as LocalImageError;
}

describe('localStepRunners refuse what has no local stand-in', () => {
  test.each([
    ['a custom image in ECR', CUSTOM_IMAGE],
    ['an image from another registry', 'docker.io/library/python:3.11'],
    ["a repository named like AWS's in another account", '123456789012.dkr.ecr.us-east-1.amazonaws.com/sagemaker-scikit-learn:1.2-1-cpu-py3'],
  ])('refuses a Processing step whose image is %s, naming the step and the image', async (_, image) => {
    // WHEN
    const error = await refusal(runners().Processing!(request('CustomFeatures', 'Processing', processingArguments({ ImageUri: image, ContainerEntrypoint: ['python3', '/opt/ml/processing/input/code/run.py'] }))));

    // THEN
    expect(error.message).toBe(`step CustomFeatures cannot run locally: image ${image} ${NO_STAND_IN}`);
    expect(readdirSync(jobsDir)).toEqual([]);
  });

  test('refuses a Training step whose TrainingImage is a custom image, naming the step and the image', async () => {
    // WHEN
    const error = await refusal(runners().Training!(request('CustomTrain', 'Training', trainingArguments({ TrainingImage: CUSTOM_IMAGE, TrainingInputMode: 'File' }))));

    // THEN
    expect(error.message).toBe(`step CustomTrain cannot run locally: image ${CUSTOM_IMAGE} ${NO_TRAINING_STAND_IN}`);
    expect(readdirSync(jobsDir)).toEqual([]);
  });

  test('refuses a Training step on a processing-only image (scikit-learn has no training stand-in)', async () => {
    const error = await refusal(runners().Training!(request('Train', 'Training', trainingArguments({ TrainingImage: SKLEARN_IMAGE, TrainingInputMode: 'File' }))));
    expect(error.message).toBe(`step Train cannot run locally: image ${SKLEARN_IMAGE} ${NO_TRAINING_STAND_IN}`);
  });

  test('refuses a Training step in Pipe input mode, naming the mode', async () => {
    // WHEN
    const error = await refusal(runners().Training!(request('Train', 'Training', trainingArguments({ TrainingImage: XGBOOST_IMAGE, TrainingInputMode: 'Pipe' }))));

    // THEN
    expect(error.message).toBe(`step Train cannot run locally: image ${XGBOOST_IMAGE} uses TrainingInputMode Pipe; only File mode runs locally`);
    expect(readdirSync(jobsDir)).toEqual([]);
  });

  test('refuses a scikit-learn Processing step whose entrypoint is not "python3 <script>", naming the entrypoint', async () => {
    // GIVEN a step with an input: the entrypoint is checked before anything is copied
    const args = processingArguments({ ImageUri: SKLEARN_IMAGE, ContainerEntrypoint: ['bash', 'run.sh'] });

    // WHEN
    const error = await refusal(runners().Processing!(request('ShellFeatures', 'Processing', args)));

    // THEN
    expect(error.message).toBe(
      `step ShellFeatures cannot run locally: image ${SKLEARN_IMAGE} runs ["bash","run.sh"]; only a "python3 <script>" entrypoint runs locally`,
    );
    expect(touched).toEqual([]);
    expect(readdirSync(jobsDir)).toEqual([]);
  });

  test('refuses a scikit-learn Processing step with no entrypoint at all', async () => {
    const args = processingArguments({ ImageUri: SKLEARN_IMAGE }, { ProcessingInputs: [] });
    const error = await refusal(runners().Processing!(request('NoEntrypoint', 'Processing', args)));
    expect(error.message).toBe(`step NoEntrypoint cannot run locally: image ${SKLEARN_IMAGE} runs []; only a "python3 <script>" entrypoint runs locally`);
  });
});

describe('runPipeline with the local step runners', () => {
  /** A clock whose sleep fails the test: nothing here may be retried. */
  const clock: PipelineClock = {
    now: () => new Date('2026-03-01T10:00:00.000Z'),
    sleep: async (seconds) => {
      throw new Error(`slept ${seconds} s`);
    },
  };

  test('fails the execution at a custom-image step with the LocalImageError message, and runs nothing after it', async () => {
    // GIVEN a custom-image processing step, retried on internal errors, and a step that reads its output
    const definition: PipelineDefinitionDocument = {
      Version: '2020-12-01',
      Parameters: [{ Name: 'InputDataUrl', Type: 'String', DefaultValue: 's3://data/raw/' }],
      Steps: [
        {
          Name: 'CustomFeatures',
          Type: 'Processing',
          Arguments: processingArguments(
            { ImageUri: CUSTOM_IMAGE, ContainerEntrypoint: ['python3', '/opt/ml/processing/input/code/run.py'] },
            {
              ProcessingInputs: [
                {
                  InputName: 'input',
                  S3Input: { S3Uri: { Get: 'Parameters.InputDataUrl' }, LocalPath: '/opt/ml/processing/input', S3DataType: 'S3Prefix', S3InputMode: 'File' },
                },
              ],
            },
          ),
          RetryPolicies: [{ ExceptionType: ['SageMaker.JOB_INTERNAL_ERROR', 'SageMaker.CAPACITY_ERROR'], IntervalSeconds: 30, BackoffRate: 2, MaxAttempts: 4 }],
        },
        {
          Name: 'Train',
          Type: 'Training',
          Arguments: {
            ...trainingArguments({ TrainingImage: XGBOOST_IMAGE, TrainingInputMode: 'File' }),
            InputDataConfig: [
              {
                ChannelName: 'train',
                DataSource: { S3DataSource: { S3DataType: 'S3Prefix', S3Uri: { Get: "Steps.CustomFeatures.ProcessingOutputConfig.Outputs['out'].S3Output.S3Uri" } } },
              },
            ],
          },
        },
      ],
    };
    const expected = new LocalImageError('CustomFeatures', CUSTOM_IMAGE, NO_STAND_IN).message;

    // WHEN
    const result = await runPipeline(definition, { executionId: 'run0001', runners: runners(), clock });

    // THEN
    expect(result).toMatchObject({ status: 'Failed', failedStep: 'CustomFeatures' });
    expect(result.failureReason).toContain(expected);
    expect(result.failureReason).toBe(`step "CustomFeatures" (Processing) failed: ${expected}`);
    expect(result.steps).toEqual([
      expect.objectContaining({ name: 'CustomFeatures', type: 'Processing', status: 'Failed', attempts: 1, failureReason: expected }),
    ]);
    // The runner received the resolved request.
    expect((result.steps[0].arguments as any).ProcessingInputs[0].S3Input.S3Uri).toBe('s3://data/raw/');
    expect(result.notRun).toEqual([{ name: 'Train', type: 'Training', reason: 'it waits for "CustomFeatures", which failed' }]);
    expect(touched).toEqual([]);
    expect(readdirSync(jobsDir)).toEqual([]);
  });
});

describe('the Lambda runner', () => {
  const FUNCTION_ARN = 'arn:aws:lambda:us-east-1:123456789012:function:churn-dev-review-gate';
  const s3 = mockClient(S3Client);
  const sagemaker = mockClient(SageMakerClient);
  const reviewGate: LocalFunction = {
    handlerFolder: 'review-gate',
    environment: {
      [REVIEW_ENV.MODEL_PACKAGE_GROUP]: 'churn-dev-models',
      [REVIEW_ENV.ARTIFACTS_BUCKET]: 'artifacts',
      [REVIEW_ENV.POLICY]: JSON.stringify({ problemType: 'binary', checks: [{ metric: 'auc', comparison: '>=', threshold: 0.6 }], modelCard: { intendedUse: '', riskRating: 'Low' } }),
    },
  };
  const event: JsonObject = {
    [REVIEW_REQUEST.EVALUATION_REPORT_URL]: 's3://artifacts/evaluation/run0001/evaluation.json',
    [REVIEW_REQUEST.BIAS_REPORT_URL]: '',
    [REVIEW_REQUEST.REVIEW_OUTPUT_URL]: 's3://artifacts/review/run0001',
    [REVIEW_REQUEST.FIRST_CHECK_THRESHOLD]: 0.6,
    [REVIEW_REQUEST.PIPELINE_EXECUTION_ID]: 'run0001',
  };
  /** The Review step as the pipeline declares it, with `outputs` as its OutputParameters. */
  const reviewRequest = (outputs: Record<string, string>, functionArn = FUNCTION_ARN): StepRunRequest => {
    const step = request('Review', 'Lambda', event);
    return { ...step, step: { ...step.step, FunctionArn: functionArn, OutputParameters: Object.entries(outputs).map(([OutputName, OutputType]) => ({ OutputName, OutputType })) } as StepDocument };
  };

  beforeEach(() => {
    s3.reset();
    sagemaker.reset();
    s3.on(GetObjectCommand).resolves({ Body: { transformToString: async () => JSON.stringify({ binary_classification_metrics: { auc: { value: 0.71 } } }) } } as never);
    s3.on(PutObjectCommand).resolves({});
    controlPlane = { s3: new S3Client({}), sagemaker: new SageMakerClient({}) } as unknown as ControlPlane;
  });

  test("runs the function's handler code with its deployed environment and keeps the declared outputs of its answer, typed", async () => {
    // WHEN
    const outcome = await runners(new Map([[FUNCTION_ARN, reviewGate]])).Lambda!(reviewRequest({ Passed: 'Boolean', Summary: 'String' }));

    // THEN the answer's undeclared keys (FailureMessage, ModelCardContent, ...) are not kept, as SageMaker keeps only OutputParameters
    expect(outcome).toEqual({ properties: { FunctionArn: FUNCTION_ARN, OutputParameters: { Passed: true, Summary: 'passed: auc 0.71 at least 0.6' } } });
    expect(s3.commandCalls(GetObjectCommand).map((call) => call.args[0].input)).toEqual([{ Bucket: 'artifacts', Key: 'evaluation/run0001/evaluation.json' }]);
    expect(s3.commandCalls(PutObjectCommand).map((call) => call.args[0].input.Key)).toEqual(['review/run0001/review.json', 'review/run0001/model-card.json']);
  });

  test('fails the step when the answer does not have a declared output of the declared type', async () => {
    await expect(runners(new Map([[FUNCTION_ARN, reviewGate]])).Lambda!(reviewRequest({ Passed: 'String' }))).rejects.toThrow(
      'step Review: the function\'s answer has Passed = true, not the declared String',
    );
    await expect(runners(new Map([[FUNCTION_ARN, reviewGate]])).Lambda!(reviewRequest({ Verdict: 'Boolean' }))).rejects.toThrow(
      "step Review: the function's answer has Verdict = undefined, not the declared Boolean",
    );
  });

  test('refuses a function that is not in the stack, or whose handler the local loop cannot run, before calling anything', async () => {
    const other = 'arn:aws:lambda:us-east-1:123456789012:function:elsewhere';
    await expect(runners(new Map([[FUNCTION_ARN, reviewGate]])).Lambda!(reviewRequest({ Passed: 'Boolean' }, other))).rejects.toThrow(
      `step Review invokes ${other}, which is not a function of the stack`,
    );
    await expect(runners(new Map([[FUNCTION_ARN, { handlerFolder: 'deployer', environment: {} }]])).Lambda!(reviewRequest({ Passed: 'Boolean' }))).rejects.toThrow(
      'step Review invokes the deployer function, which the local loop cannot run',
    );
    expect(s3.calls()).toHaveLength(0);
  });
});
