import { Body, Controller, Get, Headers, HttpCode, Post, Query } from '@nestjs/common';
import { ApiHeader, ApiOperation, ApiTags } from '@nestjs/swagger';
import { isUUID } from 'class-validator';
import { Actor } from '../audit/actor.decorator';
import type { TenantActor } from '../audit/audit-trail';
import { ValidationFailedError } from '../common/domain-error';
import type { TenantPrincipal } from '../common/request-context';
import { FusionAuthApiKeyScope, CountsAsRead, CurrentTenant, FusionAuthApiKeyAuth, FusionAuthPublic } from '../common/route-access';
import { SignTokenDto } from '../tenant-keys/dto/key-usage.dto';
import { KeyNotFoundError } from '../tenant-keys/key-errors';
import { KeySigningService } from '../tenant-keys/signing/key-signing.service';
import { TenantKeysService } from '../tenant-keys/tenant-keys.service';
import { TenantNotFoundError } from '../tenants/tenant-errors';
import { TenantCacheService } from '../tenants/tenant-cache.service';
import { TenantsService } from '../tenants/tenants.service';
import { FusionAuthRoute } from './fusionauth-errors';
import { validated } from './fusionauth-requests';
import {
  ApiFusionAuthAnswers,
  FusionAuthPublicKeyQueryDto,
  FusionAuthPublicKeyResponseDoc,
  FusionAuthVendRequestDto,
  FusionAuthVendResponseDoc,
} from './fusionauth.dto';
import { FUSIONAUTH_TAG } from './fusionauth-keys.controller';

const TENANT_HEADER = 'X-FusionAuth-TenantId';

const PUBLIC_KEYS_CACHE_KEY = 'fusionauth-public-keys';

/** FusionAuth's JWT API (`/api/jwt`): public keys for verifiers, and tokens vended with a key of the tenant. */
@ApiTags(FUSIONAUTH_TAG)
@Controller('api/jwt')
export class FusionAuthJwtController {
  constructor(
    private readonly keys: TenantKeysService,
    private readonly signing: KeySigningService,
    private readonly tenants: TenantsService,
    private readonly cache: TenantCacheService,
  ) {}

  @Get('public-key')
  @FusionAuthRoute()
  @ApiOperation({
    summary: "FusionAuth's retrieveJWTPublicKey(s): the tenant's published public keys, PEM",
    description: `No credentials; the tenant from ${TENANT_HEADER} (construct the client with the tenant id). The keys of the JWKS.`,
  })
  @ApiHeader({ name: TENANT_HEADER, required: true, description: 'The tenant id' })
  @ApiFusionAuthAnswers(FusionAuthPublicKeyResponseDoc, 400, 404)
  @FusionAuthPublic()
  async publicKeys(
    @Headers(TENANT_HEADER.toLowerCase()) tenantHeader: string | undefined,
    @Query() { kid }: FusionAuthPublicKeyQueryDto,
  ): Promise<{ publicKey: string } | { publicKeys: Record<string, string> }> {
    if (typeof tenantHeader !== 'string' || !isUUID(tenantHeader, 'all')) {
      throw new ValidationFailedError([{ field: TENANT_HEADER, message: `${TENANT_HEADER} must be the tenant id (construct the client with it)` }]);
    }
    const tenantId = tenantHeader.toLowerCase();
    // Cached as the JWKS is (the tenant's change clears it; the first retireAt among them bounds it): no credentials, so no query per call.
    const published = await this.cache.getOrLoad(
      tenantId,
      PUBLIC_KEYS_CACHE_KEY,
      () => this.loadPublicKeys(tenantId),
      (loaded) => loaded?.expiresAt ?? Infinity,
    );
    if (!published) throw new TenantNotFoundError();
    if (kid === undefined) return { publicKeys: published.byKid };
    if (!Object.hasOwn(published.byKid, kid)) throw new KeyNotFoundError();
    return { publicKey: published.byKid[kid] };
  }

  /** The tenant's published public keys (the JWKS's) by kid, PEM, and when the first of them retires; undefined for an unknown tenant. */
  private async loadPublicKeys(tenantId: string): Promise<{ byKid: Record<string, string>; expiresAt: number } | undefined> {
    if (!(await this.tenants.tenantExists(tenantId))) return undefined;
    const published = await this.keys.listPublishedKeys(tenantId);
    return {
      byKid: Object.fromEntries(published.map((key) => [key.kid, key.publicKey!])),
      expiresAt: Math.min(Infinity, ...published.map((key) => (key.retireAt ? Date.parse(key.retireAt) : Infinity))),
    };
  }

  @FusionAuthApiKeyScope('keys:sign')
  @FusionAuthApiKeyAuth()
  @Post('vend')
  @HttpCode(200)
  @CountsAsRead()
  @FusionAuthRoute()
  @ApiOperation({
    summary: "FusionAuth's vendJWT: a token signed with the tenant's key `keyId`",
    description: '`keyId` is required (a tenant here has no default signing key); `alg` and `kid` come from the key.',
  })
  @ApiFusionAuthAnswers(FusionAuthVendResponseDoc, 400, 401, 404, 413, 415, 429)
  async vend(
    @Actor() actor: TenantActor,
    @CurrentTenant() tenant: TenantPrincipal,
    @Body() body: FusionAuthVendRequestDto,
  ): Promise<{ token: string }> {
    if (body.keyId === undefined || body.keyId === null)
      throw new ValidationFailedError([{ field: 'keyId', message: 'keyId is required: the id of the key to sign with' }]);
    const request = await validated(SignTokenDto, { payload: body.claims ?? {}, expiresIn: body.timeToLiveInSeconds ?? undefined });
    const { token } = await this.signing.signToken(actor, tenant.signKeys, body.keyId.toLowerCase(), request);
    return { token };
  }
}
