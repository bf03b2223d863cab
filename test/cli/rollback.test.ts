import { UpdateModelPackageCommand } from '@aws-sdk/client-sagemaker';
import 'aws-sdk-client-mock-jest';
import { ENDPOINT, mockEndpoint, mockPackages, packageArn, resetMocks, runRecorded, sagemakerMock } from './cli-fixtures';

const PLAN =
  'churn-dev-endpoint serves version 3. Rolling back rejects version 3; the deployer then serves version 1, the newest other approved version.\n';

beforeEach(() => {
  resetMocks();
  sagemakerMock.on(UpdateModelPackageCommand).resolves({});
  mockEndpoint(3);
  mockPackages([
    { version: 1, approval: 'Approved' },
    { version: 2, approval: 'Rejected' },
    { version: 3, approval: 'Approved' },
    { version: 4, approval: 'PendingManualApproval' },
  ]);
});

test('--yes shows the plan and rejects the served version, so the deployer returns to the previous approved one', async () => {
  // WHEN
  const run = await runRecorded(['rollback', '--yes', '--note', 'p99 latency doubled']);
  // THEN
  expect(run).toMatchObject({ exitCode: 0, stderr: PLAN, questions: [] });
  expect(sagemakerMock).toHaveReceivedCommandWith(UpdateModelPackageCommand, {
    ModelPackageArn: packageArn(3),
    ModelApprovalStatus: 'Rejected',
    ApprovalDescription: 'p99 latency doubled',
  });
  expect(run.stdout).toBe(`rejected version 3 ("p99 latency doubled"); the deployer now moves ${ENDPOINT} to version 1\n`);
});

test('fails when --note is longer than SageMaker keeps, with exit 2, before showing the plan or asking', async () => {
  // WHEN
  const run = await runRecorded(['rollback', '--note', 'n'.repeat(1100)], { interactive: true, answer: true });
  // THEN
  expect(run).toMatchObject({ exitCode: 2, questions: [] });
  expect(run.stderr).toBe(
    'cdk-mlops: --note is 1100 characters long; SageMaker keeps at most 1024 (the ApprovalDescription of the model package): shorten it\n',
  );
  expect(sagemakerMock.calls()).toHaveLength(0);
});

test('--json prints a stable document with the default note', async () => {
  // WHEN
  const run = await runRecorded(['rollback', '--yes', '--json']);
  // THEN
  expect(JSON.parse(run.stdout)).toEqual({
    endpoint: ENDPOINT,
    served: { version: 3, arn: packageArn(3) },
    next: { version: 1, arn: packageArn(1) },
    note: 'rolled back to version 1 with cdk-mlops rollback',
  });
});

test('on a terminal, asks first and rolls back on yes', async () => {
  // WHEN
  const run = await runRecorded(['rollback'], { interactive: true, answer: true });
  // THEN
  expect(run).toMatchObject({ exitCode: 0, questions: ['Reject version 3?'] });
  expect(sagemakerMock).toHaveReceivedCommandTimes(UpdateModelPackageCommand, 1);
});

test('on a terminal, a no changes nothing, with exit 4', async () => {
  // WHEN
  const run = await runRecorded(['rollback'], { interactive: true, answer: false });
  // THEN
  expect(run).toMatchObject({ exitCode: 4, stderr: `${PLAN}cdk-mlops: rollback cancelled: nothing changed\n` });
  expect(sagemakerMock).not.toHaveReceivedCommand(UpdateModelPackageCommand);
});

test('fails without a terminal and without --yes, with exit 2 and nothing changed', async () => {
  // WHEN
  const run = await runRecorded(['rollback']);
  // THEN
  expect(run.exitCode).toBe(2);
  expect(run.stderr).toBe(`${PLAN}cdk-mlops: rollback needs a confirmation and there is no terminal to ask on: pass --yes\n`);
  expect(sagemakerMock).not.toHaveReceivedCommand(UpdateModelPackageCommand);
});

test('fails when no other version is approved, with exit 4', async () => {
  // GIVEN
  mockPackages([
    { version: 2, approval: 'Rejected' },
    { version: 3, approval: 'Approved' },
    { version: 4, approval: 'Approved', registration: 'Failed' },
  ]);
  // WHEN
  const run = await runRecorded(['rollback', '--yes']);
  // THEN
  expect(run.exitCode).toBe(4);
  expect(run.stderr).toMatch(
    /no approved version of churn-dev-models other than 3 has finished registering: rejecting it would leave the deployer nothing to serve/,
  );
  expect(sagemakerMock).not.toHaveReceivedCommand(UpdateModelPackageCommand);
});

test('fails when there is no endpoint, with exit 4', async () => {
  // GIVEN
  mockEndpoint(undefined);
  // WHEN
  const run = await runRecorded(['rollback', '--yes']);
  // THEN
  expect(run).toMatchObject({ exitCode: 4, stderr: `cdk-mlops: endpoint ${ENDPOINT} does not exist: there is nothing to roll back\n` });
});

test('fails when the endpoint config does not say which version it serves, with exit 4', async () => {
  // GIVEN
  mockEndpoint(3, false);
  // WHEN
  const run = await runRecorded(['rollback', '--yes']);
  // THEN
  expect(run.exitCode).toBe(4);
  expect(run.stderr).toMatch(/cannot tell which version churn-dev-endpoint serves: its endpoint config churn-dev-endpoint-v3-abcd1234 carries no/);
});

test('fails when the served version is already rejected, with exit 4', async () => {
  // GIVEN
  mockEndpoint(2);
  // WHEN
  const run = await runRecorded(['rollback', '--yes']);
  // THEN
  expect(run.exitCode).toBe(4);
  expect(run.stderr).toMatch(/version 2, which churn-dev-endpoint serves, is Rejected, not Approved: the deployer should already be replacing it/);
});
