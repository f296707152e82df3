import { type ArgumentMetadata, ValidationPipe, type ValidationError } from '@nestjs/common';
import { plainToInstance } from 'class-transformer';
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

/** The fields of each DTO whose value is the caller's own JSON object, kept exactly as sent (see FreeFormJson). */
const FREE_FORM_FIELDS = new WeakMap<object, string[]>();

/**
 * A field that holds the caller's own JSON object (JWT claims, a JWK): class-transformer never walks it, because it
 * drops keys named like Object's members (`toString`, `valueOf`: a claim lost without a word) and throws on a nested
 * `constructor`. Its type is still checked (IsObject on the field sees an empty object in its place).
 */
export function FreeFormJson(): PropertyDecorator {
  // Returns nothing: a property decorator's return value would become the property's descriptor.
  return (target, field) => {
    FREE_FORM_FIELDS.set(target.constructor, [...(FREE_FORM_FIELDS.get(target.constructor) ?? []), String(field)]);
  };
}

/** The DTO's free-form fields, its parent classes' included. */
function freeFormFields(metatype: object): string[] {
  const fields: string[] = [];
  for (let type: object | null = metatype; type && type !== Function.prototype; type = Object.getPrototypeOf(type) as object | null) {
    fields.push(...(FREE_FORM_FIELDS.get(type) ?? []));
  }
  return fields;
}

/** The DTOs a body must name at least one field of, with the message that says which. */
const NON_EMPTY_BODIES = new WeakMap<object, string>();

/** A body of this DTO must name one of its fields: `{}` is refused with `message`; a field sent as null names it. */
export function NonEmptyBody(message: string): ClassDecorator {
  return (target) => void NON_EMPTY_BODIES.set(target, message);
}

/** The DTOs whose body may also come wrapped in one member, with that member's name. */
const WRAPPED_BODIES = new WeakMap<object, string>();

/**
 * A body of this DTO may also come as `{ "<member>": { ... } }`, the shape FusionAuth's clients send: unwrapped before
 * it is checked, so that they work unchanged. Only a body with that one member, an object, is unwrapped.
 */
export function WrappedBody(member: string): ClassDecorator {
  return (target) => void WRAPPED_BODIES.set(target, member);
}

/** The body inside its wrapper, if the DTO takes one and the body is one; else the body as it came. */
function unwrapped(value: unknown, metadata: ArgumentMetadata): unknown {
  const member = metadata.metatype && WRAPPED_BODIES.get(metadata.metatype);
  if (!member || !isJsonObject(value)) return value;
  const keys = Object.keys(value);
  return keys.length === 1 && keys[0] === member && isJsonObject(value[member]) ? value[member] : value;
}

function isJsonObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** Validates DTOs at the edge: unknown fields are refused, every field's problem is named. */
class EdgeValidationPipe extends ValidationPipe {
  /** The DTOs that `{}` (nothing sent) has passed: their rules depend on the value alone, so it always will. */
  private readonly emptyPasses = new WeakSet<object>();

  override async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    if (metadata.type === 'body') value = value === undefined ? {} : unwrapped(value, metadata);
    if (metadata.type === 'body' && !isJsonObject(value)) {
      throw new ValidationFailedError([{ field: 'body', message: 'body must be a JSON object' }]);
    }
    const forbidden = FORBIDDEN_KEYS.filter((key) => Object.prototype.hasOwnProperty.call(value, key));
    if (metadata.type === 'body' && forbidden.length > 0) {
      throw new ValidationFailedError(forbidden.map((field) => ({ field, message: `property ${field} should not exist` })));
    }
    // No DTO to validate against (a path id, the tenant, the actor): ValidationPipe's own answer, without its steps.
    if (!metadata.metatype || !this.toValidate(metadata)) return this.isTransformEnabled ? this.transformPrimitive(value, metadata) : value;
    if (!isJsonObject(value)) return super.transform(value, metadata);
    const empty = Object.keys(value).length === 0;
    const emptyMessage = metadata.type === 'body' && empty && NON_EMPTY_BODIES.get(metadata.metatype);
    if (emptyMessage) throw new ValidationFailedError([{ field: 'body', message: emptyMessage }]);
    if (empty && this.emptyPasses.has(metadata.metatype)) return plainToInstance(metadata.metatype, {}, this.transformOptions);
    // The caller's own objects stand aside while the rest is transformed and validated, then come back as sent.
    const kept = freeFormFields(metadata.metatype).filter((field) => isJsonObject(value[field]));
    const placeholders = Object.fromEntries(kept.map((field) => [field, {}]));
    const transformed = (await super.transform({ ...value, ...placeholders }, metadata)) as Record<string, unknown>;
    for (const field of kept) transformed[field] = value[field];
    if (empty) this.emptyPasses.add(metadata.metatype);
    return transformed;
  }
}

export function createValidationPipe(): ValidationPipe {
  return new EdgeValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    transform: true,
    // A field transformed to undefined (null where null means left out, see Optional) is not set: absent, as if left out.
    transformOptions: { exposeUnsetFields: false },
    forbidUnknownValues: true,
    validationError: { target: false, value: false },
    exceptionFactory: (errors) => new ValidationFailedError(flatten(errors)),
  });
}
