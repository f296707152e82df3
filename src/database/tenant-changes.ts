/**
 * The PostgreSQL NOTIFY channel on which every change to a tenant's keys or API keys is announced,
 * with the tenant id as payload; each instance drops what it cached for that tenant.
 */
export const TENANT_CHANGES_CHANNEL = 'tenant_changes';
