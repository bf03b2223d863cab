import {
  ApplicationAutoScalingClient,
  DeregisterScalableTargetCommand,
  DescribeScalableTargetsCommand,
} from '@aws-sdk/client-application-auto-scaling';
import {
  DeleteEndpointCommand,
  DeleteEndpointConfigCommand,
  DeleteModelCommand,
  DescribeEndpointCommand,
  ListEndpointConfigsCommand,
  ListModelsCommand,
  ListTagsCommand,
  SageMakerClient,
  SageMakerServiceException,
} from '@aws-sdk/client-sagemaker';
import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { type CleanupLog, removeEndpointResources } from '../../lambda/endpoint-cleanup/cleanup';
import { TAG } from '../../lambda/deployer/resources';

const sagemaker = mockClient(SageMakerClient);
const autoscaling = mockClient(ApplicationAutoScalingClient);
// mockClient stubs send() on the prototype, so these real clients (which paginators require) are mocked too.
const clients = { sagemaker: new SageMakerClient({ region: 'us-east-1' }), autoscaling: new ApplicationAutoScalingClient({ region: 'us-east-1' }) };

const ENDPOINT = 'churn-prod';
const ACCOUNT_ARN = 'arn:aws:sagemaker:us-east-1:111122223333';
const ENDPOINT_ARN = `${ACCOUNT_ARN}:endpoint/${ENDPOINT}`;
const RESOURCE_ID = `endpoint/${ENDPOINT}/variant/AllTraffic`;

let handlers: typeof import('../../lambda/endpoint-cleanup/index');
beforeAll(async () => {
  // The handlers' Powertools logger reads its level when the module loads.
  process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';
  handlers = await import('../../lambda/endpoint-cleanup/index');
});

function request(requestType: 'Create' | 'Update' | 'Delete', endpointName: unknown = ENDPOINT): CloudFormationCustomResourceEvent {
  const common = {
    ServiceToken: 'arn:aws:lambda:us-east-1:111122223333:function:provider',
    ResponseURL: 'https://cloudformation-custom-resource-response.example/',
    StackId: 'arn:aws:cloudformation:us-east-1:111122223333:stack/mlops/guid',
    RequestId: `request-${requestType}`,
    LogicalResourceId: 'EndpointCleanup',
    ResourceType: 'Custom::EndpointCleanup',
    ResourceProperties: { ServiceToken: 'arn:aws:lambda:us-east-1:111122223333:function:provider', EndpointName: endpointName as string },
  };
  if (requestType === 'Create') return { ...common, RequestType: 'Create' };
  if (requestType === 'Update') {
    return { ...common, RequestType: 'Update', PhysicalResourceId: `endpoint-cleanup:${ENDPOINT}`, OldResourceProperties: common.ResourceProperties };
  }
  return { ...common, RequestType: 'Delete', PhysicalResourceId: `endpoint-cleanup:${ENDPOINT}` };
}

function recordingLog(): CleanupLog & { messages: string[] } {
  const messages: string[] = [];
  return { messages, info: (message) => messages.push(message), warn: (message) => messages.push(message) };
}

function notFound(kind: string): SageMakerServiceException {
  return new SageMakerServiceException({ name: 'ValidationException', message: `Could not find ${kind}.`, $fault: 'client', $metadata: { httpStatusCode: 400 } });
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

beforeEach(() => {
  sagemaker.reset();
  autoscaling.reset();
  sagemaker.on(ListEndpointConfigsCommand).resolves({ EndpointConfigs: [] });
  sagemaker.on(ListModelsCommand).resolves({ Models: [] });
  autoscaling.on(DescribeScalableTargetsCommand).resolves({ ScalableTargets: [] });
});

describe('onEvent', () => {
  test('Create and Update change nothing and name the endpoint in the physical ID', async () => {
    // WHEN
    const created = await handlers.onEvent(request('Create'));
    const updated = await handlers.onEvent(request('Update', 'churn-prod-2'));

    // THEN
    expect(created).toEqual({ PhysicalResourceId: 'endpoint-cleanup:churn-prod' });
    // A new name replaces the resource, so CloudFormation deletes the old endpoint's resources.
    expect(updated).toEqual({ PhysicalResourceId: 'endpoint-cleanup:churn-prod-2' });
    expect(sagemaker.calls()).toHaveLength(0);
    expect(autoscaling.calls()).toHaveLength(0);
  });

  test('Delete starts deleting the endpoint and keeps the physical ID', async () => {
    // GIVEN
    givenEndpoint('InService');

    // WHEN
    const response = await handlers.onEvent(request('Delete'));

    // THEN
    expect(response).toEqual({ PhysicalResourceId: `endpoint-cleanup:${ENDPOINT}` });
    expect(sagemaker).toHaveReceivedCommandWith(DeleteEndpointCommand, { EndpointName: ENDPOINT });
  });

  test('fails when the EndpointName property is not an endpoint name', async () => {
    // WHEN / THEN
    await expect(handlers.onEvent(request('Create', 'churn_prod'))).rejects.toThrow(
      /^resource property EndpointName is "churn_prod": expected an endpoint name of 1-63 letters, digits and hyphens$/,
    );
    await expect(handlers.onEvent(request('Delete', null))).rejects.toThrow(/EndpointName is null/);
  });
});

describe('isComplete', () => {
  test('Create and Update are complete at once', async () => {
    // WHEN / THEN
    await expect(handlers.isComplete({ ...request('Create'), PhysicalResourceId: 'endpoint-cleanup:churn-prod' })).resolves.toEqual({ IsComplete: true });
    expect(sagemaker.calls()).toHaveLength(0);
  });

  test('Delete is incomplete while the endpoint is being deleted, and complete once nothing is left', async () => {
    // GIVEN
    givenEndpoint('Deleting');

    // WHEN
    const whileDeleting = await handlers.isComplete({ ...request('Delete'), PhysicalResourceId: 'endpoint-cleanup:churn-prod' });
    sagemaker.on(DescribeEndpointCommand).rejects(notFound('endpoint'));
    const afterwards = await handlers.isComplete({ ...request('Delete'), PhysicalResourceId: 'endpoint-cleanup:churn-prod' });

    // THEN
    expect(whileDeleting).toEqual({ IsComplete: false });
    expect(afterwards).toEqual({ IsComplete: true });
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

  test('lets other errors through, so the Provider reports the failure to CloudFormation', async () => {
    // GIVEN
    sagemaker.on(DescribeEndpointCommand).rejects(
      new SageMakerServiceException({ name: 'AccessDeniedException', message: 'not authorized', $fault: 'client', $metadata: { httpStatusCode: 403 } }),
    );

    // WHEN / THEN
    await expect(removeEndpointResources(ENDPOINT, { ...clients, log: recordingLog() })).rejects.toThrow('not authorized');
  });
});
