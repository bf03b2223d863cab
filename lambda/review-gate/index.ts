import { Logger } from '@aws-lambda-powertools/logger';
import { S3Client } from '@aws-sdk/client-s3';
import { SageMakerClient } from '@aws-sdk/client-sagemaker';
import type { Context } from 'aws-lambda';
import { BIAS_CONFIG_REQUEST, readReviewSettings } from './environment';
import { ReviewAnswer, ReviewRequest, reviewModel, writeBiasAnalysisConfig } from './review';

const clients = { s3: new S3Client({}), sagemaker: new SageMakerClient({}) };
const logger = new Logger({ serviceName: 'review-gate' });

/**
 * The pipeline's Review step (and, with a bias report, its BiasConfig step, which writes Clarify's
 * analysis configuration): SageMaker Pipelines invokes it synchronously with the step's
 * Arguments and reads the answer's keys as OutputParameters. A check that fails is an answer
 * (Passed false), not an error; an unreadable report or setting throws, which fails the step.
 */
export async function handler(event: ReviewRequest, context: Context): Promise<ReviewAnswer | { ConfigUrl: string }> {
  logger.addContext(context);
  try {
    const settings = readReviewSettings(process.env);
    if (event[BIAS_CONFIG_REQUEST.ACTION] === BIAS_CONFIG_REQUEST.ACTION_VALUE) {
      const written = await writeBiasAnalysisConfig(clients.s3, settings, event);
      logger.info('bias analysis configuration written', written);
      return written;
    }
    const { answer, report } = await reviewModel(clients, settings, event);
    logger.info(`review ${report.passed ? 'passed' : 'failed'}`, { checks: report.checks, champion: report.champion });
    return answer;
  } catch (err) {
    logger.error('review gate failed', { error: err as Error });
    throw err;
  }
}
