import type {
  CreateHyperParameterTuningJobRequest,
  CreateModelPackageInput,
  CreateProcessingJobRequest,
  CreateTrainingJobRequest,
} from '@aws-sdk/client-sagemaker';
import type { Expression } from './expressions';

/**
 * A SageMaker API request shape in which every string, number and boolean may also be an
 * expression of the same type, and every member is readonly. Required members of the SDK
 * type (typed `X | undefined` there) stay required.
 */
export type PipelineArgument<T> = T extends string
  ? T | Expression<string>
  : T extends number
    ? T | Expression<number>
    : T extends boolean
      ? T | Expression<boolean>
      : T extends readonly (infer Item)[]
        ? readonly PipelineArgument<Item>[]
        : T extends object
          ? { readonly [K in keyof T]: PipelineArgument<Exclude<T[K], undefined>> }
          : T;

/**
 * Arguments of a Processing step: the `CreateProcessingJob` request without `ProcessingJobName`
 * (SageMaker names each execution's job) and `ExperimentConfig` (the pipeline's experiment
 * configuration applies).
 *
 * @see https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_CreateProcessingJob.html
 */
export type ProcessingJobArguments = PipelineArgument<
  Omit<CreateProcessingJobRequest, 'ProcessingJobName' | 'ExperimentConfig'>
>;

/**
 * Arguments of a Training step: the `CreateTrainingJob` request without `TrainingJobName` and
 * `ExperimentConfig`, for the same reasons as processing.
 *
 * @see https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_CreateTrainingJob.html
 */
export type TrainingJobArguments = PipelineArgument<
  Omit<CreateTrainingJobRequest, 'TrainingJobName' | 'ExperimentConfig'>
>;

/**
 * Arguments of a Tuning step: the `CreateHyperParameterTuningJob` request without
 * `HyperParameterTuningJobName` (SageMaker names each execution's job) and `Autotune` (the
 * definition states its ranges).
 *
 * @see https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_CreateHyperParameterTuningJob.html
 */
export type TuningJobArguments = PipelineArgument<Omit<CreateHyperParameterTuningJobRequest, 'HyperParameterTuningJobName' | 'Autotune'>>;

/**
 * Arguments of a RegisterModel step: the `CreateModelPackage` request for a new version in a
 * model package group. `ModelPackageName` is left out because it names unversioned packages,
 * and `ClientToken` because one fixed token would make every execution after the first a no-op.
 *
 * @see https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_CreateModelPackage.html
 */
export type ModelPackageArguments = PipelineArgument<
  Omit<CreateModelPackageInput, 'ModelPackageName' | 'ModelPackageGroupName' | 'ClientToken'>
> & {
  /** The model package group the new version joins. */
  readonly ModelPackageGroupName: string | Expression<string>;
};
