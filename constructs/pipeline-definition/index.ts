export { Condition } from './conditions';
export type { ConditionRequest, ConditionType } from './conditions';
export { Expression, ExecutionVariable, join, Reference } from './expressions';
export type {
  ExpressionReference,
  JsonObject,
  JsonValue,
  PipelineValue,
  PrimitiveValue,
  RenderContext,
  ValueInspection,
} from './expressions';
export { PipelineParameter } from './parameters';
export type { ParameterJson, ParameterProps, ParameterType } from './parameters';
export { PIPELINE_DEFINITION_VERSION, PipelineDefinition, PipelineDefinitionError } from './pipeline';
export type {
  PipelineDefinitionJson,
  PipelineDefinitionProps,
  PipelineExperimentConfig,
  StepGraphNode,
} from './pipeline';
export { jsonGet, PropertyFile } from './properties';
export type { PropertyFileJson, PropertyFileProps } from './properties';
export type { ModelPackageArguments, PipelineArgument, ProcessingJobArguments, TrainingJobArguments, TuningJobArguments } from './requests';
export { RetryExceptionType } from './retry';
export type { RetryPolicy, RetryPolicyJson, StepExceptionType } from './retry';
export {
  ConditionStep,
  FailStep,
  JobStep,
  LambdaStep,
  ProcessingStep,
  RegisterModelStep,
  Step,
  TrainingStep,
  TuningStep,
} from './steps';
export type {
  CacheConfigJson,
  ConditionArgumentsJson,
  ConditionBranchStep,
  ConditionStepProps,
  FailStepProps,
  JobStepProps,
  LambdaOutputJson,
  LambdaOutputType,
  LambdaStepProps,
  ProcessingStepProps,
  RegisterModelStepProps,
  StepArgumentsJson,
  StepInspection,
  StepJson,
  StepProps,
  StepType,
  TrainingStepProps,
  TuningStepProps,
} from './steps';
