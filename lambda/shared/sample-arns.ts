import type { ArnFormatter, FunctionEnvironment } from './sdk-calls';

/**
 * Helpers the SDK call inventories build their sample ARNs with. No AWS SDK import.
 */

/** Where AWS documents the permissions of each SageMaker API operation beyond its own action. */
export const SAGEMAKER_API_PERMISSIONS_DOC = 'https://docs.aws.amazon.com/sagemaker/latest/dg/api-permissions-reference.html';
/** Passing a role to a service needs iam:PassRole on that role. */
export const PASS_ROLE_DOC = 'https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_use_passrole.html';
/**
 * Creating a SageMaker resource with `Tags` also needs sagemaker:AddTags on it; the request then
 * carries `sagemaker:TaggingAction` (the AWS managed policy AmazonSageMakerHyperPodInferenceAccess
 * grants it so for CreateModel, CreateEndpointConfig and CreateEndpoint).
 */
export const SAGEMAKER_TAG_ON_CREATE_DOC = 'https://docs.aws.amazon.com/sagemaker/latest/dg/security_iam_service-with-iam.html';

/** The value of `name`, or a clear error: an inventory cannot build its ARNs without it. */
export function required(env: FunctionEnvironment, name: string): string {
  const value = env[name]?.trim();
  if (!value) throw new Error(`the SDK call inventory needs ${name} to build its sample ARNs, and it is not set`);
  return value;
}

/** The value of `name`, or undefined when it is unset or blank. */
export function optional(env: FunctionEnvironment, name: string): string | undefined {
  const value = env[name]?.trim();
  return value ? value : undefined;
}

/** The items of a comma-separated variable; none when it is unset. */
export function list(env: FunctionEnvironment, name: string): string[] {
  return (optional(env, name) ?? '').split(',').map((item) => item.trim()).filter((item) => item.length > 0);
}

/** A SageMaker ARN such as `model/<name>`: SageMaker lower-cases names in its ARNs, and IAM compares ARNs case-sensitively. */
export function sageMakerArn(arn: ArnFormatter, resourceType: string, name: string): string {
  return arn('sagemaker', `${resourceType}/${name.toLowerCase()}`);
}

/**
 * The KMS key ARN an environment variable names: a key ARN as it is, a key ID as `key/<id>`. An
 * alias cannot be resolved here; its ARN is returned, although IAM evaluates the key it points to.
 */
export function kmsKeyArns(env: FunctionEnvironment, name: string, arn: ArnFormatter): string[] {
  const key = optional(env, name);
  if (!key) return [];
  if (key.startsWith('arn:')) return [key];
  return [arn('kms', key.startsWith('alias/') ? key : `key/${key}`)];
}
