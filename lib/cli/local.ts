import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import { packageFile } from '../../constructs/private/package-files';
import { DEFAULT_CONFIG_DIR, loadStageConfig } from '../config-loader';
import { LocalLoopReport, runLocalLoop } from '../local/local-loop';
import { MotoNotInstalledError } from '../local/moto-server';
import { LocalImageError } from '../local/step-runners';
import { CliError, EXIT_CODE, ExitCode, UsageError } from './errors';
import { CliIo, formatJson } from './output';
import { findPython } from './python';
import { DEFAULT_STAGE, GlobalOptions } from './session';

export const SAMPLE_DATA = packageFile('ml', 'data', 'churn-sample.csv');

interface LocalRunOptions {
  readonly data?: string;
  readonly drift?: boolean;
  readonly parameter: Record<string, string>;
  readonly approve?: boolean;
  readonly keep?: boolean;
  readonly challengerData?: string;
}

export const LOCAL_RUN_HELP = `
The whole loop on this machine, with no AWS account and no Docker: the stage's stack is built in
this process, moto (started on 127.0.0.1) stands in for S3 and SageMaker, the pipeline definition
runs step by step with local Python, the registered package is approved and handed to the real
deployer code, a local model server serves it with data capture, the test split is sent as traffic
and checked against the registered baseline, and with --drift the drift alarm reaches the real
governor code. Needs moto ("pip install moto[server]") and a Python 3 with numpy, pandas,
scikit-learn and xgboost (CDK_MLOPS_PYTHON, else python3, else /usr/bin/python3).

Exit codes: 0 the loop ran through; 1 a step or the loop failed (the work folder is kept);
2 usage or config error; 3 moto or Python missing; 4 the package waits for manual approval (--approve).
`;

/** Registers `local run` on the program. */
export function addLocalCommands(program: Command, io: CliIo, cwd: string, env: NodeJS.ProcessEnv, setExitCode: (code: ExitCode) => void): void {
  const local = program.command('local').description('run the whole loop on this machine (moto, local Python, no AWS account)');
  local
    .command('run')
    .description('synthesize the stage, run its pipeline, deploy, serve, capture, monitor and (with --drift) retrain, locally')
    .option('--data <path>', 'CSV file or folder of CSV files to train on (default: the shipped sample, ml/data/churn-sample.csv)')
    .option('--drift', 'shift the traffic so Model Monitor finds drift, and deliver the drift alarm to the governor')
    .option('--parameter <name=value>', 'pipeline parameter for this run (repeatable), e.g. MetricThreshold=0.8', collectParameter, {})
    .option('--approve', 'approve the registered package when the stage approves manually')
    .option('--challenger-data <path>', 'CSV file or folder for a second run, reviewed against the first run\'s model as its champion')
    .option('--keep', 'keep the work folder after a successful run (a failed run always keeps it)')
    .addHelpText('after', LOCAL_RUN_HELP)
    .action(async (options: LocalRunOptions, command: Command) => {
      const globals = command.optsWithGlobals<GlobalOptions>();
      const config = loadStageConfig(localConfigSource(globals, cwd));
      const dataPath = options.data ? resolve(cwd, options.data) : SAMPLE_DATA;
      if (!existsSync(dataPath)) throw new UsageError(`--data: ${dataPath} does not exist`);
      const challengerDataPath = options.challengerData === undefined ? undefined : resolve(cwd, options.challengerData);
      if (challengerDataPath && !existsSync(challengerDataPath)) throw new UsageError(`--challenger-data: ${challengerDataPath} does not exist`);
      const python = findPython(env);
      const json = globals.json === true;
      const progress = (line: string) => (json ? io.stderr : io.stdout)(`${line}\n`);
      const workDir = mkdtempSync(join(tmpdir(), `cdk-mlops-local-${config.stage}-`));
      progress(`work       ${workDir}`);
      let report: LocalLoopReport;
      try {
        report = await runLocalLoop({
          config,
          dataPath,
          drift: options.drift === true,
          parameters: options.parameter,
          approve: options.approve === true,
          workDir,
          python,
          progress,
          env,
          challengerDataPath,
        });
      } catch (error) {
        if (error instanceof MotoNotInstalledError) {
          // Nothing ran: the folder is empty.
          rmSync(workDir, { recursive: true, force: true });
          throw new CliError(error.message, EXIT_CODE.AWS_ACCESS);
        }
        progress(`work folder kept: ${workDir}`);
        if (error instanceof LocalImageError) throw new CliError(error.message, EXIT_CODE.FAILED);
        throw error;
      }
      const removed = report.status === 'Succeeded' && options.keep !== true;
      if (removed) rmSync(workDir, { recursive: true, force: true });
      io.stdout(json ? formatJson({ ...report, workDir: removed ? null : workDir }) : renderSummary(report, removed));
      setExitCode(report.status === 'Succeeded' ? EXIT_CODE.OK : report.status === 'PendingApproval' ? EXIT_CODE.REFUSED : EXIT_CODE.FAILED);
    });
}

/** `--config FILE`, else `--stage NAME` from config/ under the working directory, else the package's config/. */
function localConfigSource(options: GlobalOptions, cwd: string) {
  if (options.config !== undefined && options.stage !== undefined) throw new UsageError('give --stage or --config, not both');
  if (options.config !== undefined) return { configFile: resolve(cwd, options.config) };
  const stage = options.stage ?? DEFAULT_STAGE;
  const own = join(cwd, 'config', `${stage}.json`);
  return existsSync(own) ? { configFile: own } : { stage, configDir: DEFAULT_CONFIG_DIR };
}

function collectParameter(value: string, previous: Record<string, string>): Record<string, string> {
  const match = /^([A-Za-z][A-Za-z0-9]*)=(.*)$/.exec(value);
  if (!match) throw new InvalidArgumentError(`expected Name=Value, such as MetricThreshold=0.8 (got "${value}")`);
  return { ...previous, [match[1]]: match[2] };
}

/** The gate's verdict and each check, one per line, with where the model card is. */
function reviewLines(label: string, review: NonNullable<LocalLoopReport['review']>): string[] {
  return [
    `  ${label.padEnd(11)} ${review.passed ? 'passed' : 'failed'}; model card ${review.modelCardS3Uri}`,
    ...review.checks.map((check) => `              ${check.passed ? 'ok    ' : 'FAILED'} ${check.detail}`),
  ];
}

function renderSummary(report: LocalLoopReport, removed: boolean): string {
  const lines = ['', `local run of ${report.stage}: ${report.status}${report.stoppedBecause ? ` (${report.stoppedBecause})` : ''}`];
  const { pipeline, modelPackage, endpoint, traffic, monitoring, retraining } = report;
  if (pipeline) {
    lines.push(`  pipeline    execution ${pipeline.executionId} ${pipeline.status} in ${pipeline.seconds} s`);
    for (const step of pipeline.steps) lines.push(`              ${step.status.padEnd(9)} ${step.name} (${step.type}) ${step.seconds} s`);
    for (const step of pipeline.notRun) lines.push(`              not run   ${step.name}: ${step.reason}`);
  }
  if (report.dataProfile) lines.push(`  profile     ${report.dataProfile.htmlPath}${removed ? ' (removed with the work folder: --keep keeps it)' : ''}`);
  if (report.review) lines.push(...reviewLines('review', report.review));
  if (modelPackage) lines.push(`  package     version ${modelPackage.version} ${modelPackage.approvalStatus}`);
  if (endpoint) lines.push(`  endpoint    ${endpoint.name} ${endpoint.status}, serving version ${endpoint.servedPackageVersion}`);
  if (traffic) lines.push(`  traffic     ${traffic.requests} requests${traffic.drifted ? ' (drifted)' : ''}, ${traffic.captured} captured (${traffic.samplingPercent} %)`);
  if (report.batch) lines.push(`  batch       job ${report.batch.jobName}: ${report.batch.outputRows} of ${report.batch.inputRows} rows scored into ${report.batch.outputUri}`);
  if (monitoring) {
    lines.push(`  monitoring  ${monitoring.violations} violation${monitoring.violations === 1 ? '' : 's'}`);
    for (const check of monitoring.checks) lines.push(`              ${check.check} ${check.feature}: ${check.description}`);
  }
  const quality = report.modelQuality;
  if (quality) {
    const value = quality.value === null ? 'undefined' : String(Number(quality.value.toFixed(4)));
    const bound = `${quality.comparison === 'LessThanThreshold' ? 'alarm below' : 'alarm above'} ${quality.threshold}`;
    lines.push(
      `  quality     ${quality.metric} ${value} on ${quality.mergedRecords} records with ground truth (${bound}): ${quality.violated ? 'VIOLATED' : 'ok'}` +
        (quality.scheduledInAws ? '' : ' (in AWS this stage keeps no model-quality schedule)'),
    );
  }
  if (retraining) lines.push(`  retraining  ${retraining.decision}: ${retraining.reason}${retraining.deliveredInAws ? '' : ` (in AWS this stage delivers no ${retraining.trigger.startsWith('model-quality:') ? 'model-quality' : 'drift'} alarm)`}`);
  const { challenger } = report;
  if (challenger) {
    const registered = challenger.modelPackage ? ` as version ${challenger.modelPackage.version} ${challenger.modelPackage.approvalStatus}` : '';
    lines.push(`  challenger  ${challenger.outcome}${registered} (execution ${challenger.executionId})${challenger.reason ? `: ${challenger.reason}` : ''}`);
    if (challenger.review) lines.push(...reviewLines('', challenger.review).map((line) => `  ${line}`));
  }
  lines.push(`  emulated    ${report.emulated.join('\n              ')}`);
  lines.push(removed ? '  work folder removed (--keep keeps it)' : `  work folder ${report.workDir}`);
  return `${lines.join('\n')}\n`;
}
