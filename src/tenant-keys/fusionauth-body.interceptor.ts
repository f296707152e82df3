import { type CallHandler, type ExecutionContext, Injectable, type NestInterceptor } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import type { Observable } from 'rxjs';

/**
 * FusionAuth sends `{ "key": { ... } }` for the same calls: unwrapped before validation (interceptors run
 * ahead of pipes) so that its clients work unchanged.
 */
@Injectable()
export class FusionAuthBodyInterceptor implements NestInterceptor {
  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    const body: unknown = request.body;
    if (body && typeof body === 'object' && !Array.isArray(body)) {
      const keys = Object.keys(body);
      const inner = (body as { key?: unknown }).key;
      if (keys.length === 1 && keys[0] === 'key' && inner && typeof inner === 'object' && !Array.isArray(inner)) request.body = inner;
    }
    return next.handle();
  }
}
