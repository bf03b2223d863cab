import { ModelApprovalStatus } from '@aws-sdk/client-sagemaker';
import { Command, CommanderError, InvalidArgumentError } from 'commander';
import { describeTarget, renderConfig, renderConfigValidation, renderTarget, validateConfigFile } from './config-commands';
import { readEndpointState } from './endpoint';
import { addDataCommands } from './data';
import { addLocalCommands } from './local';
import { CliError, ConnectionContext, EXIT_CODE, ExitCode, explainError } from './errors';
import { ApprovalDecision, changeApproval, readModelDetails, readModelList, renderApprovalChange, renderModelDetails, renderModelList } from './models';
import { CliIo, formatJson } from './output';
import { SAGEMAKER_LIMITS } from '../../lambda/shared/sagemaker-limits';
import { SAGEMAKER_NAME_MAX_LENGTH, SAGEMAKER_NAME_PATTERN } from '../../lambda/shared/sagemaker-names';
import { stageConfigSchema } from '../stage-config';
import { MAX_MANUAL_REASON_LENGTH } from '../../lambda/retraining-governor/governor';
import { DEFAULT_COOLDOWN_MINUTES, renderRetrainResult, retrain, RetrainOptions } from './retrain';
import { renderRollbackResult, rollback } from './rollback';
import {
  closeSession,
  DEFAULT_METRIC_NAME,
  DEFAULT_STAGE,
  GlobalOptions,
  loadCliStageConfig,
  NameKey,
  openSession,
  resolveRegion,
  resolveTarget,
  Session,
} from './session';
import { readStatus, renderStatus } from './status';
import { readBatchJobs, renderBatchJobs, requireBatchScorer, scorerNameProblem } from './batch';

/** What the CLI needs from its surroundings; bin/ passes the real ones, tests their own. */
export interface CliRuntime {
  readonly io: CliIo;
  readonly now: () => Date;
  readonly sleep: (ms: number) => Promise<void>;
  /** How often `retrain --wait` polls the execution. */
  readonly pollIntervalMs: number;
  /** Where `--config` paths and config/ are resolved from. */
  readonly cwd: string;
  /** The environment AWS_REGION, AWS_PROFILE and AWS_ENDPOINT_URL are read from. @default process.env */
  readonly env?: NodeJS.ProcessEnv;
}

/** A command's result: `data` is the --json document, `text` what a person reads. */
interface CommandOutput {
  readonly data: unknown;
  readonly text: string;
}

const EXIT_CODES_HELP = `
Exit codes:
  ${EXIT_CODE.OK}  done (approving an already approved version changes nothing and is done too)
  ${EXIT_CODE.FAILED}  the operation failed (a pipeline execution failed under --wait, an unexpected AWS error)
  ${EXIT_CODE.USAGE}  usage or config error (bad flags, unknown stage, invalid config, rollback without a terminal or --yes)
  ${EXIT_CODE.AWS_ACCESS}  AWS credentials missing or rejected, access denied, AWS or the endpoint unreachable
  ${EXIT_CODE.REFUSED}  not found or refused (unknown version, missing pipeline, an execution already running, cool-down)
`;
const TARGET_HELP = `
Which resources:
  The commands act on the resources a stage config names: --config FILE (a stage
  config file of yours, from any directory), or --stage NAME for config/NAME.json
  under the working directory (default: ${DEFAULT_STAGE}). --stage and --config together are
  refused. For constructs composed in your own stack, give the names instead:
  --pipeline-name, --model-package-group, --endpoint-name, --alarm-name-prefix.
  A name flag wins over the name the config derives. With name flags and neither
  --config nor --stage no config is read, and a command refuses to run without
  the names it acts on. \`cdk-mlops config names\` shows what a command line
  resolves to. The region is --region, else AWS_REGION, else the stage config's,
  else the profile's (--profile or AWS_PROFILE, in ~/.aws/config).
`;
const DEFAULT_MODEL_LIST_LIMIT = 20;
const DEFAULT_BATCH_LIST_LIMIT = 20;
// SageMaker's PipelineName (1-256 characters; other names have at most 63) and CloudWatch's AlarmNamePrefix.
const PIPELINE_NAME_PATTERN = /^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,255}$/;
const PIPELINE_NAME_MAX_LENGTH = 256;
const ALARM_NAME_PREFIX_MAX_LENGTH = 255;
// A metric key of evaluation.json (auc, rmse, weighted_f1, ...).
const METRIC_NAME_PATTERN = /^[a-z0-9_]+$/;

/** Runs one command line (without `node` and the script) and returns the exit code. */
export async function runCli(args: readonly string[], runtime: CliRuntime): Promise<ExitCode> {
  const { io } = runtime;
  let connection: ConnectionContext | undefined;
  let exitCode: ExitCode = EXIT_CODE.OK;
  const program = new Command('cdk-mlops');

  /**
   * Wraps a command that talks to AWS: opens the session with the names in `needs` (refused before
   * any AWS call without them), prints the result, closes it.
   */
  const withSession =
    <K extends NameKey, A extends unknown[]>(needs: readonly K[], run: (session: Session<K>, ...args: A) => Promise<CommandOutput>) =>
    async (...args: [...A, Command]): Promise<void> => {
      const command = args[args.length - 1] as Command;
      const session = await openSession(commandPath(command), needs, command.optsWithGlobals<GlobalOptions>(), runtime.cwd, runtime.env);
      connection = session.connection;
      try {
        print(command, await run(session, ...(args.slice(0, -1) as A)));
      } finally {
        closeSession(session);
      }
    };
  const print = (command: Command, output: CommandOutput) =>
    io.stdout(command.optsWithGlobals<GlobalOptions>().json ? formatJson(output.data) : output.text);

  program
    .description(
      'See and drive an MLOps loop (pipeline runs, model approvals, the endpoint, alarms): a stage of this package, ' +
        'or the constructs composed in your own stack.',
    )
    .option('-s, --stage <name>', `stage to act on: config/<name>.json under the working directory (default: ${DEFAULT_STAGE}, unless name flags are given)`)
    .option('-c, --config <file>', 'stage config file to derive the names from, instead of config/<stage>.json (not with --stage)')
    .option('--pipeline-name <name>', 'SageMaker pipeline to act on (default: <project>-<stage>-pipeline of the stage config)', parseName('pipeline', PIPELINE_NAME_PATTERN, PIPELINE_NAME_MAX_LENGTH))
    .option('--model-package-group <name>', 'model package group of the versions (default: <project>-<stage>-models)', parseName('model package group', SAGEMAKER_NAME_PATTERN, SAGEMAKER_NAME_MAX_LENGTH))
    .option('--endpoint-name <name>', 'endpoint the deployer serves the versions on (default: <project>-<stage>-endpoint)', parseName('endpoint', SAGEMAKER_NAME_PATTERN, SAGEMAKER_NAME_MAX_LENGTH))
    .option(
      '--alarm-name-prefix <prefix>',
      "status lists the alarms in ALARM whose names start with this; your stack's name and a hyphen (default: <project>-<stage>-)",
      parseAlarmNamePrefix,
    )
    .option('--metric-name <name>', `key metric of the versions in evaluation.json (default: the metric of the config's first review check, else ${DEFAULT_METRIC_NAME})`, parseMetricName)
    .option('--region <region>', "AWS region (default: AWS_REGION, else the stage config's region, else the profile's)", parseRegion)
    .option('--profile <name>', 'AWS profile of the shared config files (default: AWS_PROFILE, else the standard credential chain)')
    .option('--endpoint-url <url>', 'send every AWS call to this endpoint, e.g. a local emulator', parseEndpointUrl)
    .option('--json', 'print machine-readable JSON on stdout')
    .option('--debug', 'print the stack trace of errors')
    .configureHelp({ showGlobalOptions: true })
    .addHelpText('after', TARGET_HELP + EXIT_CODES_HELP)
    .showHelpAfterError('(add --help for usage)')
    .configureOutput({ writeOut: (text) => io.stdout(text), writeErr: (text) => io.stderr(text) })
    .exitOverride();

  program
    .command('status')
    .description('latest pipeline executions with their steps, model versions, the served version, the newest Model Monitor runs and alarms in ALARM')
    .action(
      withSession(['pipeline', 'modelPackageGroup', 'endpoint'], async (session) => {
        const report = await readStatus(session);
        return { data: report, text: renderStatus(report, runtime.now()) };
      }),
    );

  const models = program.command('models').description('model package versions of the stage');
  models
    .command('list')
    .description('the newest versions with approval, key metric, age and whether the endpoint serves it')
    .option('--limit <count>', `how many versions (default: ${DEFAULT_MODEL_LIST_LIMIT})`, parseCount)
    .action(
      withSession(['modelPackageGroup', 'endpoint'], async (session, options: { limit?: number }) => {
        const { names, metricName, sagemaker, s3 } = session;
        const endpoint = await readEndpointState(sagemaker, names.endpoint);
        const list = await readModelList(
          sagemaker,
          s3,
          names.modelPackageGroup,
          metricName,
          endpoint.servedVersion,
          options.limit ?? DEFAULT_MODEL_LIST_LIMIT,
        );
        const text = list.packages.length > 0 ? renderModelList(list, runtime.now()) : `no model package in ${list.group} yet\n`;
        return { data: list, text };
      }),
    );
  models
    .command('show')
    .description('one version: approval, metadata, metrics reports, containers')
    .argument('<version>', 'model package version', parseVersion)
    .action(
      withSession(['modelPackageGroup', 'endpoint'], async (session, version: number) => {
        const { names, metricName, sagemaker, s3 } = session;
        const endpoint = await readEndpointState(sagemaker, names.endpoint);
        const details = await readModelDetails(sagemaker, s3, names.modelPackageGroup, version, metricName, endpoint.servedVersion);
        return { data: details, text: renderModelDetails(details, runtime.now()) };
      }),
    );

  const decide = (status: ApprovalDecision) =>
    withSession(['modelPackageGroup'], async (session, version: number, options: { note?: string }) => {
      const change = await changeApproval(session.sagemaker, session.names.modelPackageGroup, version, status, options.note);
      return { data: change, text: renderApprovalChange(change, session.names.endpoint ?? 'the endpoint') };
    });
  program
    .command('approve')
    .description('approve a version: the deployer serves the newest approved version')
    .argument('<version>', 'model package version', parseVersion)
    .option('--note <text>', `why, recorded as the approval description (at most ${SAGEMAKER_LIMITS.APPROVAL_DESCRIPTION.maxLength} characters)`)
    .action(decide(ModelApprovalStatus.APPROVED));
  program
    .command('reject')
    .description('reject a version: if it is served, the deployer returns to the newest other approved version')
    .argument('<version>', 'model package version', parseVersion)
    .option('--note <text>', `why, recorded as the approval description (at most ${SAGEMAKER_LIMITS.APPROVAL_DESCRIPTION.maxLength} characters)`)
    .action(decide(ModelApprovalStatus.REJECTED));

  program
    .command('retrain')
    .description("start the pipeline under the retraining governor's rules: not while an execution runs, not inside the cool-down")
    .option(
      '--reason <text>',
      `why, at most ${MAX_MANUAL_REASON_LENGTH} characters; the pipeline gets TriggerReason=manual:<text> (default: operator request)`,
    )
    .option('--force', 'start inside the cool-down (never while an execution is Executing or Stopping)')
    .option('--input-url <s3-url>', "data to train from (default: the pipeline's InputDataUrl default, else the last run's)")
    .option('--wait', 'follow the execution and its steps until it ends; fail unless it succeeds')
    .option('--via-governor', 'put a retrain request on the default event bus for the deployed governor instead')
    .option(
      '--cooldown-minutes <minutes>',
      "the deployed governor's cool-down (default: the config's retraining.cooldownMinutes, else " +
        `${DEFAULT_COOLDOWN_MINUTES}, RetrainingSchedule's default)`,
      parseMinutes,
    )
    .action(
      withSession(['pipeline'], async (session, options: RetrainOptions) => {
        const result = await retrain(session, options, {
          now: runtime.now,
          wait: { pollIntervalMs: runtime.pollIntervalMs, sleep: runtime.sleep, progress: (line) => io.stderr(`${line}\n`) },
          warn: (line) => io.stderr(`${line}\n`),
        });
        return { data: result, text: renderRetrainResult(result) };
      }),
    );

  program
    .command('rollback')
    .description('reject the served version so the deployer returns to the previous approved one')
    .option('--yes', 'do not ask for confirmation (required without a terminal)')
    .option(
      '--note <text>',
      `why, recorded as the approval description of the rejected version (at most ${SAGEMAKER_LIMITS.APPROVAL_DESCRIPTION.maxLength} characters)`,
    )
    .action(
      withSession(['endpoint', 'modelPackageGroup'], async (session, options: { yes?: boolean; note?: string }) => {
        const result = await rollback(session, options, io);
        return { data: result, text: renderRollbackResult(result) };
      }),
    );

  program
    .command('batch')
    .description('batch inference jobs of the stage (batch.enabled)')
    .command('list')
    .description('the newest transform jobs of the batch scorer: status, model version, age, input, output and failure reason')
    .option('--limit <count>', `how many jobs (default: ${DEFAULT_BATCH_LIST_LIMIT})`, parseCount)
    .option('--scorer-name <name>', 'the batch scorer (default: <project>-<stage>-batch of a stage config with batch.enabled)', parseScorerName)
    .action(
      withSession([], async (session, options: { limit?: number; scorerName?: string }) => {
        const list = await readBatchJobs(session.sagemaker, requireBatchScorer(session.config, options.scorerName), options.limit ?? DEFAULT_BATCH_LIST_LIMIT);
        return { data: list, text: renderBatchJobs(list, runtime.now()) };
      }),
    );

  const config = program.command('config').description('stage config files and the names the commands act on');
  config
    .command('validate')
    .description('check a stage config file against the schema; lists every problem')
    .argument('<file>', 'stage config file')
    .action((file: string, _options: unknown, command: Command) => {
      const validation = validateConfigFile(file, runtime.cwd);
      print(command, { data: validation, text: renderConfigValidation(validation) });
    });
  config
    .command('show')
    .description('the stage config --stage or --config selects, validated and with every default')
    .action((_options: unknown, command: Command) => {
      const stageConfig = loadCliStageConfig(command.optsWithGlobals<GlobalOptions>(), runtime.cwd);
      print(command, { data: stageConfig, text: renderConfig(stageConfig) });
    });
  config
    .command('names')
    .description('the resource names, key metric and region the other commands act on, each with where it came from')
    .action(async (_options: unknown, command: Command) => {
      const options = command.optsWithGlobals<GlobalOptions>();
      const target = resolveTarget(options, runtime.cwd);
      const region = await resolveRegion(options, target.config, runtime.env).catch((error: unknown) => {
        if (error instanceof CliError) return undefined;
        throw error;
      });
      const description = describeTarget(target, region);
      print(command, { data: description, text: renderTarget(description) });
    });

  addLocalCommands(program, io, runtime.cwd, runtime.env ?? process.env, (code) => (exitCode = code));
  addDataCommands(program, io, runtime.cwd, runtime.env ?? process.env, (code) => (exitCode = code));

  try {
    await program.parseAsync(args, { from: 'user' });
    return exitCode;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Commander has printed the help or the usage error already.
      return error.code === 'commander.helpDisplayed' || error.code === 'commander.version' ? EXIT_CODE.OK : EXIT_CODE.USAGE;
    }
    const explained = explainError(error, connection);
    const debug = program.opts<GlobalOptions>().debug === true;
    io.stderr(`cdk-mlops: ${explained.message}\n`);
    if (debug && error instanceof Error) io.stderr(`${error.stack}\n`);
    else if (explained.unexpected) io.stderr('(run with --debug for the stack trace)\n');
    return explained.exitCode;
  }
}

function parseVersion(value: string): number {
  const version = Number(value);
  if (!/^\d+$/.test(value) || version < 1 || !Number.isSafeInteger(version)) {
    throw new InvalidArgumentError('expected a model package version: a whole number from 1');
  }
  return version;
}

function parseCount(value: string): number {
  const count = Number(value);
  if (!/^\d+$/.test(value) || count < 1 || count > 1000) throw new InvalidArgumentError('expected a whole number from 1 to 1000');
  return count;
}

/** The command's name as typed, `models list`. */
function commandPath(command: Command): string {
  const names: string[] = [];
  for (let current: Command | null = command; current?.parent; current = current.parent) names.unshift(current.name());
  return names.join(' ');
}

function parseName(resource: string, pattern: RegExp, maxLength: number): (value: string) => string {
  return (value) => {
    if (!pattern.test(value)) {
      throw new InvalidArgumentError(
        `expected the name of a SageMaker ${resource}: 1-${maxLength} letters, digits and hyphens, starting and ending with a letter or digit ` +
          `(got ${value.length} character${value.length === 1 ? '' : 's'})`,
      );
    }
    return value;
  };
}

function parseScorerName(value: string): string {
  const problem = scorerNameProblem(value);
  if (problem) throw new InvalidArgumentError(problem);
  return value;
}

function parseAlarmNamePrefix(value: string): string {
  if (value.length < 1 || value.length > ALARM_NAME_PREFIX_MAX_LENGTH) {
    throw new InvalidArgumentError(`expected the start of alarm names: 1-${ALARM_NAME_PREFIX_MAX_LENGTH} characters (got ${value.length})`);
  }
  return value;
}

function parseMetricName(value: string): string {
  if (!METRIC_NAME_PATTERN.test(value)) {
    throw new InvalidArgumentError('expected a metric of evaluation.json (binary_classification_metrics.<name>): lower-case letters, digits and underscores, such as auc');
  }
  return value;
}

function parseRegion(value: string): string {
  if (!stageConfigSchema.shape.region.safeParse(value).success) throw new InvalidArgumentError('expected an AWS region such as us-east-1');
  return value;
}

function parseEndpointUrl(value: string): string {
  let protocol: string | undefined;
  try {
    ({ protocol } = new URL(value));
  } catch {
    // Not a URL at all: refused below.
  }
  if (protocol !== 'http:' && protocol !== 'https:') throw new InvalidArgumentError('expected an http:// or https:// URL such as http://127.0.0.1:5000');
  return value;
}

function parseMinutes(value: string): number {
  const minutes = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(minutes)) throw new InvalidArgumentError('expected a whole number of minutes, 0 or more');
  return minutes;
}
