import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks, HIPAASecurityChecks, NIST80053R5Checks } from 'cdk-nag';
import { MlopsStack } from './mlops-stack';
import { StageConfig } from './stage-config';

/** The cdk-nag packs every synth runs. */
export function complianceChecks(app: App) {
  return [new AwsSolutionsChecks(app), new NIST80053R5Checks(app), new HIPAASecurityChecks(app)];
}

/** Registers the compliance packs on the app, once for all the stages it holds. */
export function addComplianceChecks(app: App): void {
  Validations.of(app).addPlugins(...complianceChecks(app));
}

/** Adds the stack of one stage to `app`, named `<project>-<stage>`. */
export function addMlopsStage(app: App, config: StageConfig): MlopsStack {
  return new MlopsStack(app, `${config.project}-${config.stage}`, {
    config,
    env: { account: config.account ?? process.env.CDK_DEFAULT_ACCOUNT, region: config.region },
  });
}
