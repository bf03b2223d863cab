import { PutEventsCommand } from '@aws-sdk/client-eventbridge';
import {
  DescribePipelineCommand,
  DescribePipelineExecutionCommand,
  ListPipelineExecutionsCommand,
  ListPipelineExecutionStepsCommand,
  ListPipelineParametersForExecutionCommand,
  PipelineExecutionStatus,
  StartPipelineExecutionCommand,
} from '@aws-sdk/client-sagemaker';
import 'aws-sdk-client-mock-jest';
import { OPERATOR_RETRAIN_EVENT } from '../../lambda/retraining-governor/environment';
import { DEFAULT_COOLDOWN_MINUTES, DEFAULT_DEBOUNCE_MINUTES } from '../../lib/cli/retrain';
import { parseStageConfig } from '../../lib/config-loader';
import { awsError, eventbridgeMock, NOW, outsideDirectory, PIPELINE, PIPELINE_ARN, resetMocks, runRecorded, sagemakerMock } from './cli-fixtures';

const STARTED = `${PIPELINE_ARN}/execution/new1`;
const DATA_URL = 's3://churn-dev-data/raw/';

function definition(inputDefault?: string): string {
  return JSON.stringify({
    Version: '2020-12-01',
    Parameters: [{ Name: 'InputDataUrl', Type: 'String', ...(inputDefault && { DefaultValue: inputDefault }) }, { Name: 'TriggerReason', Type: 'String' }],
    Steps: [],
  });
}

function history(status: PipelineExecutionStatus, minutesAgo: number) {
  return {
    PipelineExecutionSummaries: [
      { PipelineExecutionArn: `${PIPELINE_ARN}/execution/old1`, PipelineExecutionStatus: status, StartTime: new Date(NOW.getTime() - minutesAgo * 60_000) },
    ],
  };
}

function startedWith() {
  return sagemakerMock.commandCalls(StartPipelineExecutionCommand)[0]?.args[0].input;
}

beforeEach(() => {
  resetMocks();
  sagemakerMock.on(DescribePipelineCommand).resolves({ PipelineName: PIPELINE, PipelineDefinition: definition(DATA_URL) });
  sagemakerMock.on(ListPipelineExecutionsCommand).resolves({ PipelineExecutionSummaries: [] });
  sagemakerMock.on(StartPipelineExecutionCommand).resolves({ PipelineExecutionArn: STARTED });
});

describe('retrain', () => {
  test("starts the pipeline with the governor's parameters, the data URL from the pipeline default", async () => {
    // WHEN
    const run = await runRecorded(['retrain', '--reason', 'labels fixed']);
    // THEN
    expect(run).toMatchObject({ exitCode: 0, stderr: '' });
    expect(startedWith()).toMatchObject({
      PipelineName: PIPELINE,
      PipelineExecutionDisplayName: 'manual-20260315T120000Z',
      PipelineParameters: [
        { Name: 'InputDataUrl', Value: DATA_URL },
        { Name: 'TriggerReason', Value: 'manual:labels fixed' },
      ],
      ClientRequestToken: expect.stringMatching(/^[0-9a-f]{64}$/),
    });
    expect(run.stdout).toBe(
      [
        `started ${PIPELINE}: idle and past the cool-down`,
        `  execution      ${STARTED}`,
        '  TriggerReason  manual:labels fixed',
        `  InputDataUrl   ${DATA_URL} (from the pipeline default)`,
        '',
      ].join('\n'),
    );
  });

  test('--json prints a stable document; without --reason the reason is the governor default', async () => {
    // WHEN
    const run = await runRecorded(['retrain', '--json']);
    // THEN
    expect(JSON.parse(run.stdout)).toEqual({
      decision: 'started',
      pipeline: PIPELINE,
      executionArn: STARTED,
      triggerReason: 'manual:operator request',
      inputDataUrl: DATA_URL,
      inputDataUrlSource: 'pipeline default',
      detail: 'idle and past the cool-down',
      finalStatus: null,
      eventId: null,
    });
  });

  test('--input-url wins over the pipeline default', async () => {
    // WHEN
    const run = await runRecorded(['retrain', '--input-url', 's3://other-bucket/backfill/', '--json']);
    // THEN
    expect(JSON.parse(run.stdout)).toMatchObject({ inputDataUrl: 's3://other-bucket/backfill/', inputDataUrlSource: '--input-url' });
    expect(sagemakerMock).not.toHaveReceivedCommand(DescribePipelineCommand);
  });

  test("without a pipeline default, the newest execution's InputDataUrl is used", async () => {
    // GIVEN
    sagemakerMock.on(DescribePipelineCommand).resolves({ PipelineDefinition: definition() });
    sagemakerMock.on(ListPipelineExecutionsCommand).resolves(history('Succeeded', 600));
    sagemakerMock.on(ListPipelineParametersForExecutionCommand).resolves({ PipelineParameters: [{ Name: 'InputDataUrl', Value: DATA_URL }] });
    // WHEN
    const run = await runRecorded(['retrain', '--json']);
    // THEN
    expect(JSON.parse(run.stdout)).toMatchObject({ inputDataUrl: DATA_URL, inputDataUrlSource: 'last execution' });
  });

  test('fails when no source names the data, asking for --input-url, with exit 2', async () => {
    // GIVEN
    sagemakerMock.on(DescribePipelineCommand).resolves({ PipelineDefinition: definition() });
    // WHEN
    const run = await runRecorded(['retrain']);
    // THEN
    expect(run.exitCode).toBe(2);
    expect(run.stderr).toMatch(/cannot tell where churn-dev-pipeline should read its data from: .* Pass --input-url s3:\/\/DATA-BUCKET\/raw\//);
    expect(sagemakerMock).not.toHaveReceivedCommand(StartPipelineExecutionCommand);
  });

  test('fails when --input-url is not an S3 prefix URL, with exit 2', async () => {
    // WHEN
    const run = await runRecorded(['retrain', '--input-url', 's3://bucket/file.csv']);
    // THEN
    expect(run.exitCode).toBe(2);
    expect(run.stderr).toMatch(/the InputDataUrl from the --input-url \("s3:\/\/bucket\/file.csv"\) is not an S3 prefix URL/);
  });

  test('fails when --input-url does not fit the model package metadata that records it, with exit 2', async () => {
    // WHEN
    const run = await runRecorded(['retrain', '--input-url', 's3://bucket/raw~1/']);
    // THEN
    expect(run.exitCode).toBe(2);
    expect(run.stderr).toMatch(/\("s3:\/\/bucket\/raw~1\/"\) does not fit the model package's metadata, which records it: use at most 256 characters \(it has 18\)/);
    expect(sagemakerMock).not.toHaveReceivedCommand(StartPipelineExecutionCommand);
  });

  test.each(['Executing', 'Stopping'] as const)('refuses while an execution is %s, even with --force, with exit 4', async (status) => {
    // GIVEN
    sagemakerMock.on(ListPipelineExecutionsCommand).resolves(history(status, 5));
    // WHEN
    const run = await runRecorded(['retrain', '--force']);
    // THEN
    expect(run.exitCode).toBe(4);
    expect(run.stderr).toMatch(new RegExp(`not started: execution is ${status} \\(${PIPELINE_ARN}/execution/old1\\) and the loop runs one execution at a time`));
    expect(run.stderr).toMatch(/aws sagemaker stop-pipeline-execution --pipeline-execution-arn/);
    expect(sagemakerMock).not.toHaveReceivedCommand(StartPipelineExecutionCommand);
  });

  test("refuses inside the stage's cool-down unless --force, with exit 4", async () => {
    // GIVEN config/dev.json: cool-down 60 minutes; the last run started 20 minutes ago
    sagemakerMock.on(ListPipelineExecutionsCommand).resolves(history('Succeeded', 20));
    // WHEN
    const refused = await runRecorded(['retrain']);
    const forced = await runRecorded(['retrain', '--force', '--json']);
    // THEN
    expect(refused.exitCode).toBe(4);
    expect(refused.stderr).toBe(
      'cdk-mlops: not started: last execution started 20 min ago; cool-down is 60 min. Pass --force to start inside the cool-down\n',
    );
    expect(forced.exitCode).toBe(0);
    expect(JSON.parse(forced.stdout)).toMatchObject({ decision: 'started', detail: 'forced past the cool-down' });
    expect(sagemakerMock).toHaveReceivedCommandTimes(StartPipelineExecutionCommand, 1);
  });

  test("without a stage config the cool-down is RetrainingSchedule's default 6 hours, or --cooldown-minutes", async () => {
    // GIVEN a stack of the user's own; the last run started 5 hours ago
    sagemakerMock.on(ListPipelineExecutionsCommand).resolves(history('Succeeded', 300));
    const own = ['--pipeline-name', 'fraud-training', '--region', 'eu-west-1'];
    const cwd = outsideDirectory();
    // WHEN
    const refused = await runRecorded(['retrain', ...own], { cwd });
    const started = await runRecorded(['retrain', ...own, '--cooldown-minutes', '240', '--json'], { cwd });
    // THEN
    expect(refused).toMatchObject({
      exitCode: 4,
      stderr: 'cdk-mlops: not started: last execution started 300 min ago; cool-down is 360 min. Pass --force to start inside the cool-down\n',
    });
    expect(started.exitCode).toBe(0);
    expect(JSON.parse(started.stdout)).toMatchObject({ decision: 'started', pipeline: 'fraud-training', detail: 'idle and past the cool-down' });
    expect(startedWith()).toMatchObject({ PipelineName: 'fraud-training' });
  });

  test("the default cool-down is the stage config schema's, which RetrainingSchedule's default mirrors", () => {
    // WHEN / THEN
    expect(parseStageConfig({ project: 'fraud', stage: 'dev' }).retraining).toMatchObject({
      cooldownMinutes: DEFAULT_COOLDOWN_MINUTES,
      newDataDebounceMinutes: DEFAULT_DEBOUNCE_MINUTES,
    });
  });

  test('--cooldown-minutes overrides the stage config\'s', async () => {
    // GIVEN config/dev.json: cool-down 60 minutes; the last run started 20 minutes ago
    sagemakerMock.on(ListPipelineExecutionsCommand).resolves(history('Succeeded', 20));
    // WHEN
    const run = await runRecorded(['retrain', '--cooldown-minutes', '15']);
    // THEN
    expect(run.exitCode).toBe(0);
  });

  test('fails when --cooldown-minutes is not a whole number, with exit 2 and no AWS call', async () => {
    // WHEN
    const run = await runRecorded(['retrain', '--cooldown-minutes', '1.5']);
    // THEN
    expect(run).toMatchObject({
      exitCode: 2,
      stderr: "error: option '--cooldown-minutes <minutes>' argument '1.5' is invalid. expected a whole number of minutes, 0 or more\n(add --help for usage)\n",
    });
    expect(sagemakerMock.calls()).toHaveLength(0);
  });

  test('fails when the pipeline does not exist, with exit 4', async () => {
    // GIVEN
    sagemakerMock.on(DescribePipelineCommand).rejects(awsError('ValidationException', `Could not find pipeline with PipelineName ${PIPELINE}.`));
    // WHEN
    const run = await runRecorded(['retrain']);
    // THEN
    expect(run.exitCode).toBe(4);
    expect(run.stderr).toBe(`cdk-mlops: pipeline ${PIPELINE} does not exist in this account and region: deploy the stage first\n`);
  });

  test('fails when the pipeline disappears between the checks, with exit 4', async () => {
    // GIVEN --input-url skips DescribePipeline; the governor's listing finds no pipeline
    sagemakerMock.on(ListPipelineExecutionsCommand).rejects(awsError('ResourceNotFound', 'Pipeline not found'));
    // WHEN
    const run = await runRecorded(['retrain', '--input-url', DATA_URL]);
    // THEN
    expect(run.exitCode).toBe(4);
    expect(run.stderr).toMatch(/pipeline churn-dev-pipeline does not exist/);
  });
});

describe('retrain --wait', () => {
  test('reports each change of the execution and its steps on stderr until it succeeds', async () => {
    // GIVEN
    sagemakerMock
      .on(DescribePipelineExecutionCommand)
      .resolvesOnce({ PipelineExecutionStatus: 'Executing' })
      .resolvesOnce({ PipelineExecutionStatus: 'Executing' })
      .resolves({ PipelineExecutionStatus: 'Succeeded' });
    sagemakerMock
      .on(ListPipelineExecutionStepsCommand)
      .resolvesOnce({ PipelineExecutionSteps: [{ StepName: 'Process', StepStatus: 'Executing' }] })
      .resolvesOnce({ PipelineExecutionSteps: [{ StepName: 'Process', StepStatus: 'Succeeded' }, { StepName: 'Train', StepStatus: 'Executing' }] })
      .resolves({ PipelineExecutionSteps: [{ StepName: 'Process', StepStatus: 'Succeeded' }, { StepName: 'Train', StepStatus: 'Succeeded' }] });
    // WHEN
    const run = await runRecorded(['retrain', '--wait', '--json']);
    // THEN
    expect(run.exitCode).toBe(0);
    expect(run.stderr).toBe(
      [
        'step Process: Executing',
        'execution: Executing',
        'step Process: Succeeded',
        'step Train: Executing',
        'step Train: Succeeded',
        'execution: Succeeded',
        '',
      ].join('\n'),
    );
    expect(JSON.parse(run.stdout)).toMatchObject({ finalStatus: 'Succeeded' });
  });

  test('fails when the execution fails, with exit 1, noting once that steps cannot be read', async () => {
    // GIVEN
    sagemakerMock
      .on(DescribePipelineExecutionCommand)
      .resolvesOnce({ PipelineExecutionStatus: 'Executing' })
      .resolves({ PipelineExecutionStatus: 'Failed', FailureReason: 'Step Train failed' });
    sagemakerMock.on(ListPipelineExecutionStepsCommand).rejects(awsError('InternalFailure', 'not implemented', 500));
    // WHEN
    const run = await runRecorded(['retrain', '--wait']);
    // THEN
    expect(run.exitCode).toBe(1);
    expect(run.stderr).toBe(
      [
        'note: step states unavailable (ListPipelineExecutionSteps: InternalFailure: not implemented)',
        'execution: Executing',
        'execution: Failed (Step Train failed)',
        `cdk-mlops: execution ${STARTED} ended Failed; cdk-mlops status shows the failed step`,
        '',
      ].join('\n'),
    );
  });
});

describe('retrain --reason limits', () => {
  test('fails when --reason is longer than the TriggerReason metadata value keeps, with exit 2 and no AWS call', async () => {
    // WHEN
    const run = await runRecorded(['retrain', '--reason', 'r'.repeat(250)]);
    // THEN
    expect(run.exitCode).toBe(2);
    expect(run.stderr).toMatch(/--reason is 250 characters long; the pipeline's TriggerReason \(manual:<reason>, kept in the model package's metadata\) keeps at most 249: shorten it/);
    expect(sagemakerMock.calls()).toHaveLength(0);
  });

  test('accepts a reason of 249 characters whole', async () => {
    // WHEN
    const run = await runRecorded(['retrain', '--reason', `  ${'r'.repeat(249)}  `]);
    // THEN
    expect(run).toMatchObject({ exitCode: 0, stderr: '' });
    expect(startedWith()?.PipelineParameters?.[1]).toEqual({ Name: 'TriggerReason', Value: `manual:${'r'.repeat(249)}` });
  });

  test('says on stderr which characters the TriggerReason cannot keep, and starts with them replaced', async () => {
    // WHEN
    const run = await runRecorded(['retrain', '--reason', 'labels fixed (ticket #42)\nby QA']);
    // THEN
    expect(run.exitCode).toBe(0);
    expect(run.stderr).toBe('note: TriggerReason allows only letters, digits, spaces and _ . : / = + - @; the pipeline gets "manual:labels fixed -ticket -42-by QA"\n');
    expect(startedWith()?.PipelineParameters?.[1]).toEqual({ Name: 'TriggerReason', Value: 'manual:labels fixed -ticket -42-by QA' });
  });

  test('--via-governor refuses an over-long reason too, and shows the TriggerReason the governor will pass', async () => {
    // GIVEN
    eventbridgeMock.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'event-1' }] });
    // WHEN
    const long = await runRecorded(['retrain', '--via-governor', '--reason', 'r'.repeat(300)]);
    const odd = await runRecorded(['retrain', '--via-governor', '--reason', 'drift (seen by hand)', '--json']);
    // THEN
    expect(long.exitCode).toBe(2);
    expect(long.stderr).toMatch(/--reason is 300 characters long/);
    expect(JSON.parse(odd.stdout)).toMatchObject({ triggerReason: 'manual:drift -seen by hand-' });
    expect(eventbridgeMock).toHaveReceivedCommandTimes(PutEventsCommand, 1);
  });
});

describe('retrain --via-governor', () => {
  test('puts the operator request on the default bus for the governor to decide', async () => {
    // GIVEN
    eventbridgeMock.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'event-1' }] });
    // WHEN
    const run = await runRecorded(['retrain', '--via-governor', '--force', '--reason', 'drift seen by hand', '--json']);
    // THEN
    expect(run.exitCode).toBe(0);
    expect(eventbridgeMock).toHaveReceivedCommandWith(PutEventsCommand, {
      Entries: [
        {
          Source: OPERATOR_RETRAIN_EVENT.SOURCE,
          DetailType: OPERATOR_RETRAIN_EVENT.DETAIL_TYPE,
          Detail: JSON.stringify({ pipelineName: PIPELINE, reason: 'drift seen by hand', force: true }),
        },
      ],
    });
    expect(JSON.parse(run.stdout)).toMatchObject({ decision: 'requested', eventId: 'event-1', triggerReason: 'manual:drift seen by hand', executionArn: null });
    expect(sagemakerMock).not.toHaveReceivedCommand(StartPipelineExecutionCommand);
  });

  test('fails when EventBridge drops the entry, with exit 1', async () => {
    // GIVEN
    eventbridgeMock.on(PutEventsCommand).resolves({ FailedEntryCount: 1, Entries: [{ ErrorCode: 'InternalFailure', ErrorMessage: 'try again' }] });
    // WHEN
    const run = await runRecorded(['retrain', '--via-governor']);
    // THEN
    expect(run).toMatchObject({ exitCode: 1, stderr: 'cdk-mlops: EventBridge did not accept the request: InternalFailure: try again\n' });
  });

  test.each([['--wait'], ['--input-url', DATA_URL]])('fails when combined with %s, with exit 2', async (...flags) => {
    // WHEN
    const run = await runRecorded(['retrain', '--via-governor', ...flags]);
    // THEN
    expect(run.exitCode).toBe(2);
    expect(run.stderr).toMatch(/--via-governor cannot be combined with --wait or --input-url/);
    expect(eventbridgeMock).not.toHaveReceivedCommand(PutEventsCommand);
  });
});
