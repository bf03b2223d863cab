import {
  DeleteModelCommand,
  ListModelsCommand,
  ListTagsCommand,
  ListTransformJobsCommand,
  SageMakerClient,
  SageMakerServiceException,
  StopTransformJobCommand,
} from '@aws-sdk/client-sagemaker';
import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { type BatchCleanupLog, removeBatchResources } from '../../lambda/batch-cleanup/cleanup';
import { BATCH_TAG, transformJobName } from '../../lambda/batch-scorer/naming';

// Mocks only: moto 5.2.1 implements no StopTransformJob, and keeps every transform job Completed.
const sagemaker = mockClient(SageMakerClient);
const client = new SageMakerClient({ region: 'us-east-1' });
const SCORER = 'churn-dev-batch';
const ACCOUNT_ARN = 'arn:aws:sagemaker:us-east-1:111122223333';
const jobArn = (name: string) => `${ACCOUNT_ARN}:transform-job/${name}`;
const modelArn = (name: string) => `${ACCOUNT_ARN}:model/${name}`;
const RUNNING = transformJobName(SCORER, '0123456789ab', 2);
const DONE = transformJobName(SCORER, 'ba9876543210', 1);

let handlers: typeof import('../../lambda/batch-cleanup/index');
beforeAll(async () => {
  // The handler's Powertools logger reads its level when the module loads.
  process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';
  handlers = await import('../../lambda/batch-cleanup/index');
});

const log: BatchCleanupLog & { messages: string[] } = { messages: [], info: (message) => log.messages.push(message), warn: (message) => log.messages.push(message) };

function request(requestType: 'Create' | 'Update' | 'Delete', scorerName: unknown = SCORER): CloudFormationCustomResourceEvent {
  const common = {
    ServiceToken: 'arn:aws:lambda:us-east-1:111122223333:function:batch-cleanup',
    ResponseURL: 'https://example.invalid/response',
    StackId: 'arn:aws:cloudformation:us-east-1:111122223333:stack/churn-dev/guid',
    RequestId: `request-${requestType}`,
    LogicalResourceId: 'BatchCleanup',
    ResourceType: 'Custom::BatchInferenceCleanup',
    ResourceProperties: { ServiceToken: 'arn:aws:lambda:us-east-1:111122223333:function:batch-cleanup', ScorerName: scorerName as string },
  };
  if (requestType === 'Create') return { ...common, RequestType: 'Create' };
  if (requestType === 'Update') return { ...common, RequestType: 'Update', PhysicalResourceId: `batch-cleanup:${SCORER}`, OldResourceProperties: common.ResourceProperties };
  return { ...common, RequestType: 'Delete', PhysicalResourceId: `batch-cleanup:${SCORER}` };
}

function givenJobs(jobs: { name: string; status: string; owner?: string }[]): void {
  sagemaker.on(ListTransformJobsCommand).resolves({
    TransformJobSummaries: jobs.map(({ name, status }) => ({ TransformJobName: name, TransformJobArn: jobArn(name), TransformJobStatus: status as never, CreationTime: new Date() })),
  });
  for (const { name, owner } of jobs) sagemaker.on(ListTagsCommand, { ResourceArn: jobArn(name) }).resolves({ Tags: owner ? [{ Key: BATCH_TAG.SCORER, Value: owner }] : [] });
}

function givenModels(models: { name: string; owner?: string }[]): void {
  sagemaker.on(ListModelsCommand).resolves({ Models: models.map(({ name }) => ({ ModelName: name, ModelArn: modelArn(name), CreationTime: new Date() })) });
  for (const { name, owner } of models) sagemaker.on(ListTagsCommand, { ResourceArn: modelArn(name) }).resolves({ Tags: owner ? [{ Key: BATCH_TAG.SCORER, Value: owner }] : [] });
}

beforeEach(() => {
  sagemaker.reset();
  log.messages.length = 0;
  givenJobs([]);
  givenModels([]);
});

describe('removeBatchResources', () => {
  test('stops the running jobs it created and waits for them before deleting any model', async () => {
    // GIVEN
    givenJobs([
      { name: RUNNING, status: 'InProgress', owner: SCORER },
      { name: DONE, status: 'Completed', owner: SCORER },
      { name: transformJobName(SCORER, 'ffffffffffff', 3), status: 'InProgress', owner: 'someone-else' },
    ]);
    givenModels([{ name: `${SCORER}-v2-aaaaaaaa`, owner: SCORER }]);
    // WHEN
    const progress = await removeBatchResources(SCORER, client, log);
    // THEN
    expect(progress).toEqual({ complete: false, detail: 'stopping 1 transform jobs; their models are deleted once they have stopped' });
    expect(sagemaker).toHaveReceivedCommandTimes(StopTransformJobCommand, 1);
    expect(sagemaker).toHaveReceivedCommandWith(StopTransformJobCommand, { TransformJobName: RUNNING });
    expect(sagemaker).not.toHaveReceivedCommand(DeleteModelCommand);
  });

  test('once no job runs or stops, deletes the models tagged for the scorer only', async () => {
    // GIVEN
    givenJobs([{ name: RUNNING, status: 'Stopped', owner: SCORER }, { name: DONE, status: 'Failed', owner: SCORER }]);
    givenModels([
      { name: `${SCORER}-v2-aaaaaaaa`, owner: SCORER },
      { name: `${SCORER}-v1-bbbbbbbb`, owner: SCORER },
      { name: `${SCORER}-v1-cccccccc` },
      { name: 'churn-dev-batchy-v1-dddddddd', owner: SCORER },
    ]);
    // WHEN
    const progress = await removeBatchResources(SCORER, client, log);
    // THEN
    expect(progress).toEqual({ complete: true, detail: `no transform job of ${SCORER} runs; removed 2 models` });
    expect(sagemaker.commandCalls(DeleteModelCommand).map((call) => call.args[0].input.ModelName)).toEqual([`${SCORER}-v2-aaaaaaaa`, `${SCORER}-v1-bbbbbbbb`]);
    expect(sagemaker).not.toHaveReceivedCommand(StopTransformJobCommand);
  });

  test('a job still Stopping makes the pass wait; one that ended before the stop request counts as stopped', async () => {
    givenJobs([{ name: RUNNING, status: 'Stopping', owner: SCORER }]);
    expect((await removeBatchResources(SCORER, client, log)).complete).toBe(false);
    givenJobs([{ name: RUNNING, status: 'InProgress', owner: SCORER }]);
    sagemaker.on(StopTransformJobCommand).rejects(new SageMakerServiceException({ name: 'ValidationException', message: 'The job is not in progress', $fault: 'client', $metadata: {} }));
    expect((await removeBatchResources(SCORER, client, log)).complete).toBe(false);
  });
});

describe('the custom resource', () => {
  const deps = (passes: boolean[], remainingMs = 600_000) => {
    const calls: string[] = [];
    return {
      calls,
      removeBatchResources: async (scorerName: string) => {
        calls.push(scorerName);
        const complete = passes.shift() ?? true;
        return { complete, detail: complete ? 'done' : 'stopping 1 transform jobs' };
      },
      remainingTimeMs: () => remainingMs,
      sleep: async () => undefined,
    };
  };

  test('Create and Update change nothing and name the scorer in the physical ID', async () => {
    const fake = deps([]);
    await expect(handlers.handleBatchCleanup(request('Create'), fake)).resolves.toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: `batch-cleanup:${SCORER}` });
    await expect(handlers.handleBatchCleanup(request('Update'), fake)).resolves.toMatchObject({ Status: 'SUCCESS' });
    expect(fake.calls).toEqual([]);
  });

  test('Delete passes until no job runs, then succeeds', async () => {
    const fake = deps([false, false, true]);
    await expect(handlers.handleBatchCleanup(request('Delete'), fake)).resolves.toMatchObject({ Status: 'SUCCESS' });
    expect(fake.calls).toEqual([SCORER, SCORER, SCORER]);
  });

  test('fails the deletion when jobs do not stop in time, saying to retry', async () => {
    const response = await handlers.handleBatchCleanup(request('Delete'), deps([false], 30_000));
    expect(response).toMatchObject({ Status: 'FAILED', Reason: expect.stringMatching(/have not stopped yet \(stopping 1 transform jobs\); retry the stack deletion/) });
  });

  test('fails when the scorer name is invalid, and a Delete after such a Create succeeds without touching anything', async () => {
    await expect(handlers.handleBatchCleanup(request('Create', 'bad_name'), deps([]))).resolves.toMatchObject({ Status: 'FAILED', Reason: expect.stringMatching(/ScorerName is "bad_name": expected a scorer name/) });
    const fake = deps([]);
    await expect(handlers.handleBatchCleanup(request('Delete', 'bad_name'), fake)).resolves.toMatchObject({ Status: 'SUCCESS' });
    expect(fake.calls).toEqual([]);
  });
});
