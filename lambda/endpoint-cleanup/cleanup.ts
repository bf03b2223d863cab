import type { ApplicationAutoScalingClient } from '@aws-sdk/client-application-auto-scaling';
import {
  DeleteEndpointCommand,
  DeleteMonitoringScheduleCommand,
  DescribeEndpointCommand,
  type SageMakerClient,
} from '@aws-sdk/client-sagemaker';
import { removeVariantAutoscaling } from '../deployer/autoscaling';
import {
  deleteDataQualityJobDefinitions,
  deleteModelQualityJobDefinitions,
  describeMonitoringSchedule,
  listOwnedDataQualityJobDefinitions,
  listOwnedModelQualityJobDefinitions,
} from '../deployer/monitoring';
import {
  deleteIfPresent,
  deleteOwnedResources,
  isNotFound,
  isValidationError,
  listOwnedResources,
  readTags,
} from '../deployer/resources';
import { TAG } from '../deployer/naming';

/** The subset of the Powertools Logger the clean-up uses; tests pass a recorder. */
export interface CleanupLog {
  info(message: string, attributes: Record<string, unknown>): void;
  warn(message: string, attributes: Record<string, unknown>): void;
}

export interface CleanupDependencies {
  readonly sagemaker: SageMakerClient;
  readonly autoscaling: ApplicationAutoScalingClient;
  readonly log: CleanupLog;
}

export interface CleanupProgress {
  /** False while the monitoring schedule or the endpoint still exists: call again later. */
  readonly complete: boolean;
  readonly detail: string;
}

/** SageMaker cannot delete an endpoint in these states; wait for them to end. */
const CHANGING_STATUSES = new Set(['Creating', 'Updating', 'SystemUpdating', 'RollingBack']);

/** The job definitions of one kind of monitoring schedule, as the clean-up lists and deletes them. */
interface JobDefinitionKind {
  readonly what: string;
  readonly list: (sagemaker: SageMakerClient, endpointName: string) => Promise<string[]>;
  readonly remove: (sagemaker: SageMakerClient, names: readonly string[]) => Promise<void>;
}

const DATA_QUALITY: JobDefinitionKind = {
  what: 'data-quality',
  list: listOwnedDataQualityJobDefinitions,
  remove: deleteDataQualityJobDefinitions,
};
const MODEL_QUALITY: JobDefinitionKind = {
  what: 'model-quality',
  list: listOwnedModelQualityJobDefinitions,
  remove: deleteModelQualityJobDefinitions,
};

/**
 * One pass of removing what the deployer created for an endpoint: its monitoring schedules and the
 * data- and model-quality job definitions tagged for it (for each schedule name given), its
 * autoscaling target, the endpoint, then every model and endpoint config tagged with the endpoint's name.
 * Deleting a schedule or an endpoint takes a while, and what they use must outlive them, so a pass
 * that has to wait reports itself incomplete; call it again until it is complete. Resources already
 * gone are skipped, so repeating a pass is harmless.
 */
export async function removeEndpointResources(
  endpointName: string,
  deps: CleanupDependencies,
  monitoringScheduleName?: string,
  modelQualityScheduleName?: string,
): Promise<CleanupProgress> {
  const { sagemaker, autoscaling, log } = deps;
  const endpoint = await describeEndpoint(sagemaker, endpointName);
  let foreignEndpointConfig: string | undefined;

  if (endpoint) {
    if (endpoint.status === 'Deleting') return progress(log, endpointName, false, 'the endpoint is being deleted');
    if (CHANGING_STATUSES.has(endpoint.status)) {
      return progress(log, endpointName, false, `the endpoint is ${endpoint.status}; it is deleted once that ends`);
    }
  }
  const owned = !endpoint || (await readTags(sagemaker, endpoint.arn))[TAG.ENDPOINT] === endpointName;
  // First, because SageMaker deletes no endpoint a monitoring schedule still watches; also once
  // the endpoint is gone, as a schedule outlives an endpoint deleted by hand.
  if (owned) {
    const schedules = [
      ...(monitoringScheduleName ? [{ scheduleName: monitoringScheduleName, kind: DATA_QUALITY }] : []),
      ...(modelQualityScheduleName ? [{ scheduleName: modelQualityScheduleName, kind: MODEL_QUALITY }] : []),
    ];
    const waitingFor: string[] = [];
    // Each pass moves every schedule on, so both are deleted in parallel rather than one after the other.
    for (const { scheduleName, kind } of schedules) {
      const waiting = await removeMonitoring(endpointName, scheduleName, kind, deps);
      if (waiting) waitingFor.push(waiting);
    }
    if (waitingFor.length > 0) return progress(log, endpointName, false, waitingFor.join('; '));
  }

  if (endpoint) {
    if (owned) {
      await removeVariantAutoscaling(autoscaling, endpointName);
      await deleteIfPresent(() => sagemaker.send(new DeleteEndpointCommand({ EndpointName: endpointName })));
      return progress(log, endpointName, false, 'deleting the endpoint');
    }
    // An endpoint of that name the deployer did not create is not ours to delete, nor what it serves.
    log.warn('the endpoint was not created by the deployer and is left in place', { endpointName });
    foreignEndpointConfig = endpoint.configName;
  }

  const resources = await listOwnedResources(sagemaker, endpointName);
  const endpointConfigNames = resources.endpointConfigNames.filter((name) => name !== foreignEndpointConfig);
  const modelNames = resources.modelNames.filter((name) => name !== foreignEndpointConfig);
  await deleteOwnedResources(sagemaker, { endpointConfigNames, modelNames });
  const detail = `removed ${endpointConfigNames.length} endpoint configs and ${modelNames.length} models`;
  return progress(log, endpointName, true, detail, { endpointConfigNames, modelNames });
}

/**
 * Deletes the schedule, then, once it is gone, the job definitions of its kind tagged for the endpoint.
 *
 * @returns what the pass waits for while the schedule still exists, else undefined
 */
async function removeMonitoring(endpointName: string, scheduleName: string, kind: JobDefinitionKind, deps: CleanupDependencies): Promise<string | undefined> {
  const { sagemaker, log } = deps;
  const schedule = await describeMonitoringSchedule(sagemaker, scheduleName);
  const watched = schedule?.EndpointName;
  if (schedule && watched !== undefined && watched.toLowerCase() !== endpointName.toLowerCase()) {
    log.warn('the monitoring schedule watches another endpoint and is left in place', { endpointName, scheduleName, watchedEndpointName: watched });
  } else if (schedule) {
    const label = kind === DATA_QUALITY ? 'the monitoring schedule' : `the ${kind.what} monitoring schedule`;
    // SageMaker refuses to delete a schedule in status Pending.
    if (schedule.MonitoringScheduleStatus === 'Pending') return `${label} is Pending; it is deleted once that ends`;
    try {
      await deleteIfPresent(() => sagemaker.send(new DeleteMonitoringScheduleCommand({ MonitoringScheduleName: scheduleName })));
    } catch (error) {
      if (isValidationError(error, /status/i)) return `${label} cannot be deleted yet: ${(error as Error).message}`;
      throw error;
    }
    return `deleting ${label}`;
  }
  const jobDefinitionNames = await kind.list(sagemaker, endpointName);
  await kind.remove(sagemaker, jobDefinitionNames);
  if (jobDefinitionNames.length > 0) log.info(`removed ${kind.what} job definitions`, { endpointName, jobDefinitionNames });
  return undefined;
}

async function describeEndpoint(sagemaker: SageMakerClient, endpointName: string) {
  try {
    const described = await sagemaker.send(new DescribeEndpointCommand({ EndpointName: endpointName }));
    return {
      arn: described.EndpointArn ?? '',
      status: described.EndpointStatus ?? 'Unknown',
      configName: described.EndpointConfigName,
    };
  } catch (error) {
    if (isNotFound(error)) return undefined;
    throw error;
  }
}

function progress(
  log: CleanupLog,
  endpointName: string,
  complete: boolean,
  detail: string,
  attributes: Record<string, unknown> = {},
): CleanupProgress {
  log.info(detail, { endpointName, complete, ...attributes });
  return { complete, detail };
}
