import {
  ApplicationAutoScalingClient,
  DeregisterScalableTargetCommand,
  DescribeScalableTargetsCommand,
} from '@aws-sdk/client-application-auto-scaling';
import {
  DeleteDataQualityJobDefinitionCommand,
  DeleteEndpointCommand,
  DeleteEndpointConfigCommand,
  DeleteModelCommand,
  DeleteModelQualityJobDefinitionCommand,
  DeleteMonitoringScheduleCommand,
  DescribeEndpointCommand,
  DescribeMonitoringScheduleCommand,
  type DescribeMonitoringScheduleCommandOutput,
  ListDataQualityJobDefinitionsCommand,
  ListEndpointConfigsCommand,
  ListModelQualityJobDefinitionsCommand,
  ListModelsCommand,
  ListTagsCommand,
  SageMakerClient,
  SageMakerServiceException,
} from '@aws-sdk/client-sagemaker';
import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { type CleanupLog, type CleanupProgress, removeEndpointResources } from '../../lambda/endpoint-cleanup/cleanup';
import type { CustomResourceDependencies } from '../../lambda/endpoint-cleanup/index';
import { TAG } from '../../lambda/deployer/naming';

const sagemaker = mockClient(SageMakerClient);
const autoscaling = mockClient(ApplicationAutoScalingClient);
// mockClient stubs send() on the prototype, so these real clients (which paginators require) are mocked too.
const clients = { sagemaker: new SageMakerClient({ region: 'us-east-1' }), autoscaling: new ApplicationAutoScalingClient({ region: 'us-east-1' }) };

const ENDPOINT = 'churn-prod';
const ACCOUNT_ARN = 'arn:aws:sagemaker:us-east-1:111122223333';
const ENDPOINT_ARN = `${ACCOUNT_ARN}:endpoint/${ENDPOINT}`;
const RESOURCE_ID = `endpoint/${ENDPOINT}/variant/AllTraffic`;
const SCHEDULE = 'churn-prod-data-quality';
const MQ_SCHEDULE = 'churn-prod-model-quality';

let handlers: typeof import('../../lambda/endpoint-cleanup/index');
beforeAll(async () => {
  // The handlers' Powertools logger reads its level when the module loads.
  process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';
  handlers = await import('../../lambda/endpoint-cleanup/index');
});

function request(
  requestType: 'Create' | 'Update' | 'Delete',
  endpointName: unknown = ENDPOINT,
  more: Record<string, unknown> = {},
): CloudFormationCustomResourceEvent {
  const common = {
    ServiceToken: 'arn:aws:lambda:us-east-1:111122223333:function:provider',
    ResponseURL: 'https://cloudformation-custom-resource-response.example/',
    StackId: 'arn:aws:cloudformation:us-east-1:111122223333:stack/mlops/guid',
    RequestId: `request-${requestType}`,
    LogicalResourceId: 'EndpointCleanup',
    ResourceType: 'Custom::EndpointCleanup',
    ResourceProperties: { ServiceToken: 'arn:aws:lambda:us-east-1:111122223333:function:provider', EndpointName: endpointName as string, ...more },
  };
  if (requestType === 'Create') return { ...common, RequestType: 'Create' };
  if (requestType === 'Update') {
    return { ...common, RequestType: 'Update', PhysicalResourceId: `endpoint-cleanup:${ENDPOINT}`, OldResourceProperties: common.ResourceProperties };
  }
  return { ...common, RequestType: 'Delete', PhysicalResourceId: `endpoint-cleanup:${ENDPOINT}` };
}

function awsError(name: string, message: string): SageMakerServiceException {
  return new SageMakerServiceException({ name, message, $fault: 'client', $metadata: { httpStatusCode: 400 } });
}

function recordingLog(): CleanupLog & { messages: string[] } {
  const messages: string[] = [];
  return { messages, info: (message) => messages.push(message), warn: (message) => messages.push(message) };
}

function notFound(kind: string): SageMakerServiceException {
  return awsError('ValidationException', `Could not find ${kind}.`);
}

function givenEndpoint(status: string, tags: Record<string, string> = { [TAG.ENDPOINT]: ENDPOINT }, configName = `${ENDPOINT}-v2-aaaaaaaa`) {
  sagemaker.on(DescribeEndpointCommand).resolves({ EndpointName: ENDPOINT, EndpointArn: ENDPOINT_ARN, EndpointStatus: status as never, EndpointConfigName: configName });
  sagemaker.on(ListTagsCommand, { ResourceArn: ENDPOINT_ARN }).resolves({ Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })) });
}

/** Endpoint configs and models of these names, each a model and config pair; `owner` tags them. */
function givenDeploymentResources(resources: Array<{ name: string; owner?: string }>) {
  const arn = (name: string) => `${ACCOUNT_ARN}:endpoint-config/${name}`;
  sagemaker.on(ListEndpointConfigsCommand).resolves({
    EndpointConfigs: resources.map(({ name }) => ({ EndpointConfigName: name, EndpointConfigArn: arn(name), CreationTime: new Date() })),
  });
  sagemaker.on(ListModelsCommand).resolves({
    Models: resources.map(({ name }) => ({ ModelName: name, ModelArn: arn(name), CreationTime: new Date() })),
  });
  for (const { name, owner } of resources) {
    sagemaker.on(ListTagsCommand, { ResourceArn: arn(name) }).resolves({ Tags: owner ? [{ Key: TAG.ENDPOINT, Value: owner }] : [] });
  }
}

function schedule(status: string, endpointName = ENDPOINT): DescribeMonitoringScheduleCommandOutput {
  return {
    MonitoringScheduleArn: `${ACCOUNT_ARN}:monitoring-schedule/${SCHEDULE}`,
    MonitoringScheduleName: SCHEDULE,
    MonitoringScheduleStatus: status as never,
    EndpointName: endpointName,
    MonitoringScheduleConfig: { MonitoringJobDefinitionName: 'churn-prod-dq-v2-bbbbbbbb', MonitoringType: 'DataQuality' },
    CreationTime: new Date(),
    LastModifiedTime: new Date(),
    $metadata: {},
  };
}

const scheduleGone = () => awsError('ResourceNotFound', `Monitoring schedule ${SCHEDULE} does not exist.`);

/** Data-quality job definitions of these names; `owner` tags them. */
function givenJobDefinitions(definitions: Array<{ name: string; owner?: string }>) {
  const arn = (name: string) => `${ACCOUNT_ARN}:data-quality-job-definition/${name}`;
  sagemaker.on(ListDataQualityJobDefinitionsCommand).resolves({
    JobDefinitionSummaries: definitions.map(({ name }) => ({ MonitoringJobDefinitionName: name, MonitoringJobDefinitionArn: arn(name), CreationTime: new Date(), EndpointName: ENDPOINT })),
  });
  for (const { name, owner } of definitions) {
    sagemaker.on(ListTagsCommand, { ResourceArn: arn(name) }).resolves({ Tags: owner ? [{ Key: TAG.ENDPOINT, Value: owner }] : [] });
  }
}

function commandNames(): string[] {
  return sagemaker.calls().map((call) => (call.args[0] as object).constructor.name);
}

beforeEach(() => {
  sagemaker.reset();
  autoscaling.reset();
  sagemaker.on(ListEndpointConfigsCommand).resolves({ EndpointConfigs: [] });
  sagemaker.on(ListModelsCommand).resolves({ Models: [] });
  sagemaker.on(ListDataQualityJobDefinitionsCommand).resolves({ JobDefinitionSummaries: [] });
  sagemaker.on(ListModelQualityJobDefinitionsCommand).resolves({ JobDefinitionSummaries: [] });
  autoscaling.on(DescribeScalableTargetsCommand).resolves({ ScalableTargets: [] });
});

describe('handleCustomResource', () => {
  /** Dependencies whose clean-up passes report `passes` in turn; records the sleeps. */
  function fakeDeps(passes: CleanupProgress[], remainingTimeMs = 600_000) {
    const sleeps: number[] = [];
    const cleanedUp: string[] = [];
    const schedules: Array<string | undefined> = [];
    const modelQualitySchedules: Array<string | undefined> = [];
    const deps: CustomResourceDependencies = {
      removeEndpointResources: async (endpointName, monitoringScheduleName, modelQualityScheduleName) => {
        cleanedUp.push(endpointName);
        schedules.push(monitoringScheduleName);
        modelQualitySchedules.push(modelQualityScheduleName);
        return passes.shift() ?? { complete: true, detail: 'nothing left' };
      },
      remainingTimeMs: () => remainingTimeMs,
      sleep: async (ms) => {
        sleeps.push(ms);
      },
    };
    return { deps, sleeps, cleanedUp, schedules, modelQualitySchedules };
  }

  test('Create and Update change nothing and name the endpoint in the physical ID', async () => {
    // GIVEN
    const { deps, cleanedUp } = fakeDeps([]);
    // WHEN
    const created = await handlers.handleCustomResource(request('Create'), deps);
    const updated = await handlers.handleCustomResource(request('Update', 'churn-prod-2'), deps);
    // THEN
    expect(created).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: 'endpoint-cleanup:churn-prod', RequestId: 'request-Create' });
    // A new name replaces the resource, so CloudFormation deletes the old endpoint's resources.
    expect(updated).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: 'endpoint-cleanup:churn-prod-2' });
    expect(cleanedUp).toEqual([]);
  });

  test('Delete repeats clean-up passes until nothing is left, then succeeds', async () => {
    // GIVEN the endpoint takes two passes to disappear
    const { deps, sleeps, cleanedUp } = fakeDeps([
      { complete: false, detail: 'deleting the endpoint' },
      { complete: false, detail: 'the endpoint is being deleted' },
      { complete: true, detail: 'removed 2 endpoint configs and 2 models' },
    ]);
    // WHEN
    const response = await handlers.handleCustomResource(request('Delete'), deps);
    // THEN
    expect(response).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: `endpoint-cleanup:${ENDPOINT}` });
    expect(cleanedUp).toEqual([ENDPOINT, ENDPOINT, ENDPOINT]);
    expect(sleeps).toEqual([15_000, 15_000]);
  });

  test('Delete passes the monitoring schedule name to every pass', async () => {
    // GIVEN
    const { deps, schedules } = fakeDeps([{ complete: false, detail: 'deleting the monitoring schedule' }]);
    // WHEN
    const response = await handlers.handleCustomResource(request('Delete', ENDPOINT, { MonitoringScheduleName: SCHEDULE }), deps);
    // THEN
    expect(response.Status).toBe('SUCCESS');
    expect(schedules).toEqual([SCHEDULE, SCHEDULE]);
  });

  test('Delete passes the model-quality schedule name to every pass', async () => {
    // GIVEN
    const { deps, schedules, modelQualitySchedules } = fakeDeps([{ complete: false, detail: 'deleting the model-quality monitoring schedule' }]);
    // WHEN
    const response = await handlers.handleCustomResource(
      request('Delete', ENDPOINT, { MonitoringScheduleName: SCHEDULE, ModelQualityScheduleName: MQ_SCHEDULE }),
      deps,
    );
    // THEN
    expect(response.Status).toBe('SUCCESS');
    expect(schedules).toEqual([SCHEDULE, SCHEDULE]);
    expect(modelQualitySchedules).toEqual([MQ_SCHEDULE, MQ_SCHEDULE]);
  });

  test('fails when the ModelQualityScheduleName property is not a schedule name', async () => {
    // GIVEN
    const { deps, cleanedUp } = fakeDeps([]);
    // WHEN
    const created = await handlers.handleCustomResource(request('Create', ENDPOINT, { ModelQualityScheduleName: 'churn prod mq' }), deps);
    // THEN
    expect(created).toMatchObject({
      Status: 'FAILED',
      Reason: 'resource property ModelQualityScheduleName is "churn prod mq": expected a monitoring schedule name of 1-63 letters, digits and hyphens, or no value',
    });
    expect(cleanedUp).toEqual([]);
  });

  test('fails when the MonitoringScheduleName property is not a schedule name, and lets the rollback delete it', async () => {
    // GIVEN
    const { deps, cleanedUp } = fakeDeps([]);
    // WHEN
    const created = await handlers.handleCustomResource(request('Create', ENDPOINT, { MonitoringScheduleName: 'churn_prod_dq' }), deps);
    const deleted = await handlers.handleCustomResource(request('Delete', ENDPOINT, { MonitoringScheduleName: 'churn_prod_dq' }), deps);
    // THEN
    expect(created).toMatchObject({
      Status: 'FAILED',
      Reason: 'resource property MonitoringScheduleName is "churn_prod_dq": expected a monitoring schedule name of 1-63 letters, digits and hyphens, or no value',
    });
    expect(deleted).toMatchObject({ Status: 'SUCCESS' });
    expect(cleanedUp).toEqual([]);
  });

  test('fails the Delete with a reason when the endpoint outlives the function', async () => {
    // GIVEN less time left than one more pass needs
    const { deps } = fakeDeps([{ complete: false, detail: 'the endpoint is being deleted' }], 40_000);
    // WHEN
    const response = await handlers.handleCustomResource(request('Delete'), deps);
    // THEN
    expect(response).toMatchObject({ Status: 'FAILED', Reason: `endpoint ${ENDPOINT} is not gone yet (the endpoint is being deleted); retry the stack deletion in a few minutes` });
  });

  test('fails the Delete with the SageMaker error when a pass fails', async () => {
    const deps: CustomResourceDependencies = {
      removeEndpointResources: async () => {
        throw new Error('AccessDeniedException: not authorized to perform sagemaker:DeleteEndpoint');
      },
      remainingTimeMs: () => 600_000,
      sleep: async () => undefined,
    };
    await expect(handlers.handleCustomResource(request('Delete'), deps)).resolves.toMatchObject({
      Status: 'FAILED',
      Reason: `removing endpoint ${ENDPOINT} failed: AccessDeniedException: not authorized to perform sagemaker:DeleteEndpoint`,
    });
  });

  test('fails when the EndpointName property is not an endpoint name, and lets the rollback delete it', async () => {
    // GIVEN
    const { deps, cleanedUp } = fakeDeps([]);
    // WHEN
    const created = await handlers.handleCustomResource(request('Create', 'churn_prod'), deps);
    const deleted = await handlers.handleCustomResource(request('Delete', null), deps);
    // THEN
    expect(created).toMatchObject({
      Status: 'FAILED',
      Reason: 'resource property EndpointName is "churn_prod": expected an endpoint name of 1-63 letters, digits and hyphens',
    });
    expect(deleted).toMatchObject({ Status: 'SUCCESS' });
    expect(cleanedUp).toEqual([]);
  });
});

describe('removeEndpointResources', () => {
  test('deregisters autoscaling and deletes the endpoint, then reports itself incomplete', async () => {
    // GIVEN
    givenEndpoint('InService');
    autoscaling.on(DescribeScalableTargetsCommand).resolves({
      ScalableTargets: [
        {
          ServiceNamespace: 'sagemaker',
          ResourceId: RESOURCE_ID,
          ScalableDimension: 'sagemaker:variant:DesiredInstanceCount',
          MinCapacity: 1,
          MaxCapacity: 2,
          RoleARN: 'arn:aws:iam::111122223333:role/scaling',
          CreationTime: new Date(),
        },
      ],
    });

    // WHEN
    const progress = await removeEndpointResources(ENDPOINT, { ...clients, log: recordingLog() });

    // THEN
    expect(autoscaling).toHaveReceivedCommandWith(DeregisterScalableTargetCommand, {
      ServiceNamespace: 'sagemaker',
      ResourceId: RESOURCE_ID,
      ScalableDimension: 'sagemaker:variant:DesiredInstanceCount',
    });
    expect(sagemaker).toHaveReceivedCommandWith(DeleteEndpointCommand, { EndpointName: ENDPOINT });
    // Configs must outlive the endpoint that uses them.
    expect(sagemaker).not.toHaveReceivedCommand(DeleteEndpointConfigCommand);
    // Without a schedule name nothing of monitoring is looked at.
    expect(sagemaker).not.toHaveReceivedCommand(DescribeMonitoringScheduleCommand);
    expect(sagemaker).not.toHaveReceivedCommand(ListDataQualityJobDefinitionsCommand);
    expect(progress).toEqual({ complete: false, detail: 'deleting the endpoint' });
  });

  test('does not deregister a scalable target that is not registered (serverless)', async () => {
    // GIVEN
    givenEndpoint('InService');

    // WHEN
    await removeEndpointResources(ENDPOINT, { ...clients, log: recordingLog() });

    // THEN
    expect(autoscaling).not.toHaveReceivedCommand(DeregisterScalableTargetCommand);
    expect(sagemaker).toHaveReceivedCommand(DeleteEndpointCommand);
  });

  test.each(['Creating', 'Updating', 'SystemUpdating', 'RollingBack'])('waits while the endpoint is %s', async (status) => {
    // GIVEN
    givenEndpoint(status);

    // WHEN
    const progress = await removeEndpointResources(ENDPOINT, { ...clients, log: recordingLog() });

    // THEN
    expect(progress.complete).toBe(false);
    expect(progress.detail).toBe(`the endpoint is ${status}; it is deleted once that ends`);
    expect(sagemaker).not.toHaveReceivedCommand(DeleteEndpointCommand);
  });

  test('once the endpoint is gone, deletes every model and endpoint config tagged for it, and only those', async () => {
    // GIVEN
    sagemaker.on(DescribeEndpointCommand).rejects(notFound('endpoint'));
    givenDeploymentResources([
      { name: 'churn-prod-v1-aaaaaaaa', owner: ENDPOINT },
      { name: 'churn-prod-v2-bbbbbbbb', owner: ENDPOINT },
      { name: 'churn-prod-2-v1-cccccccc', owner: 'churn-prod-2' },
      { name: 'churn-prod-handmade' },
    ]);
    const log = recordingLog();

    // WHEN
    const progress = await removeEndpointResources(ENDPOINT, { ...clients, log });

    // THEN
    expect(sagemaker).toHaveReceivedCommandWith(ListEndpointConfigsCommand, { NameContains: ENDPOINT });
    expect(sagemaker).toHaveReceivedCommandWith(ListModelsCommand, { NameContains: ENDPOINT });
    expect(sagemaker).toHaveReceivedCommandTimes(DeleteEndpointConfigCommand, 2);
    expect(sagemaker).toHaveReceivedCommandWith(DeleteEndpointConfigCommand, { EndpointConfigName: 'churn-prod-v1-aaaaaaaa' });
    expect(sagemaker).toHaveReceivedCommandWith(DeleteEndpointConfigCommand, { EndpointConfigName: 'churn-prod-v2-bbbbbbbb' });
    expect(sagemaker).toHaveReceivedCommandTimes(DeleteModelCommand, 2);
    expect(sagemaker).toHaveReceivedCommandWith(DeleteModelCommand, { ModelName: 'churn-prod-v1-aaaaaaaa' });
    expect(sagemaker).toHaveReceivedCommandWith(DeleteModelCommand, { ModelName: 'churn-prod-v2-bbbbbbbb' });
    expect(progress).toEqual({ complete: true, detail: 'removed 2 endpoint configs and 2 models' });
    expect(log.messages).toContain('removed 2 endpoint configs and 2 models');
  });

  test('ignores resources that are already gone', async () => {
    // GIVEN
    sagemaker.on(DescribeEndpointCommand).rejects(notFound('endpoint'));
    givenDeploymentResources([{ name: 'churn-prod-v1-aaaaaaaa', owner: ENDPOINT }]);
    sagemaker.on(DeleteEndpointConfigCommand).rejects(notFound('endpoint configuration'));
    sagemaker.on(DeleteModelCommand).rejects(notFound('model'));

    // WHEN
    const progress = await removeEndpointResources(ENDPOINT, { ...clients, log: recordingLog() });

    // THEN
    expect(progress.complete).toBe(true);
  });

  test('leaves an endpoint the deployer did not create, and the config it serves', async () => {
    // GIVEN
    givenEndpoint('InService', {}, 'churn-prod-v2-bbbbbbbb');
    givenDeploymentResources([
      { name: 'churn-prod-v1-aaaaaaaa', owner: ENDPOINT },
      { name: 'churn-prod-v2-bbbbbbbb', owner: ENDPOINT },
    ]);
    const log = recordingLog();

    // WHEN
    const progress = await removeEndpointResources(ENDPOINT, { ...clients, log });

    // THEN
    expect(sagemaker).not.toHaveReceivedCommand(DeleteEndpointCommand);
    expect(autoscaling).not.toHaveReceivedCommand(DeregisterScalableTargetCommand);
    expect(sagemaker).toHaveReceivedCommandTimes(DeleteEndpointConfigCommand, 1);
    expect(sagemaker).toHaveReceivedCommandWith(DeleteEndpointConfigCommand, { EndpointConfigName: 'churn-prod-v1-aaaaaaaa' });
    expect(log.messages).toContain('the endpoint was not created by the deployer and is left in place');
    expect(progress.complete).toBe(true);
  });

  test('lets other errors through, so the handler reports the failure to CloudFormation', async () => {
    // GIVEN
    sagemaker.on(DescribeEndpointCommand).rejects(
      new SageMakerServiceException({ name: 'AccessDeniedException', message: 'not authorized', $fault: 'client', $metadata: { httpStatusCode: 403 } }),
    );

    // WHEN / THEN
    await expect(removeEndpointResources(ENDPOINT, { ...clients, log: recordingLog() })).rejects.toThrow('not authorized');
  });

  describe('with a monitoring schedule', () => {
    test('deletes the schedule, waits until it is gone, then deletes the job definitions tagged for the endpoint, then the endpoint', async () => {
      // GIVEN a schedule SageMaker takes two passes to delete
      givenEndpoint('InService');
      sagemaker
        .on(DescribeMonitoringScheduleCommand)
        .resolvesOnce(schedule('Scheduled'))
        .resolvesOnce(schedule('Scheduled'))
        .rejects(scheduleGone());
      sagemaker
        .on(DeleteMonitoringScheduleCommand)
        .resolvesOnce({})
        .rejects(awsError('ValidationException', `Monitoring schedule ${SCHEDULE} in status Scheduled cannot be deleted while a deletion is in progress`));
      givenJobDefinitions([
        { name: 'churn-prod-dq-v1-aaaaaaaa', owner: ENDPOINT },
        { name: 'churn-prod-dq-v2-bbbbbbbb', owner: ENDPOINT },
        { name: 'churn-prod-dq-dq-v1-cccccccc', owner: 'churn-prod-dq' },
        { name: 'churn-prod-dq-handmade' },
      ]);
      const log = recordingLog();
      const pass = () => removeEndpointResources(ENDPOINT, { ...clients, log }, SCHEDULE);

      // WHEN / THEN the first pass asks for the schedule's deletion and nothing else
      await expect(pass()).resolves.toEqual({ complete: false, detail: 'deleting the monitoring schedule' });
      expect(sagemaker).toHaveReceivedCommandWith(DeleteMonitoringScheduleCommand, { MonitoringScheduleName: SCHEDULE });
      expect(sagemaker).not.toHaveReceivedCommand(DeleteDataQualityJobDefinitionCommand);
      expect(sagemaker).not.toHaveReceivedCommand(DeleteEndpointCommand);

      // WHEN / THEN the second pass finds the schedule still being deleted and waits
      await expect(pass()).resolves.toEqual({
        complete: false,
        detail: `the monitoring schedule cannot be deleted yet: Monitoring schedule ${SCHEDULE} in status Scheduled cannot be deleted while a deletion is in progress`,
      });
      expect(sagemaker).not.toHaveReceivedCommand(DeleteEndpointCommand);

      // WHEN / THEN the third pass finds it gone: job definitions first, then the endpoint
      await expect(pass()).resolves.toEqual({ complete: false, detail: 'deleting the endpoint' });
      expect(sagemaker).toHaveReceivedCommandWith(ListDataQualityJobDefinitionsCommand, { NameContains: 'churn-prod-dq' });
      expect(sagemaker).toHaveReceivedCommandTimes(DeleteDataQualityJobDefinitionCommand, 2);
      expect(sagemaker).toHaveReceivedCommandWith(DeleteDataQualityJobDefinitionCommand, { JobDefinitionName: 'churn-prod-dq-v1-aaaaaaaa' });
      expect(sagemaker).toHaveReceivedCommandWith(DeleteDataQualityJobDefinitionCommand, { JobDefinitionName: 'churn-prod-dq-v2-bbbbbbbb' });
      const names = commandNames();
      expect(names.lastIndexOf('DeleteDataQualityJobDefinitionCommand')).toBeLessThan(names.indexOf('DeleteEndpointCommand'));
      expect(log.messages).toContain('removed data-quality job definitions');
    });

    test('waits while the schedule is Pending, which SageMaker refuses to delete', async () => {
      // GIVEN
      givenEndpoint('InService');
      sagemaker.on(DescribeMonitoringScheduleCommand).resolves(schedule('Pending'));

      // WHEN
      const progress = await removeEndpointResources(ENDPOINT, { ...clients, log: recordingLog() }, SCHEDULE);

      // THEN
      expect(progress).toEqual({ complete: false, detail: 'the monitoring schedule is Pending; it is deleted once that ends' });
      expect(sagemaker).not.toHaveReceivedCommand(DeleteMonitoringScheduleCommand);
      expect(sagemaker).not.toHaveReceivedCommand(DeleteEndpointCommand);
    });

    test('removes a schedule left behind by an endpoint deleted by hand', async () => {
      // GIVEN
      sagemaker.on(DescribeEndpointCommand).rejects(notFound('endpoint'));
      sagemaker.on(DescribeMonitoringScheduleCommand).resolves(schedule('Scheduled'));

      // WHEN
      const progress = await removeEndpointResources(ENDPOINT, { ...clients, log: recordingLog() }, SCHEDULE);

      // THEN
      expect(sagemaker).toHaveReceivedCommandWith(DeleteMonitoringScheduleCommand, { MonitoringScheduleName: SCHEDULE });
      expect(progress).toEqual({ complete: false, detail: 'deleting the monitoring schedule' });
    });

    test('leaves a schedule of that name that watches another endpoint', async () => {
      // GIVEN
      givenEndpoint('InService');
      sagemaker.on(DescribeMonitoringScheduleCommand).resolves(schedule('Scheduled', 'churn-staging'));
      const log = recordingLog();

      // WHEN
      const progress = await removeEndpointResources(ENDPOINT, { ...clients, log }, SCHEDULE);

      // THEN
      expect(sagemaker).not.toHaveReceivedCommand(DeleteMonitoringScheduleCommand);
      expect(log.messages).toContain('the monitoring schedule watches another endpoint and is left in place');
      expect(progress).toEqual({ complete: false, detail: 'deleting the endpoint' });
    });

    test('does not touch monitoring of an endpoint the deployer did not create', async () => {
      // GIVEN
      givenEndpoint('InService', {});

      // WHEN
      await removeEndpointResources(ENDPOINT, { ...clients, log: recordingLog() }, SCHEDULE);

      // THEN
      expect(sagemaker).not.toHaveReceivedCommand(DescribeMonitoringScheduleCommand);
      expect(sagemaker).not.toHaveReceivedCommand(ListDataQualityJobDefinitionsCommand);
    });
  });

  // DeleteMonitoringSchedule and the model-quality job definitions are answered by the SDK mock
  // (moto 5.2.1 lacks the monitoring-schedule actions).
  describe('with a model-quality schedule too', () => {
    function mqSchedule(status: string): DescribeMonitoringScheduleCommandOutput {
      return {
        ...schedule(status),
        MonitoringScheduleArn: `${ACCOUNT_ARN}:monitoring-schedule/${MQ_SCHEDULE}`,
        MonitoringScheduleName: MQ_SCHEDULE,
        MonitoringScheduleConfig: { MonitoringJobDefinitionName: 'churn-prod-mq-v2-bbbbbbbb', MonitoringType: 'ModelQuality' },
      };
    }

    test('deletes both schedules in the same pass, then both kinds of job definitions, then the endpoint', async () => {
      // GIVEN both schedules take one pass to go
      givenEndpoint('InService');
      sagemaker.on(DescribeMonitoringScheduleCommand, { MonitoringScheduleName: SCHEDULE }).resolvesOnce(schedule('Scheduled')).rejects(scheduleGone());
      sagemaker
        .on(DescribeMonitoringScheduleCommand, { MonitoringScheduleName: MQ_SCHEDULE })
        .resolvesOnce(mqSchedule('Scheduled'))
        .rejects(awsError('ResourceNotFound', `Monitoring schedule ${MQ_SCHEDULE} does not exist.`));
      const mqArn = (name: string) => `${ACCOUNT_ARN}:model-quality-job-definition/${name}`;
      const mqDefinitions = [
        { name: 'churn-prod-mq-v1-aaaaaaaa', owner: ENDPOINT },
        { name: 'churn-prod-mq-v2-bbbbbbbb', owner: ENDPOINT },
        { name: 'churn-prod-mq-handmade', owner: undefined },
      ];
      sagemaker.on(ListModelQualityJobDefinitionsCommand).resolves({
        JobDefinitionSummaries: mqDefinitions.map(({ name }) => ({ MonitoringJobDefinitionName: name, MonitoringJobDefinitionArn: mqArn(name), CreationTime: new Date(), EndpointName: ENDPOINT })),
      });
      for (const { name, owner } of mqDefinitions) {
        sagemaker.on(ListTagsCommand, { ResourceArn: mqArn(name) }).resolves({ Tags: owner ? [{ Key: TAG.ENDPOINT, Value: owner }] : [] });
      }
      givenJobDefinitions([{ name: 'churn-prod-dq-v2-bbbbbbbb', owner: ENDPOINT }]);
      const log = recordingLog();
      const pass = () => removeEndpointResources(ENDPOINT, { ...clients, log }, SCHEDULE, MQ_SCHEDULE);

      // WHEN / THEN the first pass asks for the deletion of both schedules, and nothing else
      await expect(pass()).resolves.toEqual({ complete: false, detail: 'deleting the monitoring schedule; deleting the model-quality monitoring schedule' });
      expect(sagemaker).toHaveReceivedCommandWith(DeleteMonitoringScheduleCommand, { MonitoringScheduleName: SCHEDULE });
      expect(sagemaker).toHaveReceivedCommandWith(DeleteMonitoringScheduleCommand, { MonitoringScheduleName: MQ_SCHEDULE });
      expect(sagemaker).not.toHaveReceivedCommand(DeleteModelQualityJobDefinitionCommand);
      expect(sagemaker).not.toHaveReceivedCommand(DeleteEndpointCommand);

      // WHEN / THEN the second pass finds both gone: job definitions, then the endpoint
      await expect(pass()).resolves.toEqual({ complete: false, detail: 'deleting the endpoint' });
      expect(sagemaker).toHaveReceivedCommandWith(ListModelQualityJobDefinitionsCommand, { NameContains: 'churn-prod-mq' });
      expect(sagemaker).toHaveReceivedCommandTimes(DeleteModelQualityJobDefinitionCommand, 2);
      expect(sagemaker).toHaveReceivedCommandWith(DeleteModelQualityJobDefinitionCommand, { JobDefinitionName: 'churn-prod-mq-v1-aaaaaaaa' });
      expect(sagemaker).toHaveReceivedCommandTimes(DeleteDataQualityJobDefinitionCommand, 1);
      const names = commandNames();
      expect(names.lastIndexOf('DeleteModelQualityJobDefinitionCommand')).toBeLessThan(names.indexOf('DeleteEndpointCommand'));
      expect(log.messages).toContain('removed model-quality job definitions');
    });

    test('waits while the model-quality schedule is Pending, even when the data-quality one is gone', async () => {
      // GIVEN
      givenEndpoint('InService');
      sagemaker.on(DescribeMonitoringScheduleCommand, { MonitoringScheduleName: SCHEDULE }).rejects(scheduleGone());
      sagemaker.on(DescribeMonitoringScheduleCommand, { MonitoringScheduleName: MQ_SCHEDULE }).resolves(mqSchedule('Pending'));

      // WHEN
      const progress = await removeEndpointResources(ENDPOINT, { ...clients, log: recordingLog() }, SCHEDULE, MQ_SCHEDULE);

      // THEN
      expect(progress).toEqual({ complete: false, detail: 'the model-quality monitoring schedule is Pending; it is deleted once that ends' });
      expect(sagemaker).not.toHaveReceivedCommand(DeleteMonitoringScheduleCommand);
      expect(sagemaker).not.toHaveReceivedCommand(DeleteEndpointCommand);
    });

    test('without a model-quality schedule name, model-quality resources are not touched', async () => {
      // GIVEN
      givenEndpoint('InService');
      sagemaker.on(DescribeMonitoringScheduleCommand).rejects(scheduleGone());

      // WHEN
      await removeEndpointResources(ENDPOINT, { ...clients, log: recordingLog() }, SCHEDULE);

      // THEN
      expect(sagemaker).not.toHaveReceivedCommand(ListModelQualityJobDefinitionsCommand);
      expect(sagemaker).toHaveReceivedCommandTimes(DescribeMonitoringScheduleCommand, 1);
    });
  });
});
