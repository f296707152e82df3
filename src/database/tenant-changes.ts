import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';

/**
 * The PostgreSQL NOTIFY channel on which every change to a tenant's keys or API keys is announced,
 * with the tenant id as payload; each instance drops what it cached for that tenant.
 */
export const TENANT_CHANGES_CHANNEL = 'tenant_changes';

/** Announces a change of the tenant's keys or API keys, in the change's transaction: delivered when it commits, never if it rolls back. */
export async function announceTenantChange(manager: EntityManager, tenantId: string): Promise<void> {
  await manager.query('SELECT pg_notify($1, $2)', [TENANT_CHANGES_CHANNEL, tenantId]);
}

/**
 * This instance hearing announced changes: the one LISTEN connection (TenantCacheService's) reports each change
 * here, with `null` when it reconnected and may have missed some; others (the webhook delivery loops, which an
 * event of the change awaits) subscribe.
 */
@Injectable()
export class TenantChangeSignal {
  private readonly listeners = new Set<(tenantId: string | null) => void>();

  /** Calls `listener` on each change heard; answers the unsubscription. */
  subscribe(listener: (tenantId: string | null) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  heard(tenantId: string | null): void {
    for (const listener of this.listeners) listener(tenantId);
  }
}
