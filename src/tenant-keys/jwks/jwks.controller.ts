import { createHash } from 'node:crypto';
import { isUUID } from 'class-validator';
import { applyDecorators, Controller, Get, Headers, Inject, Param, Res } from '@nestjs/common';
import { ApiHeader, ApiOkResponse, ApiOperation, ApiParam, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { ApiErrors } from '../../common/api-docs';
import { Public } from '../../common/route-access';
import { ValidationFailedError } from '../../common/domain-error';
import { TenantNotFoundError } from '../../tenants/tenant-errors';
import { UuidParamPipe } from '../../common/uuid-param.pipe';
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

/**
 * A tenant's public keys as a plain RFC 7517 JWK set: no credentials (most JWKS clients cannot send
 * headers), cacheable, with a strong ETag (304 to a matching If-None-Match).
 */
const JWKS_RESPONSE = applyDecorators(
  ApiHeader({ name: 'if-none-match', required: false, description: 'The ETag of a JWKS fetched before' }),
  ApiOkResponse({
    description: 'An RFC 7517 JWK set (not in the envelope), with Cache-Control and a strong ETag; 304 on a matching If-None-Match',
    schema: { type: 'object', properties: { keys: { type: 'array', items: { type: 'object', additionalProperties: true } } }, required: ['keys'] },
  }),
  ApiResponse({ status: 304, description: 'The If-None-Match ETag is still the JWKS: no body' }),
);

@ApiTags('JWKS')
@Controller()
@Public()
export class JwksController {
  private readonly cacheControl: string;

  constructor(
    private readonly keys: TenantKeysRepository,
    private readonly tenants: TenantsService,
    private readonly cache: TenantCacheService,
    @Inject(APP_CONFIG) config: RuntimeConfig,
  ) {
    this.cacheControl = `public, max-age=${config.jwksMaxAgeSeconds}`;
  }

  @Get('tenants/:tenantId/.well-known/jwks.json')
  @ApiOperation({
    summary: "A tenant's public keys, for verifiers",
    description: 'Active keys, and retiring ones until their retireAt. No credentials.',
  })
  @ApiParam({ name: 'tenantId', format: 'uuid' })
  @JWKS_RESPONSE
  @ApiErrors(400, 404)
  byPath(
    @Param('tenantId', UuidParamPipe) tenantId: string,
    @Headers('if-none-match') ifNoneMatch: string | undefined,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    return this.jwks(tenantId, ifNoneMatch, reply);
  }

  @Get('.well-known/jwks.json')
  @ApiOperation({ summary: "A tenant's public keys, the tenant named by header" })
  @ApiHeader({ name: 'x-stencil-tenantid', required: true, description: 'The tenant id' })
  @JWKS_RESPONSE
  @ApiErrors(400, 404)
  byHeader(
    @Headers('x-stencil-tenantid') tenantId: string | undefined,
    @Headers('if-none-match') ifNoneMatch: string | undefined,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    if (!tenantId || !isUUID(tenantId, 'all')) {
      throw new ValidationFailedError([{ field: 'x-stencil-tenantid', message: 'x-stencil-tenantid must be a tenant UUID' }]);
    }
    return this.jwks(tenantId.toLowerCase(), ifNoneMatch, reply);
  }

  /** Answered from the cached serialized set: bytes and ETag are made once per change of the tenant's keys. */
  private async jwks(tenantId: string, ifNoneMatch: string | undefined, reply: FastifyReply): Promise<void> {
    const jwks = await this.cache.getOrLoad(
      tenantId,
      JWKS_CACHE_KEY,
      () => this.loadJwks(tenantId),
      (loaded) => loaded?.expiresAt ?? Infinity,
    );
    if (!jwks) throw new TenantNotFoundError();
    // Public keys are for whoever verifies, pages on other origins included (CORS itself: common/cors.ts).
    reply.headers({ 'cross-origin-resource-policy': 'cross-origin', 'cache-control': this.cacheControl, etag: jwks.etag });
    if (etagMatches(ifNoneMatch, jwks.etag)) void reply.code(304).send();
    else void reply.type('application/json; charset=utf-8').send(jwks.body);
  }

  /**
   * The set, its ETag and when it goes stale by itself (the first retireAt in it), or undefined for an
   * unknown tenant (not cached: the tenant may come later).
   */
  private async loadJwks(tenantId: string): Promise<CachedJwks | undefined> {
    if (!(await this.tenants.tenantExists(tenantId))) return undefined;
    const keys = await this.keys.listPublishable(tenantId);
    const body = Buffer.from(
      JSON.stringify({
        keys: keys.map((key) => publishedJwk(key)!),
      }),
    );
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
