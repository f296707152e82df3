import { DomainError } from '../common/domain-error';

export class TenantNotFoundError extends DomainError {
  constructor(tenantId?: string) {
    super('TENANT_NOT_FOUND', tenantId ? `No tenant ${tenantId}` : 'Tenant not found');
  }
}

export class ApiKeyNotFoundError extends DomainError {
  constructor(apiKeyId: string) {
    super('API_KEY_NOT_FOUND', `No active API key ${apiKeyId}`);
  }
}

/** The tenant has as many usable API keys as MAX_API_KEYS_PER_TENANT allows. */
export class ApiKeyLimitError extends DomainError {
  constructor(limit: number) {
    super(
      'API_KEY_LIMIT_REACHED',
      `The tenant has ${limit} API keys in use (neither revoked nor expired), the most MAX_API_KEYS_PER_TENANT (${limit}) allows: revoke one first`,
    );
  }
}

/** An API key cannot revoke itself: the caller would lock itself out mid-request. */
export class CannotRevokeSelfError extends DomainError {
  constructor() {
    super('CANNOT_REVOKE_SELF', 'An API key cannot revoke itself: use another key with api-keys:manage');
  }
}
