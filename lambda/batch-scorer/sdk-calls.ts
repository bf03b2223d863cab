import { optional, required, SAGEMAKER_API_PERMISSIONS_DOC, SAGEMAKER_TAG_ON_CREATE_DOC, sageMakerArn } from '../shared/sample-arns';
import type { ArnFormatter, FunctionEnvironment, SdkCall, SdkCallPermission } from '../shared/sdk-calls';
import { BATCH_SCORER_ENV } from './environment';
import { batchModelName, INPUT_HASH_LENGTH, transformJobName } from './naming';

/*
 * Every SDK command and paginator the batch scorer sends (scorer.ts and the shared package rule),
 * with what IAM must allow for it. Sample names follow the scorer's own naming: the model of
 * version 1, the job of version 1 for an input hashed to zeros.
 *
 * The scorer's role allows CreateModel only with network isolation on and CreateTransformJob only
 * with the stage's key on the outputs (and on the volumes, where the instance type has them): the
 * requests below carry the condition keys SageMaker sets from the request
 * (https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonsagemaker.html).
 */

const E = BATCH_SCORER_ENV;
const SAMPLE_VERSION = 1;

const scorerName = (env: FunctionEnvironment) => required(env, E.SCORER_NAME);
const modelArn = (env: FunctionEnvironment, arn: ArnFormatter) => sageMakerArn(arn, 'model', batchModelName(scorerName(env), SAMPLE_VERSION, '0'.repeat(8)));
const jobArn = (env: FunctionEnvironment, arn: ArnFormatter) =>
  sageMakerArn(arn, 'transform-job', transformJobName(scorerName(env), '0'.repeat(INPUT_HASH_LENGTH), SAMPLE_VERSION));

/** The input bucket's ARN (S3 ARNs name neither region nor account) and prefix. */
function input(env: FunctionEnvironment, arn: ArnFormatter): { bucketArn: string; prefix: string } {
  const match = /^s3:\/\/([^/]+)\/(.*)$/.exec(required(env, E.INPUT_S3_URI));
  if (!match) throw new Error(`the SDK call inventory needs ${E.INPUT_S3_URI} as s3://bucket/prefix/`);
  const partition = arn('s3', 'x').split(':')[1];
  return { bucketArn: `arn:${partition}:s3:::${match[1]}`, prefix: match[2] };
}

/** ListObjectsV2: "you must have permission to perform the s3:ListBucket action". */
const LIST_OBJECTS_DOC = 'https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListObjectsV2.html';

const listInputs = (keyPrefix: (prefix: string) => string): SdkCallPermission => ({
  action: 's3:ListBucket',
  documentedAt: LIST_OBJECTS_DOC,
  resources: (env, arn) => [input(env, arn).bucketArn],
  // The role may list the input prefix only.
  context: (env) => ({ 's3:prefix': keyPrefix(/^s3:\/\/[^/]+\/(.*)$/.exec(required(env, E.INPUT_S3_URI))?.[1] ?? '') }),
});

const tagOnCreate = (operation: string, resources: SdkCallPermission['resources']): SdkCallPermission => ({
  action: 'sagemaker:AddTags',
  resources,
  context: () => ({ 'sagemaker:TaggingAction': operation }),
  documentedAt: SAGEMAKER_TAG_ON_CREATE_DOC,
});

export const SDK_CALLS: readonly SdkCall[] = [
  {
    command: 'paginateListTransformJobs',
    // "Except for the ListTags API, resource-level restrictions are not available on List- calls."
    permissions: [{ action: 'sagemaker:ListTransformJobs', resources: () => ['*'] }],
  },
  // The check that an input's key is no other object's prefix, and the scheduled scan of the inputs.
  { command: 'ListObjectsV2Command', permissions: [listInputs((prefix) => `${prefix}sample.csv`)] },
  { command: 'paginateListObjectsV2', permissions: [listInputs((prefix) => prefix)] },
  {
    command: 'paginateListModelPackages',
    permissions: [{ action: 'sagemaker:ListModelPackages', resources: () => ['*'] }],
  },
  {
    command: 'CreateModelCommand',
    permissions: [
      { action: 'sagemaker:CreateModel', resources: (env, arn) => [modelArn(env, arn)], context: () => ({ 'sagemaker:NetworkIsolation': 'true' }) },
      // ExecutionRoleArn; SAGEMAKER_API_PERMISSIONS_DOC lists iam:PassRole for CreateModel.
      {
        action: 'iam:PassRole',
        resources: (env) => [required(env, E.MODEL_EXECUTION_ROLE_ARN)],
        context: () => ({ 'iam:PassedToService': 'sagemaker.amazonaws.com' }),
        documentedAt: SAGEMAKER_API_PERMISSIONS_DOC,
      },
      tagOnCreate('CreateModel', (env, arn) => [modelArn(env, arn)]),
    ],
  },
  {
    command: 'CreateTransformJobCommand',
    permissions: [
      {
        action: 'sagemaker:CreateTransformJob',
        resources: (env, arn) => [jobArn(env, arn)],
        context: (env) => {
          const volume = optional(env, E.VOLUME_KMS_KEY_ID);
          return { 'sagemaker:OutputKmsKeyArn': required(env, E.OUTPUT_KMS_KEY_ID), ...(volume ? { 'sagemaker:VolumeKmsKeyArn': volume } : {}) };
        },
      },
      tagOnCreate('CreateTransformJob', (env, arn) => [jobArn(env, arn)]),
    ],
  },
];
