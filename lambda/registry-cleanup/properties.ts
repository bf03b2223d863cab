/** Properties of the model-registry clean-up custom resource; the construct that declares it uses these keys. */
export const REGISTRY_CLEANUP_PROPERTIES = {
  /** Model package group whose packages are deleted on Delete, so CloudFormation can delete the group. */
  MODEL_PACKAGE_GROUP_NAME: 'ModelPackageGroupName',
} as const;
