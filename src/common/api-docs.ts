import { applyDecorators, type Type } from '@nestjs/common';
import { ApiExtraModels, ApiProperty, ApiPropertyOptional, ApiResponse, getSchemaPath, type OpenAPIObject } from '@nestjs/swagger';
import type { ResponsesObject } from '@nestjs/swagger/dist/interfaces/open-api-spec.interface';
import { MAX_PATH_PARAMETER_LENGTH } from './client-errors';
import { ERROR_CODES, type ErrorStatus } from './error-codes';

/** The OpenAPI side of the envelope: these classes only describe what the interceptor and filter write. */
export class FieldErrorDoc {
  @ApiProperty({ example: 'name' })
  field: string;

  @ApiProperty({ example: 'name must be 1 to 255 characters' })
  message: string;
}

export class PageMetaDoc {
  @ApiProperty({ example: 100 })
  limit: number;

  @ApiProperty({ type: String, nullable: true, description: 'Pass as `cursor` for the next page; null on the last page.' })
  nextCursor: string | null;
}

/** What every success answer has; its `data` is the operation's own (see ApiEnvelope). */
export class EnvelopeDoc {
  @ApiProperty({ example: true })
  success: boolean;

  @ApiProperty({ example: 'Key generated' })
  message: string;
}

export class ErrorEnvelopeDoc {
  @ApiProperty({ example: false })
  success: boolean;

  @ApiProperty({ example: 'Validation failed' })
  message: string;

  @ApiProperty({
    type: String,
    enum: ERROR_CODES,
    example: 'VALIDATION_FAILED',
    description: 'What went wrong, as a stable code: clients tell two answers of one status apart by it.',
  })
  code: string;

  @ApiProperty({ type: 'object', additionalProperties: false, nullable: true, description: 'Always null.' })
  data: null;

  @ApiProperty({ example: '9b2f6a51-0f57-4e0a-a4ad-6ad3b1d3c0a2', description: 'The X-Request-Id of the request, to quote in a report.' })
  requestId: string;

  @ApiPropertyOptional({ type: [FieldErrorDoc], description: 'One entry per field, on 400 validation errors.' })
  errors?: FieldErrorDoc[];
}

/** What each error status a route documents means there. */
const ERROR_DESCRIPTIONS = {
  400: 'Validation failed, malformed JSON or a bad id (`errors` names the fields)',
  401: 'Missing or invalid credentials (always the same answer)',
  403: 'The access token lacks the scope',
  404: 'No such key (or tenant) for this caller',
  409: 'The id is taken, the key is not in a state to do this, or a per-tenant or per-user limit is reached',
  413: 'Body over 100 KB',
  414: `A path parameter over ${MAX_PATH_PARAMETER_LENGTH} characters`,
  415: 'Body is not application/json',
  429: 'Rate limit reached; see Retry-After',
  500: 'Internal error (nothing of it is shown)',
  503: 'Database unavailable, try again shortly',
} as const satisfies Partial<Record<ErrorStatus, string>>;
type DocumentedStatus = keyof typeof ERROR_DESCRIPTIONS;

/** Error answers of a route, each in the envelope. */
export function ApiErrors(...statuses: DocumentedStatus[]) {
  return applyDecorators(
    ApiExtraModels(ErrorEnvelopeDoc),
    ...statuses.map((status) => ApiResponse({ status, description: ERROR_DESCRIPTIONS[status], schema: { $ref: getSchemaPath(ErrorEnvelopeDoc) } })),
  );
}

/** ApiErrors' answers as an OpenAPI `responses` object, for an operation written into the document by hand. */
export function errorResponses(...statuses: DocumentedStatus[]): ResponsesObject {
  return Object.fromEntries(
    statuses.map((status) => [
      status,
      { description: ERROR_DESCRIPTIONS[status], content: { 'application/json': { schema: { $ref: getSchemaPath(ErrorEnvelopeDoc) } } } },
    ]),
  );
}

/**
 * The router answers 414 to a path parameter over its limit, before any route runs: documented on every operation
 * that has a path parameter, as ApiErrors would.
 */
export function documentPathParameterLimit(document: OpenAPIObject): void {
  for (const path of Object.values(document.paths)) {
    for (const operation of [path.get, path.put, path.post, path.delete, path.patch]) {
      if (!operation?.parameters?.some((parameter) => 'in' in parameter && parameter.in === 'path')) continue;
      Object.assign(operation.responses, errorResponses(414));
    }
  }
}

/** A success answer in the envelope: `data` is `model` (or a list of it), with `meta` when paged. */
export function ApiEnvelope(model: Type, { status = 200, description = 'Success', isArray = false, paged = false } = {}) {
  const item = { $ref: getSchemaPath(model) };
  const properties: Record<string, object> = { data: isArray || paged ? { type: 'array', items: item } : item };
  if (paged) properties.meta = { $ref: getSchemaPath(PageMetaDoc) };
  return applyDecorators(
    ApiExtraModels(EnvelopeDoc, PageMetaDoc, model),
    ApiResponse({
      status,
      description,
      schema: { allOf: [{ $ref: getSchemaPath(EnvelopeDoc) }, { type: 'object', properties, required: ['data'] }] },
    }),
  );
}

/** The answer of a delete. */
export class DeletedView {
  @ApiProperty({ format: 'uuid' })
  id: string;
}
