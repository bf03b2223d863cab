import { CreateBucketCommand, HeadObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import {
  CreateModelPackageCommand,
  CreateModelPackageGroupCommand,
  DescribeModelCommand,
  DescribeTransformJobCommand,
  ListModelsCommand,
  ListTagsCommand,
  ListTransformJobsCommand,
  SageMakerClient,
} from '@aws-sdk/client-sagemaker';
import { readBatchScorerSettings } from '../../lambda/batch-scorer/environment';
import { BATCH_TAG } from '../../lambda/batch-scorer/naming';
import { type BatchScorerLog, handleBatchScorerEvent } from '../../lambda/batch-scorer/scorer';
import { removeBatchResources } from '../../lambda/batch-cleanup/cleanup';
import { MotoServer } from '../../lib/local/moto-server';

/*
 * The batch scorer against moto over real HTTP, with the SDK clients the handler uses. moto 5.2.1
 * implements CreateTransformJob, DescribeTransformJob, ListTransformJobs (NameContains) and tags on
 * transform jobs, but records each job Completed at once, does not check that the model exists,
 * and silently overwrites a job whose name is taken (SageMaker refuses it with ResourceInUse): the
 * scorer does not rely on that refusal, as it lists the jobs of an input before it creates one, so
 * the duplicate events below are told apart by the scorer itself. A taken name at create time (two
 * duplicates at once), StopTransformJob (HTTP 500 in moto) and the clean-up's stopping of running
 * jobs are covered by the aws-sdk-client-mock tests in test/lambda/batch-scorer.test.ts and
 * test/lambda/batch-cleanup.test.ts.
 */

const moto = new MotoServer();
let sagemaker: SageMakerClient;
let s3: S3Client;
const BUCKET = 'churn-data';
const GROUP = 'churn-integration-models';
const SCORER = 'churn-integration-batch';
const settings = readBatchScorerSettings({
  SCORER_NAME: SCORER,
  MODEL_PACKAGE_GROUP_NAME: GROUP,
  MODEL_EXECUTION_ROLE_ARN: 'arn:aws:iam::123456789012:role/batch-model',
  INPUT_S3_URI: `s3://${BUCKET}/batch/input/`,
  OUTPUT_S3_URI: `s3://${BUCKET}/batch/output/`,
  OUTPUT_KMS_KEY_ID: 'arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab',
  VOLUME_KMS_KEY_ID: 'arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab',
  INSTANCE_TYPE: 'ml.m5.large',
  INSTANCE_COUNT: '1',
  MAX_PAYLOAD_MB: '6',
  SPLIT_TYPE: 'Line',
  METRIC_NAMESPACE: 'CdkMlops',
});
const silent: BatchScorerLog = { info: () => undefined, warn: () => undefined, error: () => undefined };
const score = (event: unknown) => handleBatchScorerEvent(event, { sagemaker, s3, settings, log: silent });

beforeAll(async () => {
  await moto.start();
  sagemaker = new SageMakerClient({ ...moto.clientConfig, maxAttempts: 1 });
  s3 = new S3Client({ ...moto.clientConfig, forcePathStyle: true, maxAttempts: 1 });
});
afterAll(async () => {
  sagemaker?.destroy();
  s3?.destroy();
  await moto.stop();
});
beforeEach(async () => {
  await moto.reset();
  await s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
  await sagemaker.send(new CreateModelPackageGroupCommand({ ModelPackageGroupName: GROUP }));
  await sagemaker.send(
    new CreateModelPackageCommand({
      ModelPackageGroupName: GROUP,
      ModelApprovalStatus: 'Approved',
      InferenceSpecification: {
        Containers: [{ Image: '683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1', ModelDataUrl: 's3://churn-artifacts/model.tar.gz' }],
        SupportedContentTypes: ['text/csv'],
        SupportedResponseMIMETypes: ['text/csv'],
      },
    }),
  );
});

/** Puts an input file and returns the S3 "Object Created" event EventBridge would deliver for it. */
async function upload(key: string, body: string, id = `put-${key}`) {
  await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: body }));
  const head = await s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: key }));
  return objectCreated(key, String(head.ETag).replace(/"/g, ''), Number(head.ContentLength), id);
}

function objectCreated(key: string, etag: string, size: number, id: string) {
  return {
    version: '0',
    id,
    'detail-type': 'Object Created',
    source: 'aws.s3',
    account: '123456789012',
    time: new Date().toISOString(),
    region: MotoServer.REGION,
    resources: [`arn:aws:s3:::${BUCKET}`],
    detail: { version: '0', bucket: { name: BUCKET }, object: { key, size, etag }, reason: 'PutObject' },
  };
}

async function transformJobs(): Promise<string[]> {
  const { TransformJobSummaries } = await sagemaker.send(new ListTransformJobsCommand({ NameContains: `${SCORER}-` }));
  return (TransformJobSummaries ?? []).map((job) => job.TransformJobName ?? '').sort();
}

test('two duplicate events for one object and one event for another start exactly two transform jobs', async () => {
  // GIVEN two inputs
  const january = await upload('batch/input/january.csv', '12,70.5,1\n3,20.1,0\n');
  const february = await upload('batch/input/february.csv', '40,99.0,1\n');
  // WHEN EventBridge delivers the first one's event twice (at least once, as it promises)
  const first = await score(january);
  const duplicate = await score({ ...january, id: 'redelivered' });
  const other = await score(february);
  // THEN
  expect([first.outcome, duplicate.outcome, other.outcome]).toEqual(['started', 'already-scored', 'started']);
  expect(duplicate.inputs[0].jobName).toBe(first.inputs[0].jobName);
  expect(await transformJobs()).toEqual([first.inputs[0].jobName, other.inputs[0].jobName].sort());
  // The jobs as moto recorded them: the input object, its output path, the keys, the model.
  const job = await sagemaker.send(new DescribeTransformJobCommand({ TransformJobName: first.inputs[0].jobName }));
  expect(job).toMatchObject({
    TransformInput: { DataSource: { S3DataSource: { S3DataType: 'S3Prefix', S3Uri: `s3://${BUCKET}/batch/input/january.csv` } }, SplitType: 'Line', ContentType: 'text/csv' },
    TransformOutput: { S3OutputPath: `s3://${BUCKET}/batch/output/${first.inputs[0].jobName}`, KmsKeyId: settings.outputKmsKeyId, AssembleWith: 'Line' },
    TransformResources: { InstanceType: 'ml.m5.large', InstanceCount: 1, VolumeKmsKeyId: settings.volumeKmsKeyId },
    MaxPayloadInMB: 6,
    BatchStrategy: 'MultiRecord',
  });
  const model = await sagemaker.send(new DescribeModelCommand({ ModelName: job.ModelName }));
  expect(model.PrimaryContainer?.ModelPackageName).toMatch(new RegExp(`model-package/${GROUP}/1$`));
  expect(model.ExecutionRoleArn).toBe(settings.executionRoleArn);
  const tags = await sagemaker.send(new ListTagsCommand({ ResourceArn: job.TransformJobArn }));
  expect(tags.Tags).toContainEqual({ Key: BATCH_TAG.SCORER, Value: SCORER });
});

test('a scheduled scan scores only what no event scored, and a second scan starts nothing', async () => {
  // GIVEN one input scored by its event and two put while events were off
  await score(await upload('batch/input/a.csv', '1,2,3\n'));
  await upload('batch/input/b.csv', '4,5,6\n');
  await upload('batch/input/sub/c.csv', '7,8,9\n');
  const scheduled = { version: '0', id: 'schedule-1', 'detail-type': 'Scheduled Event', source: 'aws.events', detail: {} };
  // WHEN
  const scan = await score(scheduled);
  const again = await score({ ...scheduled, id: 'schedule-2' });
  // THEN
  expect(scan.inputs.map((input) => [input.key, input.outcome])).toEqual([
    ['batch/input/b.csv', 'started'],
    ['batch/input/sub/c.csv', 'started'],
  ]);
  expect(again).toMatchObject({ outcome: 'scanned', inputs: [] });
  expect(await transformJobs()).toHaveLength(3);
  // One model for the one package version, shared by the three jobs.
  const { Models } = await sagemaker.send(new ListModelsCommand({ NameContains: `${SCORER}-` }));
  expect(Models).toHaveLength(1);
});

test('new content under the same key is another input; the old event, replayed after it, starts nothing', async () => {
  const before = await upload('batch/input/daily.csv', '1,2,3\n', 'v1');
  await score(before);
  const after = await upload('batch/input/daily.csv', '1,2,3\n4,5,6\n', 'v2');
  expect((await score(after)).outcome).toBe('started');
  expect((await score({ ...before, id: 'late-replay' })).outcome).toBe('already-scored');
  expect(await transformJobs()).toHaveLength(2);
});

test('the clean-up deletes the models the scorer created once no job runs (moto keeps jobs Completed)', async () => {
  await score(await upload('batch/input/a.csv', '1,2,3\n'));
  const progress = await removeBatchResources(SCORER, sagemaker, { info: () => undefined, warn: () => undefined });
  expect(progress).toMatchObject({ complete: true, detail: `no transform job of ${SCORER} runs; removed 1 models` });
  const { Models } = await sagemaker.send(new ListModelsCommand({ NameContains: `${SCORER}-` }));
  expect(Models).toEqual([]);
});
