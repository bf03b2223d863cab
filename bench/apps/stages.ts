import './ts-compile-timer';
import { App } from 'aws-cdk-lib';
import { knownStages, loadStageConfig } from '../../lib/config-loader';
import { addComplianceChecks, addMlopsStage } from '../../lib/mlops-app';

/**
 * The bench's app: the stacks of several stages in one process, with or without the nag packs.
 * Context `stages` (comma-separated; default every stage in config/) and `nag` ('false' skips the
 * packs). The same functions as bin/mlops-app.ts build it, with the packs registered once.
 */
const app = new App();
const stagesContext: string | undefined = app.node.tryGetContext('stages');
const stages = stagesContext ? stagesContext.split(',') : knownStages();
if (app.node.tryGetContext('nag') !== 'false') addComplianceChecks(app);
for (const stage of stages) addMlopsStage(app, loadStageConfig({ stage }));
app.synth();
