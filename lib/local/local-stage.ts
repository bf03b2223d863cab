/**
 * One stage's stack as the local loop sees it: built in this process by the same code `cdk synth`
 * runs, synthesized into the work folder, and its template resolved for moto's account, so the
 * loop reads the very values CloudFormation would deploy: the pipeline definition, the bucket
 * names, the file assets and what the deployer and governor functions find in their environment.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { App, CfnElement, Stack } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { MlopsStorage } from '../../constructs/mlops-storage';
import { packageFile } from '../../constructs/private/package-files';
import { HANDLER_METADATA_KEY } from '../../constructs/secure-function';
import { DeployerSettings, readDeployerSettings } from '../../lambda/deployer/environment';
import { BatchScorerSettings, readBatchScorerSettings } from '../../lambda/batch-scorer/environment';
import { GovernorSettings, readGovernorSettings } from '../../lambda/retraining-governor/environment';
import { addMlopsStage } from '../mlops-app';
import { CfnTemplate, ResolvedTemplate } from '../resolved-template';
import { StageConfig } from '../stage-config';
import type { PipelineDefinitionDocument } from './pipeline-executor';

/** moto's account: every ARN it returns carries it, so the template is resolved for it too. */
export const LOCAL_ACCOUNT = '123456789012';

/** A file asset as `cdk deploy` would publish it. */
export interface LocalFileAsset {
  /** Absolute path of the staged file in the cloud assembly. */
  readonly path: string;
  readonly bucket: string;
  readonly key: string;
}

export interface LocalStage {
  readonly config: StageConfig;
  readonly stackName: string;
  readonly region: string;
  readonly template: ResolvedTemplate;
  readonly pipeline: {
    readonly name: string;
    readonly arn: string;
    readonly roleArn: string;
    readonly definition: PipelineDefinitionDocument;
    /** The PipelineDefinitionBody as deployed, for CreatePipeline. */
    readonly body: string;
  };
  /** Every bucket the stack creates. */
  readonly buckets: readonly string[];
  /** Files the template's resources read from the CDK asset bucket (the ml/ scripts). */
  readonly fileAssets: readonly LocalFileAsset[];
  readonly deployer: DeployerSettings;
  readonly variantName: string;
  readonly governor: GovernorSettings;
  /** What the batch scorer finds in its environment, when the stage has batch.enabled. */
  readonly batch?: BatchScorerSettings;
  /** Where the endpoint's captured requests go: the deployer's setting, or for a serverless stage where an instance variant's would. */
  readonly dataCaptureS3Uri: string;
  /** Where Model Monitor reports go, likewise. */
  readonly monitoringOutputS3Uri: string;
  /** Where users upload ground truth (the endpoint's under it plus the endpoint name): the deployer's setting, else where it would be. */
  readonly groundTruthS3Uri: string;
  /** The model-quality alarm, when the stage has one (instance endpoints with monitoring.modelQuality). */
  readonly modelQualityAlarmName?: string;
  /** Whether an EventBridge rule delivers the model-quality alarm's state changes to the governor. */
  readonly modelQualityDeliveredToGovernor: boolean;
  /** The drift alarm, when the stage has one. */
  readonly driftAlarmName?: string;
  /** Whether an EventBridge rule delivers the drift alarm's state changes to the governor. */
  readonly driftDeliveredToGovernor: boolean;
  /** The stack's functions by ARN, with the handler folder their code comes from and their environment as deployed. */
  readonly functions: ReadonlyMap<string, LocalFunction>;
}

/** A Lambda function of the stack, as a pipeline step that invokes it finds it. */
export interface LocalFunction {
  /** The folder under lambda/ of its handler. */
  readonly handlerFolder: string;
  readonly environment: Readonly<Record<string, string>>;
}

/**
 * Builds and synthesizes the stage into `outdir` (Lambda bundling skipped: the loop calls the
 * handlers' code in this process) and resolves what the loop needs.
 */
export function synthesizeLocalStage(config: StageConfig, outdir: string): LocalStage {
  const app = new App({
    outdir,
    context: { ...cdkContext(), 'aws:cdk:bundling-stacks': [] },
  });
  const stack = addMlopsStage(app, { ...config, account: LOCAL_ACCOUNT });
  const assembly = app.synth();
  const artifact = assembly.getStackArtifact(stack.artifactId);
  const template = new ResolvedTemplate(artifact.template as CfnTemplate, {
    account: LOCAL_ACCOUNT,
    region: stack.region,
    partition: 'aws',
  });
  const resource = (construct: Construct) => {
    const logicalId = logicalIdOf(stack, construct);
    const found = template.get(logicalId);
    if (!found) throw new Error(`the synthesized template has no ${logicalId} (${construct.node.path})`);
    return found;
  };
  const pipeline = resource(stack.pipeline);
  const body = String((pipeline.properties.PipelineDefinition as { PipelineDefinitionBody: string }).PipelineDefinitionBody);
  const pipelineName = String(pipeline.properties.PipelineName);
  const functionEnvironment = (construct: Construct) =>
    ((resource(construct).properties.Environment as { Variables?: Record<string, string> } | undefined)?.Variables ?? {});
  const driftAlarm = stack.monitoring.driftAlarm;
  const modelQualityAlarm = stack.monitoring.modelQualityAlarm;
  const deployer = readDeployerSettings(functionEnvironment(stack.endpoint.deployer.function));
  const dataBucket = template.physicalName(logicalIdOf(stack, stack.storage.dataBucket));
  const instance = deployer.variant.type === 'instance' ? deployer.variant : undefined;
  return {
    config,
    stackName: stack.stackName,
    region: stack.region,
    template,
    pipeline: {
      name: pipelineName,
      arn: template.arn('sagemaker', `pipeline/${pipelineName.toLowerCase()}`),
      roleArn: String(pipeline.properties.RoleArn),
      definition: JSON.parse(body) as PipelineDefinitionDocument,
      body,
    },
    buckets: template.ofType('AWS::S3::Bucket').map((bucket) => template.physicalName(bucket.logicalId)),
    fileAssets: fileAssets(join(outdir, `${stack.artifactId}.assets.json`), outdir, template),
    deployer,
    dataCaptureS3Uri: instance?.dataCapture.destinationS3Uri ?? `s3://${dataBucket}/${MlopsStorage.CAPTURE_PREFIX}`,
    monitoringOutputS3Uri: instance?.monitoring?.outputS3Uri ?? `s3://${dataBucket}/${MlopsStorage.MONITORING_PREFIX}`,
    groundTruthS3Uri: instance?.monitoring?.modelQuality?.groundTruthS3Uri ?? `s3://${dataBucket}/${MlopsStorage.GROUND_TRUTH_PREFIX}`,
    modelQualityAlarmName: modelQualityAlarm ? template.physicalName(logicalIdOf(stack, modelQualityAlarm)) : undefined,
    modelQualityDeliveredToGovernor: stack.config.retraining.onModelQualityDrop === true && modelQualityAlarm !== undefined,
    variantName: stack.endpoint.variantName,
    governor: readGovernorSettings(functionEnvironment(stack.retraining.governor.function)),
    batch: stack.batch ? readBatchScorerSettings(functionEnvironment(stack.batch.function)) : undefined,
    driftAlarmName: driftAlarm ? template.physicalName(logicalIdOf(stack, driftAlarm)) : undefined,
    driftDeliveredToGovernor: stack.config.retraining.onDrift === true && driftAlarm !== undefined,
    functions: new Map(
      template.ofType('AWS::Lambda::Function').flatMap((fn) => {
        const folder = fn.metadata[HANDLER_METADATA_KEY];
        if (typeof folder !== 'string') return [];
        const environment = (fn.properties.Environment as { Variables?: Record<string, string> } | undefined)?.Variables ?? {};
        return [[template.attribute(fn.logicalId, 'Arn'), { handlerFolder: folder, environment }] as const];
      }),
    ),
  };
}

/** The context `cdk synth` reads from cdk.json: the app's own when run in one, else the package's. */
function cdkContext(): Record<string, unknown> {
  const file = existsSync('cdk.json') ? 'cdk.json' : packageFile('cdk.json');
  return (JSON.parse(readFileSync(file, 'utf8')) as { context?: Record<string, unknown> }).context ?? {};
}

function logicalIdOf(stack: Stack, construct: Construct): string {
  const element = (construct.node.defaultChild ?? construct) as CfnElement;
  return stack.resolve(element.logicalId) as string;
}

interface AssetManifest {
  readonly files?: Record<
    string,
    {
      readonly source: { readonly path: string; readonly packaging?: string };
      readonly destinations: Record<string, { readonly bucketName: string; readonly objectKey: string }>;
    }
  >;
}

/** The file (not directory) assets of the manifest, with `${AWS::AccountId}`-style placeholders resolved. */
function fileAssets(manifestPath: string, outdir: string, template: ResolvedTemplate): LocalFileAsset[] {
  const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as AssetManifest;
  const { account, region, partition } = template.deployment;
  const placeholders = (text: string) =>
    text.replace(/\$\{AWS::AccountId\}/g, account).replace(/\$\{AWS::Region\}/g, region).replace(/\$\{AWS::Partition\}/g, partition);
  return Object.values(manifest.files ?? {})
    .filter((asset) => (asset.source.packaging ?? 'file') === 'file')
    .flatMap((asset) =>
      Object.values(asset.destinations).map((destination) => ({
        path: join(outdir, asset.source.path),
        bucket: placeholders(destination.bucketName),
        key: placeholders(destination.objectKey),
      })),
    );
}
