/**
 * The local loop's model-quality check: ground truth for the captured requests, in SageMaker's
 * ground-truth record format and S3 layout, then ml/local/model_quality.py (the stand-in of Model
 * Monitor's merge and analyzer jobs) on the capture and that ground truth, against the threshold the
 * stage alarms on.
 *
 * For a stage whose deployer keeps a model-quality schedule (instance endpoints) the check runs as
 * the schedule's job definition says (problem type, prediction column, probability threshold,
 * ground-truth location), read back from the control plane, so the deployer's hand-off is
 * exercised. A serverless stage has no schedule in AWS (it captures nothing); locally it captures,
 * so the check runs on the stage config's settings and the result says it is not scheduled in AWS.
 */
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { DescribeModelQualityJobDefinitionCommand, DescribeMonitoringScheduleCommand } from '@aws-sdk/client-sagemaker';
import { packageFile } from '../../constructs/private/package-files';
import { METRICS_SECTION, MODEL_QUALITY_PROBLEM_TYPE, type ModelQualityProblemTypeName, problemTypeOf } from '../../lambda/shared/model-metrics';
import { stageModelQuality } from '../model-quality-config';
import { ControlPlane, filesBelow, parseS3Uri } from './control-plane';
import type { LocalStage } from './local-stage';
import { runPythonScript } from './python-script';

/** A request the loop sent, with the label the test split gives its row. */
export interface LabelledRequest {
  readonly body: string;
  readonly label: string;
}

export interface ModelQualityResult {
  readonly metric: string;
  /** The metric over the merged records; null when it is undefined for them (AUC of one class). */
  readonly value: number | null;
  readonly threshold: number;
  /** The alarm's direction: LessThanThreshold or GreaterThanThreshold. */
  readonly comparison: string;
  /** Whether the metric crossed the threshold, as the alarm would see it. */
  readonly violated: boolean;
  /** Captured records that found their ground truth. */
  readonly mergedRecords: number;
  /** Ground truth records written, one per captured request. */
  readonly groundTruthRecords: number;
  /** Whether the stage keeps this schedule in AWS (false for serverless endpoints, which capture nothing). */
  readonly scheduledInAws: boolean;
  /** Where the check's settings came from. */
  readonly source: string;
  readonly groundTruthS3Uri: string;
  readonly reportPath: string;
  readonly reportS3Uri: string;
}

/** Runs the check; undefined when the stage has monitoring.modelQuality off. */
export async function checkModelQuality(
  plane: ControlPlane,
  stage: LocalStage,
  python: string,
  workDir: string,
  requests: readonly LabelledRequest[],
): Promise<ModelQualityResult | undefined> {
  const quality = stageModelQuality(stage.config);
  if (!quality) return undefined;
  const job = await jobSettings(plane, stage, quality);
  const dir = join(workDir, 'model-quality');
  const endpointName = stage.deployer.endpointName;

  // The capture as SageMaker delivered it to S3, and ground truth for each of its records.
  const captureUri = `${stage.dataCaptureS3Uri.replace(/\/+$/, '')}/${endpointName}`;
  await plane.downloadPrefix(captureUri, join(dir, 'input', 'endpoint'));
  const records = groundTruthFor(join(dir, 'input', 'endpoint'), requests);
  const now = new Date();
  const hour = [now.getUTCFullYear(), now.getUTCMonth() + 1, now.getUTCDate(), now.getUTCHours()].map((part) => String(part).padStart(2, '0')).join('/');
  const file = join(dir, 'upload', `labels-${randomUUID()}.jsonl`);
  mkdirSync(join(dir, 'upload'), { recursive: true });
  writeFileSync(file, records.map((record) => `${JSON.stringify(record)}\n`).join(''));
  // Uploaded where users upload it: <ground truth URI>/yyyy/mm/dd/hh/ (the hour it is collected).
  const { bucket, key } = parseS3Uri(`${job.groundTruthUri.replace(/\/+$/, '')}/${hour}/${basename(file)}`);
  await plane.putFile({ bucket, key }, file);
  await plane.downloadPrefix(job.groundTruthUri, join(dir, 'ground-truth'));

  // The alarm's comparison as a constraint, so the stand-in reports the violation the alarm would raise.
  // Model Monitor names both sections after the problem type: regression_metrics, regression_constraints.
  const section = METRICS_SECTION[problemTypeOf(job.problemType)].replace(/_metrics$/, '');
  const constraintsPath = join(dir, 'constraints.json');
  writeFileSync(
    constraintsPath,
    JSON.stringify({ version: 0.0, [`${section}_constraints`]: { [quality.metric]: { threshold: quality.threshold, comparison_operator: quality.comparison } } }, null, 2),
  );
  const output = join(dir, 'output');
  mkdirSync(output, { recursive: true });
  await runPythonScript(
    python,
    [packageFile('ml', 'local', 'model_quality.py')],
    {
      dataset_source: join(dir, 'input', 'endpoint'),
      ground_truth_source: join(dir, 'ground-truth'),
      output_path: output,
      problem_type: job.problemType,
      ...job.attributes,
      baseline_constraints: constraintsPath,
      publish_cloudwatch_metrics: 'Disabled',
    },
    join(dir, 'model-quality.log'),
  );
  const statistics = JSON.parse(readFileSync(join(output, 'statistics.json'), 'utf8')) as Record<string, Record<string, { value?: unknown }>> & { dataset?: { item_count?: number } };
  const violationsPath = join(output, 'constraint_violations.json');
  const { violations } = existsSync(violationsPath) ? (JSON.parse(readFileSync(violationsPath, 'utf8')) as { violations: { metric_name: string }[] }) : { violations: [] };
  const value = statistics[`${section}_metrics`]?.[quality.metric]?.value;
  const reportS3Uri = `${job.outputUri.replace(/\/+$/, '')}/local`;
  await plane.uploadFolder(output, reportS3Uri);
  return {
    metric: quality.metric,
    value: typeof value === 'number' ? value : null,
    threshold: quality.threshold,
    comparison: quality.comparison,
    violated: violations.some((violation) => violation.metric_name === quality.metric),
    mergedRecords: Number(statistics.dataset?.item_count ?? 0),
    groundTruthRecords: records.length,
    scheduledInAws: job.scheduled,
    source: job.source,
    groundTruthS3Uri: job.groundTruthUri,
    reportPath: join(output, 'statistics.json'),
    reportS3Uri,
  };
}

function isModelQualityProblemType(name: string | undefined): name is ModelQualityProblemTypeName {
  return (Object.values(MODEL_QUALITY_PROBLEM_TYPE) as string[]).includes(name ?? '');
}

interface JobSettings {
  readonly problemType: ModelQualityProblemTypeName;
  /** The stand-in's attribute variables, as the job definition's EndpointInput names them. */
  readonly attributes: Record<string, string>;
  readonly groundTruthUri: string;
  readonly outputUri: string;
  readonly scheduled: boolean;
  readonly source: string;
}

/** The schedule's job definition when the deployer keeps one, else what the stage config would give it. */
async function jobSettings(plane: ControlPlane, stage: LocalStage, quality: NonNullable<ReturnType<typeof stageModelQuality>>): Promise<JobSettings> {
  const variant = stage.deployer.variant;
  const schedule = variant.type === 'instance' ? variant.monitoring?.modelQuality : undefined;
  const endpointName = stage.deployer.endpointName;
  if (schedule) {
    const described = await plane.sagemaker.send(new DescribeMonitoringScheduleCommand({ MonitoringScheduleName: schedule.scheduleName }));
    const name = described.MonitoringScheduleConfig?.MonitoringJobDefinitionName;
    const definition = await plane.sagemaker.send(new DescribeModelQualityJobDefinitionCommand({ JobDefinitionName: name }));
    const input = definition.ModelQualityJobInput;
    const endpointInput = input?.EndpointInput;
    const groundTruthUri = input?.GroundTruthS3Input?.S3Uri;
    const outputUri = definition.ModelQualityJobOutputConfig?.MonitoringOutputs?.[0]?.S3Output?.S3Uri;
    const problemType = definition.ModelQualityAppSpecification?.ProblemType;
    if (!endpointInput || !groundTruthUri || !outputUri || !isModelQualityProblemType(problemType)) {
      throw new Error(`model-quality job definition ${name} lacks its endpoint input, ground truth, output or a known problem type (${problemType ?? 'none'})`);
    }
    return {
      problemType,
      attributes: attributesOf(endpointInput.ProbabilityAttribute, endpointInput.ProbabilityThresholdAttribute, endpointInput.InferenceAttribute),
      groundTruthUri,
      outputUri,
      scheduled: true,
      source: `the schedule's job definition ${name}`,
    };
  }
  const binary = quality.problemType === 'BinaryClassification';
  return {
    problemType: quality.problemType,
    attributes: binary ? attributesOf('0', quality.probabilityThreshold ?? 0.5, undefined) : attributesOf(undefined, undefined, '0'),
    groundTruthUri: `${stage.groundTruthS3Uri}${endpointName}`,
    outputUri: `${stage.monitoringOutputS3Uri}model-quality/${endpointName}`,
    scheduled: false,
    source: 'the stage config (a serverless endpoint has no model-quality schedule in AWS)',
  };
}

function attributesOf(probability: string | undefined, threshold: number | undefined, inference: string | undefined): Record<string, string> {
  return {
    ...(probability !== undefined && { probability_attribute: probability }),
    ...(threshold !== undefined && { probability_threshold_attribute: String(threshold) }),
    ...(inference !== undefined && { inference_attribute: inference }),
  };
}

/**
 * SageMaker's ground-truth record for each captured record, with the capture's eventId and the
 * label of the request it captured: a captured request body is matched to a sent one, identical
 * bodies taking their labels in turn.
 * https://docs.aws.amazon.com/sagemaker/latest/dg/model-monitor-model-quality-merge.html
 */
function groundTruthFor(captureDir: string, requests: readonly LabelledRequest[]) {
  const labels = new Map<string, string[]>();
  for (const { body, label } of requests) labels.set(body, [...(labels.get(body) ?? []), label]);
  const records: { groundTruthData: { data: string; encoding: 'CSV' }; eventMetadata: { eventId: string }; eventVersion: '0' }[] = [];
  for (const path of filesBelow(captureDir).filter((file) => file.endsWith('.jsonl'))) {
    for (const line of readFileSync(path, 'utf8').split('\n').filter((text) => text.trim())) {
      const record = JSON.parse(line) as { captureData?: { endpointInput?: { data?: string } }; eventMetadata?: { eventId?: string } };
      const body = record.captureData?.endpointInput?.data;
      const eventId = record.eventMetadata?.eventId;
      const label = body === undefined ? undefined : labels.get(body)?.shift();
      if (eventId && label !== undefined) records.push({ groundTruthData: { data: label, encoding: 'CSV' }, eventMetadata: { eventId }, eventVersion: '0' });
    }
  }
  return records;
}
