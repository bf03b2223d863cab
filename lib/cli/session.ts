import { join, resolve } from 'node:path';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { S3Client } from '@aws-sdk/client-s3';
import { SageMakerClient } from '@aws-sdk/client-sagemaker';
import { ConfigError, knownStages, loadStageConfig } from '../config-loader';
import { resourceNames, ResourceNames } from '../../constructs/naming';
import { StageConfig } from '../stage-config';
import { ConnectionContext } from './errors';

/** The flags every command accepts. */
export interface GlobalOptions {
  readonly stage?: string;
  readonly config?: string;
  readonly region?: string;
  readonly profile?: string;
  readonly endpointUrl?: string;
  readonly json?: boolean;
  readonly debug?: boolean;
}

/** Stage files are looked up where `cdk deploy` runs: `config/<stage>.json` under the working directory. */
export const STAGE_CONFIG_DIR = 'config';
export const DEFAULT_STAGE = 'dev';

/** Everything a command needs to act on one stage. */
export interface Session {
  readonly config: StageConfig;
  readonly names: ResourceNames;
  readonly connection: ConnectionContext;
  readonly sagemaker: SageMakerClient;
  readonly cloudwatch: CloudWatchClient;
  readonly eventbridge: EventBridgeClient;
  /** Reads the evaluation reports behind the packages' key metric. */
  readonly s3: S3Client;
}

/**
 * The validated stage config the flags select: `--config FILE`, else `--stage NAME` (default dev)
 * from config/ in `cwd`. Throws ConfigError naming the flags that fix it.
 */
export function loadCliStageConfig(options: GlobalOptions, cwd = process.cwd()): StageConfig {
  if (options.config !== undefined) {
    const config = loadStageConfig({ configFile: resolve(cwd, options.config) });
    if (options.stage !== undefined && options.stage !== config.stage) {
      throw new ConfigError(`${options.config} declares stage "${config.stage}" but --stage is "${options.stage}": drop one of them`);
    }
    return config;
  }
  const stage = options.stage ?? DEFAULT_STAGE;
  const configDir = resolve(cwd, STAGE_CONFIG_DIR);
  const stages = knownStages(configDir);
  if (!stages.includes(stage)) {
    throw new ConfigError(
      `unknown stage "${stage}": there is no ${join(configDir, `${stage}.json`)}. ` +
        `Known stages: ${stages.join(', ') || 'none'}. Run from the project folder, or pass --config FILE.`,
    );
  }
  return loadStageConfig({ stage, configDir });
}

/** Where AWS calls go: `--region`, else AWS_REGION, else the stage config's region; `--profile`, else AWS_PROFILE. */
export function connectionFor(options: GlobalOptions, config: StageConfig, env = process.env): ConnectionContext {
  return {
    region: options.region ?? env.AWS_REGION ?? config.region,
    endpointUrl: options.endpointUrl ?? env.AWS_ENDPOINT_URL,
    profile: options.profile ?? env.AWS_PROFILE,
  };
}

/**
 * SDK settings for every client: the standard credential chain (optionally one profile), and against
 * an emulator a single attempt, so an unreachable one fails at once instead of after the retries.
 */
export function clientSettings(connection: ConnectionContext) {
  return {
    region: connection.region,
    ...(connection.profile && { profile: connection.profile }),
    ...(connection.endpointUrl && { endpoint: connection.endpointUrl, maxAttempts: 1 }),
    // Without this an unroutable address (or a DNS black hole) hangs until the OS gives up.
    requestHandler: { connectionTimeout: 5_000 },
  };
}

export function openSession(options: GlobalOptions, cwd = process.cwd()): Session {
  const config = loadCliStageConfig(options, cwd);
  const connection = connectionFor(options, config);
  const settings = clientSettings(connection);
  return {
    config,
    names: resourceNames(config.project, config.stage),
    connection,
    sagemaker: new SageMakerClient(settings),
    cloudwatch: new CloudWatchClient(settings),
    eventbridge: new EventBridgeClient(settings),
    // An emulator serves buckets by path, not as bucket.host names.
    s3: new S3Client({ ...settings, forcePathStyle: settings.endpoint !== undefined }),
  };
}

export function closeSession(session: Session): void {
  session.sagemaker.destroy();
  session.cloudwatch.destroy();
  session.eventbridge.destroy();
  session.s3.destroy();
}
