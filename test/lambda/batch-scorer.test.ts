import { ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import {
  CreateModelCommand,
  CreateTransformJobCommand,
  ListModelPackagesCommand,
  ListTransformJobsCommand,
  SageMakerClient,
  SageMakerServiceException,
} from '@aws-sdk/client-sagemaker';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { readBatchScorerSettings, type BatchScorerSettings } from '../../lambda/batch-scorer/environment';
import { BATCH_TAG, inputHash, outputObjectName, parseTransformJobName, SCORER_NAME_MAX_LENGTH, transformJobName } from '../../lambda/batch-scorer/naming';
import { BatchScoringFailedError, type BatchScorerLog, handleBatchScorerEvent, MAX_JOBS_PER_SCAN } from '../../lambda/batch-scorer/scorer';

const sagemaker = mockClient(SageMakerClient);
const s3 = mockClient(S3Client);

const ACCOUNT_ARN = 'arn:aws:sagemaker:us-east-1:111122223333';
const SCORER = 'churn-prod-batch';
const BUCKET = 'churn-data';
const NAME_PATTERN = /^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$/;
const KEY_ARN = 'arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab';

const ENV = {
  SCORER_NAME: SCORER,
  MODEL_PACKAGE_GROUP_NAME: 'churn-prod-models',
  MODEL_EXECUTION_ROLE_ARN: 'arn:aws:iam::111122223333:role/batch-model',
  INPUT_S3_URI: `s3://${BUCKET}/batch/input/`,
  OUTPUT_S3_URI: `s3://${BUCKET}/batch/output/`,
  OUTPUT_KMS_KEY_ID: KEY_ARN,
  VOLUME_KMS_KEY_ID: KEY_ARN,
  INSTANCE_TYPE: 'ml.m5.large',
  INSTANCE_COUNT: '2',
  MAX_PAYLOAD_MB: '6',
  SPLIT_TYPE: 'Line',
  METRIC_NAMESPACE: 'CdkMlops',
};
const SETTINGS: BatchScorerSettings = readBatchScorerSettings(ENV);

interface Recorded {
  readonly level: string;
  readonly message: string;
  readonly attributes: Record<string, unknown>;
}
let logged: Recorded[] = [];
const log: BatchScorerLog = {
  info: (message, attributes) => logged.push({ level: 'info', message, attributes }),
  warn: (message, attributes) => logged.push({ level: 'warn', message, attributes }),
  error: (message, attributes) => logged.push({ level: 'error', message, attributes }),
};
const deps = (settings: BatchScorerSettings = SETTINGS, extra: object = {}) => ({ sagemaker: new SageMakerClient({}), s3: new S3Client({}), settings, log, now: () => new Date('2026-12-01T00:00:00Z'), ...extra });

const packageArn = (version: number) => `${ACCOUNT_ARN}:model-package/churn-prod-models/${version}`;
const awsError = (name: string, message: string, httpStatusCode = 400) =>
  new SageMakerServiceException({ name, message, $fault: httpStatusCode >= 500 ? 'server' : 'client', $metadata: { httpStatusCode } });

function objectCreated(key: string, etag = 'b1946ac92492d2347c6235b4d2611184', id = `event-${key}`, size = 120) {
  return {
    version: '0',
    id,
    'detail-type': 'Object Created',
    source: 'aws.s3',
    account: '111122223333',
    time: '2026-12-01T00:00:00Z',
    region: 'us-east-1',
    resources: [`arn:aws:s3:::${BUCKET}`],
    detail: { version: '0', bucket: { name: BUCKET }, object: { key, size, etag, sequencer: '617f08299329d189' }, reason: 'PutObject' },
  };
}

const scheduled = { version: '0', id: 'schedule-1', 'detail-type': 'Scheduled Event', source: 'aws.events', detail: {} };

function jobEnded(name: string, status: string, failureReason?: string) {
  return {
    version: '0',
    id: `job-${status}`,
    'detail-type': 'SageMaker Transform Job State Change',
    source: 'aws.sagemaker',
    detail: { TransformJobName: name, TransformJobStatus: status, FailureReason: failureReason },
  };
}

/** The newest approved packages as ListModelPackages answers (newest first). */
function approvedPackages(...versions: number[]): void {
  sagemaker.on(ListModelPackagesCommand).resolves({
    ModelPackageSummaryList: versions.map((version) => ({
      ModelPackageArn: packageArn(version),
      ModelPackageVersion: version,
      ModelApprovalStatus: 'Approved',
      ModelPackageStatus: 'Completed',
      ModelPackageGroupName: 'churn-prod-models',
      CreationTime: new Date(),
    })),
  });
}

/** The object as S3 lists it (with ETag quotes), plus any others under its key. */
function listed(key: string, etag = 'b1946ac92492d2347c6235b4d2611184', others: string[] = []): void {
  s3.on(ListObjectsV2Command, { Bucket: BUCKET, Prefix: key, MaxKeys: 2 }).resolves({
    Contents: [{ Key: key, ETag: `"${etag}"`, Size: 120 }, ...others.map((other) => ({ Key: other, ETag: '"ffff"', Size: 10 }))],
  });
}

beforeEach(() => {
  sagemaker.reset();
  s3.reset();
  logged = [];
  sagemaker.on(ListTransformJobsCommand).resolves({ TransformJobSummaries: [] });
  sagemaker.on(CreateModelCommand).resolves({});
  sagemaker.on(CreateTransformJobCommand).resolves({ TransformJobArn: `${ACCOUNT_ARN}:transform-job/x` });
  approvedPackages(3, 2);
});

describe('an object created under the input prefix', () => {
  test('is scored with the newest approved package: a network-isolated model with the model role, a job with KMS on outputs and volumes', async () => {
    // GIVEN
    listed('batch/input/customers.csv');
    // WHEN
    const result = await handleBatchScorerEvent(objectCreated('batch/input/customers.csv'), deps());
    // THEN
    const hash = inputHash({ bucket: BUCKET, key: 'batch/input/customers.csv', etag: 'b1946ac92492d2347c6235b4d2611184' });
    const jobName = transformJobName(SCORER, hash, 3);
    expect(result).toMatchObject({ outcome: 'started', packageVersion: 3, inputs: [{ key: 'batch/input/customers.csv', outcome: 'started', jobName }] });
    expect(jobName).toMatch(NAME_PATTERN);
    const model = sagemaker.commandCalls(CreateModelCommand)[0].args[0].input;
    expect(model).toMatchObject({
      ModelName: expect.stringMatching(new RegExp(`^${SCORER}-v3-[0-9a-f]{8}$`)),
      ExecutionRoleArn: ENV.MODEL_EXECUTION_ROLE_ARN,
      PrimaryContainer: { ModelPackageName: packageArn(3) },
      EnableNetworkIsolation: true,
      Tags: expect.arrayContaining([{ Key: BATCH_TAG.SCORER, Value: SCORER }, { Key: BATCH_TAG.MODEL_PACKAGE_VERSION, Value: '3' }]),
    });
    expect(sagemaker).toHaveReceivedCommandWith(CreateTransformJobCommand, {
      TransformJobName: jobName,
      ModelName: model.ModelName,
      MaxPayloadInMB: 6,
      BatchStrategy: 'MultiRecord',
      TransformInput: {
        DataSource: { S3DataSource: { S3DataType: 'S3Prefix', S3Uri: `s3://${BUCKET}/batch/input/customers.csv` } },
        ContentType: 'text/csv',
        SplitType: 'Line',
      },
      TransformOutput: { S3OutputPath: `s3://${BUCKET}/batch/output/${jobName}`, Accept: 'text/csv', AssembleWith: 'Line', KmsKeyId: KEY_ARN },
      TransformResources: { InstanceType: 'ml.m5.large', InstanceCount: 2, VolumeKmsKeyId: KEY_ARN },
      Tags: expect.arrayContaining([{ Key: BATCH_TAG.SCORER, Value: SCORER }]),
    });
    // The job's first (and only) input is found again by the NameContains filter of its input.
    expect(sagemaker).toHaveReceivedCommandWith(ListTransformJobsCommand, { NameContains: `${SCORER}-${hash}-v` });
    expect(logged.at(-1)).toMatchObject({ level: 'info', attributes: { outcome: 'started', Scorer: SCORER, Status: 'Started', BatchTransformJobs: 1 } });
    expect(logged.at(-1)!.attributes._aws).toMatchObject({ CloudWatchMetrics: [{ Namespace: 'CdkMlops', Dimensions: [['Scorer', 'Status']], Metrics: [{ Name: 'BatchTransformJobs', Unit: 'Count' }] }] });
  });

  test('a duplicate event finds the job the first one started and starts nothing', async () => {
    // GIVEN the first event started its job
    listed('batch/input/customers.csv');
    const first = await handleBatchScorerEvent(objectCreated('batch/input/customers.csv'), deps());
    const jobName = first.inputs[0].jobName!;
    sagemaker.on(ListTransformJobsCommand).resolves({ TransformJobSummaries: [{ TransformJobName: jobName, TransformJobArn: 'arn', TransformJobStatus: 'InProgress', CreationTime: new Date() }] });
    // WHEN the same event arrives again, after a newer version was approved
    approvedPackages(4, 3);
    const again = await handleBatchScorerEvent(objectCreated('batch/input/customers.csv'), deps());
    // THEN
    expect(again).toMatchObject({ outcome: 'already-scored', inputs: [{ outcome: 'already-scored', jobName }] });
    expect(sagemaker).toHaveReceivedCommandTimes(CreateTransformJobCommand, 1);
  });

  test('a job name taken meanwhile (two duplicates at once) is success, not a failure', async () => {
    // GIVEN
    listed('batch/input/customers.csv');
    sagemaker.on(CreateTransformJobCommand).rejects(awsError('ResourceInUse', 'Job name must be unique within an AWS account and region, and a job with this name already exists'));
    // WHEN
    const result = await handleBatchScorerEvent(objectCreated('batch/input/customers.csv'), deps());
    // THEN
    expect(result).toMatchObject({ outcome: 'already-scored' });
  });

  test('the same content under another key, or new content under the same key, is another input', () => {
    const hash = (key: string, etag: string) => inputHash({ bucket: BUCKET, key, etag });
    expect(hash('batch/input/a.csv', '"AB"')).toBe(hash('batch/input/a.csv', 'ab'));
    expect(hash('batch/input/a.csv', 'ab')).not.toBe(hash('batch/input/b.csv', 'ab'));
    expect(hash('batch/input/a.csv', 'ab')).not.toBe(hash('batch/input/a.csv', 'cd'));
  });

  test('without an approved package nothing is started, and the event is not retried', async () => {
    // GIVEN
    listed('batch/input/customers.csv');
    sagemaker.on(ListModelPackagesCommand).resolves({ ModelPackageSummaryList: [] });
    // WHEN
    const result = await handleBatchScorerEvent(objectCreated('batch/input/customers.csv'), deps());
    // THEN
    expect(result).toMatchObject({ outcome: 'no-approved-package', inputs: [{ outcome: 'deferred' }] });
    expect(result.detail).toMatch(/has no approved package: nothing is scored/);
    expect(sagemaker).not.toHaveReceivedCommand(CreateTransformJobCommand);
    expect(logged.at(-1)?.level).toBe('warn');
  });

  test('refuses an object whose key starts another object\'s key, which S3Prefix would score too', async () => {
    // GIVEN
    listed('batch/input/customers.csv', undefined, ['batch/input/customers.csv.bak']);
    // WHEN
    const result = await handleBatchScorerEvent(objectCreated('batch/input/customers.csv'), deps());
    // THEN
    expect(result).toMatchObject({ outcome: 'refused-input' });
    expect(result.detail).toMatch(/another key starts with "batch\/input\/customers.csv" \(batch\/input\/customers.csv.bak\): rename/);
    expect(sagemaker).not.toHaveReceivedCommand(CreateTransformJobCommand);
  });

  test('refuses an object replaced since the event, an object gone, and an empty one', async () => {
    listed('batch/input/a.csv', 'ffffffffffffffffffffffffffffffff');
    expect((await handleBatchScorerEvent(objectCreated('batch/input/a.csv'), deps())).detail).toMatch(/replaced since the event/);
    s3.on(ListObjectsV2Command, { Prefix: 'batch/input/gone.csv' }).resolves({ Contents: [] });
    expect((await handleBatchScorerEvent(objectCreated('batch/input/gone.csv'), deps())).detail).toMatch(/no longer exists/);
    expect((await handleBatchScorerEvent(objectCreated('batch/input/empty.csv', undefined, 'e', 0), deps())).detail).toMatch(/empty/);
    expect(sagemaker).not.toHaveReceivedCommand(CreateTransformJobCommand);
  });

  test.each([
    ['an object outside the input prefix', objectCreated('raw/customers.csv'), /outside s3:\/\/churn-data\/batch\/input\//],
    ['a folder marker', objectCreated('batch/input/folder/'), /folder marker/],
    ['an event of another type', { ...scheduled, 'detail-type': 'Object Deleted', source: 'aws.s3' }, /not handled/],
  ])('ignores %s', async (_what, event, reason) => {
    const result = await handleBatchScorerEvent(event, deps());
    expect(result.outcome).toBe('ignored-event');
    expect(result.detail).toMatch(reason);
    expect(sagemaker.calls()).toHaveLength(0);
  });

  test.each([
    ['not an object', 'hello', /not an object/],
    ['without an id', { ...objectCreated('batch/input/a.csv'), id: '' }, /no id/],
    ['without an etag', { ...objectCreated('batch/input/a.csv'), detail: { bucket: { name: BUCKET }, object: { key: 'batch/input/a.csv' } } }, /no object.etag/],
  ])('refuses an event %s without retrying it', async (_what, event, reason) => {
    const result = await handleBatchScorerEvent(event, deps());
    expect(result.outcome).toBe('refused-event');
    expect(result.detail).toMatch(reason);
  });

  test('throttling and the account job quota are retried; a bad request is final (both thrown: Lambda retries, then the DLQ)', async () => {
    listed('batch/input/a.csv');
    sagemaker.on(CreateTransformJobCommand).rejects(awsError('ThrottlingException', 'Rate exceeded'));
    await expect(handleBatchScorerEvent(objectCreated('batch/input/a.csv'), deps())).rejects.toThrow(/Rate exceeded/);
    expect(logged.at(-1)).toMatchObject({ level: 'error', attributes: { retryable: true, step: 'create-transform-job' } });
    sagemaker.on(CreateTransformJobCommand).rejects(awsError('ResourceLimitExceeded', 'The account-level service limit for concurrent transform jobs is 20'));
    await expect(handleBatchScorerEvent(objectCreated('batch/input/a.csv'), deps())).rejects.toThrow(/service limit/);
    expect(logged.at(-1)).toMatchObject({ attributes: { retryable: true } });
    sagemaker.on(CreateTransformJobCommand).rejects(awsError('ValidationException', 'Instance type ml.m5.large is not supported'));
    await expect(handleBatchScorerEvent(objectCreated('batch/input/a.csv'), deps())).rejects.toBeInstanceOf(BatchScoringFailedError);
    expect(logged.at(-1)).toMatchObject({ attributes: { retryable: false, outcome: 'BatchScoringFailedError' } });
  });

  test('with SplitType None each file is one request: no batch strategy, outputs assembled as returned; no volume key for local-storage types', async () => {
    // GIVEN
    listed('batch/input/a.csv');
    const settings = readBatchScorerSettings({ ...ENV, SPLIT_TYPE: 'None', VOLUME_KMS_KEY_ID: undefined, INSTANCE_TYPE: 'ml.g4dn.xlarge' });
    // WHEN
    await handleBatchScorerEvent(objectCreated('batch/input/a.csv'), deps(settings));
    // THEN
    const job = sagemaker.commandCalls(CreateTransformJobCommand)[0].args[0].input;
    expect(job.BatchStrategy).toBeUndefined();
    expect(job.TransformInput?.SplitType).toBe('None');
    expect(job.TransformOutput?.AssembleWith).toBe('None');
    expect(job.TransformResources).toEqual({ InstanceType: 'ml.g4dn.xlarge', InstanceCount: 2, VolumeKmsKeyId: undefined });
  });
});

describe('a scheduled scan', () => {
  const objects = (...keys: string[]) =>
    s3.on(ListObjectsV2Command, { Bucket: BUCKET, Prefix: 'batch/input/' }).resolves({
      Contents: keys.map((key, index) => ({ Key: key, ETag: `"etag${index}"`, Size: key.endsWith('/') ? 0 : 10 })),
    });

  test('scores every object no job of the scorer has scored, with one model', async () => {
    // GIVEN a.csv was scored (by version 2); b.csv and c.csv were not
    objects('batch/input/', 'batch/input/a.csv', 'batch/input/b.csv', 'batch/input/sub/c.csv');
    const scoredA = transformJobName(SCORER, inputHash({ bucket: BUCKET, key: 'batch/input/a.csv', etag: 'etag1' }), 2);
    sagemaker.on(ListTransformJobsCommand).resolves({
      TransformJobSummaries: [
        { TransformJobName: scoredA, TransformJobArn: 'arn', TransformJobStatus: 'Completed', CreationTime: new Date() },
        { TransformJobName: 'someone-elses-job', TransformJobArn: 'arn', TransformJobStatus: 'Completed', CreationTime: new Date() },
      ],
    });
    // WHEN
    const result = await handleBatchScorerEvent(scheduled, deps());
    // THEN
    expect(result.outcome).toBe('scanned');
    expect(result.inputs.map((input) => [input.key, input.outcome])).toEqual([
      ['batch/input/b.csv', 'started'],
      ['batch/input/sub/c.csv', 'started'],
    ]);
    expect(result.detail).toMatch(/3 objects under s3:\/\/churn-data\/batch\/input\/, 2 unscored: started 2 jobs with version 3/);
    expect(sagemaker).toHaveReceivedCommandTimes(CreateModelCommand, 1);
    expect(sagemaker).toHaveReceivedCommandWith(ListTransformJobsCommand, { NameContains: `${SCORER}-` });
    expect(logged.at(-1)?.attributes).toMatchObject({ Status: 'Started', BatchTransformJobs: 2 });
  });

  test('an object scored by an S3 event is not scored again by the scan (the same input hash from the event and the listing)', async () => {
    // GIVEN the event scored a.csv
    listed('batch/input/a.csv', 'etag0');
    const byEvent = await handleBatchScorerEvent(objectCreated('batch/input/a.csv', 'etag0'), deps());
    sagemaker.on(ListTransformJobsCommand).resolves({
      TransformJobSummaries: [{ TransformJobName: byEvent.inputs[0].jobName, TransformJobArn: 'arn', TransformJobStatus: 'InProgress', CreationTime: new Date() }],
    });
    objects('batch/input/a.csv');
    // WHEN
    const result = await handleBatchScorerEvent(scheduled, deps());
    // THEN
    expect(result).toMatchObject({ outcome: 'scanned', inputs: [] });
    expect(result.detail).toMatch(/every one of the 1 objects/);
    expect(sagemaker).toHaveReceivedCommandTimes(CreateTransformJobCommand, 1);
  });

  test(`starts at most ${MAX_JOBS_PER_SCAN} jobs and defers the rest, and defers all once the account's quota is reached`, async () => {
    objects(...Array.from({ length: MAX_JOBS_PER_SCAN + 3 }, (_, index) => `batch/input/part-${String(index).padStart(3, '0')}.csv`));
    const result = await handleBatchScorerEvent(scheduled, deps());
    expect(result.inputs.filter((input) => input.outcome === 'started')).toHaveLength(MAX_JOBS_PER_SCAN);
    expect(result.inputs.filter((input) => input.outcome === 'deferred')).toHaveLength(3);

    sagemaker.on(CreateTransformJobCommand).rejects(awsError('ResourceLimitExceeded', 'concurrent transform jobs'));
    const quota = await handleBatchScorerEvent(scheduled, deps());
    expect(quota.inputs.every((input) => input.outcome === 'deferred')).toBe(true);
    expect(quota.inputs[0].detail).toMatch(/quota is reached/);
  });

  test('refuses keys that are prefixes of other keys, and does nothing without an approved package', async () => {
    objects('batch/input/a.csv', 'batch/input/a.csv.bak');
    const result = await handleBatchScorerEvent(scheduled, deps());
    expect(result.inputs.map((input) => [input.key, input.outcome])).toEqual([
      ['batch/input/a.csv', 'refused-input'],
      ['batch/input/a.csv.bak', 'started'],
    ]);
    sagemaker.on(ListModelPackagesCommand).resolves({ ModelPackageSummaryList: [] });
    expect((await handleBatchScorerEvent(scheduled, deps())).outcome).toBe('no-approved-package');
  });
});

describe('a transform job of the scorer that ended', () => {
  const name = transformJobName(SCORER, '0123456789ab', 3);

  test('a failed job is counted as Failed, with its reason in the error log', async () => {
    const result = await handleBatchScorerEvent(jobEnded(name, 'Failed', 'ClientError: See job logs'), deps());
    expect(result).toMatchObject({ outcome: 'job-ended', packageVersion: 3 });
    expect(logged.at(-1)).toMatchObject({ level: 'error', attributes: { jobName: name, failureReason: 'ClientError: See job logs', Status: 'Failed', BatchTransformJobs: 1 } });
  });

  test('a completed job is counted as Completed; jobs in progress and other scorers’ jobs are ignored', async () => {
    await handleBatchScorerEvent(jobEnded(name, 'Completed'), deps());
    expect(logged.at(-1)).toMatchObject({ level: 'info', attributes: { Status: 'Completed' } });
    expect((await handleBatchScorerEvent(jobEnded(name, 'InProgress'), deps())).outcome).toBe('ignored-event');
    expect((await handleBatchScorerEvent(jobEnded('churn-dev-batch-0123456789ab-v1', 'Failed'), deps())).outcome).toBe('ignored-event');
    expect(sagemaker.calls()).toHaveLength(0);
  });
});

describe('names and settings', () => {
  test('job names fit SageMaker for the longest scorer name and version, and parse back', () => {
    const longest = 'a'.repeat(SCORER_NAME_MAX_LENGTH);
    const name = transformJobName(longest, 'f'.repeat(12), 9_999_999_999);
    expect(name).toHaveLength(63);
    expect(name).toMatch(NAME_PATTERN);
    expect(parseTransformJobName(longest, name)).toEqual({ inputHash: 'f'.repeat(12), packageVersion: 9_999_999_999 });
    expect(parseTransformJobName(SCORER, `${SCORER}-2-0123456789ab-v1`)).toBeUndefined();
  });

  test('outputs are named after the input file, as batch transform names them', () => {
    expect(outputObjectName('batch/input/sub/customers.csv')).toBe('customers.csv.out');
  });

  test('fails when the settings are invalid, naming every variable', () => {
    expect(() =>
      readBatchScorerSettings({ ...ENV, SCORER_NAME: 'x'.repeat(39), OUTPUT_S3_URI: `s3://${BUCKET}/batch/input/out/`, MAX_PAYLOAD_MB: '101', SPLIT_TYPE: 'RecordIO' }),
    ).toThrow(
      /SCORER_NAME is "x{39}": expected 1-38 letters[\s\S]*overlap: outputs written under the inputs would be scored again[\s\S]*MAX_PAYLOAD_MB is "101": expected a whole number from 0 to 100[\s\S]*SPLIT_TYPE is "RecordIO": expected None or Line/,
    );
  });
});
