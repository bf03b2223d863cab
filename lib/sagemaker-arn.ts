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
