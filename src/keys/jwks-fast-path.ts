import type { OutgoingHttpHeaders, Server } from 'node:http';
import type { INestApplication } from '@nestjs/common';
import type { Logger } from 'pino';
import { JWKS_CROSS_ORIGIN_HEADERS } from '../common/cors';
import { logAnswer, ROOT_LOGGER } from '../common/logging';
import { requestIdFor } from '../common/request-id';
import { handleRequestsFirst } from '../common/request-listener';
import { APP_CONFIG, type RuntimeConfig } from '../config/config';
import { TenantCacheService } from '../tenants/tenant-cache.service';
import { JWKS_CACHE_KEY, type CachedJwks } from './jwks.controller';

const JWKS_ROUTE = '/tenants/:tenantId/.well-known/jwks.json';
const JWKS_PATH = /^\/tenants\/([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\/\.well-known\/jwks\.json(?:\?.*)?$/;

/**
 * The JWKS is the hottest read and, once cached, needs nothing of the framework: a GET of a cached
 * set is answered here, ahead of Express (same headers, helmet's included, 304 on a matching If-None-Match). Anything
 * else, a cache miss included, goes on to the app, which loads and caches the set (JwksController).
 */
export function installJwksFastPath(app: INestApplication, securityHeaders: OutgoingHttpHeaders): void {
  const cache = app.get(TenantCacheService);
  const logger = app.get<Logger>(ROOT_LOGGER);
  // What every cached answer carries, built once: helmet's headers and the cache lifetime.
  const fixedHeaders: OutgoingHttpHeaders = {
    ...securityHeaders,
    ...JWKS_CROSS_ORIGIN_HEADERS,
    'Cache-Control': `public, max-age=${app.get<RuntimeConfig>(APP_CONFIG).jwksMaxAgeSeconds}`,
  };
  handleRequestsFirst(app.getHttpServer() as Server, (req, res, passOn) => {
    const startedAt = process.hrtime.bigint();
    const tenantId = req.method === 'GET' ? JWKS_PATH.exec(req.url ?? '')?.[1] : undefined;
    const jwks = tenantId ? cache.peek<CachedJwks>(tenantId, JWKS_CACHE_KEY) : undefined;
    if (!jwks) {
      passOn(req, res);
      return;
    }
    req.routeLabel = JWKS_ROUTE;
    const requestId = requestIdFor(req.headers['x-request-id']);
    const headers: OutgoingHttpHeaders = { ...fixedHeaders, 'X-Request-Id': requestId, ETag: jwks.etag };
    const offered = req.headers['if-none-match']?.split(',').map((tag) => tag.trim().replace(/^W\//, ''));
    if (offered?.includes(jwks.etag) || offered?.includes('*')) {
      res.writeHead(304, headers).end();
    } else {
      res.writeHead(200, { ...headers, 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': jwks.body.length }).end(jwks.body);
    }
    logAnswer(logger, req, res, requestId, JWKS_ROUTE, startedAt, tenantId);
  });
}
