import type { IncomingMessage } from 'node:http';
import type { CorsOptions } from '@nestjs/common/interfaces/external/cors-options.interface';

const JWKS_PATH = /\/\.well-known\/jwks\.json(?:\?|$)/;

/**
 * What a JWKS answer carries for browsers on any origin: public keys are meant to be read by whoever
 * verifies, a single-page app included (helmet's default resource policy would let only our own origin read it).
 */
export const JWKS_CROSS_ORIGIN_HEADERS = {
  'Access-Control-Allow-Origin': '*',
  'Cross-Origin-Resource-Policy': 'cross-origin',
} as const;

const JWKS_CORS: CorsOptions = { origin: '*', methods: ['GET', 'HEAD'], maxAge: 86_400 };
const NO_CORS: CorsOptions = { origin: false };

/**
 * CORS per request: the JWKS for every origin; the admin and user APIs only for the configured origins
 * (none by default), so that a page elsewhere cannot drive them with a credential it got hold of.
 */
export function corsOptionsFor(origins: readonly string[]): (req: IncomingMessage, done: (error: Error | null, options: CorsOptions) => void) => void {
  const api: CorsOptions = origins.length === 0
    ? NO_CORS
    : { origin: [...origins], methods: ['GET', 'HEAD', 'POST', 'PUT', 'DELETE'], exposedHeaders: ['X-Request-Id', 'Retry-After'], maxAge: 600 };
  return (req, done) => done(null, JWKS_PATH.test(req.url ?? '') ? JWKS_CORS : api);
}
