import { DescribeEndpointCommand, DescribeEndpointConfigCommand, SageMakerClient } from '@aws-sdk/client-sagemaker';
import { TAG } from '../../lambda/deployer/naming';
import { isNotFound, readTags } from '../../lambda/deployer/resources';

/** The endpoint as the deployer left it. */
export interface EndpointState {
  readonly name: string;
  readonly exists: boolean;
  readonly status: string | null;
  readonly failureReason: string | null;
  readonly endpointConfigName: string | null;
  /** The model package version the current endpoint config serves, from the deployer's tags. */
  readonly servedVersion: number | null;
  readonly servedPackageArn: string | null;
}

/** Reads the endpoint and the package its current endpoint config was tagged with by the deployer. */
export async function readEndpointState(sagemaker: SageMakerClient, endpointName: string): Promise<EndpointState> {
  const missing: EndpointState = {
    name: endpointName,
    exists: false,
    status: null,
    failureReason: null,
    endpointConfigName: null,
    servedVersion: null,
    servedPackageArn: null,
  };
  let endpoint;
  try {
    endpoint = await sagemaker.send(new DescribeEndpointCommand({ EndpointName: endpointName }));
  } catch (error) {
    if (isNotFound(error)) return missing;
    throw error;
  }
  const state = {
    ...missing,
    exists: true,
    status: endpoint.EndpointStatus ?? null,
    failureReason: endpoint.FailureReason || null,
    endpointConfigName: endpoint.EndpointConfigName ?? null,
  };
  if (!endpoint.EndpointConfigName) return state;
  try {
    const config = await sagemaker.send(new DescribeEndpointConfigCommand({ EndpointConfigName: endpoint.EndpointConfigName }));
    const tags = config.EndpointConfigArn ? await readTags(sagemaker, config.EndpointConfigArn) : {};
    const version = Number(tags[TAG.MODEL_PACKAGE_VERSION]);
    return {
      ...state,
      servedVersion: Number.isInteger(version) && version > 0 ? version : null,
      servedPackageArn: tags[TAG.MODEL_PACKAGE_ARN] || null,
    };
  } catch (error) {
    // The config was deleted under the endpoint: it still serves, but nothing says which version.
    if (isNotFound(error)) return state;
    throw error;
  }
}
