/**
 * A local interpreter of SageMaker Pipelines definitions: the first room of the local loop.
 *
 * It takes the definition body the stack deploys, checks it the way StartPipelineExecution would
 * (parameters, references, the step graph), then runs the steps one at a time in an order
 * SageMaker could run them: it resolves each step's expressions, evaluates Condition steps and
 * Fail steps itself, and hands every other step to the runner registered for its type, with the
 * step's retry policies applied to the failures a runner reports. It knows nothing of S3, moto,
 * containers or the CLI: runners do.
 *
 * Steps run sequentially. SageMaker runs independent steps in parallel; the order here is one
 * it could also take (each step after everything it waits for, ties in listing order), so what a
 * step reads has always been produced before it starts.
 */
import { randomBytes } from 'node:crypto';
import type { JsonObject, JsonValue, PrimitiveValue } from '../../constructs/pipeline-definition';
import {
  EXECUTION_VARIABLES,
  ExpressionError,
  ExpressionInspection,
  ExpressionScope,
  inspectExpressions,
  preview,
  resolveExpressions,
} from './expressions';

// ---------------------------------------------------------------------------------------------
// The definition, as the executor reads it
// ---------------------------------------------------------------------------------------------

/** A parameter in the definition's `Parameters` list. */
export interface ParameterDocument {
  readonly Name: string;
  readonly Type: string;
  readonly DefaultValue?: unknown;
}

/** A retry policy in a step's `RetryPolicies`. `ExceptionType` is a list; a single string is accepted too. */
export interface RetryPolicyDocument {
  readonly ExceptionType: string | readonly string[];
  readonly IntervalSeconds?: number;
  readonly BackoffRate?: number;
  readonly MaxAttempts?: number;
  readonly ExpireAfterMin?: number;
}

/** A property file in a processing step's `PropertyFiles`. */
export interface PropertyFileDocument {
  readonly PropertyFileName: string;
  readonly OutputName: string;
  readonly FilePath: string;
}

/** A step of the definition, top level or in a condition branch. */
export interface StepDocument {
  readonly Name: string;
  readonly Type: string;
  readonly DisplayName?: string;
  readonly Description?: string;
  readonly DependsOn?: readonly string[];
  readonly Arguments?: unknown;
  readonly RetryPolicies?: readonly RetryPolicyDocument[];
  readonly PropertyFiles?: readonly PropertyFileDocument[];
  readonly CacheConfig?: unknown;
}

/**
 * A pipeline definition body: what `PipelineDefinition.toDefinition()` returns, or the parsed
 * `PipelineDefinitionBody` of an `AWS::SageMaker::Pipeline`.
 */
export interface PipelineDefinitionDocument {
  readonly Version?: string;
  readonly Parameters?: readonly ParameterDocument[];
  readonly Steps: readonly StepDocument[];
}

// ---------------------------------------------------------------------------------------------
// Runners
// ---------------------------------------------------------------------------------------------

/** What every step of one execution shares. */
export interface ExecutionContext {
  /** The execution's id, as `Execution.PipelineExecutionId` resolves. */
  readonly executionId: string;
  /** The execution's ARN, when the run was given the pipeline's ARN. */
  readonly executionArn?: string;
  /** The pipeline's name, when the run was given it. */
  readonly pipelineName?: string;
  /** The pipeline's ARN, when the run was given it. */
  readonly pipelineArn?: string;
  /** When the execution started, ISO 8601, as `Execution.StartDateTime` resolves. */
  readonly startedAt: string;
}

/** What a runner receives for one attempt of one step. */
export interface StepRunRequest {
  readonly execution: ExecutionContext;
  /** The step's name. */
  readonly name: string;
  /** The step's type, such as `Processing`. */
  readonly type: string;
  /** 1 for the first attempt, 2 for the first retry, ... */
  readonly attempt: number;
  /** The step's `Arguments` with every expression resolved: the API request SageMaker would make. */
  readonly arguments: JsonObject;
  /** The property files the step declares; the runner returns each one's contents. */
  readonly propertyFiles: readonly PropertyFileDocument[];
  /** The step as the definition holds it, unresolved (retry policies, cache config, ...). */
  readonly step: StepDocument;
}

/** What a runner returns when the step succeeded. */
export interface StepRunOutcome {
  /**
   * The step's properties, in the shape of the Describe* response SageMaker exposes to
   * `Steps.<name>.*` (`DescribeProcessingJob`, `DescribeTrainingJob`, ...): lists such as
   * `ProcessingOutputConfig.Outputs` stay lists, indexed by `['<OutputName>']`.
   */
  readonly properties: JsonObject;
  /**
   * The text of each declared property file, keyed by `PropertyFileName`, exactly as the job
   * wrote it. The executor parses it for `Std:JsonGet`; a declared file missing here, or not
   * JSON, fails the step.
   */
  readonly propertyFiles?: { readonly [name: string]: string };
}

/** Runs one attempt of one step. Throw to fail it; see `StepRunnerError` for retryable failures. */
export type StepRunner = (request: StepRunRequest) => Promise<StepRunOutcome>;

/** Runners by step type (`Processing`, `Training`, `RegisterModel`, `Tuning`, `Transform`, ...). */
export type StepRunners = { readonly [stepType: string]: StepRunner | undefined };

/**
 * A failure a runner reports with the exception type SageMaker would classify it as, so the
 * step's retry policies can match it: `Step.SERVICE_FAULT`, `Step.THROTTLING`,
 * `SageMaker.JOB_INTERNAL_ERROR`, `SageMaker.CAPACITY_ERROR`, `SageMaker.RESOURCE_LIMIT`.
 * Any thrown error with a string `exceptionType` property is treated the same; other errors are
 * never retried.
 */
export class StepRunnerError extends Error {
  constructor(
    message: string,
    /** The exception type retry policies match. */
    public readonly exceptionType?: string,
  ) {
    super(message);
    this.name = 'StepRunnerError';
  }
}

// ---------------------------------------------------------------------------------------------
// Options, events and the result
// ---------------------------------------------------------------------------------------------

/** Time, injectable so tests do not wait for retry intervals. */
export interface PipelineClock {
  now(): Date;
  sleep(seconds: number): Promise<void>;
}

/** The wall clock and real waiting. */
export const systemClock: PipelineClock = {
  now: () => new Date(),
  sleep: (seconds) => new Promise((resolve) => setTimeout(resolve, seconds * 1000)),
};

/** Progress of a run, for live display. */
export type PipelineEvent =
  | { readonly type: 'step-started'; readonly step: string; readonly stepType: string; readonly attempt: number; readonly at: string }
  | {
      readonly type: 'step-retrying';
      readonly step: string;
      readonly stepType: string;
      /** The attempt that failed. */
      readonly attempt: number;
      readonly exceptionType: string;
      readonly reason: string;
      readonly delaySeconds: number;
      readonly at: string;
    }
  | {
      readonly type: 'step-succeeded';
      readonly step: string;
      readonly stepType: string;
      readonly attempts: number;
      readonly seconds: number;
      /** For a Condition step: whether its conditions held. */
      readonly outcome?: boolean;
      readonly at: string;
    }
  | {
      readonly type: 'step-failed';
      readonly step: string;
      readonly stepType: string;
      readonly attempts: number;
      readonly seconds: number;
      readonly reason: string;
      readonly at: string;
    };

/** Options of `runPipeline`. */
export interface RunPipelineOptions {
  /**
   * The execution's id: letters, digits and hyphens, as it becomes part of S3 paths.
   *
   * @default - 12 random lowercase letters and digits, like SageMaker's
   */
  readonly executionId?: string;
  /**
   * Values for the definition's parameters, overriding their defaults. Strings are accepted for
   * Integer, Float and Boolean parameters as StartPipelineExecution accepts them (`"2"`, `"0.8"`,
   * `"true"`).
   *
   * @default - every parameter takes its default
   */
  readonly parameters?: { readonly [name: string]: PrimitiveValue };
  /** The runner of each step type the executor does not evaluate itself. */
  readonly runners: StepRunners;
  /**
   * The pipeline's name, for `Execution.PipelineName`.
   *
   * @default - a definition that reads `Execution.PipelineName` is refused
   */
  readonly pipelineName?: string;
  /**
   * The pipeline's ARN, for `Execution.PipelineArn` and `Execution.PipelineExecutionArn`
   * (`<pipeline ARN>/execution/<id>`).
   *
   * @default - a definition that reads either is refused
   */
  readonly pipelineArn?: string;
  /**
   * Called for each step start, retry, success and failure.
   *
   * @default - no progress is reported
   */
  readonly onEvent?: (event: PipelineEvent) => void;
  /**
   * @default systemClock
   */
  readonly clock?: PipelineClock;
}

/** One step that ran. */
export interface StepExecutionResult {
  readonly name: string;
  readonly type: string;
  readonly status: 'Succeeded' | 'Failed';
  /** How many times the runner was called (1 for Condition and Fail steps; 0 when the arguments did not resolve). */
  readonly attempts: number;
  /** ISO 8601. */
  readonly startedAt: string;
  readonly seconds: number;
  /** The resolved arguments the runner received; for a Condition step its resolved conditions. */
  readonly arguments?: JsonValue;
  /** What later steps read as `Steps.<name>.*`; `{Outcome: "True" | "False"}` for a Condition step. */
  readonly properties: JsonObject;
  /** The parsed property files, by name. */
  readonly propertyFiles: { readonly [name: string]: JsonValue };
  readonly failureReason?: string;
}

/** A step of the definition that did not run, and why. */
export interface StepNotRun {
  readonly name: string;
  readonly type: string;
  readonly reason: string;
}

/** The outcome of `runPipeline`. */
export interface PipelineExecutionResult {
  readonly executionId: string;
  readonly executionArn?: string;
  readonly status: 'Succeeded' | 'Failed';
  /** A Fail step's resolved message, or which step failed and why. */
  readonly failureReason?: string;
  /** The step that failed the execution. */
  readonly failedStep?: string;
  readonly startedAt: string;
  readonly seconds: number;
  /** Every parameter's value for this execution. */
  readonly parameters: { readonly [name: string]: PrimitiveValue };
  /** The steps that ran, in the order they ran. */
  readonly steps: readonly StepExecutionResult[];
  /** The steps that did not run: an untaken branch, a failed dependency, or the execution stopped first. */
  readonly notRun: readonly StepNotRun[];
}

/** Thrown before anything runs when the definition or the parameters cannot run; lists every problem. */
export class PipelineRunRefusedError extends Error {
  constructor(public readonly problems: readonly string[]) {
    super(`The pipeline cannot run (${problems.length} problem${problems.length === 1 ? '' : 's'}):\n- ${problems.join('\n- ')}`);
    this.name = 'PipelineRunRefusedError';
  }
}

// ---------------------------------------------------------------------------------------------
// Planning: everything checked before a step runs
// ---------------------------------------------------------------------------------------------

type ParameterType = 'String' | 'Integer' | 'Float' | 'Boolean';
const PARAMETER_TYPES: readonly ParameterType[] = ['String', 'Integer', 'Float', 'Boolean'];
const EXPECTED: Record<ParameterType, string> = {
  String: 'a string',
  Integer: 'a whole number',
  Float: 'a number',
  Boolean: 'true or false',
};

interface RetryPlan {
  readonly exceptionTypes: readonly string[];
  readonly intervalSeconds: number;
  readonly backoffRate: number;
  readonly maxAttempts?: number;
  readonly expireAfterMinutes?: number;
}

interface PlannedStep {
  readonly document: StepDocument;
  readonly name: string;
  readonly type: string;
  /** Listing order: top-level steps, each condition's branch steps right after it. */
  readonly order: number;
  /** Everything it waits for: DependsOn, the steps it reads, and its condition. */
  readonly waitsFor: ReadonlySet<string>;
  readonly branch?: { readonly condition: string; readonly branch: 'If' | 'Else' };
  readonly propertyFiles: readonly PropertyFileDocument[];
  readonly retryPolicies: readonly RetryPlan[];
}

interface Plan {
  readonly steps: readonly PlannedStep[];
  readonly parameters: ReadonlyMap<string, PrimitiveValue>;
}

const DEFAULT_MAX_ATTEMPTS = 5;
const EXECUTION_ID = /^[A-Za-z0-9][A-Za-z0-9-]{0,63}$/;

function isObject(value: unknown): value is { readonly [key: string]: unknown } {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The value as a value of the parameter's type, or undefined when it is not one. */
function coerceParameter(type: ParameterType, value: unknown, fromString: boolean): PrimitiveValue | undefined {
  switch (type) {
    case 'String':
      return typeof value === 'string' ? value : undefined;
    case 'Integer':
      if (typeof value === 'number') return Number.isInteger(value) ? value : undefined;
      return fromString && typeof value === 'string' && /^[-+]?\d+$/.test(value.trim()) ? Number(value) : undefined;
    case 'Float':
      if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
      return fromString && typeof value === 'string' && /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(value.trim())
        ? Number(value)
        : undefined;
    case 'Boolean':
      if (typeof value === 'boolean') return value;
      return fromString && (value === 'true' || value === 'false') ? value === 'true' : undefined;
  }
}

function planParameters(
  documents: unknown,
  given: { readonly [name: string]: PrimitiveValue },
  report: (problem: string) => void,
): { readonly declared: ReadonlySet<string>; readonly values: Map<string, PrimitiveValue> } {
  const declared = new Map<string, ParameterType>();
  const values = new Map<string, PrimitiveValue>();
  if (documents !== undefined && !Array.isArray(documents)) report(`the definition's Parameters is ${preview(documents)}: use a list`);
  for (const [index, document] of (Array.isArray(documents) ? documents : []).entries()) {
    if (!isObject(document) || typeof document.Name !== 'string') {
      report(`parameter ${index + 1} has no Name`);
      continue;
    }
    const { Name: name, Type: type, DefaultValue: defaultValue } = document;
    if (declared.has(name)) report(`parameter "${name}" is declared more than once`);
    if (!PARAMETER_TYPES.includes(type as ParameterType)) {
      report(`parameter "${name}" has type ${preview(type)}: use one of ${PARAMETER_TYPES.join(', ')}`);
      continue;
    }
    declared.set(name, type as ParameterType);
    if (defaultValue === undefined) continue;
    const coerced = coerceParameter(type as ParameterType, defaultValue, false);
    if (coerced === undefined) {
      report(`parameter "${name}" is ${type} but its DefaultValue is ${preview(defaultValue)}: use ${EXPECTED[type as ParameterType]}`);
    } else {
      values.set(name, coerced);
    }
  }
  for (const [name, value] of Object.entries(given)) {
    const type = declared.get(name);
    if (type === undefined) {
      report(
        `parameter "${name}" is not a parameter of the pipeline: use one of ${[...declared.keys()].map((known) => `"${known}"`).join(', ') || 'none (it has no parameters)'}`,
      );
      continue;
    }
    const coerced = coerceParameter(type, value, true);
    if (coerced === undefined) {
      report(`parameter "${name}" is ${type}: got ${preview(value)}, expected ${EXPECTED[type]}`);
    } else {
      values.set(name, coerced);
    }
  }
  for (const name of declared.keys()) {
    if (!values.has(name)) report(`parameter "${name}" has no default value: set it`);
  }
  return { declared: new Set(declared.keys()), values };
}

function planRetryPolicies(label: string, policies: unknown, report: (problem: string) => void): RetryPlan[] {
  if (policies === undefined) return [];
  if (!Array.isArray(policies)) {
    report(`${label} RetryPolicies is ${preview(policies)}: use a list`);
    return [];
  }
  return policies.flatMap((policy, index): RetryPlan[] => {
    const where = `${label} retry policy ${index + 1}`;
    if (!isObject(policy)) {
      report(`${where} is ${preview(policy)}: use an object`);
      return [];
    }
    const types = typeof policy.ExceptionType === 'string' ? [policy.ExceptionType] : policy.ExceptionType;
    if (!Array.isArray(types) || types.length === 0 || !types.every((type) => typeof type === 'string')) {
      report(`${where} ExceptionType is ${preview(policy.ExceptionType)}: list the exception types it retries`);
      return [];
    }
    const number = (key: string, min: number, whole: boolean): number | undefined => {
      const value = policy[key];
      if (value === undefined) return undefined;
      if (typeof value !== 'number' || !Number.isFinite(value) || value < min || (whole && !Number.isInteger(value))) {
        report(`${where} ${key} is ${preview(value)}: use ${whole ? 'a whole number' : 'a number'} of at least ${min}`);
        return undefined;
      }
      return value;
    };
    // MaxAttempts counts retries after the first run ("the maximum number of retry attempts"):
    // https://docs.aws.amazon.com/sagemaker/latest/dg/pipelines-retry-policy.html
    return [
      {
        exceptionTypes: types as string[],
        intervalSeconds: number('IntervalSeconds', 0, true) ?? 1,
        backoffRate: number('BackoffRate', 0, false) ?? 2,
        maxAttempts: number('MaxAttempts', 0, true),
        expireAfterMinutes: number('ExpireAfterMin', 0, true),
      },
    ];
  });
}

function planPropertyFiles(label: string, files: unknown, report: (problem: string) => void): PropertyFileDocument[] {
  if (files === undefined) return [];
  if (!Array.isArray(files)) {
    report(`${label} PropertyFiles is ${preview(files)}: use a list`);
    return [];
  }
  const seen = new Set<string>();
  return files.filter((file, index): file is PropertyFileDocument => {
    const valid =
      isObject(file) && typeof file.PropertyFileName === 'string' && typeof file.OutputName === 'string' && typeof file.FilePath === 'string';
    if (!valid) {
      report(`${label} property file ${index + 1} is ${preview(file)}: use {PropertyFileName, OutputName, FilePath}`);
      return false;
    }
    const name = (file as unknown as PropertyFileDocument).PropertyFileName;
    if (seen.has(name)) report(`${label} declares property file "${name}" more than once`);
    seen.add(name);
    return true;
  });
}

const BINARY_CONDITIONS = ['Equals', 'NotEquals', 'GreaterThan', 'GreaterThanOrEqualTo', 'LessThan', 'LessThanOrEqualTo'];
const CONDITION_TYPES = [...BINARY_CONDITIONS, 'In', 'NotIn', 'Not', 'Or'];

/** Structural problems of one condition, checked before anything runs. */
function inspectCondition(condition: unknown, at: string, report: (problem: string) => void): void {
  if (!isObject(condition) || typeof condition.Type !== 'string' || !CONDITION_TYPES.includes(condition.Type)) {
    report(`${at} has type ${preview(isObject(condition) ? condition.Type : condition)}: use one of ${CONDITION_TYPES.join(', ')}`);
    return;
  }
  const requireKeys = (...keys: string[]): void => {
    for (const key of keys) if (condition[key] === undefined) report(`${at} (${condition.Type}) has no ${key}`);
  };
  switch (condition.Type) {
    case 'Not':
      requireKeys('Expression');
      if (condition.Expression !== undefined) inspectCondition(condition.Expression, `${at}.Expression`, report);
      return;
    case 'Or':
      if (!Array.isArray(condition.Conditions)) return report(`${at} (Or) has no list of Conditions`);
      condition.Conditions.forEach((inner, index) => inspectCondition(inner, `${at}.Conditions[${index}]`, report));
      return;
    case 'In':
    case 'NotIn':
      if (condition.QueryValue === undefined && condition.Value === undefined) report(`${at} (${condition.Type}) has no QueryValue`);
      if (!Array.isArray(condition.Values ?? condition.In)) report(`${at} (${condition.Type}) has no list of Values`);
      return;
    default:
      requireKeys('LeftValue', 'RightValue');
  }
}

/** Checks the definition and the parameters; returns the plan or throws `PipelineRunRefusedError`. */
function plan(definition: unknown, options: RunPipelineOptions): Plan {
  const problems: string[] = [];
  const report = (problem: string): void => {
    if (!problems.includes(problem)) problems.push(problem);
  };
  if (!isObject(definition) || !Array.isArray(definition.Steps)) {
    throw new PipelineRunRefusedError(['the definition has no list of Steps']);
  }
  if (options.executionId !== undefined && !EXECUTION_ID.test(options.executionId)) {
    report(`execution id "${options.executionId}" is invalid: use 1-64 letters, digits and hyphens (it becomes part of S3 paths)`);
  }
  const { declared: declaredParameters, values: parameters } = planParameters(definition.Parameters, options.parameters ?? {}, report);

  // Where each step is listed.
  interface Placed {
    readonly document: StepDocument;
    readonly label: string;
    readonly branch?: PlannedStep['branch'];
  }
  const placed: Placed[] = [];
  const place = (document: unknown, where: string, branch?: PlannedStep['branch']): void => {
    if (!isObject(document) || typeof document.Name !== 'string' || document.Name === '' || typeof document.Type !== 'string') {
      report(`${where} is ${preview(document)}: a step needs a Name and a Type`);
      return;
    }
    const step = document as unknown as StepDocument;
    placed.push({ document: step, label: `step "${step.Name}"`, branch });
    if (step.Type !== 'Condition') return;
    const args = isObject(step.Arguments) ? step.Arguments : {};
    for (const [key, name] of [['IfSteps', 'If'], ['ElseSteps', 'Else']] as const) {
      const branchSteps = args[key] ?? [];
      if (!Array.isArray(branchSteps)) {
        report(`step "${step.Name}" ${key} is ${preview(branchSteps)}: use a list`);
        continue;
      }
      branchSteps.forEach((inner, index) => {
        if (branch !== undefined) {
          report(`condition step "${step.Name}" is in a branch of "${branch.condition}": SageMaker does not nest condition steps`);
          return;
        }
        place(inner, `step ${index + 1} of the ${name} branch of "${step.Name}"`, { condition: step.Name, branch: name });
      });
    }
  };
  definition.Steps.forEach((document, index) => place(document, `step ${index + 1}`));

  const byName = new Map<string, StepDocument>();
  for (const { document } of placed) {
    if (byName.has(document.Name)) report(`step name "${document.Name}" is used by more than one step: give each step a unique name`);
    byName.set(document.Name, document);
  }
  const propertyFiles = new Map(placed.map(({ document, label }) => [document.Name, planPropertyFiles(label, document.PropertyFiles, report)]));

  const steps = placed.map(({ document, label, branch }, order): PlannedStep => {
    const waitsFor = new Set<string>();
    const needStep = (name: string, relation: string): void => {
      const target = byName.get(name);
      if (target === undefined) {
        report(`${label} ${relation} step "${name}", which is not in the pipeline`);
      } else if (target.Type === 'Fail') {
        report(`${label} ${relation} Fail step "${name}": no step can wait for a Fail step or read its properties`);
      } else {
        waitsFor.add(name);
      }
    };
    const dependsOn = document.DependsOn ?? [];
    if (!Array.isArray(dependsOn) || !dependsOn.every((name) => typeof name === 'string')) {
      report(`${label} DependsOn is ${preview(dependsOn)}: list step names`);
    } else {
      dependsOn.forEach((name) => needStep(name, 'depends on'));
    }

    // Expressions: a Condition step's are in its Conditions, a branch's steps are planned on their own.
    const found: ExpressionInspection = { references: [], problems: [] };
    if (document.Type === 'Condition') {
      const conditions = isObject(document.Arguments) ? document.Arguments.Conditions : undefined;
      if (!Array.isArray(conditions)) {
        report(`${label} has no list of Arguments.Conditions`);
      } else {
        conditions.forEach((condition, index) => inspectCondition(condition, `${label} Arguments.Conditions[${index}]`, report));
        inspectExpressions(conditions, 'Arguments.Conditions', found);
      }
    } else {
      inspectExpressions(document.Arguments ?? {}, 'Arguments', found);
    }
    found.problems.forEach((problem) => report(`${label} ${problem}`));
    for (const { target, at } of found.references) {
      switch (target.kind) {
        case 'parameter':
          if (!declaredParameters.has(target.name)) {
            report(`${label} ${at} reads parameter "${target.name}", which is not in the pipeline: add it to the Parameters`);
          }
          break;
        case 'execution':
          if (!(EXECUTION_VARIABLES as readonly string[]).includes(target.name)) {
            report(`${label} ${at} reads Execution.${target.name}, which is not an execution variable: use one of ${EXECUTION_VARIABLES.join(', ')}`);
          } else if (target.name === 'PipelineName' && options.pipelineName === undefined) {
            report(`${label} ${at} reads Execution.PipelineName: pass the pipeline's name (pipelineName)`);
          } else if ((target.name === 'PipelineArn' || target.name === 'PipelineExecutionArn') && options.pipelineArn === undefined) {
            report(`${label} ${at} reads Execution.${target.name}: pass the pipeline's ARN (pipelineArn)`);
          }
          break;
        case 'step':
          needStep(target.step, `${at} reads a property of`);
          break;
        case 'propertyFile': {
          needStep(target.step, `${at} reads a property file of`);
          const declared = propertyFiles.get(target.step);
          if (declared !== undefined && !declared.some((file) => file.PropertyFileName === target.file)) {
            report(
              `${label} ${at} reads property file "${target.file}" of step "${target.step}", which declares ` +
                `${declared.length > 0 ? declared.map((file) => `"${file.PropertyFileName}"`).join(', ') : 'no property files'}`,
            );
          }
          break;
        }
      }
    }
    if (branch !== undefined) waitsFor.add(branch.condition);
    return {
      document,
      name: document.Name,
      type: document.Type,
      order,
      waitsFor,
      branch,
      propertyFiles: propertyFiles.get(document.Name) ?? [],
      retryPolicies: planRetryPolicies(label, document.RetryPolicies, report),
    };
  });

  const cycle = findCycle(steps);
  if (cycle !== undefined) {
    report(`steps wait for each other in a cycle (${cycle.map((name) => `"${name}"`).join(' waits for ')}): remove one of the dependencies`);
  }
  if (problems.length > 0) throw new PipelineRunRefusedError(problems);
  return { steps, parameters };
}

/** A cycle in the "waits for" graph, as step names with the first repeated at the end, if there is one. */
function findCycle(steps: readonly PlannedStep[]): string[] | undefined {
  const byName = new Map(steps.map((step) => [step.name, step]));
  const state = new Map<string, 'visiting' | 'done'>();
  const path: string[] = [];
  const visit = (name: string): string[] | undefined => {
    if (state.get(name) === 'done') return undefined;
    if (state.get(name) === 'visiting') return [...path.slice(path.indexOf(name)), name];
    state.set(name, 'visiting');
    path.push(name);
    for (const upstream of byName.get(name)?.waitsFor ?? []) {
      const cycle = visit(upstream);
      if (cycle !== undefined) return cycle;
    }
    path.pop();
    state.set(name, 'done');
    return undefined;
  };
  for (const step of steps) {
    const cycle = visit(step.name);
    if (cycle !== undefined) return cycle;
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// Conditions
// ---------------------------------------------------------------------------------------------

function describeValue(value: unknown): string {
  return `${preview(value)} (${Array.isArray(value) ? 'list' : value === null ? 'null' : typeof value})`;
}

/** `Equals` as SageMaker compares: values of one type only. */
function sameTypeEquals(type: string, left: unknown, right: unknown): boolean {
  if (typeof left !== typeof right || !['string', 'number', 'boolean'].includes(typeof left)) {
    throw new ExpressionError(
      `${type} compares LeftValue ${describeValue(left)} with RightValue ${describeValue(right)}: the values must be strings, numbers or booleans of one type`,
    );
  }
  return left === right;
}

function compareOrdered(type: string, left: unknown, right: unknown): number {
  const bothNumbers = typeof left === 'number' && typeof right === 'number';
  const bothStrings = typeof left === 'string' && typeof right === 'string';
  if (!bothNumbers && !bothStrings) {
    throw new ExpressionError(
      `${type} compares LeftValue ${describeValue(left)} with RightValue ${describeValue(right)}: it compares two numbers or two strings`,
    );
  }
  if (bothNumbers) return (left as number) - (right as number);
  return (left as string) < (right as string) ? -1 : (left as string) > (right as string) ? 1 : 0;
}

/** Evaluates one resolved condition. */
function evaluateCondition(condition: JsonValue): boolean {
  const node = condition as { readonly [key: string]: JsonValue };
  const type = node.Type as string;
  switch (type) {
    case 'Equals':
      return sameTypeEquals(type, node.LeftValue, node.RightValue);
    case 'NotEquals':
      return !sameTypeEquals(type, node.LeftValue, node.RightValue);
    case 'GreaterThan':
      return compareOrdered(type, node.LeftValue, node.RightValue) > 0;
    case 'GreaterThanOrEqualTo':
      return compareOrdered(type, node.LeftValue, node.RightValue) >= 0;
    case 'LessThan':
      return compareOrdered(type, node.LeftValue, node.RightValue) < 0;
    case 'LessThanOrEqualTo':
      return compareOrdered(type, node.LeftValue, node.RightValue) <= 0;
    case 'In':
    case 'NotIn': {
      const query = node.QueryValue ?? node.Value;
      const values = (node.Values ?? node.In) as readonly JsonValue[];
      const found = values.some((value) => typeof value === typeof query && value === query);
      return type === 'In' ? found : !found;
    }
    case 'Not':
      return !evaluateCondition(node.Expression);
    case 'Or':
      return (node.Conditions as readonly JsonValue[]).some(evaluateCondition);
    default:
      throw new ExpressionError(`condition type ${preview(type)} is not supported`);
  }
}

// ---------------------------------------------------------------------------------------------
// Running
// ---------------------------------------------------------------------------------------------

function newExecutionId(): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789';
  return [...randomBytes(12)].map((byte) => alphabet[byte % alphabet.length]).join('');
}

function exceptionTypeOf(error: unknown): string | undefined {
  const type = isObject(error) ? (error as { exceptionType?: unknown }).exceptionType : undefined;
  return typeof type === 'string' ? type : undefined;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** A step failure the executor itself decides on, with the attempts made. */
class StepFailed extends Error {
  constructor(
    message: string,
    public readonly attempts: number,
  ) {
    super(message);
  }
}

/**
 * Runs a pipeline definition locally. Resolves when the execution has finished (succeeded or
 * failed); rejects with `PipelineRunRefusedError`, before any step runs, when the definition or
 * the parameters cannot run: an unknown or mistyped parameter, a reference to a step, parameter,
 * property file or execution variable that does not exist, a malformed expression or condition,
 * or a dependency cycle.
 */
export async function runPipeline(
  definition: PipelineDefinitionDocument | string,
  options: RunPipelineOptions,
): Promise<PipelineExecutionResult> {
  const document: unknown = typeof definition === 'string' ? parseDefinition(definition) : definition;
  const { steps, parameters } = plan(document, options);
  const clock = options.clock ?? systemClock;
  const emit = options.onEvent ?? (() => undefined);
  const executionId = options.executionId ?? newExecutionId();
  const executionStarted = clock.now();
  const execution: ExecutionContext = {
    executionId,
    ...(options.pipelineArn !== undefined && { executionArn: `${options.pipelineArn}/execution/${executionId}`, pipelineArn: options.pipelineArn }),
    ...(options.pipelineName !== undefined && { pipelineName: options.pipelineName }),
    startedAt: executionStarted.toISOString(),
  };

  const succeeded = new Map<string, StepExecutionResult>();
  const failed = new Set<string>();
  const outcomes = new Map<string, boolean>();
  const results: StepExecutionResult[] = [];
  let failure: { readonly step: string; readonly reason: string } | undefined;

  const scope: ExpressionScope = {
    parameter: (name) => parameters.get(name),
    executionVariable: (name) => {
      const variables: { [name: string]: PrimitiveValue | undefined } = {
        PipelineName: execution.pipelineName,
        PipelineArn: execution.pipelineArn,
        PipelineExecutionId: execution.executionId,
        PipelineExecutionArn: execution.executionArn,
        StartDateTime: execution.startedAt,
        CurrentDateTime: clock.now().toISOString(),
      };
      return variables[name];
    },
    stepProperties: (name) => succeeded.get(name)?.properties,
    propertyFile: (name, file) => succeeded.get(name)?.propertyFiles[file],
  };

  const isReady = (step: PlannedStep): boolean =>
    [...step.waitsFor].every((name) => succeeded.has(name)) &&
    (step.branch === undefined || (outcomes.get(step.branch.condition) ? 'If' : 'Else') === step.branch.branch);

  const byName = new Map(steps.map((step) => [step.name, step]));
  const pending = new Set(steps);
  while (failure === undefined) {
    const next = steps.find((step) => pending.has(step) && isReady(step));
    if (next === undefined) break;
    pending.delete(next);
    const result = await runStep(next, { execution, scope, clock, emit, runners: options.runners });
    results.push(result);
    if (result.status === 'Succeeded') {
      succeeded.set(next.name, result);
      if (next.type === 'Condition') outcomes.set(next.name, result.properties.Outcome === 'True');
    } else {
      failed.add(next.name);
      failure = {
        step: next.name,
        reason: next.type === 'Fail' ? result.failureReason! : `step "${next.name}" (${next.type}) failed: ${result.failureReason}`,
      };
    }
  }

  const notRun = steps
    .filter((step) => pending.has(step))
    .map((step): StepNotRun => ({ name: step.name, type: step.type, reason: whyNotRun(step) }));
  function whyNotRun(step: PlannedStep): string {
    const { branch } = step;
    if (branchNotTaken(step)) {
      const held = outcomes.get(branch!.condition)!;
      return `it is in the ${branch!.branch} branch of "${branch!.condition}", whose conditions ${held ? 'held' : 'did not hold'}`;
    }
    const failedUpstream = [...step.waitsFor].find((name) => failed.has(name));
    if (failedUpstream !== undefined) return `it waits for "${failedUpstream}", which failed`;
    const blocked = [...step.waitsFor].find((name) => neverRuns(byName.get(name)!));
    if (blocked !== undefined) return `it waits for "${blocked}", which did not run`;
    return failure === undefined ? 'it never became ready' : `the execution stopped when "${failure.step}" failed`;
  }
  function branchNotTaken(step: PlannedStep): boolean {
    const { branch } = step;
    return branch !== undefined && outcomes.has(branch.condition) && (outcomes.get(branch.condition) ? 'If' : 'Else') !== branch.branch;
  }
  /** Whether a step that did not run could not have run whatever else happened. */
  function neverRuns(step: PlannedStep): boolean {
    if (!pending.has(step)) return failed.has(step.name);
    return branchNotTaken(step) || [...step.waitsFor].some((name) => neverRuns(byName.get(name)!));
  }

  const finished = clock.now();
  return {
    executionId,
    ...(execution.executionArn !== undefined && { executionArn: execution.executionArn }),
    status: failure === undefined ? 'Succeeded' : 'Failed',
    ...(failure !== undefined && { failureReason: failure.reason, failedStep: failure.step }),
    startedAt: execution.startedAt,
    seconds: secondsBetween(executionStarted, finished),
    parameters: Object.fromEntries(parameters),
    steps: results,
    notRun,
  };
}

function parseDefinition(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new PipelineRunRefusedError([`the definition is not JSON: ${messageOf(error)}`]);
  }
}

function secondsBetween(start: Date, end: Date): number {
  return Math.round(end.getTime() - start.getTime()) / 1000;
}

interface StepRunContext {
  readonly execution: ExecutionContext;
  readonly scope: ExpressionScope;
  readonly clock: PipelineClock;
  readonly emit: (event: PipelineEvent) => void;
  readonly runners: StepRunners;
}

async function runStep(step: PlannedStep, context: StepRunContext): Promise<StepExecutionResult> {
  const { clock, emit } = context;
  const startedAt = clock.now();
  const base = { name: step.name, type: step.type, startedAt: startedAt.toISOString() };
  emit({ type: 'step-started', step: step.name, stepType: step.type, attempt: 1, at: base.startedAt });
  let resolvedArguments: JsonValue | undefined;
  try {
    const done = await executeStep(step, context, startedAt, (resolved) => {
      resolvedArguments = resolved;
    });
    const ended = clock.now();
    const seconds = secondsBetween(startedAt, ended);
    const outcome = step.type === 'Condition' ? done.properties.Outcome === 'True' : undefined;
    emit({
      type: 'step-succeeded',
      step: step.name,
      stepType: step.type,
      attempts: done.attempts,
      seconds,
      ...(outcome !== undefined && { outcome }),
      at: ended.toISOString(),
    });
    return { ...base, status: 'Succeeded', attempts: done.attempts, seconds, arguments: resolvedArguments, properties: done.properties, propertyFiles: done.propertyFiles };
  } catch (error) {
    const ended = clock.now();
    const seconds = secondsBetween(startedAt, ended);
    const attempts = error instanceof StepFailed ? error.attempts : 1;
    const reason = messageOf(error);
    emit({ type: 'step-failed', step: step.name, stepType: step.type, attempts, seconds, reason, at: ended.toISOString() });
    return { ...base, status: 'Failed', attempts, seconds, arguments: resolvedArguments, properties: {}, propertyFiles: {}, failureReason: reason };
  }
}

interface StepDone {
  readonly attempts: number;
  readonly properties: JsonObject;
  readonly propertyFiles: { readonly [name: string]: JsonValue };
}

async function executeStep(
  step: PlannedStep,
  context: StepRunContext,
  startedAt: Date,
  resolved: (value: JsonValue) => void,
): Promise<StepDone> {
  const args = isObject(step.document.Arguments) ? step.document.Arguments : {};
  const resolve = (value: unknown, at: string): JsonValue => {
    try {
      return resolveExpressions(value, context.scope, at);
    } catch (error) {
      throw new StepFailed(messageOf(error), step.type === 'Condition' || step.type === 'Fail' ? 1 : 0);
    }
  };

  if (step.type === 'Condition') {
    const conditions = resolve(args.Conditions, 'Arguments.Conditions') as readonly JsonValue[];
    resolved({ Conditions: conditions });
    let outcome: boolean;
    try {
      outcome = conditions.every(evaluateCondition);
    } catch (error) {
      throw new StepFailed(messageOf(error), 1);
    }
    return { attempts: 1, properties: { Outcome: outcome ? 'True' : 'False' }, propertyFiles: {} };
  }

  if (step.type === 'Fail') {
    const message = args.ErrorMessage === undefined ? undefined : resolve(args.ErrorMessage, 'Arguments.ErrorMessage');
    resolved(message === undefined ? {} : { ErrorMessage: message });
    throw new StepFailed(
      message === undefined || message === '' ? `Fail step "${step.name}" stopped the execution (it has no ErrorMessage)` : String(message),
      1,
    );
  }

  const runner = context.runners[step.type];
  if (runner === undefined) {
    const known = Object.keys(context.runners).filter((type) => context.runners[type] !== undefined);
    throw new StepFailed(
      `step "${step.name}" is a ${step.type} step and no local runner exists for ${step.type} steps ` +
        `(runners: ${known.length > 0 ? known.join(', ') : 'none'}); the local loop cannot run it`,
      0,
    );
  }
  const request = resolve(args, 'Arguments') as JsonObject;
  resolved(request);

  const retries = new Map<RetryPlan, number>();
  for (let attempt = 1; ; attempt++) {
    if (attempt > 1) context.emit({ type: 'step-started', step: step.name, stepType: step.type, attempt, at: context.clock.now().toISOString() });
    let outcome: StepRunOutcome;
    try {
      outcome = await runner({
        execution: context.execution,
        name: step.name,
        type: step.type,
        attempt,
        arguments: request,
        propertyFiles: step.propertyFiles,
        step: step.document,
      });
    } catch (error) {
      const exceptionType = exceptionTypeOf(error);
      const reason = messageOf(error);
      const policy = exceptionType === undefined ? undefined : step.retryPolicies.find((candidate) => candidate.exceptionTypes.includes(exceptionType));
      if (policy === undefined) {
        throw new StepFailed(exceptionType === undefined ? reason : `${reason} (${exceptionType}, which no retry policy of the step retries)`, attempt);
      }
      const retried = retries.get(policy) ?? 0;
      const maxAttempts = policy.maxAttempts ?? (policy.expireAfterMinutes === undefined ? DEFAULT_MAX_ATTEMPTS : undefined);
      const expired =
        policy.expireAfterMinutes !== undefined && context.clock.now().getTime() - startedAt.getTime() >= policy.expireAfterMinutes * 60_000;
      if ((maxAttempts !== undefined && retried >= maxAttempts) || expired) {
        const limit = expired ? `${policy.expireAfterMinutes} minutes` : `${maxAttempts} retries`;
        throw new StepFailed(`${reason} (${exceptionType}; gave up after ${attempt} attempts: its retry policy allows ${limit})`, attempt);
      }
      const delaySeconds = policy.intervalSeconds * policy.backoffRate ** retried;
      context.emit({
        type: 'step-retrying',
        step: step.name,
        stepType: step.type,
        attempt,
        exceptionType: exceptionType!,
        reason,
        delaySeconds,
        at: context.clock.now().toISOString(),
      });
      retries.set(policy, retried + 1);
      await context.clock.sleep(delaySeconds);
      continue;
    }
    return { attempts: attempt, ...checkOutcome(step, outcome, attempt) };
  }
}

/** The runner's properties and parsed property files, or a failure naming what is missing. */
function checkOutcome(step: PlannedStep, outcome: StepRunOutcome, attempt: number): Omit<StepDone, 'attempts'> {
  if (!isObject(outcome) || !isObject(outcome.properties)) {
    throw new StepFailed(`the ${step.type} runner returned ${preview(outcome)} for step "${step.name}": return {properties, propertyFiles?}`, attempt);
  }
  const given = outcome.propertyFiles ?? {};
  const propertyFiles: { [name: string]: JsonValue } = {};
  for (const name of Object.keys(given)) {
    if (!step.propertyFiles.some((file) => file.PropertyFileName === name)) {
      throw new StepFailed(`the ${step.type} runner returned property file "${name}", which step "${step.name}" does not declare`, attempt);
    }
  }
  for (const file of step.propertyFiles) {
    const where = `property file "${file.PropertyFileName}" (${file.FilePath} in output "${file.OutputName}")`;
    const text = given[file.PropertyFileName];
    if (typeof text !== 'string') {
      throw new StepFailed(`step "${step.name}" declares ${where}, but the job produced none`, attempt);
    }
    try {
      propertyFiles[file.PropertyFileName] = JSON.parse(text) as JsonValue;
    } catch (error) {
      throw new StepFailed(`step "${step.name}" wrote ${where} that is not JSON: ${messageOf(error)}`, attempt);
    }
  }
  return { properties: outcome.properties, propertyFiles };
}
