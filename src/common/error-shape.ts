import { RouteConfig } from '@nestjs/platform-fastify';
import type { FastifyRequest } from 'fastify';
import type { FieldError } from './domain-error';
import type { ErrorCode } from './error-codes';

/** An error as the exception filter has judged it: the status, code and message the envelope would carry. */
export interface JudgedError {
  status: number;
  code: ErrorCode;
  message: string;
  errors?: FieldError[];
  retryAfterSeconds?: number;
}

/** What a route answers an error with instead of the envelope: a status, and a JSON body or none at all. */
export interface ShapedError {
  status: number;
  body?: unknown;
}

/** Writes an error in another API's shape (the FusionAuth mount), from the filter's judgement and the request. */
export type ErrorShape = (error: JudgedError, request: FastifyRequest) => ShapedError;

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Set by @ErrorShape: the route's errors are answered in this shape, not the envelope (exception.filter.ts). */
    errorShape?: ErrorShape;
  }
}

/**
 * The route answers errors in `shape`. Route config, not a Nest filter: errors Fastify raises before Nest's handler
 * (malformed JSON, a body too large) reach only the global filter, which reads the config of the route they were for.
 */
export const AnswerErrorsAs = (shape: ErrorShape) => RouteConfig({ errorShape: shape });
