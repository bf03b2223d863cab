import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import {
  DescribeEndpointCommand,
  DescribeEndpointConfigCommand,
  DescribeModelPackageCommand,
  ListModelPackagesCommand,
  ListTagsCommand,
  ModelApprovalStatus,
  ModelPackageStatus,
  SageMakerClient,
  SageMakerServiceException,
} from '@aws-sdk/client-sagemaker';
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { TAG } from '../../lambda/deployer/naming';
import { CliIo } from '../../lib/cli/output';
import { runCli } from '../../lib/cli/program';

// The dev stage of config/dev.json: project churn, metric auc, cool-down 60 min.
export const GROUP = 'churn-dev-models';
export const ENDPOINT = 'churn-dev-endpoint';
export const PIPELINE = 'churn-dev-pipeline';
export const NOW = new Date('2026-03-15T12:00:00Z');
export const REPO_ROOT = resolve(__dirname, '..', '..');
const ACCOUNT_ARN = 'arn:aws:sagemaker:us-east-1:123456789012';
export const PIPELINE_ARN = `${ACCOUNT_ARN}:pipeline/${PIPELINE}`;

export const sagemakerMock = mockClient(SageMakerClient);
export const cloudwatchMock = mockClient(CloudWatchClient);
export const eventbridgeMock = mockClient(EventBridgeClient);
export const s3Mock = mockClient(S3Client);

export function resetMocks(): void {
  sagemakerMock.reset();
  cloudwatchMock.reset();
  eventbridgeMock.reset();
  s3Mock.reset();
}

export function packageArn(version: number): string {
  return `${ACCOUNT_ARN}:model-package/${GROUP}/${version}`;
}

export function hoursAgo(hours: number): Date {
  return new Date(NOW.getTime() - hours * 3_600_000);
}

export function awsError(name: string, message: string, httpStatusCode = 400): SageMakerServiceException {
  return new SageMakerServiceException({ name, message, $fault: httpStatusCode >= 500 ? 'server' : 'client', $metadata: { httpStatusCode } });
}

export interface PackageFixture {
  readonly version: number;
  readonly approval: ModelApprovalStatus;
  readonly registration?: ModelPackageStatus;
  readonly hoursAgo?: number;
  readonly auc?: string;
  readonly note?: string;
}

/** Registers the packages with ListModelPackages (newest first) and DescribeModelPackage. */
export function mockPackages(packages: readonly PackageFixture[]): void {
  const newestFirst = [...packages].sort((a, b) => b.version - a.version);
  sagemakerMock.on(ListModelPackagesCommand).resolves({
    ModelPackageSummaryList: newestFirst.map((fixture) => ({
      ModelPackageGroupName: GROUP,
      ModelPackageVersion: fixture.version,
      ModelPackageArn: packageArn(fixture.version),
      ModelApprovalStatus: fixture.approval,
      ModelPackageStatus: fixture.registration ?? 'Completed',
      CreationTime: hoursAgo(fixture.hoursAgo ?? fixture.version),
    })),
  });
  for (const fixture of packages) {
    // The evaluation report the pipeline registered, where the key metric is read from.
    const report = JSON.stringify({ binary_classification_metrics: fixture.auc ? { auc: { value: Number(fixture.auc), standard_deviation: 'NaN' } } : {} });
    s3Mock.on(GetObjectCommand, { Bucket: 'artifacts', Key: `v${fixture.version}/evaluation.json` }).resolves({ Body: { transformToString: async () => report } } as never);
    sagemakerMock.on(DescribeModelPackageCommand, { ModelPackageName: packageArn(fixture.version) }).resolves({
      ModelPackageGroupName: GROUP,
      ModelPackageVersion: fixture.version,
      ModelPackageArn: packageArn(fixture.version),
      ModelApprovalStatus: fixture.approval,
      ModelPackageStatus: fixture.registration ?? 'Completed',
      CreationTime: hoursAgo(fixture.hoursAgo ?? fixture.version),
      ApprovalDescription: fixture.note,
      CustomerMetadataProperties: fixture.auc ? { auc: fixture.auc } : undefined,
      ModelMetrics: { ModelQuality: { Statistics: { ContentType: 'application/json', S3Uri: `s3://artifacts/v${fixture.version}/evaluation.json` } } },
      InferenceSpecification: {
        Containers: [{ Image: 'xgboost:1.7-1', ModelDataUrl: `s3://artifacts/v${fixture.version}/model.tar.gz` }],
        SupportedContentTypes: ['text/csv'],
        SupportedResponseMIMETypes: ['text/csv'],
      },
    });
  }
}

/** The endpoint as the deployer leaves it, serving `version`; `undefined` for no endpoint. */
export function mockEndpoint(version: number | undefined, tags = true): void {
  if (version === undefined) {
    sagemakerMock
      .on(DescribeEndpointCommand)
      .rejects(awsError('ValidationException', `Could not find endpoint "${ACCOUNT_ARN}:endpoint/${ENDPOINT}".`));
    return;
  }
  const configName = `${ENDPOINT}-v${version}-abcd1234`;
  const configArn = `${ACCOUNT_ARN}:endpoint-config/${configName}`;
  sagemakerMock.on(DescribeEndpointCommand).resolves({ EndpointName: ENDPOINT, EndpointStatus: 'InService', EndpointConfigName: configName });
  sagemakerMock.on(DescribeEndpointConfigCommand).resolves({ EndpointConfigName: configName, EndpointConfigArn: configArn });
  sagemakerMock.on(ListTagsCommand, { ResourceArn: configArn }).resolves({
    Tags: tags
      ? [
          { Key: TAG.MODEL_PACKAGE_VERSION, Value: String(version) },
          { Key: TAG.MODEL_PACKAGE_ARN, Value: packageArn(version) },
        ]
      : [],
  });
}

export interface RecordedRun {
  readonly exitCode: number;
  readonly stdout: string;
  readonly stderr: string;
  /** The questions asked through confirm(). */
  readonly questions: readonly string[];
}

/** How a recorded run's surroundings differ from a non-interactive run in the repository with an empty environment. */
export interface RunSurroundings {
  readonly interactive?: boolean;
  /** The answer to every confirm(). */
  readonly answer?: boolean;
  /** @default REPO_ROOT */
  readonly cwd?: string;
  /** What AWS_REGION, AWS_PROFILE and AWS_ENDPOINT_URL are read from. @default {} */
  readonly env?: NodeJS.ProcessEnv;
}

/** Runs the CLI in-process against the mocks, recording what it prints and asks. */
export async function runRecorded(args: readonly string[], surroundings: RunSurroundings = {}): Promise<RecordedRun> {
  let stdout = '';
  let stderr = '';
  const questions: string[] = [];
  const io: CliIo = {
    stdout: (text) => (stdout += text),
    stderr: (text) => (stderr += text),
    interactive: surroundings.interactive ?? false,
    confirm: async (question) => {
      questions.push(question);
      return surroundings.answer ?? false;
    },
  };
  const exitCode = await runCli(args, {
    io,
    now: () => NOW,
    sleep: async () => undefined,
    pollIntervalMs: 0,
    cwd: surroundings.cwd ?? REPO_ROOT,
    env: surroundings.env ?? {},
  });
  return { exitCode, stdout, stderr, questions };
}

/** A fresh directory outside the repository, with no config/ folder: where a user of the installed CLI runs it. */
export function outsideDirectory(): string {
  return mkdtempSync(join(tmpdir(), 'cdk-mlops-outside-'));
}
