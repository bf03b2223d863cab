/**
 * The expression language of a SageMaker pipeline definition as the local executor resolves it:
 * `{"Get": ...}` on `Parameters.*`, `Execution.*` and `Steps.*`, `Std:Join` and `Std:JsonGet`.
 * Pure functions over JSON: nothing here knows of step runners, S3 or the CLI.
 *
 * @see https://docs.aws.amazon.com/sagemaker/latest/dg/build-and-manage-steps.html
 */
import type { JsonObject, JsonValue, PrimitiveValue } from '../../constructs/pipeline-definition';

/** Thrown when an expression cannot be parsed or resolved; the message says where and why. */
export class ExpressionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ExpressionError';
  }
}

/** The execution variables SageMaker sets for each execution (`Execution.<name>`). */
export const EXECUTION_VARIABLES = [
  'PipelineName',
  'PipelineArn',
  'PipelineExecutionId',
  'PipelineExecutionArn',
  'StartDateTime',
  'CurrentDateTime',
] as const;

/** One of `EXECUTION_VARIABLES`. */
export type ExecutionVariableName = (typeof EXECUTION_VARIABLES)[number];

/** One step of a property path: `.Name`, `['Name']` or `[0]`. */
export type PathSegment =
  | { readonly kind: 'name'; readonly name: string; readonly bracket: boolean }
  | { readonly kind: 'index'; readonly index: number };

/** What a `Get` path points at. */
export type GetTarget =
  | { readonly kind: 'parameter'; readonly name: string }
  | { readonly kind: 'execution'; readonly name: string }
  | { readonly kind: 'step'; readonly step: string; readonly path: readonly PathSegment[] }
  | { readonly kind: 'propertyFile'; readonly step: string; readonly file: string };

/** A reference an expression makes, with where in the step it was found. */
export interface FoundReference {
  readonly target: GetTarget;
  /** Where the expression sits, such as `Arguments.InputDataConfig[0].DataSource.S3DataSource.S3Uri`. */
  readonly at: string;
  /** Whether the reference is the `PropertyFile` of a `Std:JsonGet` (the only place a property file may be read). */
  readonly inJsonGet: boolean;
}

/** References and structural problems found in a value tree before anything runs. */
export interface ExpressionInspection {
  readonly references: FoundReference[];
  readonly problems: string[];
}

/** What resolution may read. Values are already typed: a Float parameter is a number. */
export interface ExpressionScope {
  /** A parameter's value for this execution. */
  parameter(name: string): PrimitiveValue | undefined;
  /** An execution variable's value, or undefined when the run was not told it. */
  executionVariable(name: string): PrimitiveValue | undefined;
  /** The properties a step's runner returned, or undefined when the step has not succeeded. */
  stepProperties(step: string): JsonValue | undefined;
  /** A property file a step produced, parsed, or undefined when it has none by that name. */
  propertyFile(step: string, file: string): JsonValue | undefined;
}

/** An expression node recognised in the definition's JSON. */
type ExpressionNode =
  | { readonly kind: 'get'; readonly path: string }
  | { readonly kind: 'join'; readonly argument: unknown }
  | { readonly kind: 'jsonGet'; readonly argument: unknown }
  | { readonly kind: 'unknownFunction'; readonly name: string };

function isObject(value: unknown): value is { readonly [key: string]: unknown } {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isPrimitive(value: unknown): value is PrimitiveValue {
  return typeof value === 'string' || typeof value === 'boolean' || (typeof value === 'number' && Number.isFinite(value));
}

/** An object with one key `Get`, `Std:Join`, `Std:JsonGet` or another `Std:` function. */
function expressionOf(value: unknown): ExpressionNode | undefined {
  if (!isObject(value)) return undefined;
  const keys = Object.keys(value);
  if (keys.length !== 1) return undefined;
  const [key] = keys;
  if (key === 'Get' && typeof value.Get === 'string') return { kind: 'get', path: value.Get };
  if (key === 'Std:Join') return { kind: 'join', argument: value[key] };
  if (key === 'Std:JsonGet') return { kind: 'jsonGet', argument: value[key] };
  if (key.startsWith('Std:')) return { kind: 'unknownFunction', name: key };
  return undefined;
}

/** Whether a value is an expression the definition resolves at run time. */
export function isExpression(value: unknown): boolean {
  return expressionOf(value) !== undefined;
}

/** The value as it reads in a message: JSON, a long one shortened. */
export function preview(value: unknown): string {
  const text = value === undefined ? 'undefined' : JSON.stringify(value);
  return text.length > 120 ? `${text.slice(0, 100)}… (${text.length} characters)` : text;
}

function typeName(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'an object';
  return `a ${typeof value}`;
}

/**
 * Parses a property or JsonGet path: names joined by dots, list items as `[0]`, named list items
 * or keys as `['name']` (the form the builder renders for processing outputs).
 */
export function parsePath(path: string): PathSegment[] {
  const fail = (why: string): never => {
    throw new ExpressionError(`path "${path}" is not valid: ${why}`);
  };
  if (path.length === 0) fail('it is empty');
  const segments: PathSegment[] = [];
  let i = 0;
  while (i < path.length) {
    if (path[i] === '[') {
      const quote = path[i + 1];
      if (quote === "'" || quote === '"') {
        const end = path.indexOf(`${quote}]`, i + 2);
        if (end < 0) fail(`the ${quote} at character ${i + 2} is not closed with ${quote}]`);
        segments.push({ kind: 'name', name: path.slice(i + 2, end), bracket: true });
        i = end + 2;
      } else {
        const end = path.indexOf(']', i);
        const digits = end < 0 ? '' : path.slice(i + 1, end);
        if (!/^\d+$/.test(digits)) fail(`use [<index>] or ['<name>'] at character ${i + 1}`);
        segments.push({ kind: 'index', index: Number(digits) });
        i = end + 1;
      }
      continue;
    }
    if (segments.length > 0) {
      if (path[i] !== '.') fail(`expected "." or "[" at character ${i + 1}`);
      i += 1;
    }
    const name = /^[^.[\]]+/.exec(path.slice(i))?.[0];
    if (name === undefined) fail(`expected a name at character ${i + 1}`);
    segments.push({ kind: 'name', name: name!, bracket: false });
    i += name!.length;
  }
  return segments;
}

/** The path as the definition writes it. */
export function formatPath(segments: readonly PathSegment[]): string {
  return segments
    .map((segment, index) => {
      if (segment.kind === 'index') return `[${segment.index}]`;
      if (segment.bracket) return `['${segment.name}']`;
      return index === 0 ? segment.name : `.${segment.name}`;
    })
    .join('');
}

/**
 * Parses the path of a `Get`: `Parameters.<name>`, `Execution.<variable>`,
 * `Steps.<step>.PropertyFiles.<file>` or `Steps.<step>.<property path>`.
 */
export function parseGet(path: string): GetTarget {
  const [root, ...rest] = path.split('.');
  const remainder = rest.join('.');
  const single = (kind: 'parameter' | 'execution'): GetTarget => {
    if (!/^[A-Za-z0-9\-_]+$/.test(remainder)) {
      throw new ExpressionError(`"${path}" names no ${kind === 'parameter' ? 'parameter' : 'execution variable'}`);
    }
    return { kind, name: remainder };
  };
  switch (root) {
    case 'Parameters':
      return single('parameter');
    case 'Execution':
      return single('execution');
    case 'Steps': {
      const [step, ...propertyPath] = rest;
      if (!step || propertyPath.length === 0) {
        throw new ExpressionError(`"${path}" names no property: use Steps.<step>.<property path>`);
      }
      if (propertyPath[0] === 'PropertyFiles' && propertyPath.length === 2 && propertyPath[1]) {
        return { kind: 'propertyFile', step, file: propertyPath[1] };
      }
      return { kind: 'step', step, path: parsePath(propertyPath.join('.')) };
    }
    default:
      throw new ExpressionError(
        `"${path}" is not a path SageMaker resolves: use Parameters.<name>, Execution.<variable> or Steps.<step>.<property>`,
      );
  }
}

/** The fields SageMaker matches a `['name']` index against in a Describe* response's lists. */
const LIST_NAME_KEYS = ['OutputName', 'InputName', 'ChannelName', 'MetricName', 'VariantName', 'Name'];

/** How `readPath` treats `['name']` on a list. */
export interface ReadPathOptions {
  /**
   * Whether `['name']` on a list picks the item whose `OutputName`, `InputName`, `ChannelName`,
   * `MetricName`, `VariantName` or `Name` equals it, as SageMaker does for step properties
   * (`ProcessingOutputConfig.Outputs['train']`). Off for property files, which are plain JSON.
   */
  readonly namedListItems: boolean;
  /** What the root value is, for messages: `step "Train"`, `property file "Report" of step "Evaluate"`. */
  readonly rootLabel: string;
}

function nameOf(item: unknown): string | undefined {
  if (!isObject(item)) return undefined;
  const key = LIST_NAME_KEYS.find((candidate) => typeof item[candidate] === 'string');
  return key === undefined ? undefined : (item[key] as string);
}

/**
 * Reads `segments` from `root`; throws an `ExpressionError` saying where the path stopped and
 * what was there instead, so a property the next step expects but the previous one did not
 * produce is named exactly.
 */
export function readPath(root: JsonValue, segments: readonly PathSegment[], options: ReadPathOptions): JsonValue {
  let value: JsonValue = root;
  for (let i = 0; i < segments.length; i++) {
    const segment = segments[i];
    const here = i === 0 ? options.rootLabel : `${formatPath(segments.slice(0, i))} of ${options.rootLabel}`;
    const stop = (why: string): never => {
      throw new ExpressionError(`${here} ${why}`);
    };
    if (segment.kind === 'index') {
      if (!Array.isArray(value)) stop(`is ${typeName(value)}, not a list, so [${segment.index}] does not apply`);
      const list = value as readonly JsonValue[];
      if (segment.index >= list.length) stop(`has ${list.length} items, so there is no [${segment.index}]`);
      value = list[segment.index];
      continue;
    }
    if (Array.isArray(value)) {
      const list = value as readonly JsonValue[];
      if (!segment.bracket || !options.namedListItems) {
        stop(`is a list, so "${segment.name}" does not apply: index it with [<index>]`);
      }
      const item = list.find((candidate) => nameOf(candidate) === segment.name);
      if (item === undefined) {
        const names = list.map(nameOf).filter((name) => name !== undefined);
        stop(`has no item named "${segment.name}" (it has ${names.length > 0 ? names.map((name) => `"${name}"`).join(', ') : 'no named items'})`);
      }
      value = item!;
      continue;
    }
    if (!isObject(value)) stop(`is ${typeName(value)}, so it has no "${segment.name}"`);
    const object = value as JsonObject;
    if (!Object.prototype.hasOwnProperty.call(object, segment.name)) {
      const keys = Object.keys(object);
      stop(`has no "${segment.name}" (it has ${keys.length > 0 ? keys.map((key) => `"${key}"`).join(', ') : 'nothing'})`);
    }
    value = object[segment.name];
  }
  return value;
}

function joinArgument(argument: unknown): { on: string; values: readonly unknown[] } | string {
  if (!isObject(argument)) return 'Std:Join takes {On, Values}';
  const on = argument.On ?? '';
  if (typeof on !== 'string') return `Std:Join On is ${preview(on)}: use a string`;
  if (!Array.isArray(argument.Values)) return `Std:Join Values is ${preview(argument.Values)}: use a list`;
  return { on, values: argument.Values };
}

function jsonGetArgument(argument: unknown): { propertyFile: string; path: string } | string {
  if (!isObject(argument)) return 'Std:JsonGet takes {PropertyFile, Path}';
  if (argument.S3Uri !== undefined) {
    return 'Std:JsonGet with an S3Uri (a JSON file read from S3 rather than a step\'s property file) is not supported by the local executor';
  }
  const file = expressionOf(argument.PropertyFile);
  if (file?.kind !== 'get') {
    return `Std:JsonGet PropertyFile is ${preview(argument.PropertyFile)}: use {"Get": "Steps.<step>.PropertyFiles.<name>"}`;
  }
  if (typeof argument.Path !== 'string') return `Std:JsonGet Path is ${preview(argument.Path)}: use a string such as "metrics.auc.value"`;
  return { propertyFile: file.path, path: argument.Path };
}

/**
 * Collects every reference in a value tree and every expression that cannot be resolved whatever
 * the run brings (bad syntax, unknown functions, a property file read outside `Std:JsonGet`).
 */
export function inspectExpressions(value: unknown, at: string, into: ExpressionInspection): void {
  const node = expressionOf(value);
  if (node === undefined) {
    if (Array.isArray(value)) value.forEach((item, index) => inspectExpressions(item, `${at}[${index}]`, into));
    else if (isObject(value)) for (const [key, item] of Object.entries(value)) inspectExpressions(item, `${at}.${key}`, into);
    return;
  }
  const problem = (message: string): void => {
    into.problems.push(`${at}: ${message}`);
  };
  switch (node.kind) {
    case 'unknownFunction':
      problem(`${node.name} is not a function the local executor knows: it resolves Get, Std:Join and Std:JsonGet`);
      return;
    case 'get':
      try {
        const target = parseGet(node.path);
        if (target.kind === 'propertyFile') {
          problem(`{"Get": "${node.path}"} reads a property file outside Std:JsonGet: read a value from it with Std:JsonGet`);
        } else {
          into.references.push({ target, at, inJsonGet: false });
        }
      } catch (error) {
        problem((error as Error).message);
      }
      return;
    case 'join': {
      const argument = joinArgument(node.argument);
      if (typeof argument === 'string') return problem(argument);
      argument.values.forEach((item, index) => inspectExpressions(item, `${at}.Std:Join.Values[${index}]`, into));
      return;
    }
    case 'jsonGet': {
      const argument = jsonGetArgument(node.argument);
      if (typeof argument === 'string') return problem(argument);
      try {
        const target = parseGet(argument.propertyFile);
        if (target.kind !== 'propertyFile') {
          return problem(`Std:JsonGet PropertyFile "${argument.propertyFile}" is not a property file: use Steps.<step>.PropertyFiles.<name>`);
        }
        parsePath(argument.path);
        into.references.push({ target, at, inJsonGet: true });
      } catch (error) {
        problem((error as Error).message);
      }
      return;
    }
  }
}

function resolveGet(path: string, scope: ExpressionScope): JsonValue {
  const target = parseGet(path);
  switch (target.kind) {
    case 'parameter': {
      const value = scope.parameter(target.name);
      if (value === undefined) throw new ExpressionError(`the pipeline has no parameter "${target.name}"`);
      return value;
    }
    case 'execution': {
      const value = scope.executionVariable(target.name);
      if (value === undefined) throw new ExpressionError(`the execution variable ${target.name} is not available to this run`);
      return value;
    }
    case 'step': {
      const properties = scope.stepProperties(target.step);
      if (properties === undefined) throw new ExpressionError(`step "${target.step}" has not succeeded, so its properties are not available`);
      return readPath(properties, target.path, { namedListItems: true, rootLabel: `step "${target.step}"` });
    }
    case 'propertyFile':
      throw new ExpressionError(`a property file is read with Std:JsonGet, not with Get`);
  }
}

function resolveJsonGet(argument: unknown, scope: ExpressionScope): PrimitiveValue {
  const parsed = jsonGetArgument(argument);
  if (typeof parsed === 'string') throw new ExpressionError(parsed);
  const target = parseGet(parsed.propertyFile);
  if (target.kind !== 'propertyFile') throw new ExpressionError(`"${parsed.propertyFile}" is not a property file`);
  const contents = scope.propertyFile(target.step, target.file);
  if (contents === undefined) {
    throw new ExpressionError(`step "${target.step}" has produced no property file "${target.file}"`);
  }
  const value = readPath(contents, parsePath(parsed.path), {
    namedListItems: false,
    rootLabel: `property file "${target.file}" of step "${target.step}"`,
  });
  if (!isPrimitive(value)) {
    throw new ExpressionError(
      `"${parsed.path}" in property file "${target.file}" of step "${target.step}" is ${typeName(value)} (${preview(value)}): ` +
        'Std:JsonGet reads a string, number or boolean',
    );
  }
  return value;
}

function resolveJoin(argument: unknown, scope: ExpressionScope, at: string): string {
  const parsed = joinArgument(argument);
  if (typeof parsed === 'string') throw new ExpressionError(parsed);
  return parsed.values
    .map((item, index) => {
      const resolved = resolveNode(item, scope, `${at}.Std:Join.Values[${index}]`);
      if (!isPrimitive(resolved)) {
        throw new ExpressionError(
          `${at}.Std:Join.Values[${index}] resolved to ${typeName(resolved)} (${preview(resolved)}): a join takes strings, numbers and booleans`,
        );
      }
      return String(resolved);
    })
    .join(parsed.on);
}

function resolveNode(value: unknown, scope: ExpressionScope, at: string): JsonValue {
  const node = expressionOf(value);
  if (node === undefined) {
    if (Array.isArray(value)) return value.map((item, index) => resolveNode(item, scope, `${at}[${index}]`));
    if (isObject(value)) {
      return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, resolveNode(item, scope, `${at}.${key}`)]));
    }
    if (value === undefined) throw new ExpressionError(`${at} has no value`);
    return value as JsonValue;
  }
  try {
    switch (node.kind) {
      case 'get':
        return resolveGet(node.path, scope);
      case 'join':
        return resolveJoin(node.argument, scope, at);
      case 'jsonGet':
        return resolveJsonGet(node.argument, scope);
      case 'unknownFunction':
        throw new ExpressionError(`${node.name} is not a function the local executor knows`);
    }
  } catch (error) {
    if (!(error instanceof ExpressionError) || error.message.startsWith(`${at}`)) throw error;
    throw new ExpressionError(`${at}: ${preview(value)} does not resolve: ${error.message}`);
  }
}

/**
 * Resolves every expression in a value tree, nested at any depth, against `scope`. Throws an
 * `ExpressionError` naming the location (`at` plus the path inside the tree), the expression and
 * why it does not resolve.
 */
export function resolveExpressions(value: unknown, scope: ExpressionScope, at: string): JsonValue {
  return resolveNode(value, scope, at);
}
