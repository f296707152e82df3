import { Injectable } from '@nestjs/common';

/**
 * The PostgreSQL NOTIFY channel on which every change to a tenant's keys or API keys is announced (Change.announce),
 * with the tenant id as payload; each instance drops what it cached for that tenant.
 */
export const TENANT_CHANGES_CHANNEL = 'tenant_changes';

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
