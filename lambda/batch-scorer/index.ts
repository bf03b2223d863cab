import { Logger } from '@aws-lambda-powertools/logger';
import { S3Client } from '@aws-sdk/client-s3';
import { SageMakerClient } from '@aws-sdk/client-sagemaker';
import type { Context } from 'aws-lambda';
import { readBatchScorerSettings } from './environment';
import { type BatchScorerEvent, handleBatchScorerEvent, type ScoringResult } from './scorer';

// Created once per execution environment and reused by every invocation it serves.
const sagemaker = new SageMakerClient({});
const s3 = new S3Client({});
const logger = new Logger({ serviceName: 'cdk-mlops-batch-scorer' });

/**
 * Target of the EventBridge rules for new objects under the input prefix, the schedule, and the
 * scorer's transform jobs ending. An event it cannot read is logged as refused and answered
 * normally; other failures are thrown, so Lambda retries the asynchronous event and then sends it
 * to the function's dead-letter queue.
 */
export async function handler(event: BatchScorerEvent, context: Context): Promise<ScoringResult> {
  logger.addContext(context);
  // Read per invocation rather than at import, so a bad environment fails loudly on every event.
  const settings = readBatchScorerSettings(process.env);
  return handleBatchScorerEvent(event, { sagemaker, s3, settings, log: logger, remainingTimeMs: () => context.getRemainingTimeInMillis() });
}
