/**
 * How the handlers tell AWS errors apart: one rule for "retry later" versus "retrying cannot fix
 * it", shared by the deployer and the batch scorer.
 */

export type AwsError = Error & { $fault?: string; $metadata?: { httpStatusCode?: number } };

export function isAwsError(error: unknown): error is AwsError {
  return error instanceof Error && '$metadata' in error;
}

/** Error names that mean "not now" rather than "never". */
const RETRYABLE_ERROR_NAMES = new Set([
  'ThrottlingException',
  'Throttling',
  'ThrottledException',
  'TooManyRequestsException',
  'RequestLimitExceeded',
  'ConcurrentUpdateException',
]);

/** Throttling, 5xx and failures without an HTTP answer (network, timeouts) can succeed later; other 4xx cannot. */
export function isRetryable(error: unknown): boolean {
  if (!isAwsError(error)) return true;
  if (RETRYABLE_ERROR_NAMES.has(error.name)) return true;
  const status = error.$metadata?.httpStatusCode;
  if (error.$fault === 'server' || (status !== undefined && (status >= 500 || status === 429))) return true;
  return error.$fault !== 'client' && (status === undefined || status < 400);
}

export function errorText(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

/** The fields a structured log line gives an error. */
export function errorAttributes(error: unknown): Record<string, unknown> {
  return {
    errorName: error instanceof Error ? error.name : typeof error,
    errorMessage: error instanceof Error ? error.message : String(error),
    httpStatusCode: isAwsError(error) ? error.$metadata?.httpStatusCode : undefined,
  };
}
