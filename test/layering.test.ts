import { readdirSync, readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';
import * as ts from 'typescript';

/**
 * The folders promise a layering: bin/ (entry points) over lib/ (the app: stage config, stack,
 * CLI, wiring check) over constructs/ (the reusable library) over lambda/ (handlers, bundled alone).
 * Imports run downward only, so no cycle can form between folders, and what ships imports only
 * what the package declares.
 */
const ROOT = resolve(__dirname, '..');
const LAYERS = ['lambda', 'constructs', 'lib', 'bin'] as const;
const packageJson = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
/** Dev-only code: the wiring check and the docs writer run from the repository, never from the package. */
const DEV_ONLY = [/^lib\/wiring\//, /^bin\/(verify-wiring|write-config-docs|write-instance-types)\.ts$/];

interface Import {
  readonly from: string;
  readonly specifier: string;
  /** Repository path of a relative import's target. */
  readonly target?: string;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { withFileTypes: true }).flatMap((entry) => {
    const path = `${dir}/${entry.name}`;
    if (entry.isDirectory()) return entry.name === 'node_modules' ? [] : sourceFiles(path);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts') ? [path] : [];
  });
}

const imports: Import[] = LAYERS.flatMap((layer) => sourceFiles(layer)).flatMap((from) =>
  ts.preProcessFile(readFileSync(join(ROOT, from), 'utf8'), true, true).importedFiles.map(({ fileName: specifier }) => ({
    from,
    specifier,
    target: specifier.startsWith('.') ? relative(ROOT, resolve(ROOT, dirname(from), specifier)) : undefined,
  })),
);

const layerOf = (path: string) => LAYERS.indexOf(path.split('/')[0] as (typeof LAYERS)[number]);
const packageOf = (specifier: string) => specifier.split('/').slice(0, specifier.startsWith('@') ? 2 : 1).join('/');

test('the scan sees the imports of every layer', () => {
  for (const layer of LAYERS) expect(imports.filter((entry) => entry.from.startsWith(`${layer}/`)).length).toBeGreaterThan(3);
});

test('every import runs downward: bin → lib → constructs → lambda', () => {
  const upward = imports
    .filter((entry) => entry.target !== undefined && layerOf(entry.target) > layerOf(entry.from))
    .map((entry) => `${entry.from} imports ${entry.specifier}`);
  expect(upward).toEqual([]);
});

test('no import cycle between folders', () => {
  const folderOf = (path: string) => dirname(path);
  const edges = new Map<string, Set<string>>();
  for (const { from, target } of imports) {
    if (target === undefined || folderOf(from) === folderOf(target)) continue;
    edges.set(folderOf(from), (edges.get(folderOf(from)) ?? new Set()).add(folderOf(target)));
  }
  const cycles: string[] = [];
  const visit = (folder: string, path: string[]) => {
    if (path.includes(folder)) return void cycles.push([...path.slice(path.indexOf(folder)), folder].join(' → '));
    for (const next of edges.get(folder) ?? []) visit(next, [...path, folder]);
  };
  for (const folder of edges.keys()) visit(folder, []);
  expect(cycles).toEqual([]);
});

test('the handlers import no CDK code: they are bundled and run alone', () => {
  const cdk = imports.filter((entry) => entry.from.startsWith('lambda/') && /^(aws-cdk-lib|constructs|cdk-nag)(\/|$)/.test(entry.specifier));
  expect(cdk.map((entry) => `${entry.from} imports ${entry.specifier}`)).toEqual([]);
});

test('shipped code imports only node built-ins and packages the package declares', () => {
  const declared = new Set([...Object.keys(packageJson.dependencies), ...Object.keys(packageJson.peerDependencies)]);
  const undeclared = imports
    .filter((entry) => entry.target === undefined && !DEV_ONLY.some((pattern) => pattern.test(entry.from)))
    .filter((entry) => !entry.specifier.startsWith('node:') && !builtinModules.includes(entry.specifier))
    // Type-only packages for the handlers' event shapes leave nothing in the built code.
    .filter((entry) => packageOf(entry.specifier) !== 'aws-lambda')
    .filter((entry) => !declared.has(packageOf(entry.specifier)))
    .map((entry) => `${entry.from} imports ${entry.specifier}`);
  expect(undeclared).toEqual([]);
});

test('shipped code never imports the dev-only wiring check', () => {
  const intoDevOnly = imports
    .filter((entry) => !DEV_ONLY.some((pattern) => pattern.test(entry.from)))
    .filter((entry) => entry.target !== undefined && DEV_ONLY.some((pattern) => pattern.test(`${entry.target}.ts`) || pattern.test(`${entry.target}/`)));
  expect(intoDevOnly.map((entry) => `${entry.from} imports ${entry.specifier}`)).toEqual([]);
});
