import { Injectable } from '@nestjs/common';
import { isUUID } from 'class-validator';
import type { IncomingHttpHeaders } from 'node:http';
import { UnauthorizedError } from '../common/domain-error';
import { MIN_API_KEY_LENGTH } from '../config/config';
import { TenantCacheService } from '../tenants/tenant-cache.service';
import { hashSecret } from '../tenants/api-key-secret';
import { TenantsService } from '../tenants/tenants.service';
import type { TenantPrincipal } from '../common/request-context';

const CREDENTIALS = /^(?:Basic|Bearer)\s+(\S+)$/i;
const MAX_API_KEY_LENGTH = 256;

/**
 * Authenticates `/key` calls: `Authorization: Basic|Bearer <api key>` and `x-stencil-tenantid`
 * (or the source document's spelling `x-stencil-tenanid`). Every failure is the same 401.
 */
@Injectable()
export class HeaderAuthService {
  constructor(
    private readonly tenants: TenantsService,
    private readonly cache: TenantCacheService,
  ) {}

  async authenticate(headers: IncomingHttpHeaders): Promise<TenantPrincipal> {
    const apiKey = CREDENTIALS.exec(single(headers.authorization) ?? '')?.[1];
    const tenantId = single(headers['x-stencil-tenantid']) ?? single(headers['x-stencil-tenanid']);
    if (!apiKey || apiKey.length < MIN_API_KEY_LENGTH || apiKey.length > MAX_API_KEY_LENGTH || !tenantId || !isUUID(tenantId, 'all')) {
      throw new UnauthorizedError();
    }
    const normalizedTenantId = tenantId.toLowerCase();
    // A verified key is remembered by its hash until the tenant's credentials change (revocation
    // announces itself); failures are never remembered. The first check compares in constant time.
    // An expiring key is remembered until it expires, no longer.
    const verified = await this.cache.getOrLoad(
      normalizedTenantId,
      `api-key:${hashSecret(apiKey).toString('base64')}`,
      async () => {
        const found = await this.tenants.findActiveApiKey(normalizedTenantId, apiKey);
        return found && { id: found.id, scopes: new Set(found.scopes), signKeys: found.signKeys, expiresAt: found.expiresAt?.getTime() ?? Infinity };
      },
      (value) => value?.expiresAt ?? Infinity,
    );
    if (!verified || verified.expiresAt <= Date.now()) throw new UnauthorizedError();
    this.tenants.noteApiKeyUsed(normalizedTenantId, verified.id);
    const expiresAt = Number.isFinite(verified.expiresAt) ? new Date(verified.expiresAt) : null;
    return { tenantId: normalizedTenantId, apiKeyId: verified.id, scopes: verified.scopes, signKeys: verified.signKeys, expiresAt };
  }
}

function single(value: string | string[] | undefined): string | undefined {
  return (Array.isArray(value) ? undefined : value)?.trim() || undefined;
}
