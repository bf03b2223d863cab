import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import * as ts from 'typescript';

/**
 * Finds the SDK commands and paginators a handler's code sends: `new XxxCommand(` and
 * `paginateXxx(`. Every file of the handler's own folder counts whole. Code it imports from other
 * files (lambda/shared, another handler's folder, lib/) counts only as far as the handler reaches
 * it: from the imported names through the top-level functions and constants they use, so the
 * endpoint clean-up, which imports removeVariantAutoscaling, is not charged with the
 * RegisterScalableTargetCommand that lives beside it. Type-only imports send nothing and are not
 * followed.
 */

export interface SdkCallUse {
  /** `CreateModelCommand` or `paginateListModels`. */
  readonly command: string;
  /** The file that sends it, relative to the repository root. */
  readonly file: string;
}

/** Reads a source file; undefined when there is none at that path. */
export type SourceReader = (path: string) => string | undefined;

const SEND_PATTERNS = [/\bnew\s+(\w+Command)\s*\(/g, /\b(paginate\w+)\s*\(/g];

interface ImportBinding {
  readonly file: string;
  /** The exported name, `*` for a namespace import. */
  readonly name: string;
}

interface ModuleModel {
  readonly path: string;
  readonly source: ts.SourceFile;
  /** Top-level declarations by name. */
  readonly declarations: Map<string, ts.Node>;
  /** Local name → where it is imported from. */
  readonly imports: Map<string, ImportBinding>;
  /** `export { a } from './b'` and `export * from './b'`. */
  readonly reExports: readonly { readonly file: string; readonly names?: ReadonlyMap<string, string> }[];
  /** Statements that run when the module loads and declare nothing. */
  readonly sideEffects: readonly ts.Node[];
  /** Files imported for their side effects only (`import './x'`). */
  readonly bareImports: readonly string[];
}

/** The sends in one source text, each with its file. */
export function sendsIn(text: string, file: string): SdkCallUse[] {
  const uses: SdkCallUse[] = [];
  for (const pattern of SEND_PATTERNS) {
    for (const match of text.matchAll(pattern)) uses.push({ command: match[1], file });
  }
  return uses;
}

/**
 * The sends reachable from `ownFiles` (every declaration and statement of those files), following
 * relative imports. Paths are absolute; the uses name files relative to `root`.
 */
export function findSdkCallUses(ownFiles: readonly string[], read: SourceReader, root: string): SdkCallUse[] {
  const modules = new Map<string, ModuleModel | undefined>();
  const load = (path: string): ModuleModel | undefined => {
    if (!modules.has(path)) {
      const text = read(path);
      modules.set(path, text === undefined ? undefined : modelOf(path, text, read));
    }
    return modules.get(path);
  };

  const uses: SdkCallUse[] = [];
  const seen = new Set<string>();
  const queue: { module: ModuleModel; node: ts.Node }[] = [];
  const reach = (module: ModuleModel, node: ts.Node) => {
    const key = `${module.path}:${node.pos}`;
    if (seen.has(key)) return;
    seen.add(key);
    queue.push({ module, node });
  };
  const loadedForSideEffects = new Set<string>();
  const loadModule = (path: string): ModuleModel | undefined => {
    const module = load(path);
    if (module && !loadedForSideEffects.has(path)) {
      loadedForSideEffects.add(path);
      for (const statement of module.sideEffects) reach(module, statement);
      for (const bare of module.bareImports) loadModule(bare);
    }
    return module;
  };
  const reachExport = (path: string, name: string, visited = new Set<string>()) => {
    const module = loadModule(path);
    if (!module || visited.has(`${path}:${name}`)) return;
    visited.add(`${path}:${name}`);
    if (name === '*') {
      for (const declaration of module.declarations.values()) reach(module, declaration);
      return;
    }
    const declaration = module.declarations.get(name);
    if (declaration) {
      reach(module, declaration);
      return;
    }
    const imported = module.imports.get(name);
    if (imported) reachExport(imported.file, imported.name, visited);
    for (const reExport of module.reExports) {
      const original = reExport.names ? reExport.names.get(name) : name;
      if (original !== undefined) reachExport(reExport.file, original, visited);
    }
  };

  for (const file of ownFiles) {
    const module = loadModule(file);
    if (!module) throw new Error(`no source file at ${file}`);
    for (const declaration of module.declarations.values()) reach(module, declaration);
  }
  while (queue.length > 0) {
    const { module, node } = queue.shift()!;
    uses.push(...sendsIn(node.getText(module.source), relative(root, module.path)));
    for (const name of identifiersIn(node)) {
      const local = module.declarations.get(name);
      if (local) reach(module, local);
      const imported = module.imports.get(name);
      if (imported) reachExport(imported.file, imported.name);
    }
  }
  return uses;
}

/** The .ts files of a handler folder, without its SDK call inventory (which sends nothing). */
export function handlerFiles(folder: string): string[] {
  return readdirSync(folder)
    .filter((name) => name.endsWith('.ts') && !name.endsWith('.d.ts') && name !== 'sdk-calls.ts')
    .map((name) => join(folder, name));
}

/** Reads files from disk. */
export const readFromDisk: SourceReader = (path) => (existsSync(path) ? readFileSync(path, 'utf8') : undefined);

/**
 * What is wrong between the sends found and the inventory: a command sent but not listed (naming
 * the handler, the command and the file), and a listed command the code never sends.
 */
export function inventoryProblems(handler: string, uses: readonly SdkCallUse[], inventory: readonly { readonly command: string }[]): string[] {
  const listed = new Set(inventory.map((call) => call.command));
  const problems: string[] = [];
  const reported = new Set<string>();
  for (const use of uses) {
    const key = `${use.command} ${use.file}`;
    if (listed.has(use.command) || reported.has(key)) continue;
    reported.add(key);
    problems.push(`${handler}: ${use.command} is sent in ${use.file} but missing from lambda/${handler}/sdk-calls.ts SDK_CALLS`);
  }
  const sent = new Set(uses.map((use) => use.command));
  const counted = new Set<string>();
  for (const call of inventory) {
    if (counted.has(call.command)) problems.push(`${handler}: SDK_CALLS lists ${call.command} more than once`);
    counted.add(call.command);
    if (!sent.has(call.command)) problems.push(`${handler}: SDK_CALLS lists ${call.command}, which the handler's code never sends (stale)`);
  }
  return problems;
}

function modelOf(path: string, text: string, read: SourceReader): ModuleModel {
  const source = ts.createSourceFile(path, text, ts.ScriptTarget.ES2022, true, ts.ScriptKind.TS);
  const declarations = new Map<string, ts.Node>();
  const imports = new Map<string, ImportBinding>();
  const reExports: { file: string; names?: Map<string, string> }[] = [];
  const sideEffects: ts.Node[] = [];
  const bareImports: string[] = [];
  const resolveImport = (specifier: string) => resolveRelative(dirname(path), specifier, read);

  for (const statement of source.statements) {
    if (ts.isImportDeclaration(statement)) {
      const file = ts.isStringLiteral(statement.moduleSpecifier) ? resolveImport(statement.moduleSpecifier.text) : undefined;
      const clause = statement.importClause;
      if (!file || clause?.isTypeOnly) continue;
      if (!clause) {
        bareImports.push(file);
        continue;
      }
      if (clause.name) imports.set(clause.name.text, { file, name: 'default' });
      const bindings = clause.namedBindings;
      if (bindings && ts.isNamespaceImport(bindings)) imports.set(bindings.name.text, { file, name: '*' });
      if (bindings && ts.isNamedImports(bindings)) {
        for (const element of bindings.elements) {
          if (element.isTypeOnly) continue;
          imports.set(element.name.text, { file, name: (element.propertyName ?? element.name).text });
        }
      }
    } else if (ts.isExportDeclaration(statement)) {
      const file =
        statement.moduleSpecifier && ts.isStringLiteral(statement.moduleSpecifier) ? resolveImport(statement.moduleSpecifier.text) : undefined;
      if (!file || statement.isTypeOnly) continue;
      const clause = statement.exportClause;
      if (!clause) reExports.push({ file });
      else if (ts.isNamedExports(clause)) {
        reExports.push({ file, names: new Map(clause.elements.map((element) => [element.name.text, (element.propertyName ?? element.name).text])) });
      }
    } else if (ts.isFunctionDeclaration(statement) || ts.isClassDeclaration(statement) || ts.isEnumDeclaration(statement)) {
      if (statement.name) declarations.set(statement.name.text, statement);
    } else if (ts.isVariableStatement(statement)) {
      for (const declaration of statement.declarationList.declarations) {
        for (const name of boundNames(declaration.name)) declarations.set(name, declaration);
      }
    } else if (!ts.isInterfaceDeclaration(statement) && !ts.isTypeAliasDeclaration(statement)) {
      sideEffects.push(statement);
    }
  }
  return { path, source, declarations, imports, reExports, sideEffects, bareImports };
}

function boundNames(name: ts.BindingName): string[] {
  if (ts.isIdentifier(name)) return [name.text];
  return name.elements.flatMap((element) => (ts.isOmittedExpression(element) ? [] : boundNames(element.name)));
}

function identifiersIn(node: ts.Node): Set<string> {
  const names = new Set<string>();
  const visit = (child: ts.Node) => {
    if (ts.isIdentifier(child)) names.add(child.text);
    ts.forEachChild(child, visit);
  };
  visit(node);
  return names;
}

/** A relative import's file (`x.ts` or `x/index.ts`); undefined for packages and files that do not exist. */
function resolveRelative(fromDir: string, specifier: string, read: SourceReader): string | undefined {
  if (!specifier.startsWith('.')) return undefined;
  const base = resolve(fromDir, specifier);
  return [`${base}.ts`, join(base, 'index.ts'), base].find((candidate) => candidate.endsWith('.ts') && read(candidate) !== undefined);
}
