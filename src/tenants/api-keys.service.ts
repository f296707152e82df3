import { HttpStatus, Injectable } from '@nestjs/common';
import type { TenantActor } from '../audit/audit-trail';
import { DomainError, ScopeRequiredError } from '../common/domain-error';
import type { TenantPrincipal } from '../common/request-context';
import type { ApiKeyScope } from '../common/route-access';
import type { ApiKeyView, IssuedApiKeyView } from './dto/api-key.dto';
import { ApiKeyNotFoundError, type TenantErrorCode } from './tenant-errors';
import { TenantsService, type ApiKeySummary } from './tenants.service';

/** An API key cannot revoke itself: the caller would lock itself out mid-request. */
class CannotRevokeSelfError extends DomainError<TenantErrorCode> {
  constructor() {
    super('CANNOT_REVOKE_SELF', HttpStatus.CONFLICT, 'An API key cannot revoke itself: use another key with api-keys:manage');
  }
}

/** API keys over HTTP: a key grants at most what it holds. */
@Injectable()
export class ApiKeysService {
  constructor(private readonly tenants: TenantsService) {}

  async list(tenantId: string): Promise<ApiKeyView[]> {
    return (await this.tenants.listApiKeys(tenantId)).map(toApiKeyView);
  }

  async get(tenantId: string, id: string): Promise<ApiKeyView> {
    const key = await this.tenants.getApiKey(tenantId, id);
    if (!key) throw new ApiKeyNotFoundError(id);
    return toApiKeyView(key);
  }

  async create(
    actor: TenantActor,
    caller: TenantPrincipal,
    grant: { name: string; scopes: ApiKeyScope[]; signKeys: string[] | null; expiresAt: Date | null },
  ): Promise<IssuedApiKeyView> {
    const beyond = grant.scopes.find((scope) => !caller.scopes.has(scope));
    if (beyond) throw new ScopeRequiredError(`This API key cannot grant the scope ${beyond}, which it does not hold`);
    if (caller.signKeys) {
      const outside = (grant.signKeys ?? ['any key']).find((key) => !caller.signKeys!.includes(key));
      if (outside) throw new ScopeRequiredError(`This API key cannot grant signing with ${outside}, which it may not sign with`);
    }
    const issued = await this.tenants.createApiKey(actor, caller.tenantId, { ...grant, scopes: [...new Set(grant.scopes)] });
    return { ...(await this.get(caller.tenantId, issued.apiKeyId)), apiKey: issued.apiKey };
  }

  async revoke(actor: TenantActor, caller: TenantPrincipal, id: string): Promise<{ id: string }> {
    if (id === caller.apiKeyId) throw new CannotRevokeSelfError();
    await this.tenants.revokeApiKey(actor, id, caller.tenantId);
    return { id };
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
