import { ThrottlerModule, type ThrottlerModuleOptions } from '@nestjs/throttler';
import type { FastifyRequest } from 'fastify';
import { APP_CONFIG, type RuntimeConfig } from '../config/config';
import type { AuthenticatedRequest } from '../common/request-context';

/**
 * Who a request counts against: the API key or the user the AuthGuard (which runs first) found. Public
 * routes (health, JWKS) are not limited; the JWKS is a cached static answer meant for every verifier.
 */
export function credentialOf(req: FastifyRequest & AuthenticatedRequest): string | undefined {
  if (req.tenant) return `api-key:${req.tenant.apiKeyId}`;
  if (req.user) return `user:${req.user.issuer}\u0000${req.user.userId}`;
  return undefined;
}

/** @nestjs/throttler, per credential, configured by RATE_LIMIT (requests/seconds, or off). */
export const RateLimitModule = ThrottlerModule.forRootAsync({
  inject: [APP_CONFIG],
  useFactory: ({ rateLimit }: RuntimeConfig): ThrottlerModuleOptions => ({
    throttlers: [{ limit: rateLimit?.limit ?? 1, ttl: (rateLimit?.windowSeconds ?? 1) * 1000 }],
    errorMessage: 'Too many requests',
    skipIf: (context) => !rateLimit || credentialOf(context.switchToHttp().getRequest()) === undefined,
    getTracker: (req) => credentialOf(req as FastifyRequest & AuthenticatedRequest)!,
  }),
});
