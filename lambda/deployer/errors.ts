/*
 * Every error the deployer throws makes the invocation fail. EventBridge invokes the function
 * asynchronously, so Lambda retries a failed invocation (up to twice) and then hands the event to
 * the function's dead-letter queue or on-failure destination, where an alarm picks it up.
 *
 * The classes say which kind of failure it was, so the DLQ record and the logs tell an operator
 * whether waiting can help (EndpointBusyError, MonitoringScheduleBusyError, throttling and 5xx
 * errors rethrown as they are) or a human has to act (DeploymentFailedError, SilentRollbackError).
 */

/** The endpoint is being created, updated or rolled back: a later attempt can succeed. */
export class EndpointBusyError extends Error {
  public override readonly name = 'EndpointBusyError';

  constructor(
    public readonly endpointName: string,
    public readonly endpointStatus: string,
  ) {
    super(`endpoint "${endpointName}" is ${endpointStatus}; the deployment is retried once it settles`);
  }
}

/** The monitoring schedule is being created or changed (status Pending): a later attempt can succeed. */
export class MonitoringScheduleBusyError extends Error {
  public override readonly name = 'MonitoringScheduleBusyError';

  constructor(
    public readonly scheduleName: string,
    public readonly scheduleStatus: string,
  ) {
    super(`monitoring schedule "${scheduleName}" is ${scheduleStatus}; monitoring is brought up to date once it settles`);
  }
}

/**
 * A failure that retrying will not fix: the package does not exist, a request is invalid, or the
 * endpoint is in a state only an operator can repair. Retries fail the same way, so the event
 * ends in the dead-letter queue, which is the record of it.
 */
export class DeploymentFailedError extends Error {
  public override readonly name = 'DeploymentFailedError';
}

/**
 * SageMaker put the endpoint back on its previous endpoint config after the deployer had asked
 * for another one (a blue/green update stopped by an auto-rollback alarm, or a failed update).
 *
 * The deployer records the rolled-back package on the endpoint (tag
 * `cdk-mlops:rolled-back-package-arn`) and never deploys that package again by itself: the loop
 * waits for a newer approved version instead of retrying a known-bad one forever. To try the same
 * version again, delete that tag from the endpoint and re-approve the package.
 */
export class SilentRollbackError extends Error {
  public override readonly name = 'SilentRollbackError';

  constructor(
    public readonly endpointName: string,
    public readonly servingConfigName: string,
    public readonly rolledBackPackageArn: string | undefined,
  ) {
    const target = rolledBackPackageArn
      ? ` to model package ${rolledBackPackageArn}, which is not deployed again automatically`
      : '';
    super(
      `endpoint "${endpointName}" is back on endpoint config "${servingConfigName}": ` +
        `SageMaker rolled back the update the deployer requested${target}`,
    );
  }
}

/** The function's environment is incomplete or wrong; lists every problem at once. */
export class DeployerSettingsError extends Error {
  public override readonly name = 'DeployerSettingsError';

  constructor(public readonly problems: readonly string[]) {
    super(`invalid deployer settings (${problems.length}):\n${problems.map((problem) => `  - ${problem}`).join('\n')}`);
  }
}
