import './ts-compile-timer';
import { App, Validations } from 'aws-cdk-lib';
import { knownStages, loadStageConfig } from '../../lib/config-loader';
import { complianceChecks } from '../../lib/mlops-app';
import { MlopsStack } from '../../lib/mlops-stack';

/**
 * The bench's app: the stacks of several stages in one process, with or without the nag packs.
 * Context `stages` (comma-separated; default every stage in config/) and `nag` ('false' skips the
 * packs, as the proposed `-c nag=false` of bin/mlops-app.ts would). It builds each stack the way
 * addMlopsStage does, but registers the packs once: addMlopsStage registers them per call, so
 * calling it for every stage would run each pack once per stage on every stack.
 */
const app = new App();
const stagesContext: string | undefined = app.node.tryGetContext('stages');
const stages = stagesContext ? stagesContext.split(',') : knownStages();
if (app.node.tryGetContext('nag') !== 'false') Validations.of(app).addPlugins(...complianceChecks(app));
for (const stage of stages) {
  const config = loadStageConfig({ stage });
  new MlopsStack(app, `${config.project}-${config.stage}`, {
    config,
    env: { account: config.account ?? process.env.CDK_DEFAULT_ACCOUNT, region: config.region },
  });
}
app.synth();
