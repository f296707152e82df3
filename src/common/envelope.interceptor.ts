import { CallHandler, ExecutionContext, Injectable, NestInterceptor } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { map, type Observable } from 'rxjs';
import { Page, RESPONSE_MESSAGE } from './response-envelope';

/** Wraps what a route returns into the success envelope (routes that write with @Res answer their own body). */
@Injectable()
export class EnvelopeInterceptor implements NestInterceptor {
  constructor(private readonly reflector: Reflector) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const message = this.reflector.get<string>(RESPONSE_MESSAGE, context.getHandler()) ?? 'OK';
    return next
      .handle()
      .pipe(
        map((data: unknown) =>
          data instanceof Page ? { success: true, message, data: data.items, meta: data.meta } : { success: true, message, data: data ?? null },
        ),
      );
  }
}
