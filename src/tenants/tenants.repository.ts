import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { type EntityManager, IsNull, MoreThan, Or, type Repository } from 'typeorm';
import { lockCount } from '../database/count-lock';
import { entityColumns, preparedRows, type PreparedStatement } from '../database/prepared-statements';
import { ApiKeyEntity } from './api-key.entity';
import { TenantEntity } from './tenant.entity';

/** A tenant as the CLI lists it. */
export interface TenantSummary {
  id: string;
  name: string;
  createdAt: Date;
  activeApiKeys: number;
}

/** An API key as listed: never its secret, nor the secret's hash. */
export type ApiKeySummary = Pick<
  ApiKeyEntity,
  'id' | 'name' | 'prefix' | 'scopes' | 'signKeys' | 'expiresAt' | 'createdAt' | 'lastUsedAt' | 'revokedAt'
>;

export type NewApiKey = Pick<ApiKeyEntity, 'id' | 'tenantId' | 'prefix' | 'secretHash' | 'scopes'> &
  Partial<Pick<ApiKeyEntity, 'name' | 'signKeys' | 'expiresAt'>>;

/** The columns of an API key that may be shown: never the secret's hash. */
const API_KEY_SUMMARY = {
  id: true,
  name: true,
  prefix: true,
  scopes: true,
  signKeys: true,
  expiresAt: true,
  createdAt: true,
  lastUsedAt: true,
  revokedAt: true,
} as const;

/** The usable API keys of any tenant with the prefix $1, expiry judged at $2: read through index api_keys_prefix_usable (query-plans spec). */
export const USABLE_BY_PREFIX_ANY_TENANT = 'prefix = $1 AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > $2)';

/** An API key that can still be used: neither revoked nor expired (an expired key is refused as a revoked one is). */
const usable = () => ({ revokedAt: IsNull(), expiresAt: Or(IsNull(), MoreThan(new Date())) });

/**
 * Tenants and their API keys. One method per query; every one is scoped by tenant id, but for those that look for a
 * tenant (whether any exists, the CLI's list, whose an API key or a bootstrap secret is). The writes take the manager
 * of the caller's change, so that they commit with it.
 */
@Injectable()
export class TenantsRepository {
  /** The API-key lookup of every authentication the cache does not answer: usable keys with the secret's prefix. */
  private readonly usableKeysByPrefix: PreparedStatement;
  /** The same, of whichever tenant: FusionAuth's clients send the API key alone (index api_keys_prefix_usable). */
  private readonly usableKeysByPrefixAnyTenant: PreparedStatement;

  constructor(
    @InjectRepository(TenantEntity) private readonly tenants: Repository<TenantEntity>,
    @InjectRepository(ApiKeyEntity) private readonly apiKeys: Repository<ApiKeyEntity>,
  ) {
    this.usableKeysByPrefix = {
      name: 'api_keys_usable_by_prefix',
      text: `SELECT ${entityColumns(apiKeys.metadata)} FROM api_keys
             WHERE tenant_id = $1 AND prefix = $2 AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > $3)`,
    };
    this.usableKeysByPrefixAnyTenant = {
      name: 'api_keys_usable_by_prefix_any_tenant',
      text: `SELECT ${entityColumns(apiKeys.metadata)} FROM api_keys
             WHERE ${USABLE_BY_PREFIX_ANY_TENANT}`,
    };
  }

  /** With `manager`, as the caller's transaction sees it. */
  tenantExists(tenantId: string, manager: EntityManager = this.tenants.manager): Promise<boolean> {
    return manager.existsBy(TenantEntity, { id: tenantId });
  }

  /** Whether the database has any tenant at all. */
  anyTenant(): Promise<boolean> {
    return this.tenants.exists();
  }

  /** Every tenant, oldest first, with its number of active API keys. */
  async listTenants(): Promise<TenantSummary[]> {
    const rows = await this.tenants.query<{ id: string; name: string; created_at: Date; active_api_keys: number }[]>(
      `SELECT t.id, t.name, t.created_at, count(k.id) FILTER (WHERE k.revoked_at IS NULL)::int AS active_api_keys
       FROM tenants t LEFT JOIN api_keys k ON k.tenant_id = t.id
       GROUP BY t.id ORDER BY t.created_at, t.id`,
    );
    return rows.map((row) => ({ id: row.id, name: row.name, createdAt: row.created_at, activeApiKeys: row.active_api_keys }));
  }

  async insertTenant(manager: EntityManager, tenantId: string, name: string): Promise<void> {
    await manager.insert(TenantEntity, { id: tenantId, name });
  }

  /** The tenant, unless it exists already. */
  async insertTenantIfNew(manager: EntityManager, tenantId: string, name: string): Promise<void> {
    await manager.createQueryBuilder().insert().into(TenantEntity).values({ id: tenantId, name }).orIgnore().execute();
  }

  async insertApiKey(manager: EntityManager, apiKey: NewApiKey): Promise<void> {
    await manager.insert(ApiKeyEntity, apiKey);
  }

  /** The key, unless one with its id or secret exists already; whether it was inserted. */
  async insertApiKeyIfNew(manager: EntityManager, apiKey: NewApiKey): Promise<boolean> {
    const inserted = await manager.createQueryBuilder().insert().into(ApiKeyEntity).values(apiKey).orIgnore().returning('id').execute();
    return (inserted.raw as unknown[]).length > 0;
  }

  /** The tenant's usable API keys, under a lock that its other API key creations wait for until this transaction ends. */
  async countUsableApiKeysLocked(manager: EntityManager, tenantId: string): Promise<number> {
    await lockCount(manager, 'api-keys', tenantId);
    return manager.countBy(ApiKeyEntity, { tenantId, ...usable() });
  }

  /** Deletes the tenant's revoked and expired API keys but the newest `keep` of them. */
  async pruneUnusableApiKeys(manager: EntityManager, tenantId: string, keep: number): Promise<void> {
    await manager.query(
      `DELETE FROM api_keys WHERE tenant_id = $1 AND id IN (
         SELECT id FROM api_keys WHERE tenant_id = $1 AND (revoked_at IS NOT NULL OR expires_at <= now())
         ORDER BY coalesce(revoked_at, expires_at) DESC, id OFFSET $2)`,
      [tenantId, keep],
    );
  }

  /** The tenant that holds the API key (the CLI revokes by id alone); undefined when none does. */
  async tenantOfApiKey(apiKeyId: string): Promise<string | undefined> {
    return (await this.apiKeys.findOneBy({ id: apiKeyId }))?.tenantId;
  }

  /** Revokes the tenant's key now, on the database's clock; false when it has no such key that is not revoked. */
  async revokeApiKey(manager: EntityManager, tenantId: string, apiKeyId: string): Promise<boolean> {
    const result = await manager.update(ApiKeyEntity, { tenantId, id: apiKeyId, revokedAt: IsNull() }, { revokedAt: () => 'now()' });
    return (result.affected ?? 0) > 0;
  }

  /** The tenant's usable keys whose secret has this prefix; expiry judged at `now` (this instance's clock). */
  usableApiKeysByPrefix(tenantId: string, prefix: string, now: Date): Promise<ApiKeyEntity[]> {
    return preparedRows<ApiKeyEntity>(this.apiKeys.manager.connection, this.usableKeysByPrefix, [tenantId, prefix, now]);
  }

  /** The usable keys of any tenant whose secret has this prefix (FusionAuth's clients name no tenant); expiry judged at `now`. */
  usableApiKeysByPrefixAnyTenant(prefix: string, now: Date): Promise<ApiKeyEntity[]> {
    return preparedRows<ApiKeyEntity>(this.apiKeys.manager.connection, this.usableKeysByPrefixAnyTenant, [prefix, now]);
  }

  /** The key with this secret, of whichever tenant: a bootstrap secret must be no other tenant's. */
  async findApiKeyBySecretHash(manager: EntityManager, secretHash: Buffer): Promise<ApiKeyEntity | undefined> {
    return (await manager.findOneBy(ApiKeyEntity, { secretHash })) ?? undefined;
  }

  /** The tenant's API keys, revoked ones included, oldest first. */
  listApiKeys(tenantId: string): Promise<ApiKeySummary[]> {
    return this.apiKeys.find({ select: API_KEY_SUMMARY, where: { tenantId }, order: { createdAt: 'ASC', id: 'ASC' } });
  }

  async getApiKey(tenantId: string, id: string): Promise<ApiKeySummary | undefined> {
    return (await this.apiKeys.findOne({ select: API_KEY_SUMMARY, where: { tenantId, id } })) ?? undefined;
  }

  /** Records that the key authenticated a request, unless it did less than a minute ago. */
  async noteApiKeyUsed(tenantId: string, apiKeyId: string): Promise<void> {
    await this.apiKeys.query(
      `UPDATE api_keys SET last_used_at = now()
       WHERE tenant_id = $1 AND id = $2 AND (last_used_at IS NULL OR last_used_at < now() - interval '1 minute')`,
      [tenantId, apiKeyId],
    );
  }
}
