import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { S3Client } from '@aws-sdk/client-s3';
import { SageMakerClient } from '@aws-sdk/client-sagemaker';
import { ConfigError, knownStages, loadStageConfig } from '../config-loader';
import { resourceNames } from '../../constructs/naming';
import { StageConfig } from '../stage-config';
import { ConnectionContext, UsageError } from './errors';

/** The flags every command accepts. */
export interface GlobalOptions {
  readonly stage?: string;
  readonly config?: string;
  readonly pipelineName?: string;
  readonly modelPackageGroup?: string;
  readonly endpointName?: string;
  readonly alarmNamePrefix?: string;
  readonly metricName?: string;
  readonly region?: string;
  readonly profile?: string;
  readonly endpointUrl?: string;
  readonly json?: boolean;
  readonly debug?: boolean;
}

/** Stage files are looked up where `cdk deploy` runs: `config/<stage>.json` under the working directory. */
export const STAGE_CONFIG_DIR = 'config';
export const DEFAULT_STAGE = 'dev';
/** TrainingPipeline's default `metricName`, the key metric when neither a flag nor a stage config names one. */
export const DEFAULT_METRIC_NAME = 'auc';

/** The resources the commands act on. */
export interface OperatedNames {
  readonly pipeline: string;
  readonly modelPackageGroup: string;
  readonly endpoint: string;
  /** `status` lists the alarms in ALARM whose names start with this. */
  readonly alarmNamePrefix: string;
}
export type NameKey = keyof OperatedNames;

/** The flag that gives each name, the option key commander stores it under, and what it names. */
export const NAME_FLAGS = {
  pipeline: { flag: '--pipeline-name', option: 'pipelineName', what: 'the SageMaker pipeline' },
  modelPackageGroup: { flag: '--model-package-group', option: 'modelPackageGroup', what: 'the model package group' },
  endpoint: { flag: '--endpoint-name', option: 'endpointName', what: 'the endpoint' },
  alarmNamePrefix: { flag: '--alarm-name-prefix', option: 'alarmNamePrefix', what: "the alarms' name prefix" },
} as const satisfies Record<NameKey, { readonly flag: string; readonly option: keyof GlobalOptions; readonly what: string }>;
const NAME_KEYS = Object.keys(NAME_FLAGS) as NameKey[];

/** What the flags point the commands at, before any AWS client exists. */
export interface Target {
  /** The stage config the names no flag gave were derived from; undefined when no config was read. */
  readonly config: StageConfig | undefined;
  /** The file `config` was read from. */
  readonly configFile: string | undefined;
  /** The names known; a name is missing only when no config was read and its flag was not given. */
  readonly names: Partial<OperatedNames>;
  /** Where each known name came from: its flag, or the stage config file. */
  readonly sources: Partial<Record<NameKey, string>>;
  /** The key metric of the model packages: --metric-name, else the metric of the config's first review check (review.checks[0]), else auc. */
  readonly metricName: string;
  readonly metricNameSource: string;
}

/** Everything a command needs to act on the loop; `K` are the names it cannot do without. */
export interface Session<K extends NameKey = never> {
  /** The stage config the flags selected, undefined when every name came from a flag. */
  readonly config: StageConfig | undefined;
  readonly names: Pick<OperatedNames, K> & Partial<OperatedNames>;
  readonly metricName: string;
  readonly connection: ConnectionContext;
  readonly sagemaker: SageMakerClient;
  readonly cloudwatch: CloudWatchClient;
  readonly eventbridge: EventBridgeClient;
  /** Reads the evaluation reports behind the packages' key metric. */
  readonly s3: S3Client;
}

/** The stage config file the flags select: `--config FILE` (from `cwd`), else `config/<--stage>.json` under `cwd`. */
export function stageConfigFile(options: GlobalOptions, cwd = process.cwd()): string {
  if (options.config !== undefined) {
    if (options.stage !== undefined) {
      throw new UsageError(
        `--stage "${options.stage}" and --config "${options.config}" cannot be used together: a config file names its stage ` +
          'itself (its "stage" key). Pass only --config FILE, or only --stage NAME for config/NAME.json under the working directory',
      );
    }
    const file = resolve(cwd, options.config);
    if (!existsSync(file)) throw new UsageError(`--config "${options.config}": there is no file ${file}; expected the path of a stage config file`);
    return file;
  }
  const stage = options.stage ?? DEFAULT_STAGE;
  const configDir = resolve(cwd, STAGE_CONFIG_DIR);
  const stages = knownStages(configDir);
  if (!stages.includes(stage)) {
    throw new ConfigError(
      `unknown stage "${stage}": there is no ${join(configDir, `${stage}.json`)}. ` +
        `Known stages: ${stages.join(', ') || 'none'}. Run from the project folder, or pass --config FILE ` +
        '(or the resource names: --pipeline-name, --model-package-group, --endpoint-name).',
    );
  }
  return join(configDir, `${stage}.json`);
}

/**
 * The validated stage config the flags select: `--config FILE`, else `--stage NAME` (default dev)
 * from config/ in `cwd`. Throws ConfigError or UsageError naming the flags that fix it.
 */
export function loadCliStageConfig(options: GlobalOptions, cwd = process.cwd()): StageConfig {
  return loadStageConfig({ configFile: stageConfigFile(options, cwd) });
}

/** Whether any resource name was given as a flag. */
function hasNameFlags(options: GlobalOptions): boolean {
  return NAME_KEYS.some((key) => options[NAME_FLAGS[key].option] !== undefined);
}

/**
 * The names the flags select. A name flag wins over the name derived from the stage config. The
 * config is read when --config or --stage is given, and when no name flag is (then stage dev, as
 * `cdk deploy` defaults): with name flags alone, no config is read and the names are only the flags'.
 */
export function resolveTarget(options: GlobalOptions, cwd = process.cwd()): Target {
  const readConfig = options.config !== undefined || options.stage !== undefined || !hasNameFlags(options);
  const configFile = readConfig ? stageConfigFile(options, cwd) : undefined;
  const config = configFile === undefined ? undefined : loadStageConfig({ configFile });
  const names: Partial<Record<NameKey, string>> = {};
  const sources: Partial<Record<NameKey, string>> = {};
  const derived = config && derivedNames(config);
  for (const key of NAME_KEYS) {
    const { flag, option } = NAME_FLAGS[key];
    const given = options[option];
    if (given !== undefined) {
      names[key] = given;
      sources[key] = flag;
    } else if (derived) {
      names[key] = derived[key];
      sources[key] = configFile;
    }
  }
  const [metricName, metricNameSource] =
    options.metricName !== undefined
      ? [options.metricName, '--metric-name']
      : config && configFile
        ? [config.review.checks[0]?.metric ?? DEFAULT_METRIC_NAME, `${configFile} (review.checks[0])`]
        : [DEFAULT_METRIC_NAME, "TrainingPipeline's default"];
  return { config, configFile, names, sources, metricName, metricNameSource };
}

/** The names MlopsStack gives a stage's resources; CDK names the stack's alarms `<stack name>-...`, the stack `<project>-<stage>`. */
export function derivedNames(config: StageConfig): OperatedNames {
  const names = resourceNames(config.project, config.stage);
  return { pipeline: names.pipeline, modelPackageGroup: names.modelPackageGroup, endpoint: names.endpoint, alarmNamePrefix: `${names.prefix}-` };
}

/** Throws UsageError naming the flag of every name in `needs` that `target` lacks. */
export function requireNames<K extends NameKey>(command: string, target: Target, needs: readonly K[]): Pick<OperatedNames, K> & Partial<OperatedNames> {
  const missing = needs.filter((key) => target.names[key] === undefined);
  if (missing.length > 0) {
    throw new UsageError(
      `${command} acts on ${listed(missing.map((key) => NAME_FLAGS[key].what))}, and no flag names ${missing.length === 1 ? 'it' : 'them'}: ` +
        `pass ${listed(missing.map((key) => `${NAME_FLAGS[key].flag} NAME`))}, or --config FILE (or --stage NAME) to derive every name from a stage config`,
    );
  }
  return target.names as Pick<OperatedNames, K> & Partial<OperatedNames>;
}

/** `a`, `a and b`, `a, b and c`. */
function listed(items: readonly string[]): string {
  return items.length <= 1 ? items.join('') : `${items.slice(0, -1).join(', ')} and ${items[items.length - 1]}`;
}

/** Where AWS calls go, as far as the flags, the environment and the config say; no region means the profile's. */
export interface ConnectionSettings extends Omit<ConnectionContext, 'region'> {
  readonly region: string | undefined;
}

/** `--region`, else AWS_REGION, else the stage config's region, with where it came from; undefined for none of them. */
export function regionFor(options: GlobalOptions, config: StageConfig | undefined, env = process.env): { region: string; source: string } | undefined {
  if (options.region !== undefined) return { region: options.region, source: '--region' };
  if (env.AWS_REGION) return { region: env.AWS_REGION, source: 'AWS_REGION' };
  if (config) return { region: config.region, source: 'the stage config' };
  return undefined;
}

/**
 * The region of `regionFor` (without one, the profile's: see `profileRegion`); `--endpoint-url`,
 * else AWS_ENDPOINT_URL; `--profile`, else AWS_PROFILE.
 */
export function connectionFor(options: GlobalOptions, config: StageConfig | undefined, env = process.env): ConnectionSettings {
  return {
    region: regionFor(options, config, env)?.region,
    endpointUrl: options.endpointUrl ?? env.AWS_ENDPOINT_URL,
    profile: options.profile ?? env.AWS_PROFILE,
  };
}

/**
 * The region of the profile (`--profile`, else AWS_PROFILE, else default) in the shared config
 * files, as the SDK reads it; a UsageError naming the ways to give one when there is none.
 */
export async function profileRegion(profile: string | undefined): Promise<string> {
  const probe = new SageMakerClient(profile ? { profile } : {});
  try {
    return await probe.config.region();
  } catch {
    throw new UsageError(
      `no AWS region: pass --region REGION, set AWS_REGION, or set region for ${profile ? `profile "${profile}"` : 'the default profile'} ` +
        'in ~/.aws/config (a stage config given by --config or --stage brings its own region)',
    );
  } finally {
    probe.destroy();
  }
}

/** The region the commands use and where it came from (`config names` shows both). */
export async function resolveRegion(options: GlobalOptions, config: StageConfig | undefined, env = process.env): Promise<{ region: string; source: string }> {
  const known = regionFor(options, config, env);
  if (known) return known;
  const { profile } = connectionFor(options, config, env);
  return { region: await profileRegion(profile), source: profile ? `profile ${profile}` : 'the default profile' };
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

/**
 * Resolves the flags for `command` (its name in messages), checks it has the names in `needs`, and
 * creates the clients. Every check runs before any AWS call.
 */
export async function openSession<K extends NameKey>(
  command: string,
  needs: readonly K[],
  options: GlobalOptions,
  cwd = process.cwd(),
  env = process.env,
): Promise<Session<K>> {
  const target = resolveTarget(options, cwd);
  const names = requireNames(command, target, needs);
  const settings = connectionFor(options, target.config, env);
  const connection: ConnectionContext = { ...settings, region: settings.region ?? (await profileRegion(settings.profile)) };
  const client = clientSettings(connection);
  return {
    config: target.config,
    names,
    metricName: target.metricName,
    connection,
    sagemaker: new SageMakerClient(client),
    cloudwatch: new CloudWatchClient(client),
    eventbridge: new EventBridgeClient(client),
    // An emulator serves buckets by path, not as bucket.host names.
    s3: new S3Client({ ...client, forcePathStyle: client.endpoint !== undefined }),
  };
}

export function closeSession(session: Session): void {
  session.sagemaker.destroy();
  session.cloudwatch.destroy();
  session.eventbridge.destroy();
  session.s3.destroy();
}
