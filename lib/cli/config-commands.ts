import { resolve } from 'node:path';
import { loadStageConfig } from '../config-loader';
import { resourceNames, ResourceNames } from '../../constructs/naming';
import { StageConfig } from '../stage-config';
import { formatTable } from './output';

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

/** One line per setting, `training.metricName  auc`, defaults included. */
export function renderConfig(config: StageConfig): string {
  return formatTable(['SETTING', 'VALUE'], flatten(config));
}

function flatten(value: unknown, path = ''): [string, string][] {
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    return Object.entries(value).flatMap(([key, child]) => flatten(child, path ? `${path}.${key}` : key));
  }
  return [[path, Array.isArray(value) ? value.join(', ') || '(none)' : String(value)]];
}
