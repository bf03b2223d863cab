import { ArnFormat, Stack, Token } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';

/**
 * The ARN of a SageMaker resource in `scope`'s stack, such as `pipeline/churn-dev-pipeline`.
 * SageMaker lower-cases names in ARNs, and IAM compares ARNs case-sensitively, so literal names
 * are lower-cased here.
 */
export function sageMakerArn(scope: IConstruct, resource: string, resourceName: string): string {
  return Stack.of(scope).formatArn({
    service: 'sagemaker',
    resource,
    resourceName: Token.isUnresolved(resourceName) ? resourceName : resourceName.toLowerCase(),
    arnFormat: ArnFormat.SLASH_RESOURCE_NAME,
  });
}

/** What SageMaker needs from a role to put a job's or model's network interfaces in your VPC (resource `*` only). */
export const SAGEMAKER_VPC_ACTIONS = [
  'ec2:CreateNetworkInterface',
  'ec2:CreateNetworkInterfacePermission',
  'ec2:DeleteNetworkInterface',
  'ec2:DeleteNetworkInterfacePermission',
  'ec2:DescribeNetworkInterfaces',
  'ec2:DescribeVpcs',
  'ec2:DescribeDhcpOptions',
  'ec2:DescribeSubnets',
  'ec2:DescribeSecurityGroups',
];
