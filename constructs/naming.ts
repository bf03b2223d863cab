import { SAGEMAKER_NAME_MAX_LENGTH, SAGEMAKER_NAME_PATTERN } from '../lambda/shared/sagemaker-names';

/**
 * Names of the SageMaker resources a stage owns, derived in one place so the stacks, the Lambda
 * settings and the operator CLI always agree.
 */

export { SAGEMAKER_NAME_MAX_LENGTH, SAGEMAKER_NAME_PATTERN };

/**
 * Longest `project-stage` prefix. The deployer appends `-v<version>-<12-char id>` to the endpoint
 * name for models and endpoint configs, so 63 minus that suffix (up to 20 characters) minus the
 * longest fixed suffix below leaves 32.
 */
export const NAME_PREFIX_MAX_LENGTH = 32;

/** The names of one stage's SageMaker resources. */
export interface ResourceNames {
  /** `project-stage`, the prefix of every name below. */
  readonly prefix: string;
  readonly pipeline: string;
  readonly modelPackageGroup: string;
  readonly endpoint: string;
  readonly dataQualitySchedule: string;
  readonly modelQualitySchedule: string;
}

/** The resource names for `project` and `stage` (both already validated by the stage config). */
export function resourceNames(project: string, stage: string): ResourceNames {
  const prefix = `${project}-${stage}`;
  return {
    prefix,
    pipeline: `${prefix}-pipeline`,
    modelPackageGroup: `${prefix}-models`,
    endpoint: `${prefix}-endpoint`,
    dataQualitySchedule: `${prefix}-data-quality`,
    modelQualitySchedule: `${prefix}-model-quality`,
  };
}

/** The batch scorer's name, `project-stage-batch`: the start of its models' and transform jobs' names. */
export function batchScorerName(project: string, stage: string): string {
  return `${project}-${stage}-batch`;
}

/** Why `name` is not a valid SageMaker resource name, or undefined when it is. */
export function sageMakerNameProblem(name: string): string | undefined {
  if (SAGEMAKER_NAME_PATTERN.test(name)) return undefined;
  return `use 1-${SAGEMAKER_NAME_MAX_LENGTH} letters, digits and hyphens, starting and ending with a letter or digit (got ${name.length} characters)`;
}
