import { Inject, Injectable, Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { APP_CONFIG, type RuntimeConfig } from '../config/config';
import { TENANT_CHANGES_CHANNEL } from '../database/tenant-changes';

const RECONNECT_DELAY_MS = 1_000;

/**
 * Per-tenant memory for hot reads (the JWKS body, keys opened for signing, verified API keys). Every
 * change to a tenant's keys or API keys is announced with PostgreSQL NOTIFY, so that every instance on
 * the database forgets that tenant.
 * While the LISTEN connection is down, nothing is cached: a stale answer is worse than a slow one.
 */
@Injectable()
export class TenantCacheService implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(TenantCacheService.name);
  private readonly entries = new Map<string, Map<string, { value: unknown; expiresAt: number }>>();
  /** Bumped on every invalidation: a value read before a change is not stored after it. */
  private readonly generations = new Map<string, number>();
  private listener?: Client;
  private listening = false;
  private stopped = false;
  private reconnectTimer?: NodeJS.Timeout;

  constructor(
    private readonly dataSource: DataSource,
    @Inject(APP_CONFIG) private readonly config: RuntimeConfig,
  ) {}

  async onModuleInit(): Promise<void> {
    await this.listen();
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    this.listening = false;
    clearTimeout(this.reconnectTimer);
    await this.listener?.end().catch(() => undefined);
  }

  /** The cached value if there is a fresh one; never loads. */
  peek<T>(tenantId: string, key: string): T | undefined {
    const cached = this.entries.get(tenantId)?.get(key);
    return cached && cached.expiresAt > Date.now() ? (cached.value as T) : undefined;
  }

  /**
   * The cached value, or `load()`'s, remembered unless the tenant's keys changed while it loaded.
   * `expiresAt` bounds values that time changes by itself (a retiring key turns retired at its retireAt).
   */
  async getOrLoad<T>(tenantId: string, key: string, load: () => Promise<T>, expiresAt: (value: T) => number = () => Infinity): Promise<T> {
    const cached = this.peek<T>(tenantId, key);
    if (cached !== undefined) return cached;
    const generation = this.generations.get(tenantId) ?? 0;
    const value = await load();
    if (this.listening && (this.generations.get(tenantId) ?? 0) === generation && value !== undefined) {
      let tenantEntries = this.entries.get(tenantId);
      if (!tenantEntries) this.entries.set(tenantId, (tenantEntries = new Map()));
      tenantEntries.set(key, { value, expiresAt: expiresAt(value) });
    }
    return value;
  }

  /** After a change is committed: forget here at once, and tell the other instances. */
  async tenantChanged(tenantId: string): Promise<void> {
    this.forget(tenantId);
    try {
      await this.dataSource.query('SELECT pg_notify($1, $2)', [TENANT_CHANGES_CHANNEL, tenantId]);
    } catch (error) {
      // The change itself is committed; other instances drop their caches when their channel breaks too.
      this.logger.warn(`Could not announce a key change of tenant ${tenantId}: ${(error as Error).message}`);
    }
  }

  /** Drops what this instance cached for the tenant, and any value being loaded for it. */
  forget(tenantId: string): void {
    this.generations.set(tenantId, (this.generations.get(tenantId) ?? 0) + 1);
    this.entries.delete(tenantId);
  }

  private forgetAll(): void {
    for (const tenantId of [...this.entries.keys(), ...this.generations.keys()]) this.forget(tenantId);
  }

  private async listen(): Promise<void> {
    if (this.stopped) return;
    const client = new Client({ connectionString: this.config.databaseUrl });
    client.on('notification', (message) => message.payload && this.forget(message.payload));
    client.on('error', (error) => {
      this.logger.warn(`Cache invalidation channel lost (${error.message}); caching paused until it is back`);
      this.reconnect(client);
    });
    client.on('end', () => this.reconnect(client));
    this.listener = client;
    try {
      await client.connect();
      await client.query(`LISTEN ${TENANT_CHANGES_CHANNEL}`);
      // Whatever changed while we were not listening is unknown: start from nothing.
      this.forgetAll();
      this.listening = true;
    } catch (error) {
      this.logger.warn(`Cannot listen for key changes (${(error as Error).message}); caching paused`);
      this.reconnect(client);
    }
  }

  private reconnect(client: Client): void {
    if (this.listener !== client || this.stopped) return;
    this.listening = false;
    this.listener = undefined;
    this.forgetAll();
    client.end().catch(() => undefined);
    this.reconnectTimer = setTimeout(() => void this.listen(), RECONNECT_DELAY_MS);
    this.reconnectTimer.unref();
  }
}
