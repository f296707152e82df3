import { Injectable } from '@nestjs/common';
import { isUUID } from 'class-validator';
import { LRUCache } from 'lru-cache';
import type { IncomingHttpHeaders } from 'node:http';
import { UnauthorizedError } from '../common/domain-error';
import { MIN_API_KEY_LENGTH } from '../config/config';
import { TenantCacheService } from '../tenants/tenant-cache.service';
import { hashSecret } from '../tenants/api-key-secret';
import { TenantsService } from '../tenants/tenants.service';
import type { TenantPrincipal } from '../common/request-context';

const CREDENTIALS = /^(?:Basic|Bearer)\s+(\S+)$/i;
/** FusionAuth's clients send the key itself; a scheme before it is tolerated. */
const FUSIONAUTH_CREDENTIALS = /^(?:(?:Basic|Bearer)\s+)?(\S+)$/i;
const MAX_API_KEY_LENGTH = 256;
/** How many API keys' tenants are remembered for FusionAuth's calls, which name no tenant. */
const TENANT_HINTS = 10_000;

/**
 * Authenticates `/key` calls: `Authorization: Basic|Bearer <api key>` and `x-stencil-tenantid`
 * (or the source document's spelling `x-stencil-tenanid`). Every failure is the same 401.
 */
@Injectable()
export class HeaderAuthService {
  /**
   * The tenant of each API key seen on the FusionAuth mount, by the key's hash. A key never changes tenant, so this is
   * a fact, not a cache of its validity: the key is still verified through the tenant's cache, which revocation clears.
   */
  private readonly tenantHints = new LRUCache<string, string>({ max: TENANT_HINTS });

  constructor(
    private readonly tenants: TenantsService,
    private readonly cache: TenantCacheService,
  ) {}

  async authenticate(headers: IncomingHttpHeaders): Promise<TenantPrincipal> {
    const apiKey = CREDENTIALS.exec(single(headers.authorization) ?? '')?.[1];
    const tenantId = single(headers['x-stencil-tenantid']) ?? single(headers['x-stencil-tenanid']);
    if (!apiKey || !plausibleApiKey(apiKey) || !tenantId || !isUUID(tenantId, 'all')) throw new UnauthorizedError();
    return this.verify(tenantId.toLowerCase(), apiKey);
  }

  /**
   * FusionAuth's way (the `/api` mount): the API key alone in `Authorization`, its tenant found from the key. An
   * `X-FusionAuth-TenantId` naming another tenant (or no UUID) is refused, not ignored.
   */
  async authenticateByKey(headers: IncomingHttpHeaders): Promise<TenantPrincipal> {
    const apiKey = FUSIONAUTH_CREDENTIALS.exec(single(headers.authorization) ?? '')?.[1];
    const named = single(headers['x-fusionauth-tenantid']);
    if (!apiKey || !plausibleApiKey(apiKey) || (named !== undefined && !isUUID(named, 'all'))) throw new UnauthorizedError();
    const hash = hashSecret(apiKey).toString('base64');
    const tenantId = this.tenantHints.get(hash) ?? (await this.tenants.tenantOfActiveApiKey(apiKey));
    if (!tenantId || (named !== undefined && named.toLowerCase() !== tenantId)) throw new UnauthorizedError();
    try {
      const principal = await this.verify(tenantId, apiKey);
      this.tenantHints.set(hash, tenantId);
      return principal;
    } catch (error) {
      // Revoked or expired since: its hint goes too, so that dead keys do not push live ones out.
      this.tenantHints.delete(hash);
      throw error;
    }
  }

  private async verify(tenantId: string, apiKey: string): Promise<TenantPrincipal> {
    // A verified key is remembered by its hash until the tenant's credentials change (revocation
    // announces itself); failures are never remembered. The first check compares in constant time.
    // An expiring key is remembered until it expires, no longer.
    const verified = await this.cache.getOrLoad(
      tenantId,
      `api-key:${hashSecret(apiKey).toString('base64')}`,
      async () => {
        const found = await this.tenants.findActiveApiKey(tenantId, apiKey);
        return found && { id: found.id, scopes: new Set(found.scopes), signKeys: found.signKeys, expiresAt: found.expiresAt?.getTime() ?? Infinity };
      },
      (value) => value?.expiresAt ?? Infinity,
    );
    if (!verified || verified.expiresAt <= Date.now()) throw new UnauthorizedError();
    this.tenants.noteApiKeyUsed(tenantId, verified.id);
    const expiresAt = Number.isFinite(verified.expiresAt) ? new Date(verified.expiresAt) : null;
    return { tenantId, apiKeyId: verified.id, scopes: verified.scopes, signKeys: verified.signKeys, expiresAt };
  }
}

function plausibleApiKey(apiKey: string): boolean {
  return apiKey.length >= MIN_API_KEY_LENGTH && apiKey.length <= MAX_API_KEY_LENGTH;
}

function single(value: string | string[] | undefined): string | undefined {
  return (Array.isArray(value) ? undefined : value)?.trim() || undefined;
}
