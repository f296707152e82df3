import { createHash } from 'node:crypto';
import { isUUID } from 'class-validator';
import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { OpenAPIObject } from '@nestjs/swagger';
import type { OperationObject, ParameterObject } from '@nestjs/swagger/dist/interfaces/open-api-spec.interface';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { errorResponses } from '../../common/api-docs';
import { ValidationFailedError } from '../../common/domain-error';
import { uuidParameter } from '../../common/uuid-param.pipe';
import { TenantNotFoundError } from '../../tenants/tenant-errors';
import { APP_CONFIG, type RuntimeConfig } from '../../config/config';
import { TenantsService } from '../../tenants/tenants.service';
import { TenantCacheService } from '../../tenants/tenant-cache.service';
import { publishedJwk } from '../dto/tenant-key.view';
import { TenantKeysRepository } from '../tenant-keys.repository';

/** A tenant's JWKS as cached: serialized and UTF-8 encoded once, with its ETag, until the first retireAt in it. */
interface CachedJwks {
  body: Buffer;
  etag: string;
  expiresAt: number;
}
const JWKS_CACHE_KEY = 'jwks';

const BY_PATH = '/tenants/:tenantId/.well-known/jwks.json';
const BY_HEADER = '/.well-known/jwks.json';

/**
 * A tenant's public keys as a plain RFC 7517 JWK set: no credentials (most JWKS clients cannot send headers),
 * cacheable, with a strong ETag (304 to a matching If-None-Match). Routes of Fastify itself, not of Nest: a cached
 * answer needs no guard, pipe or interceptor, and the request id, security headers, CORS, the log line and the metrics
 * are Fastify hooks that every route gets (app.setup.ts). Errors are thrown to Fastify's error handler, which is Nest's
 * exception filter: the envelope and codes of every other route.
 */
@Injectable()
export class JwksRoutes implements OnModuleInit {
  private readonly cacheControl: string;

  constructor(
    private readonly keys: TenantKeysRepository,
    private readonly tenants: TenantsService,
    private readonly cache: TenantCacheService,
    private readonly adapterHost: HttpAdapterHost,
    @Inject(APP_CONFIG) config: RuntimeConfig,
  ) {
    this.cacheControl = `public, max-age=${config.jwksMaxAgeSeconds}`;
  }

  onModuleInit(): void {
    const fastify = this.adapterHost.httpAdapter.getInstance<FastifyInstance>();
    fastify.get<{ Params: { tenantId: string } }>(BY_PATH, (request, reply) =>
      this.answer(uuidParameter(request.params.tenantId, 'tenantId'), request, reply),
    );
    fastify.get(BY_HEADER, (request, reply) => {
      // FusionAuth's clients name the tenant with their own header (retrieveJsonWebKeySet).
      const header =
        request.headers['x-stencil-tenantid'] === undefined && request.headers['x-fusionauth-tenantid'] !== undefined
          ? 'x-fusionauth-tenantid'
          : 'x-stencil-tenantid';
      const tenantId = request.headers[header];
      if (typeof tenantId !== 'string' || !isUUID(tenantId, 'all')) {
        throw new ValidationFailedError([{ field: header, message: `${header} must be a tenant UUID` }]);
      }
      return this.answer(tenantId.toLowerCase(), request, reply);
    });
  }

  /** Answered from the cached serialized set: bytes and ETag are made once per change of the tenant's keys. */
  private async answer(tenantId: string, request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
    const jwks = await this.cache.getOrLoad(
      tenantId,
      JWKS_CACHE_KEY,
      () => this.loadJwks(tenantId),
      (loaded) => loaded?.expiresAt ?? Infinity,
    );
    if (!jwks) throw new TenantNotFoundError();
    // Public keys are for whoever verifies, pages on other origins included (CORS itself: common/cors.ts).
    void reply.headers({ 'cross-origin-resource-policy': 'cross-origin', 'cache-control': this.cacheControl, etag: jwks.etag });
    if (etagMatches(request.headers['if-none-match'], jwks.etag)) return reply.code(304).send();
    return reply.type('application/json; charset=utf-8').send(jwks.body);
  }

  /**
   * The set, its ETag and when it goes stale by itself (the first retireAt in it), or undefined for an
   * unknown tenant (not cached: the tenant may come later).
   */
  private async loadJwks(tenantId: string): Promise<CachedJwks | undefined> {
    if (!(await this.tenants.tenantExists(tenantId))) return undefined;
    const keys = await this.keys.listPublishable(tenantId);
    const body = Buffer.from(JSON.stringify({ keys: keys.map((key) => publishedJwk(key)!) }));
    const expiresAt = Math.min(Infinity, ...keys.map((key) => key.retireAt?.getTime() ?? Infinity));
    return { body, etag: `"${createHash('sha256').update(body).digest('base64url')}"`, expiresAt };
  }
}

/** RFC 9110 If-None-Match: a list of entity tags (weak ones compare weakly), or `*`. */
function etagMatches(ifNoneMatch: string | undefined, etag: string): boolean {
  if (ifNoneMatch === undefined) return false;
  return ifNoneMatch.split(',').some((offered) => {
    const tag = offered.trim().replace(/^W\//, '');
    return tag === etag || tag === '*';
  });
}

const IF_NONE_MATCH: ParameterObject = {
  name: 'if-none-match',
  in: 'header',
  description: 'The ETag of a JWKS fetched before',
  required: false,
  schema: { type: 'string' },
};

/** What both routes answer (Nest's document does not see Fastify's own routes: documentJwks writes them in); one object per operation. */
const jwksResponses = (): OperationObject['responses'] => ({
  200: {
    description: 'An RFC 7517 JWK set (not in the envelope), with Cache-Control and a strong ETag; 304 on a matching If-None-Match',
    content: {
      'application/json': {
        schema: {
          type: 'object',
          properties: { keys: { type: 'array', items: { type: 'object', additionalProperties: true } } },
          required: ['keys'],
        },
      },
    },
  },
  304: { description: 'The If-None-Match ETag is still the JWKS: no body' },
  ...errorResponses(400, 404, 500, 503),
});

/** The two JWKS routes in the OpenAPI document, as their decorators described them when they were Nest's. */
export function documentJwks(document: OpenAPIObject): void {
  document.paths['/tenants/{tenantId}/.well-known/jwks.json'] = {
    get: {
      summary: "A tenant's public keys, for verifiers",
      description: 'Active keys, and retiring ones until their retireAt. No credentials.',
      operationId: 'JwksController_byPath',
      tags: ['JWKS'],
      parameters: [{ name: 'tenantId', required: true, in: 'path', schema: { format: 'uuid', type: 'string' } }, IF_NONE_MATCH],
      responses: jwksResponses(),
    },
  };
  document.paths[BY_HEADER] = {
    get: {
      summary: "A tenant's public keys, the tenant named by header",
      operationId: 'JwksController_byHeader',
      tags: ['JWKS'],
      parameters: [
        IF_NONE_MATCH,
        {
          name: 'x-stencil-tenantid',
          in: 'header',
          description: 'The tenant id (or in x-fusionauth-tenantid)',
          required: true,
          schema: { type: 'string' },
        },
        {
          name: 'x-fusionauth-tenantid',
          in: 'header',
          description: "The tenant id, as FusionAuth's clients send it (retrieveJsonWebKeySet), when x-stencil-tenantid is not sent",
          required: false,
          schema: { type: 'string' },
        },
      ],
      responses: jwksResponses(),
    },
  };
}
