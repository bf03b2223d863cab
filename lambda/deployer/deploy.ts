import { createHash } from 'node:crypto';
import type { ApplicationAutoScalingClient } from '@aws-sdk/client-application-auto-scaling';
import {
  AddTagsCommand,
  type CreateEndpointConfigCommandInput,
  CreateEndpointCommand,
  CreateEndpointConfigCommand,
  CreateModelCommand,
  type CreateModelCommandInput,
  type DeploymentConfig,
  DescribeEndpointCommand,
  DescribeEndpointConfigCommand,
  type ProductionVariant,
  type ProductionVariantInstanceType,
  type SageMakerClient,
  UpdateEndpointCommand,
} from '@aws-sdk/client-sagemaker';
import type { EventBridgeEvent } from 'aws-lambda';
import type { HandlerLog } from '../shared/handler-log';
import { ensureVariantAutoscaling, removeVariantAutoscaling } from './autoscaling';
import type {
  BlueGreenSettings,
  DeployerSettings,
  InstanceVariantSettings,
  MonitoringSettings,
  ServerlessVariantSettings,
} from './environment';
import { DeploymentFailedError, EndpointBusyError, MonitoringScheduleBusyError, SilentRollbackError } from './errors';
import {
  deleteDataQualityJobDefinitions,
  deleteModelQualityJobDefinitions,
  ensureDataQualitySchedule,
  ensureModelQualitySchedule,
  listOwnedDataQualityJobDefinitions,
  listOwnedModelQualityJobDefinitions,
  type MonitoringChange,
} from './monitoring';
import {
  createUnlessExists,
  deleteOwnedResources,
  isNotFound,
  isValidationError,
  listOwnedResources,
  readTags,
} from './resources';
import { deploymentResourceName, packageTags, TAG, VARIANT_NAME } from './naming';
import { describeValue } from '../shared/describe-value';
import { findNewestApprovedPackage, packageModelRequest, type PackageRef } from '../shared/model-packages';
import { errorAttributes, errorText, isRetryable } from '../shared/aws-errors';

/** `detail` of "SageMaker Model Package State Change" (only the fields the deployer reads). */
export interface ModelPackageStateChangeDetail {
  readonly ModelPackageGroupName: string;
  readonly ModelPackageArn: string;
  readonly ModelPackageVersion?: number;
  readonly ModelApprovalStatus: string;
}

/** `detail` of "SageMaker Endpoint State Change" (only the fields the deployer reads). */
export interface EndpointStateChangeDetail {
  readonly EndpointName: string;
  readonly EndpointStatus: string;
}

/**
 * A package approval or rejection asks for the newest approved package to be served. An endpoint
 * reaching InService after a create or update is the moment to register autoscaling, point the
 * data-quality monitoring schedule at the served package, notice a silent rollback, and deploy
 * anything that arrived while the endpoint was busy.
 */
export type DeployerEvent =
  | EventBridgeEvent<'SageMaker Model Package State Change', ModelPackageStateChangeDetail>
  | EventBridgeEvent<'SageMaker Endpoint State Change', EndpointStateChangeDetail>;

/** What the deployer logs with: the Powertools Logger, or a recorder in tests. */
export type DeployerLog = HandlerLog;

export interface DeployerDependencies {
  readonly sagemaker: SageMakerClient;
  readonly autoscaling: ApplicationAutoScalingClient;
  readonly settings: DeployerSettings;
  readonly log: DeployerLog;
}

export type DeploymentOutcome =
  | 'created'
  | 'updated'
  | 'already-deployed'
  | 'rejected-version-not-deployed'
  | 'no-approved-package'
  | 'rolled-back-version-skipped'
  | 'ignored-event'
  /** The event could not be read (no detail, wrong shape, no id): logged and dropped, not retried. */
  | 'refused-event';

export interface DeploymentResult {
  readonly outcome: DeploymentOutcome;
  /** One sentence for the operator reading the log. */
  readonly detail: string;
  readonly packageArn?: string;
  readonly packageVersion?: number;
  readonly endpointConfigName?: string;
}

/** The step a failure happened in, so the log says which call to look at. */
type DeploymentStep =
  | 'read-endpoint'
  | 'check-rollback'
  | 'find-newest-approved-package'
  | 'register-autoscaling'
  | 'ensure-monitoring'
  | 'create-model'
  | 'create-endpoint-config'
  | 'create-endpoint'
  | 'deregister-autoscaling'
  | 'update-endpoint';

export type { PackageRef };

type Trigger =
  | { readonly kind: 'approved' | 'rejected'; readonly packageArn: string; readonly packageVersion?: number }
  | { readonly kind: 'endpoint-changed' }
  | { readonly kind: 'ignored'; readonly reason: string }
  | { readonly kind: 'refused'; readonly reason: string };

const PACKAGE_STATE_CHANGE = 'SageMaker Model Package State Change';
const ENDPOINT_STATE_CHANGE = 'SageMaker Endpoint State Change';

interface Endpoint {
  readonly arn: string;
  readonly status: string;
  readonly configName: string;
  readonly failureReason?: string;
  readonly currentInstanceCount?: number;
}

/** What an InService endpoint serves and what the deployer recorded on it. */
interface ServingState {
  readonly endpointTags: Record<string, string>;
  /** Undefined when the serving config was not created by the deployer or is gone. */
  readonly deployed?: PackageRef;
  /** Undefined for serverless variants. */
  readonly instanceType?: string;
}

const BUSY_STATUSES = new Set(['Creating', 'Updating', 'SystemUpdating', 'RollingBack', 'Deleting']);

/**
 * Makes the endpoint serve the newest approved package of the group, whatever package the event
 * names, so duplicate and out-of-order events converge on the same state.
 *
 * `event` is a {@link DeployerEvent} as EventBridge delivers it. One that cannot be read (not an
 * object, no id, no detail-type, a detail that is not an object or lacks the fields its
 * detail-type carries) is logged once and answered `refused-event`: retrying cannot make it
 * readable, so it is not thrown into the retries and the dead-letter queue.
 *
 * @throws EndpointBusyError while the endpoint is changing (retryable)
 * @throws MonitoringScheduleBusyError while the monitoring schedule is changing (retryable)
 * @throws SilentRollbackError when SageMaker rolled back the last requested update
 * @throws DeploymentFailedError for failures retrying cannot fix
 * @throws the SDK's own error for throttling, 5xx and network failures (retryable)
 */
export async function handleDeployerEvent(event: DeployerEvent | unknown, deps: DeployerDependencies): Promise<DeploymentResult> {
  const { sagemaker, autoscaling, settings } = deps;
  const trigger = readTrigger(event, settings);
  const received = asRecord(event);
  const eventId = typeof received.id === 'string' ? received.id : undefined;
  const log = withAttributes(deps.log, {
    eventId,
    endpointName: settings.endpointName,
    trigger: trigger.kind,
    eventPackageVersion: 'packageVersion' in trigger ? trigger.packageVersion : undefined,
  });
  if (trigger.kind === 'refused') {
    const detail = `refused the event: ${trigger.reason}; it is dropped, not retried`;
    log.warn(detail, { outcome: 'refused-event', source: received.source, detailType: received['detail-type'], why: trigger.reason, retryable: false });
    return { outcome: 'refused-event', detail };
  }
  if (trigger.kind === 'ignored') return report(log, { outcome: 'ignored-event', detail: trigger.reason });
  // readTrigger refuses events without an id.
  const id = eventId ?? '';

  let step: DeploymentStep = 'read-endpoint';
  try {
    const endpoint = await describeEndpoint(sagemaker, settings.endpointName);
    let serving: ServingState | undefined;
    if (endpoint) {
      assertEndpointCanChange(settings.endpointName, endpoint);
      serving = await readServingState(sagemaker, endpoint);
      step = 'check-rollback';
      await checkForSilentRollback(sagemaker, settings.endpointName, endpoint, serving, id, log);
    }

    step = 'find-newest-approved-package';
    const newest = await findNewestApprovedPackage(sagemaker, settings.modelPackageGroupName);
    const kept = keepWithoutDeploying(trigger, serving, newest);
    if (kept || !newest) {
      const variant = settings.variant;
      if (endpoint && serving?.instanceType && variant.type === 'instance') {
        step = 'register-autoscaling';
        if (await ensureVariantAutoscaling(autoscaling, settings.endpointName, variant)) {
          log.info('registered autoscaling', { minCapacity: variant.minCapacity, maxCapacity: variant.maxCapacity });
        }
        if (variant.monitoring && serving.deployed) {
          step = 'ensure-monitoring';
          await ensureMonitoring(sagemaker, settings, variant, variant.monitoring, serving.deployed, log);
        }
      }
      return report(log, kept ?? noApprovedPackage(settings, serving));
    }

    const request = buildDeploymentRequest(settings, newest, endpoint?.currentInstanceCount);
    step = 'create-model';
    await createUnlessExists(() => sagemaker.send(new CreateModelCommand(request.model)));
    step = 'create-endpoint-config';
    await createUnlessExists(() => sagemaker.send(new CreateEndpointConfigCommand(request.endpointConfig)));

    let result: DeploymentResult;
    if (!endpoint) {
      step = 'create-endpoint';
      await createEndpoint(sagemaker, settings.endpointName, request.name);
      result = {
        outcome: 'created',
        detail: `creating the endpoint with version ${newest.version}; autoscaling and monitoring are set up once it is InService`,
        packageArn: newest.arn,
        packageVersion: newest.version,
        endpointConfigName: request.name,
      };
    } else {
      const variant = settings.variant;
      if (variant.type === 'instance' && serving?.instanceType && serving.instanceType !== variant.instanceType) {
        // SageMaker refuses to change the instance type of a variant registered for autoscaling.
        step = 'deregister-autoscaling';
        await removeVariantAutoscaling(autoscaling, settings.endpointName);
      }
      step = 'update-endpoint';
      const deploymentConfig = deploymentConfigFor(settings);
      await requestEndpointUpdate(sagemaker, settings.endpointName, endpoint, request.name, deploymentConfig, log);
      result = {
        outcome: 'updated',
        detail: `updating the endpoint from ${describePackage(serving?.deployed)} to version ${newest.version}`,
        packageArn: newest.arn,
        packageVersion: newest.version,
        endpointConfigName: request.name,
      };
    }
    await removeSupersededResources(sagemaker, settings.endpointName, [request.name, endpoint?.configName], log);
    return report(log, result);
  } catch (error) {
    throw reportFailure(log, error, step);
  }
}

/** What the event asks for; `refused` when it cannot be read, `ignored` when it is not for this endpoint. */
function readTrigger(event: unknown, settings: DeployerSettings): Trigger {
  const refused = (reason: string): Trigger => ({ kind: 'refused', reason });
  if (typeof event !== 'object' || event === null || Array.isArray(event)) return refused(`the event is ${describeValue(event)}, not an object`);
  const received = event as Record<string, unknown>;
  if (typeof received.id !== 'string' || received.id === '') return refused(`the event has no id (id is ${describeValue(received.id)})`);
  const detailType = received['detail-type'];
  if (typeof detailType !== 'string') return refused(`the event has no detail-type (detail-type is ${describeValue(detailType)})`);
  if (detailType !== PACKAGE_STATE_CHANGE && detailType !== ENDPOINT_STATE_CHANGE) {
    return { kind: 'ignored', reason: `events of type "${detailType}" are not handled` };
  }
  const detail = received.detail;
  if (typeof detail !== 'object' || detail === null || Array.isArray(detail)) {
    return refused(`its detail is ${describeValue(detail)}, not the object a "${detailType}" event carries`);
  }
  const fields = detail as Record<string, unknown>;
  const missing = (names: readonly string[]) => names.filter((name) => typeof fields[name] !== 'string' || fields[name] === '');
  const lacking = (names: readonly string[]) => refused(`its detail has no ${names.join(', ')} (a "${detailType}" event carries them as strings)`);

  if (detailType === PACKAGE_STATE_CHANGE) {
    const absent = missing(['ModelPackageGroupName', 'ModelPackageArn', 'ModelApprovalStatus']);
    if (absent.length > 0) return lacking(absent);
    const { ModelPackageGroupName, ModelPackageArn, ModelApprovalStatus } = fields as Record<string, string>;
    const ModelPackageVersion = fields.ModelPackageVersion;
    if (ModelPackageGroupName !== settings.modelPackageGroupName) {
      return { kind: 'ignored', reason: `the event is for model package group "${ModelPackageGroupName}"` };
    }
    const pkg = { packageArn: ModelPackageArn, packageVersion: typeof ModelPackageVersion === 'number' ? ModelPackageVersion : undefined };
    if (ModelApprovalStatus === 'Approved') return { kind: 'approved', ...pkg };
    if (ModelApprovalStatus === 'Rejected') return { kind: 'rejected', ...pkg };
    return { kind: 'ignored', reason: `approval status ${ModelApprovalStatus} does not change what is deployed` };
  }
  const absent = missing(['EndpointName']);
  if (absent.length > 0) return lacking(absent);
  const endpointName = fields.EndpointName as string;
  // Endpoint names are case-insensitive in SageMaker.
  if (endpointName.toLowerCase() !== settings.endpointName.toLowerCase()) {
    return { kind: 'ignored', reason: `the event is for endpoint "${endpointName}"` };
  }
  return { kind: 'endpoint-changed' };
}

function asRecord(value: unknown): Record<string, unknown> {
  return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : {};
}

async function describeEndpoint(sagemaker: SageMakerClient, endpointName: string): Promise<Endpoint | undefined> {
  try {
    const described = await sagemaker.send(new DescribeEndpointCommand({ EndpointName: endpointName }));
    return {
      arn: described.EndpointArn ?? '',
      status: described.EndpointStatus ?? 'Unknown',
      configName: described.EndpointConfigName ?? '',
      failureReason: described.FailureReason,
      currentInstanceCount: described.ProductionVariants?.[0]?.CurrentInstanceCount,
    };
  } catch (error) {
    if (isNotFound(error)) return undefined;
    throw error;
  }
}

function assertEndpointCanChange(endpointName: string, endpoint: Endpoint): void {
  if (BUSY_STATUSES.has(endpoint.status)) throw new EndpointBusyError(endpointName, endpoint.status);
  if (endpoint.status !== 'InService') {
    // Failed: DeleteEndpoint is the only operation SageMaker allows. UpdateRollbackFailed and
    // OutOfService also need an operator; deleting the endpoint lets the next event create it again.
    const reason = endpoint.failureReason ? ` (${endpoint.failureReason})` : '';
    throw new DeploymentFailedError(
      `endpoint "${endpointName}" is ${endpoint.status}${reason}: an operator has to repair or delete it; ` +
        'the next package event then deploys the newest approved version',
    );
  }
}

async function readServingState(sagemaker: SageMakerClient, endpoint: Endpoint): Promise<ServingState> {
  const endpointTags = await readTags(sagemaker, endpoint.arn);
  const config = await describeDeploymentConfig(sagemaker, endpoint.configName);
  return { endpointTags, deployed: config?.deployed, instanceType: config?.instanceType };
}

/** The package an endpoint config serves (per the deployer's tags) and its instance type; undefined when it is gone. */
async function describeDeploymentConfig(
  sagemaker: SageMakerClient,
  endpointConfigName: string,
): Promise<{ deployed?: PackageRef; instanceType?: string } | undefined> {
  try {
    const config = await sagemaker.send(new DescribeEndpointConfigCommand({ EndpointConfigName: endpointConfigName }));
    const tags = config.EndpointConfigArn ? await readTags(sagemaker, config.EndpointConfigArn) : {};
    const packageArn = tags[TAG.MODEL_PACKAGE_ARN];
    return {
      deployed: packageArn ? { arn: packageArn, version: Number(tags[TAG.MODEL_PACKAGE_VERSION]) } : undefined,
      instanceType: config.ProductionVariants?.[0]?.InstanceType,
    };
  } catch (error) {
    if (isNotFound(error)) return undefined;
    throw error;
  }
}

/**
 * An InService endpoint that serves another config than the one the deployer last requested was
 * rolled back by SageMaker. The rollback is recorded on the endpoint, so later events neither
 * report it again nor deploy the rolled-back package again; retries of the event that found it
 * fail the same way, so that event reaches the dead-letter queue.
 */
async function checkForSilentRollback(
  sagemaker: SageMakerClient,
  endpointName: string,
  endpoint: Endpoint,
  serving: ServingState,
  eventId: string,
  log: DeployerLog,
): Promise<void> {
  const tags = serving.endpointTags;
  if (tags[TAG.ROLLBACK_DETECTED_BY_EVENT] === eventId) {
    throw new SilentRollbackError(endpointName, endpoint.configName, tags[TAG.ROLLED_BACK_PACKAGE_ARN] || undefined);
  }
  const requested = tags[TAG.REQUESTED_CONFIG];
  if (!requested || requested === endpoint.configName) return;

  const rolledBack = (await describeDeploymentConfig(sagemaker, requested))?.deployed;
  await sagemaker.send(
    new AddTagsCommand({
      ResourceArn: endpoint.arn,
      Tags: [
        { Key: TAG.REQUESTED_CONFIG, Value: endpoint.configName },
        { Key: TAG.ROLLED_BACK_PACKAGE_ARN, Value: rolledBack?.arn ?? '' },
        { Key: TAG.ROLLBACK_DETECTED_BY_EVENT, Value: eventId },
      ],
    }),
  );
  log.error('SageMaker rolled back the requested endpoint update', {
    requestedConfigName: requested,
    servingConfigName: endpoint.configName,
    rolledBackPackageArn: rolledBack?.arn,
    rolledBackPackageVersion: rolledBack?.version,
    failureReason: endpoint.failureReason,
  });
  throw new SilentRollbackError(endpointName, endpoint.configName, rolledBack?.arn);
}

/** The result when nothing is to be deployed; undefined when the newest approved package must be. */
function keepWithoutDeploying(
  trigger: Trigger,
  serving: ServingState | undefined,
  newest: PackageRef | undefined,
): DeploymentResult | undefined {
  const deployed = serving?.deployed;
  if (trigger.kind === 'rejected' && trigger.packageArn !== deployed?.arn) {
    return {
      outcome: 'rejected-version-not-deployed',
      detail:
        `version ${trigger.packageVersion ?? trigger.packageArn} was rejected but the endpoint serves ` +
        `${describePackage(deployed)}: nothing to change`,
      packageArn: deployed?.arn,
      packageVersion: deployed?.version,
    };
  }
  if (!newest) return undefined;
  if (deployed?.arn === newest.arn) {
    return {
      outcome: 'already-deployed',
      detail: `the endpoint already serves version ${newest.version}, the newest approved package`,
      packageArn: newest.arn,
      packageVersion: newest.version,
    };
  }
  if (serving?.endpointTags[TAG.ROLLED_BACK_PACKAGE_ARN] === newest.arn) {
    return {
      outcome: 'rolled-back-version-skipped',
      detail:
        `version ${newest.version} is the newest approved package but SageMaker rolled its deployment back: ` +
        'it is not deployed again until a newer version is approved or the endpoint tag ' +
        `${TAG.ROLLED_BACK_PACKAGE_ARN} is removed; the endpoint keeps serving ${describePackage(deployed)}`,
      packageArn: newest.arn,
      packageVersion: newest.version,
    };
  }
  return undefined;
}

/** A final outcome, not a retry: nothing will appear in the group by waiting. */
function noApprovedPackage(settings: DeployerSettings, serving: ServingState | undefined): DeploymentResult {
  const group = `model package group "${settings.modelPackageGroupName}"`;
  return {
    outcome: 'no-approved-package',
    detail: serving
      ? `${group} has no approved package left: the endpoint is NOT deleted and keeps serving ` +
        `${describePackage(serving.deployed)}; approve a version to replace it, or delete the endpoint by hand`
      : `${group} has no approved package: no endpoint is created`,
    packageArn: serving?.deployed?.arn,
    packageVersion: serving?.deployed?.version,
  };
}

interface DeploymentRequest {
  /** Shared by the model and the endpoint config. */
  readonly name: string;
  readonly model: CreateModelCommandInput;
  readonly endpointConfig: CreateEndpointConfigCommandInput;
}

/**
 * The model and endpoint config for a package. Their name ends in a fingerprint of their content,
 * so a retried or repeated deployment finds and reuses what an earlier attempt created, and a
 * deployment with changed settings gets new resources.
 */
function buildDeploymentRequest(
  settings: DeployerSettings,
  pkg: PackageRef,
  currentInstanceCount: number | undefined,
): DeploymentRequest {
  const instance = settings.variant.type === 'instance' ? settings.variant : undefined;
  const tags = packageTags(settings.endpointName, pkg);
  const model: Omit<CreateModelCommandInput, 'ModelName'> = packageModelRequest(pkg, {
    executionRoleArn: settings.executionRoleArn,
    // Serverless Inference supports neither network isolation nor a VPC (see environment.ts).
    networkIsolation: instance !== undefined,
    vpc: instance?.vpc,
    tags,
  });
  const variant = productionVariantFor(settings.variant, currentInstanceCount);
  const endpointConfig: Omit<CreateEndpointConfigCommandInput, 'EndpointConfigName'> = {
    KmsKeyId: settings.kmsKeyId,
    ProductionVariants: [variant],
    DataCaptureConfig: instance
      ? {
          EnableCapture: true,
          InitialSamplingPercentage: instance.dataCapture.samplingPercent,
          DestinationS3Uri: instance.dataCapture.destinationS3Uri,
          KmsKeyId: instance.dataCapture.kmsKeyId,
          CaptureOptions: [{ CaptureMode: 'Input' }, { CaptureMode: 'Output' }],
          // Without it SageMaker base64-encodes what it captures, and Model Monitor's data-quality
          // job reads CSV rows in the columns of the baseline.
          // https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_DataCaptureConfig.html
          CaptureContentTypeHeader: { CsvContentTypes: ['text/csv'] },
        }
      : undefined,
    Tags: tags,
  };
  const fingerprint = createHash('sha256').update(JSON.stringify({ model, endpointConfig })).digest('hex');
  const name = deploymentResourceName(settings.endpointName, pkg.version, fingerprint);
  return {
    name,
    model: { ...model, ModelName: name },
    endpointConfig: {
      ...endpointConfig,
      EndpointConfigName: name,
      ProductionVariants: [{ ...variant, ModelName: name }],
    },
  };
}

function productionVariantFor(
  variant: InstanceVariantSettings | ServerlessVariantSettings,
  currentInstanceCount: number | undefined,
): Omit<ProductionVariant, 'ModelName'> {
  if (variant.type === 'serverless') {
    return {
      VariantName: VARIANT_NAME,
      ServerlessConfig: { MemorySizeInMB: variant.memorySizeInMb, MaxConcurrency: variant.maxConcurrency },
    };
  }
  // A blue/green update starts the new fleet at this size: keep what autoscaling has reached.
  const instanceCount = Math.max(variant.initialInstanceCount, currentInstanceCount ?? 0);
  return {
    VariantName: VARIANT_NAME,
    // Checked for the ml.family.size form only: SageMaker's list of instance types keeps growing.
    InstanceType: variant.instanceType as ProductionVariantInstanceType,
    InitialInstanceCount: Math.min(variant.maxCapacity, instanceCount),
    InitialVariantWeight: 1,
  };
}

/**
 * Blue/green traffic shifting with auto-rollback for instance variants; none for serverless ones,
 * which SageMaker updates without deployment guardrails: guardrail traffic shifting is sized in
 * instances of the new fleet ("CanarySize ... must be less than or equal to 50% of the variant's
 * total instance count", https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_TrafficRoutingConfig.html),
 * rolling updates list serverless endpoints as excluded
 * (https://docs.aws.amazon.com/sagemaker/latest/dg/deployment-guardrails-exclusions.html), and the
 * serverless update guide uses only EndpointName and EndpointConfigName
 * (https://docs.aws.amazon.com/sagemaker/latest/dg/serverless-endpoints-update.html).
 */
function deploymentConfigFor(settings: DeployerSettings): DeploymentConfig | undefined {
  if (settings.variant.type !== 'instance') return undefined;
  return blueGreenDeploymentConfig(settings.variant.deployment);
}

function blueGreenDeploymentConfig(deployment: BlueGreenSettings): DeploymentConfig {
  const step = { Type: 'CAPACITY_PERCENT' as const, Value: deployment.trafficStepPercent };
  return {
    BlueGreenUpdatePolicy: {
      TrafficRoutingConfiguration: {
        Type: deployment.strategy === 'canary' ? 'CANARY' : deployment.strategy === 'linear' ? 'LINEAR' : 'ALL_AT_ONCE',
        WaitIntervalInSeconds: deployment.waitIntervalSeconds,
        CanarySize: deployment.strategy === 'canary' ? step : undefined,
        LinearStepSize: deployment.strategy === 'linear' ? step : undefined,
      },
      // Bake with full traffic on the new fleet as long as one step lasted, so the alarms can
      // still roll back before the old fleet is gone.
      TerminationWaitInSeconds: deployment.waitIntervalSeconds,
      MaximumExecutionTimeoutInSeconds: deployment.maxExecutionTimeoutSeconds,
    },
    AutoRollbackConfiguration:
      deployment.rollbackAlarmNames.length > 0
        ? { Alarms: deployment.rollbackAlarmNames.map((AlarmName) => ({ AlarmName })) }
        : undefined,
  };
}

async function createEndpoint(
  sagemaker: SageMakerClient,
  endpointName: string,
  endpointConfigName: string,
): Promise<void> {
  try {
    await sagemaker.send(
      new CreateEndpointCommand({
        EndpointName: endpointName,
        EndpointConfigName: endpointConfigName,
        Tags: [
          { Key: TAG.ENDPOINT, Value: endpointName },
          { Key: TAG.REQUESTED_CONFIG, Value: endpointConfigName },
        ],
      }),
    );
  } catch (error) {
    // Another invocation (a duplicate event) created it first.
    if (isValidationError(error, /already exist/i)) throw new EndpointBusyError(endpointName, 'Creating');
    throw error;
  }
}

/**
 * Records the requested config on the endpoint before asking for it, so a later invocation can
 * tell a rollback from a completed update; puts the record back if the request fails, or the
 * unchanged endpoint would look rolled back.
 */
async function requestEndpointUpdate(
  sagemaker: SageMakerClient,
  endpointName: string,
  endpoint: Endpoint,
  endpointConfigName: string,
  deploymentConfig: DeploymentConfig | undefined,
  log: DeployerLog,
): Promise<void> {
  const recordRequest = (configName: string) =>
    sagemaker.send(
      new AddTagsCommand({ ResourceArn: endpoint.arn, Tags: [{ Key: TAG.REQUESTED_CONFIG, Value: configName }] }),
    );
  await recordRequest(endpointConfigName);
  try {
    await sagemaker.send(
      new UpdateEndpointCommand({
        EndpointName: endpointName,
        EndpointConfigName: endpointConfigName,
        DeploymentConfig: deploymentConfig,
      }),
    );
  } catch (error) {
    try {
      await recordRequest(endpoint.configName);
    } catch (restoreError) {
      const consequence = 'the next invocation may report a rollback that did not happen';
      log.warn(`could not reset tag ${TAG.REQUESTED_CONFIG}; ${consequence}`, errorAttributes(restoreError));
    }
    if (isValidationError(error, /in-progress|in progress/i)) throw new EndpointBusyError(endpointName, 'Updating');
    throw error;
  }
}

/**
 * Deletes the models and endpoint configs the deployer created for this endpoint except the ones
 * requested now and the one still serving (the rollback target). Best effort: leftovers are only
 * clutter, and the next deployment tries again.
 */
async function removeSupersededResources(
  sagemaker: SageMakerClient,
  endpointName: string,
  keep: ReadonlyArray<string | undefined>,
  log: DeployerLog,
): Promise<void> {
  try {
    const owned = await listOwnedResources(sagemaker, endpointName);
    const endpointConfigNames = owned.endpointConfigNames.filter((name) => !keep.includes(name));
    const modelNames = owned.modelNames.filter((name) => !keep.includes(name));
    await deleteOwnedResources(sagemaker, { endpointConfigNames, modelNames });
    if (endpointConfigNames.length + modelNames.length > 0) {
      log.info('removed superseded models and endpoint configs', { endpointConfigNames, modelNames });
    }
  } catch (error) {
    const message = 'could not remove superseded models and endpoint configs; the next deployment tries again';
    log.warn(message, errorAttributes(error));
  }
}

/**
 * Keeps the data-quality schedule on the served package's baseline and, when configured, the
 * model-quality schedule on the served package; after a change, removes the job definitions a
 * schedule no longer uses. A package without a baseline is served without data-quality monitoring.
 * Each schedule is brought up to date whatever happens to the other; the first failure is thrown.
 */
async function ensureMonitoring(
  sagemaker: SageMakerClient,
  settings: DeployerSettings,
  variant: InstanceVariantSettings,
  monitoring: MonitoringSettings,
  deployed: PackageRef,
  log: DeployerLog,
): Promise<void> {
  const failures: unknown[] = [];
  const dataQuality = await ensureDataQualitySchedule(sagemaker, settings, variant, monitoring, deployed).catch((error: unknown) => {
    failures.push(error);
    return undefined;
  });
  if (dataQuality) {
    await recordScheduleChange(sagemaker, settings, dataQuality, 'data-quality', monitoring.scheduleName, deployed, log);
  }
  const modelQuality = monitoring.modelQuality;
  if (modelQuality) {
    const result = await ensureModelQualitySchedule(sagemaker, settings, variant, monitoring, modelQuality, deployed).catch((error: unknown) => {
      failures.push(error);
      return undefined;
    });
    if (result) await recordScheduleChange(sagemaker, settings, result, 'model-quality', modelQuality.scheduleName, deployed, log);
  }
  if (failures.length > 0) throw failures[0];
}

/** Logs what changed on a schedule and, after a change, removes the job definitions of its kind it no longer runs. */
async function recordScheduleChange(
  sagemaker: SageMakerClient,
  settings: DeployerSettings,
  result: MonitoringChange,
  kind: 'data-quality' | 'model-quality',
  scheduleName: string,
  deployed: PackageRef,
  log: DeployerLog,
): Promise<void> {
  const attributes = { scheduleName, packageVersion: deployed.version };
  if (result.change === 'skipped') {
    log.warn('monitoring-skipped', { ...attributes, reason: result.reason });
    return;
  }
  if (result.change === 'unchanged') return;
  log.info(`${result.change} the ${kind} monitoring schedule`, { ...attributes, jobDefinitionName: result.jobDefinitionName });
  const [list, remove] =
    kind === 'data-quality'
      ? [listOwnedDataQualityJobDefinitions, deleteDataQualityJobDefinitions]
      : [listOwnedModelQualityJobDefinitions, deleteModelQualityJobDefinitions];
  try {
    const owned = await list(sagemaker, settings.endpointName);
    const superseded = owned.filter((name) => name !== result.jobDefinitionName);
    await remove(sagemaker, superseded);
    if (superseded.length > 0) log.info(`removed superseded ${kind} job definitions`, { jobDefinitionNames: superseded });
  } catch (error) {
    // Best effort, like removeSupersededResources: leftovers are clutter the next schedule change removes.
    log.warn(`could not remove superseded ${kind} job definitions; the next schedule change tries again`, errorAttributes(error));
  }
}

function describePackage(pkg: PackageRef | undefined): string {
  return pkg ? `version ${pkg.version}` : 'no package the deployer recorded';
}

function report(log: DeployerLog, result: DeploymentResult): DeploymentResult {
  const { detail, ...attributes } = result;
  const needsAttention = result.outcome === 'no-approved-package' || result.outcome === 'rolled-back-version-skipped';
  const level = needsAttention ? 'warn' : 'info';
  log[level](detail, attributes);
  return result;
}

/** Logs the failure and returns the error to throw: retryable ones as they are, final ones as DeploymentFailedError. */
function reportFailure(log: DeployerLog, error: unknown, step: DeploymentStep): Error {
  if (error instanceof EndpointBusyError) {
    log.warn(error.message, { outcome: 'endpoint-busy', endpointStatus: error.endpointStatus, retryable: true });
    return error;
  }
  if (error instanceof MonitoringScheduleBusyError) {
    log.warn(error.message, { outcome: 'monitoring-schedule-busy', step, scheduleStatus: error.scheduleStatus, retryable: true });
    return error;
  }
  if (error instanceof SilentRollbackError || error instanceof DeploymentFailedError) {
    log.error(error.message, { outcome: error.name, step, retryable: false });
    return error;
  }
  if (isRetryable(error)) {
    const attributes = { outcome: 'retryable-error', step, retryable: true, ...errorAttributes(error) };
    log.error(`${step} failed; the invocation is retried`, attributes);
    return error instanceof Error ? error : new Error(String(error));
  }
  const failed = new DeploymentFailedError(`${step} failed and retrying cannot fix it: ${errorText(error)}`, {
    cause: error,
  });
  log.error(failed.message, { outcome: failed.name, step, retryable: false, ...errorAttributes(error) });
  return failed;
}

function withAttributes(log: DeployerLog, base: Record<string, unknown>): DeployerLog {
  return {
    info: (message, attributes) => log.info(message, { ...base, ...attributes }),
    warn: (message, attributes) => log.warn(message, { ...base, ...attributes }),
    error: (message, attributes) => log.error(message, { ...base, ...attributes }),
  };
}
