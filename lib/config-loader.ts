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

/** Where to read a stage config from: a stage name in `configDir`, or an explicit file. */
export interface StageConfigSource {
  /** Stage name, the file `<configDir>/<stage>.json`. @default 'dev' */
  readonly stage?: string;
  /** Path of a config file; wins over `stage`. */
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
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new ConfigError(`${file} is not valid JSON: ${(error as Error).message}`);
  }
  const config = parseStageConfig(raw, file);
  if (source.configFile === undefined && source.stage !== undefined && config.stage !== source.stage) {
    throw new ConfigError(`${file} declares stage "${config.stage}" but was selected as stage "${source.stage}"`);
  }
  return config;
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
    return issue.keys.map((key) => `${formatPath([...issue.path, key])}: unknown key; remove it or check its spelling against config/schema.json`);
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
