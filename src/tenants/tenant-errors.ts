import { HttpStatus } from '@nestjs/common';
import { DomainError } from '../common/domain-error';

/** The codes of tenant and API-key operations (the CLI, /api-keys, the JWKS of an unknown tenant). */
export const TENANT_ERROR_CODES = ['TENANT_NOT_FOUND', 'API_KEY_NOT_FOUND', 'CANNOT_REVOKE_SELF', 'API_KEY_LIMIT_REACHED'] as const;
export type TenantErrorCode = (typeof TENANT_ERROR_CODES)[number];

export class TenantNotFoundError extends DomainError<TenantErrorCode> {
  constructor(tenantId?: string) {
    super('TENANT_NOT_FOUND', HttpStatus.NOT_FOUND, tenantId ? `No tenant ${tenantId}` : 'Tenant not found');
  }
}

export class ApiKeyNotFoundError extends DomainError<TenantErrorCode> {
  constructor(apiKeyId: string) {
    super('API_KEY_NOT_FOUND', HttpStatus.NOT_FOUND, `No active API key ${apiKeyId}`);
  }
}

/** The tenant has as many usable API keys as MAX_API_KEYS_PER_TENANT allows. */
export class ApiKeyLimitError extends DomainError<TenantErrorCode> {
  constructor(limit: number) {
    super(
      'API_KEY_LIMIT_REACHED',
      HttpStatus.CONFLICT,
      `The tenant has ${limit} API keys in use (neither revoked nor expired), the most MAX_API_KEYS_PER_TENANT (${limit}) allows: revoke one first`,
    );
  }
}
