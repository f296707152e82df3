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
