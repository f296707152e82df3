import { randomUUID } from 'node:crypto';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { LRUCache } from 'lru-cache';
import { DataSource, IsNull, MoreThan, Or } from 'typeorm';
import { API_KEY_SCOPES, type ApiKeyScope } from '../common/route-access';
import { APP_CONFIG, type RuntimeConfig } from '../config/config';
import { lockCount } from '../database/count-lock';
import { entityColumns, preparedRows, type PreparedStatement } from '../database/prepared-statements';
import { AuditTrail, SYSTEM_ACTOR, type AuditActor, type AuditEvent } from '../audit/audit-trail';
import { UnitOfWork } from '../changes/unit-of-work';
import { ApiKeyEntity } from './api-key.entity';
import { secretMatches, apiKeyPrefix, generateApiKey, hashSecret } from './api-key-secret';
import { ApiKeyLimitError, ApiKeyNotFoundError, TenantNotFoundError } from './tenant-errors';
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

/** What a new API key may do; by default (the CLI without options) everything, for ever. */
export interface ApiKeyGrant {
  name?: string | null;
  scopes?: readonly ApiKeyScope[];
  /** Key ids or aliases it may sign with; null: any. */
  signKeys?: readonly string[] | null;
  expiresAt?: Date | null;
}

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

/** An API key that can still be used: neither revoked nor expired (an expired key is refused as a revoked one is). */
const usable = () => ({ revokedAt: IsNull(), expiresAt: Or(IsNull(), MoreThan(new Date())) });

/** `lastUsedAt` is precise to this much, so that a busy key costs one write a minute, not one per request. */
const LAST_USED_PRECISION_MS = 60_000;

export interface IssuedApiKey {
  tenantId: string;
  apiKeyId: string;
  /** The raw secret: returned once, never stored. */
  apiKey: string;
}

@Injectable()
export class TenantsService {
  private readonly logger = new Logger(TenantsService.name);
  /** When this instance last wrote each key's lastUsedAt; the SQL condition keeps several instances to one write a minute. */
  private readonly lastUsedWritten = new LRUCache<string, true>({ max: 10_000, ttl: LAST_USED_PRECISION_MS });
  /** The API-key lookup of every authentication the cache does not answer: usable keys with the secret's prefix. */
  private readonly usableKeysByPrefix: PreparedStatement;

  constructor(
    private readonly dataSource: DataSource,
    private readonly work: UnitOfWork,
    private readonly audit: AuditTrail,
    @Inject(APP_CONFIG) private readonly config: RuntimeConfig,
  ) {
    this.usableKeysByPrefix = {
      name: 'api_keys_usable_by_prefix',
      text: `SELECT ${entityColumns(dataSource.getMetadata(ApiKeyEntity))} FROM api_keys
             WHERE tenant_id = $1 AND prefix = $2 AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > $3)`,
    };
  }

  /** The tenant and its first API key, in one transaction with the key's audit row. */
  async createTenant(actor: AuditActor, name: string, id: string = randomUUID(), apiKey = generateApiKey()): Promise<IssuedApiKey> {
    const apiKeyId = randomUUID();
    const event: AuditEvent = { actor, action: 'api_key.create', tenantId: id, keyId: apiKeyId, detail: { tenantCreated: true } };
    return this.audit.attempt(event, () =>
      this.work.run(async (change) => {
        await change.manager.insert(TenantEntity, { id, name });
        await change.manager.insert(ApiKeyEntity, this.apiKeyRow(apiKeyId, id, apiKey));
        change.audit(event);
        return { tenantId: id, apiKeyId, apiKey };
      }),
    );
  }

  tenantExists(tenantId: string): Promise<boolean> {
    return this.dataSource.getRepository(TenantEntity).existsBy({ id: tenantId });
  }

  async createApiKey(actor: AuditActor, tenantId: string, grant: ApiKeyGrant = {}, apiKey = generateApiKey()): Promise<IssuedApiKey> {
    const apiKeyId = randomUUID();
    const scopes = [...(grant.scopes ?? API_KEY_SCOPES)];
    const event: AuditEvent = { actor, action: 'api_key.create', tenantId, keyId: apiKeyId, detail: { scopes: scopes.join(' ') } };
    return this.audit.attempt(event, () =>
      this.work.run(async (change) => {
        const { manager } = change;
        if (!(await manager.existsBy(TenantEntity, { id: tenantId }))) throw new TenantNotFoundError(tenantId);
        await lockCount(manager, 'api-keys', tenantId);
        const limit = this.config.limits.apiKeysPerTenant;
        if ((await manager.countBy(ApiKeyEntity, { tenantId, ...usable() })) >= limit) throw new ApiKeyLimitError(limit);
        await manager.insert(ApiKeyEntity, {
          ...this.apiKeyRow(apiKeyId, tenantId, apiKey),
          name: grant.name ?? null,
          scopes,
          signKeys: grant.signKeys ? [...grant.signKeys] : null,
          expiresAt: grant.expiresAt ?? null,
        });
        // Revoked and expired keys are history, the newest MAX_API_KEYS_PER_TENANT of them kept (their events stay in the trail).
        await manager.query(
          `DELETE FROM api_keys WHERE tenant_id = $1 AND id IN (
             SELECT id FROM api_keys WHERE tenant_id = $1 AND (revoked_at IS NOT NULL OR expires_at <= now())
             ORDER BY coalesce(revoked_at, expires_at) DESC, id OFFSET $2)`,
          [tenantId, limit],
        );
        change.audit(event);
        change.emit('api_key.created', { tenantId, apiKeyId });
        // Its event wakes the webhook deliveries of every instance.
        change.announce(tenantId);
        return { tenantId, apiKeyId, apiKey };
      }),
    );
  }

  /**
   * Revokes at once, on every instance: the NOTIFY makes each one drop the tenant's cached credentials. With
   * `ofTenant` (over HTTP), another tenant's key is answered as not found.
   */
  async revokeApiKey(actor: AuditActor, apiKeyId: string, ofTenant?: string): Promise<void> {
    // Its tenant, for the audit row: a refused revocation still belongs in its tenant's trail.
    const owner = (await this.dataSource.getRepository(ApiKeyEntity).findOneBy({ id: apiKeyId }))?.tenantId ?? null;
    const tenantId = ofTenant === undefined || owner === ofTenant ? owner : null;
    const event: AuditEvent = { actor, action: 'api_key.revoke', keyId: apiKeyId, tenantId };
    await this.audit.attempt(event, () =>
      this.work.run(async (change) => {
        const result = await change.manager.update(ApiKeyEntity, { id: apiKeyId, revokedAt: IsNull() }, { revokedAt: () => 'now()' });
        if (!result.affected || tenantId === null) throw new ApiKeyNotFoundError(apiKeyId);
        change.audit(event);
        change.emit('api_key.revoked', { tenantId, apiKeyId });
        // Delivered on commit, so no instance can reload the key before the revocation is visible (this one forgets at once).
        change.announce(tenantId);
      }),
    );
  }

  /** The tenant's active API key with this secret, compared in constant time; undefined if none. */
  async findActiveApiKey(tenantId: string, apiKey: string): Promise<ApiKeyEntity | undefined> {
    // Expiry judged on this instance's clock, as usable() and the cached key's check do.
    const candidates = await preparedRows<ApiKeyEntity>(this.dataSource, this.usableKeysByPrefix, [tenantId, apiKeyPrefix(apiKey), new Date()]);
    return candidates.find((candidate) => secretMatches(apiKey, candidate.secretHash));
  }

  /** Every tenant, oldest first, with its number of active API keys. */
  async listTenants(): Promise<TenantSummary[]> {
    const rows = await this.dataSource.query<{ id: string; name: string; created_at: Date; active_api_keys: number }[]>(
      `SELECT t.id, t.name, t.created_at, count(k.id) FILTER (WHERE k.revoked_at IS NULL)::int AS active_api_keys
       FROM tenants t LEFT JOIN api_keys k ON k.tenant_id = t.id
       GROUP BY t.id ORDER BY t.created_at, t.id`,
    );
    return rows.map((row) => ({ id: row.id, name: row.name, createdAt: row.created_at, activeApiKeys: row.active_api_keys }));
  }

  /** A tenant's API keys, revoked ones included, oldest first. */
  async listApiKeys(tenantId: string): Promise<ApiKeySummary[]> {
    if (!(await this.tenantExists(tenantId))) throw new TenantNotFoundError(tenantId);
    return this.dataSource.getRepository(ApiKeyEntity).find({ select: API_KEY_SUMMARY, where: { tenantId }, order: { createdAt: 'ASC', id: 'ASC' } });
  }

  /** One of the tenant's API keys (never its secret); undefined for another tenant's or none. */
  async getApiKey(tenantId: string, id: string): Promise<ApiKeySummary | undefined> {
    return (await this.dataSource.getRepository(ApiKeyEntity).findOne({ select: API_KEY_SUMMARY, where: { tenantId, id } })) ?? undefined;
  }

  /** Records that the key authenticated a request: at most once a minute per key, never delaying the request. */
  noteApiKeyUsed(apiKeyId: string): void {
    if (this.lastUsedWritten.has(apiKeyId)) return;
    this.lastUsedWritten.set(apiKeyId, true);
    this.dataSource
      .query(`UPDATE api_keys SET last_used_at = now() WHERE id = $1 AND (last_used_at IS NULL OR last_used_at < now() - interval '1 minute')`, [
        apiKeyId,
      ])
      .catch((error: unknown) => this.logger.warn(`Could not record when API key ${apiKeyId} was last used: ${(error as Error).message}`));
  }

  /** Makes sure the configured bootstrap tenant and API key exist (idempotent, safe on every start). */
  async ensureBootstrap(tenantId: string, apiKey: string): Promise<void> {
    await this.work.run(async (change) => {
      const { manager } = change;
      await manager.createQueryBuilder().insert().into(TenantEntity).values({ id: tenantId, name: 'bootstrap' }).orIgnore().execute();
      const apiKeyId = randomUUID();
      const inserted = await manager
        .createQueryBuilder()
        .insert()
        .into(ApiKeyEntity)
        .values(this.apiKeyRow(apiKeyId, tenantId, apiKey))
        .orIgnore()
        .returning('id')
        .execute();
      if ((inserted.raw as unknown[]).length > 0) {
        change.audit({ actor: SYSTEM_ACTOR, action: 'api_key.create', tenantId, keyId: apiKeyId, detail: { bootstrap: true } });
      }
      const existing = await manager.findOneBy(ApiKeyEntity, { secretHash: hashSecret(apiKey) });
      if (existing?.tenantId !== tenantId) {
        throw new Error('BOOTSTRAP_API_KEY is already in use by another tenant');
      }
      if (existing.revokedAt) this.logger.warn('BOOTSTRAP_API_KEY was revoked and stays revoked');
    });
  }

  /** On a database with no tenant at all, creates `default` and returns its first API key. */
  async createDefaultTenantIfNone(): Promise<IssuedApiKey | undefined> {
    if (await this.dataSource.getRepository(TenantEntity).exists()) return undefined;
    return this.createTenant(SYSTEM_ACTOR, 'default');
  }

  /** A new key's row; every scope unless the grant narrows it (createApiKey). */
  private apiKeyRow(id: string, tenantId: string, apiKey: string): Partial<ApiKeyEntity> {
    return { id, tenantId, prefix: apiKeyPrefix(apiKey), secretHash: hashSecret(apiKey), scopes: [...API_KEY_SCOPES] };
  }
}
