import {
  ListPipelineExecutionsCommand,
  ListPipelineExecutionStepsCommand,
  PipelineExecutionSummary,
  SageMakerClient,
} from '@aws-sdk/client-sagemaker';
import { isNotFound } from '../../lambda/deployer/resources';
import { briefReason } from './errors';
import { cell, formatAgo, formatTable } from './output';

export interface StepView {
  readonly name: string;
  readonly status: string;
  readonly startedAt: string | null;
  readonly endedAt: string | null;
  readonly failureReason: string | null;
}

export interface StepStates {
  /** In the order the steps started; null when they could not be read. */
  readonly steps: readonly StepView[] | null;
  /** Why the steps are missing. */
  readonly stepsNote: string | null;
}

export interface ExecutionView extends StepStates {
  readonly arn: string;
  /** The display name; the governor's is `<trigger>-<time>`, e.g. `manual-20260315T120000Z`. */
  readonly name: string;
  readonly status: string;
  readonly startedAt: string | null;
  readonly failureReason: string | null;
}

/** SageMaker answers ValidationException "Could not find pipeline", or ResourceNotFound. */
export function isPipelineMissing(error: unknown): boolean {
  return isNotFound(error) || (error instanceof Error && error.name === 'ResourceNotFound');
}

/** The newest `limit` executions with their steps, or undefined when the pipeline does not exist. */
export async function readRecentExecutions(
  sagemaker: SageMakerClient,
  pipelineName: string,
  limit: number,
): Promise<ExecutionView[] | undefined> {
  let summaries: PipelineExecutionSummary[];
  try {
    const page = await sagemaker.send(
      new ListPipelineExecutionsCommand({ PipelineName: pipelineName, SortBy: 'CreationTime', SortOrder: 'Descending', MaxResults: limit }),
    );
    summaries = page.PipelineExecutionSummaries ?? [];
  } catch (error) {
    if (isPipelineMissing(error)) return undefined;
    throw error;
  }
  return Promise.all(
    summaries.map(async (summary) => {
      const arn = summary.PipelineExecutionArn ?? '';
      const status = summary.PipelineExecutionStatus ?? 'unknown';
      return {
        arn,
        name: summary.PipelineExecutionDisplayName || arn.split('/').pop() || arn,
        status,
        startedAt: summary.StartTime?.toISOString() ?? null,
        // Only a failed execution has a reason (an emulator may fill in "None" otherwise).
        failureReason: status === 'Failed' ? summary.PipelineExecutionFailureReason || null : null,
        ...(await readStepStates(sagemaker, arn)),
      };
    }),
  );
}

/**
 * The execution's steps. A failure here does not fail the caller: the execution is still shown,
 * with a note (moto, for one, does not implement ListPipelineExecutionSteps).
 */
export async function readStepStates(sagemaker: SageMakerClient, executionArn: string): Promise<StepStates> {
  try {
    const { PipelineExecutionSteps = [] } = await sagemaker.send(
      new ListPipelineExecutionStepsCommand({ PipelineExecutionArn: executionArn, SortOrder: 'Ascending', MaxResults: 100 }),
    );
    return {
      steps: PipelineExecutionSteps.map((step) => ({
        name: step.StepDisplayName || step.StepName || 'unnamed',
        status: step.StepStatus ?? 'unknown',
        startedAt: step.StartTime?.toISOString() ?? null,
        endedAt: step.EndTime?.toISOString() ?? null,
        failureReason: step.FailureReason || null,
      })),
      stepsNote: null,
    };
  } catch (error) {
    return { steps: null, stepsNote: `step states unavailable (ListPipelineExecutionSteps: ${briefReason(error)})` };
  }
}

/** The steps as a table, or the note saying why there is none. */
export function renderSteps(states: StepStates, now: Date): string {
  if (states.steps === null) return `note: ${states.stepsNote}\n`;
  if (states.steps.length === 0) return 'no step has started yet\n';
  return formatTable(
    ['STEP', 'STATUS', 'STARTED', 'ENDED', 'FAILURE'],
    states.steps.map((step) => [
      step.name,
      step.status,
      formatAgo(step.startedAt, now),
      formatAgo(step.endedAt, now),
      cell(step.failureReason),
    ]),
  );
}
