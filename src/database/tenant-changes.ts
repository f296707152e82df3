import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { Inject, Injectable, Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { Client } from 'pg';
import { APP_CONFIG, type RuntimeConfig } from '../config/config';

/**
 * The PostgreSQL NOTIFY channel on which every change to a tenant's keys or API keys is announced (Change.announce),
 * with the tenant id as payload; each instance drops what it cached for that tenant.
 */
export const TENANT_CHANGES_CHANNEL = 'tenant_changes';

/** The LISTEN connection's name in `pg_stat_activity`. */
export const CHANGE_LISTENER_APPLICATION_NAME = 'key-service change listener';

const RECONNECT_DELAY_MS = 1_000;

/**
 * This instance hearing announced changes, on its one LISTEN connection: each subscriber (the tenant cache, which
 * forgets the tenant; the webhook delivery loops, which an event of the change awaits) is told the tenant id of each
 * change, and `null` when the connection was lost or is back, as changes may have gone unheard meanwhile.
 *
 * The connection is trusted only while it proves that it hears: every CACHE_HEARTBEAT_SECONDS it NOTIFYs a channel
 * of its own and hears that back. PostgreSQL delivers notifications in commit order, so a heartbeat heard means every
 * change committed before it was sent was heard too. When none has come back for two intervals (the connection may be
 * gone without a reset, as after a NAT timeout), `hearsAll()` is false and it reconnects.
 */
@Injectable()
export class TenantChangeListener implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(TenantChangeListener.name);
  private readonly listeners = new Set<(tenantId: string | null) => void>();
  private listener?: Client;
  /** Every change committed before this time (performance.now()) has been heard; -Infinity: not listening. */
  private heardUpTo = -Infinity;
  /** How long after `heardUpTo` the connection is trusted. */
  private readonly heartbeatDeadlineMs: number;
  /** This instance's own heartbeat channel. */
  private readonly heartbeatChannel = `tenant_changes_heartbeat_${randomBytes(6).toString('hex')}`;
  private stopped = false;
  private reconnectTimer?: NodeJS.Timeout;
  private heartbeatTimer?: NodeJS.Timeout;

  constructor(@Inject(APP_CONFIG) private readonly config: RuntimeConfig) {
    this.heartbeatDeadlineMs = 2 * config.cacheHeartbeatSeconds * 1_000;
  }

  /** Calls `listener` on each change heard; answers the unsubscription. */
  subscribe(listener: (tenantId: string | null) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Whether every change committed up to a heartbeat recent enough has been heard. */
  hearsAll(): boolean {
    return performance.now() - this.heardUpTo <= this.heartbeatDeadlineMs;
  }

  async onModuleInit(): Promise<void> {
    await this.listen();
  }

  async onApplicationShutdown(): Promise<void> {
    const answering = this.hearsAll();
    this.stopped = true;
    this.heardUpTo = -Infinity;
    clearTimeout(this.reconnectTimer);
    clearInterval(this.heartbeatTimer);
    // A connection that stopped answering would not answer a goodbye either.
    if (answering) await this.listener?.end().catch(() => undefined);
    else this.listener?.connection.stream.destroy();
  }

  private heard(tenantId: string | null): void {
    for (const listener of this.listeners) listener(tenantId);
  }

  private async listen(): Promise<void> {
    if (this.stopped) return;
    const client = new Client({ connectionString: this.config.databaseUrl, application_name: CHANGE_LISTENER_APPLICATION_NAME });
    this.listener = client;
    client.on('notification', ({ channel, payload }) => {
      if (this.listener !== client) return;
      if (channel === this.heartbeatChannel) this.heardUpTo = Math.max(this.heardUpTo, Number(payload));
      else if (payload) this.heard(payload);
    });
    client.on('error', (error) => {
      if (this.listener !== client) return;
      this.logger.warn(`Change channel lost (${error.message}); caching paused until it is back`);
      this.reconnect(client);
    });
    client.on('end', () => this.reconnect(client));
    this.watch(client);
    try {
      await client.connect();
      await client.query(`LISTEN ${TENANT_CHANGES_CHANNEL}`);
      await client.query(`LISTEN ${this.heartbeatChannel}`);
      if (this.listener !== client) return;
      // Whatever changed while we were not listening is unknown: subscribers start from nothing, then are trusted.
      this.heard(null);
      this.heardUpTo = performance.now();
    } catch (error) {
      if (this.listener !== client) return;
      this.logger.warn(`Cannot listen for changes (${(error as Error).message}); caching paused`);
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
        this.logger.warn(`Change channel silent for ${this.heartbeatDeadlineMs / 1_000} s; caching paused, reconnecting`);
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
    this.heard(null);
    // Closed on our side alone: a connection that stopped answering would not answer a goodbye.
    client.connection.stream.destroy();
    this.reconnectTimer = setTimeout(() => void this.listen(), RECONNECT_DELAY_MS);
    this.reconnectTimer.unref();
  }
}
