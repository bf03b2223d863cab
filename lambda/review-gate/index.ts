import { Logger } from '@aws-lambda-powertools/logger';
import { S3Client } from '@aws-sdk/client-s3';
import { SageMakerClient } from '@aws-sdk/client-sagemaker';
import type { Context } from 'aws-lambda';
import { readReviewSettings } from './environment';
import { ReviewAnswer, ReviewRequest, reviewModel } from './review';

const clients = { s3: new S3Client({}), sagemaker: new SageMakerClient({}) };
const logger = new Logger({ serviceName: 'review-gate' });

/**
 * The pipeline's Review step: SageMaker Pipelines invokes it synchronously with the step's
 * Arguments and reads the answer's keys as OutputParameters. A check that fails is an answer
 * (Passed false), not an error; an unreadable report or setting throws, which fails the step.
 */
export async function handler(event: ReviewRequest, context: Context): Promise<ReviewAnswer> {
  logger.addContext(context);
  try {
    const { answer, report } = await reviewModel(clients, readReviewSettings(process.env), event);
    logger.info(`review ${report.passed ? 'passed' : 'failed'}`, { checks: report.checks, champion: report.champion });
    return answer;
  } catch (err) {
    logger.error('review gate failed', { error: err as Error });
    throw err;
  }
}
