import { execFile, spawn } from 'node:child_process';
import { copyFileSync, cpSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { CloudWatchClient, PutMetricAlarmCommand, SetAlarmStateCommand } from '@aws-sdk/client-cloudwatch';
import {
  CreateEndpointCommand,
  CreateEndpointConfigCommand,
  CreateModelCommand,
  CreateModelPackageCommand,
  CreateModelPackageGroupCommand,
  CreatePipelineCommand,
  DescribeModelPackageCommand,
  ListPipelineExecutionsCommand,
  ListPipelineParametersForExecutionCommand,
  ModelApprovalStatus,
  SageMakerClient,
} from '@aws-sdk/client-sagemaker';
import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { TAG } from '../../lambda/deployer/naming';
import { PIPELINE_PARAMETER } from '../../lambda/retraining-governor/environment';
import { MotoServer } from '../../lib/local/moto-server';

// The operator CLI as operators run it: a child process of bin/cdk-mlops.ts (or of its build) against
// moto, checked by its output and exit code and by the emulator's state afterwards; never with the
// SDK's NodeVersionSupportWarning switched off, so every `stderr: ''` also says the CLI keeps it quiet. Stage dev (config/dev.json):
// group churn-dev-models, pipeline churn-dev-pipeline, endpoint churn-dev-endpoint, cool-down 60 min.
// moto 5.2.1 gaps: ListPipelineExecutionSteps answers HTTP 500 (status shows the execution with a
// note; the step table is covered by test/cli), executions are Succeeded at once (refusal while
// Executing is covered by test/cli). The key metric comes from evaluation reports in moto's S3.

const REPO_ROOT = resolve(__dirname, '..', '..');
const GROUP = 'churn-dev-models';
const PIPELINE = 'churn-dev-pipeline';
const ENDPOINT = 'churn-dev-endpoint';
const DATA_URL = 's3://churn-dev-data-it/raw/';
const ROLE_ARN = 'arn:aws:iam::123456789012:role/churn-dev-it';
// A Fail-only definition moto accepts, declaring the governor's parameters.
const DEFINITION = JSON.stringify({
  Version: '2020-12-01',
  Parameters: [
    { Name: PIPELINE_PARAMETER.INPUT_DATA_URL, Type: 'String', DefaultValue: DATA_URL },
    { Name: PIPELINE_PARAMETER.TRIGGER_REASON, Type: 'String', DefaultValue: 'manual' },
  ],
  Steps: [{ Name: 'Stop', Type: 'Fail', Arguments: { ErrorMessage: 'integration-test pipeline' } }],
});

// Each child process costs about a second of ts-node start-up; the tests batch them in parallel.
jest.setTimeout(20_000);

const moto = new MotoServer();
let sagemaker: SageMakerClient;
let cloudwatch: CloudWatchClient;

interface CliRun {
  readonly exitCode: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

interface CliOptions {
  /** @default moto.childEnv */
  readonly env?: NodeJS.ProcessEnv;
  /** Appended as --endpoint-url. @default moto.endpoint */
  readonly endpointUrl?: string;
  /** @default REPO_ROOT */
  readonly cwd?: string;
  /** The script node runs. @default bin/cdk-mlops.ts, through ts-node */
  readonly entry?: string;
}

/** Runs the real entry point, stdin not a terminal, against moto unless the options say otherwise. */
function cli(args: readonly string[], options: CliOptions = {}): Promise<CliRun> {
  const { env = moto.childEnv, endpointUrl = moto.endpoint, cwd = REPO_ROOT, entry } = options;
  // ts-node looks for tsconfig.json from the working directory, which may be outside the repository.
  const node = entry ? [entry] : ['-r', require.resolve('ts-node/register/transpile-only'), join(REPO_ROOT, 'bin', 'cdk-mlops.ts')];
  const childEnv = entry ? env : { ...env, TS_NODE_PROJECT: join(REPO_ROOT, 'tsconfig.json') };
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [...node, ...args, '--endpoint-url', endpointUrl], { cwd, env: childEnv, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.stdin.end();
    child.once('error', fail);
    child.once('close', (exitCode) => done({ exitCode, stdout, stderr }));
  });
}

/** A fresh directory outside the repository, without config/: where a user of the installed CLI works. */
function outsideDirectory(): string {
  return mkdtempSync(join(tmpdir(), 'cdk-mlops-cli-it-cwd-'));
}

async function approvalOf(version: number, group = GROUP) {
  const { ModelApprovalStatus: status, ApprovalDescription } = await sagemaker.send(
    new DescribeModelPackageCommand({ ModelPackageName: `arn:aws:sagemaker:us-east-1:123456789012:model-package/${group}/${version}` }),
  );
  return { status, note: ApprovalDescription };
}

/** Versions 1 (Approved, auc 0.79), 2 (Approved, 0.82, served by the endpoint) and 3 (pending, 0.84). */
async function seedRegistryAndEndpoint(group = GROUP, endpoint = ENDPOINT): Promise<void> {
  await sagemaker.send(new CreateModelPackageGroupCommand({ ModelPackageGroupName: group }));
  const s3 = new S3Client({ ...moto.clientConfig, forcePathStyle: true });
  await s3.send(new CreateBucketCommand({ Bucket: 'churn-dev-artifacts' }));
  const arns: string[] = [];
  for (const [status, auc] of [
    ['Approved', '0.79'],
    ['Approved', '0.82'],
    ['PendingManualApproval', '0.84'],
  ] as const) {
    // The evaluation report the pipeline would have written and registered.
    const report = { binary_classification_metrics: { auc: { value: Number(auc), standard_deviation: 'NaN' } } };
    await s3.send(new PutObjectCommand({ Bucket: 'churn-dev-artifacts', Key: `${auc}/evaluation.json`, Body: JSON.stringify(report) }));
    const { ModelPackageArn } = await sagemaker.send(
      new CreateModelPackageCommand({
        ModelPackageGroupName: group,
        ModelApprovalStatus: status as ModelApprovalStatus,
        CustomerMetadataProperties: { auc },
        ModelMetrics: { ModelQuality: { Statistics: { ContentType: 'application/json', S3Uri: `s3://churn-dev-artifacts/${auc}/evaluation.json` } } },
        InferenceSpecification: {
          Containers: [{ Image: '683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1', ModelDataUrl: `s3://churn-dev-artifacts/${auc}/model.tar.gz` }],
          SupportedContentTypes: ['text/csv'],
          SupportedResponseMIMETypes: ['text/csv'],
        },
      }),
    );
    arns.push(ModelPackageArn!);
  }
  s3.destroy();
  // What the deployer leaves behind for version 2: model, tagged endpoint config, endpoint.
  const name = `${endpoint}-v2-0123abcd`;
  await sagemaker.send(new CreateModelCommand({ ModelName: name, ExecutionRoleArn: ROLE_ARN, PrimaryContainer: { ModelPackageName: arns[1] } }));
  await sagemaker.send(
    new CreateEndpointConfigCommand({
      EndpointConfigName: name,
      ProductionVariants: [{ VariantName: 'AllTraffic', ModelName: name, ServerlessConfig: { MemorySizeInMB: 2048, MaxConcurrency: 2 } }],
      Tags: [
        { Key: TAG.ENDPOINT, Value: endpoint },
        { Key: TAG.MODEL_PACKAGE_ARN, Value: arns[1] },
        { Key: TAG.MODEL_PACKAGE_VERSION, Value: '2' },
      ],
    }),
  );
  await sagemaker.send(new CreateEndpointCommand({ EndpointName: endpoint, EndpointConfigName: name }));
}

async function seedPipeline(pipeline = PIPELINE): Promise<void> {
  await sagemaker.send(
    new CreatePipelineCommand({
      PipelineName: pipeline,
      PipelineDefinition: DEFINITION,
      RoleArn: ROLE_ARN,
      ClientRequestToken: `create-${pipeline}-0000000000000`,
    }),
  );
}

async function executions() {
  const { PipelineExecutionSummaries = [] } = await sagemaker.send(new ListPipelineExecutionsCommand({ PipelineName: PIPELINE }));
  return PipelineExecutionSummaries;
}

function closedPort(): Promise<number> {
  return new Promise((done, fail) => {
    const server = createServer().once('error', fail);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => done(port));
    });
  });
}

beforeAll(async () => {
  await moto.start();
  sagemaker = new SageMakerClient(moto.clientConfig);
  cloudwatch = new CloudWatchClient(moto.clientConfig);
}, 30_000);

afterAll(async () => {
  sagemaker?.destroy();
  cloudwatch?.destroy();
  await moto.stop();
});

beforeEach(() => moto.reset());

test('models list, models show, approve and reject drive the registry', async () => {
  // GIVEN
  await seedRegistryAndEndpoint();
  // WHEN
  const [table, json, show, unknown] = await Promise.all([
    cli(['models', 'list']),
    cli(['models', 'list', '--json']),
    cli(['models', 'show', '2', '--json']),
    cli(['approve', '9']),
  ]);
  const [approved, rejected] = await Promise.all([cli(['approve', '3', '--note', 'auc 0.84 on holdout']), cli(['reject', '1', '--note', 'superseded'])]);
  const again = await cli(['approve', '3', '--json']);

  // THEN the table, newest first, marks the served version
  expect(table).toMatchObject({ exitCode: 0, stderr: '' });
  expect(table.stdout).toMatch(/^VERSION +APPROVAL +REGISTRATION +AUC +AGE +SERVING +NOTE$/m);
  expect(table.stdout).toMatch(/^3 +PendingManualApproval +Completed +0\.84 +\d+s +-$/m);
  expect(table.stdout).toMatch(/^2 +Approved +Completed +0\.82 +\d+s +yes +-$/m);
  expect(table.stdout.indexOf('\n3 ')).toBeLessThan(table.stdout.indexOf('\n1 '));
  // the --json document has a stable shape
  const list = JSON.parse(json.stdout);
  expect(Object.keys(list)).toEqual(['group', 'metricName', 'servedVersion', 'packages']);
  expect(list).toMatchObject({ group: GROUP, metricName: 'auc', servedVersion: 2 });
  expect(list.packages.map((model: { version: number }) => model.version)).toEqual([3, 2, 1]);
  expect(Object.keys(list.packages[0])).toEqual(['version', 'arn', 'approvalStatus', 'packageStatus', 'createdAt', 'metric', 'approvalDescription', 'serving']);
  expect(JSON.parse(show.stdout)).toMatchObject({ version: 2, serving: true, metric: { name: 'auc', value: '0.82' }, customerMetadata: { auc: '0.82' } });
  // an unknown version is refused
  expect(unknown).toMatchObject({ exitCode: 4, stdout: '', stderr: `cdk-mlops: version 9 is not in model package group ${GROUP}; its versions are 3, 2, 1\n` });
  // the decisions reached the registry
  expect(approved.exitCode).toBe(0);
  expect(approved.stdout).toMatch(/^version 3: PendingManualApproval -> Approved \("auc 0\.84 on holdout"\)/);
  expect(rejected.exitCode).toBe(0);
  expect(await approvalOf(3)).toEqual({ status: 'Approved', note: 'auc 0.84 on holdout' });
  expect(await approvalOf(1)).toEqual({ status: 'Rejected', note: 'superseded' });
  // approving again is a successful no-op
  expect(again.exitCode).toBe(0);
  expect(JSON.parse(again.stdout)).toMatchObject({ version: 3, previousStatus: 'Approved', status: 'Approved', changed: false });
});

test('status shows the execution (without steps), the models, the served version and the stage\'s firing alarms', async () => {
  // GIVEN
  await seedRegistryAndEndpoint();
  await seedPipeline();
  expect((await cli(['retrain', '--reason', 'seed'])).exitCode).toBe(0);
  for (const alarmName of ['churn-dev-Monitoring-EndpointErrors-1A2B', 'churn-prod-Monitoring-EndpointErrors-3C4D']) {
    await cloudwatch.send(
      new PutMetricAlarmCommand({
        AlarmName: alarmName,
        Namespace: 'AWS/SageMaker',
        MetricName: 'Invocation5XXErrors',
        Statistic: 'Sum',
        Period: 60,
        EvaluationPeriods: 1,
        Threshold: 1,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      }),
    );
    await cloudwatch.send(new SetAlarmStateCommand({ AlarmName: alarmName, StateValue: 'ALARM', StateReason: 'Threshold Crossed: 1 datapoint' }));
  }
  // WHEN
  const [table, json] = await Promise.all([cli(['status']), cli(['status', '--json'])]);
  // THEN
  expect(table).toMatchObject({ exitCode: 0, stderr: '' });
  expect(table.stdout).toMatch(/^Pipeline churn-dev-pipeline\n {2}manual-\d{8}T\d{6}Z +Succeeded +started \d+s ago\n {4}note: step states unavailable \(ListPipelineExecutionSteps: HTTP 500\)$/m);
  expect(table.stdout).toMatch(/^ {2}2 +Approved +Completed +0\.82 +\d+s +yes/m);
  expect(table.stdout).toContain(`Endpoint ${ENDPOINT}\n  InService, serving version 2 (endpoint config ${ENDPOINT}-v2-0123abcd)\n`);
  expect(table.stdout).toMatch(/^ {2}churn-dev-Monitoring-EndpointErrors-1A2B +\d+s ago +Threshold Crossed: 1 datapoint$/m);
  expect(table.stdout).not.toContain('churn-prod-');
  const report = JSON.parse(json.stdout);
  expect(Object.keys(report)).toEqual(['project', 'stage', 'region', 'pipeline', 'models', 'endpoint', 'alarms', 'batch', 'monitoring']);
  // dev has batch off and a serverless endpoint, which no monitoring schedule watches.
  expect(report).toMatchObject({ batch: null, monitoring: null });
  expect(report.pipeline).toMatchObject({ name: PIPELINE, exists: true, executions: [{ status: 'Succeeded', steps: null }] });
  expect(Object.keys(report.pipeline.executions[0])).toEqual(['arn', 'name', 'status', 'startedAt', 'failureReason', 'steps', 'stepsNote']);
  expect(report.endpoint).toMatchObject({ exists: true, status: 'InService', servedVersion: 2 });
  expect(report.alarms.firing.map((alarm: { name: string }) => alarm.name)).toEqual(['churn-dev-Monitoring-EndpointErrors-1A2B']);
});

test('retrain starts an execution with the parameters, is refused inside the cool-down and forced past it', async () => {
  // GIVEN
  await seedPipeline();
  // WHEN
  const first = await cli(['retrain', '--reason', 'new labels', '--json']);
  const [refused, governed] = await Promise.all([cli(['retrain']), cli(['retrain', '--via-governor', '--reason', 'ask the governor', '--json'])]);
  const forced = await cli(['retrain', '--force', '--wait']);
  // THEN the first run started with the governor's parameters
  expect(first.exitCode).toBe(0);
  const started = JSON.parse(first.stdout);
  expect(started).toMatchObject({ decision: 'started', pipeline: PIPELINE, triggerReason: 'manual:new labels', inputDataUrl: DATA_URL, inputDataUrlSource: 'pipeline default' });
  const { PipelineParameters } = await sagemaker.send(new ListPipelineParametersForExecutionCommand({ PipelineExecutionArn: started.executionArn }));
  expect(PipelineParameters).toEqual([
    { Name: PIPELINE_PARAMETER.INPUT_DATA_URL, Value: DATA_URL },
    { Name: PIPELINE_PARAMETER.TRIGGER_REASON, Value: 'manual:new labels' },
  ]);
  // the second is refused by the 60-minute cool-down of config/dev.json
  expect(refused.exitCode).toBe(4);
  expect(refused.stderr).toMatch(/^cdk-mlops: not started: last execution started 0 min ago; cool-down is 60 min\. Pass --force/);
  // the request through EventBridge is accepted by the bus
  expect(governed.exitCode).toBe(0);
  expect(JSON.parse(governed.stdout)).toMatchObject({ decision: 'requested', eventId: expect.any(String) });
  // --force starts past the cool-down and --wait follows it to the end
  expect(forced.exitCode).toBe(0);
  expect(forced.stderr).toContain('note: step states unavailable (ListPipelineExecutionSteps: HTTP 500)\nexecution: Succeeded\n');
  expect(forced.stdout).toMatch(/^started churn-dev-pipeline: forced past the cool-down\n[\s\S]* {2}finished {7}Succeeded\n$/);
  expect(await executions()).toHaveLength(2);
});

test('rollback refuses without a terminal or --yes, and with --yes rejects the served version', async () => {
  // GIVEN
  await seedRegistryAndEndpoint();
  // WHEN
  const unconfirmed = await cli(['rollback']);
  const confirmed = await cli(['rollback', '--yes', '--note', 'errors after deploy']);
  // THEN
  expect(unconfirmed.exitCode).toBe(2);
  expect(unconfirmed.stderr).toBe(
    `${ENDPOINT} serves version 2. Rolling back rejects version 2; the deployer then serves version 1, the newest other approved version.\n` +
      'cdk-mlops: rollback needs a confirmation and there is no terminal to ask on: pass --yes\n',
  );
  expect(confirmed.exitCode).toBe(0);
  expect(confirmed.stdout).toBe(`rejected version 2 ("errors after deploy"); the deployer now moves ${ENDPOINT} to version 1\n`);
  expect(await approvalOf(2)).toEqual({ status: 'Rejected', note: 'errors after deploy' });
});

test('bad input fails with a clear message, no stack trace and the documented exit code', async () => {
  // GIVEN
  const dir = mkdtempSync(join(tmpdir(), 'cdk-mlops-cli-it-'));
  const emptyFile = join(dir, 'empty');
  writeFileSync(emptyFile, '');
  const invalidConfig = join(dir, 'stage.json');
  writeFileSync(invalidConfig, JSON.stringify({ project: 'churn', stage: 'dev', endpoint: { variant: 'gpu' } }));
  const withoutCredentials = Object.fromEntries(Object.entries(moto.childEnv).filter(([key]) => !key.startsWith('AWS_')));
  Object.assign(withoutCredentials, {
    AWS_CONFIG_FILE: emptyFile,
    AWS_SHARED_CREDENTIALS_FILE: emptyFile,
    AWS_EC2_METADATA_DISABLED: 'true',
  });
  const unreachable = `http://127.0.0.1:${await closedPort()}`;
  // WHEN
  const [unknownStage, invalid, noCredentials, noEmulator] = await Promise.all([
    cli(['status', '--stage', 'qa']),
    cli(['models', 'list', '--config', invalidConfig]),
    cli(['models', 'list'], { env: withoutCredentials }),
    cli(['status'], { endpointUrl: unreachable }),
  ]);
  // THEN
  expect(unknownStage).toMatchObject({ exitCode: 2, stdout: '' });
  expect(unknownStage.stderr).toMatch(/^cdk-mlops: unknown stage "qa": there is no .*config\/qa\.json\. Known stages: dev, prod, staging\./);
  expect(invalid.exitCode).toBe(2);
  expect(invalid.stderr).toBe(`cdk-mlops: ${invalidConfig} is invalid (1 problem):\n  - endpoint.variant: received "gpu"; expected serverless or instance\n`);
  expect(noCredentials).toMatchObject({ exitCode: 3, stderr: 'cdk-mlops: no AWS credentials found: set AWS_PROFILE or pass --profile, or run aws configure\n' });
  expect(noEmulator.exitCode).toBe(3);
  expect(noEmulator.stderr).toBe(
    `cdk-mlops: cannot reach ${unreachable} (connect ECONNREFUSED ${unreachable.slice('http://'.length)}): is the emulator running there? Check --endpoint-url (or AWS_ENDPOINT_URL)\n`,
  );
});

describe('a stack of your own, operated from outside the repository', () => {
  // Constructs composed in the user's own stack, under names of their own; no stage config anywhere.
  const OWN_PIPELINE = 'acme-fraud-training';
  const OWN_GROUP = 'acme-fraud-registry';
  const OWN_ENDPOINT = 'acme-fraud-live';
  const OWN = ['--pipeline-name', OWN_PIPELINE, '--model-package-group', OWN_GROUP, '--endpoint-name', OWN_ENDPOINT];

  /** moto's environment without its region, keys and profile, with these shared config and credentials files. */
  function envWithProfileFiles(config: string, credentials: string): NodeJS.ProcessEnv {
    const dir = mkdtempSync(join(tmpdir(), 'cdk-mlops-cli-it-aws-'));
    writeFileSync(join(dir, 'config'), config);
    writeFileSync(join(dir, 'credentials'), credentials);
    const env = Object.fromEntries(Object.entries(moto.childEnv).filter(([key]) => !/^AWS_(REGION|DEFAULT_REGION|ACCESS_KEY_ID|SECRET_ACCESS_KEY|PROFILE)$/.test(key)));
    return { ...env, AWS_CONFIG_FILE: join(dir, 'config'), AWS_SHARED_CREDENTIALS_FILE: join(dir, 'credentials') };
  }

  test('every command acts on the names given as flags', async () => {
    // GIVEN
    await seedRegistryAndEndpoint(OWN_GROUP, OWN_ENDPOINT);
    await seedPipeline(OWN_PIPELINE);
    await cloudwatch.send(
      new PutMetricAlarmCommand({
        AlarmName: 'AcmeFraudStack-Monitoring-EndpointErrors-9Z8Y',
        Namespace: 'AWS/SageMaker',
        MetricName: 'Invocation5XXErrors',
        Statistic: 'Sum',
        Period: 60,
        EvaluationPeriods: 1,
        Threshold: 1,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      }),
    );
    await cloudwatch.send(new SetAlarmStateCommand({ AlarmName: 'AcmeFraudStack-Monitoring-EndpointErrors-9Z8Y', StateValue: 'ALARM', StateReason: 'Threshold Crossed' }));
    const cwd = outsideDirectory();
    // WHEN
    const [list, started] = await Promise.all([
      cli(['models', 'list', '--model-package-group', OWN_GROUP, '--endpoint-name', OWN_ENDPOINT, '--json'], { cwd }),
      cli(['retrain', '--pipeline-name', OWN_PIPELINE, '--reason', 'own stack', '--json'], { cwd }),
    ]);
    const status = await cli(['status', ...OWN, '--alarm-name-prefix', 'AcmeFraudStack-', '--json'], { cwd });
    const rolledBack = await cli(['rollback', '--yes', '--model-package-group', OWN_GROUP, '--endpoint-name', OWN_ENDPOINT], { cwd });
    // THEN
    expect(list).toMatchObject({ exitCode: 0, stderr: '' });
    expect(JSON.parse(list.stdout)).toMatchObject({ group: OWN_GROUP, metricName: 'auc', servedVersion: 2 });
    expect(started).toMatchObject({ exitCode: 0, stderr: '' });
    expect(JSON.parse(started.stdout)).toMatchObject({ decision: 'started', pipeline: OWN_PIPELINE, triggerReason: 'manual:own stack' });
    expect(status).toMatchObject({ exitCode: 0, stderr: '' });
    expect(JSON.parse(status.stdout)).toMatchObject({
      project: null,
      stage: null,
      region: 'us-east-1',
      pipeline: { name: OWN_PIPELINE, exists: true, executions: [{ status: 'Succeeded' }] },
      models: { group: OWN_GROUP },
      endpoint: { name: OWN_ENDPOINT, servedVersion: 2 },
      alarms: { namePrefix: 'AcmeFraudStack-', firing: [{ name: 'AcmeFraudStack-Monitoring-EndpointErrors-9Z8Y' }] },
    });
    expect(rolledBack).toMatchObject({ exitCode: 0, stderr: `${OWN_ENDPOINT} serves version 2. Rolling back rejects version 2; the deployer then serves version 1, the newest other approved version.\n` });
    expect(rolledBack.stdout).toBe(`rejected version 2 ("rolled back to version 1 with cdk-mlops rollback"); the deployer now moves ${OWN_ENDPOINT} to version 1\n`);
    expect(await approvalOf(2, OWN_GROUP)).toMatchObject({ status: 'Rejected' });
  });

  test("without --region or AWS_REGION the profile's region is used, and none at all is refused", async () => {
    // GIVEN
    await seedRegistryAndEndpoint(OWN_GROUP, OWN_ENDPOINT);
    const withProfile = envWithProfileFiles('[profile ops]\nregion = us-east-1\n', '[ops]\naws_access_key_id = testing\naws_secret_access_key = testing\n');
    const withoutRegion = { ...envWithProfileFiles('', ''), AWS_ACCESS_KEY_ID: 'testing', AWS_SECRET_ACCESS_KEY: 'testing' };
    const cwd = outsideDirectory();
    // WHEN
    const [names, list, refused] = await Promise.all([
      cli(['config', 'names', ...OWN, '--profile', 'ops', '--json'], { cwd, env: withProfile }),
      cli(['models', 'list', ...OWN, '--profile', 'ops', '--json'], { cwd, env: withProfile }),
      cli(['models', 'list', ...OWN], { cwd, env: withoutRegion }),
    ]);
    // THEN
    expect(names).toMatchObject({ exitCode: 0, stderr: '' });
    expect(JSON.parse(names.stdout).region).toEqual({ name: 'us-east-1', source: 'profile ops' });
    expect(list).toMatchObject({ exitCode: 0, stderr: '' });
    expect(JSON.parse(list.stdout).packages).toHaveLength(3);
    expect(refused).toEqual({
      exitCode: 2,
      stdout: '',
      stderr:
        'cdk-mlops: no AWS region: pass --region REGION, set AWS_REGION, or set region for the default profile in ~/.aws/config ' +
        '(a stage config given by --config or --stage brings its own region)\n',
    });
  });
});

test('the built package: the compiled bin entry runs with plain node from outside the repository', async () => {
  // GIVEN the package as npm installs it: package.json and its `files`, dist/ compiled with
  // tsconfig.build.json (only what bin/ imports, into a temporary folder: dist/ is not touched),
  // the dependencies beside it
  const manifest = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { bin: Record<string, string>; files: string[] };
  const pkg = mkdtempSync(join(tmpdir(), 'cdk-mlops-cli-it-package-'));
  copyFileSync(join(REPO_ROOT, 'package.json'), join(pkg, 'package.json'));
  for (const entry of manifest.files.filter((file) => file !== 'dist')) cpSync(join(REPO_ROOT, entry), join(pkg, entry), { recursive: true });
  symlinkSync(join(REPO_ROOT, 'node_modules'), join(pkg, 'node_modules'), 'dir');
  writeFileSync(
    join(pkg, 'tsconfig.json'),
    JSON.stringify({
      extends: join(REPO_ROOT, 'tsconfig.build.json'),
      compilerOptions: { rootDir: REPO_ROOT, outDir: join(pkg, 'dist'), typeRoots: [join(REPO_ROOT, 'node_modules', '@types')] },
      include: [],
      files: [join(REPO_ROOT, 'bin', 'cdk-mlops.ts')],
    }),
  );
  await promisify(execFile)(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', join(pkg, 'tsconfig.json')]);
  const entry = join(pkg, manifest.bin['cdk-mlops']);
  expect(readFileSync(entry, 'utf8')).toMatch(/^#!\/usr\/bin\/env node\n/);
  await seedRegistryAndEndpoint();
  const cwd = outsideDirectory();
  const configFile = join(mkdtempSync(join(tmpdir(), 'cdk-mlops-cli-it-config-')), 'dev.json');
  copyFileSync(join(REPO_ROOT, 'config', 'dev.json'), configFile);
  // WHEN
  const [help, show, list] = await Promise.all([
    cli(['--help'], { cwd, entry }),
    cli(['config', 'show', '--config', configFile], { cwd, entry }),
    cli(['models', 'list', '--model-package-group', GROUP, '--endpoint-name', ENDPOINT], { cwd, entry }),
  ]);
  // THEN
  expect(help).toMatchObject({ exitCode: 0, stderr: '' });
  expect(help.stdout).toMatch(/^Usage: cdk-mlops \[options\] \[command\]\n/);
  expect(show).toMatchObject({ exitCode: 0, stderr: '' });
  expect(show.stdout).toMatch(/^stage +dev$/m);
  expect(list).toMatchObject({ exitCode: 0, stderr: '' });
  expect(list.stdout).toMatch(/^2 +Approved +Completed +0\.82 +\d+s +yes +-$/m);
}, 60_000);
