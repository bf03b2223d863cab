import {
  ExpressionReference,
  inspectValue,
  JsonValue,
  PipelineValue,
  PrimitiveValue,
  RenderContext,
  renderValue,
  ValueInspection,
} from './expressions';
import { ParameterJson, PipelineParameter } from './parameters';
import { PropertyFile } from './properties';
import { ConditionStep, FailStep, ProcessingStep, Step, StepJson, StepType } from './steps';

/** The only definition format version SageMaker accepts. */
export const PIPELINE_DEFINITION_VERSION = '2020-12-01';

/**
 * Names of the SageMaker Experiments entities each execution reports to.
 *
 * @see https://docs.aws.amazon.com/sagemaker/latest/dg/pipelines-experiments.html
 */
export interface PipelineExperimentConfig {
  /**
   * The experiment, often `ExecutionVariable.PIPELINE_NAME`.
   *
   * @default - SageMaker names the experiment after the pipeline
   */
  readonly experimentName?: PipelineValue<string>;
  /**
   * The trial (run group), often `ExecutionVariable.PIPELINE_EXECUTION_ID`.
   *
   * @default - SageMaker names the trial after the execution id
   */
  readonly trialName?: PipelineValue<string>;
}

/** Properties of a `PipelineDefinition`. */
export interface PipelineDefinitionProps {
  /**
   * Parameters executions can set. Every parameter a step uses must be listed.
   *
   * @default - no parameters
   */
  readonly parameters?: readonly PipelineParameter<PrimitiveValue>[];
  /**
   * The top-level steps, in the order the definition lists them. Steps in a condition's
   * branches are listed in the condition step only.
   */
  readonly steps: readonly Step[];
  /**
   * Free-form metadata: keys of 1-128 letters, digits, hyphens and underscores, values of at
   * most 1024 characters.
   *
   * @default - no metadata
   */
  readonly metadata?: { readonly [key: string]: string };
  /**
   * Names of the experiment and trial executions report to.
   *
   * @default - the definition has no `PipelineExperimentConfig` and SageMaker's naming applies
   */
  readonly experimentConfig?: PipelineExperimentConfig;
}

/** The body of an `AWS::SageMaker::Pipeline` definition. `JSON.stringify` it for `PipelineDefinitionBody`. */
export interface PipelineDefinitionJson {
  /** The definition format version. */
  readonly Version: typeof PIPELINE_DEFINITION_VERSION;
  /** Free-form metadata. */
  readonly Metadata: { readonly [key: string]: string };
  /** Parameters executions can set. */
  readonly Parameters: readonly ParameterJson[];
  /** Names of the experiment and trial executions report to. */
  readonly PipelineExperimentConfig?: {
    /** The experiment. */
    readonly ExperimentName?: JsonValue;
    /** The trial. */
    readonly TrialName?: JsonValue;
  };
  /** The top-level steps; condition branches nest theirs. */
  readonly Steps: readonly StepJson[];
}

/** One step of the pipeline's graph, as `PipelineDefinition.stepGraph` lists it. */
export interface StepGraphNode {
  /** The step's name. */
  readonly name: string;
  /** The step's kind. */
  readonly type: StepType;
  /**
   * The steps it waits for: its explicit `dependsOn`, the steps whose properties or property
   * files it reads, and the condition step whose branch holds it. In graph order.
   */
  readonly dependsOn: readonly string[];
}

/** Thrown when a pipeline definition is invalid; lists every problem found. */
export class PipelineDefinitionError extends Error {
  /** Each problem: what is wrong, the value, and what is expected. */
  public readonly problems: readonly string[];

  constructor(problems: readonly string[]) {
    super(`Invalid SageMaker pipeline definition (${problems.length} problems):\n- ${problems.join('\n- ')}`);
    this.name = 'PipelineDefinitionError';
    this.problems = problems;
  }
}

const METADATA_KEY = /^[A-Za-z0-9\-_]{1,128}$/;
const MAX_METADATA_VALUE_LENGTH = 1024;

/** Where a step is listed: the pipeline's steps, or a condition's branch. */
interface Placement {
  readonly step: Step;
  readonly condition?: ConditionStep;
  readonly branch?: 'If' | 'Else';
}

function describePlacement(placement: Placement): string {
  return placement.condition === undefined
    ? 'the pipeline steps'
    : `the ${placement.branch} branch of "${placement.condition.name}"`;
}

/**
 * A SageMaker Model Building Pipeline definition: parameters, steps and their graph.
 *
 * The constructor validates the whole definition and throws one `PipelineDefinitionError`
 * listing every problem: invalid or duplicate names, steps listed twice, references to
 * parameters, steps or property files that are not in the pipeline, dependencies on Fail steps,
 * a condition using a step of its own branches, dependency cycles, parameter defaults of the
 * wrong type, and invalid retry or cache settings.
 *
 * @example
 * const definition = new PipelineDefinition({ parameters: [minAuc], steps: [process, train, evaluate, check] });
 * new CfnPipeline(this, 'Pipeline', {
 *   pipelineDefinition: { PipelineDefinitionBody: JSON.stringify(definition.toDefinition()) }, ...
 * });
 */
export class PipelineDefinition {
  private readonly parameters: readonly PipelineParameter<PrimitiveValue>[];
  private readonly steps: readonly Step[];
  private readonly metadata: { readonly [key: string]: string };
  private readonly experimentConfig?: PipelineExperimentConfig;
  private readonly graph: readonly StepGraphNode[];
  /** The processing step that declares each property file; the first one if several do. */
  private readonly propertyFileOwners: ReadonlyMap<PropertyFile, ProcessingStep>;

  constructor(props: PipelineDefinitionProps) {
    this.parameters = props.parameters ?? [];
    this.steps = props.steps;
    this.metadata = props.metadata ?? {};
    this.experimentConfig = props.experimentConfig;

    const problems = new Set<string>();
    const report = (problem: string): void => {
      problems.add(problem);
    };

    this.validateParameters(report);
    this.validateMetadata(report);
    const placements = this.placeSteps(report);
    const members = new Set(placements.keys());
    this.validateStepNames(members, report);
    this.propertyFileOwners = findPropertyFileOwners(members, report);

    const dependencies = new Map<Step, ReadonlySet<Step>>();
    for (const [step, [placement]] of placements) {
      const inspection = step.inspect();
      inspection.problems.forEach(report);
      const label = `step "${step.name}"`;
      const upstream = new Set<Step>();
      for (const target of step.dependsOn) {
        if (this.checkStepTarget(label, 'depends on', target, members, report)) upstream.add(target);
      }
      for (const reference of inspection.references) {
        const target = this.checkReference(label, reference, members, report);
        if (target !== undefined) upstream.add(target);
      }
      this.dropOwnBranchDependencies(step, upstream, report);
      if (placement.condition !== undefined) upstream.add(placement.condition);
      upstream.delete(step);
      dependencies.set(step, upstream);
    }
    this.validateExperimentConfig(members, report);
    this.graph = graphOf(orderSteps(dependencies, report), dependencies);

    if (problems.size > 0) throw new PipelineDefinitionError([...problems]);
  }

  /** The definition body: a plain JSON-serialisable object. */
  public toDefinition(): PipelineDefinitionJson {
    const context: RenderContext = {
      // Validation guarantees an owner for every property file an expression reads.
      propertyFileOwner: (file) => this.propertyFileOwners.get(file)!.name,
    };
    const experiment = this.experimentConfig;
    return {
      Version: PIPELINE_DEFINITION_VERSION,
      Metadata: { ...this.metadata },
      Parameters: this.parameters.map((parameter) => parameter.toParameterJson()),
      ...(experiment !== undefined && {
        PipelineExperimentConfig: {
          ...(experiment.experimentName !== undefined && {
            ExperimentName: renderValue(experiment.experimentName, context),
          }),
          ...(experiment.trialName !== undefined && { TrialName: renderValue(experiment.trialName, context) }),
        },
      }),
      Steps: this.steps.map((step) => step.render(context)),
    };
  }

  /**
   * Every step, top-level and in condition branches, in an order SageMaker can run them (each
   * after everything it waits for; ties in listing order), with what it waits for.
   */
  public stepGraph(): readonly StepGraphNode[] {
    return this.graph;
  }

  private validateParameters(report: (problem: string) => void): void {
    const seen = new Set<string>();
    for (const parameter of this.parameters) {
      parameter.validate().forEach(report);
      if (seen.has(parameter.name)) {
        report(`parameter name "${parameter.name}" is used more than once: give each parameter a unique name`);
      }
      seen.add(parameter.name);
    }
  }

  private validateMetadata(report: (problem: string) => void): void {
    for (const [key, value] of Object.entries(this.metadata)) {
      if (!METADATA_KEY.test(key)) {
        report(`metadata key "${key}" is invalid: use 1-128 letters, digits, hyphens and underscores`);
      }
      if (value.length > MAX_METADATA_VALUE_LENGTH) {
        report(`metadata "${key}" has ${value.length} characters: use at most ${MAX_METADATA_VALUE_LENGTH}`);
      }
    }
  }

  /** Where each step is listed, in listing order with branch steps right after their condition. */
  private placeSteps(report: (problem: string) => void): Map<Step, Placement[]> {
    const placements = new Map<Step, Placement[]>();
    const place = (placement: Placement): void => {
      placements.set(placement.step, [...(placements.get(placement.step) ?? []), placement]);
    };
    for (const step of this.steps) {
      place({ step });
      if (!(step instanceof ConditionStep)) continue;
      for (const [branch, branchSteps] of [['If', step.ifSteps], ['Else', step.elseSteps]] as const) {
        for (const branchStep of branchSteps) {
          // The types already exclude this; JavaScript callers and casts are caught here.
          if ((branchStep as Step) instanceof ConditionStep) {
            report(
              `condition step "${step.name}" has condition step "${branchStep.name}" in its ${branch} branch: ` +
                'SageMaker does not nest condition steps, list it in the pipeline steps instead',
            );
          } else {
            place({ step: branchStep, condition: step, branch });
          }
        }
      }
    }
    placements.forEach((stepPlacements, step) => {
      if (stepPlacements.length > 1) {
        const places = stepPlacements.map(describePlacement).join(', ');
        report(
          `step "${step.name}" is listed ${stepPlacements.length} times (in ${places}): ` +
            'list each step once, a branch step only in its condition',
        );
      }
    });
    return placements;
  }

  private validateStepNames(steps: ReadonlySet<Step>, report: (problem: string) => void): void {
    const counts = new Map<string, number>();
    steps.forEach((step) => counts.set(step.name, (counts.get(step.name) ?? 0) + 1));
    counts.forEach((count, name) => {
      if (count > 1) report(`step name "${name}" is used by ${count} steps: give each step a unique name`);
    });
  }

  /** Checks a step another step waits for or reads; returns whether it is a valid dependency. */
  private checkStepTarget(
    label: string,
    relation: string,
    target: Step,
    members: ReadonlySet<Step>,
    report: (problem: string) => void,
  ): boolean {
    if (!members.has(target)) {
      report(
        `${label} ${relation} step "${target.name}", which is not in the pipeline: ` +
          'add it to the pipeline steps or to a condition branch',
      );
      return false;
    }
    if (target instanceof FailStep) {
      report(
        `${label} ${relation} fail step "${target.name}": no step can depend on a Fail step or read its properties`,
      );
      return false;
    }
    return true;
  }

  /** Checks one reference; returns the step it makes the referrer wait for, if any. */
  private checkReference(
    label: string,
    reference: ExpressionReference,
    members: ReadonlySet<Step>,
    report: (problem: string) => void,
  ): Step | undefined {
    switch (reference.kind) {
      case 'parameter':
        if (!this.parameters.some((parameter) => parameter.name === reference.name)) {
          report(`${label} uses parameter "${reference.name}", which is not in the pipeline: add it to the parameters`);
        }
        return undefined;
      case 'step': {
        const { step, processingOutputName } = reference;
        if (!this.checkStepTarget(label, 'reads a property of', step, members, report)) return undefined;
        const outputNames = step instanceof ProcessingStep ? step.outputNames() : undefined;
        const unknownOutput =
          processingOutputName !== undefined &&
          outputNames !== undefined &&
          !outputNames.includes(processingOutputName);
        if (unknownOutput) {
          report(
            `${label} reads output "${processingOutputName}" of step "${step.name}", which declares no such output: ` +
              `use one of ${outputNames.join(', ') || 'none'}`,
          );
        }
        return step;
      }
      case 'propertyFile': {
        const owner = this.propertyFileOwners.get(reference.propertyFile);
        if (owner === undefined) {
          report(
            `${label} reads property file "${reference.propertyFile.name}", which no processing step in the pipeline ` +
              'declares: add it to the propertyFiles of the step that writes it',
          );
        }
        return owner;
      }
    }
  }

  /**
   * A condition cannot use a step of its own branches: that step only runs once the condition
   * has been evaluated. Reports such dependencies and drops them so they are not also reported
   * as a cycle.
   */
  private dropOwnBranchDependencies(step: Step, upstream: Set<Step>, report: (problem: string) => void): void {
    if (!(step instanceof ConditionStep)) return;
    for (const [branch, branchSteps] of [['If', step.ifSteps], ['Else', step.elseSteps]] as const) {
      for (const branchStep of branchSteps) {
        if (!upstream.has(branchStep)) continue;
        report(
          `condition step "${step.name}" uses step "${branchStep.name}", which is in its own ${branch} branch: ` +
            'a condition can only use steps that run before it',
        );
        upstream.delete(branchStep);
      }
    }
  }

  private validateExperimentConfig(members: ReadonlySet<Step>, report: (problem: string) => void): void {
    if (this.experimentConfig === undefined) return;
    const found: ValueInspection = { references: [], problems: [] };
    const label = 'the experiment config';
    inspectValue(this.experimentConfig.experimentName, 'ExperimentName', label, found);
    inspectValue(this.experimentConfig.trialName, 'TrialName', label, found);
    found.problems.forEach(report);
    found.references.forEach((reference) => this.checkReference(label, reference, members, report));
  }
}

/** Maps each property file to the processing step declaring it; reports files several steps declare. */
function findPropertyFileOwners(
  steps: ReadonlySet<Step>,
  report: (problem: string) => void,
): Map<PropertyFile, ProcessingStep> {
  const owners = new Map<PropertyFile, ProcessingStep[]>();
  for (const step of steps) {
    if (!(step instanceof ProcessingStep)) continue;
    for (const file of new Set(step.propertyFiles)) owners.set(file, [...(owners.get(file) ?? []), step]);
  }
  owners.forEach((fileOwners, file) => {
    if (fileOwners.length > 1) {
      const names = fileOwners.map((owner) => `"${owner.name}"`).join(' and ');
      report(
        `property file "${file.name}" is declared by steps ${names}: give each processing step its own PropertyFile`,
      );
    }
  });
  return new Map([...owners].map(([file, [first]]) => [file, first]));
}

/**
 * Orders steps so each comes after everything it waits for, taking the earliest-listed ready
 * step first. Steps left over wait on a cycle: one cycle is reported.
 */
function orderSteps(dependencies: ReadonlyMap<Step, ReadonlySet<Step>>, report: (problem: string) => void): Step[] {
  const ordered: Step[] = [];
  const done = new Set<Step>();
  const waitingFor = (step: Step): Step[] =>
    [...(dependencies.get(step) ?? [])].filter((upstream) => !done.has(upstream));
  let remaining = [...dependencies.keys()];
  for (;;) {
    const ready = remaining.find((step) => waitingFor(step).length === 0);
    if (ready === undefined) break;
    ordered.push(ready);
    done.add(ready);
    remaining = remaining.filter((step) => step !== ready);
  }
  if (remaining.length > 0) {
    // Every step left waits for another step left, so following the first one always leads on.
    const cycle = findCycle(remaining[0], (step) => waitingFor(step)[0]);
    report(
      `steps wait for each other in a cycle (${cycle.map((step) => `"${step.name}"`).join(' waits for ')}): ` +
        'SageMaker rejects cyclic dependencies, remove one of them',
    );
  }
  return ordered;
}

/** Follows "waits for" edges from `start` until a step repeats; returns the loop. */
function findCycle(start: Step, next: (step: Step) => Step): Step[] {
  const path: Step[] = [];
  let current = start;
  while (!path.includes(current)) {
    path.push(current);
    current = next(current);
  }
  return [...path.slice(path.indexOf(current)), current];
}

/** The graph in run order, each step's dependencies in that order too. */
function graphOf(ordered: readonly Step[], dependencies: ReadonlyMap<Step, ReadonlySet<Step>>): StepGraphNode[] {
  return ordered.map((step) => ({
    name: step.name,
    type: step.type,
    dependsOn: ordered.filter((upstream) => dependencies.get(step)?.has(upstream)).map((upstream) => upstream.name),
  }));
}
