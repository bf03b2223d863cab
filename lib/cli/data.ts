import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Command, InvalidArgumentError, Option } from 'commander';
import { PROBLEM_TYPES, ProblemType } from '../../lambda/shared/model-metrics';
import { packageFile } from '../../constructs/private/package-files';
import { EXIT_CODE, ExitCode, UsageError } from './errors';
import { CliIo, formatJson } from './output';
import { scriptError } from '../local/python-script';
import { findPython } from './python';
import { GlobalOptions } from './session';

/** Registers `data profile` on the program: the pipeline's DataProfile step, on a local file. */
export function addDataCommands(program: Command, io: CliIo, cwd: string, env: NodeJS.ProcessEnv, setExitCode: (code: ExitCode) => void): void {
  const data = program.command('data').description('look at data before training on it');
  data
    .command('profile')
    .description('profile a CSV file as the pipeline does: profile.html (charts, opens offline) and profile.json')
    .argument('<file>', 'the CSV file (with a header row)')
    .option('--out <dir>', 'folder to write profile.html and profile.json into', 'profile')
    .option('--label-column <name>', 'the label column', 'churn')
    .addOption(new Option('--problem-type <type>', 'what the label holds, as the pipeline\'s problemType').choices(PROBLEM_TYPES).default('binary'))
    .option('--num-classes <k>', 'classes of a multiclass label (0 to k-1); with --problem-type multiclass only', parseNumClasses)
    .action((file: string, options: { out: string; labelColumn: string; problemType: ProblemType; numClasses?: number }, command: Command) => {
      const input = resolve(cwd, file);
      if (!existsSync(input)) throw new UsageError(`${file} does not exist`);
      if (options.problemType === 'multiclass' && options.numClasses === undefined) throw new UsageError('--problem-type multiclass needs --num-classes K (the labels are 0 to K-1)');
      if (options.problemType !== 'multiclass' && options.numClasses !== undefined) throw new UsageError('--num-classes is only for --problem-type multiclass');
      const out = resolve(cwd, options.out);
      const python = findPython(env);
      const result = spawnSync(
        python,
        [
          packageFile('ml', 'profile.py'),
          ...['--input-file', input, '--output-dir', out, '--label-column', options.labelColumn, '--problem-type', options.problemType],
          ...(options.numClasses === undefined ? [] : ['--num-classes', String(options.numClasses)]),
        ],
        { encoding: 'utf8', env },
      );
      if (result.status !== 0) {
        // The script's own error line names the problem.
        io.stderr(`cdk-mlops: data profile failed: ${scriptError(result.stderr)}\n`);
        setExitCode(result.status === 2 ? EXIT_CODE.USAGE : EXIT_CODE.FAILED);
        return;
      }
      const profile = JSON.parse(readFileSync(join(out, 'profile.json'), 'utf8')) as {
        dataset: { rows: number; columns: number };
        warnings?: { message: string }[];
      };
      const summary = {
        html: join(out, 'profile.html'),
        json: join(out, 'profile.json'),
        rows: profile.dataset.rows,
        columns: profile.dataset.columns,
        warnings: (profile.warnings ?? []).map((warning) => warning.message),
      };
      const text = [
        `profiled ${summary.rows} rows × ${summary.columns} columns of ${file}`,
        `  ${summary.html}`,
        `  ${summary.json}`,
        ...summary.warnings.map((warning) => `  warning: ${warning}`),
      ].join('\n');
      io.stdout(command.optsWithGlobals<GlobalOptions>().json ? formatJson(summary) : `${text}\n`);
    });
}

function parseNumClasses(value: string): number {
  if (!/^\d+$/.test(value) || Number(value) < 2) throw new InvalidArgumentError('expected a whole number of classes, 2 or more');
  return Number(value);
}
