import { Condition } from './conditions';
import {
  Expression,
  ExpressionReference,
  inspectValue,
  join,
  JsonObject,
  PipelineValue,
  PrimitiveValue,
  Reference,
  RenderContext,
  renderObject,
  renderValue,
  ValueInspection,
} from './expressions';
import { PropertyFile, PropertyFileJson, StepProperty } from './properties';
import { ModelPackageArguments, ProcessingJobArguments, TrainingJobArguments, TuningJobArguments } from './requests';
import {
  JOB_STEP_EXCEPTION_TYPES,
  MODEL_STEP_EXCEPTION_TYPES,
  renderRetryPolicy,
  RetryExceptionType,
  RetryPolicy,
  RetryPolicyJson,
  retryPolicyProblems,
  StepExceptionType,
} from './retry';

/**
 * The step kinds this builder produces. A new kind (Tuning, QualityCheck, ...) joins this union
 * with its own `Step` subclass; job kinds extend `JobStep`.
 */
export type StepType = 'Processing' | 'Training' | 'Tuning' | 'Lambda' | 'Condition' | 'RegisterModel' | 'Fail';

/** Step caching as it appears in a step's `CacheConfig`. */
export interface CacheConfigJson {
  /** Always true: the builder only writes a cache configuration to turn caching on. */
  readonly Enabled: boolean;
  /** ISO 8601 duration after which a cached result is no longer reused. */
  readonly ExpireAfter: string;
}

/** A condition step's arguments, with its branch steps nested in full. */
export interface ConditionArgumentsJson {
  /** The conditions, all of which must hold for the If branch to run. */
  readonly Conditions: readonly JsonObject[];
  /** Steps that run when every condition holds. */
  readonly IfSteps: readonly StepJson[];
  /** Steps that run otherwise. */
  readonly ElseSteps: readonly StepJson[];
}

/** A step's `Arguments`: an API request for job and model steps, branches for a condition step. */
export type StepArgumentsJson = JsonObject | ConditionArgumentsJson;

/** A step as it appears in the definition's `Steps` list or in a condition branch. */
export interface StepJson {
  /** The step's name, unique in the pipeline. */
  readonly Name: string;
  /** The step's kind. */
  readonly Type: StepType;
  /** The name shown in SageMaker Studio. */
  readonly DisplayName?: string;
  /** What the step does. */
  readonly Description?: string;
  /** Steps this one waits for beyond those its arguments reference. */
  readonly DependsOn?: readonly string[];
  /** The step's arguments. */
  readonly Arguments: StepArgumentsJson;
  /** When SageMaker retries the step. */
  readonly RetryPolicies?: readonly RetryPolicyJson[];
  /** Step caching. */
  readonly CacheConfig?: CacheConfigJson;
  /** JSON files a processing step's outputs hold, for `Std:JsonGet`. */
  readonly PropertyFiles?: readonly PropertyFileJson[];
  /** The function a Lambda step invokes. */
  readonly FunctionArn?: string;
  /** The keys of a Lambda step's answer that later steps read. */
  readonly OutputParameters?: readonly LambdaOutputJson[];
}

/** The type of a Lambda step's output parameter. */
export type LambdaOutputType = 'String' | 'Integer' | 'Boolean' | 'Float';

/** A Lambda step's output parameter as it appears in its `OutputParameters`. */
export interface LambdaOutputJson {
  /** The key of the function's answer. */
  readonly OutputName: string;
  /** Its type. */
  readonly OutputType: LambdaOutputType;
}

/** Options every step takes. */
export interface StepProps {
  /**
   * The name shown in SageMaker Studio: 1-64 letters, digits, hyphens and underscores.
   *
   * @default - Studio shows the step name
   */
  readonly displayName?: string;
  /**
   * What the step does, at most 4096 characters.
   *
   * @default - no description
   */
  readonly description?: string;
  /**
   * Steps that must finish before this one starts. Steps whose properties or property files
   * this step reads are waited for without being listed here.
   *
   * @default - only the dependencies the step's arguments imply
   */
  readonly dependsOn?: readonly Step[];
}

/** References a step makes and problems found in it, for `PipelineDefinition`'s validation. */
export interface StepInspection {
  /** What the step's arguments point at. */
  readonly references: readonly ExpressionReference[];
  /** Problems found in the step alone. */
  readonly problems: readonly string[];
}

const STEP_NAME = /^[A-Za-z0-9\-_]{1,64}$/;
const MAX_DESCRIPTION_LENGTH = 4096;
const ISO_8601_DURATION = /^P(?=\d|T\d)(\d+Y)?(\d+M)?(\d+W)?(\d+D)?(T(?=\d)(\d+H)?(\d+M)?(\d+S)?)?$/i;

/** A pipeline step. Subclasses supply the kind, the arguments and kind-specific checks. */
export abstract class Step {
  /** The step's name, unique in the pipeline. */
  public readonly name: string;
  /** The step's kind. */
  public abstract readonly type: StepType;
  /** The name shown in SageMaker Studio. */
  public readonly displayName?: string;
  /** What the step does. */
  public readonly description?: string;
  /** Steps this one waits for explicitly. */
  public readonly dependsOn: readonly Step[];
  private readonly retryPolicies: readonly RetryPolicy[];
  private readonly retryExceptionTypes: readonly RetryExceptionType[];

  protected constructor(
    name: string,
    props: StepProps,
    retry: { readonly policies?: readonly RetryPolicy[]; readonly exceptionTypes: readonly RetryExceptionType[] } = {
      exceptionTypes: [],
    },
  ) {
    this.name = name;
    this.displayName = props.displayName;
    this.description = props.description;
    this.dependsOn = props.dependsOn ?? [];
    this.retryPolicies = retry.policies ?? [];
    this.retryExceptionTypes = retry.exceptionTypes;
  }

  /**
   * A property of the step's Describe* response, such as `TrainingJobName`, resolved when the
   * step has run: `{"Get": "Steps.<name>.<path>"}`.
   *
   * @param path the property's path, with list items as `Outputs['name']` or `[0]`
   * @typeParam T the property's type
   */
  public property<T extends PrimitiveValue = string>(path: string): Reference<T> {
    return new StepProperty<T>(this, path);
  }

  /** References and problems of this step, for `PipelineDefinition`. */
  public inspect(): StepInspection {
    const found: ValueInspection = { references: [], problems: [] };
    const label = `step "${this.name}"`;
    if (!STEP_NAME.test(this.name)) {
      found.problems.push(`step name "${this.name}" is invalid: use 1-64 letters, digits, hyphens and underscores`);
    }
    if (this.displayName !== undefined && !STEP_NAME.test(this.displayName)) {
      found.problems.push(
        `${label} display name "${this.displayName}" is invalid: ` +
          'use 1-64 letters, digits, hyphens and underscores, as the pipeline definition schema requires',
      );
    }
    if (this.description !== undefined && this.description.length > MAX_DESCRIPTION_LENGTH) {
      found.problems.push(
        `${label} description has ${this.description.length} characters: use at most ${MAX_DESCRIPTION_LENGTH}`,
      );
    }
    found.problems.push(...retryPolicyProblems(label, this.type, this.retryPolicies, this.retryExceptionTypes));
    this.inspectContent(label, found);
    return found;
  }

  /** The step's JSON; `context` resolves property-file owners. */
  public render(context: RenderContext): StepJson {
    const dependsOn = [...new Set(this.dependsOn.map((step) => step.name))];
    return {
      Name: this.name,
      Type: this.type,
      ...(this.displayName !== undefined && { DisplayName: this.displayName }),
      ...(this.description !== undefined && { Description: this.description }),
      ...(dependsOn.length > 0 && { DependsOn: dependsOn }),
      Arguments: this.renderArguments(context),
      ...(this.retryPolicies.length > 0 && { RetryPolicies: this.retryPolicies.map(renderRetryPolicy) }),
      ...this.renderExtras(),
    };
  }

  /** Adds the references of the step's arguments and the problems specific to its kind. */
  protected abstract inspectContent(label: string, found: ValueInspection): void;

  /** The step's `Arguments`. */
  protected abstract renderArguments(context: RenderContext): StepArgumentsJson;

  /** Kind-specific top-level fields, such as `CacheConfig`. */
  protected renderExtras(): Pick<StepJson, 'CacheConfig' | 'PropertyFiles' | 'FunctionArn' | 'OutputParameters'> {
    return {};
  }
}

/** Options of steps that run a SageMaker job. */
export interface JobStepProps extends StepProps {
  /**
   * When SageMaker retries the step. Job steps support every `RetryExceptionType`.
   *
   * @default - SageMaker's default retries for service faults and throttling only
   */
  readonly retryPolicies?: readonly RetryPolicy[];
  /**
   * Turns step caching on: an earlier successful run with the same cache key attributes is
   * reused if it is younger than this ISO 8601 duration, such as `P30D` or `PT12H`.
   *
   * @see https://docs.aws.amazon.com/sagemaker/latest/dg/pipelines-caching.html
   * @default - step caching is off: the step runs in every execution
   */
  readonly cacheExpireAfter?: string;
}

/** A step that runs a SageMaker job described by an API request (processing, training; tuning later). */
export abstract class JobStep<A extends object> extends Step {
  /** The job's API request, as SageMaker receives it apart from the job name. */
  public readonly arguments: A;
  /** How long a cached result stays reusable. */
  public readonly cacheExpireAfter?: string;

  protected constructor(name: string, props: JobStepProps & { readonly arguments: A }) {
    super(name, props, { policies: props.retryPolicies, exceptionTypes: JOB_STEP_EXCEPTION_TYPES });
    this.arguments = props.arguments;
    this.cacheExpireAfter = props.cacheExpireAfter;
  }

  protected inspectContent(label: string, found: ValueInspection): void {
    inspectValue(this.arguments, 'Arguments', label, found);
    if (this.cacheExpireAfter !== undefined && !ISO_8601_DURATION.test(this.cacheExpireAfter)) {
      found.problems.push(
        `${label} cacheExpireAfter "${this.cacheExpireAfter}" is not an ISO 8601 duration: ` +
          'use a value such as "P30D" or "PT12H"',
      );
    }
  }

  protected renderArguments(context: RenderContext): JsonObject {
    return renderObject(this.arguments, context);
  }

  protected override renderExtras(): Pick<StepJson, 'CacheConfig' | 'PropertyFiles'> {
    if (this.cacheExpireAfter === undefined) return {};
    return { CacheConfig: { Enabled: true, ExpireAfter: this.cacheExpireAfter } };
  }
}

/** Properties of a `ProcessingStep`. */
export interface ProcessingStepProps extends JobStepProps {
  /** The `CreateProcessingJob` request. */
  readonly arguments: ProcessingJobArguments;
  /**
   * JSON files the job writes to its outputs that later steps read with `jsonGet`.
   *
   * @default - no property files
   */
  readonly propertyFiles?: readonly PropertyFile[];
}

/** A step that runs a SageMaker processing job: feature engineering, evaluation. */
export class ProcessingStep extends JobStep<ProcessingJobArguments> {
  /** `Processing`. */
  public readonly type = 'Processing';
  /** JSON files the job writes that later steps read with `jsonGet`. */
  public readonly propertyFiles: readonly PropertyFile[];

  constructor(name: string, props: ProcessingStepProps) {
    super(name, props);
    this.propertyFiles = props.propertyFiles ?? [];
  }

  /**
   * The S3 URI a processing output was uploaded to:
   * `Steps.<name>.ProcessingOutputConfig.Outputs['<outputName>'].S3Output.S3Uri`.
   *
   * @param outputName the `OutputName` of one of the job's outputs
   */
  public outputS3Uri(outputName: string): Reference<string> {
    return new StepProperty<string>(
      this,
      `ProcessingOutputConfig.Outputs['${outputName}'].S3Output.S3Uri`,
      outputName,
    );
  }

  /** The names of the job's outputs, or undefined when an expression names one of them. */
  public outputNames(): readonly string[] | undefined {
    const names = (this.arguments.ProcessingOutputConfig?.Outputs ?? []).map((output) => output.OutputName);
    return names.every((name): name is string => typeof name === 'string') ? names : undefined;
  }

  protected override inspectContent(label: string, found: ValueInspection): void {
    super.inspectContent(label, found);
    const outputNames = this.outputNames();
    const seen = new Set<string>();
    for (const file of this.propertyFiles) {
      if (seen.has(file.name)) {
        found.problems.push(
          `${label} declares property file "${file.name}" more than once: give each file its own name`,
        );
      }
      seen.add(file.name);
      if (outputNames !== undefined && !outputNames.includes(file.outputName)) {
        found.problems.push(
          `${label} property file "${file.name}" is written to output "${file.outputName}", which the step does not ` +
            `declare: use one of the ProcessingOutputConfig output names (${outputNames.join(', ') || 'none'})`,
        );
      }
    }
  }

  protected override renderExtras(): Pick<StepJson, 'CacheConfig' | 'PropertyFiles'> {
    return {
      ...super.renderExtras(),
      ...(this.propertyFiles.length > 0 && {
        PropertyFiles: this.propertyFiles.map((file) => file.toPropertyFileJson()),
      }),
    };
  }
}

/** Properties of a `TrainingStep`. */
export interface TrainingStepProps extends JobStepProps {
  /** The `CreateTrainingJob` request. */
  readonly arguments: TrainingJobArguments;
}

/** A step that runs a SageMaker training job. */
export class TrainingStep extends JobStep<TrainingJobArguments> {
  /** `Training`. */
  public readonly type = 'Training';
  /** The S3 URI of the trained model artifacts: `Steps.<name>.ModelArtifacts.S3ModelArtifacts`. */
  public readonly modelArtifactsS3Uri: Reference<string>;

  constructor(name: string, props: TrainingStepProps) {
    super(name, props);
    this.modelArtifactsS3Uri = new StepProperty<string>(this, 'ModelArtifacts.S3ModelArtifacts');
  }
}

/** Properties of a `TuningStep`. */
export interface TuningStepProps extends JobStepProps {
  /** The `CreateHyperParameterTuningJob` request. */
  readonly arguments: TuningJobArguments;
}

/**
 * A step that runs a SageMaker hyperparameter tuning job: several training jobs over the ranges of
 * `HyperParameterTuningJobConfig`, ranked by its objective metric.
 */
export class TuningStep extends JobStep<TuningJobArguments> {
  /** `Tuning`. */
  public readonly type = 'Tuning';
  /** The best training job's name: `Steps.<name>.BestTrainingJob.TrainingJobName`. */
  public readonly bestTrainingJobName: Reference<string>;

  constructor(name: string, props: TuningStepProps) {
    super(name, props);
    this.bestTrainingJobName = new StepProperty<string>(this, 'BestTrainingJob.TrainingJobName');
  }

  /** A tuned hyperparameter's value in the best job: `Steps.<name>.BestTrainingJob.TunedHyperParameters['<hyperparameter>']`. */
  public bestTunedHyperparameter(hyperparameter: string): Reference<string> {
    return new StepProperty<string>(this, `BestTrainingJob.TunedHyperParameters['${hyperparameter}']`);
  }

  /**
   * The S3 URI of the model of the training job ranked `rank` (0 = best), as the SageMaker Python
   * SDK's `TuningStep.get_top_model_s3_uri` builds it: each training job writes
   * `<S3OutputPath>/<training job name>/output/model.tar.gz`, and the step's
   * `TrainingJobSummaries` list the jobs best first.
   *
   * @param outputPath the training job definition's `OutputDataConfig.S3OutputPath`, or the parts
   *   it joins with `/` (a join cannot hold a join)
   */
  public topModelS3Uri(outputPath: string | Reference<string> | readonly (PrimitiveValue | Reference)[], rank = 0): Expression<string> {
    if (!Number.isInteger(rank) || rank < 0) throw new Error(`rank ${rank} is not a whole number from 0`);
    const parts = Array.isArray(outputPath) ? outputPath : [outputPath as string | Reference<string>];
    return join('/', [...parts, new StepProperty<string>(this, `TrainingJobSummaries[${rank}].TrainingJobName`), 'output/model.tar.gz']);
  }

  protected override inspectContent(label: string, found: ValueInspection): void {
    super.inspectContent(label, found);
    const config = this.arguments.HyperParameterTuningJobConfig;
    const limits = config.ResourceLimits;
    const maxJobs = limits?.MaxNumberOfTrainingJobs;
    const maxParallel = limits?.MaxParallelTrainingJobs;
    if (typeof maxJobs === 'number' && typeof maxParallel === 'number' && maxParallel > maxJobs) {
      found.problems.push(`${label} runs up to ${maxParallel} training jobs in parallel but ${maxJobs} in all: MaxParallelTrainingJobs must not exceed MaxNumberOfTrainingJobs`);
    }
    const ranges = [this.arguments.TrainingJobDefinition?.HyperParameterRanges, config.ParameterRanges].find((candidate) => candidate !== undefined);
    const count = (ranges?.ContinuousParameterRanges?.length ?? 0) + (ranges?.IntegerParameterRanges?.length ?? 0) + (ranges?.CategoricalParameterRanges?.length ?? 0);
    if (count === 0) found.problems.push(`${label} has no hyperparameter ranges: give at least one continuous, integer or categorical range`);
    for (const range of [...(ranges?.ContinuousParameterRanges ?? []), ...(ranges?.IntegerParameterRanges ?? [])]) {
      if (typeof range.MinValue === 'string' && typeof range.MaxValue === 'string' && !(Number(range.MinValue) < Number(range.MaxValue))) {
        found.problems.push(`${label} range of ${String(range.Name)} is ${range.MinValue} to ${range.MaxValue}: MinValue must be a number below MaxValue`);
      }
    }
  }
}

/** Properties of a `LambdaStep`. */
export interface LambdaStepProps extends StepProps {
  /** ARN of the function to invoke; the pipeline's role needs lambda:InvokeFunction on it. */
  readonly functionArn: string;
  /**
   * The event the function receives: each value a literal or an expression (parameters, step
   * properties), which SageMaker resolves before invoking.
   *
   * @default - an empty event
   */
  readonly arguments?: Readonly<Record<string, PipelineValue<PrimitiveValue>>>;
  /**
   * Keys of the function's answer that later steps read with `output(name)`, and their types.
   *
   * @default - none
   */
  readonly outputs?: Readonly<Record<string, LambdaOutputType>>;
}

/**
 * A step that invokes a Lambda function synchronously and exposes keys of its answer as
 * `Steps.<name>.OutputParameters['<key>']`. SageMaker Pipelines does not retry it.
 *
 * @see https://docs.aws.amazon.com/sagemaker/latest/dg/build-and-manage-steps-types.html#step-type-lambda
 */
export class LambdaStep extends Step {
  /** `Lambda`. */
  public readonly type = 'Lambda';
  /** ARN of the function. */
  public readonly functionArn: string;
  /** The event the function receives. */
  public readonly arguments: Readonly<Record<string, PipelineValue<PrimitiveValue>>>;
  /** The answer's keys later steps read, and their types. */
  public readonly outputs: Readonly<Record<string, LambdaOutputType>>;

  constructor(name: string, props: LambdaStepProps) {
    super(name, props);
    this.functionArn = props.functionArn;
    this.arguments = props.arguments ?? {};
    this.outputs = props.outputs ?? {};
  }

  /**
   * A key of the function's answer, resolved when the step has run:
   * `Steps.<name>.OutputParameters['<key>']`.
   */
  public output<T extends PrimitiveValue = string>(name: string): Reference<T> {
    if (!(name in this.outputs)) {
      throw new Error(`Lambda step "${this.name}" has no output "${name}": declare it in outputs (${Object.keys(this.outputs).join(', ') || 'none'})`);
    }
    return new StepProperty<T>(this, `OutputParameters['${name}']`);
  }

  protected inspectContent(label: string, found: ValueInspection): void {
    inspectValue(this.arguments, 'Arguments', label, found);
    for (const name of Object.keys(this.outputs)) {
      if (!/^[A-Za-z0-9_]{1,64}$/.test(name)) found.problems.push(`${label} output "${name}" is invalid: use 1-64 letters, digits and underscores`);
    }
  }

  protected renderArguments(context: RenderContext): JsonObject {
    return renderObject(this.arguments, context);
  }

  protected override renderExtras(): Pick<StepJson, 'FunctionArn' | 'OutputParameters'> {
    return {
      FunctionArn: this.functionArn,
      ...(Object.keys(this.outputs).length > 0 && {
        OutputParameters: Object.entries(this.outputs).map(([OutputName, OutputType]) => ({ OutputName, OutputType })),
      }),
    };
  }
}

/** Properties of a `RegisterModelStep`. */
export interface RegisterModelStepProps extends StepProps {
  /** The `CreateModelPackage` request for the new model package version. */
  readonly arguments: ModelPackageArguments;
  /**
   * When SageMaker retries the step. Registering runs no job, so only the `Step.*` exception
   * types apply.
   *
   * @default - SageMaker's default retries for service faults and throttling only
   */
  readonly retryPolicies?: readonly RetryPolicy<StepExceptionType>[];
}

/** A step that registers a model package version in a model package group. */
export class RegisterModelStep extends Step {
  /** `RegisterModel`. */
  public readonly type = 'RegisterModel';
  /** The `CreateModelPackage` request. */
  public readonly arguments: ModelPackageArguments;
  /** The registered version's ARN: `Steps.<name>.ModelPackageArn`. */
  public readonly modelPackageArn: Reference<string>;

  constructor(name: string, props: RegisterModelStepProps) {
    super(name, props, { policies: props.retryPolicies, exceptionTypes: MODEL_STEP_EXCEPTION_TYPES });
    this.arguments = props.arguments;
    this.modelPackageArn = new StepProperty<string>(this, 'ModelPackageArn');
  }

  protected inspectContent(label: string, found: ValueInspection): void {
    inspectValue(this.arguments, 'Arguments', label, found);
  }

  protected renderArguments(context: RenderContext): JsonObject {
    return renderObject(this.arguments, context);
  }
}

/** Properties of a `FailStep`. */
export interface FailStepProps extends StepProps {
  /**
   * Why the execution failed, recorded as the step's failure reason. May be a `join` naming
   * parameter values.
   *
   * @default - no message
   */
  readonly errorMessage?: PipelineValue<string>;
}

/**
 * A step that stops the execution and marks it failed. No other step may depend on it or read
 * its properties.
 *
 * @see https://docs.aws.amazon.com/sagemaker/latest/dg/build-and-manage-steps-types.html#step-type-fail
 */
export class FailStep extends Step {
  /** `Fail`. */
  public readonly type = 'Fail';
  /** Why the execution failed. */
  public readonly errorMessage?: PipelineValue<string>;

  constructor(name: string, props: FailStepProps = {}) {
    super(name, props);
    this.errorMessage = props.errorMessage;
  }

  protected inspectContent(label: string, found: ValueInspection): void {
    inspectValue(this.errorMessage, 'Arguments.ErrorMessage', label, found);
  }

  protected renderArguments(context: RenderContext): JsonObject {
    return this.errorMessage === undefined ? {} : { ErrorMessage: renderValue(this.errorMessage, context) };
  }
}

/**
 * Steps a condition branch may hold: the published schema admits Training, Processing,
 * Transform, RegisterModel and Fail steps there, and SageMaker does not nest condition steps.
 */
export type ConditionBranchStep = ProcessingStep | TrainingStep | RegisterModelStep | FailStep;

/** Properties of a `ConditionStep`. */
export interface ConditionStepProps extends StepProps {
  /** Conditions that must all hold for the If branch to run. */
  readonly conditions: readonly Condition[];
  /**
   * Steps that run when every condition holds. List them here only, not in the pipeline's steps.
   *
   * @default - nothing runs when the conditions hold
   */
  readonly ifSteps?: readonly ConditionBranchStep[];
  /**
   * Steps that run when a condition does not hold. List them here only, not in the pipeline's steps.
   *
   * @default - nothing runs when a condition does not hold
   */
  readonly elseSteps?: readonly ConditionBranchStep[];
}

/**
 * A step that evaluates conditions and runs its If or its Else branch.
 *
 * @see https://docs.aws.amazon.com/sagemaker/latest/dg/build-and-manage-steps-types.html#step-type-condition
 */
export class ConditionStep extends Step {
  /** `Condition`. */
  public readonly type = 'Condition';
  /** Conditions that must all hold for the If branch to run. */
  public readonly conditions: readonly Condition[];
  /** Steps that run when every condition holds. */
  public readonly ifSteps: readonly ConditionBranchStep[];
  /** Steps that run when a condition does not hold. */
  public readonly elseSteps: readonly ConditionBranchStep[];

  constructor(name: string, props: ConditionStepProps) {
    super(name, props);
    this.conditions = props.conditions;
    this.ifSteps = props.ifSteps ?? [];
    this.elseSteps = props.elseSteps ?? [];
  }

  protected inspectContent(label: string, found: ValueInspection): void {
    this.conditions.forEach((condition, index) =>
      inspectValue(condition.toRequest(), `Arguments.Conditions[${index}]`, label, found),
    );
  }

  protected renderArguments(context: RenderContext): ConditionArgumentsJson {
    return {
      Conditions: this.conditions.map((condition) => renderObject(condition.toRequest(), context)),
      IfSteps: this.ifSteps.map((step) => step.render(context)),
      ElseSteps: this.elseSteps.map((step) => step.render(context)),
    };
  }
}
