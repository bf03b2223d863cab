import { required, sageMakerArn } from '../shared/sample-arns';
import type { SdkCall } from '../shared/sdk-calls';
import { REGISTRY_CLEANUP_PROPERTIES } from './properties';

/*
 * Every SDK command and paginator the model-registry clean-up sends. The group comes from the
 * custom resource's properties, which the checker passes in `env`.
 */

const GROUP = REGISTRY_CLEANUP_PROPERTIES.MODEL_PACKAGE_GROUP_NAME;

export const SDK_CALLS: readonly SdkCall[] = [
  {
    command: 'paginateListModelPackages',
    // "Except for the ListTags API, resource-level restrictions are not available on List- calls."
    permissions: [{ action: 'sagemaker:ListModelPackages', resources: () => ['*'] }],
  },
  {
    command: 'DeleteModelPackageCommand',
    permissions: [
      { action: 'sagemaker:DeleteModelPackage', resources: (env, arn) => [sageMakerArn(arn, 'model-package', `${required(env, GROUP)}/1`)] },
    ],
  },
];
