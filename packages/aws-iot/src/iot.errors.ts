/** Why an AWS IoT call failed; the same failure kinds as the device lifecycle's control-plane port. */
export type AwsIotFailure = 'invalid_request' | 'not_found' | 'conflict' | 'throttled' | 'unavailable' | 'denied';

/**
 * AWS IoT's exception names, by failure. The SDK already retried throttling and 5xx a few times
 * with backoff before one of these reaches us, so `retryable` means "later", not "at once".
 */
const FAILURE_BY_EXCEPTION: Record<string, AwsIotFailure> = {
  InvalidRequestException: 'invalid_request',
  MalformedPolicyException: 'invalid_request',
  CertificateValidationException: 'invalid_request',
  ResourceNotFoundException: 'not_found',
  ResourceAlreadyExistsException: 'conflict',
  ConflictingResourceUpdateException: 'conflict',
  VersionConflictException: 'conflict',
  DeleteConflictException: 'conflict',
  ThrottlingException: 'throttled',
  LimitExceededException: 'throttled',
  ServiceUnavailableException: 'unavailable',
  InternalFailureException: 'unavailable',
  InternalException: 'unavailable',
  UnauthorizedException: 'denied',
  AccessDeniedException: 'denied',
};

const RETRYABLE: ReadonlySet<AwsIotFailure> = new Set(['throttled', 'unavailable']);

/** An expected failure of an AWS IoT call, with the operation it came from and whether to retry. */
export class AwsIotError extends Error {
  readonly retryable: boolean;

  constructor(
    readonly failure: AwsIotFailure,
    readonly operation: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`AWS IoT ${operation} failed: ${message}`, options);
    this.name = 'AwsIotError';
    this.retryable = RETRYABLE.has(failure);
  }
}

/** The failure kind of an SDK exception, undefined for anything AWS IoT did not answer with. */
export function failureOf(error: unknown): AwsIotFailure | undefined {
  return error instanceof Error ? FAILURE_BY_EXCEPTION[error.name] : undefined;
}

/**
 * AWS IoT's answer as an `AwsIotError`; anything else (a bug, a credential chain that found
 * nothing) is passed on unchanged, since guessing it retryable would hide it.
 */
export function asAwsIotError(operation: string, error: unknown): unknown {
  const failure = failureOf(error);
  if (!failure) return error;
  const message = error instanceof Error && error.message ? error.message : failure;
  return new AwsIotError(failure, operation, `${failure}: ${message}`, { cause: error });
}
