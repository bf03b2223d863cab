import { required, sageMakerArn } from '../shared/sample-arns';
import type { ArnFormatter, FunctionEnvironment, SdkCall } from '../shared/sdk-calls';
import { GOVERNOR_ENV } from './environment';

/*
 * Every SDK command the retraining governor sends (governor.ts). StartPipelineExecution passes no
 * role: the pipeline runs as the role it was created with, so no iam:PassRole.
 */

const pipelineArn = (env: FunctionEnvironment, arn: ArnFormatter) => sageMakerArn(arn, 'pipeline', required(env, GOVERNOR_ENV.PIPELINE_NAME));

export const SDK_CALLS: readonly SdkCall[] = [
  {
    command: 'ListPipelineExecutionsCommand',
    permissions: [{ action: 'sagemaker:ListPipelineExecutions', resources: (env, arn) => [pipelineArn(env, arn)] }],
  },
  {
    command: 'StartPipelineExecutionCommand',
    permissions: [{ action: 'sagemaker:StartPipelineExecution', resources: (env, arn) => [pipelineArn(env, arn)] }],
  },
];
