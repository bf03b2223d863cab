import { DeleteModelPackageCommand, ListModelPackagesCommand, SageMakerClient, SageMakerServiceException } from '@aws-sdk/client-sagemaker';
import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { handleRegistryCleanup } from '../../lambda/registry-cleanup/index';

// Mocks only: moto 5.2.1 answers DeleteModelPackage with HTTP 500 (not implemented).
const sagemaker = mockClient(SageMakerClient);
const client = new SageMakerClient({ region: 'us-east-1' });
const GROUP = 'churn-dev-models';
const arn = (version: number) => `arn:aws:sagemaker:us-east-1:111122223333:model-package/${GROUP}/${version}`;

function request(requestType: 'Create' | 'Update' | 'Delete', group: unknown = GROUP): CloudFormationCustomResourceEvent {
  const common = {
    ServiceToken: 'arn:aws:lambda:us-east-1:111122223333:function:registry-cleanup',
    ResponseURL: 'https://example.invalid/response',
    StackId: 'arn:aws:cloudformation:us-east-1:111122223333:stack/churn-dev/guid',
    RequestId: `request-${requestType}`,
    LogicalResourceId: 'RegistryCleanup',
    ResourceType: 'Custom::ModelRegistryCleanup',
    ResourceProperties: { ServiceToken: 'arn:aws:lambda:us-east-1:111122223333:function:registry-cleanup', ModelPackageGroupName: group as string },
  };
  if (requestType === 'Create') return { ...common, RequestType: 'Create' };
  if (requestType === 'Update') return { ...common, RequestType: 'Update', PhysicalResourceId: `registry-cleanup:${GROUP}`, OldResourceProperties: common.ResourceProperties };
  return { ...common, RequestType: 'Delete', PhysicalResourceId: `registry-cleanup:${GROUP}` };
}

beforeEach(() => {
  sagemaker.reset();
  process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';
});

describe('registry clean-up', () => {
  test('Create and Update change nothing and name the group in the physical ID', async () => {
    await expect(handleRegistryCleanup(request('Create'), client)).resolves.toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: `registry-cleanup:${GROUP}` });
    await expect(handleRegistryCleanup(request('Update'), client)).resolves.toMatchObject({ Status: 'SUCCESS' });
    expect(sagemaker.calls()).toHaveLength(0);
  });

  test('Delete removes every package of the group across pages, whatever its approval', async () => {
    // GIVEN two pages of packages, one of which disappears meanwhile
    sagemaker
      .on(ListModelPackagesCommand)
      .resolvesOnce({ ModelPackageSummaryList: [{ ModelPackageArn: arn(3) } as never, { ModelPackageArn: arn(2) } as never], NextToken: 'page-2' })
      .resolvesOnce({ ModelPackageSummaryList: [{ ModelPackageArn: arn(1) } as never] });
    sagemaker.on(DeleteModelPackageCommand, { ModelPackageName: arn(2) }).rejects(
      new SageMakerServiceException({ name: 'ValidationException', message: 'Could not find model package', $fault: 'client', $metadata: {} }),
    );
    // WHEN
    const response = await handleRegistryCleanup(request('Delete'), client);
    // THEN
    expect(response).toMatchObject({ Status: 'SUCCESS' });
    expect(sagemaker).toHaveReceivedCommandWith(ListModelPackagesCommand, { ModelPackageGroupName: GROUP });
    for (const version of [1, 2, 3]) expect(sagemaker).toHaveReceivedCommandWith(DeleteModelPackageCommand, { ModelPackageName: arn(version) });
  });

  test('fails the Delete with the SageMaker error, so the stack does not silently keep the group', async () => {
    sagemaker.on(ListModelPackagesCommand).resolves({ ModelPackageSummaryList: [{ ModelPackageArn: arn(1) } as never] });
    sagemaker.on(DeleteModelPackageCommand).rejects(new SageMakerServiceException({ name: 'AccessDeniedException', message: 'not authorized', $fault: 'client', $metadata: {} }));
    await expect(handleRegistryCleanup(request('Delete'), client)).resolves.toMatchObject({
      Status: 'FAILED',
      Reason: `deleting the packages of ${GROUP} failed: not authorized`,
    });
  });

  test('fails when the group property is not a group name, and lets the rollback delete it', async () => {
    await expect(handleRegistryCleanup(request('Create', 'churn_models'), client)).resolves.toMatchObject({
      Status: 'FAILED',
      Reason: 'resource property ModelPackageGroupName is "churn_models": expected a model package group name of 1-63 letters, digits and hyphens',
    });
    await expect(handleRegistryCleanup(request('Delete', null), client)).resolves.toMatchObject({ Status: 'SUCCESS' });
    expect(sagemaker.calls()).toHaveLength(0);
  });
});
