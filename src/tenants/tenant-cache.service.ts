import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { Inject, Injectable, Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { LRUCache } from 'lru-cache';
import { Client } from 'pg';
import { APP_CONFIG, type RuntimeConfig } from '../config/config';
import { TENANT_CHANGES_CHANNEL, TenantChangeSignal } from '../database/tenant-changes';
import { UnitOfWork } from '../webhooks/unit-of-work';

const RECONNECT_DELAY_MS = 1_000;

/** The LISTEN connection's name in `pg_stat_activity`. */
export const CACHE_LISTENER_APPLICATION_NAME = 'key-service cache listener';

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
 * the database forgets that tenant.
 *
 * The cache is trusted only while its LISTEN connection proves that it hears: every CACHE_HEARTBEAT_SECONDS it
 * NOTIFYs a channel of its own and hears that back. PostgreSQL delivers notifications in commit order, so a
 * heartbeat heard means every change committed before it was sent was heard too. When none has come back for two
 * intervals (the connection may be gone without a reset, as after a NAT timeout), nothing is served from the cache
 * or kept in it, and the listener reconnects, starting from an empty cache: a stale answer is worse than a slow one.
 * A change is thus served stale for at most two intervals after it commits.
 */
@Injectable()
export class TenantCacheService implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(TenantCacheService.name);
  /** Keyed `<tenant id> <key>`. */
  private readonly entries: LRUCache<string, { value: unknown }>;
  /** Each tenant's keys in `entries`, least recently used first, to bound and forget a tenant; kept in step by `dispose`. */
  private readonly keysByTenant = new Map<string, Set<string>>();
  /** Loads in flight per tenant: a change marks them stale, so that a value read before it is not kept. */
  private readonly loads = new Map<string, Set<Load>>();
  private readonly purgeTimer: NodeJS.Timeout;
  private listener?: Client;
  /** Every change committed before this time (performance.now()) has been heard; -Infinity: not listening. */
  private heardUpTo = -Infinity;
  /** How long after `heardUpTo` the cache is trusted. */
  private readonly heartbeatDeadlineMs: number;
  /** This instance's own heartbeat channel. */
  private readonly heartbeatChannel = `tenant_cache_heartbeat_${randomBytes(6).toString('hex')}`;
  private stopped = false;
  private reconnectTimer?: NodeJS.Timeout;
  private heartbeatTimer?: NodeJS.Timeout;

  constructor(
    @Inject(APP_CONFIG) private readonly config: RuntimeConfig,
    private readonly signal: TenantChangeSignal,
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
    this.heartbeatDeadlineMs = 2 * config.cacheHeartbeatSeconds * 1_000;
  }

  async onModuleInit(): Promise<void> {
    await this.listen();
  }

  async onApplicationShutdown(): Promise<void> {
    const answering = this.trusted();
    this.stopped = true;
    this.heardUpTo = -Infinity;
    clearTimeout(this.reconnectTimer);
    clearInterval(this.heartbeatTimer);
    clearInterval(this.purgeTimer);
    // A connection that stopped answering would not answer a goodbye either.
    if (answering) await this.listener?.end().catch(() => undefined);
    else this.listener?.connection.stream.destroy();
  }

  /** Whether the listener heard everything committed up to a heartbeat recent enough. */
  private trusted(): boolean {
    return performance.now() - this.heardUpTo <= this.heartbeatDeadlineMs;
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

  private async listen(): Promise<void> {
    if (this.stopped) return;
    const client = new Client({ connectionString: this.config.databaseUrl, application_name: CACHE_LISTENER_APPLICATION_NAME });
    this.listener = client;
    client.on('notification', ({ channel, payload }) => {
      if (this.listener !== client) return;
      if (channel === this.heartbeatChannel) this.heardUpTo = Math.max(this.heardUpTo, Number(payload));
      else if (payload) {
        this.forget(payload);
        this.signal.heard(payload);
      }
    });
    client.on('error', (error) => {
      if (this.listener !== client) return;
      this.logger.warn(`Cache invalidation channel lost (${error.message}); caching paused until it is back`);
      this.reconnect(client);
    });
    client.on('end', () => this.reconnect(client));
    this.watch(client);
    try {
      await client.connect();
      await client.query(`LISTEN ${TENANT_CHANGES_CHANNEL}`);
      await client.query(`LISTEN ${this.heartbeatChannel}`);
      if (this.listener !== client) return;
      // Whatever changed while we were not listening is unknown: start from nothing.
      this.forgetAll();
      this.heardUpTo = performance.now();
      this.signal.heard(null);
    } catch (error) {
      if (this.listener !== client) return;
      this.logger.warn(`Cannot listen for key changes (${(error as Error).message}); caching paused`);
      this.reconnect(client);
    }
  }

  /**
   * Sends a heartbeat every interval, one at a time; reconnects when none has come back for two intervals
   * (or the connection has not started listening in that time).
   */
  private watch(client: Client): void {
    const startedAt = performance.now();
    let beating = false;
    this.heartbeatTimer = setInterval(() => {
      if (performance.now() - Math.max(this.heardUpTo, startedAt) > this.heartbeatDeadlineMs) {
        this.logger.warn(`Cache invalidation channel silent for ${this.heartbeatDeadlineMs / 1_000} s; caching paused, reconnecting`);
        this.reconnect(client);
        return;
      }
      if (this.heardUpTo === -Infinity || beating) return;
      beating = true;
      client
        .query('SELECT pg_notify($1, $2)', [this.heartbeatChannel, String(performance.now())])
        .catch(() => undefined) // the connection's own error or end reconnects
        .finally(() => (beating = false));
    }, this.config.cacheHeartbeatSeconds * 1_000);
    this.heartbeatTimer.unref();
  }

  private reconnect(client: Client): void {
    if (this.listener !== client || this.stopped) return;
    clearInterval(this.heartbeatTimer);
    this.heardUpTo = -Infinity;
    this.listener = undefined;
    this.forgetAll();
    // Closed on our side alone: a connection that stopped answering would not answer a goodbye.
    client.connection.stream.destroy();
    this.reconnectTimer = setTimeout(() => void this.listen(), RECONNECT_DELAY_MS);
    this.reconnectTimer.unref();
  }
}
