import { HANDLER_METADATA_KEY } from '../../constructs/secure-function';
import { DEPLOYER_ENV as E } from '../../lambda/deployer/environment';
import { MODEL_QUALITY_METRIC_NAMESPACE } from '../../constructs/model-quality';
import { BIAS_CONFIG_REQUEST, REVIEW_FILES, REVIEW_REQUEST } from '../../lambda/review-gate/environment';
import { AccessRequest } from './policy-engine';
import { describeArn, Handoff } from './handoffs';
import { ResolvedTemplate } from '../resolved-template';

/** The execution id the check imagines, so per-run paths become concrete. */
const EXECUTION_ID = 'execution-1';
const SECURE = { 'aws:SecureTransport': 'true' };

interface PipelineStep {
  readonly Name: string;
  readonly Type: string;
  /** A Condition step's branches are among its arguments: `IfSteps`, `ElseSteps`. */
  readonly Arguments?: Record<string, unknown> & { readonly IfSteps?: PipelineStep[]; readonly ElseSteps?: PipelineStep[] };
  /** A Lambda step's function. */
  readonly FunctionArn?: string;
}

interface PipelineDefinition {
  readonly Parameters?: { Name: string; DefaultValue?: unknown }[];
  readonly Steps: PipelineStep[];
}

/**
 * The hand-offs of every SageMaker pipeline: the service assuming the role, the pipeline creating
 * each job and passing the role, and each job reading its inputs and writing its outputs (S3
 * objects, keys, logs) through that role, with every path resolved for one execution the way
 * SageMaker resolves `Get`, `Std:Join` and step properties.
 */
export function pipelineHandoffs(template: ResolvedTemplate): Handoff[] {
  return template.ofType('AWS::SageMaker::Pipeline').flatMap((pipeline) => {
    const body = (pipeline.properties.PipelineDefinition as { PipelineDefinitionBody?: string }).PipelineDefinitionBody;
    if (!body) return [];
    const definition = JSON.parse(body) as PipelineDefinition;
    const pipelineRole = String(pipeline.properties.RoleArn);
    const values = new PipelineValues(definition);
    const from = `pipeline ${template.pathOf(pipeline.logicalId)}`;
    const handoffs: Handoff[] = [trust(template, pipelineRole)];
    for (const step of values.steps) handoffs.push(...stepHandoffs(template, step, values, pipelineRole, from));
    return handoffs;
  });
}

/** What the pipeline hands the serving side: the model the deployer serves, the baseline the monitor reads. */
export function servingHandoffs(template: ResolvedTemplate): Handoff[] {
  const pipelines = template.ofType('AWS::SageMaker::Pipeline');
  const deployers = template.ofType('AWS::Lambda::Function').filter((fn) => fn.metadata[HANDLER_METADATA_KEY] === 'deployer');
  const handoffs: Handoff[] = [];
  for (const deployer of deployers) {
    const env = ((deployer.properties.Environment as { Variables?: Record<string, string> })?.Variables ?? {}) as Record<string, string>;
    for (const pipeline of pipelines) {
      const definition = JSON.parse(String((pipeline.properties.PipelineDefinition as { PipelineDefinitionBody: string }).PipelineDefinitionBody)) as PipelineDefinition;
      const values = new PipelineValues(definition);
      const register = values.steps.find((step) => step.Type === 'RegisterModel');
      if (!register?.Arguments) continue;
      const args = register.Arguments;
      const containers = ((args.InferenceSpecification as { Containers?: { ModelDataUrl?: unknown; Image?: string }[] })?.Containers ?? []);
      const modelRole = env[E.MODEL_EXECUTION_ROLE_ARN];
      if (modelRole) {
        handoffs.push(trust(template, modelRole));
        for (const container of containers) {
          const modelData = String(values.resolve(container.ModelDataUrl));
          handoffs.push({
            kind: 'model artifact',
            from: `pipeline ${template.pathOf(pipeline.logicalId)} (${register.Name})`,
            to: describeArn(template, modelRole),
            requests: readObject(template, modelRole, modelData),
          });
        }
        const endpointLogs = template.arn('logs', `log-group:/aws/sagemaker/Endpoints/${env[E.ENDPOINT_NAME]}`);
        handoffs.push({
          kind: 'endpoint logs',
          from: `endpoint ${env[E.ENDPOINT_NAME]}`,
          to: `log group /aws/sagemaker/Endpoints/${env[E.ENDPOINT_NAME]}`,
          requests: ['logs:CreateLogGroup', 'logs:CreateLogStream', 'logs:PutLogEvents'].map((action) => ({
            principal: modelRole,
            action,
            resource: action === 'logs:CreateLogGroup' ? endpointLogs : `${endpointLogs}:log-stream:AllTraffic/i-0`,
          })),
        });
        if (env[E.DATA_CAPTURE_S3_URI]) {
          handoffs.push({
            kind: 'data capture',
            from: `endpoint ${env[E.ENDPOINT_NAME]}`,
            to: env[E.DATA_CAPTURE_S3_URI],
            requests: writeObject(template, modelRole, `${env[E.DATA_CAPTURE_S3_URI]}${env[E.ENDPOINT_NAME]}/AllTraffic/2026/12/01/00/capture.jsonl`, env[E.DATA_CAPTURE_KMS_KEY_ID]),
          });
        }
      }
      const monitoringRole = env[E.MONITORING_ROLE_ARN];
      if (monitoringRole) {
        handoffs.push(trust(template, monitoringRole));
        const quality = (args.ModelMetrics as { ModelDataQuality?: Record<string, { S3Uri?: unknown }> } | undefined)?.ModelDataQuality ?? {};
        for (const file of Object.values(quality)) {
          handoffs.push({
            kind: 'monitoring baseline',
            from: `pipeline ${template.pathOf(pipeline.logicalId)} (${register.Name})`,
            to: describeArn(template, monitoringRole),
            requests: readObject(template, monitoringRole, String(values.resolve(file.S3Uri))),
          });
        }
        if (env[E.DATA_CAPTURE_S3_URI]) {
          handoffs.push({
            kind: 'monitoring input',
            from: env[E.DATA_CAPTURE_S3_URI],
            to: describeArn(template, monitoringRole),
            requests: readObject(template, monitoringRole, `${env[E.DATA_CAPTURE_S3_URI]}${env[E.ENDPOINT_NAME]}/AllTraffic/2026/12/01/00/capture.jsonl`),
          });
        }
        if (env[E.MONITORING_OUTPUT_S3_URI]) {
          handoffs.push({
            kind: 'monitoring report',
            from: describeArn(template, monitoringRole),
            to: env[E.MONITORING_OUTPUT_S3_URI],
            requests: [
              ...writeObject(template, monitoringRole, `${env[E.MONITORING_OUTPUT_S3_URI]}${env[E.ENDPOINT_NAME]}/report/constraint_violations.json`, env[E.DATA_CAPTURE_KMS_KEY_ID]),
              ...jobLogs(template, monitoringRole, 'ProcessingJobs'),
            ],
          });
        }
        // The model-quality jobs: the ground truth users upload in, reports and metrics out.
        const groundTruth = env[E.MODEL_QUALITY_GROUND_TRUTH_S3_URI];
        if (groundTruth) {
          const endpointName = env[E.ENDPOINT_NAME];
          handoffs.push({
            kind: 'model-quality ground truth',
            from: `${groundTruth}${endpointName}/`,
            to: describeArn(template, monitoringRole),
            requests: readObject(template, monitoringRole, `${groundTruth}${endpointName}/2026/12/01/00/labels.jsonl`),
          });
          handoffs.push({
            kind: 'model-quality report',
            from: describeArn(template, monitoringRole),
            to: `${env[E.MONITORING_OUTPUT_S3_URI]}model-quality/${endpointName} and CloudWatch ${MODEL_QUALITY_METRIC_NAMESPACE}`,
            requests: [
              ...writeObject(template, monitoringRole, `${env[E.MONITORING_OUTPUT_S3_URI]}model-quality/${endpointName}/report/statistics.json`, env[E.DATA_CAPTURE_KMS_KEY_ID]),
              { principal: monitoringRole, action: 'cloudwatch:PutMetricData', resource: '*', context: { 'cloudwatch:namespace': MODEL_QUALITY_METRIC_NAMESPACE } },
              ...jobLogs(template, monitoringRole, 'ProcessingJobs'),
            ],
          });
        }
      }
    }
  }
  return handoffs;
}

/** The model data each pipeline's RegisterModel step registers, resolved for one execution. */
export function registeredModelData(template: ResolvedTemplate): { readonly from: string; readonly modelDataUrl: string }[] {
  return template.ofType('AWS::SageMaker::Pipeline').flatMap((pipeline) => {
    const body = (pipeline.properties.PipelineDefinition as { PipelineDefinitionBody?: string }).PipelineDefinitionBody;
    if (!body) return [];
    const values = new PipelineValues(JSON.parse(body) as PipelineDefinition);
    const register = values.steps.find((step) => step.Type === 'RegisterModel');
    const containers = (register?.Arguments?.InferenceSpecification as { Containers?: { ModelDataUrl?: unknown }[] } | undefined)?.Containers ?? [];
    return containers.map((container) => ({ from: `pipeline ${template.pathOf(pipeline.logicalId)} (${register?.Name})`, modelDataUrl: String(values.resolve(container.ModelDataUrl)) }));
  });
}

function stepHandoffs(template: ResolvedTemplate, step: PipelineStep, values: PipelineValues, pipelineRole: string, from: string): Handoff[] {
  if (step.Type === 'Tuning') return tuningHandoffs(template, step, values, pipelineRole, from);
  if (step.Type === 'Lambda') return lambdaHandoffs(template, step, values, pipelineRole, from);
  return jobHandoffs(template, step, values, pipelineRole, from, `pipelines-${EXECUTION_ID}-${step.Name.toLowerCase()}-0`);
}

/**
 * A Tuning step: the pipeline creates the tuning job and passes the role; SageMaker's tuning
 * service then runs training jobs of its TrainingJobDefinition, which read and write as a Training
 * step's job does.
 */
function tuningHandoffs(template: ResolvedTemplate, step: PipelineStep, values: PipelineValues, pipelineRole: string, from: string): Handoff[] {
  const definition = (step.Arguments?.TrainingJobDefinition ?? {}) as Record<string, unknown>;
  const tuningJob = template.arn('sagemaker', `hyper-parameter-tuning-job/${tuningJobName(step.Name)}`);
  const [, ...training] = jobHandoffs(template, { ...step, Type: 'Training', Arguments: definition }, values, pipelineRole, from, tuningTrainingJobName(step.Name, 0));
  return [
    {
      kind: 'pipeline starts job',
      from,
      to: `tuning job ${step.Name}`,
      requests: [
        { principal: pipelineRole, action: 'sagemaker:CreateHyperParameterTuningJob', resource: tuningJob },
        { principal: pipelineRole, action: 'sagemaker:AddTags', resource: tuningJob },
        { principal: pipelineRole, action: 'sagemaker:DescribeHyperParameterTuningJob', resource: tuningJob },
        { principal: pipelineRole, action: 'sagemaker:ListTrainingJobsForHyperParameterTuningJob', resource: tuningJob },
        { principal: pipelineRole, action: 'iam:PassRole', resource: String(definition.RoleArn), context: { 'iam:PassedToService': 'sagemaker.amazonaws.com' } },
      ],
    },
    ...training,
  ];
}

/**
 * A Lambda step: the pipeline's role invokes the function synchronously; the review gate then
 * reads the reports the earlier steps wrote (the URLs of its event) and writes its own beside them.
 */
function lambdaHandoffs(template: ResolvedTemplate, step: PipelineStep, values: PipelineValues, pipelineRole: string, from: string): Handoff[] {
  const functionArn = String(step.FunctionArn);
  const fn = template.ofType('AWS::Lambda::Function').find((candidate) => template.attribute(candidate.logicalId, 'Arn') === functionArn);
  if (!fn) throw new Error(`step ${step.Name} invokes ${functionArn}, which the template does not define`);
  const handoffs: Handoff[] = [
    {
      kind: 'pipeline invokes function',
      from: `${from} step ${step.Name}`,
      to: describeArn(template, functionArn),
      requests: [{ principal: pipelineRole, action: 'lambda:InvokeFunction', resource: functionArn }],
    },
  ];
  const role = String(fn.properties.Role);
  const args = step.Arguments ?? {};
  const url = (key: string) => String(values.resolve(args[key]));
  if (fn.metadata[HANDLER_METADATA_KEY] === 'review-gate' && args[BIAS_CONFIG_REQUEST.ACTION] === BIAS_CONFIG_REQUEST.ACTION_VALUE) {
    handoffs.push({
      kind: 'function writes reports',
      from: describeArn(template, role),
      to: `${from} step ${step.Name}`,
      requests: writeObject(template, role, `${url(BIAS_CONFIG_REQUEST.OUTPUT_URL)}/analysis_config.json`),
    });
  } else if (fn.metadata[HANDLER_METADATA_KEY] === 'review-gate') {
    const reports = [REVIEW_REQUEST.EVALUATION_REPORT_URL, REVIEW_REQUEST.BIAS_REPORT_URL].map(url).filter((value) => value.startsWith('s3://'));
    handoffs.push(
      { kind: 'function reads reports', from: `${from} step ${step.Name}`, to: describeArn(template, role), requests: reports.flatMap((report) => readObject(template, role, report)) },
      {
        kind: 'function writes reports',
        from: describeArn(template, role),
        to: `${from} step ${step.Name}`,
        requests: Object.values(REVIEW_FILES).flatMap((file) => writeObject(template, role, `${url(REVIEW_REQUEST.REVIEW_OUTPUT_URL)}/${file}`)),
      },
    );
  }
  return handoffs;
}

/** Tuning job names have at most 32 characters and prefix their training jobs' names. */
function tuningJobName(stepName: string): string {
  return `${EXECUTION_ID}-${stepName.toLowerCase()}`.slice(0, 32);
}

function tuningTrainingJobName(stepName: string, rank: number): string {
  return `${tuningJobName(stepName)}-${String(rank + 1).padStart(3, '0')}-0a1b2c3d`;
}

function jobHandoffs(template: ResolvedTemplate, step: PipelineStep, values: PipelineValues, pipelineRole: string, from: string, jobName: string): Handoff[] {
  const args = step.Arguments ?? {};
  const stepFrom = `${from} step ${step.Name}`;
  if (step.Type === 'Processing' || step.Type === 'Training') {
    const role = String(args.RoleArn);
    const job = step.Type === 'Processing' ? 'processing-job' : 'training-job';
    const create = step.Type === 'Processing' ? 'sagemaker:CreateProcessingJob' : 'sagemaker:CreateTrainingJob';
    const handoffs: Handoff[] = [
      {
        kind: 'pipeline starts job',
        from,
        to: `${step.Type.toLowerCase()} job ${step.Name}`,
        requests: [
          { principal: pipelineRole, action: create, resource: template.arn('sagemaker', `${job}/${jobName}`) },
          { principal: pipelineRole, action: 'sagemaker:AddTags', resource: template.arn('sagemaker', `${job}/${jobName}`) },
          { principal: pipelineRole, action: 'iam:PassRole', resource: role, context: { 'iam:PassedToService': 'sagemaker.amazonaws.com' } },
        ],
      },
    ];
    if (role !== pipelineRole) handoffs.push(trust(template, role));
    const reads: AccessRequest[] = [];
    const writes: AccessRequest[] = [];
    if (step.Type === 'Processing') {
      for (const input of (args.ProcessingInputs as { S3Input?: { S3Uri: unknown } }[]) ?? []) {
        if (input.S3Input) reads.push(...readObject(template, role, String(values.resolve(input.S3Input.S3Uri))));
      }
      const output = args.ProcessingOutputConfig as { KmsKeyId?: string; Outputs: { S3Output?: { S3Uri: unknown } }[] } | undefined;
      for (const out of output?.Outputs ?? []) {
        if (out.S3Output) writes.push(...writeObject(template, role, `${values.resolve(out.S3Output.S3Uri)}/output.csv`, output?.KmsKeyId));
      }
      const cluster = (args.ProcessingResources as { ClusterConfig?: { VolumeKmsKeyId?: string } })?.ClusterConfig;
      if (cluster?.VolumeKmsKeyId) writes.push(...volumeKey(role, cluster.VolumeKmsKeyId));
      writes.push(...jobLogs(template, role, 'ProcessingJobs'));
    } else {
      for (const channel of (args.InputDataConfig as { DataSource?: { S3DataSource?: { S3Uri: unknown } } }[]) ?? []) {
        const uri = channel.DataSource?.S3DataSource?.S3Uri;
        if (uri !== undefined) reads.push(...readObject(template, role, String(values.resolve(uri))));
      }
      const output = args.OutputDataConfig as { S3OutputPath: unknown; KmsKeyId?: string };
      writes.push(...writeObject(template, role, `${values.resolve(output.S3OutputPath)}/${jobName}/output/model.tar.gz`, output.KmsKeyId));
      const checkpoint = (args.CheckpointConfig as { S3Uri?: unknown } | undefined)?.S3Uri;
      if (checkpoint !== undefined) {
        const uri = `${values.resolve(checkpoint)}/checkpoint-1`;
        reads.push(...readObject(template, role, uri));
        writes.push(...writeObject(template, role, uri, output.KmsKeyId));
      }
      const resources = args.ResourceConfig as { VolumeKmsKeyId?: string };
      if (resources?.VolumeKmsKeyId) writes.push(...volumeKey(role, resources.VolumeKmsKeyId));
      writes.push(...jobLogs(template, role, 'TrainingJobs'));
      writes.push({ principal: role, action: 'cloudwatch:PutMetricData', resource: '*', context: { 'cloudwatch:namespace': '/aws/sagemaker/TrainingJobs' } });
    }
    handoffs.push({ kind: 'job reads inputs', from: stepFrom, to: describeArn(template, role), requests: reads });
    handoffs.push({ kind: 'job writes outputs', from: describeArn(template, role), to: stepFrom, requests: writes });
    return handoffs;
  }
  if (step.Type === 'RegisterModel') {
    const group = String(values.resolve(args.ModelPackageGroupName)).toLowerCase();
    return [
      {
        kind: 'pipeline registers model',
        from: stepFrom,
        to: `model package group ${group}`,
        requests: [{ principal: pipelineRole, action: 'sagemaker:CreateModelPackage', resource: template.arn('sagemaker', `model-package/${group}/1`) }],
      },
    ];
  }
  return [];
}

/** SageMaker assumes the role: its trust policy must name sagemaker.amazonaws.com. */
export function trust(template: ResolvedTemplate, roleArn: string): Handoff {
  return { kind: 'role trust', from: 'sagemaker.amazonaws.com', to: describeArn(template, roleArn), requests: [{ principal: 'sagemaker.amazonaws.com', action: 'sts:AssumeRole', resource: roleArn }] };
}

/** Reading an S3 URI (an object, or every object of a prefix), with the bucket key's Decrypt. */
export function readObject(template: ResolvedTemplate, role: string, uri: string): AccessRequest[] {
  const { bucket, key } = splitS3Uri(uri);
  const object = key === '' || key.endsWith('/') ? `${key}part-0` : /\.[a-z]+$/.test(key) ? key : `${key}/part-0`;
  const bucketArn = `arn:${template.deployment.partition}:s3:::${bucket}`;
  const prefix = object.slice(0, object.lastIndexOf('/') + 1);
  return [
    { principal: role, action: 's3:GetObject', resource: `${bucketArn}/${object}`, context: SECURE },
    { principal: role, action: 's3:ListBucket', resource: bucketArn, context: { ...SECURE, 's3:prefix': prefix } },
    ...bucketKey(template, bucket).map((keyArn) => ({ principal: role, action: 'kms:Decrypt', resource: keyArn })),
  ];
}

/** Writing an S3 object encrypted with `kmsKeyId` (or the bucket's default key). */
export function writeObject(template: ResolvedTemplate, role: string, uri: string, kmsKeyId?: string): AccessRequest[] {
  const { bucket, key } = splitS3Uri(uri);
  const keys = kmsKeyId ? [kmsKeyId] : bucketKey(template, bucket);
  return [
    { principal: role, action: 's3:PutObject', resource: `arn:${template.deployment.partition}:s3:::${bucket}/${key}`, context: SECURE },
    ...keys.flatMap((keyArn) => ['kms:GenerateDataKey', 'kms:Decrypt'].map((action) => ({ principal: role, action, resource: keyArn }))),
  ];
}

/** SageMaker attaches the key to the job's volumes through a grant created with the role. */
export function volumeKey(role: string, keyArn: string): AccessRequest[] {
  return [
    { principal: role, action: 'kms:CreateGrant', resource: keyArn, context: { 'kms:GrantIsForAWSResource': 'true' } },
    { principal: role, action: 'kms:DescribeKey', resource: keyArn },
  ];
}

export function jobLogs(template: ResolvedTemplate, role: string, group: 'ProcessingJobs' | 'TrainingJobs' | 'TransformJobs'): AccessRequest[] {
  const groupArn = template.arn('logs', `log-group:/aws/sagemaker/${group}`);
  return [
    { principal: role, action: 'logs:CreateLogGroup', resource: groupArn },
    { principal: role, action: 'logs:CreateLogStream', resource: `${groupArn}:log-stream:job/algo-1` },
    { principal: role, action: 'logs:PutLogEvents', resource: `${groupArn}:log-stream:job/algo-1` },
  ];
}

function bucketKey(template: ResolvedTemplate, bucketName: string): string[] {
  const bucket = template.findByValue(bucketName, ['AWS::S3::Bucket']);
  const rules = (bucket?.properties.BucketEncryption as { ServerSideEncryptionConfiguration?: { ServerSideEncryptionByDefault?: { KMSMasterKeyID?: string } }[] } | undefined)
    ?.ServerSideEncryptionConfiguration ?? [];
  return rules.map((rule) => rule.ServerSideEncryptionByDefault?.KMSMasterKeyID).filter((id): id is string => !!id);
}

function splitS3Uri(uri: string): { bucket: string; key: string } {
  const match = /^s3:\/\/([^/]+)\/?(.*)$/.exec(uri);
  if (!match) throw new Error(`"${uri}" is not an s3:// URI`);
  return { bucket: match[1], key: match[2] };
}

/** Values of a pipeline definition for one imagined execution, as SageMaker would resolve them. */
class PipelineValues {
  public readonly steps: PipelineStep[];
  private readonly parameters: Map<string, unknown>;

  constructor(definition: PipelineDefinition) {
    const flatten = (steps: PipelineStep[]): PipelineStep[] =>
      steps.flatMap((step) => [step, ...flatten(step.Arguments?.IfSteps ?? []), ...flatten(step.Arguments?.ElseSteps ?? [])]);
    this.steps = flatten(definition.Steps);
    this.parameters = new Map((definition.Parameters ?? []).map((p) => [p.Name, p.DefaultValue]));
  }

  public resolve(value: unknown): unknown {
    if (value === null || typeof value !== 'object') return value;
    const node = value as Record<string, unknown>;
    if (typeof node.Get === 'string') return this.get(node.Get);
    if (node['Std:Join']) {
      const { On, Values } = node['Std:Join'] as { On: string; Values: unknown[] };
      return Values.map((item) => String(this.resolve(item))).join(On);
    }
    if (node['Std:JsonGet']) return 0;
    return value;
  }

  private get(path: string): unknown {
    if (path.startsWith('Parameters.')) return this.parameters.get(path.slice('Parameters.'.length));
    if (path === 'Execution.PipelineExecutionId') return EXECUTION_ID;
    if (path.startsWith('Execution.')) return path;
    const output = /^Steps\.([^.]+)\.ProcessingOutputConfig\.Outputs\['([^']+)'\]\.S3Output\.S3Uri$/.exec(path);
    if (output) {
      const step = this.step(output[1]);
      const outputs = (step.Arguments?.ProcessingOutputConfig as { Outputs: { OutputName: string; S3Output: { S3Uri: unknown } }[] }).Outputs;
      const found = outputs.find((o) => o.OutputName === output[2]);
      if (!found) throw new Error(`step ${output[1]} has no output named ${output[2]}`);
      return this.resolve(found.S3Output.S3Uri);
    }
    const model = /^Steps\.([^.]+)\.ModelArtifacts\.S3ModelArtifacts$/.exec(path);
    if (model) {
      const step = this.step(model[1]);
      const outputPath = this.resolve((step.Arguments?.OutputDataConfig as { S3OutputPath: unknown }).S3OutputPath);
      return `${outputPath}/pipelines-${EXECUTION_ID}-${model[1].toLowerCase()}-0/output/model.tar.gz`;
    }
    const tuned = /^Steps\.([^.]+)\.(?:TrainingJobSummaries\[(\d+)\]|BestTrainingJob)\.TrainingJobName$/.exec(path);
    if (tuned) return tuningTrainingJobName(tuned[1], Number(tuned[2] ?? 0));
    if (/^Steps\.[^.]+\.BestTrainingJob\.TunedHyperParameters\['[^']+'\]$/.test(path)) return '1';
    // A Lambda step that writes to its OutputUrl answers that folder (the BiasConfig step).
    const answered = /^Steps\.([^.]+)\.OutputParameters\['[^']+'\]$/.exec(path);
    if (answered) {
      const outputUrl = this.step(answered[1]).Arguments?.[BIAS_CONFIG_REQUEST.OUTPUT_URL];
      return outputUrl === undefined ? 'output' : `${this.resolve(outputUrl)}/`;
    }
    throw new Error(`the wiring check cannot resolve the pipeline property ${path}`);
  }

  private step(name: string): PipelineStep {
    const step = this.steps.find((s) => s.Name === name);
    if (!step) throw new Error(`the pipeline refers to step ${name}, which it does not define`);
    return step;
  }
}
