import type { FastifyRequest } from 'fastify';
import { AnswerErrorsAs, type ErrorShape, type JudgedError, type ShapedError } from '../common/error-shape';
import type { ErrorCode } from '../common/error-codes';

/** One of FusionAuth's errors: `code` like `[missing]key.algorithm`, and a message for people. */
export interface FusionAuthError {
  code: string;
  message: string;
}

/** FusionAuth's `Errors`: problems per field, and the others. */
export interface FusionAuthErrors {
  fieldErrors: Record<string, FusionAuthError[]>;
  generalErrors: FusionAuthError[];
}

/** Answered with a status and no body at all (no content type either), as FusionAuth does: its clients' `exception` is then undefined. */
const BODILESS: Partial<Record<ErrorCode, number>> = {
  UNAUTHORIZED: 401,
  // FusionAuth answers 401 to an API key that may not call the endpoint.
  SCOPE_REQUIRED: 401,
  NOT_FOUND: 404,
  KEY_NOT_FOUND: 404,
  TENANT_NOT_FOUND: 404,
  RATE_LIMITED: 429,
  // FusionAuth answers its internal errors without a body too; the error is logged with its request id.
  INTERNAL_ERROR: 500,
};

/** Our request fields under FusionAuth's names. */
const FUSIONAUTH_FIELDS: Record<string, string> = {
  certificateValidityDays: 'expirationInstant',
  // FusionAuth imports one certificate; ours is a chain of one (certificateChain[0]).
  certificateChain: 'certificate',
  payload: 'claims',
  expiresIn: 'timeToLiveInSeconds',
};

/** Fields that are FusionAuth's own request members, never inside the wrapper (`key`, `search`). */
const TOP_LEVEL_FIELDS = new Set(['keyId', 'claims', 'timeToLiveInSeconds']);

/** Errors of our codes that FusionAuth reports against a field: the field, and the code's kind. */
const FIELD_CONFLICTS: Partial<Record<ErrorCode, (request: FastifyRequest) => string>> = {
  KEY_ID_TAKEN: () => 'keyId',
  // The key material came as whichever of these the import sent.
  KEY_MATERIAL_EXISTS: (request) =>
    ['key.privateKey', 'key.certificate', 'key.secret'].find((field) => valueAt(request, field) !== undefined) ?? 'key.publicKey',
  KID_TAKEN: () => 'key.kid',
};

/**
 * A route of the FusionAuth mount: its errors in FusionAuth's shape. `wrapper` is the member its body's fields sit in
 * (`key` of a KeyRequest, `search` of a KeySearchRequest), so that a field is named as FusionAuth names it: `key.algorithm`.
 */
export const FusionAuthRoute = (wrapper?: string) => AnswerErrorsAs(fusionAuthErrors(wrapper));

export function fusionAuthErrors(wrapper?: string): ErrorShape {
  return (error: JudgedError, request: FastifyRequest): ShapedError => {
    const bodiless = BODILESS[error.code];
    if (bodiless !== undefined) return { status: bodiless };
    const conflict = FIELD_CONFLICTS[error.code]?.(request);
    if (conflict)
      return { status: 400, body: { fieldErrors: { [conflict]: [{ code: `[duplicate]${conflict}`, message: error.message }] }, generalErrors: [] } };
    if (error.code === 'VALIDATION_FAILED' && error.errors) return { status: 400, body: fieldErrors(error, request, wrapper) };
    const code = error.code === 'MALFORMED_JSON' ? '[invalid]' : `[${error.code}]`;
    // FusionAuth refuses what it cannot do with a 400; the framework's own statuses (413, 415) and outages stay.
    const status = error.status === 409 ? 400 : error.status;
    return { status, body: { fieldErrors: {}, generalErrors: [{ code, message: error.message }] } satisfies FusionAuthErrors };
  };
}

function fieldErrors(error: JudgedError, request: FastifyRequest, wrapper: string | undefined): FusionAuthErrors {
  const answer: FusionAuthErrors = { fieldErrors: {}, generalErrors: [] };
  for (const { field, message } of error.errors!) {
    // The body as a whole (not a JSON object, an empty update) is no field.
    if (field === 'body') {
      answer.generalErrors.push({ code: '[invalid]', message });
      continue;
    }
    const name = fusionAuthField(field, wrapper);
    const code = `[${problemWith(valueAt(request, name))}]${name}`;
    (answer.fieldErrors[name] ??= []).push({ code, message });
  }
  return answer;
}

function fusionAuthField(field: string, wrapper: string | undefined): string {
  const [indexed, ...rest] = field.split('.');
  // An element of an array is reported on the array (certificateChain[0]: the certificate).
  const first = indexed.replace(/\[\d+\]$/, '');
  const renamed = [FUSIONAUTH_FIELDS[first] ?? first, ...rest].join('.');
  const inWrapper = wrapper !== undefined && first !== wrapper && !TOP_LEVEL_FIELDS.has(renamed) && !/^x-/i.test(first);
  return inWrapper ? `${wrapper}.${renamed}` : renamed;
}

/** FusionAuth's kinds of field error: left out, only blanks, or not what it should be. */
function problemWith(value: unknown): 'missing' | 'blank' | 'invalid' {
  if (value === undefined || value === null) return 'missing';
  return typeof value === 'string' && value.trim() === '' ? 'blank' : 'invalid';
}

/** The value the caller sent for a field (`key.algorithm` in the body or query, `X-FusionAuth-TenantId` in the headers, `keyId` in the path). */
function valueAt(request: FastifyRequest, field: string): unknown {
  if (/^x-/i.test(field)) return request.headers[field.toLowerCase()];
  // A key's id is in the path of generate and import (`/api/key/generate/{id}`), in the body of vend.
  const pathId = (request.params as { id?: string } | undefined)?.id;
  if (field === 'keyId' && pathId !== undefined) return pathId;
  // A GET's criteria are in its query.
  let value: unknown = request.body ?? request.query;
  for (const member of field.split('.')) {
    if (value === null || typeof value !== 'object' || !Object.prototype.hasOwnProperty.call(value, member)) return undefined;
    value = (value as Record<string, unknown>)[member];
  }
  return value;
}
