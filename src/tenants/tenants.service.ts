import { randomUUID } from 'node:crypto';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { LRUCache } from 'lru-cache';
import { API_KEY_SCOPES, type ApiKeyScope } from '../common/route-access';
import { APP_CONFIG, type RuntimeConfig } from '../config/config';
import { AuditTrail, SYSTEM_ACTOR, type AuditActor, type AuditEvent } from '../audit/audit-trail';
import { UnitOfWork } from '../changes/unit-of-work';
import type { ApiKeyEntity } from './api-key.entity';
import { secretMatches, apiKeyPrefix, generateApiKey, hashSecret } from './api-key-secret';
import { ApiKeyLimitError, ApiKeyNotFoundError, TenantNotFoundError } from './tenant-errors';
import { TenantsRepository, type ApiKeySummary, type NewApiKey, type TenantSummary } from './tenants.repository';

/** What a new API key may do; by default (the CLI without options) everything, for ever. */
export interface ApiKeyGrant {
  name?: string | null;
  scopes?: readonly ApiKeyScope[];
  /** Key ids or aliases it may sign with; null: any. */
  signKeys?: readonly string[] | null;
  expiresAt?: Date | null;
}

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

  constructor(
    private readonly repository: TenantsRepository,
    private readonly work: UnitOfWork,
    private readonly audit: AuditTrail,
    @Inject(APP_CONFIG) private readonly config: RuntimeConfig,
  ) {}

  /** The tenant and its first API key, in one transaction with the key's audit row. */
  async createTenant(actor: AuditActor, name: string, id: string = randomUUID(), apiKey = generateApiKey()): Promise<IssuedApiKey> {
    const apiKeyId = randomUUID();
    const event: AuditEvent = { actor, action: 'api_key.create', tenantId: id, keyId: apiKeyId, detail: { tenantCreated: true } };
    return this.audit.attempt(event, () =>
      this.work.run(async (change) => {
        await this.repository.insertTenant(change.manager, id, name);
        await this.repository.insertApiKey(change.manager, this.apiKeyRow(apiKeyId, id, apiKey));
        change.audit(event);
        return { tenantId: id, apiKeyId, apiKey };
      }),
    );
  }

  tenantExists(tenantId: string): Promise<boolean> {
    return this.repository.tenantExists(tenantId);
  }

  async createApiKey(actor: AuditActor, tenantId: string, grant: ApiKeyGrant = {}, apiKey = generateApiKey()): Promise<IssuedApiKey> {
    const apiKeyId = randomUUID();
    const scopes = [...(grant.scopes ?? API_KEY_SCOPES)];
    const event: AuditEvent = { actor, action: 'api_key.create', tenantId, keyId: apiKeyId, detail: { scopes: scopes.join(' ') } };
    return this.audit.attempt(event, () =>
      this.work.run(async (change) => {
        const { manager } = change;
        if (!(await this.repository.tenantExists(tenantId, manager))) throw new TenantNotFoundError(tenantId);
        const limit = this.config.limits.apiKeysPerTenant;
        if ((await this.repository.countUsableApiKeysLocked(manager, tenantId)) >= limit) throw new ApiKeyLimitError(limit);
        await this.repository.insertApiKey(manager, {
          ...this.apiKeyRow(apiKeyId, tenantId, apiKey),
          name: grant.name ?? null,
          scopes,
          signKeys: grant.signKeys ? [...grant.signKeys] : null,
          expiresAt: grant.expiresAt ?? null,
        });
        // Revoked and expired keys are history, the newest MAX_API_KEYS_PER_TENANT of them kept (their events stay in the trail).
        await this.repository.pruneUnusableApiKeys(manager, tenantId, limit);
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
    const owner = (await this.repository.tenantOfApiKey(apiKeyId)) ?? null;
    const tenantId = ofTenant === undefined || owner === ofTenant ? owner : null;
    const event: AuditEvent = { actor, action: 'api_key.revoke', keyId: apiKeyId, tenantId };
    await this.audit.attempt(event, () =>
      this.work.run(async (change) => {
        // Another tenant's key, or none: not found, as is one revoked meanwhile.
        if (tenantId === null || !(await this.repository.revokeApiKey(change.manager, tenantId, apiKeyId))) throw new ApiKeyNotFoundError(apiKeyId);
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
    const candidates = await this.repository.usableApiKeysByPrefix(tenantId, apiKeyPrefix(apiKey), new Date());
    return candidates.find((candidate) => secretMatches(apiKey, candidate.secretHash));
  }

  /**
   * The tenant of the active API key with this secret, whichever tenant it is, compared in constant time; undefined if
   * none. Prefixes may repeat across tenants: every candidate is compared.
   */
  async tenantOfActiveApiKey(apiKey: string): Promise<string | undefined> {
    const candidates = await this.repository.usableApiKeysByPrefixAnyTenant(apiKeyPrefix(apiKey), new Date());
    return candidates.find((candidate) => secretMatches(apiKey, candidate.secretHash))?.tenantId;
  }

  /** Every tenant, oldest first, with its number of active API keys. */
  listTenants(): Promise<TenantSummary[]> {
    return this.repository.listTenants();
  }

  /** A tenant's API keys, revoked ones included, oldest first. */
  async listApiKeys(tenantId: string): Promise<ApiKeySummary[]> {
    if (!(await this.tenantExists(tenantId))) throw new TenantNotFoundError(tenantId);
    return this.repository.listApiKeys(tenantId);
  }

  /** One of the tenant's API keys (never its secret); undefined for another tenant's or none. */
  getApiKey(tenantId: string, id: string): Promise<ApiKeySummary | undefined> {
    return this.repository.getApiKey(tenantId, id);
  }

  /** Records that the key authenticated a request: at most once a minute per key, never delaying the request. */
  noteApiKeyUsed(tenantId: string, apiKeyId: string): void {
    if (this.lastUsedWritten.has(apiKeyId)) return;
    this.lastUsedWritten.set(apiKeyId, true);
    this.repository
      .noteApiKeyUsed(tenantId, apiKeyId)
      .catch((error: unknown) => this.logger.warn(`Could not record when API key ${apiKeyId} was last used: ${(error as Error).message}`));
  }

  /** Makes sure the configured bootstrap tenant and API key exist (idempotent, safe on every start). */
  async ensureBootstrap(tenantId: string, apiKey: string): Promise<void> {
    await this.work.run(async (change) => {
      const { manager } = change;
      await this.repository.insertTenantIfNew(manager, tenantId, 'bootstrap');
      const apiKeyId = randomUUID();
      if (await this.repository.insertApiKeyIfNew(manager, this.apiKeyRow(apiKeyId, tenantId, apiKey))) {
        change.audit({ actor: SYSTEM_ACTOR, action: 'api_key.create', tenantId, keyId: apiKeyId, detail: { bootstrap: true } });
      }
      const existing = await this.repository.findApiKeyBySecretHash(manager, hashSecret(apiKey));
      if (existing?.tenantId !== tenantId) {
        throw new Error('BOOTSTRAP_API_KEY is already in use by another tenant');
      }
      if (existing.revokedAt) this.logger.warn('BOOTSTRAP_API_KEY was revoked and stays revoked');
    });
  }

  /** On a database with no tenant at all, creates `default` and returns its first API key. */
  async createDefaultTenantIfNone(): Promise<IssuedApiKey | undefined> {
    if (await this.repository.anyTenant()) return undefined;
    return this.createTenant(SYSTEM_ACTOR, 'default');
  }

  /** A new key's row; every scope unless the grant narrows it (createApiKey). */
  private apiKeyRow(id: string, tenantId: string, apiKey: string): NewApiKey {
    return { id, tenantId, prefix: apiKeyPrefix(apiKey), secretHash: hashSecret(apiKey), scopes: [...API_KEY_SCOPES] };
  }
}
