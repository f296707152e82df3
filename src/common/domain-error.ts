import { HttpStatus } from '@nestjs/common';
import { KeyInputError } from '../crypto/key-input-error';
import { RsaGenerationsBusyError } from '../crypto/signing-keys';
import { isDatabaseUnavailable } from '../database/database-errors';

export interface FieldError {
  field: string;
  message: string;
}

/** Codes any route may answer with; each feature adds its own closed list (the OpenAPI document lists them all). */
export const COMMON_ERROR_CODES = [
  'VALIDATION_FAILED',
  'MALFORMED_JSON',
  'MALFORMED_REQUEST',
  'BAD_REQUEST',
  'UNAUTHORIZED',
  'FORBIDDEN',
  'NOT_FOUND',
  'METHOD_NOT_ALLOWED',
  'PAYLOAD_TOO_LARGE',
  'URI_TOO_LONG',
  'HEADERS_TOO_LARGE',
  'UNSUPPORTED_MEDIA_TYPE',
  'RATE_LIMITED',
  'SCOPE_REQUIRED',
  'DATABASE_UNAVAILABLE',
  'NOT_READY',
  'INTERNAL_ERROR',
] as const;
export type CommonErrorCode = (typeof COMMON_ERROR_CODES)[number];

/**
 * An expected failure with a stable code from a closed union (the envelope's `code`); the exception filter maps
 * it to its status and the envelope.
 */
export class DomainError<Code extends string = CommonErrorCode> extends Error {
  constructor(
    readonly code: Code,
    readonly status: HttpStatus,
    message: string,
  ) {
    super(message);
  }
}

export class ValidationFailedError extends DomainError {
  constructor(readonly errors: FieldError[]) {
    super('VALIDATION_FAILED', HttpStatus.BAD_REQUEST, 'Validation failed');
  }
}

export class UnauthorizedError extends DomainError {
  constructor(message = 'Invalid or missing credentials') {
    super('UNAUTHORIZED', HttpStatus.UNAUTHORIZED, message);
  }
}

export class ForbiddenError extends DomainError {
  constructor(message: string) {
    super('FORBIDDEN', HttpStatus.FORBIDDEN, message);
  }
}

/** The credential lacks what the call needs: the message names the scope. */
export class ScopeRequiredError extends DomainError {
  constructor(message: string) {
    super('SCOPE_REQUIRED', HttpStatus.FORBIDDEN, message);
  }
}

/** A body that is not JSON although its content type says it is. */
export class MalformedJsonError extends DomainError {
  constructor() {
    super('MALFORMED_JSON', HttpStatus.BAD_REQUEST, 'Malformed JSON body');
  }
}

/** Too much of one kind at once for this caller: a 429 whose Retry-After says when to try again. */
export class RateLimitedError extends DomainError {
  constructor(
    message: string,
    readonly retryAfterSeconds: number,
  ) {
    super('RATE_LIMITED', HttpStatus.TOO_MANY_REQUESTS, message);
  }
}

/** When to try again after an RSA generation was refused: about the time one takes. */
const RSA_GENERATION_RETRY_AFTER_SECONDS = 1;

/**
 * The domain error an error stands for, if any: a key that crypto/ refused is a 400 naming the field at fault, an
 * RSA generation refused because the caller's queue is full a 429.
 */
export function asDomainError(error: unknown): DomainError<string> | undefined {
  if (error instanceof DomainError) return error as DomainError<string>;
  if (error instanceof KeyInputError) return new ValidationFailedError([{ field: error.field, message: error.message }]);
  if (error instanceof RsaGenerationsBusyError) return new RateLimitedError(error.message, RSA_GENERATION_RETRY_AFTER_SECONDS);
  return undefined;
}

/** The code an error answers with: its domain code, DATABASE_UNAVAILABLE, or INTERNAL_ERROR for anything unexpected. */
export function errorCodeOf(error: unknown): string {
  return asDomainError(error)?.code ?? (isDatabaseUnavailable(error) ? 'DATABASE_UNAVAILABLE' : 'INTERNAL_ERROR');
}
