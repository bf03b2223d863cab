import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks, HIPAASecurityChecks, NIST80053R5Checks } from 'cdk-nag';
import { MlopsStack } from './mlops-stack';
import { StageConfig } from './stage-config';

/** The cdk-nag packs every synth runs. */
export function complianceChecks(app: App) {
  return [new AwsSolutionsChecks(app), new NIST80053R5Checks(app), new HIPAASecurityChecks(app)];
}

/** Adds the stage's stack to `app` and registers the compliance packs on the app. */
export function addMlopsStage(app: App, config: StageConfig): MlopsStack {
  Validations.of(app).addPlugins(...complianceChecks(app));
  return new MlopsStack(app, `${config.project}-${config.stage}`, {
    config,
    env: { account: config.account ?? process.env.CDK_DEFAULT_ACCOUNT, region: config.region },
  });
}
