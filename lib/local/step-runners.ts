/**
 * Runners that execute the pipeline's steps on this machine, as SageMaker would run their jobs:
 *
 * - Processing with a scikit-learn or XGBoost framework image: the entrypoint's Python script runs
 *   with local Python, once per instance, in a folder that stands for the container's `/`. Inputs
 *   are copied from S3 to their `LocalPath`, `ShardedByS3Key` inputs split between the instances,
 *   `/opt/ml/config/resourceconfig.json` names the hosts, and each output's `LocalPath` is
 *   uploaded to its S3 URI at the end of the job.
 * - Processing with the Model Monitor analyzer image: ml/local/model_monitor.py, an emulation
 *   that reads the same environment and writes statistics.json and constraints.json.
 * - Training with the built-in XGBoost algorithm: ml/train.py on the same channels and
 *   hyperparameters, its model packed as `<S3OutputPath>/<job name>/output/model.tar.gz`.
 * - Tuning with that algorithm: a small seeded random search of such training jobs over the
 *   step's ranges, ranked by its objective metric (an emulation of SageMaker's tuning service).
 * - RegisterModel: CreateModelPackage with the resolved arguments, on the local control plane.
 * - Processing with the Clarify image: ml/local/clarify.py, an emulation of its pre-training bias
 *   analysis that reads the same analysis configuration and writes analysis.json.
 * - Lambda: the function's own handler code, called in this process with its deployed
 *   environment and clients of the local control plane (the review gate).
 *
 * Any other image cannot run here: the step fails with a {@link LocalImageError} naming it.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CreateModelPackageCommand, type CreateModelPackageCommandInput, DescribeModelPackageCommand } from '@aws-sdk/client-sagemaker';
import type { JsonObject } from '../../constructs/pipeline-definition';
import { packageFile } from '../../constructs/private/package-files';
import { awsImageRepository } from '../../constructs/sagemaker-image';
import { BIAS_CONFIG_REQUEST, readReviewSettings } from '../../lambda/review-gate/environment';
import { reviewModel, writeBiasAnalysisConfig } from '../../lambda/review-gate/review';
import { ControlPlane, parseS3Uri } from './control-plane';
import type { LocalFunction } from './local-stage';
import { runPythonScript } from './python-script';
import type { StepRunners, StepRunOutcome, StepRunRequest } from './pipeline-executor';

/** Where the container paths of a job's instance live on this machine. */
const CONTAINER_ROOT_VARIABLE = 'CDK_MLOPS_CONTAINER_ROOT';
const OPT_ML = '/opt/ml/';

/** A step whose image has no local stand-in. */
export class LocalImageError extends Error {
  constructor(step: string, image: string, reason: string) {
    super(`step ${step} cannot run locally: image ${image} ${reason}`);
    this.name = 'LocalImageError';
  }
}

export interface LocalRunnerOptions {
  readonly controlPlane: ControlPlane;
  /** The stack's functions by ARN, for Lambda steps. */
  readonly functions: ReadonlyMap<string, LocalFunction>;
  /** Each job gets a folder below it. */
  readonly jobsDir: string;
  /** The Python interpreter with numpy, pandas, scikit-learn and xgboost. */
  readonly python: string;
}

/** What a job's image is replaced with here. */
type LocalStandIn = 'python-script' | 'model-monitor' | 'clarify' | 'xgboost-algorithm';

// The repositories of AWS's prebuilt images, per step type, that have a local stand-in.
const PROCESSING_IMAGES: Record<string, LocalStandIn> = {
  'sagemaker-scikit-learn': 'python-script',
  'sagemaker-xgboost': 'python-script',
  'sagemaker-model-monitor-analyzer': 'model-monitor',
  'sagemaker-clarify-processing': 'clarify',
};
/** The emulation script of each analysis image. */
const STAND_IN_SCRIPTS: Partial<Record<LocalStandIn, string>> = { 'model-monitor': 'model_monitor.py', clarify: 'clarify.py' };
const TRAINING_IMAGES: Record<string, LocalStandIn> = { 'sagemaker-xgboost': 'xgboost-algorithm' };

export function localStepRunners(options: LocalRunnerOptions): StepRunners {
  return {
    Processing: (request) => runProcessing(options, request),
    Training: (request) => runTraining(options, request),
    Tuning: (request) => runTuning(options, request),
    RegisterModel: (request) => registerModel(options, request),
    Lambda: (request) => invokeFunction(options, request),
  };
}

/** Handlers a Lambda step may invoke here, by handler folder: each answers the step's event. */
const LAMBDA_HANDLERS: Readonly<Record<string, (plane: ControlPlane, environment: Readonly<Record<string, string>>, event: JsonObject) => Promise<JsonObject>>> = {
  'review-gate': async (plane, environment, event) => {
    const settings = readReviewSettings(environment);
    if (event[BIAS_CONFIG_REQUEST.ACTION] === BIAS_CONFIG_REQUEST.ACTION_VALUE) return writeBiasAnalysisConfig(plane.s3, settings, event);
    const { answer } = await reviewModel({ s3: plane.s3, sagemaker: plane.sagemaker }, settings, event);
    return { ...answer };
  },
};

async function invokeFunction(options: LocalRunnerOptions, request: StepRunRequest): Promise<StepRunOutcome> {
  const functionArn = string((request.step as { FunctionArn?: unknown }).FunctionArn, 'FunctionArn');
  const fn = options.functions.get(functionArn);
  if (!fn) throw new Error(`step ${request.name} invokes ${functionArn}, which is not a function of the stack`);
  const handler = LAMBDA_HANDLERS[fn.handlerFolder];
  if (!handler) throw new Error(`step ${request.name} invokes the ${fn.handlerFolder} function, which the local loop cannot run`);
  const answer = await handler(options.controlPlane, fn.environment, request.arguments);
  // What SageMaker keeps of the answer: the declared output parameters, typed.
  const declared = ((request.step as { OutputParameters?: { OutputName: string; OutputType: string }[] }).OutputParameters ?? []);
  const outputs: Record<string, boolean | number | string> = {};
  for (const { OutputName, OutputType } of declared) {
    const value = answer[OutputName];
    const expected = { String: 'string', Integer: 'number', Float: 'number', Boolean: 'boolean' }[OutputType];
    if (typeof value !== expected || (OutputType === 'Integer' && !Number.isInteger(value))) throw new Error(`step ${request.name}: the function's answer has ${OutputName} = ${JSON.stringify(value)}, not the declared ${OutputType}`);
    outputs[OutputName] = value as boolean | number | string;
  }
  return { properties: { FunctionArn: functionArn, OutputParameters: outputs } };
}

// ---------------------------------------------------------------------------------------------
// Processing
// ---------------------------------------------------------------------------------------------

interface ProcessingInput {
  readonly InputName: string;
  readonly S3Input?: { readonly S3Uri: string; readonly LocalPath: string; readonly S3DataDistributionType?: string };
}
interface ProcessingOutput {
  readonly OutputName: string;
  readonly S3Output?: { readonly S3Uri: string; readonly LocalPath: string };
}

async function runProcessing(options: LocalRunnerOptions, request: StepRunRequest): Promise<StepRunOutcome> {
  const args = request.arguments;
  const app = object(args.AppSpecification, 'AppSpecification');
  const image = string(app.ImageUri, 'AppSpecification.ImageUri');
  const standIn = standInFor(PROCESSING_IMAGES, request.name, image);
  const inputs = (args.ProcessingInputs ?? []) as unknown as ProcessingInput[];
  const outputs = (object(args.ProcessingOutputConfig ?? {}, 'ProcessingOutputConfig').Outputs ?? []) as unknown as ProcessingOutput[];
  const cluster = object(object(args.ProcessingResources, 'ProcessingResources').ClusterConfig, 'ProcessingResources.ClusterConfig');
  const instanceCount = Number(cluster.InstanceCount ?? 1);
  // Refused before anything is copied: an entrypoint that is not `python3 <script>` cannot run here.
  const entrypoint = standIn === 'python-script' ? pythonEntrypoint(request.name, image, app) : undefined;
  const jobName = jobNameFor(request);
  const jobDir = join(options.jobsDir, jobName);
  const hosts = Array.from({ length: instanceCount }, (_, index) => `algo-${index + 1}`);

  for (const [hostIndex, host] of hosts.entries()) {
    const root = join(jobDir, host);
    for (const input of inputs) {
      if (!input.S3Input) continue;
      const sharded = input.S3Input.S3DataDistributionType === 'ShardedByS3Key';
      await options.controlPlane.downloadPrefix(
        input.S3Input.S3Uri,
        containerPath(root, input.S3Input.LocalPath),
        sharded ? (index) => index % instanceCount === hostIndex : undefined,
      );
    }
    for (const output of outputs) if (output.S3Output) mkdirSync(containerPath(root, output.S3Output.LocalPath), { recursive: true });
    writeJson(containerPath(root, '/opt/ml/config/resourceconfig.json'), { current_host: host, hosts });

    const environment = mapContainerPaths(root, { ...stringMap(args.Environment) });
    const command = entrypoint ? scriptCommand(root, entrypoint) : [packageFile('ml', 'local', STAND_IN_SCRIPTS[standIn]!)];
    await runPythonScript(options.python, command, { ...environment, [CONTAINER_ROOT_VARIABLE]: root }, join(jobDir, `${host}.log`));
  }

  for (const output of outputs) {
    if (!output.S3Output) continue;
    for (const host of hosts) await options.controlPlane.uploadFolder(containerPath(join(jobDir, host), output.S3Output.LocalPath), output.S3Output.S3Uri);
  }

  const propertyFiles: Record<string, string> = {};
  for (const file of request.propertyFiles) {
    const output = outputs.find((candidate) => candidate.OutputName === file.OutputName);
    if (!output?.S3Output) throw new Error(`property file ${file.PropertyFileName} names output ${file.OutputName}, which the job does not have`);
    // Read back from S3, where SageMaker reads it: the output must have been uploaded.
    propertyFiles[file.PropertyFileName] = await options.controlPlane.getText(`${output.S3Output.S3Uri.replace(/\/+$/, '')}/${file.FilePath}`);
  }
  return {
    properties: {
      ...args,
      ProcessingJobName: jobName,
      ProcessingJobArn: jobArn(options, 'processing-job', jobName),
      ProcessingJobStatus: 'Completed',
    },
    propertyFiles,
  };
}

/** The script and its arguments of a `python3 <script> [args]` entrypoint plus ContainerArguments. */
function pythonEntrypoint(step: string, image: string, app: JsonObject): { script: string; args: string[] } {
  const entrypoint = ((app.ContainerEntrypoint ?? []) as string[]).concat((app.ContainerArguments ?? []) as string[]);
  const [interpreter, script, ...args] = entrypoint;
  if (!interpreter || !/^python3?$/.test(interpreter) || !script) {
    throw new LocalImageError(step, image, `runs ${JSON.stringify(entrypoint)}; only a "python3 <script>" entrypoint runs locally`);
  }
  return { script, args };
}

/** The command line on this machine: container paths (`/opt/ml/...`) below the instance's root. */
function scriptCommand(root: string, entrypoint: { script: string; args: string[] }): string[] {
  const scriptPath = containerPath(root, entrypoint.script);
  if (!existsSync(scriptPath)) throw new Error(`the entrypoint's script ${entrypoint.script} is not among the job's inputs`);
  return [scriptPath, ...entrypoint.args.map((arg) => (arg.startsWith(OPT_ML) ? containerPath(root, arg) : arg))];
}

// ---------------------------------------------------------------------------------------------
// Training
// ---------------------------------------------------------------------------------------------

interface Channel {
  readonly ChannelName: string;
  readonly ContentType?: string;
  readonly DataSource?: { readonly S3DataSource?: { readonly S3Uri: string; readonly S3DataDistributionType?: string } };
}

async function runTraining(options: LocalRunnerOptions, request: StepRunRequest): Promise<StepRunOutcome> {
  const args = request.arguments;
  checkTrainingImage(request.name, args);
  const jobName = jobNameFor(request);
  const job = await trainOnce(options, jobName, args, stringMap(args.HyperParameters));
  return {
    properties: {
      ...args,
      TrainingJobName: jobName,
      TrainingJobArn: jobArn(options, 'training-job', jobName),
      TrainingJobStatus: 'Completed',
      ModelArtifacts: { S3ModelArtifacts: job.modelUri },
      FinalMetricDataList: job.metrics,
    },
  };
}

/** The training image and input mode have a local stand-in, or the step is refused. */
function checkTrainingImage(step: string, definition: JsonObject): void {
  const algorithm = object(definition.AlgorithmSpecification, 'AlgorithmSpecification');
  const image = string(algorithm.TrainingImage ?? algorithm.AlgorithmName, 'AlgorithmSpecification.TrainingImage');
  standInFor(TRAINING_IMAGES, step, image);
  if ((algorithm.TrainingInputMode ?? 'File') !== 'File') {
    throw new LocalImageError(step, image, `uses TrainingInputMode ${String(algorithm.TrainingInputMode)}; only File mode runs locally`);
  }
  for (const channel of (definition.InputDataConfig ?? []) as unknown as Channel[]) {
    if (!channel.DataSource?.S3DataSource) throw new LocalImageError(step, image, `reads channel ${channel.ChannelName} from a source other than S3`);
  }
}

/**
 * One training job as the built-in XGBoost algorithm runs it: the channels copied to
 * `/opt/ml/input/data/<channel>`, ml/train.py with the hyperparameters, and the model packed as
 * `<S3OutputPath>/<job name>/output/model.tar.gz`.
 */
async function trainOnce(
  options: LocalRunnerOptions,
  jobName: string,
  definition: JsonObject,
  hyperparameters: Record<string, string>,
): Promise<{ modelUri: string; metrics: JsonObject[] }> {
  const jobDir = join(options.jobsDir, jobName);
  const root = join(jobDir, 'algo-1');
  const channels = (definition.InputDataConfig ?? []) as unknown as Channel[];
  const environment: Record<string, string> = { [CONTAINER_ROOT_VARIABLE]: root, SM_MODEL_DIR: containerPath(root, '/opt/ml/model') };
  for (const channel of channels) {
    const dir = containerPath(root, `/opt/ml/input/data/${channel.ChannelName}`);
    await options.controlPlane.downloadPrefix(channel.DataSource!.S3DataSource!.S3Uri, dir);
    environment[`SM_CHANNEL_${channel.ChannelName.toUpperCase()}`] = dir;
  }
  mkdirSync(environment.SM_MODEL_DIR, { recursive: true });
  writeJson(containerPath(root, '/opt/ml/input/config/hyperparameters.json'), hyperparameters);
  writeJson(containerPath(root, '/opt/ml/input/config/resourceconfig.json'), { current_host: 'algo-1', hosts: ['algo-1'] });
  writeJson(
    containerPath(root, '/opt/ml/input/config/inputdataconfig.json'),
    Object.fromEntries(channels.map((channel) => [channel.ChannelName, { ContentType: channel.ContentType, TrainingInputMode: 'File' }])),
  );

  const hyperparameterArgs = Object.entries(hyperparameters).flatMap(([name, value]) => [`--${name}`, value]);
  const stdout = await runPythonScript(options.python, [packageFile('ml', 'train.py'), ...hyperparameterArgs], environment, join(jobDir, 'algo-1.log'));

  const archive = join(jobDir, 'model.tar.gz');
  await packFolder(environment.SM_MODEL_DIR, archive);
  const outputPath = string(object(definition.OutputDataConfig, 'OutputDataConfig').S3OutputPath, 'OutputDataConfig.S3OutputPath').replace(/\/+$/, '');
  const modelUri = `${outputPath}/${jobName}/output/model.tar.gz`;
  await options.controlPlane.putFile(parseS3Uri(modelUri), archive);
  return { modelUri, metrics: finalMetrics(stdout) };
}

// ---------------------------------------------------------------------------------------------
// Tuning
// ---------------------------------------------------------------------------------------------

/** At most this many training jobs per tuning step run locally: a small search over the same ranges. */
export const LOCAL_TUNING_JOBS = 4;

interface NumericRange {
  readonly Name: string;
  readonly MinValue: string;
  readonly MaxValue: string;
  readonly ScalingType?: string;
}

/**
 * A hyperparameter tuning job, emulated: up to {@link LOCAL_TUNING_JOBS} training jobs (not
 * `MaxNumberOfTrainingJobs`) with values drawn at random from the ranges (seeded by the execution,
 * so a run repeats; Bayesian and Hyperband are searched the same way; Grid takes the first
 * combinations), ranked by the objective metric as SageMaker ranks them.
 */
async function runTuning(options: LocalRunnerOptions, request: StepRunRequest): Promise<StepRunOutcome> {
  const args = request.arguments;
  if (args.TrainingJobDefinitions !== undefined || args.WarmStartConfig !== undefined) {
    throw new LocalImageError(request.name, 'TrainingJobDefinitions', 'tunes several training job definitions or warm-starts; only one TrainingJobDefinition runs locally');
  }
  const definition = object(args.TrainingJobDefinition, 'TrainingJobDefinition');
  checkTrainingImage(request.name, definition);
  const config = object(args.HyperParameterTuningJobConfig, 'HyperParameterTuningJobConfig');
  const objective = object(config.HyperParameterTuningJobObjective ?? definition.TuningObjective, 'HyperParameterTuningJobObjective');
  const metricName = string(objective.MetricName, 'HyperParameterTuningJobObjective.MetricName');
  const maximize = objective.Type === 'Maximize';
  const ranges = object(config.ParameterRanges ?? definition.HyperParameterRanges ?? {}, 'ParameterRanges');
  const limits = object(config.ResourceLimits ?? {}, 'ResourceLimits');
  const candidates = tuningCandidates(ranges, config.Strategy === 'Grid', Number(limits.MaxNumberOfTrainingJobs ?? LOCAL_TUNING_JOBS), request.execution.executionId);

  // Tuning job names have at most 32 characters; its training jobs are named after it.
  const tuningJobName = `${request.execution.executionId}-${request.name}`.replace(/[^a-zA-Z0-9-]/g, '-').slice(0, 32);
  const summaries: JsonObject[] = [];
  for (const [index, tuned] of candidates.entries()) {
    const jobName = `${tuningJobName}-${String(index + 1).padStart(3, '0')}-${randomBytes(4).toString('hex')}`;
    const job = await trainOnce(options, jobName, definition, { ...stringMap(definition.StaticHyperParameters), ...tuned });
    const value = job.metrics.find((metric) => metric.MetricName === metricName)?.Value;
    if (typeof value !== 'number') {
      throw new Error(`training job ${jobName} emitted no ${metricName} (it emitted ${job.metrics.map((metric) => String(metric.MetricName)).join(', ') || 'nothing'})`);
    }
    summaries.push({
      TrainingJobName: jobName,
      TrainingJobArn: jobArn(options, 'training-job', jobName),
      TrainingJobStatus: 'Completed',
      TunedHyperParameters: tuned,
      FinalHyperParameterTuningJobObjectiveMetric: { MetricName: metricName, Value: value },
    });
  }
  const score = (summary: JsonObject) => Number((summary.FinalHyperParameterTuningJobObjectiveMetric as JsonObject).Value);
  summaries.sort((a, b) => (maximize ? score(b) - score(a) : score(a) - score(b)));
  return {
    properties: {
      ...args,
      HyperParameterTuningJobName: tuningJobName,
      HyperParameterTuningJobArn: jobArn(options, 'hyper-parameter-tuning-job', tuningJobName),
      HyperParameterTuningJobStatus: 'Completed',
      BestTrainingJob: summaries[0],
      TrainingJobSummaries: summaries,
    },
  };
}

/** The tuned values of each local training job. */
function tuningCandidates(ranges: JsonObject, grid: boolean, maxJobs: number, seed: string): Record<string, string>[] {
  const continuous = (ranges.ContinuousParameterRanges ?? []) as unknown as NumericRange[];
  const integer = (ranges.IntegerParameterRanges ?? []) as unknown as NumericRange[];
  const categorical = (ranges.CategoricalParameterRanges ?? []) as unknown as { Name: string; Values: string[] }[];
  const jobs = Math.max(1, Math.min(maxJobs, LOCAL_TUNING_JOBS));
  if (grid) {
    const combinations = categorical.reduce<Record<string, string>[]>(
      (sofar, range) => sofar.flatMap((partial) => range.Values.map((value) => ({ ...partial, [range.Name]: value }))),
      [{}],
    );
    return combinations.slice(0, jobs);
  }
  const random = seededRandom(seed);
  const draw = (range: NumericRange) => {
    const [min, max] = [Number(range.MinValue), Number(range.MaxValue)];
    const logarithmic = range.ScalingType === 'Logarithmic' && min > 0;
    return logarithmic ? Math.exp(Math.log(min) + random() * (Math.log(max) - Math.log(min))) : min + random() * (max - min);
  };
  return Array.from({ length: jobs }, () => ({
    ...Object.fromEntries(continuous.map((range) => [range.Name, draw(range).toPrecision(6)])),
    ...Object.fromEntries(integer.map((range) => [range.Name, String(Math.round(draw(range)))])),
    ...Object.fromEntries(categorical.map((range) => [range.Name, range.Values[Math.floor(random() * range.Values.length)]])),
  }));
}

/** A small deterministic generator (mulberry32) seeded by a string. */
function seededRandom(seed: string): () => number {
  let state = [...seed].reduce((hash, char) => (Math.imul(hash, 31) + char.charCodeAt(0)) | 0, 0x9e3779b9);
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The last value of each `<data>:<metric>=<value>` line the trainer printed, as FinalMetricDataList. */
function finalMetrics(stdout: string): JsonObject[] {
  const last = new Map<string, number>();
  for (const match of stdout.matchAll(/^\[\d+\]\s+(\w+:\w+)=([0-9.eE+-]+)$/gm)) last.set(match[1], Number(match[2]));
  return [...last].map(([MetricName, Value]) => ({ MetricName, Value }));
}

// ---------------------------------------------------------------------------------------------
// RegisterModel
// ---------------------------------------------------------------------------------------------

async function registerModel(options: LocalRunnerOptions, request: StepRunRequest): Promise<StepRunOutcome> {
  const sagemaker = options.controlPlane.sagemaker;
  const { ModelPackageArn } = await sagemaker.send(new CreateModelPackageCommand(request.arguments as unknown as CreateModelPackageCommandInput));
  const described = await sagemaker.send(new DescribeModelPackageCommand({ ModelPackageName: ModelPackageArn }));
  const { $metadata: _metadata, ...properties } = described;
  return { properties: JSON.parse(JSON.stringify(properties)) as JsonObject };
}

// ---------------------------------------------------------------------------------------------
// Shared
// ---------------------------------------------------------------------------------------------

function standInFor(table: Record<string, LocalStandIn>, step: string, image: string): LocalStandIn {
  const repository = awsImageRepository(image);
  const standIn = repository ? table[repository] : undefined;
  if (!standIn) {
    const known = Object.keys(table).join(', ');
    throw new LocalImageError(step, image, `has no local stand-in (only AWS's ${known} images run locally; a custom image needs Docker and SageMaker)`);
  }
  return standIn;
}

/** SageMaker names a pipeline's jobs `pipelines-<execution id>-<step>-<random>`, at most 63 characters. */
function jobNameFor(request: StepRunRequest): string {
  const suffix = `${request.attempt > 1 ? `${request.attempt}-` : ''}${randomBytes(3).toString('hex')}`;
  const base = `pipelines-${request.execution.executionId}-${request.name}`.replace(/[^a-zA-Z0-9-]/g, '-');
  return `${base.slice(0, 63 - suffix.length - 1)}-${suffix}`;
}

function jobArn(options: LocalRunnerOptions, type: string, name: string): string {
  return `arn:aws:sagemaker:${options.controlPlane.connection.region}:123456789012:${type}/${name.toLowerCase()}`;
}

function containerPath(root: string, path: string): string {
  if (!path.startsWith('/')) throw new Error(`container path "${path}" is not absolute`);
  return join(root, path);
}

/** Values that are container paths (`/opt/ml/...`) point below the instance's root. */
function mapContainerPaths(root: string, environment: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(environment).map(([name, value]) => [name, value.startsWith(OPT_ML) ? containerPath(root, value) : value]));
}

function object(value: unknown, what: string): JsonObject {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new Error(`the step's ${what} is not an object`);
  return value as JsonObject;
}

function string(value: unknown, what: string): string {
  if (typeof value !== 'string' || value === '') throw new Error(`the step's ${what} is not a string`);
  return value;
}

function stringMap(value: unknown): Record<string, string> {
  if (value === undefined) return {};
  return Object.fromEntries(Object.entries(object(value, 'map')).map(([key, item]) => [key, String(item)]));
}

function writeJson(path: string, value: unknown): void {
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, JSON.stringify(value));
}

/** Packs the folder's files at the archive root, as SageMaker packs /opt/ml/model. */
function packFolder(dir: string, archive: string): Promise<void> {
  const entries = readdirSync(dir);
  if (entries.length === 0) return Promise.reject(new Error(`the trainer wrote nothing to ${dir}`));
  return new Promise((resolve, reject) => {
    const child = spawn('tar', ['-czf', archive, '-C', dir, ...entries], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk));
    child.once('error', (err) => reject(new Error(`cannot run tar: ${err.message}`)));
    child.once('close', (code) => (code === 0 ? resolve() : reject(new Error(`tar failed (${code}): ${stderr.trim()}`))));
  });
}
