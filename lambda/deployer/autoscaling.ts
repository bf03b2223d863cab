import {
  type ApplicationAutoScalingClient,
  DeregisterScalableTargetCommand,
  DescribeScalableTargetsCommand,
  DescribeScalingPoliciesCommand,
  PutScalingPolicyCommand,
  RegisterScalableTargetCommand,
} from '@aws-sdk/client-application-auto-scaling';
import type { InstanceVariantSettings } from './environment';
import { VARIANT_NAME } from './naming';

const SERVICE_NAMESPACE = 'sagemaker';
const SCALABLE_DIMENSION = 'sagemaker:variant:DesiredInstanceCount';
const INVOCATIONS_METRIC = 'SageMakerVariantInvocationsPerInstance';
const SCALING_POLICY_NAME = 'cdk-mlops-invocations-per-instance';

function scalableTargetResourceId(endpointName: string): string {
  return `endpoint/${endpointName}/variant/${VARIANT_NAME}`;
}

/**
 * Registers the endpoint's variant as a scalable target with a target-tracking policy on
 * invocations per instance, changing nothing that is already as configured.
 * Call it only while the endpoint is InService: scaling is blocked while it is being created or updated.
 *
 * @returns whether anything was registered or changed
 */
export async function ensureVariantAutoscaling(
  autoscaling: ApplicationAutoScalingClient,
  endpointName: string,
  variant: InstanceVariantSettings,
): Promise<boolean> {
  const target = {
    ServiceNamespace: SERVICE_NAMESPACE,
    ResourceId: scalableTargetResourceId(endpointName),
    ScalableDimension: SCALABLE_DIMENSION,
  } as const;
  let changed = false;

  const registered = await describeScalableTarget(autoscaling, endpointName);
  if (registered?.MinCapacity !== variant.minCapacity || registered?.MaxCapacity !== variant.maxCapacity) {
    const capacity = { MinCapacity: variant.minCapacity, MaxCapacity: variant.maxCapacity };
    await autoscaling.send(new RegisterScalableTargetCommand({ ...target, ...capacity }));
    changed = true;
  }

  const { ScalingPolicies } = await autoscaling.send(
    new DescribeScalingPoliciesCommand({ ...target, PolicyNames: [SCALING_POLICY_NAME] }),
  );
  const policy = ScalingPolicies?.find((candidate) => candidate.PolicyName === SCALING_POLICY_NAME)
    ?.TargetTrackingScalingPolicyConfiguration;
  if (
    policy?.TargetValue !== variant.targetInvocationsPerInstance ||
    policy?.PredefinedMetricSpecification?.PredefinedMetricType !== INVOCATIONS_METRIC
  ) {
    await autoscaling.send(
      new PutScalingPolicyCommand({
        ...target,
        PolicyName: SCALING_POLICY_NAME,
        PolicyType: 'TargetTrackingScaling',
        TargetTrackingScalingPolicyConfiguration: {
          TargetValue: variant.targetInvocationsPerInstance,
          PredefinedMetricSpecification: { PredefinedMetricType: INVOCATIONS_METRIC },
        },
      }),
    );
    changed = true;
  }
  return changed;
}

/**
 * Deregisters the variant's scalable target if there is one; Application Auto Scaling deletes its
 * scaling policies with it.
 *
 * @returns whether a target was deregistered
 */
export async function removeVariantAutoscaling(
  autoscaling: ApplicationAutoScalingClient,
  endpointName: string,
): Promise<boolean> {
  if (!(await describeScalableTarget(autoscaling, endpointName))) return false;
  await autoscaling.send(
    new DeregisterScalableTargetCommand({
      ServiceNamespace: SERVICE_NAMESPACE,
      ResourceId: scalableTargetResourceId(endpointName),
      ScalableDimension: SCALABLE_DIMENSION,
    }),
  );
  return true;
}

async function describeScalableTarget(autoscaling: ApplicationAutoScalingClient, endpointName: string) {
  const { ScalableTargets } = await autoscaling.send(
    new DescribeScalableTargetsCommand({
      ServiceNamespace: SERVICE_NAMESPACE,
      ResourceIds: [scalableTargetResourceId(endpointName)],
      ScalableDimension: SCALABLE_DIMENSION,
    }),
  );
  return ScalableTargets?.[0];
}
