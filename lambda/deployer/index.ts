import { ApplicationAutoScalingClient } from '@aws-sdk/client-application-auto-scaling';
import { SageMakerClient } from '@aws-sdk/client-sagemaker';
import { Logger } from '@aws-lambda-powertools/logger';
import type { Context } from 'aws-lambda';
import { type DeployerEvent, type DeploymentResult, handleDeployerEvent } from './deploy';
import { monitoringOffReason, readDeployerSettings } from './environment';

// Created once per execution environment and reused by every invocation it serves.
const sagemaker = new SageMakerClient({});
const autoscaling = new ApplicationAutoScalingClient({});
const logger = new Logger({ serviceName: 'cdk-mlops-deployer' });
/** Whether this execution environment has said why it keeps no monitoring schedule. */
let monitoringOffLogged = false;

/**
 * Target of the EventBridge rules for model package and endpoint state changes. An event it cannot
 * read is logged as refused and answered normally; retryable failures are thrown.
 */
export async function handler(event: DeployerEvent, context: Context): Promise<DeploymentResult> {
  logger.addContext(context);
  // Read per invocation rather than at import, so a bad environment fails loudly on every event.
  const settings = readDeployerSettings(process.env);
  const monitoringOff = monitoringOffReason(settings);
  if (monitoringOff && !monitoringOffLogged) {
    logger.info('monitoring-off', { endpointName: settings.endpointName, reason: monitoringOff });
    monitoringOffLogged = true;
  }
  return handleDeployerEvent(event, { sagemaker, autoscaling, settings, log: logger });
}
