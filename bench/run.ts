import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { knownStages, loadStageConfig } from '../lib/config-loader';
import type { StageConfig } from '../lib/stage-config';
import { CFN_MAX_RESOURCES, CFN_MAX_TEMPLATE_BYTES, readAssembly, templateFacts, TemplateFacts } from './assembly';
import { PART_LABELS, SynthParts, synthParts } from './breakdown';
import { CommandRun, onPath, timeNpm } from './commands';
import { IdleCost, idleMonthlyCost, NOT_ESTIMATED } from './cost';
import { coldLoad, ColdLoad, lambdaBundles, LambdaBundle } from './lambdas';
import { allUnitPrices, formatUsd, PRICES } from './prices';
import { renderMarkdown, renderText, Section } from './report';
import { formatSummary, percentOf, summarize, Summary } from './stats';
import { AppRun, AppSpec, REPO_ROOT, runApp, runCliSynth } from './synth';

/**
 * `npm run bench`: what users wait for (synth, tests) and pay for (idle cost) on this machine.
 * Progress goes to stderr, the tables to stdout, everything to bench/results/latest.{json,md}.
 */

const RESULTS_DIR = join(REPO_ROOT, 'bench', 'results');
const STAGES_APP = 'bench/apps/stages.ts';
const COLD_LOAD_RUNS = 10;

interface Measurement {
  readonly id: string;
  readonly label: string;
  readonly spec: AppSpec;
  readonly runs: number;
}

// The headline and the floor get n = 5, one `cdk synth` of dev 3, the variants 2: the variants
// cost as much as the headline, and the test suites take about two of the five minutes on 2 cores.
const PLAN: readonly Measurement[] = [
  { id: 'all', label: 'all stages, one process (bench/apps/stages.ts): nag + validation', spec: { app: STAGES_APP }, runs: 5 },
  { id: 'floor', label: 'floor: one stack, one resource (bench/apps/floor.ts)', spec: { app: 'bench/apps/floor.ts' }, runs: 5 },
  { id: 'dev', label: 'dev alone, bin/mlops-app.ts (what one `cdk synth` runs)', spec: { app: 'bin/mlops-app.ts', context: { stage: 'dev' } }, runs: 3 },
  {
    id: 'all-validation-context-false',
    label: 'all stages, -c @aws-cdk/core:validateAgainstDefaultRules=false',
    spec: { app: STAGES_APP, context: { '@aws-cdk/core:validateAgainstDefaultRules': false } },
    runs: 2,
  },
  { id: 'all-no-validation', label: 'all stages, CDK_VALIDATION=false', spec: { app: STAGES_APP, env: { CDK_VALIDATION: 'false' } }, runs: 2 },
  { id: 'all-no-nag', label: 'all stages, no nag packs', spec: { app: STAGES_APP, context: { nag: 'false' } }, runs: 2 },
];

const benchStart = performance.now();
const seconds = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
const signedSeconds = (ms: number) => `${ms >= 0 ? '+' : '−'}${seconds(Math.abs(ms))}`;
const progress = (message: string) =>
  process.stderr.write(`[${((performance.now() - benchStart) / 1000).toFixed(0).padStart(3)} s] ${message}\n`);

function main() {
  mkdirSync(RESULTS_DIR, { recursive: true });
  const workDir = mkdtempSync(join(tmpdir(), 'cdk-mlops-bench-'));
  try {
    const machine = describeMachine();
    progress(`${machine.cpu}, ${machine.nproc} cores, node ${machine.node}, load average ${machine.loadAtStart}`);
    const { runs, headline } = measureSynth(workDir);
    progress('synth dev once through the CLI (npx cdk synth)');
    const cli = runCliSynth('dev', workDir);

    const stacks = readAssembly(headline.outdir);
    const configs = knownStages().map((stage) => loadStageConfig({ stage }));
    const stages = stacks.map((stack) => {
      const config = configs.find((c) => `${c.project}-${c.stage}` === stack.stackName);
      if (!config) throw new Error(`no stage config in config/ builds the stack ${stack.stackName}`);
      const facts = templateFacts(stack.template, stack.assets);
      return { config, stack, facts, idleCost: idleMonthlyCost(config, facts) };
    });

    const bundles = lambdaBundles(headline.outdir, stacks);
    const loads = bundles.map((bundle) => {
      progress(`cold-load ${bundle.name} in ${COLD_LOAD_RUNS} fresh node processes`);
      return coldLoad(bundle, COLD_LOAD_RUNS, join(REPO_ROOT, 'node_modules'));
    });

    progress('npm test (once)');
    const unit = timeNpm(['test'], join(RESULTS_DIR, 'npm-test.log'));
    let integration: CommandRun = { skipped: 'moto_server is not on PATH (pip install "moto[server]")' };
    if (onPath('moto_server')) {
      progress('npm run test:integration (once)');
      integration = timeNpm(['run', 'test:integration'], join(RESULTS_DIR, 'test-integration.log'));
    }

    let localLoop: LocalLoopRun = { skipped: 'moto_server is not on PATH (pip install "moto[server]")' };
    if (onPath('moto_server')) {
      progress('npm run cli -- local run --stage dev --json (once)');
      localLoop = timeLocalLoop(join(RESULTS_DIR, 'local-run.log'));
    }

    machine.loadAtEnd = loadavg().map((load) => load.toFixed(2)).join(' ');
    const wall = summariesOf(runs, (run) => run.wallMs);
    const cpu = summariesOf(runs, (run) => run.cpuMs);
    const parts = synthParts(runs.get('all')!, runs.get('all-no-nag')!);
    const biggest = biggestCost(parts, wall, cpu, runs.get('all')!);
    const sections = [
      synthSection(runs, wall, cpu, cli, machine),
      breakdownSection(parts, runs.get('all')!, runs.get('all-no-nag')!),
      stageSection(stages),
      lambdaSection(bundles, loads),
      testSection(unit, integration),
      localLoopSection(localLoop),
      costSection(stages),
      priceSection(),
    ];
    const totalMs = performance.now() - benchStart;
    const header =
      `cdk-mlops bench, ${machine.date}: ${machine.cpu}, nproc ${machine.nproc}, node ${machine.node}, ` +
      `load average ${machine.loadAtStart} at start, ${machine.loadAtEnd} at end`;
    const total = `Total bench wall time: ${seconds(totalMs)}`;
    process.stdout.write(`${[header, ...sections.map(renderText), biggest, total].join('\n\n')}\n`);

    writeFileSync(join(RESULTS_DIR, 'latest.md'), `${[header, ...sections.map((s) => renderMarkdown(s)), biggest, total].join('\n\n')}\n`);
    writeFileSync(
      join(RESULTS_DIR, 'latest.json'),
      `${JSON.stringify(
        {
          machine,
          synth: PLAN.map((m) => ({
            ...m,
            wall: wall.get(m.id),
            cpu: cpu.get(m.id),
            runs: runs.get(m.id)!.map(({ wallMs, cpuMs, counters, tsProfile }) => ({ wallMs, cpuMs, counters, tsProfile })),
          })),
          cliSynthDev: cli,
          breakdown: parts,
          stages: stages.map(({ config, stack, facts, idleCost }) => ({
            stage: config.stage,
            stack: stack.stackName,
            templateBytes: stack.templateBytes,
            facts,
            idleCost,
          })),
          lambdas: bundles.map((bundle, i) => ({ ...bundle, coldLoad: loads[i] })),
          tests: { unit, integration },
          localLoop,
          prices: PRICES,
          biggestCost: biggest,
          totalMs,
        },
        undefined,
        2,
      )}\n`,
    );
    progress(`done in ${seconds(totalMs)}; results in bench/results/latest.json and latest.md`);
  } finally {
    rmSync(workDir, { recursive: true, force: true });
  }
}

interface Machine {
  date: string;
  cpu: string;
  nproc: string;
  node: string;
  loadAtStart: string;
  loadAtEnd?: string;
}

function describeMachine(): Machine {
  const cpuinfo = readFileSync('/proc/cpuinfo', 'utf8');
  return {
    date: new Date().toISOString().slice(0, 10),
    cpu: /^model name\s*:\s*(.+)$/m.exec(cpuinfo)?.[1] ?? 'unknown CPU',
    nproc: spawnSync('nproc', { encoding: 'utf8' }).stdout.trim(),
    node: process.version,
    loadAtStart: loadavg().map((load) => load.toFixed(2)).join(' '),
  };
}

/**
 * Runs the plan round-robin, so load from other processes on the machine spreads over every
 * measurement instead of landing on one. Keeps the last headline assembly for analysis.
 */
function measureSynth(workDir: string): { runs: Map<string, AppRun[]>; headline: AppRun } {
  const runs = new Map<string, AppRun[]>(PLAN.map((m) => [m.id, []]));
  let headline: AppRun | undefined;
  const rounds = Math.max(...PLAN.map((m) => m.runs));
  for (let round = 0; round < rounds; round++) {
    for (const m of PLAN.filter((entry) => round < entry.runs)) {
      const run = runApp(m.spec, workDir);
      runs.get(m.id)!.push(run);
      progress(`synth ${m.id} ${round + 1}/${m.runs}: ${seconds(run.wallMs)}`);
      if (m.id !== 'all') rmSync(run.outdir, { recursive: true, force: true });
      else {
        if (headline) rmSync(headline.outdir, { recursive: true, force: true });
        headline = run;
      }
    }
  }
  return { runs, headline: headline! };
}

function summariesOf(runs: Map<string, AppRun[]>, measure: (run: AppRun) => number): Map<string, Summary> {
  return new Map([...runs].map(([id, list]) => [id, summarize(list.map(measure))]));
}

function synthSection(
  runs: Map<string, AppRun[]>,
  wall: Map<string, Summary>,
  cpu: Map<string, Summary>,
  cli: { wallMs: number; cpuMs: number },
  machine: Machine,
): Section {
  const floor = wall.get('floor')!.median;
  const validationSpan = (id: string) => seconds(summarize(runs.get(id)!.map((run) => run.counters.validateTemplates ?? 0)).median);
  const versusAll = (id: string, value: number, summaries: Map<string, Summary>) =>
    id === 'all' ? 'baseline' : id === 'floor' ? '' : signedSeconds(value - summaries.get('all')!.median);
  const rows = PLAN.map((m) => [
    m.label,
    formatSummary(wall.get(m.id)!, 's'),
    `${(wall.get(m.id)!.median / floor).toFixed(2)}×`,
    versusAll(m.id, wall.get(m.id)!.median, wall),
    seconds(cpu.get(m.id)!.median),
    versusAll(m.id, cpu.get(m.id)!.median, cpu),
    validationSpan(m.id),
  ]);
  rows.push([
    'dev alone, `npx cdk synth` through the CLI (once, for reference)',
    formatSummary(summarize([cli.wallMs]), 's'),
    `${(cli.wallMs / floor).toFixed(2)}×`,
    versusAll('cli', cli.wallMs, wall),
    seconds(cli.cpuMs),
    versusAll('cli', cli.cpuMs, cpu),
    '',
  ]);
  return {
    title: 'Synth time',
    headers: ['what', 'wall: median (min–max, n)', 'vs floor', 'vs all stages', 'CPU: median', 'vs all stages', 'validation plugins'],
    rows,
    notes: [
      'Every row but the last times the app process the way the CDK CLI runs it — `node -r ts-node/register/transpile-only APP` with ' +
        'CDK_CONTEXT_JSON (cdk.json context, the keys the CLI adds, the stage) and CDK_OUTDIR in a temp folder — not the `cdk` CLI itself.',
      '"All stages" builds the stacks of every config/ stage in one process with the nag packs registered once, each stack as ' +
        "addMlopsStage builds it; CI's one `cdk synth` per stage pays process start-up, module loading, bundling and the validation " +
        'engine once per stage instead.',
      "Validation plugins: median of aws-cdk-lib's validateTemplates span, in-process (template validation and the nag packs).",
      'With aws-cdk-lib 2.276, context @aws-cdk/core:validateAgainstDefaultRules=false does not skip template validation (see its ' +
        'validation plugins time): it only reports its errors as warnings. CDK_VALIDATION=false (or `cdk synth --no-validation`) skips it.',
      `The CDK CLI added ${seconds(cli.wallMs - wall.get('dev')!.median)} to the dev app process it ran (one run against the median).`,
      '"No nag packs" is the same app without addComplianceChecks (context nag=false of bench/apps/stages.ts).',
      'CPU is user + system time of the app and the processes it ran (esbuild); other load on the machine disturbs it less than wall time.',
      `Runs are interleaved round-robin so that other load spreads over every row; load average ${machine.loadAtStart} at start, ` +
        `${machine.loadAtEnd} at end (above ${machine.nproc}, processes were waiting for a core).`,
    ],
  };
}

function breakdownSection(parts: SynthParts, runs: readonly AppRun[], withoutNag: readonly AppRun[]): Section {
  const total = Object.values(parts).reduce((sum, ms) => sum + ms, 0);
  const functions = runs[0].tsProfile?.bundles ?? 0;
  return {
    title: `Where the all-stages synth time goes (medians of n=${runs.length})`,
    headers: ['part', 'time', 'share'],
    rows: (Object.keys(PART_LABELS) as (keyof SynthParts)[])
      .sort((a, b) => parts[b] - parts[a])
      .map((key) => [PART_LABELS[key], seconds(parts[key]), percentOf(parts[key], total)]),
    notes: [
      "From aws-cdk-lib's own performance counters (CDK_PERF_COUNTERS_FILE, as the CLI sets it) and ts-node's transpile time, " +
        `summed by bench/apps/ts-compile-timer.ts over ${runs[0].tsProfile?.tsFiles ?? 0} files.`,
      `aws-cdk-lib times all validation plugins as one span; the ${withoutNag.length} runs without the nag packs split it into ` +
        'template validation and the packs (a difference of medians, so it carries their noise).',
      `Bundling ran ${functions} times: aws-cdk-lib reuses a staged asset for every stack that bundles the same handler the same way.`,
      'Module loading is what precedes `new App()`; aws-cdk-lib loads some modules lazily, so part of it lands in construction.',
    ],
  };
}

function stageSection(stages: readonly { config: StageConfig; stack: { stackName: string; templateBytes: number }; facts: TemplateFacts }[]): Section {
  return {
    title: 'Stages (templates of the last all-stages run)',
    headers: ['stage', 'resources (of 500)', 'template (of 1 MB)', 'Lambda functions', 'custom resources', 'needs Docker'],
    rows: stages.map(({ config, stack, facts }) => [
      config.stage,
      `${facts.resources} (${percentOf(facts.resources, CFN_MAX_RESOURCES)})`,
      `${(stack.templateBytes / 1024).toFixed(1)} KiB (${percentOf(stack.templateBytes, CFN_MAX_TEMPLATE_BYTES)})`,
      String(facts.lambdaFunctions),
      String(facts.customResources),
      facts.dockerImageAssets === 0 ? 'no' : `yes: ${facts.dockerImageAssets} container image asset(s)`,
    ]),
    notes: [
      "Needs Docker: container-image assets in each stack's asset manifest; and every synth ran with CDK_DOCKER pointing at no " +
        'program, so bundling or building anything with Docker at synth would have failed it.',
    ],
  };
}

function lambdaSection(bundles: readonly LambdaBundle[], loads: readonly ColdLoad[]): Section {
  return {
    title: `Lambda bundles (cold module load: median of ${COLD_LOAD_RUNS} fresh node processes)`,
    headers: ['function', 'stacks', 'index.js', 'cold module load'],
    rows: bundles.map((bundle, i) => {
      const load = loads[i];
      return [
        bundle.name,
        bundle.stacks.join(', '),
        `${(bundle.bytes / 1024).toFixed(1)} KiB`,
        'samples' in load ? formatSummary(summarize(load.samples), 'ms') : load.error,
      ];
    }),
    notes: [
      'The AWS SDK v3 is external in the bundles and resolved from the repository\'s node_modules: the load times include ' +
        'loading the SDK clients, which the Lambda runtime provides.',
      `Measured with node ${process.version}; the functions run on nodejs24.x.`,
      ...(loads.some((load) => 'error' in load)
        ? ['A bundle whose SDK client is not in node_modules cannot be loaded here; the Lambda runtime provides it.']
        : []),
    ],
  };
}

function testSection(unit: CommandRun, integration: CommandRun): Section {
  const row = (command: string, run: CommandRun) =>
    'skipped' in run
      ? [command, '—', `skipped: ${run.skipped}`]
      : [command, seconds(run.wallMs), run.exitCode === 0 ? 'passed' : `failed (exit ${run.exitCode}, see ${run.log})`];
  return {
    title: 'Tests (one run each)',
    headers: ['command', 'wall time', 'result'],
    rows: [row('npm test', unit), row('npm run test:integration', integration)],
    notes: ['`npm test` includes `tsc --noEmit`. Neither needs the network; the integration tests start moto_server themselves.'],
  };
}

/** One local run of dev on the sample, with the time of each phase and pipeline step it reports. */
type LocalLoopRun =
  | { readonly wallMs: number; readonly exitCode: number; readonly phases: readonly { name: string; seconds: number }[]; readonly steps: readonly { name: string; seconds: number }[] }
  | { readonly skipped: string };

function timeLocalLoop(log: string): LocalLoopRun {
  const start = performance.now();
  const result = spawnSync('npm', ['run', '-s', 'cli', '--', 'local', 'run', '--stage', 'dev', '--json'], { cwd: REPO_ROOT, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  const wallMs = performance.now() - start;
  writeFileSync(log, `${result.stdout}\n${result.stderr}`);
  let report: { phases?: { name: string; seconds: number }[]; pipeline?: { steps: { name: string; seconds: number }[] } } = {};
  try {
    report = JSON.parse(result.stdout);
  } catch {
    // A failed run prints no document; the exit code and the log say why.
  }
  return { wallMs, exitCode: result.status ?? 1, phases: report.phases ?? [], steps: report.pipeline?.steps ?? [] };
}

function localLoopSection(run: LocalLoopRun): Section {
  const title = 'Local loop: `cdk-mlops local run --stage dev` on the sample (one run)';
  if ('skipped' in run) return { title, headers: ['part', 'wall time'], rows: [['—', `skipped: ${run.skipped}`]] };
  const rows = run.phases.flatMap((phase) => [
    [phase.name, `${phase.seconds.toFixed(1)} s`],
    ...(phase.name === 'pipeline' ? run.steps.map((step) => [`  step ${step.name}`, `${step.seconds.toFixed(1)} s`]) : []),
  ]);
  rows.push(['total, with the CLI process start', `${seconds(run.wallMs)}${run.exitCode === 0 ? '' : ` (failed, exit ${run.exitCode})`}`]);
  return { title, headers: ['part', 'wall time'], rows, notes: ['Target: under 60 s on 2 cores. The log is bench/results/local-run.log.'] };
}

function costSection(stages: readonly { config: StageConfig; idleCost: IdleCost }[]): Section {
  const estimates = stages.map(({ idleCost }) => idleCost);
  const usd = (value: number | undefined) => (value === undefined ? 'no price in bench/prices.ts' : formatUsd(value));
  const rows = estimates[0].lines.map((line, i) => [
    line.item,
    ...estimates.map((estimate) => `${estimate.lines[i].quantity}: ${usd(estimate.lines[i].usd)}`),
  ]);
  rows.push(['total per month', ...estimates.map((estimate) => `${usd(estimate.totalUsd)}${estimate.complete ? '' : ' + unpriced'}`)]);
  return {
    title: `Idle monthly cost estimate (${PRICES.region}, on-demand, prices of ${PRICES.takenOn})`,
    headers: ['item', ...stages.map(({ config }) => config.stage)],
    rows,
    notes: [
      'Counts come from the synthesized templates. The endpoint is created by the deployer once a model is approved; ' +
        'while idle, autoscaling holds an instance endpoint at minCapacity, and a serverless one costs nothing.',
      `Not estimated: ${NOT_ESTIMATED.join('; ')}. Free tiers (10 alarm metrics, 3 dashboards per account) are not subtracted.`,
      `Prices: ${PRICES.source}; the table is PRICES in bench/prices.ts.`,
      ...stages.filter(({ config }) => config.region !== PRICES.region).map(({ config }) => `${config.stage} deploys to ${config.region}; its prices may differ.`),
    ],
  };
}

function priceSection(): Section {
  return {
    title: `Unit prices assumed (${PRICES.region}, on-demand, recalled on ${PRICES.takenOn} without network access)`,
    headers: ['item', 'USD', 'per'],
    rows: allUnitPrices().map((price) => [price.item, formatUsd(price.usd), price.per]),
    notes: [`${PRICES.hoursPerMonth} hours per month.`],
  };
}

/** The largest part of the all-stages synth and what would cut it, with the saving its variant measured. */
function biggestCost(parts: SynthParts, wall: Map<string, Summary>, cpu: Map<string, Summary>, runs: readonly AppRun[]): string {
  const saving = (variant: string) =>
    `${seconds(wall.get('all')!.median - wall.get(variant)!.median)} wall, ${seconds(cpu.get('all')!.median - cpu.get(variant)!.median)} CPU`;
  const skipValidation =
    'skip it in the edit-synth loop with CDK_VALIDATION=false or `cdk synth --no-validation` and keep it on in CI ' +
    `(that saved ${saving('all-no-validation')} here); and synthesize every stage in one process, as bench/apps/stages.ts does, ` +
    "instead of one `cdk synth` per stage, which pays it once per stage.";
  const advice: Record<keyof SynthParts, string> = {
    validationEngine: `the engine starts once per process whatever the number of stacks: ${skipValidation}`,
    validationChecks: skipValidation,
    nag:
      'run the packs where findings are read (CI, before deploy) and skip them in the edit-synth loop ' +
      `(an app that does not call addComplianceChecks): that saved ${saving('all-no-nag')} here.`,
    bundling: 'each handler is bundled once per process already; prebuilt bundles shipped in the package would remove it.',
    tsCompile:
      `ts-node already transpiles the ${runs[0].tsProfile?.tsFiles ?? 0} files with SWC; pointing cdk.json's app at the tsc output would remove the rest.`,
    moduleLoad: 'load aws-cdk-lib once for every stage: one process synthesizing all stages instead of a `cdk synth` per stage.',
    startup: 'run compiled JavaScript (npm run build) so that ts-node and typescript are not loaded.',
    construction: 'it grows with the construct tree; fewer constructs per stage is the only lever.',
    synthesis: 'it grows with the number of resources and tokens to resolve; fewer resources per stage is the only lever.',
    exit: 'nothing in the app: this is process start and exit.',
  };
  const [key, ms] = (Object.entries(parts) as [keyof SynthParts, number][]).sort((a, b) => b[1] - a[1])[0];
  const total = Object.values(parts).reduce((sum, value) => sum + value, 0);
  return (
    `Biggest cost in synth: ${PART_LABELS[key]}, ${seconds(ms)} of ${seconds(total)} (${percentOf(ms, total)}) of the all-stages synth.\n` +
    `What would cut it: ${advice[key]}`
  );
}

main();
