import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { z } from 'zod';
import { packageFile } from '../constructs/private/package-files';
import { StageConfig, stageConfigSchema } from './stage-config';

/** The package's folder of dev.json, staging.json, prod.json and schema.json. */
export const DEFAULT_CONFIG_DIR = packageFile('config');

/** A config that cannot be used. The message lists every problem; nothing else is needed to fix it. */
export class ConfigError extends Error {
  constructor(
    message: string,
    public readonly problems: readonly string[] = [],
  ) {
    super(message);
    this.name = 'ConfigError';
  }
}

/** Where to read a stage config from: a stage name in `configDir`, or an explicit file (not both). */
export interface StageConfigSource {
  /** Stage name, the file `<configDir>/<stage>.json`. @default 'dev' (when `configFile` is not given either) */
  readonly stage?: string;
  /** Path of a config file, instead of `stage`: giving both is refused. */
  readonly configFile?: string;
  /** @default the package's config/ folder */
  readonly configDir?: string;
}

/** The stage names that have a config file in `configDir`. */
export function knownStages(configDir = DEFAULT_CONFIG_DIR): string[] {
  if (!existsSync(configDir)) return [];
  return readdirSync(configDir)
    .filter((file) => file.endsWith('.json') && file !== 'schema.json')
    .map((file) => basename(file, '.json'))
    .sort();
}

/** Reads, validates and defaults one stage config. Throws ConfigError listing every problem. */
export function loadStageConfig(source: StageConfigSource = {}): StageConfig {
  const configDir = source.configDir ?? DEFAULT_CONFIG_DIR;
  if (source.stage !== undefined && source.configFile !== undefined) {
    throw new ConfigError(
      `both stage "${source.stage}" and config file ${source.configFile} were given: give one, not both. ` +
        `The stage reads ${join(configDir, `${source.stage}.json`)}; a config file is read as it is.`,
    );
  }
  let file = source.configFile;
  if (file === undefined) {
    const stage = source.stage ?? 'dev';
    file = join(configDir, `${stage}.json`);
    if (!existsSync(file)) {
      throw new ConfigError(
        `unknown stage "${stage}": no ${file}. Known stages: ${knownStages(configDir).join(', ') || 'none'}. ` +
          'Pass -c stage=NAME for config/NAME.json or -c config=PATH for another file.',
      );
    }
  } else if (!existsSync(file)) {
    throw new ConfigError(`config file ${file} does not exist`);
  }
  const config = parseStageConfig(parseJsonText(readFileSync(file, 'utf8'), file), file);
  if (source.configFile === undefined && source.stage !== undefined && config.stage !== source.stage) {
    throw new ConfigError(`${file} declares stage "${config.stage}" but was selected as stage "${source.stage}"`);
  }
  return config;
}

/**
 * Parses the text of a JSON file. Throws ConfigError `<origin>:<line>:<column>: not valid JSON: ...`
 * at the first syntax error (JSON.parse names a position for some errors and none for others).
 */
export function parseJsonText(text: string, origin: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    const found = jsonSyntaxError(text) ?? { offset: Number(/at position (\d+)/.exec((error as Error).message)?.[1] ?? 0), message: (error as Error).message };
    const { line, column } = lineAndColumn(text, found.offset);
    const problem = `${origin}:${line}:${column}: not valid JSON: ${found.message}`;
    throw new ConfigError(problem, [problem]);
  }
}

/** Validates `raw` against the stage-config schema; `origin` names it in the error message. */
export function parseStageConfig(raw: unknown, origin = 'stage config'): StageConfig {
  const result = stageConfigSchema.safeParse(raw, { error: describeExpectation });
  if (result.success) return result.data;
  // One problem per key: a cross-field check can fire on a value a field check already rejected.
  const seen = new Set<string>();
  const issues = result.error.issues.filter((issue) => {
    const key = `${issue.code === 'unrecognized_keys' ? issue.keys.join() : ''}@${issue.path.join('.')}`;
    return !seen.has(key) && seen.add(key);
  });
  const problems = issues.flatMap((issue) => describeIssue(issue, raw));
  throw new ConfigError(
    `${origin} is invalid (${problems.length} problem${problems.length === 1 ? '' : 's'}):\n` +
      problems.map((problem) => `  - ${problem}`).join('\n'),
    problems,
  );
}

/** Keys earlier versions read, and where their setting went. */
const MOVED_KEYS: Readonly<Record<string, string>> = {
  'training.metricName': 'moved: the review gate now holds the checks; write review.checks: [{ "metric": <this value>, "threshold": <training.metricThreshold> }]',
  'training.metricThreshold': 'moved: write it as the threshold of the first check in review.checks: [{ "metric": <training.metricName or "auc">, "threshold": <this value> }]',
};

/** Phrases zod's built-in checks as "what is expected"; messages set in the schema win over this. */
function describeExpectation(issue: z.core.$ZodRawIssue): string | undefined {
  switch (issue.code) {
    case 'invalid_type':
      return issue.input === undefined
        ? `a value (${issue.expected}); this key is required`
        : `${/^[aeiou]/.test(issue.expected) ? 'an' : 'a'} ${issue.expected}`;
    case 'too_small':
      return `at least ${issue.minimum}`;
    case 'too_big':
      return `at most ${issue.maximum}`;
    default:
      return undefined;
  }
}

function describeIssue(issue: z.core.$ZodIssue, raw: unknown): string[] {
  if (issue.code === 'unrecognized_keys') {
    return issue.keys.map((key) => {
      const at = formatPath([...issue.path, key]);
      return `${at}: ${MOVED_KEYS[at] ?? 'unknown key; remove it or check its spelling against config/schema.json'}`;
    });
  }
  return [`${formatPath(issue.path)}: received ${formatValue(valueAt(raw, issue.path))}; expected ${issue.message}`];
}

/** The value the user wrote at `path`; zod does not keep it on the final issues. */
function valueAt(raw: unknown, path: readonly PropertyKey[]): unknown {
  return path.reduce<unknown>(
    (value, key) => (value !== null && typeof value === 'object' ? (value as Record<PropertyKey, unknown>)[key] : undefined),
    raw,
  );
}

function formatPath(path: readonly PropertyKey[]): string {
  if (path.length === 0) return '(root)';
  return path.reduce<string>(
    (text, key) => (typeof key === 'number' ? `${text}[${key}]` : text ? `${text}.${String(key)}` : String(key)),
    '',
  );
}

function formatValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (typeof value === 'number') return String(value); // keeps Infinity (from 1e999) readable
  const text = JSON.stringify(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

interface JsonSyntaxError {
  /** Where the error is, as an index into the text. */
  readonly offset: number;
  readonly message: string;
}

/** 1-based line and column of `offset`; \n, \r\n and \r end a line, as in editors. */
function lineAndColumn(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < offset && i < text.length; i++) {
    if (text[i] === '\n' || (text[i] === '\r' && text[i + 1] !== '\n')) {
      line++;
      lineStart = i + 1;
    }
  }
  return { line, column: offset - lineStart + 1 };
}

/**
 * The first syntax error of `text` as JSON (RFC 8259, as JSON.parse reads it), or undefined when
 * there is none: a small recursive-descent reader that only locates and explains the error.
 */
function jsonSyntaxError(text: string): JsonSyntaxError | undefined {
  class Stop {
    constructor(public readonly error: JsonSyntaxError) {}
  }
  const fail = (offset: number, message: string): never => {
    throw new Stop({ offset, message });
  };
  /** Objects and lists not closed yet, innermost last, for the message when the file ends early. */
  const open: { kind: 'object' | 'list'; offset: number }[] = [];
  const at = (offset: number) => {
    const { line, column } = lineAndColumn(text, offset);
    return `${line}:${column}`;
  };
  const endsEarly = (expected: string): never => {
    const inner = open[open.length - 1];
    return fail(text.length, `the file ends early: expected ${expected}${inner ? `; the ${inner.kind} opened at ${at(inner.offset)} is not closed` : ''}`);
  };
  /** The token at `offset` as a message shows it: a string in its quotes, a word or number, else one character. */
  const found = (offset: number): string => {
    if (offset >= text.length) return 'the end of the file';
    const token = /"(?:[^"\\\n\r]|\\.){0,30}"?|[\w$.+-]{1,30}|[\s\S]/y;
    token.lastIndex = offset;
    const match = token.exec(text)?.[0] ?? text[offset];
    if (match === '\uFEFF') return 'a byte-order mark (U+FEFF): save the file as UTF-8 without one';
    if (/^\s$/.test(match) || match < ' ') return `the character U+${match.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}`;
    return match.startsWith('"') ? match : `'${match}'`;
  };
  const notAValue = (offset: number, expected: string, what = 'text'): never => {
    const c = text[offset];
    if (c === "'") fail(offset, 'strings need double quotes, not single quotes');
    if (c === '/' && (text[offset + 1] === '/' || text[offset + 1] === '*')) fail(offset, 'comments are not allowed in JSON');
    const word = /[A-Za-z_$][\w$.-]*/y;
    word.lastIndex = offset;
    const bare = word.exec(text)?.[0];
    if (bare !== undefined) {
      const literal = ['true', 'false', 'null'].find((name) => name === bare.toLowerCase());
      fail(offset, `unquoted ${what} '${bare}': write it in double quotes ("${bare}")${literal ? ` or as the literal ${literal}, in lower case` : ''}`);
    }
    return fail(offset, `expected ${expected}, found ${found(offset)}`);
  };
  let i = 0;
  const skipWhitespace = () => {
    while (i < text.length && (text[i] === ' ' || text[i] === '\t' || text[i] === '\n' || text[i] === '\r')) i++;
  };

  const readString = (): string => {
    const start = i++;
    while (i < text.length) {
      const c = text[i];
      if (c === '"') return text.slice(start + 1, i++);
      if (c === '\\') {
        const escaped = text[i + 1];
        if (escaped === 'u') {
          if (!/^[0-9a-fA-F]{4}$/.test(text.slice(i + 2, i + 6))) fail(i, 'invalid \\u escape in a string: write \\u and four hexadecimal digits');
          i += 6;
        } else if (escaped !== undefined && '"\\/bfnrt'.includes(escaped)) {
          i += 2;
        } else if (escaped === undefined) {
          i++;
        } else {
          fail(i, `invalid escape \\${escaped} in a string: use \\", \\\\, \\/, \\b, \\f, \\n, \\r, \\t or \\u followed by four hex digits`);
        }
      } else if (c === '\n' || c === '\r') {
        fail(i, `line break inside the string that starts at ${at(start)}: close it with " on its line, or write \\n`);
      } else if (c < ' ') {
        fail(i, `${found(i)} inside a string: write it escaped (\\t for a tab, \\u00XX otherwise)`);
      } else {
        i++;
      }
    }
    return fail(text.length, `the file ends early, inside the string that starts at ${at(start)}: close it with "`);
  };

  const readValue = (expected = 'a value (a string in double quotes, a number, true, false, null, an object or a list)'): void => {
    skipWhitespace();
    if (i >= text.length) endsEarly(expected);
    const c = text[i];
    if (c === '{') return readContainer('object');
    if (c === '[') return readContainer('list');
    if (c === '"') return void readString();
    if (c === '-' || c === '+' || c === '.' || (c >= '0' && c <= '9')) return readNumber();
    for (const literal of ['true', 'false', 'null']) {
      if (text.startsWith(literal, i) && !/[\w$]/.test(text[i + literal.length] ?? '')) {
        i += literal.length;
        return;
      }
    }
    notAValue(i, expected);
  };

  const readNumber = (): void => {
    const number = /-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/y;
    number.lastIndex = i;
    const match = number.exec(text)?.[0];
    if (match === undefined || /[\w$.+-]/.test(text[i + match.length] ?? '')) {
      const token = /[\w$.+-]+/y;
      token.lastIndex = i;
      fail(i, `invalid number '${token.exec(text)?.[0]}': write it like 12, -3, 0.5 or 1e6 (no leading zeros or +, digits on both sides of the point)`);
    }
    i += (match as string).length;
  };

  const readContainer = (kind: 'object' | 'list'): void => {
    const close = kind === 'object' ? '}' : ']';
    open.push({ kind, offset: i++ });
    skipWhitespace();
    if (text[i] === close) {
      i++;
      open.pop();
      return;
    }
    let comma: number | undefined;
    for (;;) {
      skipWhitespace();
      if (text[i] === close && comma !== undefined) fail(comma, `trailing comma: remove this comma before ${close}`);
      let after = 'a list item';
      if (kind === 'object') {
        if (i >= text.length) endsEarly('a property name in double quotes');
        if (text[i] !== '"') notAValue(i, 'a property name in double quotes', 'property name');
        const name = readString();
        after = `the value of "${name}"`;
        skipWhitespace();
        if (i >= text.length) endsEarly(`: after the property name "${name}"`);
        if (text[i] !== ':') fail(i, `expected : after the property name "${name}", found ${found(i)}`);
        i++;
      }
      readValue();
      skipWhitespace();
      if (i >= text.length) endsEarly(`a comma or ${close} after ${after}`);
      if (text[i] === close) {
        i++;
        open.pop();
        return;
      }
      if (text[i] !== ',') fail(i, `expected a comma or ${close} after ${after}, found ${found(i)}`);
      comma = i++;
    }
  };

  try {
    skipWhitespace();
    if (i >= text.length) fail(i, 'the file is empty: expected the stage config, a JSON object');
    readValue();
    skipWhitespace();
    if (i < text.length) fail(i, `unexpected ${found(i)} after the end of the JSON document: the file holds one object, and nothing after it`);
    return undefined;
  } catch (error) {
    if (error instanceof Stop) return error.error;
    if (error instanceof RangeError) return undefined; // nested too deeply to follow: JSON.parse's own message then
    throw error;
  }
}
