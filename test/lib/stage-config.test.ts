import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InstanceTypes } from '../../constructs/instance-types';
import { ConfigError, DEFAULT_CONFIG_DIR, knownStages, loadStageConfig, parseJsonText, parseStageConfig } from '../../lib/config-loader';
import { StageConfigInput, withAdditionalInstanceTypesAllowed } from '../../lib/stage-config';

const MINIMAL: StageConfigInput = { project: 'churn', stage: 'dev' };

/** `MINIMAL` with the top-level keys of `patch` added or replaced. */
function withPatch(patch: Record<string, unknown>): Record<string, unknown> {
  return { ...MINIMAL, ...patch };
}

function problemsOf(raw: unknown): readonly string[] {
  try {
    parseStageConfig(raw, 'test.json');
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error('expected the config to be rejected');
}

describe('stage config', () => {
  test('fills every default from a minimal file', () => {
    // WHEN
    const config = parseStageConfig(MINIMAL);
    // THEN
    expect(config).toMatchObject({
      region: 'us-east-1',
      removalPolicy: 'retain',
      logRetentionDays: 365,
      training: { trainingInstanceType: 'ml.m5.xlarge', trainingInstanceCount: 1, problemType: 'binary', labelColumn: 'churn' },
      review: { checks: [{ metric: 'auc', threshold: 0.75 }], modelCard: { intendedUse: '', riskRating: 'Unknown' } },
      approval: { mode: 'manual', approverEmails: [] },
      endpoint: { variant: 'serverless', deploymentStrategy: 'canary', dataCapturePercent: 100 },
      retraining: { schedule: 'rate(7 days)', allowSubHourlySchedule: false, onNewData: false, onDrift: false },
    });
    // Unset: a binary model, no champion check, no bias report, the problem type's default objective.
    expect(config.training.numClasses).toBeUndefined();
    expect(config.training.tuning.objectiveMetric).toBeUndefined();
    expect(config.review.championMargin).toBeUndefined();
    expect(config.review.bias).toBeUndefined();
  });

  test.each(['dev', 'staging', 'prod'])('the committed %s config is valid', (stage) => {
    expect(loadStageConfig({ stage }).stage).toBe(stage);
  });

  test('dev is cheap and disposable, prod is safe', () => {
    const dev = loadStageConfig({ stage: 'dev' });
    const prod = loadStageConfig({ stage: 'prod' });
    expect(dev).toMatchObject({ removalPolicy: 'destroy', approval: { mode: 'auto' }, endpoint: { variant: 'serverless' } });
    expect(prod).toMatchObject({
      removalPolicy: 'retain',
      approval: { mode: 'manual' },
      endpoint: { variant: 'instance', deploymentStrategy: 'canary' },
    });
    expect(prod.endpoint.instanceCount).toBeGreaterThanOrEqual(2);
    expect(prod.endpoint.minCapacity).toBeGreaterThanOrEqual(2);
  });

  test('knownStages lists the stage files, not the schema', () => {
    expect(knownStages()).toEqual(['dev', 'prod', 'staging']);
  });

  test.each([
    ['unknown top-level key', { extra: true }, /^extra: unknown key/],
    ['unknown nested key (typo)', { training: { metricThreshhold: 0.8 } }, /^training\.metricThreshhold: unknown key/],
    ['missing project', { project: undefined }, /^project: received nothing; expected a value \(string\); this key is required/],
    ['project with upper case', { project: 'Churn' }, /^project: received "Churn"; expected lower-case letters/],
    ['stage with underscore', { stage: 'pre_prod' }, /^stage: received "pre_prod"; expected lower-case letters/],
    [
      'project and stage too long once prefixed',
      { project: 'customer-churn-prediction-model', stage: 'production' },
      /^project: received "customer-churn-prediction-model"; expected project and stage together \("customer-churn-prediction-model-production", 42 characters\) at most 32/,
    ],
    ['project of wrong type', { project: 42 }, /^project: received 42; expected a string/],
    ['bad account id', { account: '1234' }, /^account: received "1234"; expected a 12-digit AWS account id/],
    ['bad region', { region: 'eu-central' }, /^region: received "eu-central"; expected an AWS region such as us-east-1/],
    ['unknown removal policy', { removalPolicy: 'snapshot' }, /^removalPolicy: received "snapshot"; expected retain or destroy/],
    ['log retention CloudWatch rejects', { logRetentionDays: 31 }, /^logRetentionDays: received 31; expected a CloudWatch Logs retention: one of 1, 3, 5/],
    [
      'training-only type used for processing',
      { training: { processingInstanceType: 'ml.p4d.24xlarge' } },
      /^training\.processingInstanceType: received "ml\.p4d\.24xlarge"; expected an instance type SageMaker supports for processing jobs/,
    ],
    [
      'hosting-only type used for training',
      { training: { trainingInstanceType: 'ml.c6i.large' } },
      /^training\.trainingInstanceType: received "ml\.c6i\.large"; expected an instance type SageMaker supports for training jobs, such as ml\.c6i\.xlarge, ml\.c6i\.2xlarge, ml\.c6i\.4xlarge \(config\/schema\.json lists the \d+ that @aws-sdk\/client-sagemaker [\d.]+ knows\); for a type newer than that list, add it to additionalInstanceTypes$/,
    ],
    [
      'EC2 type without the ml. prefix for hosting',
      { endpoint: { instanceType: 'm5.large' } },
      /^endpoint\.instanceType: received "m5\.large"; expected an instance type SageMaker supports for endpoints \(hosting\), such as ml\.m5\.large/,
    ],
    [
      'type newer than the SDK without additionalInstanceTypes',
      { endpoint: { instanceType: 'ml.x9.large' } },
      /^endpoint\.instanceType: received "ml\.x9\.large"; expected an instance type SageMaker supports for endpoints \(hosting\).*add it to additionalInstanceTypes$/,
    ],
    [
      'additional instance type of the wrong shape',
      { additionalInstanceTypes: ['x9.large'] },
      /^additionalInstanceTypes\[0\]: received "x9\.large"; expected an instance type such as ml\.m5\.large \(ml\.<family>\.<size>\)$/,
    ],
    ['instance count 0', { training: { trainingInstanceCount: 0 } }, /^training\.trainingInstanceCount: received 0; expected at least 1/],
    ['fractional instance count', { endpoint: { instanceCount: 1.5 } }, /^endpoint\.instanceCount: received 1\.5; expected a whole number/],
    ['percentage above 100', { endpoint: { dataCapturePercent: 150 } }, /^endpoint\.dataCapturePercent: received 150; expected a whole percentage from 1 to 100/],
    ['negative percentage', { monitoring: { serverErrorRatePercent: -1 } }, /^monitoring\.serverErrorRatePercent: received -1; expected a percentage from 0 to 100/],
    // JSON.parse turns 1e999 into Infinity: the only way a non-finite number reaches the schema.
    [
      'infinite threshold',
      { review: { checks: [{ metric: 'auc', threshold: JSON.parse('1e999') }] } },
      /^review\.checks\[0\]\.threshold: received Infinity; expected a finite number$/,
    ],
    ['threshold as a string', { review: { checks: [{ metric: 'auc', threshold: '0.8' }] } }, /^review\.checks\[0\]\.threshold: received "0\.8"; expected a finite number$/],
    [
      'a metric of another problem type',
      { review: { checks: [{ metric: 'rmse', threshold: 5 }] } },
      /^review\.checks\[0\]\.metric: received "rmse"; expected a binary metric \(auc, accuracy, precision, recall, f0_5, f1, f2, .*, CI, DPL, KL, JS, LP, TVD, KS\)$/,
    ],
    [
      'spot max wait shorter than max runtime',
      { training: { useSpotInstances: true, maxRuntimeMinutes: 120, maxWaitMinutes: 60 } },
      /^training\.maxWaitMinutes: received 60; expected at least maxRuntimeMinutes \(120\) when useSpotInstances is true/,
    ],
    ['rate with plural unit for 1', { retraining: { schedule: 'rate(1 days)' } }, /^retraining\.schedule: received "rate\(1 days\)"; expected an EventBridge schedule expression: "rate\(1 day\)"/],
    ['rate of zero', { retraining: { schedule: 'rate(0 hours)' } }, /^retraining\.schedule: received "rate\(0 hours\)"; expected an EventBridge schedule expression: a rate value of at least 1/],
    ['cron with five fields', { retraining: { schedule: 'cron(0 3 * * 1)' } }, /^retraining\.schedule: .*expected an EventBridge schedule expression: 6 cron fields/],
    ['cron with both day fields set', { retraining: { schedule: 'cron(0 3 1 * MON *)' } }, /^retraining\.schedule: .*exactly one of day-of-month and day-of-week to be "\?"/],
    ['cron hour out of range', { retraining: { schedule: 'cron(0 25 ? * SUN *)' } }, /^retraining\.schedule: .*hours "25" to be values 0-23/],
    ['not a schedule at all', { retraining: { schedule: 'weekly' } }, /^retraining\.schedule: received "weekly"; expected an EventBridge schedule expression: rate\(VALUE UNIT\)/],
    [
      'retraining every 15 minutes without opting in',
      { retraining: { schedule: 'rate(15 minutes)' } },
      /^retraining\.schedule: received "rate\(15 minutes\)"; expected a schedule at most hourly; set retraining\.allowSubHourlySchedule to true/,
    ],
    [
      'cron firing every 10 minutes without opting in',
      { retraining: { schedule: 'cron(0/10 * * * ? *)' } },
      /^retraining\.schedule: .*expected a schedule at most hourly/,
    ],
    ['serverless memory size not offered', { endpoint: { serverlessMemorySizeMb: 1500 } }, /^endpoint\.serverlessMemorySizeMb: received 1500; expected one of 1024, 2048/],
    ['min capacity above max capacity', { endpoint: { minCapacity: 5, maxCapacity: 3 } }, /^endpoint\.maxCapacity: received 3; expected at least minCapacity \(5\)/],
    ['canary of 0 percent', { endpoint: { deploymentStrategy: 'canary', trafficStepPercent: 0 } }, /^endpoint\.trafficStepPercent: received 0; expected a whole percentage from 1 to 50 for the canary strategy/],
    ['linear step SageMaker rejects', { endpoint: { deploymentStrategy: 'linear', trafficStepPercent: 5 } }, /^endpoint\.trafficStepPercent: received 5; expected a whole percentage from 10 to 50 for the linear strategy/],
    ['initial instances outside the autoscaling range', { endpoint: { instanceCount: 6, minCapacity: 2, maxCapacity: 4 } }, /^endpoint\.instanceCount: received 6; expected from minCapacity to maxCapacity \(2-4\)/],
    ['bad approver email', { approval: { approverEmails: ['ops at example.com'] } }, /^approval\.approverEmails\[0\]: received "ops at example\.com"; expected an email address/],
    ['drift retraining on a serverless endpoint', { retraining: { onDrift: true } }, /^retraining\.onDrift: received true; expected false with a serverless endpoint: serverless endpoints capture no data/],
    ['section of the wrong type', { monitoring: 'on' }, /^monitoring: received "on"; expected an object/],
    [
      'tuning with more parallel jobs than jobs',
      { training: { tuning: { enabled: true, maxJobs: 4, maxParallelJobs: 6 } } },
      /^training\.tuning\.maxParallelJobs: received 6; expected at most maxJobs \(4\)/,
    ],
    [
      'a tuning range whose min is not below its max',
      { training: { tuning: { enabled: true, ranges: { eta: { min: 0.5, max: 0.1 } } } } },
      /^training\.tuning\.ranges\.eta\.min: received 0\.5; expected below max \(0\.1\)/,
    ],
    [
      'tuning without ranges',
      { training: { tuning: { enabled: true, ranges: {} } } },
      /^training\.tuning\.ranges: received \{\}; expected at least one range when enabled is true/,
    ],
    [
      'a hyperparameter the algorithm does not tune',
      { training: { tuning: { enabled: true, ranges: { learning_rate: { min: 0.1, max: 0.2 } } } } },
      /^training\.tuning\.ranges\.learning_rate: .*expected a tunable XGBoost hyperparameter: alpha, /,
    ],
    [
      'an integer hyperparameter with a fractional range',
      { training: { tuning: { enabled: true, ranges: { max_depth: { min: 2.5, max: 6 } } } } },
      /^training\.tuning\.ranges\.max_depth: received .*; expected whole numbers: max_depth is an integer hyperparameter/,
    ],
    [
      'a range outside what XGBoost accepts',
      { training: { tuning: { enabled: true, ranges: { subsample: { min: 0, max: 1 } } } } },
      /^training\.tuning\.ranges\.subsample: received .*; expected within what XGBoost accepts for subsample: above 0 and at most 1/,
    ],
    [
      'Grid search over a numeric range',
      { training: { tuning: { enabled: true, strategy: 'Grid', ranges: { eta: { min: 0.1, max: 0.3 } } } } },
      /^training\.tuning\.ranges\.eta: received .*; expected a \{ "values" \} range: strategy Grid searches categorical ranges only/,
    ],
    [
      'Hyperband with a num_round range',
      { training: { tuning: { enabled: true, strategy: 'Hyperband', ranges: { num_round: { min: 50, max: 200 } } } } },
      /^training\.tuning\.ranges\.num_round: received .*; expected no num_round range with strategy Hyperband/,
    ],
    [
      'Hyperband with early stopping',
      { training: { tuning: { enabled: true, strategy: 'Hyperband', earlyStopping: true } } },
      /^training\.tuning\.earlyStopping: received true; expected false with strategy Hyperband/,
    ],
    [
      'an objective metric the algorithm does not emit for a binary classifier',
      { training: { tuning: { enabled: true, objectiveMetric: 'validation:rmse' } } },
      /^training\.tuning\.objectiveMetric: received "validation:rmse"; expected one of validation:auc, validation:accuracy, validation:aucpr, validation:error, validation:f1, validation:logloss \(what built-in XGBoost emits for problemType binary\)$/,
    ],
    ['an objective metric XGBoost does not emit at all', { training: { tuning: { enabled: true, objectiveMetric: 'validation:r2' } } }, /^training\.tuning\.objectiveMetric: received "validation:r2"; expected one of validation:auc, .*validation:rmse/],
  ])('fails when %s', (_name, patch, expected) => {
    // WHEN
    const problems = problemsOf(withPatch(patch));
    // THEN
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(expected);
  });

  test.each(['ml.p5.48xlarge', 'ml.g6.xlarge', 'ml.trn1.2xlarge'])('accepts the current hosting type %s', (instanceType) => {
    expect(parseStageConfig(withPatch({ endpoint: { variant: 'instance', instanceType } })).endpoint.instanceType).toBe(instanceType);
  });

  test('accepts a type from additionalInstanceTypes for every use, marked for a synth warning where the SDK does not list it', () => {
    // GIVEN a type newer than the SDK, and one the SDK lists for hosting but not training
    const config = parseStageConfig(
      withPatch({
        additionalInstanceTypes: ['ml.x9.large', 'ml.c6i.large'],
        training: { processingInstanceType: 'ml.x9.large', trainingInstanceType: 'ml.c6i.large' },
        endpoint: { variant: 'instance', instanceType: 'ml.c6i.large' },
      }),
    );
    // WHEN
    const synthConfig = withAdditionalInstanceTypesAllowed(config);
    // THEN the config itself stays plain; only uses the SDK does not list are marked
    expect(config.training.processingInstanceType).toBe('ml.x9.large');
    expect(InstanceTypes.unlistedTypeOf(synthConfig.training.processingInstanceType)).toBe('ml.x9.large');
    expect(InstanceTypes.unlistedTypeOf(synthConfig.training.trainingInstanceType)).toBe('ml.c6i.large');
    expect(synthConfig.endpoint.instanceType).toBe('ml.c6i.large');
    expect(withAdditionalInstanceTypesAllowed(parseStageConfig(MINIMAL))).toEqual(parseStageConfig(MINIMAL));
  });

  test.each([
    [
      'a bad endpoint type and min capacity above max',
      { endpoint: { instanceType: 'ml.t3.medium', minCapacity: 5, maxCapacity: 3 } },
      [/^endpoint\.instanceType: received "ml\.t3\.medium"/, /^endpoint\.maxCapacity: received 3; expected at least minCapacity \(5\)/],
    ],
    [
      'an unknown variant and initial instances outside the autoscaling range',
      { endpoint: { variant: 'bluegreen', instanceCount: 6, minCapacity: 2, maxCapacity: 4 } },
      [/^endpoint\.variant: received "bluegreen"/, /^endpoint\.instanceCount: received 6; expected from minCapacity to maxCapacity \(2-4\)/],
    ],
    [
      'a bad serverless memory size and a canary SageMaker rejects',
      { endpoint: { serverlessMemorySizeMb: 1500, deploymentStrategy: 'canary', trafficStepPercent: 0 } },
      [/^endpoint\.serverlessMemorySizeMb: received 1500/, /^endpoint\.trafficStepPercent: received 0; expected a whole percentage from 1 to 50/],
    ],
    [
      'an unknown metric and a spot wait shorter than the run time',
      { review: { checks: [{ metric: 'rmse', threshold: 5 }] }, training: { useSpotInstances: true, maxRuntimeMinutes: 120, maxWaitMinutes: 60 } },
      [/^review\.checks\[0\]\.metric: received "rmse"/, /^training\.maxWaitMinutes: received 60; expected at least maxRuntimeMinutes \(120\)/],
    ],
    [
      'a bad training type and a spot wait shorter than the run time',
      { training: { trainingInstanceType: 'ml.t2.medium', useSpotInstances: true, maxRuntimeMinutes: 120, maxWaitMinutes: 60 } },
      [/^training\.trainingInstanceType: received "ml\.t2\.medium"/, /^training\.maxWaitMinutes: received 60/],
    ],
    [
      'a misspelt key and a spot wait shorter than the run time',
      { training: { metricThreshhold: 0.8, useSpotInstances: true, maxRuntimeMinutes: 120, maxWaitMinutes: 60 } },
      [/^training\.metricThreshhold: unknown key/, /^training\.maxWaitMinutes: received 60/],
    ],
    [
      'a bad flag and a sub-hourly schedule',
      { retraining: { onNewData: 'yes', schedule: 'rate(5 minutes)' } },
      [/^retraining\.onNewData: received "yes"/, /^retraining\.schedule: received "rate\(5 minutes\)"; expected a schedule at most hourly/],
    ],
    [
      'a bad removal policy, a bad endpoint type and drift retraining on a serverless endpoint',
      { removalPolicy: 'snapshot', retraining: { onDrift: true }, endpoint: { instanceType: 'ml.t3.medium' } },
      [/^removalPolicy: received "snapshot"/, /^endpoint\.instanceType: received "ml\.t3\.medium"/, /^retraining\.onDrift: received true/],
    ],
    [
      'a bad additional type and a bad processing type',
      { additionalInstanceTypes: ['x9'], training: { processingInstanceType: 'ml.p4d.24xlarge' } },
      [/^additionalInstanceTypes\[0\]: received "x9"/, /^training\.processingInstanceType: received "ml\.p4d\.24xlarge"/],
    ],
  ])('fails listing every problem of %s', (_name, patch, expected) => {
    // WHEN
    const problems = problemsOf(withPatch(patch));
    // THEN
    expect(problems).toHaveLength(expected.length);
    for (const pattern of expected) expect(problems).toContainEqual(expect.stringMatching(pattern));
  });

  test('skips a cross-field check when a field it reads is itself invalid', () => {
    expect(problemsOf(withPatch({ endpoint: { minCapacity: 'two', maxCapacity: 1 } }))).toEqual([
      expect.stringMatching(/^endpoint\.minCapacity: received "two"; expected a number/),
    ]);
  });

  test('allows a sub-hourly schedule when explicitly allowed', () => {
    const config = parseStageConfig(withPatch({ retraining: { schedule: 'rate(15 minutes)', allowSubHourlySchedule: true } }));
    expect(config.retraining.schedule).toBe('rate(15 minutes)');
  });

  test('fails with every problem listed in one message', () => {
    // GIVEN a file with five independent mistakes
    const raw = {
      project: 'Churn',
      stage: 'dev',
      logRetentionDays: 10,
      trainng: {},
      endpoint: { dataCapturePercent: 101 },
      retraining: { schedule: 'rate(5 minutes)' },
    };
    // WHEN
    let message = '';
    try {
      parseStageConfig(raw, 'config/dev.json');
    } catch (error) {
      message = (error as Error).message;
    }
    // THEN
    expect(message).toMatch(/^config\/dev\.json is invalid \(5 problems\):/);
    expect(message).toMatch(/- project: received "Churn"/);
    expect(message).toMatch(/- logRetentionDays: received 10/);
    expect(message).toMatch(/- trainng: unknown key/);
    expect(message).toMatch(/- endpoint\.dataCapturePercent: received 101/);
    expect(message).toMatch(/- retraining\.schedule: received "rate\(5 minutes\)"/);
  });

  describe('loading files', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cdk-mlops-config-'));

    test('fails when the stage is unknown, listing the known ones', () => {
      expect(() => loadStageConfig({ stage: 'qa' })).toThrow(/unknown stage "qa".*Known stages: dev, prod, staging/);
    });

    test.each([
      ['a missing comma', '{\n  "project": "churn"\n  "stage": "dev"\n}', '3:3', 'expected a comma or } after the value of "project", found "stage"'],
      ['a trailing comma', '{\n  "project": "churn",\n  "stage": "dev",\n}', '3:17', 'trailing comma: remove this comma before }'],
      ['a trailing comma in a list', '{ "approval": { "approverEmails": ["a@example.com",] } }', '1:51', 'trailing comma: remove this comma before ]'],
      ['an unquoted value', '{\n  "project": "churn",\n  "approval": { "mode": auto }\n}', '3:25', 'unquoted text \'auto\': write it in double quotes ("auto")'],
      ['an unquoted key', '{ project: "churn" }', '1:3', 'unquoted property name \'project\': write it in double quotes ("project")'],
      [
        'a truncated file',
        '{ "project": "churn", ',
        '1:23',
        'the file ends early: expected a property name in double quotes; the object opened at 1:1 is not closed',
      ],
      ['a comment', '{\r\n  // dev\r\n  "project": "churn" }', '2:3', 'comments are not allowed in JSON'],
      ['an empty file', '', '1:1', 'the file is empty: expected the stage config, a JSON object'],
    ])('fails when the file has %s, naming line and column', (_name, text, position, message) => {
      // GIVEN
      const file = join(dir, 'broken.json');
      writeFileSync(file, text);
      // WHEN
      let error: unknown;
      try {
        loadStageConfig({ configFile: file });
      } catch (caught) {
        error = caught;
      }
      // THEN
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as ConfigError).message).toBe(`${file}:${position}: not valid JSON: ${message}`);
    });

    test('names line and column of every syntax error JSON.parse finds, never its own wording', () => {
      // GIVEN a few thousand mutations of a real config file (a fixed pseudo-random sequence)
      const base = readFileSync(join(DEFAULT_CONFIG_DIR, 'prod.json'), 'utf8');
      const characters = ['{', '}', '[', ']', ',', ':', '"', '\\', ' ', '\n', '\r', '\t', 'a', '1', '0', '-', '.', 'e', '+', "'", '/', 't', 'u', '\u00a0', '\u0001'];
      let seed = 11;
      const random = (n: number) => (seed = (seed * 1103515245 + 12345) % 2 ** 31) % n;
      const unexplained: string[] = [];
      let broken = 0;
      for (let k = 0; k < 3000; k++) {
        let text = base;
        for (let edits = 1 + random(2); edits > 0; edits--) {
          const at = random(text.length + 1);
          const edit = random(3);
          text = edit === 0 ? text.slice(0, at) + text.slice(at + 1) : edit === 1 ? text.slice(0, at) + characters[random(characters.length)] + text.slice(at) : text.slice(0, at);
        }
        try {
          JSON.parse(text);
          continue;
        } catch {
          broken++;
        }
        try {
          parseJsonText(text, 'prod.json');
          unexplained.push(`accepted: ${JSON.stringify(text)}`);
        } catch (error) {
          const message = (error as Error).message;
          if (!/^prod\.json:\d+:\d+: not valid JSON: /.test(message) || /Unexpected|in JSON at position|is not valid JSON/.test(message)) unexplained.push(message);
        }
      }
      // THEN
      expect(broken).toBeGreaterThan(1000);
      expect(unexplained).toEqual([]);
    });

    test('fails when both a stage and a config file are given, whichever would win', () => {
      // GIVEN a file that agrees with neither
      const file = join(dir, 'other.json');
      writeFileSync(file, JSON.stringify({ project: 'fraud', stage: 'sandbox' }));
      // WHEN / THEN
      expect(() => loadStageConfig({ stage: 'prod', configFile: file })).toThrow(
        new ConfigError(
          `both stage "prod" and config file ${file} were given: give one, not both. ` +
            `The stage reads ${join(DEFAULT_CONFIG_DIR, 'prod.json')}; a config file is read as it is.`,
        ),
      );
    });

    test('fails when the file does not exist', () => {
      expect(() => loadStageConfig({ configFile: join(dir, 'missing.json') })).toThrow(/missing\.json does not exist/);
    });

    test('fails when a stage file declares another stage', () => {
      writeFileSync(join(dir, 'qa.json'), JSON.stringify({ project: 'churn', stage: 'test' }));
      expect(() => loadStageConfig({ stage: 'qa', configDir: dir })).toThrow(/declares stage "test" but was selected as stage "qa"/);
    });

    test('reads an explicit config file', () => {
      const file = join(dir, 'custom.json');
      writeFileSync(file, JSON.stringify({ project: 'fraud', stage: 'sandbox' }));
      expect(loadStageConfig({ configFile: file })).toMatchObject({ project: 'fraud', stage: 'sandbox' });
    });
  });
});

describe('training problem types and the review section', () => {
  const regression = (review: Record<string, unknown>, training: Record<string, unknown> = {}) => withPatch({ training: { problemType: 'regression', ...training }, review });

  test('parses a regression stage with an rmse check, the comparison left to the metric', () => {
    // WHEN
    const config = parseStageConfig(regression({ checks: [{ metric: 'rmse', threshold: 5 }], championMargin: 0.2 }, { labelColumn: 'delivery_minutes' }));
    // THEN
    expect(config.training).toMatchObject({ problemType: 'regression', labelColumn: 'delivery_minutes' });
    expect(config.training.numClasses).toBeUndefined();
    expect(config.review).toEqual({ checks: [{ metric: 'rmse', threshold: 5 }], championMargin: 0.2, modelCard: { intendedUse: '', riskRating: 'Unknown' } });
  });

  test('parses a multiclass stage with its class count, and a bias report whose metric a check bounds', () => {
    const config = parseStageConfig(
      withPatch({
        training: { problemType: 'multiclass', numClasses: 4, tuning: { enabled: true, objectiveMetric: 'validation:mlogloss' } },
        review: { checks: [{ metric: 'weighted_f1', threshold: 0.7, comparison: '>' }, { metric: 'DPL', threshold: 0.2 }], bias: { facet: 'age', facetValues: [60] } },
      }),
    );
    expect(config.training).toMatchObject({ problemType: 'multiclass', numClasses: 4, tuning: { objectiveMetric: 'validation:mlogloss' } });
    expect(config.review.bias).toEqual({ facet: 'age', facetValues: [60], labelValues: [1], metrics: ['CI', 'DPL'] });
  });

  test.each<[string, Record<string, unknown>, string]>([
    [
      'auc under regression',
      { training: { problemType: 'regression' }, review: { checks: [{ metric: 'auc', threshold: 0.8 }] } },
      'review.checks[0].metric: received "auc"; expected a regression metric (mae, mse, rmse, r2, CI, DPL, KL, JS, LP, TVD, KS)',
    ],
    [
      'regression with the default check, which is binary',
      { training: { problemType: 'regression' } },
      'review.checks: received nothing; expected checks of a regression model, such as [{ "metric": "rmse", "threshold": ... }]: the default check (auc >= 0.75) is a binary metric',
    ],
    [
      'rmse compared upwards',
      { training: { problemType: 'regression' }, review: { checks: [{ metric: 'rmse', threshold: 5, comparison: '>=' }] } },
      'review.checks[0].comparison: received ">="; expected "<=" or "<": rmse is better lower, so ">=" would pass worse models',
    ],
    [
      'auc compared downwards',
      { review: { checks: [{ metric: 'auc', threshold: 0.8, comparison: '<' }] } },
      'review.checks[0].comparison: received "<"; expected ">=" or ">": auc is better higher, so "<" would pass worse models',
    ],
    ['a comparison that is none', { review: { checks: [{ metric: 'auc', threshold: 0.8, comparison: '=' }] } }, 'review.checks[0].comparison: received "="; expected >=, >, <=, <'],
    [
      'a DPL check without review.bias',
      { review: { checks: [{ metric: 'auc', threshold: 0.8 }, { metric: 'DPL', threshold: 0.2 }] } },
      'review.checks[1].metric: received "DPL"; expected a model metric, or configure a bias report (review.bias) to check DPL',
    ],
    [
      'a bias metric first',
      { review: { checks: [{ metric: 'DPL', threshold: 0.2 }], bias: { facet: 'age', facetValues: [60] } } },
      'review.checks[0].metric: received "DPL"; expected a model metric first: the champion check and the MetricThreshold parameter use the first check',
    ],
    [
      'a bias metric the report does not compute',
      { review: { checks: [{ metric: 'auc', threshold: 0.8 }, { metric: 'KS', threshold: 0.2 }], bias: { facet: 'age', facetValues: [60] } } },
      'review.checks[1].metric: received "KS"; expected a metric review.bias.metrics computes (CI, DPL), or add KS there',
    ],
    ['no checks', { review: { checks: [] } }, 'review.checks: received []; expected at least one check, such as { "metric": "auc", "threshold": ... }'],
    ['a negative champion margin', { review: { championMargin: -0.01 } }, 'review.championMargin: received -0.01; expected at least 0'],
    ['an unknown risk rating', { review: { modelCard: { riskRating: 'Severe' } } }, 'review.modelCard.riskRating: received "Severe"; expected High, Medium, Low, Unknown'],
    ['a bias report without facet values', { review: { bias: { facet: 'age', facetValues: [] } } }, 'review.bias.facetValues: received []; expected at least one value'],
    [
      'multiclass without numClasses',
      { training: { problemType: 'multiclass' }, review: { checks: [{ metric: 'accuracy', threshold: 0.7 }] } },
      'training.numClasses: received nothing; expected a whole number of at least 3 with problemType multiclass',
    ],
    ['numClasses 2', { training: { problemType: 'multiclass', numClasses: 2 }, review: { checks: [{ metric: 'accuracy', threshold: 0.7 }] } }, 'training.numClasses: received 2; expected at least 3 (two classes: problemType binary)'],
    ['numClasses for a binary model', { training: { numClasses: 3 } }, 'training.numClasses: received 3; expected no value with problemType binary (it applies to multiclass only)'],
    [
      'the binary objective validation:auc with regression',
      { training: { problemType: 'regression', tuning: { enabled: true, objectiveMetric: 'validation:auc' } }, review: { checks: [{ metric: 'rmse', threshold: 5 }] } },
      'training.tuning.objectiveMetric: received "validation:auc"; expected one of validation:rmse, validation:mae, validation:mse (what built-in XGBoost emits for problemType regression)',
    ],
    ['an unknown problem type', { training: { problemType: 'ranking' } }, 'training.problemType: received "ranking"; expected binary, multiclass, regression'],
  ])('fails when %s, at its key path', (_name, patch, expected) => {
    expect(problemsOf(withPatch(patch))).toEqual([expected]);
  });

  test('fails listing every problem of the checks at once', () => {
    expect(
      problemsOf(
        regression({
          checks: [
            { metric: 'auc', threshold: 0.8 },
            { metric: 'rmse', threshold: 5, comparison: '>' },
            { metric: 'CI', threshold: 0.3 },
          ],
        }),
      ),
    ).toEqual([
      expect.stringMatching(/^review\.checks\[0\]\.metric: received "auc"; expected a regression metric/),
      expect.stringMatching(/^review\.checks\[1\]\.comparison: received ">"; expected "<=" or "<"/),
      expect.stringMatching(/^review\.checks\[2\]\.metric: received "CI"; expected a model metric, or configure a bias report/),
    ]);
  });

  test.each([
    ['training.metricName', { metricName: 'f1' }, 'moved: the review gate now holds the checks; write review.checks: [{ "metric": <this value>, "threshold": <training.metricThreshold> }]'],
    ['training.metricThreshold', { metricThreshold: 0.8 }, 'moved: write it as the threshold of the first check in review.checks: [{ "metric": <training.metricName or "auc">, "threshold": <this value> }]'],
  ])('fails when %s is set, saying where it moved', (key, training, message) => {
    expect(problemsOf(withPatch({ training }))).toEqual([`${key}: ${message}`]);
  });
});

describe('batch', () => {
  test('is off by default, with the documented defaults', () => {
    expect(parseStageConfig(MINIMAL).batch).toEqual({ enabled: false, onNewInput: true, instanceType: 'ml.m5.large', instanceCount: 1, maxPayloadMb: 6, splitType: 'Line' });
    expect(loadStageConfig({ stage: 'staging' }).batch).toMatchObject({ enabled: true, schedule: 'cron(0 4 * * ? *)' });
    expect(loadStageConfig({ stage: 'dev' }).batch.enabled).toBe(false);
    expect(loadStageConfig({ stage: 'prod' }).batch.enabled).toBe(false);
  });

  test('fails when enabled with neither a schedule nor onNewInput, naming the key', () => {
    expect(problemsOf(withPatch({ batch: { enabled: true, onNewInput: false } }))).toEqual([
      'batch.onNewInput: received false; expected true, or a batch.schedule, when batch.enabled is true: with neither, no batch job ever starts',
    ]);
    // Off, or with a schedule, it is fine.
    expect(() => parseStageConfig(withPatch({ batch: { enabled: false, onNewInput: false } }))).not.toThrow();
    expect(() => parseStageConfig(withPatch({ batch: { enabled: true, onNewInput: false, schedule: 'rate(1 day)' } }))).not.toThrow();
  });

  test('fails with every problem of the section listed', () => {
    const problems = problemsOf(withPatch({ batch: { enabled: true, schedule: 'every day', instanceType: 'ml.t2.medium', maxPayloadMb: 101, splitType: 'RecordIO', instanceCount: 0 } }));
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^batch\.schedule: received "every day"; expected an EventBridge schedule expression/),
        expect.stringMatching(/^batch\.maxPayloadMb: received 101; expected a whole number of MB from 0 to 100/),
        expect.stringMatching(/^batch\.splitType: received "RecordIO"; expected Line or None/),
        expect.stringMatching(/^batch\.instanceCount: received 0; expected at least 1/),
        expect.stringMatching(/^batch\.instanceType: received "ml\.t2\.medium"; expected an instance type SageMaker supports for batch transform jobs, such as/),
      ]),
    );
  });

  test('accepts a newer transform type from additionalInstanceTypes, marked for a synth warning', () => {
    const config = parseStageConfig(withPatch({ additionalInstanceTypes: ['ml.x9.large'], batch: { enabled: true, instanceType: 'ml.x9.large' } }));
    expect(InstanceTypes.unlistedTypeOf(withAdditionalInstanceTypesAllowed(config).batch.instanceType)).toBe('ml.x9.large');
  });
});

describe('model quality', () => {
  test('is on with a daily schedule, a 24-hour ground-truth delay and no retraining by default; prod and staging retrain on a drop', () => {
    expect(parseStageConfig(MINIMAL)).toMatchObject({
      monitoring: { modelQuality: true, modelQualitySchedule: 'daily', groundTruthDelayHours: 24 },
      retraining: { onModelQualityDrop: false },
    });
    expect(loadStageConfig({ stage: 'prod' }).retraining.onModelQualityDrop).toBe(true);
    expect(loadStageConfig({ stage: 'staging' }).retraining.onModelQualityDrop).toBe(true);
    expect(loadStageConfig({ stage: 'dev' }).retraining.onModelQualityDrop).toBe(false);
  });

  test('fails when retraining on a model-quality drop with a serverless endpoint, as for drift', () => {
    expect(problemsOf(withPatch({ retraining: { onModelQualityDrop: true } }))).toEqual([
      'retraining.onModelQualityDrop: received true; expected false with a serverless endpoint: serverless endpoints capture no predictions, so Model Monitor measures no model quality; use endpoint.variant "instance"',
    ]);
  });

  test('fails when retraining on a model-quality drop with model quality off', () => {
    expect(problemsOf(withPatch({ endpoint: { variant: 'instance' }, monitoring: { modelQuality: false }, retraining: { onModelQualityDrop: true } }))).toEqual([
      'retraining.onModelQualityDrop: received true; expected false while monitoring.modelQuality is false: there is no model-quality alarm to retrain on',
    ]);
    expect(() => parseStageConfig(withPatch({ endpoint: { variant: 'instance' }, retraining: { onModelQualityDrop: true } }))).not.toThrow();
  });

  test('fails when the schedule or the ground-truth delay is out of range', () => {
    expect(problemsOf(withPatch({ monitoring: { modelQualitySchedule: 'weekly', groundTruthDelayHours: 1000 } }))).toEqual([
      'monitoring.modelQualitySchedule: received "weekly"; expected hourly or daily',
      'monitoring.groundTruthDelayHours: received 1000; expected at most 720 (30 days)',
    ]);
  });
});
