import { KeyInputError } from '../crypto/key-input-error';
import { RsaGenerationsBusyError } from '../crypto/signing-keys';
import { isDatabaseUnavailable } from '../database/database-errors';
import type { ErrorCode } from './error-codes';

export interface FieldError {
  field: string;
  message: string;
}

/**
 * An expected failure with a stable code (the envelope's `code`); the exception filter answers it with the status
 * the code has in ERROR_STATUS, and the envelope. Each feature declares its subclasses in its own errors file.
 */
export abstract class DomainError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message);
  }
}

export class ValidationFailedError extends DomainError {
  constructor(readonly errors: FieldError[]) {
    super('VALIDATION_FAILED', 'Validation failed');
  }
}

export class UnauthorizedError extends DomainError {
  constructor(message = 'Invalid or missing credentials') {
    super('UNAUTHORIZED', message);
  }
}

/** The credential lacks what the call needs: the message names the scope. */
export class ScopeRequiredError extends DomainError {
  constructor(message: string) {
    super('SCOPE_REQUIRED', message);
  }
}

/** A body that is not JSON although its content type says it is. */
export class MalformedJsonError extends DomainError {
  constructor() {
    super('MALFORMED_JSON', 'Malformed JSON body');
  }
}

/** Too much of one kind at once for this caller: a 429 whose Retry-After says when to try again. */
export class RateLimitedError extends DomainError {
  constructor(
    message: string,
    readonly retryAfterSeconds: number,
  ) {
    super('RATE_LIMITED', message);
  }
}

/** When to try again after an RSA generation was refused: about the time one takes. */
const RSA_GENERATION_RETRY_AFTER_SECONDS = 1;

/**
 * The domain error an error stands for, if any: a key that crypto/ refused is a 400 naming the field at fault, an
 * RSA generation refused because the caller's queue is full a 429.
 */
export function asDomainError(error: unknown): DomainError | undefined {
  if (error instanceof DomainError) return error;
  if (error instanceof KeyInputError) return new ValidationFailedError([{ field: error.field, message: error.message }]);
  if (error instanceof RsaGenerationsBusyError) return new RateLimitedError(error.message, RSA_GENERATION_RETRY_AFTER_SECONDS);
  return undefined;
}

/** The code an error answers with: its domain code, DATABASE_UNAVAILABLE, or INTERNAL_ERROR for anything unexpected. */
export function errorCodeOf(error: unknown): ErrorCode {
  return asDomainError(error)?.code ?? (isDatabaseUnavailable(error) ? 'DATABASE_UNAVAILABLE' : 'INTERNAL_ERROR');
}
