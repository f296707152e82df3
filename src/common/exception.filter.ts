import { ArgumentsHost, Catch, ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { isDatabaseUnavailable } from '../database/database-errors';
import { asDomainError, RateLimitedError, ValidationFailedError } from './domain-error';
import { ERROR_STATUS, type ErrorCode } from './error-codes';
import type { JudgedError } from './error-shape';
import { requestIdOf } from './request-id';
import { errorEnvelope } from './response-envelope';

interface PlainAnswer {
  code: ErrorCode;
  message: string;
}

/** The answers of errors Nest and Fastify raise themselves (no route, a body too large, the rate limit), by their code's status. */
const PLAIN_ANSWERS: Partial<Record<number, PlainAnswer>> = Object.fromEntries(
  (
    [
      { code: 'NOT_FOUND', message: 'Not found' },
      { code: 'PAYLOAD_TOO_LARGE', message: 'Request body too large' },
      { code: 'UNSUPPORTED_MEDIA_TYPE', message: 'Content-Type must be application/json' },
      { code: 'RATE_LIMITED', message: 'Too many requests' },
    ] satisfies PlainAnswer[]
  ).map((answer) => [ERROR_STATUS[answer.code], answer]),
);
/** Any other client error the framework raises keeps its status, with this code. */
const BAD_REQUEST: PlainAnswer = { code: 'BAD_REQUEST', message: 'Bad request' };

/** What Fastify refuses before a route runs (body too large, another content type): its own errors, with a status. */
interface FastifyClientError {
  code: string;
  statusCode: number;
}

function isFastifyClientError(error: unknown): error is FastifyClientError {
  const { code, statusCode } = (error ?? {}) as Partial<FastifyClientError>;
  return typeof code === 'string' && code.startsWith('FST_') && typeof statusCode === 'number' && statusCode >= 400 && statusCode < 500;
}

/** The one place where every error becomes the contract's envelope; unknown errors show nothing inside. */
@Catch()
export class EnvelopeExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger('Exceptions');

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const request = http.getRequest<FastifyRequest>();
    const requestId = requestIdOf(request);
    const reply = http.getResponse<FastifyReply>();
    const mapped = this.map(exception, requestId);
    if (reply.sent) return;
    if (mapped.retryAfterSeconds !== undefined) void reply.header('Retry-After', String(mapped.retryAfterSeconds));
    // A route of another API's shape (the FusionAuth mount) answers in its own; a body left out is no body at all.
    const shape = request.routeOptions?.config?.errorShape;
    if (shape) {
      const shaped = shape(mapped, request);
      void (shaped.body === undefined ? reply.code(shaped.status).send() : reply.code(shaped.status).send(shaped.body));
      return;
    }
    void reply.code(mapped.status).send(errorEnvelope(mapped.code, mapped.message, requestId, mapped.errors));
  }

  private map(exception: unknown, requestId: string): JudgedError {
    const domain = asDomainError(exception);
    if (domain) {
      const errors = domain instanceof ValidationFailedError ? domain.errors : undefined;
      const retryAfterSeconds = domain instanceof RateLimitedError ? domain.retryAfterSeconds : undefined;
      return { status: ERROR_STATUS[domain.code], code: domain.code, message: domain.message, errors, retryAfterSeconds };
    }
    if (exception instanceof HttpException && exception.getStatus() < 500) {
      const status = exception.getStatus();
      return { status, ...(PLAIN_ANSWERS[status] ?? { code: BAD_REQUEST.code, message: exception.message }) };
    }
    if (isFastifyClientError(exception)) return { status: exception.statusCode, ...(PLAIN_ANSWERS[exception.statusCode] ?? BAD_REQUEST) };
    if (isDatabaseUnavailable(exception)) {
      this.logger.warn(`Database unavailable [requestId=${requestId}]: ${(exception as Error).message}`);
      return { status: ERROR_STATUS.DATABASE_UNAVAILABLE, code: 'DATABASE_UNAVAILABLE', message: 'Database unavailable, try again shortly' };
    }
    const stack = exception instanceof Error ? exception.stack : String(exception);
    this.logger.error(`Unhandled error [requestId=${requestId}]`, stack);
    return { status: ERROR_STATUS.INTERNAL_ERROR, code: 'INTERNAL_ERROR', message: 'Internal server error' };
  }
}
