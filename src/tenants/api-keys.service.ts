import { Injectable } from '@nestjs/common';
import { AuditTrail, type TenantActor } from '../audit/audit-trail';
import { ScopeRequiredError } from '../common/domain-error';
import type { TenantPrincipal } from '../common/request-context';
import type { ApiKeyScope } from '../common/route-access';
import type { ApiKeyView, CurrentApiKeyView, IssuedApiKeyView } from './dto/api-key.dto';
import { ApiKeyNotFoundError, CannotRevokeSelfError } from './tenant-errors';
import type { ApiKeySummary } from './tenants.repository';
import { TenantsService } from './tenants.service';

/** API keys over HTTP: a key grants at most what it holds. */
@Injectable()
export class ApiKeysService {
  constructor(
    private readonly tenants: TenantsService,
    private readonly audit: AuditTrail,
  ) {}

  async list(tenantId: string): Promise<ApiKeyView[]> {
    return (await this.tenants.listApiKeys(tenantId)).map(toApiKeyView);
  }

  async get(tenantId: string, id: string): Promise<ApiKeyView> {
    const key = await this.tenants.getApiKey(tenantId, id);
    if (!key) throw new ApiKeyNotFoundError(id);
    return toApiKeyView(key);
  }

  /** Who am I: the calling key and its tenant. */
  async current(caller: TenantPrincipal): Promise<CurrentApiKeyView> {
    const { revokedAt: _revokedAt, ...key } = await this.get(caller.tenantId, caller.apiKeyId);
    return { tenantId: caller.tenantId, ...key };
  }

  async create(
    actor: TenantActor,
    caller: TenantPrincipal,
    grant: { name: string; scopes: ApiKeyScope[]; signKeys: string[] | null; expiresAt: Date | null },
  ): Promise<IssuedApiKeyView> {
    // A refused grant is in the trail too; the creation records its own outcome.
    const refusal = { actor, action: 'api_key.create' as const, keyId: null, detail: { scopes: grant.scopes.join(' ') } };
    await this.audit.attempt(refusal, () => Promise.resolve(assertWithin(caller, grant)));
    const issued = await this.tenants.createApiKey(actor, caller.tenantId, { ...grant, scopes: [...new Set(grant.scopes)] });
    return { ...(await this.get(caller.tenantId, issued.apiKeyId)), apiKey: issued.apiKey };
  }

  /** Revokes a key of the tenant that holds no more than the caller does; never the caller itself. */
  async revoke(actor: TenantActor, caller: TenantPrincipal, id: string): Promise<{ id: string }> {
    const refusal = { actor, action: 'api_key.revoke' as const, keyId: id };
    await this.audit.attempt(refusal, async () => {
      if (id === caller.apiKeyId) throw new CannotRevokeSelfError();
      const target = await this.tenants.getApiKey(caller.tenantId, id);
      if (target && !target.revokedAt)
        assertWithin(caller, { scopes: target.scopes as ApiKeyScope[], signKeys: target.signKeys, expiresAt: target.expiresAt });
    });
    // Not found, revoked meanwhile or another tenant's: the revocation's own trail says so.
    await this.tenants.revokeApiKey(actor, id, caller.tenantId);
    return { id };
  }
}

/**
 * A key manages only keys that hold no more than itself: no scope it lacks, no signing key outside its own list,
 * and no life beyond its own expiry.
 */
function assertWithin(
  caller: TenantPrincipal,
  other: { scopes: readonly ApiKeyScope[]; signKeys: readonly string[] | null; expiresAt: Date | null },
): void {
  const beyond = other.scopes.find((scope) => !caller.scopes.has(scope));
  if (beyond) throw new ScopeRequiredError(`This API key does not hold the scope ${beyond}`);
  if (caller.signKeys) {
    const outside = (other.signKeys ?? ['any key']).find((key) => !caller.signKeys!.includes(key));
    if (outside) throw new ScopeRequiredError(`This API key may not sign with ${outside}`);
  }
  if (caller.expiresAt && (!other.expiresAt || other.expiresAt > caller.expiresAt)) {
    throw new ScopeRequiredError(`This API key expires at ${caller.expiresAt.toISOString()}: it cannot manage a key that outlives it`);
  }
}

function toApiKeyView(key: ApiKeySummary): ApiKeyView {
  return {
    id: key.id,
    name: key.name,
    prefix: key.prefix,
    scopes: key.scopes,
    signKeys: key.signKeys,
    expiresAt: key.expiresAt?.toISOString() ?? null,
    createdAt: key.createdAt.toISOString(),
    lastUsedAt: key.lastUsedAt?.toISOString() ?? null,
    revokedAt: key.revokedAt?.toISOString() ?? null,
  };
}
