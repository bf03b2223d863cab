import {
  ConflictException,
  ListPipelineExecutionsCommand,
  PipelineExecutionSummary,
  ResourceNotFound,
  SageMakerClient,
  SageMakerServiceException,
  StartPipelineExecutionCommand,
} from '@aws-sdk/client-sagemaker';
import type { Context, SQSEvent, SQSRecord } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import {
  GOVERNOR_ENV,
  GOVERNOR_QUEUE,
  GovernorSettings,
  OPERATOR_RETRAIN_EVENT,
  PIPELINE_PARAMETER,
  readGovernorSettings,
} from '../../lambda/retraining-governor/environment';
import {
  classifyEvent,
  clientRequestToken,
  governRetraining,
  GovernorOutcome,
  MAX_MANUAL_REASON_LENGTH,
  PipelineNotFoundError,
  RetrainingEvent,
  triggerReason,
  whyUnreadable,
} from '../../lambda/retraining-governor/governor';
import { handler } from '../../lambda/retraining-governor';

const ENV = {
  [GOVERNOR_ENV.PIPELINE_NAME]: 'churn-dev',
  [GOVERNOR_ENV.INPUT_DATA_URL]: 's3://churn-data-dev/raw/',
  [GOVERNOR_ENV.COOLDOWN_MINUTES]: '60',
  [GOVERNOR_ENV.DEBOUNCE_MINUTES]: '15',
  [GOVERNOR_ENV.METRIC_NAMESPACE]: 'CdkMlops',
};
const settings: GovernorSettings = readGovernorSettings({ ...ENV, [GOVERNOR_ENV.MODEL_QUALITY_ALARM_NAME]: 'churn-dev-model-quality' });
const NOW = new Date('2026-03-15T12:07:00Z');
const clock = () => NOW;
const PIPELINE_ARN = 'arn:aws:sagemaker:us-east-1:123456789012:pipeline/churn-dev';
const NEW_ARN = `${PIPELINE_ARN}/execution/new0001`;

const sagemakerMock = mockClient(SageMakerClient);
const sagemaker = new SageMakerClient({ region: 'us-east-1' });

function scheduleEvent(id = 'schedule-0001'): RetrainingEvent {
  return { id, time: '2026-03-15T12:00:00Z', source: 'aws.events', 'detail-type': 'Scheduled Event', detail: {} };
}

function objectCreated(
  key: string,
  time = '2026-03-15T12:05:00Z',
  id = `s3-${key}`,
  bucket = 'churn-data-dev',
): RetrainingEvent {
  const detail = { bucket: { name: bucket }, object: { key } };
  return { id, time, source: 'aws.s3', 'detail-type': 'Object Created', detail };
}

function alarmEvent(state: string, id = 'alarm-0001'): RetrainingEvent {
  return {
    id,
    time: '2026-03-15T12:06:00Z',
    source: 'aws.cloudwatch',
    'detail-type': 'CloudWatch Alarm State Change',
    detail: { alarmName: 'churn-dev-feature-drift', state: { value: state }, previousState: { value: 'OK' } },
  };
}

function manualEvent(force: boolean, reason = 'new labels from QA', id = 'manual-0001'): RetrainingEvent {
  return {
    id,
    time: '2026-03-15T12:06:30Z',
    source: OPERATOR_RETRAIN_EVENT.SOURCE,
    'detail-type': OPERATOR_RETRAIN_EVENT.DETAIL_TYPE,
    detail: { reason, force },
  };
}

function execution(status: string, minutesAgo: number, id = `old${minutesAgo}`): PipelineExecutionSummary {
  return {
    PipelineExecutionArn: `${PIPELINE_ARN}/execution/${id}`,
    PipelineExecutionStatus: status as PipelineExecutionSummary['PipelineExecutionStatus'],
    StartTime: new Date(NOW.getTime() - minutesAgo * 60_000),
  };
}

function serviceError(name: string, message: string, httpStatusCode: number): SageMakerServiceException {
  const $fault = httpStatusCode >= 500 ? 'server' : 'client';
  return new SageMakerServiceException({ name, message, $fault, $metadata: { httpStatusCode } });
}

/** What a CustomerMetadataValue allows (botocore's CustomerMetadataValue shape). */
const METADATA_VALUE = /^[\p{L}\p{Z}\p{N}_.:\/=+\-@]{1,256}$/u;

/** A key no one would choose: 1,500 characters with quotes, brackets, braces, emoji, a newline and a tab. */
const HOSTILE_KEY = `raw/${'"<>{}😀\n\tàé '.repeat(60)}${'k'.repeat(1500)}`.slice(0, 1500);

const { detail: _detail, ...scheduleWithoutDetail } = scheduleEvent('schedule-malformed');

function startedInput() {
  return sagemakerMock.commandCalls(StartPipelineExecutionCommand)[0].args[0].input;
}

function startTokens(): string[] {
  return sagemakerMock.commandCalls(StartPipelineExecutionCommand).map((call) => call.args[0].input.ClientRequestToken!);
}

beforeEach(() => {
  sagemakerMock.reset();
  sagemakerMock.on(ListPipelineExecutionsCommand).resolves({ PipelineExecutionSummaries: [] });
  sagemakerMock.on(StartPipelineExecutionCommand).resolves({ PipelineExecutionArn: NEW_ARN });
});

describe('running and cool-down checks', () => {
  test('starts the pipeline when no execution runs and none started inside the cool-down', async () => {
    // GIVEN
    sagemakerMock.on(ListPipelineExecutionsCommand).resolves({ PipelineExecutionSummaries: [execution('Succeeded', 61)] });
    // WHEN
    const outcome = await governRetraining(sagemaker, settings, scheduleEvent(), clock);
    // THEN
    expect(outcome).toMatchObject({ decision: 'started', eventId: 'schedule-0001', trigger: 'schedule', executionArn: NEW_ARN });
    expect(outcome.clientRequestToken).toMatch(/^[0-9a-f]{64}$/);
    expect(sagemakerMock).toHaveReceivedCommandWith(ListPipelineExecutionsCommand, {
      PipelineName: 'churn-dev',
      SortBy: 'CreationTime',
      SortOrder: 'Descending',
      // 672 hours back: no older execution can still be running
      CreatedAfter: new Date(NOW.getTime() - 672 * 3_600_000),
    });
    expect(sagemakerMock).toHaveReceivedCommandTimes(StartPipelineExecutionCommand, 1);
  });

  test.each(['Executing', 'Stopping'])('skips while an execution is %s', async (status) => {
    // GIVEN
    sagemakerMock.on(ListPipelineExecutionsCommand).resolves({ PipelineExecutionSummaries: [execution(status, 600, 'busy')] });
    // WHEN
    const outcome = await governRetraining(sagemaker, settings, scheduleEvent(), clock);
    // THEN
    expect(outcome).toMatchObject({ decision: 'skipped-running', executionArn: `${PIPELINE_ARN}/execution/busy` });
    expect(sagemakerMock).not.toHaveReceivedCommand(StartPipelineExecutionCommand);
  });

  test('pages through the history and finds a running execution behind newer finished ones', async () => {
    // GIVEN a console-started run still executing behind 100 newer finished ones
    const finished = Array.from({ length: 100 }, (_, i) => execution('Failed', 700 + i, `f${i}`));
    sagemakerMock
      .on(ListPipelineExecutionsCommand)
      .resolvesOnce({ PipelineExecutionSummaries: finished, NextToken: 'page-2' })
      .resolvesOnce({ PipelineExecutionSummaries: [execution('Executing', 900, 'old-run')] });
    // WHEN
    const outcome = await governRetraining(sagemaker, settings, scheduleEvent(), clock);
    // THEN
    expect(outcome).toMatchObject({ decision: 'skipped-running', executionArn: `${PIPELINE_ARN}/execution/old-run` });
    expect(sagemakerMock).toHaveReceivedNthSpecificCommandWith(2, ListPipelineExecutionsCommand, { NextToken: 'page-2' });
  });

  test('skips inside the cool-down whatever order the executions come in', async () => {
    // GIVEN the newest start (30 min ago) listed after an older one
    sagemakerMock.on(ListPipelineExecutionsCommand).resolves({
      PipelineExecutionSummaries: [execution('Succeeded', 300), execution('Failed', 30, 'recent')],
    });
    // WHEN
    const outcome = await governRetraining(sagemaker, settings, scheduleEvent(), clock);
    // THEN
    expect(outcome).toMatchObject({ decision: 'skipped-cooldown', executionArn: `${PIPELINE_ARN}/execution/recent` });
    expect(outcome.detail).toMatch(/started 30 min ago; cool-down is 60 min/);
    expect(sagemakerMock).not.toHaveReceivedCommand(StartPipelineExecutionCommand);
  });

  test('a forced manual request ignores the cool-down', async () => {
    // GIVEN
    sagemakerMock.on(ListPipelineExecutionsCommand).resolves({ PipelineExecutionSummaries: [execution('Succeeded', 5)] });
    // WHEN
    const forced = await governRetraining(sagemaker, settings, manualEvent(true), clock);
    const unforced = await governRetraining(sagemaker, settings, manualEvent(false, 'again', 'manual-0002'), clock);
    // THEN
    expect(forced).toMatchObject({ decision: 'started', trigger: 'manual:new labels from QA', detail: 'forced past the cool-down' });
    expect(unforced.decision).toBe('skipped-cooldown');
  });

  test('a forced manual request never runs next to a running execution', async () => {
    // GIVEN
    sagemakerMock.on(ListPipelineExecutionsCommand).resolves({ PipelineExecutionSummaries: [execution('Executing', 5)] });
    // WHEN
    const outcome = await governRetraining(sagemaker, settings, manualEvent(true), clock);
    // THEN
    expect(outcome.decision).toBe('skipped-running');
    expect(sagemakerMock).not.toHaveReceivedCommand(StartPipelineExecutionCommand);
  });
});

describe('idempotency token and debounce', () => {
  test('a redelivered event gets the same token and the second delivery is skipped-duplicate', async () => {
    // GIVEN SageMaker refuses the repeated token; no cool-down, so only the token stops the repeat
    const noCooldown = { ...settings, cooldownMinutes: 0 };
    sagemakerMock
      .on(StartPipelineExecutionCommand)
      .resolvesOnce({ PipelineExecutionArn: NEW_ARN })
      .rejectsOnce(new ConflictException({ message: 'ClientRequestToken already used', $metadata: {} }));
    // WHEN
    const first = await governRetraining(sagemaker, noCooldown, alarmEvent('ALARM'), clock);
    const second = await governRetraining(sagemaker, noCooldown, alarmEvent('ALARM'), clock);
    // THEN
    expect(first.decision).toBe('started');
    expect(second).toMatchObject({ decision: 'skipped-duplicate', clientRequestToken: first.clientRequestToken });
    expect(new Set(startTokens()).size).toBe(1);
  });

  test('a token refused in a ValidationException is skipped-duplicate too', async () => {
    // GIVEN
    sagemakerMock
      .on(StartPipelineExecutionCommand)
      .rejects(serviceError('ValidationException', 'ClientRequestToken is already in use with different parameters', 400));
    // WHEN
    const outcome = await governRetraining(sagemaker, settings, objectCreated('raw/b.csv'), clock);
    // THEN
    expect(outcome).toMatchObject({ decision: 'skipped-duplicate', detail: expect.stringMatching(/already in use/) });
  });

  test('a repeated token answered with the execution already listed is skipped-duplicate', async () => {
    // GIVEN SageMaker replays the first execution for the repeated token
    const noCooldown = { ...settings, cooldownMinutes: 0 };
    sagemakerMock.on(ListPipelineExecutionsCommand).resolves({ PipelineExecutionSummaries: [execution('Succeeded', 1, 'first')] });
    sagemakerMock.on(StartPipelineExecutionCommand).resolves({ PipelineExecutionArn: `${PIPELINE_ARN}/execution/first` });
    // WHEN
    const outcome = await governRetraining(sagemaker, noCooldown, scheduleEvent(), clock);
    // THEN
    expect(outcome).toMatchObject({ decision: 'skipped-duplicate', executionArn: `${PIPELINE_ARN}/execution/first` });
  });

  test('100 new-data events inside one debounce window share one token', async () => {
    // GIVEN uploads spread over 12:00:00-12:14:51, all seeing the pipeline idle (the race the token covers)
    const events = Array.from({ length: 100 }, (_, i) =>
      objectCreated(`raw/2026/03/15/part-${i}.csv`, new Date(Date.parse('2026-03-15T12:00:00Z') + i * 9_000).toISOString()),
    );
    // WHEN
    const outcomes = await Promise.all(events.map((event) => governRetraining(sagemaker, settings, event, clock)));
    // THEN
    expect(new Set(outcomes.map((outcome) => outcome.clientRequestToken)).size).toBe(1);
    expect(new Set(startTokens())).toEqual(new Set([outcomes[0].clientRequestToken]));
    // every request of the window names the same run
    const displayNames = sagemakerMock
      .commandCalls(StartPipelineExecutionCommand)
      .map((call) => call.args[0].input.PipelineExecutionDisplayName);
    expect(new Set(displayNames)).toEqual(new Set(['new-data-20260315T120000Z']));
  });

  test('new-data events in different debounce windows get different tokens', () => {
    // GIVEN the last second of one 15-minute window and the first of the next
    const key = 'raw/a.csv';
    const trigger = { kind: 'new-data', bucket: 'churn-data-dev', key } as const;
    // WHEN
    const late = clientRequestToken(settings, trigger, 'e1', new Date('2026-03-15T12:14:59Z'));
    const next = clientRequestToken(settings, trigger, 'e2', new Date('2026-03-15T12:15:00Z'));
    const sameWindow = clientRequestToken(settings, trigger, 'e3', new Date('2026-03-15T12:00:00Z'));
    // THEN
    expect(late).not.toBe(next);
    expect(late).toBe(sameWindow);
  });

  test('tokens differ between events, pipelines and trigger kinds and fit 32-128 characters', () => {
    // WHEN
    const schedule = { kind: 'schedule' } as const;
    const tokens = [
      clientRequestToken(settings, schedule, 'event-1', NOW),
      clientRequestToken(settings, schedule, 'event-2', NOW),
      clientRequestToken({ ...settings, pipelineName: 'churn-prod' }, schedule, 'event-1', NOW),
      clientRequestToken(settings, { kind: 'new-data', bucket: 'b', key: 'raw/x' }, 'event-1', NOW),
    ];
    // THEN
    expect(new Set(tokens).size).toBe(tokens.length);
    for (const token of tokens) expect(token.length).toBeGreaterThanOrEqual(32);
    for (const token of tokens) expect(token.length).toBeLessThanOrEqual(128);
  });
});

describe('failures', () => {
  test('throttling is thrown for a retry, and the retry starts with the same token', async () => {
    // GIVEN
    sagemakerMock
      .on(StartPipelineExecutionCommand)
      .rejectsOnce(serviceError('ThrottlingException', 'Rate exceeded', 400))
      .resolvesOnce({ PipelineExecutionArn: NEW_ARN });
    // WHEN
    const attempt = governRetraining(sagemaker, settings, scheduleEvent(), clock);
    // THEN
    await expect(attempt).rejects.toThrow(/Rate exceeded/);
    const retry = await governRetraining(sagemaker, settings, scheduleEvent(), clock);
    expect(retry.decision).toBe('started');
    const [first, second] = startTokens();
    expect(first).toBe(second);
  });

  test('a 5xx from the service is thrown for a retry', async () => {
    // GIVEN
    sagemakerMock.on(ListPipelineExecutionsCommand).rejects(serviceError('InternalFailure', 'We encountered an internal error', 500));
    // WHEN / THEN
    await expect(governRetraining(sagemaker, settings, scheduleEvent(), clock)).rejects.toMatchObject({ name: 'InternalFailure' });
  });

  test('fails when the pipeline is missing (ResourceNotFound) with an error naming the pipeline', async () => {
    // GIVEN
    sagemakerMock
      .on(StartPipelineExecutionCommand)
      .rejects(new ResourceNotFound({ message: `Pipeline '${PIPELINE_ARN}' does not exist.`, $metadata: {} }));
    // WHEN
    const attempt = governRetraining(sagemaker, settings, scheduleEvent(), clock);
    // THEN
    await expect(attempt).rejects.toThrow(PipelineNotFoundError);
    await expect(governRetraining(sagemaker, settings, scheduleEvent(), clock)).rejects.toThrow(
      /SageMaker pipeline "churn-dev" does not exist in this account and region .*correct PIPELINE_NAME/,
    );
  });

  test('fails when the pipeline is missing (ValidationException naming it) with an error naming the pipeline', async () => {
    // GIVEN the answer moto and the List API give for an unknown pipeline
    sagemakerMock
      .on(ListPipelineExecutionsCommand)
      .rejects(serviceError('ValidationException', 'Could not find pipeline with PipelineName churn-dev.', 400));
    // WHEN / THEN
    await expect(governRetraining(sagemaker, settings, scheduleEvent(), clock)).rejects.toThrow(
      /SageMaker pipeline "churn-dev" does not exist .*ValidationException: Could not find pipeline/,
    );
  });

  test('a ValidationException about something else is thrown unchanged', async () => {
    // GIVEN
    const error = serviceError('ValidationException', 'Parameter TriggerReason is not defined in the pipeline', 400);
    sagemakerMock.on(StartPipelineExecutionCommand).rejects(error);
    // WHEN / THEN
    await expect(governRetraining(sagemaker, settings, scheduleEvent(), clock)).rejects.toBe(error);
  });
});

describe('events', () => {
  test.each([
    ['an alarm going back to OK', alarmEvent('OK'), /changed to OK, not ALARM/],
    ['an alarm with insufficient data', alarmEvent('INSUFFICIENT_DATA'), /not ALARM/],
    ['an object outside raw/', objectCreated('features/2026/part-0.csv'), /outside s3:\/\/churn-data-dev\/raw\//],
    ['an object in another bucket', objectCreated('raw/a.csv', undefined, 'e', 'other-bucket'), /s3:\/\/other-bucket\/raw\/a\.csv is outside/],
    ['an unrelated event', { id: 'x', source: 'aws.ec2', 'detail-type': 'EC2 Instance State-change Notification' }, /not a retraining trigger/],
  ])('ignores %s without calling SageMaker', async (_, event, why) => {
    // WHEN
    const outcome = await governRetraining(sagemaker, settings, event, clock);
    // THEN
    expect(outcome).toMatchObject({ decision: 'ignored-event', trigger: 'ignored' });
    expect(outcome.detail).toMatch(why);
    expect(sagemakerMock.calls()).toHaveLength(0);
  });

  test.each([
    ['schedule', scheduleEvent(), 'schedule', 'schedule-20260315T120000Z', /scheduled retraining\. Event schedule-0001\./],
    [
      'new data',
      objectCreated('raw/2026/03/15/orders.csv', '2026-03-15T12:05:00Z', 's3-1'),
      'new-data:raw/2026/03/15/orders.csv',
      'new-data-20260315T120000Z',
      /new data s3:\/\/churn-data-dev\/raw\/2026\/03\/15\/orders\.csv; uploads from 2026-03-15T12:00:00\.000Z for 15 min share this run/,
    ],
    ['drift', alarmEvent('ALARM'), 'drift:churn-dev-feature-drift', 'drift-20260315T120600Z', /drift alarm churn-dev-feature-drift is in ALARM/],
    [
      'model quality',
      { ...alarmEvent('ALARM'), detail: { alarmName: 'churn-dev-model-quality', state: { value: 'ALARM' } } },
      'model-quality:churn-dev-model-quality',
      'model-quality-20260315T120600Z',
      /model-quality alarm churn-dev-model-quality is in ALARM: the metric measured against the uploaded ground truth crossed the threshold/,
    ],
    ['manual', manualEvent(false), 'manual:new labels from QA', 'manual-20260315T120630Z', /operator request: new labels from QA/],
  ])('passes the input data URL, the trigger reason and a description for %s', async (_, event, reason, displayName, description) => {
    // WHEN
    await governRetraining(sagemaker, settings, event, clock);
    // THEN
    expect(sagemakerMock).toHaveReceivedCommandWith(StartPipelineExecutionCommand, {
      PipelineName: 'churn-dev',
      PipelineParameters: [
        { Name: PIPELINE_PARAMETER.INPUT_DATA_URL, Value: 's3://churn-data-dev/raw/' },
        { Name: PIPELINE_PARAMETER.TRIGGER_REASON, Value: reason },
      ],
      PipelineExecutionDisplayName: displayName,
      PipelineExecutionDescription: expect.stringMatching(description),
    });
    const input = sagemakerMock.commandCalls(StartPipelineExecutionCommand)[0].args[0].input;
    expect(input.PipelineExecutionDisplayName).toMatch(/^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,81}$/);
  });

  test('tells the model-quality alarm from the drift alarm by the name in its settings', () => {
    // GIVEN
    const modelQuality = { ...alarmEvent('ALARM'), detail: { alarmName: 'churn-dev-model-quality', state: { value: 'ALARM' } } };
    const withoutName = readGovernorSettings(ENV);
    // WHEN / THEN
    expect(classifyEvent(modelQuality, settings)).toEqual({ kind: 'model-quality', alarmName: 'churn-dev-model-quality' });
    expect(classifyEvent(alarmEvent('ALARM'), settings)).toEqual({ kind: 'drift', alarmName: 'churn-dev-feature-drift' });
    // Without the setting every alarm is drift, as before model quality.
    expect(withoutName.modelQualityAlarmName).toBeUndefined();
    expect(classifyEvent(modelQuality, withoutName)).toEqual({ kind: 'drift', alarmName: 'churn-dev-model-quality' });
    expect(classifyEvent({ ...modelQuality, detail: { ...modelQuality.detail, state: { value: 'OK' } } }, settings)).toMatchObject({ kind: 'ignored' });
  });

  test('fails when MODEL_QUALITY_ALARM_NAME is longer than an alarm name can be', () => {
    expect(() => readGovernorSettings({ ...ENV, [GOVERNOR_ENV.MODEL_QUALITY_ALARM_NAME]: 'a'.repeat(256) })).toThrow(
      /MODEL_QUALITY_ALARM_NAME is "a{256}": expected a CloudWatch alarm name of at most 255 characters, or no value/,
    );
  });

  test('cuts a trigger reason to the 256 characters a model package metadata value keeps', async () => {
    // GIVEN
    const key = `raw/${'k'.repeat(1100)}.csv`;
    // WHEN
    const outcome = await governRetraining(sagemaker, settings, objectCreated(key), clock);
    // THEN
    const value = startedInput().PipelineParameters![1].Value!;
    expect(value).toBe(`new-data:raw/${'k'.repeat(256 - 'new-data:raw/'.length)}`);
    expect(outcome.trigger).toBe(value);
  });

  test('a hostile object key gives a TriggerReason that fits CustomerMetadataProperties, and a description on one line', async () => {
    // GIVEN
    expect(HOSTILE_KEY).toHaveLength(1500);
    const event = objectCreated(HOSTILE_KEY);
    // WHEN
    const trigger = classifyEvent(event, settings);
    const outcome = await governRetraining(sagemaker, settings, event, clock);
    // THEN the trigger keeps the key; the parameter is sanitized
    expect(trigger).toEqual({ kind: 'new-data', bucket: 'churn-data-dev', key: HOSTILE_KEY });
    const input = startedInput();
    const value = input.PipelineParameters!.find((parameter) => parameter.Name === PIPELINE_PARAMETER.TRIGGER_REASON)!.Value!;
    expect(value).toMatch(METADATA_VALUE);
    expect(value.length).toBeLessThanOrEqual(256);
    expect(value).toMatch(/^new-data:raw\/-àé -àé /);
    expect(outcome.trigger).toBe(value);
    expect(input.PipelineExecutionDescription!.length).toBeLessThanOrEqual(3072);
    expect(input.PipelineExecutionDescription).not.toMatch(/[\n\r\t]/);
  });

  test.each([
    ['an alarm name with brackets and a comma', { kind: 'drift', alarmName: 'churn (prod), 5xx > 1%' } as const, 'drift:churn -prod- 5xx - 1-'],
    ['an operator reason with a newline', { kind: 'manual', reason: 'labels fixed;\nsee #42', force: false } as const, 'manual:labels fixed-see -42'],
    ['a reason in another script', { kind: 'manual', reason: 'Neue Labels für Köln: 第二版', force: false } as const, 'manual:Neue Labels für Köln: 第二版'],
  ])('replaces each run of characters a metadata value does not allow in %s', (_, trigger, expected) => {
    expect(triggerReason(trigger)).toBe(expected);
    expect(triggerReason(trigger)).toMatch(METADATA_VALUE);
  });

  test('cuts an over-long reason without splitting a character outside the basic plane', () => {
    // GIVEN 𝐀 (U+1D400, a letter) is two UTF-16 code units
    const reason = '𝐀'.repeat(200);
    // WHEN
    const value = triggerReason({ kind: 'manual', reason, force: false });
    // THEN
    expect(value.length).toBeLessThanOrEqual(256);
    expect(value).toMatch(METADATA_VALUE);
    expect(MAX_MANUAL_REASON_LENGTH).toBe(249);
  });

  test('a manual request without a reason says so', async () => {
    // WHEN
    const outcome = await governRetraining(sagemaker, settings, manualEvent(false, '  '), clock);
    // THEN
    expect(outcome.trigger).toBe('manual:operator request');
  });
});

describe('handler', () => {
  const context = { awsRequestId: 'request-1', functionName: 'governor' } as Context;
  // Powertools Logger writes INFO to stdout and ERROR to stderr, one JSON object a line.
  let output: jest.SpyInstance[];
  const logLines = () =>
    output
      .flatMap((spy) => spy.mock.calls)
      .flatMap(([chunk]) => String(chunk).split('\n'))
      .filter(Boolean)
      .map((line) => JSON.parse(line));

  beforeEach(() => {
    Object.assign(process.env, ENV);
    output = [process.stdout, process.stderr].map((stream) => jest.spyOn(stream, 'write').mockImplementation(() => true));
  });
  afterEach(() => {
    for (const spy of output) spy.mockRestore();
    for (const name of Object.keys(ENV)) delete process.env[name];
  });

  test('logs one decision line that is an EMF RetrainingDecision metric', async () => {
    // WHEN
    const outcome = await handler(scheduleEvent(), context);
    // THEN
    const [line] = logLines();
    expect(line).toMatchObject({
      level: 'INFO',
      message: 'retraining started',
      service: 'retraining-governor',
      eventId: 'schedule-0001',
      trigger: 'schedule',
      decision: 'started',
      executionArn: NEW_ARN,
      clientRequestToken: (outcome as GovernorOutcome).clientRequestToken,
      _aws: {
        Timestamp: expect.any(Number),
        CloudWatchMetrics: [
          {
            Namespace: 'CdkMlops',
            Dimensions: [['Pipeline', 'Decision']],
            Metrics: [{ Name: 'RetrainingDecision', Unit: 'Count' }],
          },
        ],
      },
      Pipeline: 'churn-dev',
      Decision: 'started',
      RetrainingDecision: 1,
    });
    expect(logLines()).toHaveLength(1);
  });

  test('a direct invocation without an event id uses the Lambda request id', async () => {
    // WHEN
    const { id: _id, time: _time, ...direct } = manualEvent(false);
    const outcome = await handler(direct, context);
    // THEN
    expect(outcome).toMatchObject({ decision: 'started', eventId: 'request-1' });
  });

  test('logs a failure with the event id and throws it', async () => {
    // GIVEN
    sagemakerMock.on(ListPipelineExecutionsCommand).rejects(serviceError('ThrottlingException', 'Rate exceeded', 400));
    // WHEN
    await expect(handler(scheduleEvent(), context)).rejects.toThrow(/Rate exceeded/);
    // THEN
    expect(logLines()).toEqual([
      expect.objectContaining({
        level: 'ERROR',
        eventId: 'schedule-0001',
        detailType: 'Scheduled Event',
        error: expect.objectContaining({ name: 'ThrottlingException', message: 'Rate exceeded' }),
      }),
    ]);
  });

  test('fails when the environment is incomplete, before calling SageMaker', async () => {
    // GIVEN
    delete process.env[GOVERNOR_ENV.PIPELINE_NAME];
    // WHEN / THEN
    await expect(handler(scheduleEvent(), context)).rejects.toThrow(/PIPELINE_NAME is not set/);
    expect(sagemakerMock.calls()).toHaveLength(0);
  });

  test.each([
    ['an event without detail', scheduleWithoutDetail, /its detail is missing, not the object a "Scheduled Event" event carries/],
    ['an event whose detail is a string', { ...scheduleEvent('schedule-malformed'), detail: '{}' }, /its detail is the string "\{\}"/],
    ['an object-created event without an object key', { ...objectCreated('raw/a.csv', undefined, 'schedule-malformed'), detail: { bucket: { name: 'churn-data-dev' } } }, /its detail has no object\.key/],
    ['an alarm event without alarmName', { ...alarmEvent('ALARM', 'schedule-malformed'), detail: { state: { value: 'ALARM' } } }, /its detail has no alarmName/],
    ['an operator request whose reason is a number', { ...manualEvent(false, 'x', 'schedule-malformed'), detail: { reason: 42 } }, /its detail's reason is a number, not a string/],
    ['an event without detail-type', { ...scheduleEvent('schedule-malformed'), 'detail-type': undefined }, /the event has no detail-type/],
    ['an event with an empty id', { ...scheduleEvent('schedule-malformed'), id: ' ' }, /the event has no id/],
  ])('refuses %s: logs it once, returns normally and calls nothing', async (_, event, why) => {
    // WHEN
    const result = await handler(event as RetrainingEvent, context);
    // THEN
    expect(result).toEqual({ refused: true, eventId: expect.any(String), detail: expect.stringMatching(why) });
    expect(logLines()).toEqual([
      expect.objectContaining({
        level: 'WARN',
        message: 'retraining event refused',
        eventId: event.id,
        source: event.source,
        why: expect.stringMatching(why),
      }),
    ]);
    expect(sagemakerMock.calls()).toHaveLength(0);
  });

  test.each([
    ['null', null, /the event is null, not an object/],
    ['an array', [scheduleEvent()], /the event is an array, not an object/],
  ])('refuses %s as the event', async (_, event, why) => {
    // WHEN
    const result = await handler(event as unknown as RetrainingEvent, context);
    // THEN
    expect(result).toEqual({ refused: true, eventId: undefined, detail: expect.stringMatching(why) });
    expect(logLines()).toHaveLength(1);
  });
});

describe('handler fed from the SQS FIFO queue', () => {
  const context = { awsRequestId: 'request-2', functionName: 'governor' } as Context;
  let output: jest.SpyInstance[];
  // In the order written, across stdout (INFO) and stderr (WARN, ERROR).
  const logLines = () =>
    output
      .flatMap((spy) => spy.mock.calls.map(([chunk], i) => ({ chunk, order: spy.mock.invocationCallOrder[i] })))
      .sort((a, b) => a.order - b.order)
      .flatMap(({ chunk }) => String(chunk).split('\n'))
      .filter(Boolean)
      .map((line) => JSON.parse(line));

  function record(messageId: string, body: unknown): SQSRecord {
    return {
      messageId,
      receiptHandle: `handle-${messageId}`,
      body: typeof body === 'string' ? body : JSON.stringify(body),
      attributes: {
        ApproximateReceiveCount: '1',
        SentTimestamp: '1773576000000',
        SenderId: 'AIDAEXAMPLE',
        ApproximateFirstReceiveTimestamp: '1773576000001',
        MessageGroupId: GOVERNOR_QUEUE.MESSAGE_GROUP_ID,
        MessageDeduplicationId: messageId,
        SequenceNumber: '1',
      },
      messageAttributes: {},
      md5OfBody: '',
      eventSource: 'aws:sqs',
      eventSourceARN: 'arn:aws:sqs:us-east-1:123456789012:churn-dev-retraining.fifo',
      awsRegion: 'us-east-1',
    };
  }
  const batch = (...records: SQSRecord[]): SQSEvent => ({ Records: records });

  beforeEach(() => {
    Object.assign(process.env, ENV);
    output = [process.stdout, process.stderr].map((stream) => jest.spyOn(stream, 'write').mockImplementation(() => true));
  });
  afterEach(() => {
    for (const spy of output) spy.mockRestore();
    for (const name of Object.keys(ENV)) delete process.env[name];
  });

  test('the queue has one message group', () => {
    expect(GOVERNOR_QUEUE).toEqual({ MESSAGE_GROUP_ID: 'retraining' });
  });

  test('decides each record in order, logging each decision with its message id', async () => {
    // WHEN a schedule, then an alarm going back to OK
    const result = await handler(batch(record('m-1', scheduleEvent('e-1')), record('m-2', alarmEvent('OK', 'e-2'))), context);
    // THEN
    expect(result).toEqual({ batchItemFailures: [] });
    expect(logLines().map((line) => [line.messageId, line.eventId, line.decision])).toEqual([
      ['m-1', 'e-1', 'started'],
      ['m-2', 'e-2', 'ignored-event'],
    ]);
    expect(logLines()[0]).toMatchObject({ RetrainingDecision: 1, Decision: 'started' });
  });

  test.each([
    ['a body that is not JSON', '{"id": "e-1", "source": ', /the message body is not JSON/],
    ['a body that is a JSON string', JSON.stringify('Scheduled Event'), /the event is the string "Scheduled Event", not an object/],
    ['a body that is an event without id', { ...scheduleEvent(), id: undefined }, /the event has no id \(id is missing\)/],
    ['a body that is an event without detail', scheduleWithoutDetail, /its detail is missing/],
  ])('refuses %s, and goes on with the next record', async (_, body, why) => {
    // WHEN
    const result = await handler(batch(record('m-1', body), record('m-2', scheduleEvent('e-2'))), context);
    // THEN
    expect(result).toEqual({ batchItemFailures: [] });
    const [refusal, decision] = logLines();
    expect(refusal).toMatchObject({ level: 'WARN', message: 'retraining event refused', messageId: 'm-1', why: expect.stringMatching(why) });
    expect(decision).toMatchObject({ messageId: 'm-2', decision: 'started' });
    expect(sagemakerMock).toHaveReceivedCommandTimes(StartPipelineExecutionCommand, 1);
  });

  test('refuses a record that does not come from SQS', async () => {
    // WHEN
    const result = await handler(batch({ ...record('m-1', scheduleEvent()), eventSource: 'aws:kinesis' }), context);
    // THEN
    expect(result).toEqual({ batchItemFailures: [] });
    expect(logLines()).toEqual([expect.objectContaining({ why: 'the record comes from "aws:kinesis", not aws:sqs' })]);
  });

  test('a transient failure reports that record and every later one, in order, and decides none of the later ones', async () => {
    // GIVEN the second record's start is throttled
    sagemakerMock
      .on(StartPipelineExecutionCommand)
      .resolvesOnce({ PipelineExecutionArn: NEW_ARN })
      .rejectsOnce(serviceError('ThrottlingException', 'Rate exceeded', 400));
    const noCooldown = { ...ENV, [GOVERNOR_ENV.COOLDOWN_MINUTES]: '0' };
    Object.assign(process.env, noCooldown);
    // WHEN
    const result = await handler(
      batch(record('m-1', scheduleEvent('e-1')), record('m-2', alarmEvent('ALARM', 'e-2')), record('m-3', manualEvent(false, 'x', 'e-3'))),
      context,
    );
    // THEN
    expect(result).toEqual({ batchItemFailures: [{ itemIdentifier: 'm-2' }, { itemIdentifier: 'm-3' }] });
    expect(sagemakerMock).toHaveReceivedCommandTimes(StartPipelineExecutionCommand, 2);
    expect(logLines()).toEqual([
      expect.objectContaining({ messageId: 'm-1', decision: 'started' }),
      expect.objectContaining({
        level: 'ERROR',
        messageId: 'm-2',
        eventId: 'e-2',
        retriedWith: ['m-3'],
        error: expect.objectContaining({ name: 'ThrottlingException' }),
      }),
    ]);
  });

  test('the retried records start the same run: the token comes from the event, not the delivery', async () => {
    // GIVEN the same alarm event delivered twice
    const noCooldown = { ...ENV, [GOVERNOR_ENV.COOLDOWN_MINUTES]: '0' };
    Object.assign(process.env, noCooldown);
    // WHEN
    await handler(batch(record('m-2', alarmEvent('ALARM', 'e-2'))), context);
    await handler(batch(record('m-2', alarmEvent('ALARM', 'e-2'))), context);
    // THEN
    expect(new Set(startTokens()).size).toBe(1);
  });

  test('fails the whole batch when the environment is incomplete, before calling SageMaker', async () => {
    // GIVEN
    delete process.env[GOVERNOR_ENV.PIPELINE_NAME];
    // WHEN / THEN
    await expect(handler(batch(record('m-1', scheduleEvent())), context)).rejects.toThrow(/PIPELINE_NAME is not set/);
    expect(sagemakerMock.calls()).toHaveLength(0);
  });
});

describe('whyUnreadable', () => {
  test.each([
    ['a schedule', scheduleEvent()],
    ['an upload', objectCreated('raw/a.csv')],
    ['an alarm', alarmEvent('OK')],
    ['an operator request without reason or force', { ...manualEvent(false), detail: {} }],
    ['an operator request with a null reason', { ...manualEvent(false), detail: { reason: null } }],
    ['a direct invocation without id', { source: 'aws.events', 'detail-type': 'Scheduled Event', detail: {} }],
    ['an event of another type without detail', { id: 'x', source: 'aws.ec2', 'detail-type': 'EC2 Instance State-change Notification' }],
  ])('reads %s', (_, event) => {
    expect(whyUnreadable(event)).toBeUndefined();
  });

  test('requires an id when asked to', () => {
    expect(whyUnreadable({ source: 'aws.events', 'detail-type': 'Scheduled Event', detail: {} }, { requireId: true })).toBe(
      'the event has no id (id is missing)',
    );
  });

  test('refuses a force that is not true or false', () => {
    expect(whyUnreadable({ ...manualEvent(true), detail: { force: 'yes' } })).toBe("its detail's force is the string \"yes\", not true or false");
  });
});

describe('readGovernorSettings', () => {
  test('reads the bucket and prefix from the input data URL', () => {
    expect(settings).toEqual({
      pipelineName: 'churn-dev',
      inputDataUrl: 's3://churn-data-dev/raw/',
      inputBucket: 'churn-data-dev',
      inputPrefix: 'raw/',
      cooldownMinutes: 60,
      debounceMinutes: 15,
      metricNamespace: 'CdkMlops',
      modelQualityAlarmName: 'churn-dev-model-quality',
    });
  });

  test.each([
    [GOVERNOR_ENV.PIPELINE_NAME, 'churn_dev', /PIPELINE_NAME is "churn_dev": expected a SageMaker pipeline name/],
    [GOVERNOR_ENV.INPUT_DATA_URL, 's3://churn-data-dev/raw', /INPUT_DATA_URL is "s3:\/\/churn-data-dev\/raw": expected an S3 prefix URL/],
    [GOVERNOR_ENV.INPUT_DATA_URL, 's3://churn-data-dev/', /INPUT_DATA_URL is "s3:\/\/churn-data-dev\/"/],
    [GOVERNOR_ENV.INPUT_DATA_URL, 'https://churn-data-dev/raw/', /INPUT_DATA_URL is "https:/],
    [GOVERNOR_ENV.COOLDOWN_MINUTES, '-5', /COOLDOWN_MINUTES is "-5": expected a whole number of minutes, 0 or more/],
    [GOVERNOR_ENV.COOLDOWN_MINUTES, '1.5', /COOLDOWN_MINUTES is "1.5"/],
    [GOVERNOR_ENV.DEBOUNCE_MINUTES, '0', /DEBOUNCE_MINUTES is "0": expected a whole number of minutes, 1 or more/],
    [GOVERNOR_ENV.METRIC_NAMESPACE, 'AWS/SageMaker', /METRIC_NAMESPACE is "AWS\/SageMaker": expected a CloudWatch namespace/],
    [GOVERNOR_ENV.METRIC_NAMESPACE, 'Cdk$Mlops', /METRIC_NAMESPACE is "Cdk\$Mlops"/],
  ])('fails when %s is "%s"', (name, value, message) => {
    expect(() => readGovernorSettings({ ...ENV, [name]: value })).toThrow(message);
  });

  test('fails when variables are missing, listing every one in one error', () => {
    // WHEN
    const read = () => readGovernorSettings({ [GOVERNOR_ENV.COOLDOWN_MINUTES]: 'soon' });
    // THEN
    expect(read).toThrow(/^retraining governor settings are invalid:/);
    for (const message of [
      /PIPELINE_NAME is not set/,
      /INPUT_DATA_URL is not set/,
      /COOLDOWN_MINUTES is "soon"/,
      /DEBOUNCE_MINUTES is not set/,
      /METRIC_NAMESPACE is not set/,
    ]) {
      expect(read).toThrow(message);
    }
  });

  test('fails when the input data URL does not fit a model package metadata value', () => {
    // GIVEN
    const long = `s3://churn-data-dev/${'p'.repeat(240)}/`;
    // WHEN / THEN
    expect(() => readGovernorSettings({ ...ENV, [GOVERNOR_ENV.INPUT_DATA_URL]: long })).toThrow(
      /INPUT_DATA_URL is "s3:\/\/churn-data-dev\/p+\/": expected at most 256 characters, all letters, digits, spaces or _ \. : \/ = \+ - @ \(it is 261 long/,
    );
    expect(() => readGovernorSettings({ ...ENV, [GOVERNOR_ENV.INPUT_DATA_URL]: 's3://churn-data-dev/raw~1/' })).toThrow(/INPUT_DATA_URL is "s3:\/\/churn-data-dev\/raw~1\/": expected at most 256/);
  });

  test('accepts a cool-down of 0 minutes', () => {
    expect(readGovernorSettings({ ...ENV, [GOVERNOR_ENV.COOLDOWN_MINUTES]: '0' }).cooldownMinutes).toBe(0);
  });
});
