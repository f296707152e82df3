import { type ArgumentMetadata, ValidationPipe, type ValidationError } from '@nestjs/common';
import { ValidationFailedError, type FieldError } from './domain-error';

/** Type checks say the most when a value is of the wrong kind, so they speak first. */
const TYPE_CONSTRAINTS = ['isString', 'isInt', 'whitelistValidation'];
/** JSON.parse keeps these as own keys; class-transformer drops them silently instead of refusing them. */
const FORBIDDEN_KEYS = ['__proto__', 'constructor', 'prototype'];

/** One entry per field: its most telling problem. */
function flatten(errors: ValidationError[], parent = ''): FieldError[] {
  return errors.flatMap((error) => {
    const field = parent ? `${parent}.${error.property}` : error.property;
    const constraints = error.constraints ?? {};
    const key = TYPE_CONSTRAINTS.find((name) => name in constraints) ?? Object.keys(constraints)[0];
    const own = key ? [{ field, message: constraints[key] }] : [];
    return [...own, ...flatten(error.children ?? [], field)];
  });
}

/** Validates DTOs at the edge: unknown fields are refused, every field's problem is named. */
class EdgeValidationPipe extends ValidationPipe {
  override async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    if (metadata.type === 'body' && value === undefined) value = {};
    if (metadata.type === 'body' && (value === null || typeof value !== 'object' || Array.isArray(value))) {
      throw new ValidationFailedError([{ field: 'body', message: 'body must be a JSON object' }]);
    }
    const forbidden = FORBIDDEN_KEYS.filter((key) => Object.prototype.hasOwnProperty.call(value, key));
    if (metadata.type === 'body' && forbidden.length > 0) {
      throw new ValidationFailedError(forbidden.map((field) => ({ field, message: `property ${field} should not exist` })));
    }
    return super.transform(value, metadata);
  }
}

export function createValidationPipe(): ValidationPipe {
  return new EdgeValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    transform: true,
    forbidUnknownValues: true,
    validationError: { target: false, value: false },
    exceptionFactory: (errors) => new ValidationFailedError(flatten(errors)),
  });
}
