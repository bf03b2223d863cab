import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, loadStageConfig } from '../../lib/config-loader';
import { UsageError } from '../../lib/cli/errors';
import { clientSettings, connectionFor, loadCliStageConfig, regionFor, requireNames, resolveTarget } from '../../lib/cli/session';
import { outsideDirectory, REPO_ROOT } from './cli-fixtures';

const dev = loadStageConfig({ stage: 'dev' });

describe('loadCliStageConfig', () => {
  test('reads config/dev.json under the working directory by default', () => {
    // WHEN / THEN
    expect(loadCliStageConfig({}, REPO_ROOT)).toEqual(dev);
  });

  test('--config is resolved from the working directory and wins over config/', () => {
    // WHEN / THEN
    expect(loadCliStageConfig({ config: 'config/prod.json' }, REPO_ROOT).stage).toBe('prod');
  });

  test('fails when the working directory has no config/ folder, with the flags that fix it', () => {
    // WHEN / THEN
    expect(() => loadCliStageConfig({ stage: 'dev' }, join(REPO_ROOT, 'lib'))).toThrow(
      new ConfigError(
        `unknown stage "dev": there is no ${join(REPO_ROOT, 'lib', 'config', 'dev.json')}. Known stages: none. ` +
          'Run from the project folder, or pass --config FILE (or the resource names: --pipeline-name, --model-package-group, --endpoint-name).',
      ),
    );
  });

  test('--config is read from any working directory', () => {
    // WHEN / THEN
    expect(loadCliStageConfig({ config: join(REPO_ROOT, 'config', 'prod.json') }, outsideDirectory()).stage).toBe('prod');
  });

  test('fails when --stage and --config are both given, even when they agree', () => {
    // WHEN / THEN
    expect(() => loadCliStageConfig({ stage: 'prod', config: 'config/prod.json' }, REPO_ROOT)).toThrow(
      new UsageError(
        '--stage "prod" and --config "config/prod.json" cannot be used together: a config file names its stage itself (its "stage" key). ' +
          'Pass only --config FILE, or only --stage NAME for config/NAME.json under the working directory',
      ),
    );
  });

  test('fails when --config names no file, with the value and the path it looked at', () => {
    // GIVEN
    const cwd = outsideDirectory();
    // WHEN / THEN
    expect(() => loadCliStageConfig({ config: 'stage.json' }, cwd)).toThrow(
      new UsageError(`--config "stage.json": there is no file ${join(cwd, 'stage.json')}; expected the path of a stage config file`),
    );
  });
});

describe('resolveTarget', () => {
  test('derives every name from the stage config, the alarm prefix from the stack name', () => {
    // WHEN
    const target = resolveTarget({ stage: 'prod' }, REPO_ROOT);
    // THEN
    const file = join(REPO_ROOT, 'config', 'prod.json');
    expect(target).toMatchObject({
      configFile: file,
      names: { pipeline: 'churn-prod-pipeline', modelPackageGroup: 'churn-prod-models', endpoint: 'churn-prod-endpoint', alarmNamePrefix: 'churn-prod-' },
      sources: { pipeline: file, modelPackageGroup: file, endpoint: file, alarmNamePrefix: file },
      metricName: 'auc',
      metricNameSource: `${file} (review.checks[0])`,
    });
  });

  test("takes the key metric from the config's first review check, whatever the problem type", () => {
    // GIVEN a regression stage whose first check is rmse
    const file = join(mkdtempSync(join(tmpdir(), 'cdk-mlops-session-')), 'delivery.json');
    writeFileSync(
      file,
      JSON.stringify({ project: 'delivery', stage: 'dev', training: { problemType: 'regression' }, review: { checks: [{ metric: 'rmse', threshold: 5 }, { metric: 'r2', threshold: 0.6 }] } }),
    );
    // WHEN
    const target = resolveTarget({ config: file }, REPO_ROOT);
    // THEN
    expect(target).toMatchObject({ metricName: 'rmse', metricNameSource: `${file} (review.checks[0])` });
  });

  test('a name flag wins over the name the config derives; the others stay derived', () => {
    // WHEN
    const target = resolveTarget({ config: 'config/dev.json', endpointName: 'churn-canary', metricName: 'f1' }, REPO_ROOT);
    // THEN
    expect(target.names).toEqual({
      pipeline: 'churn-dev-pipeline',
      modelPackageGroup: 'churn-dev-models',
      endpoint: 'churn-canary',
      alarmNamePrefix: 'churn-dev-',
    });
    expect(target.sources.endpoint).toBe('--endpoint-name');
    expect(target).toMatchObject({ metricName: 'f1', metricNameSource: '--metric-name' });
  });

  test('with name flags and neither --config nor --stage no config is read, not even config/dev.json', () => {
    // WHEN
    const target = resolveTarget({ pipelineName: 'fraud-training', modelPackageGroup: 'fraud-models' }, REPO_ROOT);
    // THEN
    expect(target).toEqual({
      config: undefined,
      configFile: undefined,
      names: { pipeline: 'fraud-training', modelPackageGroup: 'fraud-models' },
      sources: { pipeline: '--pipeline-name', modelPackageGroup: '--model-package-group' },
      metricName: 'auc',
      metricNameSource: "TrainingPipeline's default",
    });
  });

  test('requireNames returns the names a command needs', () => {
    // GIVEN
    const target = resolveTarget({ endpointName: 'fraud-live', modelPackageGroup: 'fraud-models' }, outsideDirectory());
    // WHEN / THEN
    expect(requireNames('rollback', target, ['endpoint', 'modelPackageGroup'])).toEqual({ endpoint: 'fraud-live', modelPackageGroup: 'fraud-models' });
  });

  test('fails when a command needs names nobody gave, naming each flag', () => {
    // GIVEN
    const target = resolveTarget({ endpointName: 'fraud-live' }, outsideDirectory());
    // WHEN / THEN
    expect(() => requireNames('status', target, ['pipeline', 'modelPackageGroup', 'endpoint'])).toThrow(
      new UsageError(
        'status acts on the SageMaker pipeline and the model package group, and no flag names them: pass --pipeline-name NAME and ' +
          '--model-package-group NAME, or --config FILE (or --stage NAME) to derive every name from a stage config',
      ),
    );
    expect(() => requireNames('retrain', target, ['pipeline'])).toThrow(/^retrain acts on the SageMaker pipeline, and no flag names it: pass --pipeline-name NAME, or/);
  });
});

describe('connectionFor and clientSettings', () => {
  test("the region is --region, else AWS_REGION, else the stage config's, else left to the profile", () => {
    // WHEN / THEN
    expect(connectionFor({ region: 'eu-west-1' }, dev, { AWS_REGION: 'eu-central-1' }).region).toBe('eu-west-1');
    expect(connectionFor({}, dev, { AWS_REGION: 'eu-central-1' }).region).toBe('eu-central-1');
    expect(connectionFor({}, dev, {}).region).toBe('us-east-1');
    expect(connectionFor({}, undefined, {}).region).toBeUndefined();
    expect(regionFor({}, dev, { AWS_REGION: '' })).toEqual({ region: 'us-east-1', source: 'the stage config' });
    expect(regionFor({}, undefined, { AWS_REGION: 'eu-north-1' })).toEqual({ region: 'eu-north-1', source: 'AWS_REGION' });
  });

  test('the endpoint is --endpoint-url, else AWS_ENDPOINT_URL; the profile --profile, else AWS_PROFILE', () => {
    // WHEN
    const fromEnv = connectionFor({}, dev, { AWS_ENDPOINT_URL: 'http://127.0.0.1:5000', AWS_PROFILE: 'ops' });
    const fromFlags = connectionFor({ endpointUrl: 'http://localhost:4566', profile: 'admin' }, dev, fromEnv as never);
    // THEN
    expect(fromEnv).toEqual({ region: 'us-east-1', endpointUrl: 'http://127.0.0.1:5000', profile: 'ops' });
    expect(fromFlags).toMatchObject({ endpointUrl: 'http://localhost:4566', profile: 'admin' });
  });

  test('against an emulator the SDK tries once; against AWS it keeps its retries', () => {
    // WHEN / THEN
    expect(clientSettings({ region: 'us-east-1', endpointUrl: 'http://127.0.0.1:5000' })).toEqual({
      region: 'us-east-1',
      endpoint: 'http://127.0.0.1:5000',
      maxAttempts: 1,
      requestHandler: { connectionTimeout: 5_000 },
    });
    expect(clientSettings({ region: 'eu-west-1', profile: 'ops' })).toEqual({
      region: 'eu-west-1',
      profile: 'ops',
      requestHandler: { connectionTimeout: 5_000 },
    });
  });
});
