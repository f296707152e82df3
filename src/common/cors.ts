import type { FastifyCorsOptions, FastifyCorsOptionsDelegateCallback } from '@fastify/cors';

/** The two JWKS routes, by path alone: `/tenants/<id>/.well-known/jwks.json` and `/.well-known/jwks.json`. */
const JWKS_PATH = /^(?:\/tenants\/[^/?#]+)?\/\.well-known\/jwks\.json(?:\?|$)/;

/** Public keys are meant to be read by whoever verifies, a single-page app on another origin included. */
const JWKS_CORS: FastifyCorsOptions = { origin: '*', methods: ['GET', 'HEAD'], maxAge: 86_400 };
const NO_CORS: FastifyCorsOptions = { origin: false };

/**
 * CORS per request (`@fastify/cors`'s delegate): the JWKS for every origin; the admin and user APIs only for
 * the configured origins (none by default), so that a page elsewhere cannot drive them with a credential it
 * got hold of.
 */
export function corsOptionsFor(origins: readonly string[]): FastifyCorsOptionsDelegateCallback {
  const api: FastifyCorsOptions =
    origins.length === 0
      ? NO_CORS
      : { origin: [...origins], methods: ['GET', 'HEAD', 'POST', 'PUT', 'DELETE'], exposedHeaders: ['X-Request-Id', 'Retry-After'], maxAge: 600 };
  return (request, done) => done(null, JWKS_PATH.test(request.url) ? JWKS_CORS : api);
}
