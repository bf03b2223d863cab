import { Stack, Validations } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';

/**
 * Acknowledges the AwsSolutions-IAM5 finding of one wildcard resource in `policy`, with a reason.
 * cdk-nag names such a finding after the resource flattened to text (`<Logical.Arn>/raw/*`); this
 * renders the ARN the same way, so each acknowledgement names exactly one resource pattern.
 */
export function acknowledgeWildcardResource(policy: IConstruct, resourceArn: string, reason: string): void {
  const flattened = flatten(Stack.of(policy).resolve(resourceArn));
  Validations.of(policy).acknowledge({ id: `AwsSolutions-IAM5[Resource::${flattened}]`, reason });
}

/** cdk-nag's rendering of a CloudFormation value: Fn::Join concatenated, Fn::Sub and Ref as <Id>, GetAtt as <Id.Attr>. */
function flatten(value: unknown): string {
  if (typeof value === 'string') return value.replace(/\$\{/g, '<').replace(/\}/g, '>');
  if (value && typeof value === 'object') {
    const node = value as Record<string, unknown>;
    if ('Fn::Join' in node) {
      const [delimiter, items] = node['Fn::Join'] as [string, unknown[]];
      return items.map(flatten).join(delimiter);
    }
    if ('Fn::Sub' in node) return flatten(node['Fn::Sub']);
    if ('Fn::GetAtt' in node) {
      const [resource, attribute] = node['Fn::GetAtt'] as [unknown, unknown];
      return `<${flatten(resource)}.${flatten(attribute)}>`;
    }
    if ('Ref' in node) return `<${flatten(node.Ref)}>`;
  }
  return JSON.stringify(value);
}

/** Why aws-cdk-lib's own grant methods use these wildcard actions. */
const GRANT_ACTION_REASONS = {
  's3:GetObject*': 'Bucket.grantRead: object reads with their versions, tags and ACL metadata, on the granted prefix only.',
  's3:GetBucket*': 'Bucket.grantRead: bucket metadata (location, versioning, policy status) of the granted bucket only.',
  's3:List*': 'Bucket.grantRead: listing the granted bucket only.',
  's3:DeleteObject*': 'Bucket.grantReadWrite: jobs replace their own outputs on the granted prefix only.',
  's3:Abort*': 'Bucket.grantPut: aborting the principal\'s own multipart uploads.',
  'kms:ReEncrypt*': 'Key.grantEncryptDecrypt on the one key that encrypts this workload\'s data.',
  'kms:GenerateDataKey*': 'Key.grantEncryptDecrypt on the one key that encrypts this workload\'s data.',
} as const;

/** Acknowledges the AwsSolutions-IAM5 findings of the wildcard actions aws-cdk-lib grant methods add. */
export function acknowledgeGrantActions(policy: IConstruct, actions: readonly (keyof typeof GRANT_ACTION_REASONS)[]): void {
  for (const action of actions) {
    Validations.of(policy).acknowledge({ id: `AwsSolutions-IAM5[Action::${action}]`, reason: GRANT_ACTION_REASONS[action] });
  }
}

/** Acknowledges the NIST and HIPAA inline-policy findings of a role's own default policy. */
export function acknowledgeInlinePolicy(policy: IConstruct, scope: string): void {
  for (const pack of ['NIST.800.53.R5', 'HIPAA.Security']) {
    Validations.of(policy).acknowledge({
      id: `${pack}-IAMNoInlinePolicy`,
      reason: `The statements name ${scope}; an inline policy is deployed and deleted with the one role it serves, where a managed policy would serve no other principal.`,
    });
  }
}
