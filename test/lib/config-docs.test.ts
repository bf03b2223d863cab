import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readmeWithConfigReference } from '../../bin/write-config-docs';
import { configJsonSchema, configJsonSchemaText } from '../../lib/config-docs';

const root = join(__dirname, '..', '..');

describe('generated config documents', () => {
  test('config/schema.json is current (run npm run docs:config when this fails)', () => {
    expect(readFileSync(join(root, 'config', 'schema.json'), 'utf8')).toBe(configJsonSchemaText());
  });

  test('the README config reference is current (run npm run docs:config when this fails)', () => {
    const readme = readFileSync(join(root, 'README.md'), 'utf8');
    expect(readmeWithConfigReference(readme)).toBe(readme);
  });

  test('every key in the schema has a description', () => {
    const undocumented: string[] = [];
    const visit = (node: { description?: string; properties?: Record<string, unknown> }, path: string) => {
      for (const [key, child] of Object.entries(node.properties ?? {})) {
        const childNode = child as typeof node;
        if (!childNode.description) undocumented.push(`${path}${key}`);
        visit(childNode, `${path}${key}.`);
      }
    };
    visit(configJsonSchema(), '');
    expect(undocumented).toEqual([]);
  });

  test('editors reject unknown keys through the schema too', () => {
    const schema = configJsonSchema() as { additionalProperties?: boolean; properties: Record<string, { additionalProperties?: boolean }> };
    expect(schema.additionalProperties).toBe(false);
    expect(schema.properties.training.additionalProperties).toBe(false);
  });
});
