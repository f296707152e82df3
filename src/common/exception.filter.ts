import { ArgumentsHost, Catch, ExceptionFilter, HttpException, HttpStatus, Logger } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { isDatabaseUnavailable } from '../database/database-errors';
import { DomainError, ValidationFailedError } from './domain-error';
import { requestIdOf } from './request-id';
import type { ResponseEnvelope } from './response-envelope';

interface Mapped {
  status: number;
  message: string;
  errors?: ResponseEnvelope['errors'];
}

const PLAIN_MESSAGES: Partial<Record<number, string>> = {
  [HttpStatus.NOT_FOUND]: 'Not found',
  [HttpStatus.METHOD_NOT_ALLOWED]: 'Method not allowed',
  [HttpStatus.PAYLOAD_TOO_LARGE]: 'Request body too large',
  [HttpStatus.UNSUPPORTED_MEDIA_TYPE]: 'Content-Type must be application/json',
  [HttpStatus.TOO_MANY_REQUESTS]: 'Too many requests',
};

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
    const requestId = requestIdOf(http.getRequest<FastifyRequest>());
    const reply = http.getResponse<FastifyReply>();
    const mapped = this.map(exception, requestId);
    if (reply.sent) return;
    const body: ResponseEnvelope = { success: false, message: mapped.message, data: null, requestId };
    if (mapped.errors) body.errors = mapped.errors;
    void reply.code(mapped.status).send(body);
  }

  private map(exception: unknown, requestId: string): Mapped {
    if (exception instanceof ValidationFailedError) {
      return { status: exception.status, message: exception.message, errors: exception.errors };
    }
    if (exception instanceof DomainError) return { status: exception.status, message: exception.message };
    if (exception instanceof HttpException) {
      const status = exception.getStatus();
      if (status < 500) return { status, message: PLAIN_MESSAGES[status] ?? exception.message };
    }
    if (isFastifyClientError(exception)) return { status: exception.statusCode, message: PLAIN_MESSAGES[exception.statusCode] ?? 'Bad request' };
    if (isDatabaseUnavailable(exception)) {
      this.logger.warn(`Database unavailable [requestId=${requestId}]: ${(exception as Error).message}`);
      return { status: HttpStatus.SERVICE_UNAVAILABLE, message: 'Database unavailable, try again shortly' };
    }
    const stack = exception instanceof Error ? exception.stack : String(exception);
    this.logger.error(`Unhandled error [requestId=${requestId}]`, stack);
    return { status: HttpStatus.INTERNAL_SERVER_ERROR, message: 'Internal server error' };
  }
}
