import { z } from 'zod';
import {
  INSTANCE_TYPE_PATTERN,
  INSTANCE_TYPES,
  INSTANCE_TYPES_SOURCE,
  INSTANCE_USE_JOBS,
  InstanceTypes,
  InstanceUse,
  isInstanceTypeFor,
  suggestInstanceTypes,
} from '../constructs/instance-types';
import { NAME_PREFIX_MAX_LENGTH, resourceNames, sageMakerNameProblem } from '../constructs/naming';
import { XGBOOST_OBJECTIVE_METRICS, XGBOOST_TUNABLE_HYPERPARAMETERS } from '../constructs/xgboost-tuning';
import { checkProblems, DEFAULT_REVIEW_CHECK, HEADLINE_METRIC, RISK_RATINGS } from '../lambda/review-gate/environment';
import { BIAS_METRICS, COMPARISONS, isBiasMetric, PROBLEM_TYPES } from '../lambda/shared/model-metrics';
import { firesMoreOftenThanHourly, scheduleExpressionProblem } from './schedule-expression';

/**
 * The stage configuration: one JSON file per stage in config/, validated by this schema, which is
 * the single source of truth (config/schema.json and the README reference are generated from it).
 * Only MlopsStack and the operator CLI read it; constructs take typed props.
 */

/** Retention periods CloudWatch Logs accepts (PutRetentionPolicy). */
export const LOG_RETENTION_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
] as const;

/** Memory sizes a serverless endpoint variant accepts. */
export const SERVERLESS_MEMORY_SIZES_MB = [1024, 2048, 3072, 4096, 5120, 6144] as const;

const LOWER_CASE_NAME = /^[a-z]([a-z0-9-]*[a-z0-9])?$/;

/**
 * Where the config names an instance type, and what for. The keys take any string here; whether
 * SageMaker offers it for the use is a check of the whole config (below), because
 * `additionalInstanceTypes` can allow a type newer than the SDK's list. The JSON schema lists the
 * SDK's types, for completion.
 */
const INSTANCE_TYPE_KEYS = [
  { section: 'training', key: 'processingInstanceType', use: 'processing' },
  { section: 'training', key: 'trainingInstanceType', use: 'training' },
  { section: 'endpoint', key: 'instanceType', use: 'hosting' },
  { section: 'batch', key: 'instanceType', use: 'transform' },
] as const satisfies readonly { section: string; key: string; use: InstanceUse }[];

function instanceType(use: InstanceUse) {
  return z.string().meta({ enum: [...INSTANCE_TYPES[use]] });
}

/**
 * Runs a cross-field check whenever the fields it reads (paths relative to the object checked)
 * parsed, whatever else failed: an issue at a read field, inside it or around it (the section is
 * not an object) skips the check; an unknown key elsewhere, or a bad sibling, does not.
 */
function whenParsed(...reads: string[]): z.core.$ZodSuperRefineParams {
  const paths = reads.map((read) => read.split('.'));
  const overlaps = (a: readonly PropertyKey[], b: readonly PropertyKey[]) => a.slice(0, b.length).every((key, i) => key === b[i]) || b.slice(0, a.length).every((key, i) => key === a[i]);
  return {
    when: (payload) =>
      payload.value !== null &&
      typeof payload.value === 'object' &&
      !payload.issues.some((issue) => issue.code !== 'unrecognized_keys' && paths.some((path) => overlaps(issue.path ?? [], path))),
  };
}

function count(description: string, max: number, defaultValue: number) {
  return z
    .number()
    .int({ error: 'a whole number' })
    .min(1, { error: `at least 1` })
    .max(max, { error: `at most ${max}` })
    .default(defaultValue)
    .describe(description);
}

function percent(description: string, defaultValue: number) {
  return z
    .number()
    .min(0, { error: 'a percentage from 0 to 100' })
    .max(100, { error: 'a percentage from 0 to 100' })
    .default(defaultValue)
    .describe(description);
}

const scheduleExpression = z.string().superRefine((expression, ctx) => {
  const problem = scheduleExpressionProblem(expression);
  if (problem) ctx.addIssue({ code: 'custom', message: `an EventBridge schedule expression: ${problem}` });
});

const emails = z.array(z.email({ error: 'an email address' })).default([]);

const storageConfig = z
  .strictObject({
    noncurrentVersionExpirationDays: count(
      'Days S3 keeps a noncurrent (overwritten or deleted) object version before expiring it.',
      3650,
      90,
    ),
    accessLogExpirationDays: count('Days the server access logs of the buckets are kept.', 3650, 365),
  })
  .describe('Buckets and their life cycle.');

const TUNABLE = Object.keys(XGBOOST_TUNABLE_HYPERPARAMETERS);
const OBJECTIVE_METRICS = [...new Set(Object.values(XGBOOST_OBJECTIVE_METRICS).flatMap((metrics) => Object.keys(metrics)))] as [string, ...string[]];

const numericRange = z
  .strictObject({
    min: z.number({ error: 'a number' }).describe('Smallest value tried.'),
    max: z.number({ error: 'a number' }).describe('Largest value tried.'),
    scaling: z
      .enum(['Auto', 'Linear', 'Logarithmic', 'ReverseLogarithmic'], { error: 'Auto, Linear, Logarithmic or ReverseLogarithmic' })
      .default('Auto')
      .describe('How values are spread between min and max.'),
  })
  .describe('A numeric range: min and max, optionally scaling.');
const categoricalRange = z
  .strictObject({
    values: z.array(z.string(), { error: 'a list of strings' }).min(1, { error: 'at least one value' }).max(30, { error: 'at most 30 values' }).describe('Values tried.'),
  })
  .describe('A categorical range: the values tried.');

const tuningConfig = z
  .strictObject({
    enabled: z.boolean().default(false).describe('Tune the hyperparameters (a Tuning step of several training jobs) instead of one training job.'),
    strategy: z
      .enum(['Bayesian', 'Random', 'Hyperband', 'Grid'], { error: 'Bayesian, Random, Hyperband or Grid' })
      .default('Bayesian')
      .describe('Search strategy; Grid takes categorical ranges only.'),
    maxJobs: count('Training jobs of one tuning run in all.', 500, 10),
    maxParallelJobs: count('Training jobs of one tuning run at a time; at most maxJobs.', 100, 2),
    objectiveMetric: z
      .enum(OBJECTIVE_METRICS, { error: `one of ${OBJECTIVE_METRICS.join(', ')} (what built-in XGBoost emits)` })
      .optional()
      .describe(
        `Metric the jobs are ranked by; it also sets the eval_metric hyperparameter, so the algorithm emits it. Default by training.problemType: ${Object.entries(XGBOOST_OBJECTIVE_METRICS)
          .map(([type, metrics]) => `${type} ${Object.keys(metrics)[0]}`)
          .join(', ')}.`,
      ),
    earlyStopping: z.boolean().default(false).describe('Stop jobs unlikely to beat the best so far (not with Hyperband).'),
    ranges: z
      .record(z.string(), z.union([numericRange, categoricalRange], { error: '{ "min", "max" } or { "values" }' }))
      .default({ eta: { min: 0.1, max: 0.5, scaling: 'Auto' }, max_depth: { min: 3, max: 8, scaling: 'Auto' } })
      .describe(`Hyperparameters to tune (${TUNABLE.join(', ')}), each { "min", "max", "scaling"? } or { "values": [...] }.`),
  })
  .superRefine((tuning, ctx) => {
    if (tuning.maxParallelJobs > tuning.maxJobs) {
      ctx.addIssue({ code: 'custom', path: ['maxParallelJobs'], message: `at most maxJobs (${tuning.maxJobs})` });
    }
    const entries = Object.entries(tuning.ranges);
    if (tuning.enabled && entries.length === 0) ctx.addIssue({ code: 'custom', path: ['ranges'], message: 'at least one range when enabled is true' });
    for (const [name, range] of entries) {
      const domain = XGBOOST_TUNABLE_HYPERPARAMETERS[name];
      if (!domain) {
        ctx.addIssue({ code: 'custom', path: ['ranges', name], message: `a tunable XGBoost hyperparameter: ${TUNABLE.join(', ')}` });
        continue;
      }
      if ('values' in range) continue;
      if (tuning.strategy === 'Grid') {
        ctx.addIssue({ code: 'custom', path: ['ranges', name], message: 'a { "values" } range: strategy Grid searches categorical ranges only' });
      }
      if (!(range.min < range.max)) ctx.addIssue({ code: 'custom', path: ['ranges', name, 'min'], message: `below max (${range.max})` });
      if (domain.kind === 'integer' && !(Number.isInteger(range.min) && Number.isInteger(range.max))) {
        ctx.addIssue({ code: 'custom', path: ['ranges', name], message: `whole numbers: ${name} is an integer hyperparameter` });
      }
      const belowMin = domain.minExclusive ? range.min <= domain.min : range.min < domain.min;
      if (belowMin || range.max > domain.max) {
        const lower = domain.minExclusive ? `above ${domain.min}` : `at least ${domain.min}`;
        ctx.addIssue({ code: 'custom', path: ['ranges', name], message: `within what XGBoost accepts for ${name}: ${lower}${domain.max < Number.MAX_SAFE_INTEGER ? ` and at most ${domain.max}` : ''}` });
      }
    }
    if (tuning.strategy === 'Hyperband' && 'num_round' in tuning.ranges) {
      ctx.addIssue({ code: 'custom', path: ['ranges', 'num_round'], message: 'no num_round range with strategy Hyperband, which sets the rounds itself (they are its resource)' });
    }
    if (tuning.strategy === 'Hyperband' && tuning.earlyStopping) {
      ctx.addIssue({ code: 'custom', path: ['earlyStopping'], message: 'false with strategy Hyperband, which stops jobs itself' });
    }
  }, whenParsed('maxJobs', 'maxParallelJobs', 'ranges', 'strategy', 'earlyStopping', 'enabled'))
  .describe('Hyperparameter tuning of the built-in XGBoost algorithm (https://docs.aws.amazon.com/sagemaker/latest/dg/xgboost-tuning.html).');

const trainingConfig = z
  .strictObject({
    processingInstanceType: instanceType('processing')
      .default('ml.m5.large')
      .describe('Instance type of the feature-processing and evaluation jobs.'),
    processingInstanceCount: count(
      'Instances of the feature-processing job; raw files are sharded across them when above 1.',
      100,
      1,
    ),
    trainingInstanceType: instanceType('training')
      .default('ml.m5.xlarge')
      .describe('Instance type of the training job.'),
    trainingInstanceCount: count('Instances of the training job; above 1 trains distributed.', 100, 1),
    maxRuntimeMinutes: count('Longest a training job may run before SageMaker stops it.', 40320, 60),
    useSpotInstances: z
      .boolean()
      .default(false)
      .describe('Train on managed spot capacity with checkpoints in the artifacts bucket (up to 90% cheaper).'),
    maxWaitMinutes: count(
      'With spot training: longest to wait for spot capacity plus run time; at least maxRuntimeMinutes.',
      40320,
      120,
    ),
    problemType: z
      .enum(PROBLEM_TYPES, { error: PROBLEM_TYPES.join(', ') })
      .default('binary')
      .describe('What the model predicts: binary (probability of class 1), multiclass (class index 0..numClasses-1) or regression (a value); sets the XGBoost objective, the evaluation metrics and what review.checks may check.'),
    numClasses: z
      .number()
      .int({ error: 'a whole number' })
      .min(3, { error: 'at least 3 (two classes: problemType binary)' })
      .max(1000, { error: 'at most 1000' })
      .optional()
      .describe('Classes of a multiclass model; required with problemType multiclass, refused otherwise.'),
    labelColumn: z
      .string()
      .regex(/^[A-Za-z_][A-Za-z0-9_ -]{0,127}$/, { error: 'a column name: letters, digits, spaces, underscores and hyphens, starting with a letter or underscore' })
      .default('churn')
      .describe('The label column of the raw CSV data.'),
    tuning: tuningConfig.prefault({}),
  })
  .superRefine((training, ctx) => {
    if (training.problemType === 'multiclass' && training.numClasses === undefined) {
      ctx.addIssue({ code: 'custom', path: ['numClasses'], message: 'a whole number of at least 3 with problemType multiclass' });
    }
    if (training.problemType !== 'multiclass' && training.numClasses !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['numClasses'], message: `no value with problemType ${training.problemType} (it applies to multiclass only)` });
    }
    const objective = training.tuning.objectiveMetric;
    const allowed = Object.keys(XGBOOST_OBJECTIVE_METRICS[training.problemType]);
    if (objective !== undefined && !allowed.includes(objective)) {
      ctx.addIssue({ code: 'custom', path: ['tuning', 'objectiveMetric'], message: `one of ${allowed.join(', ')} (what built-in XGBoost emits for problemType ${training.problemType})` });
    }
  }, whenParsed('problemType', 'numClasses', 'tuning.objectiveMetric'))
  .superRefine((training, ctx) => {
    if (training.useSpotInstances && training.maxWaitMinutes < training.maxRuntimeMinutes) {
      ctx.addIssue({
        code: 'custom',
        path: ['maxWaitMinutes'],
        message: `at least maxRuntimeMinutes (${training.maxRuntimeMinutes}) when useSpotInstances is true`,
      });
    }
  }, whenParsed('useSpotInstances', 'maxWaitMinutes', 'maxRuntimeMinutes'))
  .describe('The SageMaker pipeline: what it learns, feature processing, training and tuning.');

const reviewCheck = z
  .strictObject({
    metric: z.string({ error: 'a metric name' }).describe('A metric of training.problemType (auc, rmse, ...) or a bias metric (CI, DPL, ...) of review.bias.'),
    threshold: z.number({ error: 'a finite number' }).describe('The value the metric is compared with.'),
    comparison: z
      .enum(COMPARISONS, { error: COMPARISONS.join(', ') })
      .optional()
      .describe('Default: the metric\'s good direction, >= for metrics better higher (auc, r2), <= for metrics better lower (rmse, mae) and for bias metrics (|value| <= threshold). > and < make the bound strict; the other direction is refused.'),
  })
  .describe('One check of the review gate.');

const biasConfig = z
  .strictObject({
    facet: z.string().min(1, { error: 'a column name' }).describe('Column of the sensitive attribute in the raw data, such as age.'),
    facetValues: z
      .array(z.union([z.string(), z.number()], { error: 'a string or a number' }))
      .min(1, { error: 'at least one value' })
      .describe('Facet values of the sensitive group; one number is a threshold (values above it).'),
    labelValues: z
      .array(z.union([z.string(), z.number()], { error: 'a string or a number' }))
      .min(1, { error: 'at least one value' })
      .default([1])
      .describe('Label values of the positive outcome; one number is a threshold.'),
    metrics: z
      .array(z.enum(BIAS_METRICS, { error: BIAS_METRICS.join(', ') }))
      .min(1, { error: 'at least one metric' })
      .default(['CI', 'DPL'])
      .describe(`Pre-training bias metrics SageMaker Clarify computes (${BIAS_METRICS.join(', ')}).`),
  })
  .describe('A pre-training bias report (SageMaker Clarify) registered with each model; its metrics can be checked in review.checks.');

const reviewConfig = z
  .strictObject({
    checks: z
      .array(reviewCheck)
      .default([DEFAULT_REVIEW_CHECK])
      .describe('Checks that must all hold for a model to be registered, such as [{ "metric": "rmse", "threshold": 5.0 }]. The first names a model metric: the champion check uses it and the MetricThreshold pipeline parameter overrides its threshold.'),
    championMargin: z
      .number({ error: 'a number' })
      .min(0, { error: 'at least 0' })
      .optional()
      .describe('The candidate may be worse than the newest approved model by at most this much on the first check\'s metric (read from its registered evaluation report); unset: no champion check. A first model passes.'),
    bias: biasConfig.optional(),
    modelCard: z
      .strictObject({
        intendedUse: z.string().max(2048, { error: 'at most 2048 characters' }).default('').describe('What the model is for and what not, on every model card.'),
        riskRating: z.enum(RISK_RATINGS, { error: RISK_RATINGS.join(', ') }).default('Unknown').describe('The model card\'s risk rating.'),
      })
      .prefault({})
      .describe('The model card every registered package carries.'),
  })
  .describe('The review gate between evaluation and registration, and what each registered model records.');

const approvalConfig = z
  .strictObject({
    mode: z
      .enum(['manual', 'auto'], { error: 'manual or auto' })
      .default('manual')
      .describe('manual registers packages as PendingManualApproval; auto registers them Approved.'),
    approverEmails: emails.describe('Who is told about each package waiting for approval.'),
  })
  .describe('Model registry approval.');

const endpointConfig = z
  .strictObject({
    variant: z
      .enum(['serverless', 'instance'], { error: 'serverless or instance' })
      .default('serverless')
      .describe('serverless costs nothing while idle; instance serves on dedicated instances with blue/green.'),
    instanceType: instanceType('hosting')
      .default('ml.m5.large')
      .describe('Instance type of an instance variant.'),
    instanceCount: count('Initial instances of an instance variant; use at least 2 in production.', 100, 2),
    minCapacity: count('Autoscaling minimum instances of an instance variant.', 100, 2),
    maxCapacity: count('Autoscaling maximum instances of an instance variant.', 100, 4),
    targetInvocationsPerInstance: count('Autoscaling target of invocations per instance per minute.', 100000, 100),
    serverlessMemorySizeMb: z
      .literal(SERVERLESS_MEMORY_SIZES_MB, { error: `one of ${SERVERLESS_MEMORY_SIZES_MB.join(', ')}` })
      .default(2048)
      .describe('Memory of a serverless variant, in MB.'),
    serverlessMaxConcurrency: count('Concurrent invocations a serverless variant serves.', 200, 5),
    dataCapturePercent: z
      .number()
      .int({ error: 'a whole percentage from 1 to 100' })
      .min(1, { error: 'a whole percentage from 1 to 100' })
      .max(100, { error: 'a whole percentage from 1 to 100' })
      .default(100)
      .describe('Share of requests and responses of an instance variant captured to capture/ for Model Monitor (serverless variants cannot capture).'),
    deploymentStrategy: z
      .enum(['all-at-once', 'canary', 'linear'], { error: 'all-at-once, canary or linear' })
      .default('canary')
      .describe('Blue/green traffic shifting of instance variants (serverless variants update in place).'),
    trafficStepPercent: percent('Canary size (1-50) or linear step (10-50), as a share of capacity.', 10),
    deploymentWaitMinutes: count('Minutes between traffic shifts while rollback alarms are watched.', 60, 10),
  })
  .superRefine((endpoint, ctx) => {
    if (endpoint.minCapacity > endpoint.maxCapacity) {
      ctx.addIssue({
        code: 'custom',
        path: ['maxCapacity'],
        message: `at least minCapacity (${endpoint.minCapacity})`,
      });
    }
  }, whenParsed('minCapacity', 'maxCapacity'))
  // Runs only once the range itself is sound: an issue on maxCapacity (above) skips it.
  .superRefine((endpoint, ctx) => {
    if (endpoint.instanceCount < endpoint.minCapacity || endpoint.instanceCount > endpoint.maxCapacity) {
      ctx.addIssue({
        code: 'custom',
        path: ['instanceCount'],
        message: `from minCapacity to maxCapacity (${endpoint.minCapacity}-${endpoint.maxCapacity})`,
      });
    }
  }, whenParsed('instanceCount', 'minCapacity', 'maxCapacity'))
  .superRefine((endpoint, ctx) => {
    // SageMaker's blue/green limits: CanarySize and LinearStepSize as a capacity percentage.
    const [low, high] = endpoint.deploymentStrategy === 'linear' ? [10, 50] : [1, 50];
    if (endpoint.deploymentStrategy !== 'all-at-once' && !(Number.isInteger(endpoint.trafficStepPercent) && endpoint.trafficStepPercent >= low && endpoint.trafficStepPercent <= high)) {
      ctx.addIssue({
        code: 'custom',
        path: ['trafficStepPercent'],
        message: `a whole percentage from ${low} to ${high} for the ${endpoint.deploymentStrategy} strategy`,
      });
    }
  }, whenParsed('deploymentStrategy', 'trafficStepPercent'))
  .describe('The real-time inference endpoint the deployer keeps on the newest approved model.');

const explorationConfig = z
  .strictObject({
    studio: z
      .strictObject({
        vpcId: z.string().regex(/^vpc-[0-9a-f]{8,17}$/, { error: 'a VPC id such as vpc-0123456789abcdef0' }).describe('VPC of the Studio domain (VPC-only network access).'),
        subnetIds: z
          .array(z.string().regex(/^subnet-[0-9a-f]{8,17}$/, { error: 'a subnet id such as subnet-0123456789abcdef0' }))
          .min(1, { error: 'at least one subnet' })
          .max(16, { error: 'at most 16 subnets' })
          .describe('Private subnets of that VPC the domain uses.'),
        userProfiles: z
          .array(z.string().regex(/^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$/, { error: 'a user profile name: 1-63 letters, digits and hyphens' }))
          .min(1, { error: 'at least one user profile' })
          .describe('Studio user profiles; each may read the data bucket and start the pipeline, none may approve models.'),
        idleTimeoutMinutes: z
          .number()
          .int({ error: 'a whole number' })
          .min(60, { error: 'at least 60 (SageMaker\'s minimum)' })
          .max(525600, { error: 'at most 525600' })
          .default(60)
          .describe('Minutes after which an idle JupyterLab or Code Editor app shuts down.'),
      })
      .optional()
      .describe('An optional SageMaker Studio domain for exploration (off unless given); the VPC and subnets are stated, never looked up.'),
  })
  .describe('Exploratory data analysis beyond the data profile every run writes.');

const monitoringConfig = z
  .strictObject({
    alarmEmails: emails.describe('Who is told when an alarm fires or a pipeline run fails.'),
    serverErrorRatePercent: percent('Alarm when this share of invocations fails with 5xx.', 5),
    latencyP99Millis: count('Alarm when p99 model latency exceeds this many milliseconds.', 600000, 1000),
    dataQualitySchedule: z
      .enum(['hourly', 'daily'], { error: 'hourly or daily' })
      .default('daily')
      .describe('How often Model Monitor checks captured data against the training baseline.'),
    modelQuality: z
      .boolean()
      .default(true)
      .describe('Model Monitor model quality on instance endpoints: captured predictions against the ground truth users upload under ground-truth/, alarmed at review.checks[0] (serverless endpoints capture nothing, so they have none).'),
    modelQualitySchedule: z
      .enum(['hourly', 'daily'], { error: 'hourly or daily' })
      .default('daily')
      .describe('How often Model Monitor measures model quality against the uploaded ground truth.'),
    groundTruthDelayHours: z
      .number()
      .int({ error: 'a whole number of hours' })
      .min(0, { error: 'at least 0' })
      .max(720, { error: 'at most 720 (30 days)' })
      .default(24)
      .describe('How late ground truth arrives: each model-quality run evaluates the predictions of the schedule period that ended this many hours before it.'),
  })
  .describe('Dashboard, alarms and Model Monitor.');

const retrainingConfig = z
  .strictObject({
    schedule: scheduleExpression
      .default('rate(7 days)')
      .describe('EventBridge schedule that starts retraining: rate(...) or cron(...).'),
    allowSubHourlySchedule: z
      .boolean()
      .default(false)
      .describe('Allow a schedule that fires more often than hourly (each run costs training time).'),
    onNewData: z.boolean().default(false).describe('Retrain when objects arrive under raw/ in the data bucket.'),
    newDataDebounceMinutes: count('New-data events inside one window of this length start one run.', 1440, 60),
    onDrift: z.boolean().default(false).describe('Retrain when the Model Monitor drift alarm fires.'),
    onModelQualityDrop: z
      .boolean()
      .default(false)
      .describe('Retrain when the model-quality alarm fires (the metric of review.checks[0] measured against uploaded ground truth crossed its threshold).'),
    cooldownMinutes: count('Least time between two retraining starts.', 10080, 360),
  })
  .superRefine((retraining, ctx) => {
    if (!retraining.allowSubHourlySchedule && firesMoreOftenThanHourly(retraining.schedule)) {
      ctx.addIssue({
        code: 'custom',
        path: ['schedule'],
        message: 'a schedule at most hourly; set retraining.allowSubHourlySchedule to true to retrain more often',
      });
    }
  }, whenParsed('allowSubHourlySchedule', 'schedule'))
  .describe('When the pipeline runs again by itself, through the retraining governor.');

const batchConfig = z
  .strictObject({
    enabled: z
      .boolean()
      .default(false)
      .describe('Score CSV files put under batch/input/ of the data bucket with the newest approved model (batch transform); outputs go to batch/output/<job>/.'),
    schedule: scheduleExpression
      .optional()
      .describe('EventBridge schedule that scores every file under batch/input/ no job has scored yet: rate(...) or cron(...). Default: none.'),
    onNewInput: z.boolean().default(true).describe('Score each file when it arrives under batch/input/.'),
    instanceType: instanceType('transform').default('ml.m5.large').describe('Instance type of the batch transform jobs.'),
    instanceCount: count('Instances of each batch transform job.', 100, 1),
    maxPayloadMb: z
      .number()
      .int({ error: 'a whole number of MB from 0 to 100' })
      .min(0, { error: 'a whole number of MB from 0 to 100' })
      .max(100, { error: "a whole number of MB from 0 to 100 (SageMaker's MaxPayloadInMB)" })
      .default(6)
      .describe('Largest request a job sends the model, in MB (SageMaker allows 0-100; 0 streams, which the built-in algorithms do not support).'),
    splitType: z
      .enum(['Line', 'None'], { error: 'Line or None' })
      .default('Line')
      .describe('Line sends the lines of a file in mini-batches; None sends each file as one request.'),
  })
  .superRefine((batch, ctx) => {
    if (batch.enabled && !batch.onNewInput && batch.schedule === undefined) {
      ctx.addIssue({ code: 'custom', path: ['onNewInput'], message: 'true, or a batch.schedule, when batch.enabled is true: with neither, no batch job ever starts' });
    }
  }, whenParsed('enabled', 'onNewInput', 'schedule'))
  .describe('Batch inference of files under batch/input/ with the model the endpoint serves (off by default).');

/** The schema of one stage's config file. */
export const stageConfigSchema = z
  .strictObject({
    $schema: z.string().optional().describe('Path of config/schema.json, for editors.'),
    project: z
      .string()
      .regex(LOWER_CASE_NAME, { error: 'lower-case letters, digits and hyphens, starting with a letter' })
      .describe('Project name; with the stage it prefixes every SageMaker resource name.'),
    stage: z
      .string()
      .regex(LOWER_CASE_NAME, { error: 'lower-case letters, digits and hyphens, starting with a letter' })
      .describe('Stage name, such as dev, staging or prod.'),
    description: z.string().default('').describe('What this stage is for, and why its settings differ.'),
    account: z
      .string()
      .regex(/^\d{12}$/, { error: 'a 12-digit AWS account id' })
      .optional()
      .describe('AWS account to deploy to. Default: the account of the credentials cdk deploy uses.'),
    region: z
      .string()
      .regex(/^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d$/, { error: 'an AWS region such as us-east-1' })
      .default('us-east-1')
      .describe('AWS region to deploy to.'),
    removalPolicy: z
      .enum(['retain', 'destroy'], { error: 'retain or destroy' })
      .default('retain')
      .describe('destroy deletes buckets (with their objects) and the key with the stack; retain keeps the data.'),
    logRetentionDays: z
      .literal(LOG_RETENTION_DAYS, { error: `a CloudWatch Logs retention: one of ${LOG_RETENTION_DAYS.join(', ')}` })
      .default(365)
      .describe('Days CloudWatch keeps the logs of the functions and jobs.'),
    additionalInstanceTypes: z
      .array(z.string().regex(INSTANCE_TYPE_PATTERN, { error: 'an instance type such as ml.m5.large (ml.<family>.<size>)' }))
      .default([])
      .describe(
        `Instance types newer than ${INSTANCE_TYPES_SOURCE} lists, accepted for every use, with a synth warning at each use the SDK does not list (editors still flag them).`,
      ),
    storage: storageConfig.prefault({}),
    training: trainingConfig.prefault({}),
    review: reviewConfig.prefault({}),
    approval: approvalConfig.prefault({}),
    endpoint: endpointConfig.prefault({}),
    batch: batchConfig.prefault({}),
    monitoring: monitoringConfig.prefault({}),
    retraining: retrainingConfig.prefault({}),
    exploration: explorationConfig.prefault({}),
  })
  .superRefine((config, ctx) => {
    for (const { section, key, use } of INSTANCE_TYPE_KEYS) {
      const value = (config[section] as Record<string, unknown> | undefined)?.[key];
      if (typeof value !== 'string' || isInstanceTypeFor(use, value)) continue;
      // Read leniently: a bad entry is a problem of its own, and must not hide this one.
      const additional: unknown[] = Array.isArray(config.additionalInstanceTypes) ? config.additionalInstanceTypes : [];
      if (additional.includes(value) && INSTANCE_TYPE_PATTERN.test(value)) continue;
      ctx.addIssue({
        code: 'custom',
        path: [section, key],
        message:
          `an instance type SageMaker supports for ${INSTANCE_USE_JOBS[use]}, such as ${suggestInstanceTypes(use, value).join(', ')} ` +
          `(config/schema.json lists the ${INSTANCE_TYPES[use].length} that ${INSTANCE_TYPES_SOURCE} knows); ` +
          'for a type newer than that list, add it to additionalInstanceTypes',
      });
    }
  }, whenParsed())
  .check(
    z.superRefine((config, ctx) => {
      const prefix = resourceNames(config.project, config.stage).prefix;
      if (prefix.length > NAME_PREFIX_MAX_LENGTH) {
        ctx.addIssue({
          code: 'custom',
          path: ['project'],
          input: config.project,
          message:
            `project and stage together ("${prefix}", ${prefix.length} characters) at most ` +
            `${NAME_PREFIX_MAX_LENGTH} characters, so every SageMaker name derived from them fits 63`,
        });
        return;
      }
      for (const [resource, name] of Object.entries(resourceNames(config.project, config.stage))) {
        const problem = sageMakerNameProblem(name);
        if (problem) {
          ctx.addIssue({ code: 'custom', path: ['project'], input: config.project, message: `${resource} name "${name}": ${problem}` });
        }
      }
    }, whenParsed('project', 'stage')),
  )
  .check(
    z.superRefine(
      (config, ctx) => {
        if (config.retraining.onDrift && config.endpoint.variant === 'serverless') {
          ctx.addIssue({
            code: 'custom',
            path: ['retraining', 'onDrift'],
            message: 'false with a serverless endpoint: serverless endpoints capture no data, so Model Monitor finds no drift; use endpoint.variant "instance"',
          });
        }
      },
      whenParsed('retraining.onDrift', 'endpoint.variant'),
    ),
  )
  .check(
    z.superRefine(
      (config, ctx) => {
        if (!config.retraining.onModelQualityDrop) return;
        if (config.endpoint.variant === 'serverless') {
          ctx.addIssue({
            code: 'custom',
            path: ['retraining', 'onModelQualityDrop'],
            message: 'false with a serverless endpoint: serverless endpoints capture no predictions, so Model Monitor measures no model quality; use endpoint.variant "instance"',
          });
        } else if (!config.monitoring.modelQuality) {
          ctx.addIssue({ code: 'custom', path: ['retraining', 'onModelQualityDrop'], message: 'false while monitoring.modelQuality is false: there is no model-quality alarm to retrain on' });
        }
      },
      whenParsed('retraining.onModelQualityDrop', 'endpoint.variant', 'monitoring.modelQuality'),
    ),
  )
  .check(
    z.superRefine(
      (config, ctx) => {
        const { problemType } = config.training;
        const { checks, bias } = config.review;
        const [first] = checks;
        const defaulted = checks.length === 1 && first.metric === DEFAULT_REVIEW_CHECK.metric && first.threshold === DEFAULT_REVIEW_CHECK.threshold && first.comparison === undefined;
        if (defaulted && problemType !== 'binary') {
          ctx.addIssue({
            code: 'custom',
            path: ['review', 'checks'],
            message: `checks of a ${problemType} model, such as [{ "metric": "${HEADLINE_METRIC[problemType]}", "threshold": ... }]: the default check (auc >= 0.75) is a binary metric`,
          });
          return;
        }
        for (const problem of checkProblems(problemType, checks, bias !== undefined)) {
          ctx.addIssue({ code: 'custom', path: ['review', 'checks', ...problem.path], message: problem.expected });
        }
        for (const [index, check] of checks.entries()) {
          if (isBiasMetric(check.metric) && bias && !bias.metrics.includes(check.metric)) {
            ctx.addIssue({ code: 'custom', path: ['review', 'checks', index, 'metric'], message: `a metric review.bias.metrics computes (${bias.metrics.join(', ')}), or add ${check.metric} there` });
          }
        }
      },
      whenParsed('training.problemType', 'review.checks', 'review.bias'),
    ),
  )
  .describe('One stage of a cdk-mlops environment.');

/** A validated stage config with every default filled in. */
export type StageConfig = z.output<typeof stageConfigSchema>;
/** What a stage config file may contain (defaults optional). */
export type StageConfigInput = z.input<typeof stageConfigSchema>;

/**
 * `config` ready for synth: each instance type that only `additionalInstanceTypes` allows (the SDK
 * does not list it for its use) wrapped in `InstanceTypes.unlisted`, so the constructs accept it and
 * warn at each use. The stage config itself stays plain JSON; apply this where it becomes a stack.
 */
export function withAdditionalInstanceTypesAllowed(config: StageConfig): StageConfig {
  const allowed = (use: InstanceUse, value: string) =>
    !isInstanceTypeFor(use, value) && config.additionalInstanceTypes.includes(value) ? InstanceTypes.unlisted(value) : value;
  return {
    ...config,
    training: {
      ...config.training,
      processingInstanceType: allowed('processing', config.training.processingInstanceType),
      trainingInstanceType: allowed('training', config.training.trainingInstanceType),
    },
    endpoint: { ...config.endpoint, instanceType: allowed('hosting', config.endpoint.instanceType) },
    batch: { ...config.batch, instanceType: allowed('transform', config.batch.instanceType) },
  };
}
