import { z } from 'zod';
import { StageConfig, stageConfigSchema } from './stage-config';

/**
 * Documents generated from the stage-config schema: config/schema.json for editors and the config
 * reference table in the README. Tests fail when the committed copies are stale.
 */

interface JsonSchemaNode {
  readonly type?: string;
  readonly description?: string;
  readonly default?: unknown;
  readonly enum?: readonly unknown[];
  readonly pattern?: string;
  readonly minimum?: number;
  readonly maximum?: number;
  readonly properties?: Readonly<Record<string, JsonSchemaNode>>;
  readonly required?: readonly string[];
  readonly items?: JsonSchemaNode;
  readonly format?: string;
}

/** The JSON schema of a stage config file (input side: keys with defaults are optional). */
export function configJsonSchema(): Record<string, unknown> {
  return z.toJSONSchema(stageConfigSchema, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
}

/** config/schema.json as committed: the schema, pretty-printed, with a trailing newline. */
export function configJsonSchemaText(): string {
  return `${JSON.stringify(configJsonSchema(), null, 2)}\n`;
}

/**
 * A Markdown table of every key: what it means, what it accepts, its default and the value each
 * stage sets where it differs from the default.
 */
export function configReferenceMarkdown(stages: Readonly<Record<string, StageConfig>>): string {
  const stageNames = Object.keys(stages);
  const header = ['key', 'meaning', 'accepts', 'default', ...stageNames];
  const rows = flatten(configJsonSchema() as JsonSchemaNode).map(({ path, node, required }) => [
    `\`${path}\``,
    node.description ?? '',
    accepts(node),
    required ? 'required' : node.default === undefined ? '—' : code(node.default),
    ...stageNames.map((stage) => {
      const value = valueAt(stages[stage], path);
      // Stage descriptions are long prose: they are listed above the table instead.
      return path === 'description' || value === undefined || deepEqual(value, node.default) ? '' : code(value);
    }),
  ]);
  const line = (cells: readonly string[]) => `| ${cells.map((cell) => cell.replace(/\|/g, '\\|')).join(' | ')} |`;
  const descriptions = stageNames.map((stage) => `- **${stage}**: ${stages[stage].description}`);
  return [...descriptions, '', line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}

function flatten(node: JsonSchemaNode, prefix = ''): { path: string; node: JsonSchemaNode; required: boolean }[] {
  return Object.entries(node.properties ?? {})
    .filter(([key]) => key !== '$schema')
    .flatMap(([key, child]) => {
      const path = prefix ? `${prefix}.${key}` : key;
      if (child.type === 'object' && child.properties) return flatten(child, path);
      return [{ path, node: child, required: node.required?.includes(key) ?? false }];
    });
}

function accepts(node: JsonSchemaNode): string {
  if (node.enum) {
    return node.enum.length > 8 ? `${node.enum.length} values, e.g. ${code(node.enum[0])} (see schema)` : node.enum.map(code).join(', ');
  }
  if (node.type === 'array') return `list of ${node.items?.format ?? node.items?.type ?? 'values'}`;
  const bounds = [node.minimum !== undefined ? `≥ ${node.minimum}` : '', node.maximum !== undefined ? `≤ ${node.maximum}` : '']
    .filter(Boolean)
    .join(', ');
  return [node.type, bounds, node.pattern ? `\`${node.pattern}\`` : ''].filter(Boolean).join(' ');
}

function code(value: unknown): string {
  return `\`${JSON.stringify(value)}\``;
}

function valueAt(config: StageConfig, path: string): unknown {
  return path.split('.').reduce<unknown>((value, key) => (value as Record<string, unknown> | undefined)?.[key], config);
}

function deepEqual(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}
