import type { FastifyCorsOptions } from '@fastify/cors';
import type { FastifyReply, FastifyRequest, RouteOptions } from 'fastify';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** false: @fastify/cors leaves the route alone (the JWKS has its own constant headers). */
    cors?: false;
  }
}

/** The two JWKS routes, by path alone: `/tenants/<id>/.well-known/jwks.json` and `/.well-known/jwks.json`. */
const JWKS_PATH = /^(?:\/tenants\/[^/?#]+)?\/\.well-known\/jwks\.json(?:\?|$)/;

/** Public keys are meant to be read by whoever verifies, a single-page app on another origin included. */
export const JWKS_CORS_HEADERS = { 'access-control-allow-origin': '*' } as const;
const JWKS_PREFLIGHT_HEADERS = {
  ...JWKS_CORS_HEADERS,
  'access-control-allow-methods': 'GET, HEAD',
  'access-control-max-age': '86400',
  vary: 'Access-Control-Request-Headers',
} as const;

/**
 * The admin and user APIs' CORS, only for the configured origins (none by default: then not registered at all),
 * so that a page elsewhere cannot drive them with a credential it got hold of.
 */
export function apiCorsOptions(origins: readonly string[]): FastifyCorsOptions | undefined {
  if (origins.length === 0) return undefined;
  return { origin: [...origins], methods: ['GET', 'HEAD', 'POST', 'PUT', 'DELETE'], exposedHeaders: ['X-Request-Id', 'Retry-After'], maxAge: 600 };
}

/**
 * Marks a JWKS route (GET and HEAD) while it is registered: its answers, errors included, carry the constant
 * CORS headers, and the APIs' CORS (`cors: false`) leaves it alone.
 */
export function addJwksCors(route: RouteOptions): void {
  if (!JWKS_PATH.test(route.url)) return;
  route.config = { ...route.config, cors: false };
  const setHeaders = (_request: FastifyRequest, reply: FastifyReply, done: () => void) => {
    void reply.headers(JWKS_CORS_HEADERS);
    done();
  };
  route.onRequest = [route.onRequest ?? []].flat().concat(setHeaders);
}

/**
 * A browser's preflight of the JWKS, answered 204 before any route or other CORS handling (as @fastify/cors
 * answers preflights); false for any other request.
 */
export function answeredJwksPreflight(request: FastifyRequest, reply: FastifyReply): boolean {
  if (request.method !== 'OPTIONS' || !JWKS_PATH.test(request.url)) return false;
  if (!request.headers.origin || !request.headers['access-control-request-method']) {
    void reply.code(400).type('text/plain').send('Invalid Preflight Request');
    return true;
  }
  void reply.code(204).headers(JWKS_PREFLIGHT_HEADERS);
  const requested = request.headers['access-control-request-headers'];
  if (requested !== undefined) void reply.header('access-control-allow-headers', requested);
  void reply.header('content-length', '0').send();
  return true;
}
