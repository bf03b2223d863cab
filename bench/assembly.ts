import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

/** CloudFormation's quotas a stack template must stay under. */
export const CFN_MAX_RESOURCES = 500;
/** A template passed through S3, as `cdk deploy` does for large ones, may be at most 1 MB. */
export const CFN_MAX_TEMPLATE_BYTES = 1024 * 1024;

/** The parts of a CloudFormation template the bench reads. */
export interface Template {
  readonly Resources?: Record<string, { Type: string; Properties?: Record<string, unknown> }>;
}

/** The parts of a cdk-assets manifest (`<stack>.assets.json`) the bench reads. */
export interface AssetManifest {
  readonly files?: Record<string, { displayName?: string; source: { path?: string; packaging?: string } }>;
  readonly dockerImages?: Record<string, { displayName?: string }>;
}

/** One synthesized stack of a cloud assembly. */
export interface SynthesizedStack {
  readonly stackName: string;
  readonly templateBytes: number;
  readonly template: Template;
  readonly assets: AssetManifest;
}

/** What a template costs in quota and money and what it needs to deploy. */
export interface TemplateFacts {
  readonly resources: number;
  readonly lambdaFunctions: number;
  /** Custom::* and AWS::CloudFormation::CustomResource resources. */
  readonly customResources: number;
  readonly kmsKeys: number;
  readonly alarms: number;
  /** What CloudWatch bills alarms by: one per metric an alarm queries (three for an anomaly band). */
  readonly standardAlarmMetrics: number;
  readonly highResolutionAlarmMetrics: number;
  readonly dashboards: number;
  readonly scheduleRules: number;
  readonly eventRules: number;
  readonly queues: number;
  readonly topics: number;
  /** Container-image assets: deploying them needs Docker to build and push. */
  readonly dockerImageAssets: number;
}

/** Reads every stack of the cloud assembly in `outdir` (its manifest.json names templates and asset manifests). */
export function readAssembly(outdir: string): SynthesizedStack[] {
  const manifest = JSON.parse(readFileSync(join(outdir, 'manifest.json'), 'utf8')) as {
    artifacts: Record<string, { type: string; properties?: { templateFile?: string; file?: string }; dependencies?: string[] }>;
  };
  const artifacts = Object.entries(manifest.artifacts);
  return artifacts
    .filter(([, artifact]) => artifact.type === 'aws:cloudformation:stack')
    .map(([stackName, artifact]) => {
      const templateFile = join(outdir, artifact.properties!.templateFile!);
      const assetArtifact = artifacts.find(([id, a]) => a.type === 'cdk:asset-manifest' && artifact.dependencies?.includes(id));
      const assets: AssetManifest = assetArtifact
        ? JSON.parse(readFileSync(join(outdir, assetArtifact[1].properties!.file!), 'utf8'))
        : {};
      return {
        stackName,
        templateBytes: statSync(templateFile).size,
        template: JSON.parse(readFileSync(templateFile, 'utf8')) as Template,
        assets,
      };
    });
}

/** Counts what the template and its asset manifest actually contain. */
export function templateFacts(template: Template, assets: AssetManifest): TemplateFacts {
  const resources = Object.values(template.Resources ?? {});
  const ofType = (type: string) => resources.filter((resource) => resource.Type === type);
  const rules = ofType('AWS::Events::Rule');
  let standardAlarmMetrics = 0;
  let highResolutionAlarmMetrics = 0;
  for (const alarm of ofType('AWS::CloudWatch::Alarm')) {
    const { metrics, highResolution } = billedAlarmMetrics(alarm.Properties ?? {});
    if (highResolution) highResolutionAlarmMetrics += metrics;
    else standardAlarmMetrics += metrics;
  }
  return {
    resources: resources.length,
    lambdaFunctions: ofType('AWS::Lambda::Function').length,
    customResources: resources.filter((r) => r.Type.startsWith('Custom::') || r.Type === 'AWS::CloudFormation::CustomResource').length,
    kmsKeys: ofType('AWS::KMS::Key').length,
    alarms: ofType('AWS::CloudWatch::Alarm').length,
    standardAlarmMetrics,
    highResolutionAlarmMetrics,
    dashboards: ofType('AWS::CloudWatch::Dashboard').length,
    scheduleRules: rules.filter((rule) => rule.Properties?.ScheduleExpression !== undefined).length,
    eventRules: rules.filter((rule) => rule.Properties?.ScheduleExpression === undefined).length,
    queues: ofType('AWS::SQS::Queue').length,
    topics: ofType('AWS::SNS::Topic').length,
    dockerImageAssets: Object.keys(assets.dockerImages ?? {}).length,
  };
}

interface MetricQuery {
  MetricStat?: { Period?: number };
  Expression?: string;
}

/**
 * CloudWatch bills an alarm per metric it queries: one for a single-metric alarm, one per MetricStat
 * of a metric-math alarm, three for an anomaly-detection alarm (the metric and its two bands).
 * Periods under 60 s are high resolution, billed at a higher rate.
 */
export function billedAlarmMetrics(properties: Record<string, unknown>): { metrics: number; highResolution: boolean } {
  const queries = (properties.Metrics as MetricQuery[] | undefined) ?? [];
  if (queries.length === 0) {
    return { metrics: 1, highResolution: ((properties.Period as number | undefined) ?? 60) < 60 };
  }
  const stats = queries.filter((query) => query.MetricStat !== undefined);
  const anomalyBand = properties.ThresholdMetricId !== undefined;
  return {
    metrics: anomalyBand ? 3 * stats.length : stats.length,
    highResolution: stats.some((query) => (query.MetricStat!.Period ?? 60) < 60),
  };
}
