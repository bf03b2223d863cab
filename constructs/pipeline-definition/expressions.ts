import type { PropertyFile } from './properties';
import type { Step } from './steps';

/** A literal value a pipeline definition can carry. */
export type PrimitiveValue = string | number | boolean;

/** A JSON object as it appears in a rendered pipeline definition. */
export interface JsonObject {
  readonly [key: string]: JsonValue;
}

/** Any JSON value as it appears in a rendered pipeline definition. */
export type JsonValue = string | number | boolean | null | readonly JsonValue[] | JsonObject;

/**
 * Something an expression points at. The pipeline checks each one is part of it and derives
 * the step graph from the step and property-file references.
 */
export type ExpressionReference =
  | { readonly kind: 'parameter'; readonly name: string }
  | { readonly kind: 'step'; readonly step: Step; readonly processingOutputName?: string }
  | { readonly kind: 'propertyFile'; readonly propertyFile: PropertyFile };

/** What rendering needs to know about the pipeline around an expression. */
export interface RenderContext {
  /** Name of the processing step that declares the property file. */
  propertyFileOwner(propertyFile: PropertyFile): string;
}

/**
 * A value SageMaker resolves when the pipeline runs: a parameter, a step property, an execution
 * variable, or a function (`Std:Join`, `Std:JsonGet`) over those.
 *
 * `T` is the type of the resolved value. It exists only for the compiler, so that an Integer
 * parameter cannot be passed where the API wants a string.
 */
export abstract class Expression<T extends PrimitiveValue = PrimitiveValue> {
  /** Type of the resolved value; never set at run time. */
  declare readonly resolvedType?: T;

  /** The JSON SageMaker reads in place of the value. Used by `PipelineDefinition`. */
  public abstract render(context: RenderContext): JsonObject;

  /** What the expression points at. Used by `PipelineDefinition` for validation and the step graph. */
  public abstract references(): readonly ExpressionReference[];
}

/** A literal or an expression that resolves to the same type. */
export type PipelineValue<T extends PrimitiveValue> = T | Expression<T>;

/** An expression that reads one value by path: `{"Get": "<path>"}`. */
export abstract class Reference<T extends PrimitiveValue = PrimitiveValue> extends Expression<T> {
  /** The path SageMaker resolves, such as `Parameters.MinAuc` or `Steps.Train.ModelArtifacts.S3ModelArtifacts`. */
  public abstract readonly path: string;

  /** `{"Get": "<path>"}`. */
  public render(): JsonObject {
    return { Get: this.path };
  }
}

/** Values SageMaker sets for each pipeline execution. */
export class ExecutionVariable extends Reference<string> {
  /** The pipeline's name. */
  public static readonly PIPELINE_NAME = new ExecutionVariable('PipelineName');
  /** The pipeline's ARN. */
  public static readonly PIPELINE_ARN = new ExecutionVariable('PipelineArn');
  /** The execution's id, unique per run: use it to keep each run's outputs apart. */
  public static readonly PIPELINE_EXECUTION_ID = new ExecutionVariable('PipelineExecutionId');
  /** The execution's ARN. */
  public static readonly PIPELINE_EXECUTION_ARN = new ExecutionVariable('PipelineExecutionArn');
  /** When the execution started. */
  public static readonly START_DATETIME = new ExecutionVariable('StartDateTime');
  /** The time at which the value is resolved. */
  public static readonly CURRENT_DATETIME = new ExecutionVariable('CurrentDateTime');

  /** `Execution.<name>`. */
  public readonly path: string;

  private constructor(name: string) {
    super();
    this.path = `Execution.${name}`;
  }

  /** Execution variables belong to every pipeline, so they reference nothing. */
  public references(): readonly ExpressionReference[] {
    return [];
  }
}

class JoinExpression extends Expression<string> {
  constructor(
    private readonly on: string,
    private readonly values: readonly (PrimitiveValue | Reference)[],
  ) {
    super();
  }

  public render(): JsonObject {
    return {
      'Std:Join': {
        On: this.on,
        Values: this.values.map((value) => (value instanceof Reference ? value.render() : value)),
      },
    };
  }

  public references(): readonly ExpressionReference[] {
    return this.values.flatMap((value) => (value instanceof Reference ? value.references() : []));
  }
}

/**
 * Joins literals and references into one string when the pipeline runs (`Std:Join`), for
 * example an S3 URI under a step's output or a message naming a parameter's value.
 *
 * Values are literals or `Get` references (parameters, step properties, execution variables),
 * the forms the published schema and the SageMaker documentation show inside a join.
 */
export function join(on: string, values: readonly (PrimitiveValue | Reference)[]): Expression<string> {
  return new JoinExpression(on, values);
}

/** Whether the value is a plain object literal rather than a class instance. */
function isPlainObject(value: object): boolean {
  const prototype: unknown = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}

function describe(value: unknown): string {
  if (typeof value === 'number') return String(value);
  if (typeof value === 'object' && value !== null) return `an object of class ${value.constructor?.name ?? 'unknown'}`;
  return `a ${typeof value}`;
}

/** References and problems found in a value tree that is about to become pipeline JSON. */
export interface ValueInspection {
  /** Everything the expressions in the tree point at. */
  readonly references: ExpressionReference[];
  /** Values JSON cannot carry, with their paths. */
  readonly problems: string[];
}

/**
 * Walks a tree of literals, arrays, plain objects and expressions, collecting the expressions'
 * references and flagging anything JSON cannot carry (class instances such as unresolved CDK
 * `IResolvable`s, functions, NaN).
 */
export function inspectValue(value: unknown, path: string, subject: string, into: ValueInspection): void {
  if (value === undefined || value === null || typeof value === 'string' || typeof value === 'boolean') return;
  if (typeof value === 'number' && Number.isFinite(value)) return;
  if (value instanceof Expression) {
    into.references.push(...value.references());
    return;
  }
  if (Array.isArray(value)) {
    value.forEach((item, index) => inspectValue(item, `${path}[${index}]`, subject, into));
    return;
  }
  if (typeof value === 'object' && isPlainObject(value)) {
    for (const [key, item] of Object.entries(value)) inspectValue(item, `${path}.${key}`, subject, into);
    return;
  }
  into.problems.push(
    `${subject} has ${describe(value)} at ${path}, which a pipeline definition cannot carry: ` +
      'use strings, numbers, booleans, arrays, plain objects or pipeline expressions',
  );
}

/** Renders a tree that `inspectValue` accepted, dropping properties whose value is undefined. */
export function renderValue(value: unknown, context: RenderContext): JsonValue {
  if (value instanceof Expression) return value.render(context);
  if (Array.isArray(value)) return value.map((item) => renderValue(item, context));
  if (typeof value === 'object' && value !== null) return renderObject(value, context);
  return value as PrimitiveValue | null;
}

/** Renders a plain object that `inspectValue` accepted. */
export function renderObject(value: object, context: RenderContext): JsonObject {
  const rendered: { [key: string]: JsonValue } = {};
  for (const [key, item] of Object.entries(value)) {
    if (item !== undefined) rendered[key] = renderValue(item, context);
  }
  return rendered;
}
