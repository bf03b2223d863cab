import type { ApplicationAutoScalingClient } from '@aws-sdk/client-application-auto-scaling';
import { DeleteEndpointCommand, DescribeEndpointCommand, type SageMakerClient } from '@aws-sdk/client-sagemaker';
import { removeVariantAutoscaling } from '../deployer/autoscaling';
import {
  deleteIfPresent,
  deleteOwnedResources,
  isNotFound,
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
  /** False while the endpoint still exists: call again later. */
  readonly complete: boolean;
  readonly detail: string;
}

/** SageMaker cannot delete an endpoint in these states; wait for them to end. */
const CHANGING_STATUSES = new Set(['Creating', 'Updating', 'SystemUpdating', 'RollingBack']);

/**
 * One pass of removing what the deployer created for an endpoint: its autoscaling target, the
 * endpoint, then every model and endpoint config tagged with the endpoint's name. Deleting an
 * endpoint takes minutes, and its configs must outlive it, so a pass that has to wait for the
 * endpoint reports itself incomplete; call it again until it is complete. Resources already gone
 * are skipped, so repeating a pass is harmless.
 */
export async function removeEndpointResources(
  endpointName: string,
  deps: CleanupDependencies,
): Promise<CleanupProgress> {
  const { sagemaker, autoscaling, log } = deps;
  const endpoint = await describeEndpoint(sagemaker, endpointName);
  let foreignEndpointConfig: string | undefined;

  if (endpoint) {
    if (endpoint.status === 'Deleting') return progress(log, endpointName, false, 'the endpoint is being deleted');
    if (CHANGING_STATUSES.has(endpoint.status)) {
      return progress(log, endpointName, false, `the endpoint is ${endpoint.status}; it is deleted once that ends`);
    }
    if ((await readTags(sagemaker, endpoint.arn))[TAG.ENDPOINT] === endpointName) {
      await removeVariantAutoscaling(autoscaling, endpointName);
      await deleteIfPresent(() => sagemaker.send(new DeleteEndpointCommand({ EndpointName: endpointName })));
      return progress(log, endpointName, false, 'deleting the endpoint');
    }
    // An endpoint of that name the deployer did not create is not ours to delete, nor what it serves.
    log.warn('the endpoint was not created by the deployer and is left in place', { endpointName });
    foreignEndpointConfig = endpoint.configName;
  }

  const owned = await listOwnedResources(sagemaker, endpointName);
  const endpointConfigNames = owned.endpointConfigNames.filter((name) => name !== foreignEndpointConfig);
  const modelNames = owned.modelNames.filter((name) => name !== foreignEndpointConfig);
  await deleteOwnedResources(sagemaker, { endpointConfigNames, modelNames });
  const detail = `removed ${endpointConfigNames.length} endpoint configs and ${modelNames.length} models`;
  return progress(log, endpointName, true, detail, { endpointConfigNames, modelNames });
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
