import { batchModelName, INPUT_HASH_LENGTH, transformJobName } from '../batch-scorer/naming';
import { required, sageMakerArn } from '../shared/sample-arns';
import type { ArnFormatter, FunctionEnvironment, SdkCall } from '../shared/sdk-calls';
import { BATCH_CLEANUP_PROPERTIES } from './properties';

/*
 * Every SDK command and paginator the batch clean-up sends (cleanup.ts and the deployer's resource
 * helpers it calls). The scorer's name comes from the custom resource's properties, which the
 * checker passes in `env`; sample names follow the scorer's naming.
 */

const scorerName = (env: FunctionEnvironment) => required(env, BATCH_CLEANUP_PROPERTIES.SCORER_NAME);
const modelArn = (env: FunctionEnvironment, arn: ArnFormatter) => sageMakerArn(arn, 'model', batchModelName(scorerName(env), 1, '0'.repeat(8)));
const jobArn = (env: FunctionEnvironment, arn: ArnFormatter) => sageMakerArn(arn, 'transform-job', transformJobName(scorerName(env), '0'.repeat(INPUT_HASH_LENGTH), 1));

export const SDK_CALLS: readonly SdkCall[] = [
  // "Except for the ListTags API, resource-level restrictions are not available on List- calls."
  { command: 'paginateListTransformJobs', permissions: [{ action: 'sagemaker:ListTransformJobs', resources: () => ['*'] }] },
  { command: 'paginateListModels', permissions: [{ action: 'sagemaker:ListModels', resources: () => ['*'] }] },
  { command: 'StopTransformJobCommand', permissions: [{ action: 'sagemaker:StopTransformJob', resources: (env, arn) => [jobArn(env, arn)] }] },
  { command: 'DeleteModelCommand', permissions: [{ action: 'sagemaker:DeleteModel', resources: (env, arn) => [modelArn(env, arn)] }] },
  // ../deployer/resources.ts: the tags that say the scorer created a job or model.
  { command: 'ListTagsCommand', permissions: [{ action: 'sagemaker:ListTags', resources: (env, arn) => [jobArn(env, arn), modelArn(env, arn)] }] },
];
