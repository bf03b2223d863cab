import {
  DeleteModelCommand,
  paginateListModels,
  paginateListTransformJobs,
  type SageMakerClient,
  StopTransformJobCommand,
} from '@aws-sdk/client-sagemaker';
import { BATCH_TAG, ownedNamePrefix, parseTransformJobName } from '../batch-scorer/naming';
import { deleteIfPresent, isValidationError, readTags } from '../deployer/resources';

/** The subset of the Powertools Logger the clean-up uses; tests pass a recorder. */
export interface BatchCleanupLog {
  info(message: string, attributes: Record<string, unknown>): void;
  warn(message: string, attributes: Record<string, unknown>): void;
}

export interface BatchCleanupProgress {
  /** False while a job of the scorer still runs or stops: call again later. */
  readonly complete: boolean;
  readonly detail: string;
}

/**
 * One pass of removing what the batch scorer created. Transform jobs cannot be deleted (SageMaker
 * keeps their records), but a running one can be stopped: every InProgress job tagged for the
 * scorer is stopped, and while any still runs or stops the pass reports itself incomplete (a model
 * is not deleted from under its job). Then every model tagged for the scorer is deleted. Resources
 * already gone are skipped, so repeating a pass is harmless.
 */
export async function removeBatchResources(scorerName: string, sagemaker: SageMakerClient, log: BatchCleanupLog): Promise<BatchCleanupProgress> {
  const prefix = ownedNamePrefix(scorerName);
  const owned = async (arn: string | undefined) => arn !== undefined && (await readTags(sagemaker, arn))[BATCH_TAG.SCORER] === scorerName;

  const stopping: string[] = [];
  const stopped: string[] = [];
  for await (const page of paginateListTransformJobs({ client: sagemaker }, { NameContains: prefix, MaxResults: 100 })) {
    for (const job of page.TransformJobSummaries ?? []) {
      const name = job.TransformJobName ?? '';
      if (!parseTransformJobName(scorerName, name)) continue;
      if (job.TransformJobStatus === 'Stopping') stopping.push(name);
      if (job.TransformJobStatus !== 'InProgress' || !(await owned(job.TransformJobArn))) continue;
      try {
        await sagemaker.send(new StopTransformJobCommand({ TransformJobName: name }));
      } catch (error) {
        // It ended between the listing and the request.
        if (!isValidationError(error, /status|not in progress|cannot be stopped/i)) throw error;
      }
      stopped.push(name);
    }
  }
  if (stopped.length + stopping.length > 0) {
    const detail = `stopping ${stopped.length + stopping.length} transform jobs; their models are deleted once they have stopped`;
    log.info(detail, { scorerName, complete: false, stopped, stopping });
    return { complete: false, detail };
  }

  const models: string[] = [];
  for await (const page of paginateListModels({ client: sagemaker }, { NameContains: prefix })) {
    for (const model of page.Models ?? []) {
      if (model.ModelName?.startsWith(prefix) && (await owned(model.ModelArn))) models.push(model.ModelName);
    }
  }
  for (const name of models) await deleteIfPresent(() => sagemaker.send(new DeleteModelCommand({ ModelName: name })));
  const detail = `no transform job of ${scorerName} runs; removed ${models.length} models`;
  log.info(detail, { scorerName, complete: true, modelNames: models });
  return { complete: true, detail };
}
