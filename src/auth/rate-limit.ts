import { type ExecutionContext, Inject, Injectable } from '@nestjs/common';
import { ThrottlerGuard, ThrottlerModule, type ThrottlerModuleOptions } from '@nestjs/throttler';
import type { FastifyRequest } from 'fastify';
import { APP_CONFIG, type RateLimitKind, type RuntimeConfig } from '../config/config';
import type { AuthenticatedRequest } from '../common/request-context';
import { COUNTS_AS_READ } from '../common/route-access';

/** Reads are GETs and the routes marked @CountsAsRead(); every other call changes keys or credentials. */
function kindOf(context: ExecutionContext): RateLimitKind {
  const { method } = context.switchToHttp().getRequest<FastifyRequest>();
  const read = method === 'GET' || method === 'HEAD' || Reflect.getMetadata(COUNTS_AS_READ, context.getHandler()) === true;
  return read ? 'reads' : 'writes';
}

/**
 * Who a request counts against: the API key or the user the AuthGuard (which runs first) found. Public
 * routes (health, JWKS) are not limited; the JWKS is a cached static answer meant for every verifier.
 */
export function credentialOf(req: FastifyRequest & AuthenticatedRequest): string | undefined {
  if (req.tenant) return `api-key:${req.tenant.apiKeyId}`;
  if (req.user) return `user:${req.user.issuer}\u0000${req.user.userId}`;
  return undefined;
}

/**
 * @nestjs/throttler, per credential and per kind of call: RATE_LIMIT_WRITES (default 600/60) for calls that
 * change keys or credentials, RATE_LIMIT_READS (default off) for sign, verify and reads. Each kind counts apart.
 */
export const RateLimitModule = ThrottlerModule.forRootAsync({
  inject: [APP_CONFIG],
  useFactory: ({ rateLimits }: RuntimeConfig): ThrottlerModuleOptions => ({
    throttlers: [
      {
        limit: (context) => rateLimits[kindOf(context)]?.limit ?? 1,
        ttl: (context) => (rateLimits[kindOf(context)]?.windowSeconds ?? 1) * 1000,
      },
    ],
    errorMessage: 'Too many requests',
    getTracker: (req, context) => `${credentialOf(req as FastifyRequest & AuthenticatedRequest)!}|${kindOf(context)}`,
    // One budget per credential and kind across all routes (the throttler's own key would count each route apart).
    generateKey: (_context, tracker) => tracker,
  }),
});

/**
 * The throttler, skipped before any of its metadata look-ups when the call's kind has no limit (reads, by
 * default) or the route has no credential: only the calls a limit applies to pay for it.
 */
@Injectable()
export class RateLimitGuard extends ThrottlerGuard {
  @Inject(APP_CONFIG) private readonly config!: RuntimeConfig;

  protected override shouldSkip(context: ExecutionContext): Promise<boolean> {
    const skip = !this.config.rateLimits[kindOf(context)] || credentialOf(context.switchToHttp().getRequest()) === undefined;
    return Promise.resolve(skip);
  }
}
