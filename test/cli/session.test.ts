import { join } from 'node:path';
import { ConfigError, loadStageConfig } from '../../lib/config-loader';
import { clientSettings, connectionFor, loadCliStageConfig } from '../../lib/cli/session';
import { REPO_ROOT } from './cli-fixtures';

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
          'Run from the project folder, or pass --config FILE.',
      ),
    );
  });
});

describe('connectionFor and clientSettings', () => {
  test("the region is --region, else AWS_REGION, else the stage config's", () => {
    // WHEN / THEN
    expect(connectionFor({ region: 'eu-west-1' }, dev, { AWS_REGION: 'eu-central-1' }).region).toBe('eu-west-1');
    expect(connectionFor({}, dev, { AWS_REGION: 'eu-central-1' }).region).toBe('eu-central-1');
    expect(connectionFor({}, dev, {}).region).toBe('us-east-1');
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
