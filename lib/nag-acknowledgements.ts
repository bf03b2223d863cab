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
