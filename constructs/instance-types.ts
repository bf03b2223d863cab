import { Annotations, IResolvable, Token, Tokenization } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';
import SNAPSHOT from './sagemaker-instance-types.json';

/**
 * SageMaker instance types by the job that uses them, from the InstanceType enums of the AWS SDK
 * the package depends on (`@aws-sdk/client-sagemaker`): TrainingInstanceType (CreateTrainingJob),
 * ProductionVariantInstanceType (CreateEndpointConfig), ProcessingInstanceType
 * (CreateProcessingJob) and TransformInstanceType (CreateTransformJob). SageMaker rejects an
 * instance type that is valid for one use but not another (no `ml.t3` hosting, no `ml.c6i.large`
 * training) only at deploy time, and cfn-lint does not check these, so the constructs and the stage
 * config check against these lists at synth.
 *
 * The lists are a snapshot of those enums, `sagemaker-instance-types.json`, written by
 * `npm run generate:instance-types` and held equal to the installed SDK by a unit test: the SDK's
 * only CommonJS entry is one bundle that costs about 200 ms to load per synth (the enums alone
 * exist only as an ES module, which jest and Node.js before 20.19 cannot require).
 *
 * A type newer than the SDK's lists is accepted only when allowed explicitly, and then with a synth
 * warning: `InstanceTypes.unlisted('ml.x9.large')` for a construct prop, the stage config's
 * `additionalInstanceTypes` for a stage.
 */

/** The job an instance type is used for. */
export type InstanceUse = 'processing' | 'training' | 'hosting' | 'transform';

/** The shape of every SageMaker instance type, `ml.<family>.<size>`. */
export const INSTANCE_TYPE_PATTERN = /^ml\.[a-z0-9-]+\.[a-z0-9-]+$/;

/** Where the lists come from, as named in messages: `@aws-sdk/client-sagemaker 3.1142.0`. */
export const INSTANCE_TYPES_SOURCE: string = SNAPSHOT.source;

/** The id of the synth warning for an explicitly allowed type the SDK does not list for its use. */
export const UNLISTED_INSTANCE_TYPE_WARNING = 'cdk-mlops:unlistedInstanceType';

/** Instance types by family, then size: ml.c5.large, ml.c5.xlarge, ml.c5.2xlarge, ... */
export function sortInstanceTypes(types: readonly string[]): string[] {
  const family = (type: string) => type.slice(0, type.lastIndexOf('.'));
  return [...new Set(types)].sort((a, b) => family(a).localeCompare(family(b), 'en', { numeric: true }) || bySize(a, b));
}

const asList = (types: readonly string[]) => types as readonly [string, ...string[]];

/** Every instance type SageMaker accepts for each use, e.g. `INSTANCE_TYPES.training`. */
export const INSTANCE_TYPES: Readonly<Record<InstanceUse, readonly [string, ...string[]]>> = {
  processing: asList(SNAPSHOT.processing),
  training: asList(SNAPSHOT.training),
  hosting: asList(SNAPSHOT.hosting),
  transform: asList(SNAPSHOT.transform),
};

/** How messages name the jobs of each use. */
export const INSTANCE_USE_JOBS: Readonly<Record<InstanceUse, string>> = {
  processing: 'processing jobs',
  training: 'training jobs',
  hosting: 'endpoints (hosting)',
  transform: 'batch transform jobs',
};

/** Suggested when no type of the same family fits: the defaults and their common neighbours. */
const COMMON: Readonly<Record<InstanceUse, readonly string[]>> = {
  processing: ['ml.m5.large', 'ml.m5.xlarge', 'ml.c5.xlarge'],
  training: ['ml.m5.xlarge', 'ml.c5.xlarge', 'ml.g5.xlarge'],
  hosting: ['ml.m5.large', 'ml.c5.large', 'ml.g5.xlarge'],
  transform: ['ml.m5.large', 'ml.c5.xlarge', 'ml.g4dn.xlarge'],
};

/** True when SageMaker accepts `instanceType` for `use`, by the SDK's list. */
export function isInstanceTypeFor(use: InstanceUse, instanceType: string): boolean {
  return INSTANCE_TYPES[use].includes(instanceType);
}

/**
 * A few types SageMaker accepts for `use`, closest to `instanceType` first: those of its family
 * (ml.c6i.large for training suggests ml.c6i.xlarge), else common ones.
 */
export function suggestInstanceTypes(use: InstanceUse, instanceType: string, count = 3): string[] {
  const family = /^ml\.([a-z0-9-]+)\./.exec(instanceType)?.[1];
  const sameFamily = family === undefined ? [] : INSTANCE_TYPES[use].filter((type) => type.startsWith(`ml.${family}.`)).sort(bySize);
  return [...new Set([...sameFamily, ...COMMON[use].filter((type) => isInstanceTypeFor(use, type))])].slice(0, count);
}

/** Orders sizes as AWS does: medium, large, xlarge, 2xlarge, ... */
function bySize(a: string, b: string): number {
  const rank = (type: string) => {
    const size = type.slice(type.lastIndexOf('.') + 1);
    const named = ['nano', 'micro', 'small', 'medium', 'large', 'xlarge'].indexOf(size);
    return named >= 0 ? named : 5 + (parseInt(size, 10) || 0);
  };
  return rank(a) - rank(b);
}

/** The marker `InstanceTypes.unlisted` returns, resolving to the type itself. */
class UnlistedInstanceType implements IResolvable {
  public readonly creationStack: string[] = [];
  constructor(public readonly instanceType: string) {}
  public resolve(): string {
    return this.instanceType;
  }
  public toString(): string {
    return Token.asString(this);
  }
}

/** Instance types beyond the SDK's lists. */
export class InstanceTypes {
  /**
   * Allows an instance type newer than the lists of `@aws-sdk/client-sagemaker` (see
   * `INSTANCE_TYPES_SOURCE`) in a construct prop, such as
   * `EndpointVariant.instances({ instanceType: InstanceTypes.unlisted('ml.x9.large') })`.
   * Without it the constructs refuse a type the SDK does not list for the prop's use.
   *
   * The value renders as the type itself. Each construct that gets it for a use the SDK does not
   * list it for adds a synth warning (id `cdk-mlops:unlistedInstanceType`, which
   * `Annotations.of(scope).acknowledgeWarning` can acknowledge); SageMaker itself refuses, at
   * deploy time, a type it does not offer. A cdk-mlops release on an SDK that lists the type is the better fix.
   *
   * @param instanceType an instance type of the shape `ml.<family>.<size>`
   */
  public static unlisted(instanceType: string): string {
    if (Token.isUnresolved(instanceType) || !INSTANCE_TYPE_PATTERN.test(instanceType)) {
      throw new Error(`InstanceTypes.unlisted: "${instanceType}" is not an instance type: use ml.<family>.<size>, such as ml.m5.large`);
    }
    return new UnlistedInstanceType(instanceType).toString();
  }

  /** The type `value` allows when it came from `InstanceTypes.unlisted`, else undefined. */
  public static unlistedTypeOf(value: string): string | undefined {
    const token = Tokenization.reverseCompleteString(value);
    return token instanceof UnlistedInstanceType ? token.instanceType : undefined;
  }

  private constructor() {}
}

/**
 * Checks the instance type a construct got in its prop `key` for `use`: undefined when SageMaker
 * accepts it (or it is a token, or was allowed with `InstanceTypes.unlisted`, which adds the
 * synth warning on `scope` when the SDK does not list it), else the problem, naming key, value,
 * a few valid types and the way to allow a newer one.
 */
export function checkInstanceType(scope: IConstruct, use: InstanceUse, key: string, instanceType: string): string | undefined {
  const unlisted = InstanceTypes.unlistedTypeOf(instanceType);
  if (unlisted !== undefined) {
    if (!isInstanceTypeFor(use, unlisted)) {
      Annotations.of(scope).addWarningV2(UNLISTED_INSTANCE_TYPE_WARNING, unlistedInstanceTypeWarning(use, key, unlisted));
    }
    return undefined;
  }
  if (Token.isUnresolved(instanceType) || isInstanceTypeFor(use, instanceType)) return undefined;
  return (
    `${key} "${instanceType}" is not an instance type SageMaker offers for ${INSTANCE_USE_JOBS[use]} by ${INSTANCE_TYPES_SOURCE}: ` +
    `use one such as ${suggestInstanceTypes(use, instanceType).join(', ')} (INSTANCE_TYPES.${use} lists all ${INSTANCE_TYPES[use].length}), ` +
    `or for a type newer than the SDK, InstanceTypes.unlisted('${instanceType}')`
  );
}

function unlistedInstanceTypeWarning(use: InstanceUse, key: string, instanceType: string): string {
  return (
    `${key} "${instanceType}" is not in ${INSTANCE_TYPES_SOURCE}'s list of instance types for ${INSTANCE_USE_JOBS[use]}; ` +
    'it is used because it was allowed explicitly, and SageMaker refuses it at deploy time if it does not offer it. ' +
    'Once a newer SDK lists it, a cdk-mlops release on that SDK accepts it without the override.'
  );
}
