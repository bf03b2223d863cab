import { resolve } from 'node:path';
import { loadStageConfig } from '../config-loader';
import { resourceNames, ResourceNames } from '../../constructs/naming';
import { StageConfig } from '../stage-config';
import { formatTable } from './output';
import { NAME_FLAGS, NameKey, Target } from './session';

/** `config validate`'s result and --json document (an invalid file fails with exit 2 instead). */
export interface ConfigValidation {
  readonly file: string;
  readonly valid: true;
  readonly project: string;
  readonly stage: string;
  readonly region: string;
  readonly names: ResourceNames;
}

export function validateConfigFile(file: string, cwd = process.cwd()): ConfigValidation {
  const path = resolve(cwd, file);
  const config = loadStageConfig({ configFile: path });
  return {
    file: path,
    valid: true,
    project: config.project,
    stage: config.stage,
    region: config.region,
    names: resourceNames(config.project, config.stage),
  };
}

export function renderConfigValidation(validation: ConfigValidation): string {
  return (
    `${validation.file} is valid: stage ${validation.stage} of ${validation.project} in ${validation.region}\n` +
    formatTable(['RESOURCE', 'NAME'], Object.entries(validation.names))
  );
}

/** One line per setting, `training.problemType  binary`, defaults included. */
export function renderConfig(config: StageConfig): string {
  return formatTable(['SETTING', 'VALUE'], flatten(config));
}

function flatten(value: unknown, path = ''): [string, string][] {
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    return Object.entries(value).flatMap(([key, child]) => flatten(child, path ? `${path}.${key}` : key));
  }
  return [[path, Array.isArray(value) ? value.join(', ') || '(none)' : String(value)]];
}

/** `config names`' result and --json document: what the other commands act on, and where each value came from. */
export interface TargetDescription {
  /** The stage config file read, null when the names came from flags alone. */
  readonly configFile: string | null;
  readonly project: string | null;
  readonly stage: string | null;
  /** Each name with its source (its flag or the config file); null for a name nobody gave. */
  readonly names: Record<NameKey, { readonly name: string | null; readonly source: string | null }>;
  readonly metricName: { readonly name: string; readonly source: string };
  /** Null when neither a flag, AWS_REGION, a stage config nor the profile gives one. */
  readonly region: { readonly name: string; readonly source: string } | null;
}

export function describeTarget(target: Target, region: { region: string; source: string } | undefined): TargetDescription {
  const names = Object.fromEntries(
    (Object.keys(NAME_FLAGS) as NameKey[]).map((key) => [key, { name: target.names[key] ?? null, source: target.sources[key] ?? null }]),
  ) as TargetDescription['names'];
  return {
    configFile: target.configFile ?? null,
    project: target.config?.project ?? null,
    stage: target.config?.stage ?? null,
    names,
    metricName: { name: target.metricName, source: target.metricNameSource },
    region: region ? { name: region.region, source: region.source } : null,
  };
}

export function renderTarget(description: TargetDescription): string {
  const rows = (Object.keys(description.names) as NameKey[]).map((key) => {
    const { name, source } = description.names[key];
    return [key, name ?? '-', source ?? `not given: pass ${NAME_FLAGS[key].flag}`];
  });
  rows.push(['metricName', description.metricName.name, description.metricName.source]);
  rows.push(
    description.region
      ? ['region', description.region.name, description.region.source]
      : ['region', '-', 'not given: pass --region, set AWS_REGION or give the profile a region'],
  );
  const heading = description.stage !== null ? `stage ${description.stage} of ${description.project} (${description.configFile})` : 'no stage config read';
  return `${heading}\n${formatTable(['SETTING', 'VALUE', 'FROM'], rows)}`;
}
