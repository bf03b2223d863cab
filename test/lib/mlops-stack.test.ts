import { Template } from 'aws-cdk-lib/assertions';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { loadStageConfig } from '../../lib/config-loader';
import { addMlopsStage, complianceChecks } from '../../lib/mlops-app';
import { MlopsStack } from '../../lib/mlops-stack';
import { appLikeCli } from '../helpers/app';

/** Findings of every compliance pack that are not acknowledged, as "rule at resource path". */
function unacknowledgedFindings(stack: MlopsStack): string[] {
  return complianceChecks(appLikeCli()).flatMap((pack) =>
    pack.validateScope(stack).violations.flatMap((violation) =>
      // cdk-nag reports the construct path, which the core type does not declare.
      violation.violatingResources.map((resource) => `${violation.ruleName} at ${(resource as { constructPath?: string }).constructPath}`),
    ),
  );
}

describe.each(['dev', 'staging', 'prod'])('MlopsStack for %s', (stage) => {
  const config = loadStageConfig({ stage });
  const stack = addMlopsStage(appLikeCli(), config);
  const template = Template.fromStack(stack);

  test('has zero unacknowledged AwsSolutions, NIST 800-53 rev5 and HIPAA findings', () => {
    expect(unacknowledgedFindings(stack)).toEqual([]);
  });

  test('is named after project and stage and deploys to the configured region', () => {
    expect(stack.stackName).toBe(`churn-${stage}`);
    expect(stack.region).toBe(config.region);
  });

  test('follows the removal policy of the stage', () => {
    const destroy = config.removalPolicy === 'destroy';
    for (const bucket of Object.values(template.findResources('AWS::S3::Bucket'))) {
      expect(bucket.DeletionPolicy).toBe(destroy ? 'Delete' : 'Retain');
    }
    template.resourceCountIs('Custom::S3AutoDeleteObjects', destroy ? 3 : 0);
    expect(stack.terminationProtection).toBe(!destroy);
  });

  test('aliases the key after project and stage', () => {
    template.hasResourceProperties('AWS::KMS::Alias', { AliasName: `alias/churn-${stage}` });
  });
});

describe('compliance checks', () => {
  test('report an unacknowledged finding (the nag test above can fail)', () => {
    // GIVEN a stage stack with one bucket added without any of the secure defaults
    const stack = addMlopsStage(appLikeCli(), loadStageConfig({ stage: 'dev' }));
    new s3.Bucket(stack, 'CarelessBucket');
    // THEN
    expect(unacknowledgedFindings(stack)).toEqual(
      expect.arrayContaining([expect.stringMatching(/^AwsSolutions-S1 at .*CarelessBucket/), expect.stringMatching(/^NIST\.800\.53\.R5-S3DefaultEncryptionKMS/)]),
    );
  });
});
