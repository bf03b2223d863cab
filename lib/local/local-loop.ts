/**
 * The whole loop on one machine: the stage's stack synthesized in this process, its resources
 * "deployed" into a moto server, the pipeline definition run by the local executor, the package
 * approved and handed to the real deployer code, served by a local model server with data
 * capture, the capture checked against the registered baseline, and a drift alarm delivered to the
 * real retraining-governor code.
 *
 * What stands in for AWS is named in the report's `emulated` list; nothing is skipped silently.
 */
import { ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { request } from 'node:http';
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import {
  CreateModelPackageGroupCommand,
  CreatePipelineCommand,
  DescribeDataQualityJobDefinitionCommand,
  DescribeEndpointCommand,
  DescribeEndpointConfigCommand,
  DescribeModelCommand,
  DescribeModelPackageCommand,
  DescribeMonitoringScheduleCommand,
  DescribeTransformJobCommand,
  StartPipelineExecutionCommand,
  UpdateModelPackageCommand,
} from '@aws-sdk/client-sagemaker';
import type { JsonObject, PrimitiveValue } from '../../constructs/pipeline-definition';
import { packageFile } from '../../constructs/private/package-files';
import { DeployerLog, DeploymentResult, handleDeployerEvent } from '../../lambda/deployer/deploy';
import { governRetraining, GovernorOutcome, RetrainingEvent } from '../../lambda/retraining-governor/governor';
import { handleBatchScorerEvent } from '../../lambda/batch-scorer/scorer';
import { runTransformJob } from './batch-runner';
import { modelCardUrlOf, REVIEW_OUTPUT } from '../../lambda/review-gate/environment';
import { TRAINING_PIPELINE_PARAMETERS } from '../../constructs/training-pipeline';
import { StageConfig } from '../stage-config';
import { ControlPlane, filesBelow, parseS3Uri } from './control-plane';
import { LOCAL_ACCOUNT, LocalStage, synthesizeLocalStage } from './local-stage';
import { EmulationLayer } from './emulation-layer';
import { checkModelQuality, LabelledRequest, ModelQualityResult } from './model-quality-check';
import { runPythonScript } from './python-script';
import { MotoServer } from './moto-server';
import { PipelineEvent, PipelineExecutionResult, runPipeline, StepExecutionResult } from './pipeline-executor';
import { LOCAL_TUNING_JOBS, localStepRunners } from './step-runners';

export interface LocalLoopOptions {
  readonly config: StageConfig;
  /** A CSV file or a folder of them, uploaded under the pipeline's InputDataUrl. */
  readonly dataPath: string;
  /** Shift the traffic so Model Monitor finds drift, and deliver the drift alarm to the governor. */
  readonly drift: boolean;
  /** Pipeline parameters overriding their defaults. */
  readonly parameters: { readonly [name: string]: PrimitiveValue };
  /** Approve a package the stage registers as PendingManualApproval. */
  readonly approve: boolean;
  /** The folder everything is written into. */
  readonly workDir: string;
  /** A Python 3 with numpy, pandas, scikit-learn and xgboost. */
  readonly python: string;
  /** Lines of progress, for a person. */
  readonly progress: (line: string) => void;
  /** The environment moto_server is found (PATH) and run in. @default process.env */
  readonly env?: NodeJS.ProcessEnv;
  /** A CSV file or folder for a second run, reviewed against the first run's model as its champion. */
  readonly challengerDataPath?: string;
}

/** The `--json` document; its shape is stable: every key is present, null when that part did not run. */
export interface LocalLoopReport {
  readonly stage: string;
  readonly status: 'Succeeded' | 'Failed' | 'PendingApproval';
  /** Why the run stopped early or failed; null when it ran to the end. */
  readonly stoppedBecause: string | null;
  readonly workDir: string;
  readonly pipeline: {
    readonly name: string;
    readonly executionId: string;
    readonly status: string;
    readonly failedStep: string | null;
    readonly failureReason: string | null;
    readonly seconds: number;
    readonly steps: readonly { readonly name: string; readonly type: string; readonly status: string; readonly attempts: number; readonly seconds: number; readonly outputs: Record<string, string> }[];
    readonly notRun: readonly { readonly name: string; readonly reason: string }[];
  } | null;
  /** The run's data profile (the DataProfile step's output), copied into the work folder. */
  readonly dataProfile: {
    readonly s3Uri: string;
    readonly htmlPath: string;
    readonly jsonPath: string;
    readonly warnings: readonly string[];
  } | null;
  readonly modelPackage: {
    readonly arn: string;
    readonly version: number;
    readonly approvalStatus: string;
    /** The status of the model card the package carries, null without one. */
    readonly modelCardStatus: string | null;
    /** Its registered pre-training bias report (ModelMetrics.Bias), null without one. */
    readonly biasReportS3Uri: string | null;
  } | null;
  /** The review gate's verdict on the run's model (its review.json), and where its model card is. */
  readonly review: LocalReview | null;
  /** A second run on --challenger-data against the model the first run registered (the champion). */
  readonly challenger: {
    readonly dataPath: string;
    readonly executionId: string;
    /** Registered: the gate let it through; Rejected: the gate stopped it; Failed: a step failed before the gate. */
    readonly outcome: 'Registered' | 'Rejected' | 'Failed';
    readonly reason: string | null;
    readonly review: LocalReview | null;
    readonly modelPackage: { readonly arn: string; readonly version: number; readonly approvalStatus: string } | null;
  } | null;
  readonly endpoint: {
    readonly name: string;
    readonly status: string;
    readonly servedPackageVersion: number | null;
    readonly deployerOutcome: string;
    readonly modelDataUrl: string;
  } | null;
  readonly traffic: {
    readonly requests: number;
    readonly captured: number;
    readonly samplingPercent: number;
    readonly drifted: boolean;
    readonly captureS3Uri: string;
  } | null;
  /** The test split scored as a batch input by the real scorer code, the job run locally; null when the stage has batch off. */
  readonly batch: {
    readonly jobName: string;
    readonly inputRows: number;
    readonly outputRows: number;
    /** The job's output path: `<input file>.out` under it. */
    readonly outputUri: string;
  } | null;
  readonly monitoring: {
    readonly violations: number;
    readonly checks: readonly { readonly feature: string; readonly check: string; readonly description: string }[];
    readonly reportPath: string;
    readonly reportS3Uri: string;
  } | null;
  /**
   * The model-quality check of the capture against ground truth generated from the test split's
   * labels (ml/local/model_quality.py); null when monitoring.modelQuality is off. It runs for
   * serverless stages too, on the local capture, with `scheduledInAws` false.
   */
  readonly modelQuality: ModelQualityResult | null;
  readonly retraining: {
    readonly trigger: string;
    readonly decision: string;
    readonly reason: string;
    readonly executionArn: string | null;
    /** Whether an EventBridge rule of the stage delivers this trigger in AWS. */
    readonly deliveredInAws: boolean;
  } | null;
  /** Each place where something of ours stands in for an AWS service, in words. */
  readonly emulated: readonly string[];
  /** Wall time of each part of the loop that ran. */
  readonly phases: readonly { readonly name: string; readonly seconds: number }[];
}

/** What the review gate decided, as review.json records it. */
export interface LocalReview {
  readonly passed: boolean;
  readonly summary: string;
  readonly checks: readonly { readonly check: string; readonly value: number | null; readonly threshold: number | null; readonly passed: boolean; readonly detail: string }[];
  readonly champion: { readonly modelPackageArn: string; readonly version: number | null; readonly value: number | null } | null;
  readonly reportS3Uri: string;
  readonly modelCardS3Uri: string;
}

/** Runs the loop; never throws for a failed step (the report says so), only for a broken environment. */
export async function runLocalLoop(options: LocalLoopOptions): Promise<LocalLoopReport> {
  const { progress, workDir } = options;
  mkdirSync(workDir, { recursive: true });
  const timer = stopwatch();
  // moto first: without it nothing else is worth doing.
  const moto = new MotoServer('moto_server', options.env);
  await moto.start();
  let layer: EmulationLayer | undefined;
  let plane: ControlPlane | undefined;
  let server: ModelServer | undefined;
  try {
    progress(`synth      ${options.config.project}-${options.config.stage} in this process`);
    const stage = synthesizeLocalStage(options.config, join(workDir, 'cdk.out'));
    const report = new ReportBuilder(options, stage);
    report.phase('synth', timer.lap());
    layer = new EmulationLayer(moto.endpoint, stage.region, LOCAL_ACCOUNT);
    await layer.start();
    plane = new ControlPlane({ endpoint: layer.endpoint, region: stage.region });
    report.useEmulationLayer(layer);
    progress(`control    moto on ${moto.endpoint}, behind the emulation layer on ${layer.endpoint}`);
    await deployStageResources(plane, stage, options.dataPath);
    report.phase('deploy stack resources', timer.lap());

    const execution = await runTrainingPipeline(plane, stage, options, options.parameters);
    report.pipeline(stage, execution);
    report.review(await readReview(plane, execution));
    report.phase('pipeline', timer.lap());
    await copyDataProfile(plane, options, report, execution);
    if (execution.status !== 'Succeeded') return report.finish('Failed', `pipeline step ${execution.failedStep ?? '?'} failed: ${execution.failureReason}`);
    const registered = execution.steps.find((step) => step.type === 'RegisterModel');
    if (!registered) return report.finish('Failed', 'the pipeline succeeded without registering a model');

    const pkg = await approvePackage(plane, stage, options, report, registered);
    if (!pkg) return report.finish('PendingApproval', 'the package waits for manual approval: run again with --approve');

    const deployed = await deploy(plane, stage, report, pkg, options.workDir);
    report.phase('approve and deploy', timer.lap());
    server = await ModelServer.start(options, stage, deployed.modelDir);
    progress(`serve      ${stage.deployer.endpointName} on ${server.url} (package version ${pkg.version})`);

    const labelled = await sendTraffic(plane, stage, options, report, execution, server);
    report.phase('serve and capture', timer.lap());
    if (stage.batch) {
      await scoreBatch(plane, stage, options, report, server);
      report.phase('batch', timer.lap());
    }
    await server.stop();
    server = undefined;
    const violations = await monitor(plane, stage, options, report, pkg);
    report.phase('monitor', timer.lap());
    const quality = await checkModelQuality(plane, stage, options.python, options.workDir, labelled);
    if (quality) {
      report.modelQuality(quality);
      report.phase('model quality', timer.lap());
    }
    if (options.drift || violations > 0) {
      await retrain(plane, stage, report, violations);
      report.phase('retrain decision', timer.lap());
    } else if (quality?.violated && stage.modelQualityAlarmName) {
      await retrainOnModelQuality(plane, stage, report, quality);
      report.phase('retrain decision', timer.lap());
    }
    if (options.challengerDataPath) {
      await challenge(plane, stage, options, report, options.challengerDataPath);
      report.phase('challenger', timer.lap());
    }
    return report.finish('Succeeded', null);
  } finally {
    await server?.stop();
    plane?.destroy();
    await layer?.stop();
    await moto.stop();
  }
}

// ---------------------------------------------------------------------------------------------
// The steps of the loop
// ---------------------------------------------------------------------------------------------

/** What CloudFormation and `cdk deploy` would create before the first run, plus the data. */
async function deployStageResources(plane: ControlPlane, stage: LocalStage, dataPath: string): Promise<void> {
  const buckets = new Set([...stage.buckets, ...stage.fileAssets.map((asset) => asset.bucket)]);
  for (const bucket of buckets) await plane.createBucket(bucket);
  for (const asset of stage.fileAssets) await plane.putFile(asset, asset.path);
  await plane.sagemaker.send(new CreateModelPackageGroupCommand({ ModelPackageGroupName: stage.deployer.modelPackageGroupName }));
  await plane.sagemaker.send(
    new CreatePipelineCommand({ PipelineName: stage.pipeline.name, PipelineDefinition: stage.pipeline.body, RoleArn: stage.pipeline.roleArn }),
  );
  await uploadData(plane, dataPath, stage.governor.inputDataUrl);
}

/** The CSV file, or every CSV file of the folder, under the S3 prefix. */
async function uploadData(plane: ControlPlane, dataPath: string, prefixUrl: string): Promise<void> {
  const files = statSync(dataPath).isDirectory() ? filesBelow(dataPath).filter((path) => path.toLowerCase().endsWith('.csv')) : [dataPath];
  if (files.length === 0) throw new Error(`no CSV files under ${dataPath}`);
  const { bucket, key } = parseS3Uri(prefixUrl);
  for (const file of files) await plane.putFile({ bucket, key: `${key}${basename(file)}` }, file);
}

async function runTrainingPipeline(
  plane: ControlPlane,
  stage: LocalStage,
  options: LocalLoopOptions,
  parameters: { readonly [name: string]: PrimitiveValue },
): Promise<PipelineExecutionResult> {
  // Started on the control plane too, so the governor later sees this execution in the history.
  const { PipelineExecutionArn } = await plane.sagemaker.send(
    new StartPipelineExecutionCommand({
      PipelineName: stage.pipeline.name,
      PipelineParameters: Object.entries(parameters).map(([Name, Value]) => ({ Name, Value: String(Value) })),
      ClientRequestToken: randomUUID(),
    }),
  );
  const executionId = String(PipelineExecutionArn).split('/').pop()!;
  options.progress(`pipeline   ${stage.pipeline.name} execution ${executionId}`);
  const execution = await runPipeline(stage.pipeline.definition, {
    executionId,
    parameters,
    pipelineName: stage.pipeline.name,
    pipelineArn: stage.pipeline.arn,
    runners: localStepRunners({ controlPlane: plane, functions: stage.functions, jobsDir: join(options.workDir, 'jobs'), python: options.python }),
    onEvent: (event) => options.progress(describeStepEvent(event)),
  });
  return execution;
}

/** The review gate's review.json of an execution whose Review step ran; null otherwise. */
async function readReview(plane: ControlPlane, execution: PipelineExecutionResult): Promise<LocalReview | null> {
  const outputs = execution.steps
    .filter((candidate) => candidate.type === 'Lambda' && candidate.status === 'Succeeded')
    .map((step) => step.properties.OutputParameters as JsonObject | undefined)
    .find((answer) => answer?.[REVIEW_OUTPUT.REPORT_URL] !== undefined);
  const reportS3Uri = outputs?.[REVIEW_OUTPUT.REPORT_URL];
  if (typeof reportS3Uri !== 'string') return null;
  const review = JSON.parse(await plane.getText(reportS3Uri)) as Pick<LocalReview, 'passed' | 'checks' | 'champion'>;
  return {
    passed: review.passed,
    summary: String(outputs?.[REVIEW_OUTPUT.SUMMARY] ?? ''),
    checks: review.checks.map(({ check, value, threshold, passed, detail }) => ({ check, value, threshold, passed, detail })),
    champion: review.champion,
    reportS3Uri,
    modelCardS3Uri: modelCardUrlOf(reportS3Uri),
  };
}

/**
 * A second run on other data, started as an operator's retrain would be, whose review compares it
 * with the package the first run registered and approved: the champion.
 */
async function challenge(plane: ControlPlane, stage: LocalStage, options: LocalLoopOptions, report: ReportBuilder, dataPath: string): Promise<void> {
  // Under the raw prefix, which the pipeline's role may read, in a folder of its own.
  const inputDataUrl = `${stage.governor.inputDataUrl}challenger/`;
  await uploadData(plane, dataPath, inputDataUrl);
  options.progress(`challenger ${dataPath} → ${inputDataUrl}`);
  const execution = await runTrainingPipeline(plane, stage, options, {
    ...options.parameters,
    [TRAINING_PIPELINE_PARAMETERS.INPUT_DATA_URL]: inputDataUrl,
    [TRAINING_PIPELINE_PARAMETERS.TRIGGER_REASON]: 'manual:local challenger',
  });
  const review = await readReview(plane, execution);
  const registered = execution.steps.find((step) => step.type === 'RegisterModel' && step.status === 'Succeeded');
  let modelPackage: NonNullable<LocalLoopReport['challenger']>['modelPackage'] = null;
  if (registered) {
    const arn = String(registered.properties.ModelPackageArn);
    const described = await plane.sagemaker.send(new DescribeModelPackageCommand({ ModelPackageName: arn }));
    modelPackage = { arn, version: Number(described.ModelPackageVersion), approvalStatus: String(described.ModelApprovalStatus) };
  }
  const outcome = registered ? 'Registered' : review && !review.passed ? 'Rejected' : 'Failed';
  const reason = outcome === 'Registered' ? null : (execution.failureReason ?? null);
  options.progress(
    `challenger ${outcome.toLowerCase()}${modelPackage ? ` as version ${modelPackage.version} (${modelPackage.approvalStatus}; not deployed here: moto lacks UpdateEndpoint)` : ''}${reason ? `: ${reason}` : ''}`,
  );
  report.challenger({ dataPath, executionId: execution.executionId, outcome, reason, review, modelPackage });
}

/** The DataProfile step's report, when the pipeline has one, into `<work>/profile/`. */
async function copyDataProfile(plane: ControlPlane, options: LocalLoopOptions, report: ReportBuilder, execution: PipelineExecutionResult): Promise<void> {
  const step = execution.steps.find((candidate) => candidate.name === 'DataProfile' && candidate.status === 'Succeeded');
  const s3Uri = step && processingOutputs(step).find((output) => output.OutputName === 'profile')?.S3Output?.S3Uri;
  if (!s3Uri) return;
  const dir = join(options.workDir, 'profile');
  await plane.downloadPrefix(s3Uri, dir);
  const profile = JSON.parse(readFileSync(join(dir, 'profile.json'), 'utf8')) as { warnings?: { message: string }[] };
  const warnings = (profile.warnings ?? []).map((warning) => warning.message);
  report.dataProfile({ s3Uri, htmlPath: join(dir, 'profile.html'), jsonPath: join(dir, 'profile.json'), warnings });
  options.progress(`profile    ${join(dir, 'profile.html')}${warnings.length ? ` (${warnings.length} warning${warnings.length === 1 ? '' : 's'})` : ''}`);
}

interface RegisteredPackage {
  readonly arn: string;
  readonly version: number;
}

async function approvePackage(
  plane: ControlPlane,
  stage: LocalStage,
  options: LocalLoopOptions,
  report: ReportBuilder,
  registered: StepExecutionResult,
): Promise<RegisteredPackage | undefined> {
  const arn = String(registered.properties.ModelPackageArn);
  const described = await plane.sagemaker.send(new DescribeModelPackageCommand({ ModelPackageName: arn }));
  const version = Number(described.ModelPackageVersion);
  let status = String(described.ModelApprovalStatus);
  if (status !== 'Approved' && options.approve) {
    await plane.sagemaker.send(new UpdateModelPackageCommand({ ModelPackageArn: arn, ModelApprovalStatus: 'Approved', ApprovalDescription: 'approved by cdk-mlops local run --approve' }));
    status = 'Approved';
    options.progress(`approve    version ${version} approved (--approve)`);
  } else {
    options.progress(`register   version ${version} is ${status}${stage.config.approval.mode === 'auto' ? ' (the stage approves automatically)' : ''}`);
  }
  report.modelPackage({
    arn,
    version,
    approvalStatus: status,
    modelCardStatus: described.ModelCard?.ModelCardStatus ?? null,
    biasReportS3Uri: described.ModelMetrics?.Bias?.PreTrainingReport?.S3Uri ?? null,
  });
  return status === 'Approved' ? { arn, version } : undefined;
}

interface Deployment {
  readonly modelDir: string;
}

/** The deployer's code receives the event EventBridge would deliver, then the endpoint's InService event. */
async function deploy(plane: ControlPlane, stage: LocalStage, report: ReportBuilder, pkg: RegisteredPackage, workDir: string): Promise<Deployment> {
  const deps = {
    sagemaker: plane.sagemaker,
    autoscaling: plane.autoscaling,
    settings: stage.deployer,
    log: jsonLinesLog(join(workDir, 'deployer.log')),
  };
  const approved = eventBridgeEvent(stage, 'aws.sagemaker', 'SageMaker Model Package State Change', [pkg.arn], {
    ModelPackageGroupName: stage.deployer.modelPackageGroupName,
    ModelPackageArn: pkg.arn,
    ModelPackageVersion: pkg.version,
    ModelApprovalStatus: 'Approved',
  });
  const result: DeploymentResult = await handleDeployerEvent(approved, deps);
  report.progress(`deploy     deployer: ${result.outcome} (${result.detail})`);
  const endpointName = stage.deployer.endpointName;
  const endpoint = await plane.sagemaker.send(new DescribeEndpointCommand({ EndpointName: endpointName }));
  if (endpoint.EndpointStatus === 'InService') {
    const inService = eventBridgeEvent(stage, 'aws.sagemaker', 'SageMaker Endpoint State Change', [String(endpoint.EndpointArn)], {
      EndpointName: endpointName,
      EndpointStatus: 'InService',
    });
    const settled = await handleDeployerEvent(inService, deps);
    report.progress(`deploy     deployer on InService: ${settled.outcome} (${settled.detail})`);
  }

  // What the endpoint serves, read the way SageMaker resolves it: config → model → package → model data.
  const described = await plane.sagemaker.send(new DescribeEndpointCommand({ EndpointName: endpointName }));
  const config = await plane.sagemaker.send(new DescribeEndpointConfigCommand({ EndpointConfigName: described.EndpointConfigName }));
  const modelName = config.ProductionVariants?.[0]?.ModelName;
  const model = await plane.sagemaker.send(new DescribeModelCommand({ ModelName: modelName }));
  const packageArn = model.PrimaryContainer?.ModelPackageName;
  if (!packageArn) throw new Error(`model ${modelName} the endpoint serves names no model package`);
  const served = await plane.sagemaker.send(new DescribeModelPackageCommand({ ModelPackageName: packageArn }));
  const modelDataUrl = served.InferenceSpecification?.Containers?.[0]?.ModelDataUrl;
  if (!modelDataUrl) throw new Error(`model package ${packageArn} has no ModelDataUrl`);
  const modelDir = join(workDir, 'serving');
  await plane.downloadPrefix(modelDataUrl, modelDir);
  report.endpoint(endpointName, String(described.EndpointStatus), Number(served.ModelPackageVersion), result.outcome, modelDataUrl);
  return { modelDir };
}

/** Sends the test split, one row per request, as a client of the endpoint would. */
async function sendTraffic(
  plane: ControlPlane,
  stage: LocalStage,
  options: LocalLoopOptions,
  report: ReportBuilder,
  execution: PipelineExecutionResult,
  server: ModelServer,
): Promise<LabelledRequest[]> {
  const testUri = outputUri(execution, 'test');
  const testDir = join(options.workDir, 'traffic', 'test');
  await plane.downloadPrefix(testUri, testDir);
  const rows = filesBelow(testDir).flatMap((path) => readFileSync(path, 'utf8').split('\n').filter((line) => line.trim() !== ''));
  // The split is label first; a client sends the features only.
  const requests = rows.map((row) => row.split(',').slice(1)).map((cells) => (options.drift ? drifted(cells) : cells).join(','));
  // A few clients at a time, as an endpoint sees them; the server answers each on its own thread.
  for (let start = 0; start < requests.length; start += CONCURRENT_REQUESTS) {
    await Promise.all(requests.slice(start, start + CONCURRENT_REQUESTS).map((body) => server.invoke(body)));
  }
  const captured = server.capturedRecords();
  const captureUri = stage.dataCaptureS3Uri;
  await plane.uploadFolder(server.captureDir, captureUri);
  report.traffic(requests.length, captured, server.samplingPercent, options.drift, captureUri);
  report.progress(`traffic    ${requests.length} requests${options.drift ? ' (drifted)' : ''}, ${captured} captured to ${captureUri}`);
  return requests.map((body, index) => ({ body, label: rows[index].split(',')[0] }));
}

const CONCURRENT_REQUESTS = 4;

/**
 * The test split's features put under the stage's batch input prefix, its S3 "Object Created" event
 * delivered to the real scorer code (twice: the duplicate starts nothing), and the transform job it
 * started run locally against the served model. The batch requests reach the same local server; the
 * capture it writes of them stays local (the endpoint's capture was uploaded before).
 */
async function scoreBatch(plane: ControlPlane, stage: LocalStage, options: LocalLoopOptions, report: ReportBuilder, server: ModelServer): Promise<void> {
  const settings = stage.batch;
  if (!settings) return;
  const rows = filesBelow(join(options.workDir, 'traffic', 'test')).flatMap((path) => readFileSync(path, 'utf8').split('\n').filter((line) => line.trim() !== ''));
  // The split is label first; a batch input holds the features only.
  const file = join(options.workDir, 'batch', 'input', 'test.csv');
  mkdirSync(join(options.workDir, 'batch', 'input'), { recursive: true });
  writeFileSync(file, `${rows.map((row) => row.split(',').slice(1).join(',')).join('\n')}\n`);
  const key = `${settings.input.prefix}test.csv`;
  await plane.putFile({ bucket: settings.input.bucket, key }, file);
  const [listed] = (await plane.s3.send(new ListObjectsV2Command({ Bucket: settings.input.bucket, Prefix: key, MaxKeys: 1 }))).Contents ?? [];
  const event = eventBridgeEvent(stage, 'aws.s3', 'Object Created', [`arn:aws:s3:::${settings.input.bucket}`], {
    version: '0',
    bucket: { name: settings.input.bucket },
    object: { key, size: Number(listed?.Size ?? 0), etag: String(listed?.ETag ?? '').replace(/"/g, '') },
    reason: 'PutObject',
  });
  const deps = { sagemaker: plane.sagemaker, s3: plane.s3, settings, log: jsonLinesLog(join(options.workDir, 'batch-scorer.log.jsonl')) };
  const result = await handleBatchScorerEvent(event, deps);
  const jobName = result.inputs[0]?.jobName;
  if (result.outcome !== 'started' || !jobName) throw new Error(`the batch scorer started no job for s3://${settings.input.bucket}/${key}: ${result.detail}`);
  const duplicate = await handleBatchScorerEvent({ ...event, id: randomUUID() }, deps);
  report.progress(`batch      scorer: ${result.detail}; the same event again: ${duplicate.outcome}`);
  const job = await plane.sagemaker.send(new DescribeTransformJobCommand({ TransformJobName: jobName }));
  const run = await runTransformJob(plane, job, (body) => server.invoke(body), join(options.workDir, 'batch', 'output'));
  const outputUri = `${String(job.TransformOutput?.S3OutputPath).replace(/\/+$/, '')}/`;
  report.batch({ jobName, inputRows: run.inputRows, outputRows: run.outputRows, outputUri });
  report.progress(`batch      job ${jobName}: ${run.inputRows} rows in ${run.requests} request${run.requests === 1 ? '' : 's'}, ${run.outputRows} scored into ${run.outputUris.join(', ')}`);
}

/**
 * Drift for the demonstration: the first two features scaled by three. On the sample they are
 * tenure and monthly charges, so the shift is one a business could see.
 */
function drifted(cells: string[]): string[] {
  return cells.map((cell, index) => (index < 2 && cell !== '' ? String(Number(cell) * 3) : cell));
}

/** The data-quality check on the capture, against the baseline the package registered. */
async function monitor(plane: ControlPlane, stage: LocalStage, options: LocalLoopOptions, report: ReportBuilder, pkg: RegisteredPackage): Promise<number> {
  const { statisticsUri, constraintsUri, source } = await monitoredBaseline(plane, stage, pkg);
  report.progress(`monitor    baseline from ${source}`);
  const dir = join(options.workDir, 'monitoring');
  await plane.downloadPrefix(statisticsUri, join(dir, 'baseline'));
  await plane.downloadPrefix(constraintsUri, join(dir, 'baseline'));
  const captureUri = `${stage.dataCaptureS3Uri.replace(/\/+$/, '')}/${stage.deployer.endpointName}`;
  await plane.downloadPrefix(captureUri, join(dir, 'input', 'endpoint'));
  const output = join(dir, 'output');
  mkdirSync(output, { recursive: true });
  await runPythonScript(options.python, [packageFile('ml', 'local', 'model_monitor.py')], {
    dataset_format: JSON.stringify({ sagemakerCaptureJson: { captureIndexNames: ['endpointInput', 'endpointOutput'] } }),
    dataset_source: join(dir, 'input', 'endpoint'),
    output_path: output,
    baseline_statistics: join(dir, 'baseline', basename(parseS3Uri(statisticsUri).key)),
    baseline_constraints: join(dir, 'baseline', basename(parseS3Uri(constraintsUri).key)),
    publish_cloudwatch_metrics: 'Disabled',
  }, join(dir, 'model-monitor.log'));
  const reportPath = join(output, 'constraint_violations.json');
  const { violations } = JSON.parse(readFileSync(reportPath, 'utf8')) as { violations: { feature_name: string; constraint_check_type: string; description: string }[] };
  const reportUri = `${stage.monitoringOutputS3Uri.replace(/\/+$/, '')}/${stage.deployer.endpointName}/local`;
  await plane.uploadFolder(output, reportUri);
  report.monitoring(violations, reportPath, reportUri);
  report.progress(`monitor    ${violations.length} violation${violations.length === 1 ? '' : 's'}${violations.map((v) => `\n             ${v.constraint_check_type} ${v.feature_name}`).join('')}`);
  return violations.length;
}

/**
 * The baseline the check compares with: the one the deployer gave the endpoint's data-quality job
 * definition when the stage has a schedule, else the one the package registered (the deployer's source).
 */
async function monitoredBaseline(plane: ControlPlane, stage: LocalStage, pkg: RegisteredPackage) {
  const variant = stage.deployer.variant;
  if (variant.type === 'instance' && variant.monitoring) {
    const schedule = await plane.sagemaker.send(new DescribeMonitoringScheduleCommand({ MonitoringScheduleName: variant.monitoring.scheduleName }));
    const jobDefinitionName = schedule.MonitoringScheduleConfig?.MonitoringJobDefinitionName;
    const definition = await plane.sagemaker.send(new DescribeDataQualityJobDefinitionCommand({ JobDefinitionName: jobDefinitionName }));
    const baseline = definition.DataQualityBaselineConfig;
    const statisticsUri = baseline?.StatisticsResource?.S3Uri;
    const constraintsUri = baseline?.ConstraintsResource?.S3Uri;
    if (!statisticsUri || !constraintsUri) throw new Error(`data-quality job definition ${jobDefinitionName} has no baseline`);
    return { statisticsUri, constraintsUri, source: `the schedule's job definition ${jobDefinitionName}` };
  }
  const described = await plane.sagemaker.send(new DescribeModelPackageCommand({ ModelPackageName: pkg.arn }));
  const quality = described.ModelMetrics?.ModelDataQuality;
  const statisticsUri = quality?.Statistics?.S3Uri;
  const constraintsUri = quality?.Constraints?.S3Uri;
  if (!statisticsUri || !constraintsUri) throw new Error(`model package version ${pkg.version} registered no data-quality baseline`);
  return { statisticsUri, constraintsUri, source: `model package version ${pkg.version}'s ModelMetrics.ModelDataQuality` };
}

/** The drift alarm's state change, delivered to the governor's code with the stage's settings. */
async function retrain(plane: ControlPlane, stage: LocalStage, report: ReportBuilder, violations: number): Promise<void> {
  const alarmName = stage.driftAlarmName ?? `${stage.config.project}-${stage.config.stage}-data-quality-drift`;
  const alarmArn = `arn:aws:cloudwatch:${stage.region}:${LOCAL_ACCOUNT}:alarm:${alarmName}`;
  const event: RetrainingEvent = eventBridgeEvent(stage, 'aws.cloudwatch', 'CloudWatch Alarm State Change', [alarmArn], {
    alarmName,
    state: { value: 'ALARM', reason: `Model Monitor found ${violations} violation(s) (local run)`, timestamp: new Date().toISOString() },
    previousState: { value: 'OK' },
  });
  const outcome: GovernorOutcome = await governRetraining(plane.sagemaker, stage.governor, event, () => new Date());
  report.retraining(outcome, stage.driftDeliveredToGovernor);
  report.progress(
    `retrain    governor: ${outcome.decision} (${outcome.detail})` +
      (stage.driftDeliveredToGovernor ? '' : `\n             note: in AWS this stage delivers no drift alarm to the governor (retraining.onDrift is off)`),
  );
}

/** The model-quality alarm's state change, delivered to the governor's code with the stage's settings. */
async function retrainOnModelQuality(plane: ControlPlane, stage: LocalStage, report: ReportBuilder, quality: ModelQualityResult): Promise<void> {
  const alarmName = stage.modelQualityAlarmName ?? '';
  const alarmArn = `arn:aws:cloudwatch:${stage.region}:${LOCAL_ACCOUNT}:alarm:${alarmName}`;
  const event: RetrainingEvent = eventBridgeEvent(stage, 'aws.cloudwatch', 'CloudWatch Alarm State Change', [alarmArn], {
    alarmName,
    state: { value: 'ALARM', reason: `${quality.metric} ${quality.value} against ground truth crossed ${quality.threshold} (local run)`, timestamp: new Date().toISOString() },
    previousState: { value: 'OK' },
  });
  const outcome: GovernorOutcome = await governRetraining(plane.sagemaker, stage.governor, event, () => new Date());
  report.retraining(outcome, stage.modelQualityDeliveredToGovernor);
  report.progress(
    `retrain    governor: ${outcome.decision} (${outcome.detail})` +
      (stage.modelQualityDeliveredToGovernor ? '' : `\n             note: in AWS this stage delivers no model-quality alarm to the governor (retraining.onModelQualityDrop is off)`),
  );
}

// ---------------------------------------------------------------------------------------------
// The local model server (ml/local/serve.py)
// ---------------------------------------------------------------------------------------------

class ModelServer {
  public static async start(options: LocalLoopOptions, stage: LocalStage, modelDir: string): Promise<ModelServer> {
    const variant = stage.deployer.variant;
    // A serverless variant captures nothing in AWS; locally it captures at the config's percent to check the contract.
    const samplingPercent = variant.type === 'instance' ? variant.dataCapture.samplingPercent : stage.config.endpoint.dataCapturePercent;
    const captureDir = join(options.workDir, 'capture');
    const child = spawn(
      options.python,
      [
        packageFile('ml', 'local', 'serve.py'),
        '--model-dir', modelDir,
        '--port', '0',
        '--capture-dir', captureDir,
        '--sampling-percent', String(samplingPercent),
        '--endpoint-name', stage.deployer.endpointName,
        '--variant-name', stage.variantName,
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const port = await new Promise<number>((resolve, reject) => {
      let stdout = '';
      let stderr = '';
      child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk));
      child.stdout!.on('data', (chunk: Buffer) => {
        stdout += chunk;
        const line = stdout.split('\n').find((text) => text.startsWith('{'));
        if (line) resolve(Number((JSON.parse(line) as { port: number }).port));
      });
      child.once('error', reject);
      child.once('exit', (code) => reject(new Error(`the model server exited with code ${code}: ${stderr.trim()}`)));
    });
    return new ModelServer(child, `http://127.0.0.1:${port}`, captureDir, samplingPercent);
  }

  private constructor(
    private readonly child: ChildProcess,
    public readonly url: string,
    public readonly captureDir: string,
    public readonly samplingPercent: number,
  ) {}

  public invoke(body: string): Promise<string> {
    return new Promise((resolve, reject) => {
      const req = request(`${this.url}/invocations`, { method: 'POST', agent: false, headers: { 'Content-Type': 'text/csv', Accept: 'text/csv' } }, (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.once('end', () => (res.statusCode === 200 ? resolve(text) : reject(new Error(`the model server answered ${res.statusCode}: ${text}`))));
      });
      req.once('error', reject);
      req.end(body);
    });
  }

  public capturedRecords(): number {
    return filesBelow(this.captureDir).reduce((count, path) => count + readFileSync(path, 'utf8').split('\n').filter((line) => line.trim()).length, 0);
  }

  public async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise((resolve) => this.child.once('exit', resolve));
    this.child.kill('SIGTERM');
    await exited;
  }
}

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

function eventBridgeEvent(stage: LocalStage, source: string, detailType: string, resources: string[], detail: JsonObject) {
  return { version: '0', id: randomUUID(), 'detail-type': detailType, source, account: LOCAL_ACCOUNT, time: new Date().toISOString(), region: stage.region, resources, detail };
}

/** A processing step's outputs, as its DescribeProcessingJob-shaped properties hold them. */
function processingOutputs(step: StepExecutionResult): { OutputName: string; S3Output?: { S3Uri: string } }[] {
  return ((step.properties.ProcessingOutputConfig as JsonObject | undefined)?.Outputs ?? []) as unknown as { OutputName: string; S3Output?: { S3Uri: string } }[];
}

function outputUri(execution: PipelineExecutionResult, outputName: string): string {
  for (const step of execution.steps) {
    const found = processingOutputs(step).find((output) => output.OutputName === outputName)?.S3Output?.S3Uri;
    if (found) return found;
  }
  throw new Error(`no step of the execution has an output named ${outputName}`);
}

function describeStepEvent(event: PipelineEvent): string {
  const step = `${event.step} (${event.stepType})`;
  switch (event.type) {
    case 'step-started':
      return `step       ${step} started${event.attempt > 1 ? `, attempt ${event.attempt}` : ''}`;
    case 'step-retrying':
      return `step       ${step} attempt ${event.attempt} failed (${event.exceptionType}: ${event.reason}); retrying in ${event.delaySeconds} s`;
    case 'step-succeeded':
      return `step       ${step} succeeded in ${event.seconds.toFixed(1)} s${event.outcome === undefined ? '' : `, condition ${event.outcome ? 'held' : 'did not hold'}`}`;
    case 'step-failed':
      return `step       ${step} FAILED after ${event.seconds.toFixed(1)} s: ${event.reason}`;
  }
}

function jsonLinesLog(path: string): DeployerLog {
  const write = (level: string) => (message: string, attributes: Record<string, unknown>) =>
    writeFileSync(path, `${JSON.stringify({ level, message, ...attributes })}\n`, { flag: 'a' });
  return { info: write('INFO'), warn: write('WARN'), error: write('ERROR') };
}

function stopwatch() {
  let last = Date.now();
  return {
    /** Seconds since the last lap. */
    lap: () => {
      const now = Date.now();
      const seconds = (now - last) / 1000;
      last = now;
      return seconds;
    },
  };
}

/** Collects the report's parts as the loop gets to them. */
class ReportBuilder {
  private readonly parts: { -readonly [K in keyof LocalLoopReport]?: LocalLoopReport[K] } = {};
  private readonly emulated: string[] = [];
  private readonly phases: { name: string; seconds: number }[] = [];
  private layer?: EmulationLayer;

  constructor(
    private readonly options: LocalLoopOptions,
    private readonly stage: LocalStage,
  ) {
    this.emulated.push(
      'control plane: moto (S3, SageMaker registry, models, endpoint configs, endpoints, pipelines)',
      'pipeline: the local executor runs the deployed definition; jobs run as local processes, not containers',
      'training: ml/train.py stands in for the built-in XGBoost algorithm (same channels, hyperparameters and model artifact)',
      'Model Monitor: ml/local/model_monitor.py stands in for the analyzer image (baseline and monitoring)',
      'model quality: ml/local/model_quality.py stands in for the ground-truth merge and model-quality jobs; the ground truth is generated from the test split\'s labels, one record per captured request',
      'serving: ml/local/serve.py stands in for the XGBoost serving container and SageMaker data capture',
      'events: the deployer and governor code receive the EventBridge events in this process (no Lambda, no queue)',
      'review: the review gate\'s handler code answers the Lambda steps in this process, against the local registry and S3',
    );
    if (stage.pipeline.definition.Steps.some((step) => JSON.stringify(step).includes('sagemaker-clarify-processing'))) {
      this.emulated.push('bias: ml/local/clarify.py stands in for the SageMaker Clarify image (pre-training bias metrics of the same analysis configuration)');
    }
    if (stage.pipeline.definition.Steps.some((step) => step.Type === 'Tuning')) {
      this.emulated.push(
        `tuning: up to ${LOCAL_TUNING_JOBS} training jobs with values drawn at random (seeded by the execution) from the step's ranges, ranked by its objective; SageMaker runs MaxNumberOfTrainingJobs with its strategy`,
      );
    }
    if (stage.batch) {
      this.emulated.push(
        'batch transform: moto records the transform job the scorer creates (Completed at once); lib/local/batch-runner.ts runs it: the input from S3, its lines to the local model server in mini-batches of MaxPayloadInMB, <input file>.out under the job\'s output path',
      );
    }
    if (stage.deployer.variant.type === 'serverless') {
      this.emulated.push(`capture: serverless endpoints capture nothing in AWS; locally the endpoint captures at endpoint.dataCapturePercent (${stage.config.endpoint.dataCapturePercent} %) so the data contract is checked`);
    }
  }

  public progress(line: string): void {
    this.options.progress(line);
  }

  public useEmulationLayer(layer: EmulationLayer): void {
    this.layer = layer;
  }

  public phase(name: string, seconds: number): void {
    this.phases.push({ name, seconds: round(seconds) });
    this.options.progress(`${'time'.padEnd(10)} ${name}: ${seconds.toFixed(1)} s`);
  }

  public pipeline(stage: LocalStage, execution: PipelineExecutionResult): void {
    this.parts.pipeline = {
      name: stage.pipeline.name,
      executionId: execution.executionId,
      status: execution.status,
      failedStep: execution.failedStep ?? null,
      failureReason: execution.failureReason ?? null,
      seconds: round(execution.seconds),
      steps: execution.steps.map((step) => ({
        name: step.name,
        type: step.type,
        status: step.status,
        attempts: step.attempts,
        seconds: round(step.seconds),
        outputs: stepOutputs(step),
      })),
      notRun: execution.notRun.map(({ name, reason }) => ({ name, reason })),
    };
  }

  public review(review: LocalReview | null): void {
    this.parts.review = review;
    if (review) this.options.progress(`review     ${review.summary}`);
  }

  public challenger(challenger: NonNullable<LocalLoopReport['challenger']>): void {
    this.parts.challenger = challenger;
  }

  public dataProfile(profile: NonNullable<LocalLoopReport['dataProfile']>): void {
    this.parts.dataProfile = profile;
  }

  public modelPackage(modelPackage: NonNullable<LocalLoopReport['modelPackage']>): void {
    this.parts.modelPackage = modelPackage;
  }

  public endpoint(name: string, status: string, servedPackageVersion: number, deployerOutcome: string, modelDataUrl: string): void {
    this.parts.endpoint = { name, status, servedPackageVersion, deployerOutcome, modelDataUrl };
  }

  public batch(batch: NonNullable<LocalLoopReport['batch']>): void {
    this.parts.batch = batch;
  }

  public traffic(requests: number, captured: number, samplingPercent: number, drifted: boolean, captureS3Uri: string): void {
    this.parts.traffic = { requests, captured, samplingPercent, drifted, captureS3Uri };
  }

  public modelQuality(result: ModelQualityResult): void {
    this.parts.modelQuality = result;
    const value = result.value === null ? 'undefined' : String(Number(result.value.toFixed(4)));
    const bound = `${result.comparison === 'LessThanThreshold' ? 'alarm below' : 'alarm above'} ${result.threshold}`;
    this.progress(
      `quality    ${result.metric} ${value} on ${result.mergedRecords} captured records with ground truth (${bound}): ${result.violated ? 'VIOLATED' : 'ok'}` +
        (result.scheduledInAws ? '' : '\n             note: in AWS this stage keeps no model-quality schedule (a serverless endpoint captures nothing)'),
    );
  }

  public monitoring(violations: { feature_name: string; constraint_check_type: string; description: string }[], reportPath: string, reportS3Uri: string): void {
    this.parts.monitoring = {
      violations: violations.length,
      checks: violations.map((violation) => ({ feature: violation.feature_name, check: violation.constraint_check_type, description: violation.description })),
      reportPath,
      reportS3Uri,
    };
  }

  public retraining(outcome: GovernorOutcome, deliveredInAws: boolean): void {
    this.parts.retraining = {
      trigger: outcome.trigger,
      decision: outcome.decision,
      reason: outcome.detail,
      executionArn: outcome.executionArn ?? null,
      deliveredInAws,
    };
  }

  public finish(status: LocalLoopReport['status'], stoppedBecause: string | null): LocalLoopReport {
    return {
      stage: this.stage.config.stage,
      status,
      stoppedBecause,
      workDir: this.options.workDir,
      pipeline: this.parts.pipeline ?? null,
      dataProfile: this.parts.dataProfile ?? null,
      modelPackage: this.parts.modelPackage ?? null,
      review: this.parts.review ?? null,
      endpoint: this.parts.endpoint ?? null,
      traffic: this.parts.traffic ?? null,
      batch: this.parts.batch ?? null,
      monitoring: this.parts.monitoring ?? null,
      modelQuality: this.parts.modelQuality ?? null,
      retraining: this.parts.retraining ?? null,
      challenger: this.parts.challenger ?? null,
      emulated: [
        ...this.emulated,
        ...(this.layer?.answered.length
          ? [`emulation layer (moto lacks these SageMaker actions): answered ${[...new Set(this.layer.answered)].join(', ')}`]
          : []),
      ],
      phases: this.phases,
    };
  }
}

/** What a step produced, for the report: output URIs, the model artifact, the package, the outcome. */
function stepOutputs(step: StepExecutionResult): Record<string, string> {
  const properties = step.properties;
  const outputs: Record<string, string> = {};
  for (const output of processingOutputs(step)) if (output.S3Output) outputs[output.OutputName] = output.S3Output.S3Uri;
  const artifacts = (properties.ModelArtifacts as JsonObject | undefined)?.S3ModelArtifacts;
  if (typeof artifacts === 'string') outputs.model = artifacts;
  if (typeof properties.ModelPackageArn === 'string') outputs.modelPackage = properties.ModelPackageArn;
  const best = properties.BestTrainingJob as JsonObject | undefined;
  if (best) {
    outputs.bestTrainingJob = String(best.TrainingJobName);
    for (const [name, value] of Object.entries((best.TunedHyperParameters ?? {}) as JsonObject)) outputs[`tuned:${name}`] = String(value);
  }
  if (typeof properties.Outcome === 'string') outputs.outcome = properties.Outcome;
  return outputs;
}

function round(seconds: number): number {
  return Math.round(seconds * 10) / 10;
}
