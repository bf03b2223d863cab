/**
 * Limits of the SageMaker API fields that free text flows into, as botocore's SageMaker API model
 * states them (vendored in test/fixtures/botocore-sagemaker-limits.json, which a unit test keeps
 * these equal to). No AWS SDK import, so the operator CLI and the handlers share them.
 */

/** One string shape: its length limits (in UTF-16 code units, as String.length counts) and, where the model gives one, the characters it allows. */
export interface StringLimit {
  /** The botocore shape name. */
  readonly shape: string;
  readonly minLength: number;
  readonly maxLength: number;
  /** A regular-expression character class (Unicode property syntax) every character must match; absent for `.*`. */
  readonly characters?: string;
}

export const SAGEMAKER_LIMITS = {
  /** A value of a model package's CustomerMetadataProperties; the pipeline writes TriggerReason and InputDataUrl there. */
  CUSTOMER_METADATA_VALUE: { shape: 'CustomerMetadataValue', minLength: 1, maxLength: 256, characters: '[\\p{L}\\p{Z}\\p{N}_.:\\/=+\\-@]' },
  /** ModelPackageDescription; the pipeline writes "Trained on <InputDataUrl> by run <id> because <TriggerReason>". */
  ENTITY_DESCRIPTION: { shape: 'EntityDescription', minLength: 0, maxLength: 1024, characters: '[\\p{L}\\p{M}\\p{Z}\\p{S}\\p{N}\\p{P}]' },
  /** UpdateModelPackage's ApprovalDescription: the CLI's approve, reject and rollback --note. */
  APPROVAL_DESCRIPTION: { shape: 'ApprovalDescription', minLength: 0, maxLength: 1024 },
  /** A pipeline parameter's Value in StartPipelineExecution. */
  PIPELINE_PARAMETER_VALUE: { shape: 'String1024', minLength: 0, maxLength: 1024 },
  /** StartPipelineExecution's PipelineExecutionDescription. */
  PIPELINE_EXECUTION_DESCRIPTION: { shape: 'PipelineExecutionDescription', minLength: 0, maxLength: 3072 },
} as const satisfies Record<string, StringLimit>;

/** Whether every character of `value` is one `limit` allows (always, for a limit without a character class). */
export function hasAllowedCharacters(value: string, limit: StringLimit): boolean {
  return limit.characters === undefined || new RegExp(`^${limit.characters}*$`, 'u').test(value);
}

/** Whether `value` fits `limit`: its length and its characters. */
export function fits(value: string, limit: StringLimit): boolean {
  return value.length >= limit.minLength && value.length <= limit.maxLength && hasAllowedCharacters(value, limit);
}

/**
 * `value` made to fit a CustomerMetadataValue, for machine input such as S3 object keys: every run
 * of characters the shape does not allow becomes one `-`, and the result is cut to 256 code units
 * without splitting a surrogate pair. Never empty.
 */
export function toCustomerMetadataValue(value: string): string {
  const limit = SAGEMAKER_LIMITS.CUSTOMER_METADATA_VALUE;
  const disallowed = new RegExp(`${limit.characters.replace(/^\[/, '[^')}+`, 'gu');
  const replaced = value.replace(disallowed, '-');
  return truncateCodeUnits(replaced, limit.maxLength) || '-';
}

/**
 * `value` without line breaks and other control characters (each becomes a space), for fields whose
 * pattern is `.*`, which matches no line terminator.
 */
export function withoutControlCharacters(value: string): string {
  return value.replace(/[\p{Cc}\p{Zl}\p{Zp}]/gu, ' ');
}

/** The longest prefix of `value` at most `max` UTF-16 code units long that does not end inside a surrogate pair. */
export function truncateCodeUnits(value: string, max: number): string {
  if (value.length <= max) return value;
  let end = max;
  const last = value.charCodeAt(end - 1);
  if (last >= 0xd800 && last <= 0xdbff) end -= 1;
  return value.slice(0, end);
}
