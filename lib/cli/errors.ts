import { isAwsError } from '../../lambda/deployer/resources';
import { ConfigError } from '../config-loader';

/** The operator CLI's exit codes; `cdk-mlops --help` lists them. */
export const EXIT_CODE = {
  OK: 0,
  /** The operation ran and failed: a pipeline execution failed, AWS answered an unexpected error. */
  FAILED: 1,
  /** Bad arguments or flags, an unknown stage, an invalid config file, a confirmation that cannot be asked. */
  USAGE: 2,
  /** No or rejected credentials, access denied, AWS or the emulator unreachable. */
  AWS_ACCESS: 3,
  /** A resource that does not exist, or an action refused by the loop's rules. */
  REFUSED: 4,
} as const;
export type ExitCode = (typeof EXIT_CODE)[keyof typeof EXIT_CODE];

/** An expected failure: its message is for the operator and is printed without a stack trace. */
export class CliError extends Error {
  constructor(
    message: string,
    public readonly exitCode: ExitCode,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

export class UsageError extends CliError {
  constructor(message: string) {
    super(message, EXIT_CODE.USAGE);
  }
}

/** Something asked for does not exist, or the loop's rules refuse it. */
export class RefusedError extends CliError {
  constructor(message: string) {
    super(message, EXIT_CODE.REFUSED);
  }
}

export class OperationFailedError extends CliError {
  constructor(message: string) {
    super(message, EXIT_CODE.FAILED);
  }
}

/** Where the CLI was talking to, so connection and credential messages can name it. */
export interface ConnectionContext {
  readonly region: string;
  readonly endpointUrl?: string;
  readonly profile?: string;
}

export interface ExplainedError {
  readonly message: string;
  readonly exitCode: ExitCode;
  /** False for the failures the CLI expects; only unexpected ones suggest --debug. */
  readonly unexpected: boolean;
}

// Errors AWS answers when the credentials exist but are wrong or stale.
const REJECTED_CREDENTIALS = new Set([
  'UnrecognizedClientException',
  'InvalidClientTokenId',
  'InvalidSignatureException',
  'SignatureDoesNotMatch',
  'IncompleteSignature',
  'ExpiredToken',
  'ExpiredTokenException',
]);
const ACCESS_DENIED = new Set(['AccessDenied', 'AccessDeniedException', 'UnauthorizedOperation']);
// Node's socket errors and the SDK's connection timeout.
const UNREACHABLE = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH']);

/** The message and exit code of any error a command can throw. */
export function explainError(error: unknown, connection?: ConnectionContext): ExplainedError {
  const expected = (message: string, exitCode: ExitCode): ExplainedError => ({ message, exitCode, unexpected: false });
  if (error instanceof CliError) return expected(error.message, error.exitCode);
  if (error instanceof ConfigError) return expected(error.message, EXIT_CODE.USAGE);
  if (!(error instanceof Error)) return { message: `unexpected failure: ${String(error)}`, exitCode: EXIT_CODE.FAILED, unexpected: true };

  if (error.name === 'CredentialsProviderError') {
    return expected(
      connection?.profile
        ? `no AWS credentials found for profile "${connection.profile}": check it in ~/.aws/config, or run aws configure --profile ${connection.profile} (aws sso login --profile ${connection.profile} for SSO)`
        : 'no AWS credentials found: set AWS_PROFILE or pass --profile, or run aws configure',
      EXIT_CODE.AWS_ACCESS,
    );
  }
  if (REJECTED_CREDENTIALS.has(error.name)) {
    return expected(
      `AWS rejected the credentials (${error.name}: ${error.message}): refresh them (aws sso login, or new keys) or pick another profile`,
      EXIT_CODE.AWS_ACCESS,
    );
  }
  if (ACCESS_DENIED.has(error.name)) {
    return expected(
      `access denied: ${error.message}. Use a role allowed to operate the stage (the stack's ModelRegistry.grantApprove grants the registry actions)`,
      EXIT_CODE.AWS_ACCESS,
    );
  }
  const code = (error as { code?: unknown }).code;
  if ((typeof code === 'string' && UNREACHABLE.has(code)) || error.name === 'TimeoutError') {
    const target = connection?.endpointUrl
      ? `${connection.endpointUrl} (${error.message}): is the emulator running there? Check --endpoint-url (or AWS_ENDPOINT_URL)`
      : `AWS in ${connection?.region ?? 'the selected region'} (${error.message}): check the network and --region`;
    return expected(`cannot reach ${target}`, EXIT_CODE.AWS_ACCESS);
  }
  if (isAwsError(error)) {
    return { message: `AWS answered ${error.name}: ${error.message}`, exitCode: EXIT_CODE.FAILED, unexpected: true };
  }
  return { message: `unexpected failure: ${error.message}`, exitCode: EXIT_CODE.FAILED, unexpected: true };
}

/** One line saying why a call failed, for notes inside otherwise successful output. */
export function briefReason(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  // An HTML error page (an emulator's 500) fails to parse; its status says more than the parser.
  if (isAwsError(error) && error.name === 'SyntaxError') return `HTTP ${error.$metadata?.httpStatusCode ?? 'error'}`;
  return `${error.name}: ${error.message.split('\n')[0]}`;
}
