import { type CreateModelCommandInput, paginateListModelPackages, type SageMakerClient, type Tag } from '@aws-sdk/client-sagemaker';

/**
 * What the deployer and the batch scorer share about the packages of a model registry: which one
 * to use (the newest approved), and the model that runs it. One rule, so the endpoint and the batch
 * jobs always score with the same version.
 */

/** One version of a model package group. */
export interface PackageRef {
  readonly arn: string;
  readonly version: number;
}

/**
 * The newest approved package of the group that SageMaker has finished registering, whatever
 * package an event names; undefined when the group has none.
 */
export async function findNewestApprovedPackage(sagemaker: SageMakerClient, groupName: string): Promise<PackageRef | undefined> {
  const pages = paginateListModelPackages(
    { client: sagemaker },
    {
      ModelPackageGroupName: groupName,
      ModelApprovalStatus: 'Approved',
      SortBy: 'CreationTime',
      SortOrder: 'Descending',
    },
  );
  for await (const page of pages) {
    // An approved package that is still being registered, or failed to, cannot be deployed.
    const newest = page.ModelPackageSummaryList?.find((summary) => summary.ModelPackageStatus === 'Completed');
    if (newest?.ModelPackageArn) {
      // Versioned package ARNs end in the version.
      const version = newest.ModelPackageVersion ?? Number(newest.ModelPackageArn.split('/').pop());
      return { arn: newest.ModelPackageArn, version };
    }
  }
  return undefined;
}

/** How a model made from a package runs. */
export interface PackageModelOptions {
  /** The role the model's containers (and the batch transform jobs that use the model) run with. */
  readonly executionRoleArn: string;
  /** No outbound network from the containers; SageMaker still reads and writes S3 with the role. */
  readonly networkIsolation: boolean;
  readonly vpc?: { readonly subnetIds: readonly string[]; readonly securityGroupIds: readonly string[] };
  readonly tags: Tag[];
}

/**
 * CreateModel's request, without the name, for a model that runs `pkg`'s containers as registered
 * (`PrimaryContainer.ModelPackageName`). Its keys keep one order: callers fingerprint it.
 */
export function packageModelRequest(pkg: PackageRef, options: PackageModelOptions): Omit<CreateModelCommandInput, 'ModelName'> {
  return {
    ExecutionRoleArn: options.executionRoleArn,
    PrimaryContainer: { ModelPackageName: pkg.arn },
    EnableNetworkIsolation: options.networkIsolation,
    VpcConfig: options.vpc ? { Subnets: [...options.vpc.subnetIds], SecurityGroupIds: [...options.vpc.securityGroupIds] } : undefined,
    Tags: options.tags,
  };
}
