import { App, CfnWaitConditionHandle, Stack } from 'aws-cdk-lib';

// The floor: the least any app on this aws-cdk-lib pays (node, ts-node, aws-cdk-lib, one stack
// with one resource, template validation), run exactly like the stage apps.
const app = new App();
new CfnWaitConditionHandle(new Stack(app, 'Floor'), 'Placeholder');
app.synth();
