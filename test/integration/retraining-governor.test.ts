import {
  CreatePipelineCommand,
  ListPipelineExecutionsCommand,
  ListPipelineParametersForExecutionCommand,
  SageMakerClient,
  StartPipelineExecutionCommand,
} from '@aws-sdk/client-sagemaker';
import type { Context } from 'aws-lambda';
import {
  GOVERNOR_ENV,
  PIPELINE_PARAMETER,
  readGovernorSettings,
} from '../../lambda/retraining-governor/environment';
import { governRetraining, RetrainingEvent } from '../../lambda/retraining-governor/governor';
import { MotoServer } from '../../lib/local/moto-server';

// The governor against moto over real HTTP: wire format of List/Start, the missing-pipeline error,
// and the cool-down. moto 5.2.1 marks every execution Succeeded at once, so "skip while running"
// cannot happen here (aws-sdk-client-mock covers it); the repeat-suppression asserted below is the
// cool-down's. moto also ignores ClientRequestToken (see the last test), so the token's
// deduplication is covered by the unit tests only.

const ENV = {
  [GOVERNOR_ENV.PIPELINE_NAME]: 'churn-it',
  [GOVERNOR_ENV.INPUT_DATA_URL]: 's3://churn-data-it/raw/',
  [GOVERNOR_ENV.COOLDOWN_MINUTES]: '60',
  [GOVERNOR_ENV.DEBOUNCE_MINUTES]: '15',
  [GOVERNOR_ENV.METRIC_NAMESPACE]: 'CdkMlops',
};
const settings = readGovernorSettings(ENV);
// A Fail-only definition that validates against the published pipeline-definition schema.
const DEFINITION = JSON.stringify({
  Version: '2020-12-01',
  Parameters: [
    { Name: PIPELINE_PARAMETER.INPUT_DATA_URL, Type: 'String' },
    { Name: PIPELINE_PARAMETER.TRIGGER_REASON, Type: 'String', DefaultValue: 'manual' },
  ],
  Steps: [{ Name: 'Stop', Type: 'Fail', Arguments: { ErrorMessage: 'integration-test pipeline' } }],
});

const moto = new MotoServer();
let sagemaker: SageMakerClient;
// moto stamps StartTime with its own wall clock, so the governor's clock is the wall clock too.
const realClock = () => new Date();
const minutesLater = (minutes: number) => () => new Date(Date.now() + minutes * 60_000);

function scheduleEvent(id: string): RetrainingEvent {
  return { id, time: new Date().toISOString(), source: 'aws.events', 'detail-type': 'Scheduled Event', detail: {} };
}

function objectCreated(i: number, time: string): RetrainingEvent {
  return {
    id: `upload-${i}`,
    time,
    source: 'aws.s3',
    'detail-type': 'Object Created',
    detail: { bucket: { name: 'churn-data-it' }, object: { key: `raw/2026/03/15/part-${i}.csv` } },
  };
}

async function executionArns(): Promise<string[]> {
  const { PipelineExecutionSummaries = [] } = await sagemaker.send(
    new ListPipelineExecutionsCommand({ PipelineName: settings.pipelineName }),
  );
  return PipelineExecutionSummaries.map((execution) => execution.PipelineExecutionArn!);
}

beforeAll(async () => {
  await moto.start();
  sagemaker = new SageMakerClient(moto.clientConfig);
}, 30_000);

afterAll(async () => {
  sagemaker?.destroy();
  await moto.stop();
});

beforeEach(async () => {
  await moto.reset();
  await sagemaker.send(
    new CreatePipelineCommand({
      PipelineName: settings.pipelineName,
      PipelineDefinition: DEFINITION,
      RoleArn: 'arn:aws:iam::123456789012:role/churn-it-pipeline',
      ClientRequestToken: 'create-churn-it-pipeline-0000000000000000',
    }),
  );
});

test('a scheduled event starts one execution with the parameters; the next event is skipped', async () => {
  // WHEN
  const first = await governRetraining(sagemaker, settings, scheduleEvent('schedule-1'), realClock);
  const second = await governRetraining(sagemaker, settings, scheduleEvent('schedule-2'), realClock);
  // THEN
  expect(first.decision).toBe('started');
  expect(await executionArns()).toEqual([first.executionArn]);
  const { PipelineParameters } = await sagemaker.send(
    new ListPipelineParametersForExecutionCommand({ PipelineExecutionArn: first.executionArn }),
  );
  expect(PipelineParameters).toEqual([
    { Name: PIPELINE_PARAMETER.INPUT_DATA_URL, Value: 's3://churn-data-it/raw/' },
    { Name: PIPELINE_PARAMETER.TRIGGER_REASON, Value: 'schedule' },
  ]);
  // skipped by the cool-down: moto's execution has already Succeeded, so it is not "running"
  expect(second).toMatchObject({ decision: 'skipped-cooldown', executionArn: first.executionArn });
});

test('a burst of 100 new-data events, handled one at a time as reserved concurrency 1 does, starts one execution', async () => {
  // GIVEN uploads one second apart, all inside one 15-minute debounce window
  const windowStart = Math.floor(Date.now() / 900_000) * 900_000;
  const events = Array.from({ length: 100 }, (_, i) => objectCreated(i, new Date(windowStart + i * 1_000).toISOString()));
  // WHEN
  const outcomes = [];
  for (const event of events) outcomes.push(await governRetraining(sagemaker, settings, event, realClock));
  // THEN
  expect(await executionArns()).toHaveLength(1);
  expect(outcomes.filter((outcome) => outcome.decision === 'started')).toHaveLength(1);
  expect(outcomes.filter((outcome) => outcome.decision === 'skipped-cooldown')).toHaveLength(99);
  expect(new Set(outcomes.map((outcome) => outcome.clientRequestToken)).size).toBe(1);
});

test('a drift alarm starts exactly one run, in a fresh state and again once the cool-down has passed', async () => {
  // GIVEN
  const drift = (id: string): RetrainingEvent => ({
    id,
    time: new Date().toISOString(),
    source: 'aws.cloudwatch',
    'detail-type': 'CloudWatch Alarm State Change',
    detail: { alarmName: 'churn-it-feature-drift', state: { value: 'ALARM' } },
  });
  // WHEN
  const fresh = await governRetraining(sagemaker, settings, drift('alarm-1'), realClock);
  const tooSoon = await governRetraining(sagemaker, settings, drift('alarm-2'), minutesLater(59));
  const afterCooldown = await governRetraining(sagemaker, settings, drift('alarm-3'), minutesLater(61));
  // THEN
  expect([fresh.decision, tooSoon.decision, afterCooldown.decision]).toEqual(['started', 'skipped-cooldown', 'started']);
  expect(await executionArns()).toEqual([fresh.executionArn, afterCooldown.executionArn]);
  const { PipelineParameters } = await sagemaker.send(
    new ListPipelineParametersForExecutionCommand({ PipelineExecutionArn: fresh.executionArn }),
  );
  expect(PipelineParameters).toContainEqual({ Name: PIPELINE_PARAMETER.TRIGGER_REASON, Value: 'drift:churn-it-feature-drift' });
});

test('fails when the pipeline does not exist, with the error naming it', async () => {
  // GIVEN
  const missing = { ...settings, pipelineName: 'churn-missing' };
  // WHEN / THEN moto answers ValidationException "Could not find pipeline with PipelineName churn-missing."
  await expect(governRetraining(sagemaker, missing, scheduleEvent('schedule-x'), realClock)).rejects.toThrow(
    /^SageMaker pipeline "churn-missing" does not exist in this account and region \(ValidationException: Could not find pipeline/,
  );
});

test('the handler, with its module-scope client configured from the environment, starts a run', async () => {
  // GIVEN the environment a Lambda function gets, pointed at moto
  const saved = { ...process.env };
  Object.assign(process.env, ENV, moto.childEnv);
  const stdout = jest.spyOn(process.stdout, 'write').mockImplementation(() => true);
  try {
    // WHEN
    let outcome;
    await jest.isolateModulesAsync(async () => {
      const { handler } = await import('../../lambda/retraining-governor');
      outcome = await handler(scheduleEvent('schedule-handler'), { awsRequestId: 'request-1' } as Context);
    });
    // THEN
    expect(outcome).toMatchObject({ decision: 'started' });
    expect(await executionArns()).toHaveLength(1);
    const line = JSON.parse(String(stdout.mock.calls[0][0]));
    expect(line).toMatchObject({ decision: 'started', Decision: 'started', RetrainingDecision: 1 });
  } finally {
    stdout.mockRestore();
    process.env = saved;
  }
});

test('moto does not honour ClientRequestToken: a repeated token starts a second execution', async () => {
  // Real SageMaker starts at most one execution per token; moto 5.2.1 stores the token without
  // checking it. This pins the emulator's behaviour so the day moto deduplicates, this test says so.
  // WHEN
  const start = () =>
    sagemaker.send(
      new StartPipelineExecutionCommand({ PipelineName: settings.pipelineName, ClientRequestToken: 'a'.repeat(64) }),
    );
  const [first, second] = [await start(), await start()];
  // THEN
  expect(first.PipelineExecutionArn).not.toBe(second.PipelineExecutionArn);
  expect(await executionArns()).toHaveLength(2);
});
