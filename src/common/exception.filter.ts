import { ArgumentsHost, Catch, ExceptionFilter, HttpException, HttpStatus, Logger } from '@nestjs/common';
import type { Request, Response } from 'express';
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
  [HttpStatus.TOO_MANY_REQUESTS]: 'Too many requests',
};

/** The one place where every error becomes the contract's envelope; unknown errors show nothing inside. */
@Catch()
export class EnvelopeExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger('Exceptions');

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const req = http.getRequest<Request>();
    const res = http.getResponse<Response>();
    const requestId = requestIdOf(req);
    const mapped = this.map(exception, requestId);
    if (res.headersSent) return;
    const body: ResponseEnvelope = { success: false, message: mapped.message, data: null, requestId };
    if (mapped.errors) body.errors = mapped.errors;
    res.status(mapped.status).json(body);
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
    if (isDatabaseUnavailable(exception)) {
      this.logger.warn(`Database unavailable [requestId=${requestId}]: ${(exception as Error).message}`);
      return { status: HttpStatus.SERVICE_UNAVAILABLE, message: 'Database unavailable, try again shortly' };
    }
    const stack = exception instanceof Error ? exception.stack : String(exception);
    this.logger.error(`Unhandled error [requestId=${requestId}]`, stack);
    return { status: HttpStatus.INTERNAL_SERVER_ERROR, message: 'Internal server error' };
  }
}
