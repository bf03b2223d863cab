import { required, sageMakerArn } from '../shared/sample-arns';
import type { FunctionEnvironment, SdkCall } from '../shared/sdk-calls';
import { REVIEW_ENV } from './environment';

/*
 * Every SDK command the review gate sends (review.ts): it reads the run's reports and the
 * champion's from the artifacts bucket, writes review.json and the model card there, and looks up
 * the group's newest approved package.
 */

const artifact = (env: FunctionEnvironment, key: string) => [`arn:aws:s3:::${required(env, REVIEW_ENV.ARTIFACTS_BUCKET)}/${key}`];

export const SDK_CALLS: readonly SdkCall[] = [
  { command: 'GetObjectCommand', permissions: [{ action: 's3:GetObject', resources: (env) => artifact(env, 'evaluation/1/evaluation.json') }] },
  {
    command: 'PutObjectCommand',
    permissions: [
      {
        action: 's3:PutObject',
        resources: (env) => [...artifact(env, 'review/1/review.json'), ...(env[REVIEW_ENV.BIAS_ANALYSIS_CONFIG] ? artifact(env, 'bias-config/1/analysis_config.json') : [])],
      },
    ],
  },
  {
    command: 'ListModelPackagesCommand',
    // "Except for the ListTags API, resource-level restrictions are not available on List- calls."
    permissions: [{ action: 'sagemaker:ListModelPackages', resources: () => ['*'] }],
  },
  {
    command: 'DescribeModelPackageCommand',
    permissions: [{ action: 'sagemaker:DescribeModelPackage', resources: (env, arn) => [sageMakerArn(arn, 'model-package', `${required(env, REVIEW_ENV.MODEL_PACKAGE_GROUP)}/1`)] }],
  },
];
