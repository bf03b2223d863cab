// A user's own CDK app, compiled and synthesized by test/consumer/run.sh against the packed
// tarball: their bucket and key, a model package group that already exists, and the package's
// constructs composed into their stack.
import { App, Duration, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { AwsSolutionsChecks, HIPAASecurityChecks, NIST80053R5Checks } from 'cdk-nag';
import { EndpointVariant, InferenceEndpoint, MlopsMonitoring, ModelApprovalStatus, ModelRegistry, resourceNames, TrainingPipeline } from 'cdk-mlops';

const app = new App({ outdir: 'cdk.out' });
const stack = new Stack(app, 'TeamMlStack', { env: { account: '111122223333', region: 'eu-west-1' } });

// What the team already has.
const key = new kms.Key(stack, 'TeamKey', { enableKeyRotation: true });
const bucket = new s3.Bucket(stack, 'TeamBucket', { encryptionKey: key, enforceSSL: true, versioned: true });
const registry = ModelRegistry.fromModelPackageGroupName(stack, 'ExistingModels', 'team-churn-models');
const approvers = new iam.Role(stack, 'Approvers', { assumedBy: new iam.AccountRootPrincipal() });

// What the package adds: no key passed, so each construct uses the bucket's.
const names = resourceNames('team', 'ml');
const pipeline = new TrainingPipeline(stack, 'Training', {
  pipelineName: names.pipeline,
  dataBucket: bucket,
  artifactsBucket: bucket,
  modelRegistry: registry,
  modelApprovalStatus: ModelApprovalStatus.PENDING_MANUAL_APPROVAL,
  maxRuntime: Duration.minutes(30),
});
const endpoint = new InferenceEndpoint(stack, 'Serving', {
  endpointName: names.endpoint,
  modelRegistry: registry,
  modelArtifactsBucket: bucket,
  variant: EndpointVariant.serverless(),
});
new MlopsMonitoring(stack, 'Monitoring', {
  encryptionKey: key,
  endpointName: endpoint.endpointName,
  endpointServerless: true,
  pipeline: { pipelineName: pipeline.pipelineName, stepNames: TrainingPipeline.STEP_NAMES },
});
registry.grantApprove(approvers);

/** Findings of every nag pack, as "rule at construct path", after the acknowledgements. */
const findings = [new AwsSolutionsChecks(app), new NIST80053R5Checks(app), new HIPAASecurityChecks(app)].flatMap((pack) =>
  pack.validateScope(stack).violations.flatMap((violation) =>
    violation.violatingResources.map((resource) => ({
      rule: violation.ruleName,
      path: String((resource as { constructPath?: string }).constructPath),
      resource: resource.resourceLogicalId,
    })),
  ),
);
// The package owns what its constructs create, and what its grant methods add to the user's role.
const packagePaths = ['TeamMlStack/Training', 'TeamMlStack/Serving', 'TeamMlStack/Monitoring', 'TeamMlStack/ExistingModels'];
const owned = findings.filter(
  (finding) => packagePaths.some((path) => finding.path.startsWith(`${path}/`)) || (finding.path.startsWith('TeamMlStack/Approvers/') && finding.rule.startsWith('AwsSolutions-IAM5')),
);
const assembly = app.synth();
const template = assembly.getStackByName('TeamMlStack').template as { Resources: Record<string, { Type: string }> };
const types = Object.values(template.Resources).map((resource) => resource.Type);
const report = {
  resources: types.length,
  buckets: types.filter((type) => type === 'AWS::S3::Bucket').length,
  keys: types.filter((type) => type === 'AWS::KMS::Key').length,
  modelPackageGroups: types.filter((type) => type === 'AWS::SageMaker::ModelPackageGroup').length,
  pipelines: types.filter((type) => type === 'AWS::SageMaker::Pipeline').length,
  functions: types.filter((type) => type === 'AWS::Lambda::Function').length,
  userOwnedFindings: findings.filter((finding) => !owned.includes(finding)).map((finding) => `${finding.rule} at ${finding.path}`),
  packageOwnedFindings: owned,
};
process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
