import { ModelApprovalStatus } from '@aws-sdk/client-sagemaker';
import { Command, CommanderError, InvalidArgumentError } from 'commander';
import { renderConfig, renderConfigValidation, validateConfigFile } from './config-commands';
import { readEndpointState } from './endpoint';
import { ConnectionContext, EXIT_CODE, ExitCode, explainError } from './errors';
import { ApprovalDecision, changeApproval, readModelDetails, readModelList, renderApprovalChange, renderModelDetails, renderModelList } from './models';
import { CliIo, formatJson } from './output';
import { SAGEMAKER_LIMITS } from '../../lambda/shared/sagemaker-limits';
import { MAX_MANUAL_REASON_LENGTH } from '../../lambda/retraining-governor/governor';
import { renderRetrainResult, retrain } from './retrain';
import { renderRollbackResult, rollback } from './rollback';
import { closeSession, DEFAULT_STAGE, GlobalOptions, loadCliStageConfig, openSession, Session } from './session';
import { readStatus, renderStatus } from './status';

/** What the CLI needs from its surroundings; bin/ passes the real ones, tests their own. */
export interface CliRuntime {
  readonly io: CliIo;
  readonly now: () => Date;
  readonly sleep: (ms: number) => Promise<void>;
  /** How often `retrain --wait` polls the execution. */
  readonly pollIntervalMs: number;
  /** Where `--config` paths and config/ are resolved from. */
  readonly cwd: string;
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
const DEFAULT_MODEL_LIST_LIMIT = 20;

/** Runs one command line (without `node` and the script) and returns the exit code. */
export async function runCli(args: readonly string[], runtime: CliRuntime): Promise<ExitCode> {
  const { io } = runtime;
  let connection: ConnectionContext | undefined;
  const program = new Command('cdk-mlops');

  /** Wraps a command that talks to AWS: opens the stage's session, prints the result, closes it. */
  const withSession =
    <A extends unknown[]>(run: (session: Session, ...args: A) => Promise<CommandOutput>) =>
    async (...args: [...A, Command]): Promise<void> => {
      const command = args[args.length - 1] as Command;
      const session = openSession(command.optsWithGlobals<GlobalOptions>(), runtime.cwd);
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
    .description('See and drive the MLOps loop of one stage: pipeline runs, model approvals, the endpoint, alarms.')
    .option('-s, --stage <name>', `stage to act on: config/<name>.json under the working directory (default: ${DEFAULT_STAGE})`)
    .option('-c, --config <file>', 'stage config file to use instead of config/<stage>.json')
    .option('--region <region>', "AWS region (default: AWS_REGION, else the stage config's region)")
    .option('--profile <name>', 'AWS profile of the shared config files (default: the standard credential chain)')
    .option('--endpoint-url <url>', 'send every AWS call to this endpoint, e.g. a local emulator')
    .option('--json', 'print machine-readable JSON on stdout')
    .option('--debug', 'print the stack trace of errors')
    .configureHelp({ showGlobalOptions: true })
    .addHelpText('after', EXIT_CODES_HELP)
    .showHelpAfterError('(add --help for usage)')
    .configureOutput({ writeOut: (text) => io.stdout(text), writeErr: (text) => io.stderr(text) })
    .exitOverride();

  program
    .command('status')
    .description('latest pipeline executions with their steps, model versions, the served version and alarms in ALARM')
    .action(
      withSession(async (session) => {
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
      withSession(async (session, options: { limit?: number }) => {
        const { names, config, sagemaker, s3 } = session;
        const endpoint = await readEndpointState(sagemaker, names.endpoint);
        const list = await readModelList(
          sagemaker,
          s3,
          names.modelPackageGroup,
          config.training.metricName,
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
      withSession(async (session, version: number) => {
        const { names, config, sagemaker, s3 } = session;
        const endpoint = await readEndpointState(sagemaker, names.endpoint);
        const details = await readModelDetails(sagemaker, s3, names.modelPackageGroup, version, config.training.metricName, endpoint.servedVersion);
        return { data: details, text: renderModelDetails(details, runtime.now()) };
      }),
    );

  const decide = (status: ApprovalDecision) =>
    withSession(async (session, version: number, options: { note?: string }) => {
      const change = await changeApproval(session.sagemaker, session.names.modelPackageGroup, version, status, options.note);
      return { data: change, text: renderApprovalChange(change, session.names.endpoint) };
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
    .action(
      withSession(async (session, options: { reason?: string; force?: boolean; inputUrl?: string; wait?: boolean; viaGovernor?: boolean }) => {
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
      withSession(async (session, options: { yes?: boolean; note?: string }) => {
        const result = await rollback(session, options, io);
        return { data: result, text: renderRollbackResult(result) };
      }),
    );

  const config = program.command('config').description('stage config files');
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

  try {
    await program.parseAsync(args, { from: 'user' });
    return EXIT_CODE.OK;
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
