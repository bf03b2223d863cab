import { ModelApprovalStatus } from '@aws-sdk/client-sagemaker';
import { readEndpointState } from './endpoint';
import { RefusedError, UsageError } from './errors';
import { changeApproval, checkApprovalNote, listPackageSummaries } from './models';
import { CliIo } from './output';
import { Session } from './session';

export interface PackageRef {
  readonly version: number;
  readonly arn: string;
}

/** What `rollback` will do: reject `served`, after which the deployer serves `next`. */
export interface RollbackPlan {
  readonly endpoint: string;
  readonly served: PackageRef;
  readonly next: PackageRef;
}

/** The `rollback` command's result and its --json document. */
export interface RollbackResult extends RollbackPlan {
  /** The ApprovalDescription recorded on the rejected version. */
  readonly note: string;
}

/**
 * Which version the endpoint serves and which one the deployer falls back to once it is rejected:
 * the newest other approved package that finished registering, as the deployer chooses.
 */
export async function planRollback(session: Session<'endpoint' | 'modelPackageGroup'>): Promise<RollbackPlan> {
  const { sagemaker, names } = session;
  const endpoint = await readEndpointState(sagemaker, names.endpoint);
  if (!endpoint.exists) throw new RefusedError(`endpoint ${names.endpoint} does not exist: there is nothing to roll back`);
  if (endpoint.servedVersion === null) {
    throw new RefusedError(
      `cannot tell which version ${names.endpoint} serves: its endpoint config ${endpoint.endpointConfigName} carries no ` +
        'cdk-mlops:model-package-version tag, so the deployer did not create it. Reject the version yourself with cdk-mlops reject VERSION',
    );
  }
  const packages = await listPackageSummaries(sagemaker, names.modelPackageGroup);
  const served = packages.find((summary) => summary.ModelPackageVersion === endpoint.servedVersion);
  if (served?.ModelApprovalStatus !== ModelApprovalStatus.APPROVED) {
    throw new RefusedError(
      `version ${endpoint.servedVersion}, which ${names.endpoint} serves, is ${served?.ModelApprovalStatus ?? 'no longer in the group'}, not Approved: ` +
        'the deployer should already be replacing it; check cdk-mlops status and the deployer\'s dead-letter queue',
    );
  }
  const next = packages.find(
    (summary) =>
      summary.ModelApprovalStatus === ModelApprovalStatus.APPROVED &&
      summary.ModelPackageStatus === 'Completed' &&
      summary.ModelPackageVersion !== endpoint.servedVersion,
  );
  if (!next?.ModelPackageVersion || !next.ModelPackageArn) {
    throw new RefusedError(
      `no approved version of ${names.modelPackageGroup} other than ${endpoint.servedVersion} has finished registering: rejecting it ` +
        'would leave the deployer nothing to serve. Approve the version to return to first (cdk-mlops approve VERSION), then roll back',
    );
  }
  return {
    endpoint: names.endpoint,
    served: { version: endpoint.servedVersion, arn: served.ModelPackageArn ?? '' },
    next: { version: next.ModelPackageVersion, arn: next.ModelPackageArn },
  };
}

/**
 * Shows the plan, asks for confirmation on a terminal unless `yes`, then rejects the served version;
 * the deployer reacts to the rejection by deploying the next approved version.
 */
export async function rollback(
  session: Session<'endpoint' | 'modelPackageGroup'>,
  options: { readonly yes?: boolean; readonly note?: string },
  io: CliIo,
): Promise<RollbackResult> {
  // Before the plan and the confirmation: a note SageMaker would refuse is refused first.
  checkApprovalNote(options.note);
  const plan = await planRollback(session);
  io.stderr(renderRollbackPlan(plan));
  if (!options.yes) {
    if (!io.interactive) throw new UsageError('rollback needs a confirmation and there is no terminal to ask on: pass --yes');
    if (!(await io.confirm(`Reject version ${plan.served.version}?`))) throw new RefusedError('rollback cancelled: nothing changed');
  }
  const change = await changeApproval(
    session.sagemaker,
    session.names.modelPackageGroup,
    plan.served.version,
    ModelApprovalStatus.REJECTED,
    options.note ?? `rolled back to version ${plan.next.version} with cdk-mlops rollback`,
  );
  return { ...plan, note: change.note ?? '' };
}

export function renderRollbackPlan(plan: RollbackPlan): string {
  return (
    `${plan.endpoint} serves version ${plan.served.version}. Rolling back rejects version ${plan.served.version}; ` +
    `the deployer then serves version ${plan.next.version}, the newest other approved version.\n`
  );
}

export function renderRollbackResult(result: RollbackResult): string {
  return `rejected version ${result.served.version} ("${result.note}"); the deployer now moves ${result.endpoint} to version ${result.next.version}\n`;
}
