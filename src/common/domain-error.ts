import { HttpStatus } from '@nestjs/common';

export interface FieldError {
  field: string;
  message: string;
}

/** An expected failure with a stable code; the exception filter maps it to its status and the envelope. */
export class DomainError extends Error {
  constructor(
    readonly code: string,
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

export class NotFoundError extends DomainError {
  constructor(code: string, message: string) {
    super(code, HttpStatus.NOT_FOUND, message);
  }
}

/** A body that is not JSON although its content type says it is. */
export class MalformedJsonError extends DomainError {
  constructor() {
    super('MALFORMED_JSON', HttpStatus.BAD_REQUEST, 'Malformed JSON body');
  }
}
