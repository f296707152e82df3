import { Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import { LRUCache } from 'lru-cache';
import { APP_CONFIG, type RuntimeConfig } from '../config/config';
import { TenantChangeListener } from '../database/tenant-changes';
import { UnitOfWork } from '../changes/unit-of-work';

/** A value being loaded, and whether the tenant changed meanwhile (then it is not kept). */
interface Load {
  stale: boolean;
}

/** How often entries past their time are dropped, read or not. */
const PURGE_INTERVAL_MS = 60_000;

/**
 * Per-tenant memory for hot reads (the JWKS body, keys opened for signing, verified API keys), bounded: one
 * LRU of at most CACHE_MAX_ENTRIES entries across all tenants, at most CACHE_MAX_ENTRIES_PER_TENANT of them one
 * tenant's (its own least recently used go first), entries past their time dropped every minute. Only what was
 * found is kept: a tenant asking for names that do not exist adds nothing, so it cannot push others out.
 * Every change to a tenant's keys or API keys is announced with PostgreSQL NOTIFY, so that every instance on
 * the database forgets that tenant (TenantChangeListener).
 *
 * The cache is trusted only while the change listener proves that it hears every change (TenantChangeListener.hearsAll):
 * otherwise nothing is served from the cache or kept in it, and what it held is forgotten when the listener is lost or
 * back: a stale answer is worse than a slow one. A change is thus served stale for at most two heartbeats after it commits.
 */
@Injectable()
export class TenantCacheService implements OnApplicationShutdown {
  /** Keyed `<tenant id> <key>`. */
  private readonly entries: LRUCache<string, { value: unknown }>;
  /** Each tenant's keys in `entries`, least recently used first, to bound and forget a tenant; kept in step by `dispose`. */
  private readonly keysByTenant = new Map<string, Set<string>>();
  /** Loads in flight per tenant: a change marks them stale, so that a value read before it is not kept. */
  private readonly loads = new Map<string, Set<Load>>();
  private readonly purgeTimer: NodeJS.Timeout;
  private readonly unsubscribe: () => void;

  constructor(
    @Inject(APP_CONFIG) private readonly config: RuntimeConfig,
    private readonly changes: TenantChangeListener,
    work: UnitOfWork,
  ) {
    // A change this instance commits is forgotten here at once; its NOTIFY reaches the listener a moment later.
    work.onAnnounced((tenantId) => this.forget(tenantId));
    this.entries = new LRUCache({
      max: config.cacheMaxEntries,
      dispose: (_value, key) => {
        const tenantId = key.slice(0, key.indexOf(' '));
        const keys = this.keysByTenant.get(tenantId);
        keys?.delete(key);
        if (keys?.size === 0) this.keysByTenant.delete(tenantId);
      },
    });
    this.purgeTimer = setInterval(() => this.entries.purgeStale(), PURGE_INTERVAL_MS);
    this.purgeTimer.unref();
    // A change forgets its tenant; a listener lost or back forgets everything, as changes may have gone unheard.
    this.unsubscribe = changes.subscribe((tenantId) => (tenantId === null ? this.forgetAll() : this.forget(tenantId)));
  }

  onApplicationShutdown(): void {
    this.unsubscribe();
    clearInterval(this.purgeTimer);
  }

  /** Whether the change listener hears every change, so that what is cached is current. */
  private trusted(): boolean {
    return this.changes.hearsAll();
  }

  /** The cached value if there is a fresh one and the cache is trusted; never loads. */
  peek<T>(tenantId: string, key: string): T | undefined {
    if (!this.trusted()) return undefined;
    const fullKey = `${tenantId} ${key}`;
    const entry = this.entries.get(fullKey);
    if (entry === undefined) return undefined;
    const keys = this.keysByTenant.get(tenantId)!;
    keys.delete(fullKey);
    keys.add(fullKey);
    return entry.value as T;
  }

  /**
   * The cached value, or `load()`'s, remembered unless the tenant's keys changed while it loaded, or it found
   * nothing (null or undefined).
   * `expiresAt` bounds values that time changes by itself (a retiring key turns retired at its retireAt).
   */
  async getOrLoad<T>(tenantId: string, key: string, load: () => Promise<T>, expiresAt: (value: T) => number = () => Infinity): Promise<T> {
    const cached = this.peek<T>(tenantId, key);
    if (cached !== undefined) return cached;
    const inFlight: Load = { stale: false };
    let tenantLoads = this.loads.get(tenantId);
    if (!tenantLoads) this.loads.set(tenantId, (tenantLoads = new Set()));
    tenantLoads.add(inFlight);
    try {
      const value = await load();
      if (this.trusted() && !inFlight.stale && value !== undefined && value !== null)
        this.remember(tenantId, key, value, expiresAt(value) - Date.now());
      return value;
    } finally {
      tenantLoads.delete(inFlight);
      if (tenantLoads.size === 0) this.loads.delete(tenantId);
    }
  }

  private remember(tenantId: string, key: string, value: unknown, ttlMs: number): void {
    if (ttlMs <= 0) return;
    const fullKey = `${tenantId} ${key}`;
    const held = this.keysByTenant.get(tenantId);
    // At its share, the tenant's own least recently used entry makes room, not another tenant's.
    if (held && !held.has(fullKey) && held.size >= this.config.cacheMaxEntriesPerTenant) this.entries.delete(held.values().next().value!);
    this.entries.set(fullKey, { value }, { ttl: ttlMs === Infinity ? 0 : Math.ceil(ttlMs) });
    let keys = this.keysByTenant.get(tenantId);
    if (!keys) this.keysByTenant.set(tenantId, (keys = new Set()));
    keys.add(fullKey);
  }

  /** Drops what this instance cached for the tenant, and any value being loaded for it. */
  forget(tenantId: string): void {
    for (const inFlight of this.loads.get(tenantId) ?? []) inFlight.stale = true;
    for (const key of [...(this.keysByTenant.get(tenantId) ?? [])]) this.entries.delete(key);
  }

  private forgetAll(): void {
    for (const tenantLoads of this.loads.values()) for (const inFlight of tenantLoads) inFlight.stale = true;
    this.entries.clear();
  }
}
