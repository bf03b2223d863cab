/**
 * The shape of the SDK call inventory each handler folder keeps beside its code
 * (`lambda/<folder>/sdk-calls.ts`): every command and paginator the handler sends, and what IAM
 * must allow for it, so a policy check can compare the function's role with what its code needs.
 * No AWS SDK import: the inventories are read by tests and CDK code without loading a client.
 *
 * A permission whose `resources` returns an empty list is not needed with that environment (for
 * example kms:CreateGrant when no KMS key is configured).
 */

/** Formats an ARN in the function's own account and region: arn(service, resource) → `arn:<partition>:<service>:<region>:<account>:<resource>`; `global: true` leaves the region empty (IAM). */
export type ArnFormatter = (service: string, resource: string, options?: { readonly global?: boolean }) => string;

/**
 * The function's environment variables as deployed (resolved strings). For a custom-resource
 * handler (the endpoint and registry clean-ups), the names it acts on travel as the custom
 * resource's properties rather than as environment variables: the checker passes the custom
 * resource's properties merged with the function's environment, keyed by the property names of
 * that folder's `properties.ts`.
 */
export type FunctionEnvironment = Readonly<Record<string, string | undefined>>;

/** One IAM authorization a call needs. */
export interface SdkCallPermission {
  /** IAM action, such as `sagemaker:CreateModel`. */
  readonly action: string;
  /** The resource ARNs the call acts on, one sample ARN per kind of resource (e.g. a model named as the deployer names them, version 1). */
  readonly resources: (env: FunctionEnvironment, arn: ArnFormatter) => string[];
  /** Request context the call carries, such as `{ 'iam:PassedToService': 'sagemaker.amazonaws.com' }`. */
  readonly context?: (env: FunctionEnvironment) => Record<string, string | string[]>;
  /** Where AWS documents a permission that is not the call's own action (a doc page URL), e.g. cloudwatch:DescribeAlarms for UpdateEndpoint with rollback alarms. */
  readonly documentedAt?: string;
}

/** One SDK command (or paginator) a handler sends, and what IAM must allow for it. */
export interface SdkCall {
  /** The command class or paginator as named in the source: `CreateModelCommand`, `paginateListModels`. */
  readonly command: string;
  /** Whether the function's environment enables the call (e.g. only with monitoring settings); always when absent. */
  readonly when?: (env: FunctionEnvironment) => boolean;
  readonly permissions: readonly SdkCallPermission[];
}
