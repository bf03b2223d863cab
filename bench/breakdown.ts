import { summarize } from './stats';
import type { AppRun } from './synth';

/** The parts of one synth process, in milliseconds; together they make its wall time. */
export interface SynthParts {
  readonly startup: number;
  readonly tsCompile: number;
  readonly moduleLoad: number;
  readonly construction: number;
  readonly bundling: number;
  readonly synthesis: number;
  readonly validationEngine: number;
  readonly validationChecks: number;
  readonly nag: number;
  readonly exit: number;
}

export const PART_LABELS: Record<keyof SynthParts, string> = {
  startup: 'node, ts-node and typescript start-up (before app code)',
  tsCompile: 'ts-node transpiling the project .ts files',
  moduleLoad: 'loading aws-cdk-lib, cdk-nag, zod and the project modules',
  construction: 'building the construct tree (without bundling)',
  bundling: 'bundling the Lambda handlers (esbuild, in-process)',
  synthesis: 'synthesis: templates, assets, tree (without validation)',
  validationEngine: 'template validation: starting its engine (once per process)',
  validationChecks: 'template validation: checking the templates',
  nag: 'cdk-nag packs (AwsSolutions, NIST 800-53 R5, HIPAA)',
  exit: 'outside the counters: process spawn and exit',
};

/**
 * Medians of each part over `runs` (the bench app with everything on), from aws-cdk-lib's
 * performance counters and the app's ts-node profile. aws-cdk-lib times all validation plugins as
 * one span, validateTemplates; `withoutNag` (the same app without the packs) splits it: what the
 * span takes without the packs is template validation, the rest is the packs. Within template
 * validation, aws-cdk-lib's CloudFormationValidate.validate counter times the checks alone; the
 * rest is the validation engine starting (a CPU profile shows initializeEngine there).
 */
export function synthParts(runs: readonly AppRun[], withoutNag: readonly AppRun[]): SynthParts {
  const median = (list: readonly AppRun[], measure: (run: AppRun) => number) => summarize(list.map(measure)).median;
  const counter = (name: string) => (run: AppRun) => run.counters[name] ?? 0;
  const startup = (run: AppRun) => run.tsProfile?.startupMs ?? 0;
  const tsCompile = (run: AppRun) => run.tsProfile?.tsCompileMs ?? 0;
  const bundling = (run: AppRun) => run.tsProfile?.bundlingMs ?? 0;
  const validation = median(runs, counter('validateTemplates'));
  const validationAlone = median(withoutNag, counter('validateTemplates'));
  const checks = median(runs, counter('CloudFormationValidate.validate'));
  return {
    startup: median(runs, startup),
    tsCompile: median(runs, tsCompile),
    moduleLoad: median(runs, (run) => counter('phase:Load')(run) - startup(run) - tsCompile(run)),
    construction: median(runs, (run) => counter('phase:Construction')(run) - bundling(run)),
    bundling: median(runs, bundling),
    synthesis: median(runs, (run) => counter('phase:Synthesis')(run) - counter('validateTemplates')(run)),
    validationEngine: validationAlone - checks,
    validationChecks: checks,
    nag: validation - validationAlone,
    exit: median(runs, (run) => run.wallMs - counter('phase:Load')(run) - counter('phase:Construction')(run) - counter('phase:Synthesis')(run)),
  };
}
