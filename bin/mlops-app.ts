#!/usr/bin/env node
import { App } from 'aws-cdk-lib';
import { ConfigError, loadStageConfig } from '../lib/config-loader';
import { addComplianceChecks, addMlopsStage } from '../lib/mlops-app';

// `cdk synth` (dev), `cdk synth -c stage=prod` or `cdk synth -c config=path/to/stage.json`; giving
// both is refused, by loadStageConfig, rather than one silently winning.
const app = new App();
try {
  const config = loadStageConfig({
    stage: app.node.tryGetContext('stage'),
    configFile: app.node.tryGetContext('config'),
  });
  addComplianceChecks(app);
  addMlopsStage(app, config);
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  // A config problem is the user's to fix: print the message alone, without a stack trace.
  process.stderr.write(`cdk-mlops: ${error.message}\n`);
  process.exit(1);
}
app.synth();
