import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { knownStages, loadStageConfig } from '../config-loader';
import { addMlopsStage } from '../mlops-app';
import { packageFile } from '../../constructs/private/package-files';
import { CfnTemplate } from '../resolved-template';

export interface StageTemplate {
  readonly stage: string;
  readonly region: string;
  readonly template: CfnTemplate;
}

/**
 * Synthesizes the stack of each stage in this process with the context `cdk synth` reads from
 * cdk.json (the feature flags shape the templates), and returns the templates.
 */
export function synthesizeStages(stages: string[] = knownStages()): StageTemplate[] {
  const context = JSON.parse(readFileSync(packageFile('cdk.json'), 'utf8')).context as Record<string, unknown>;
  const outdir = mkdtempSync(join(tmpdir(), 'cdk-mlops-wiring-'));
  try {
    // Path metadata names each resource after its construct in the report.
    const app = new App({ outdir, context: { ...context, 'aws:cdk:enable-path-metadata': true } });
    const stacks = stages.map((stage) => ({ stage, stack: addMlopsStage(app, loadStageConfig({ stage })) }));
    const assembly = app.synth();
    return stacks.map(({ stage, stack }) => ({
      stage,
      region: stack.region,
      template: assembly.getStackArtifact(stack.artifactId).template as CfnTemplate,
    }));
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}
