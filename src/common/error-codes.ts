import { HttpStatus } from '@nestjs/common';

/**
 * Every code an error answer carries (the envelope's `code`), with the status it is answered with: the exception
 * filter and the raw-socket answers take the status from here, and the OpenAPI document lists these codes. A code
 * exists only as a key of this map, so none can lack a status; the classes that throw them sit beside their feature.
 */
export const ERROR_STATUS = {
  // Any route: the framework, validation, credentials, limits and outages.
  VALIDATION_FAILED: HttpStatus.BAD_REQUEST,
  MALFORMED_JSON: HttpStatus.BAD_REQUEST,
  MALFORMED_REQUEST: HttpStatus.BAD_REQUEST,
  BAD_REQUEST: HttpStatus.BAD_REQUEST,
  UNAUTHORIZED: HttpStatus.UNAUTHORIZED,
  NOT_FOUND: HttpStatus.NOT_FOUND,
  PAYLOAD_TOO_LARGE: HttpStatus.PAYLOAD_TOO_LARGE,
  URI_TOO_LONG: HttpStatus.URI_TOO_LONG,
  HEADERS_TOO_LARGE: 431, // Request Header Fields Too Large: not in Nest's HttpStatus
  UNSUPPORTED_MEDIA_TYPE: HttpStatus.UNSUPPORTED_MEDIA_TYPE,
  RATE_LIMITED: HttpStatus.TOO_MANY_REQUESTS,
  SCOPE_REQUIRED: HttpStatus.FORBIDDEN,
  DATABASE_UNAVAILABLE: HttpStatus.SERVICE_UNAVAILABLE,
  NOT_READY: HttpStatus.SERVICE_UNAVAILABLE,
  INTERNAL_ERROR: HttpStatus.INTERNAL_SERVER_ERROR,
  // tenant-keys/key-errors.ts: /key and the JWKS.
  KEY_NOT_FOUND: HttpStatus.NOT_FOUND,
  KEY_ID_TAKEN: HttpStatus.CONFLICT,
  KEY_NOT_ACTIVE: HttpStatus.CONFLICT,
  KEY_MATERIAL_EXISTS: HttpStatus.CONFLICT,
  KID_TAKEN: HttpStatus.CONFLICT,
  ALIAS_TAKEN: HttpStatus.CONFLICT,
  CERTIFICATE_EXPIRED: HttpStatus.CONFLICT,
  TOKEN_REJECTED: HttpStatus.BAD_REQUEST,
  KEY_LIMIT_REACHED: HttpStatus.CONFLICT,
  // user-keys/user-key-errors.ts: /keys.
  USER_KEY_NOT_FOUND: HttpStatus.NOT_FOUND,
  USER_KEY_LIMIT_REACHED: HttpStatus.CONFLICT,
  // tenants/tenant-errors.ts: tenants and API keys (the CLI, /api-keys, the JWKS of an unknown tenant).
  TENANT_NOT_FOUND: HttpStatus.NOT_FOUND,
  API_KEY_NOT_FOUND: HttpStatus.NOT_FOUND,
  CANNOT_REVOKE_SELF: HttpStatus.CONFLICT,
  API_KEY_LIMIT_REACHED: HttpStatus.CONFLICT,
  // webhooks/webhook-errors.ts: /key/webhooks.
  WEBHOOK_NOT_FOUND: HttpStatus.NOT_FOUND,
  WEBHOOK_LIMIT_REACHED: HttpStatus.CONFLICT,
  // hsm/hsm-errors.ts: a key whose HSM is away.
  HSM_UNAVAILABLE: HttpStatus.SERVICE_UNAVAILABLE,
} as const satisfies Record<string, number>;

/** The closed union of error codes: a code is one only once it has a status above. */
export type ErrorCode = keyof typeof ERROR_STATUS;

/** The statuses error answers have: the ones routes document. */
export type ErrorStatus = (typeof ERROR_STATUS)[ErrorCode];

export const ERROR_CODES = Object.keys(ERROR_STATUS) as ErrorCode[];
