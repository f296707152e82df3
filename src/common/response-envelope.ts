import { RouteConfig } from '@nestjs/platform-fastify';
import type { FieldError } from './domain-error';
import type { ErrorCode } from './error-codes';

/** The body of every response, success or error. */
export interface ResponseEnvelope<T = unknown> {
  success: boolean;
  message: string;
  /** On errors: the stable code (`KEY_NOT_FOUND`, `VALIDATION_FAILED`, ...), for clients to tell answers apart. */
  code?: ErrorCode;
  data: T | null;
  errors?: FieldError[];
  requestId?: string;
  meta?: PageMeta;
}

export interface PageMeta {
  limit: number;
  /** Pass as `cursor` for the next page; null on the last page. */
  nextCursor: string | null;
}

/** A page of a list: the envelope puts the items in `data` and the paging in `meta` beside it. */
export class Page<T> {
  constructor(
    readonly items: T[],
    readonly meta: PageMeta,
  ) {}
}

/** The `message` of a route's successful envelope (common/envelope.ts), in the route's Fastify config. */
export const ResponseMessage = (message: string) => RouteConfig({ responseMessage: message });

/** The envelope of every error answer, wherever it is written (the exception filter, the raw socket, the router). */
export function errorEnvelope(code: ErrorCode, message: string, requestId: string, errors?: FieldError[]): ResponseEnvelope {
  return { success: false, message, code, data: null, requestId, ...(errors ? { errors } : {}) };
}
