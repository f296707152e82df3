import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { dataSourceOptions } from '../src/database/database.module';
import { APP_SEALED_COLUMNS } from '../src/sealed-columns';
import { TenantKeyEntity } from '../src/tenant-keys/entities/tenant-key.entity';
import { USABLE_BY_PREFIX_ANY_TENANT } from '../src/tenants/tenants.repository';
import { resealStatements } from '../src/tenant-keys/material/kek-rotation';
import { TenantKeysRepository, type DueStep } from '../src/tenant-keys/tenant-keys.repository';
import { LEASE_DUE_DELIVERY } from '../src/webhooks/webhooks.repository';
import { createTestDatabase } from './support/test-database';

/** Tenants, and per tenant: keys, webhook subscriptions, and deliveries of their events. */
const TENANTS = 2_000;
const KEYS = 50_000;
const SUBSCRIPTIONS = 20_000;
const DELIVERIES = 60_000;
const API_KEYS = 40_000;

/** Every index a plan reads, by name. */
function indexesIn(node: Record<string, unknown>): string[] {
  const own = typeof node['Index Name'] === 'string' ? [node['Index Name']] : [];
  const children = (node.Plans as Record<string, unknown>[] | undefined) ?? [];
  return [...own, ...children.flatMap(indexesIn)];
}

/**
 * The statements the code runs, planned by PostgreSQL on tables as full as a busy service's (tens of thousands of
 * rows, statistics up to date): each reads the index it was written for, not every row. Nothing runs them here but
 * EXPLAIN: the service is not started, so no scheduler or delivery loop changes the rows meanwhile.
 */
describe('query plans on full tables', () => {
  let database: { url: string; drop(): Promise<void> };
  let dataSource: DataSource;
  let keys: TenantKeysRepository;

  beforeAll(async () => {
    database = await createTestDatabase();
    dataSource = await new DataSource({ ...dataSourceOptions(database.url), entities: [TenantKeyEntity] }).initialize();
    keys = new TenantKeysRepository(dataSource.getRepository(TenantKeyEntity));
    await dataSource.query(`INSERT INTO tenants (id, name) SELECT gen_random_uuid(), 'tenant ' || i FROM generate_series(1, ${TENANTS}) i`);
    // Mostly active keys without a policy; a few in each state a lifecycle step looks for, some of them due.
    await dataSource.query(`
      WITH tenant AS (SELECT id, row_number() OVER (ORDER BY id) AS n FROM tenants)
      INSERT INTO tenant_keys (tenant_id, id, name, algorithm, type, curve, length, kid, private_key_sealed, status,
        activates_at, retire_at, delete_at, restore_status, rotation_policy, next_rotation_at, certificate_expires_at, created_at)
      SELECT tenant.id, gen_random_uuid(), 'key ' || i, 'ES256', 'EC', 'P-256', 256, md5(i::text), decode(md5(i::text), 'hex'),
        state.status,
        CASE state.status WHEN 'next' THEN now() + make_interval(hours => i % 48 - 1) END,
        CASE WHEN state.status IN ('retiring', 'retired') THEN now() + make_interval(hours => i % 48 - 47) END,
        CASE state.status WHEN 'pending_deletion' THEN now() + make_interval(hours => i % 48 - 1) END,
        CASE state.status WHEN 'pending_deletion' THEN 'active' END,
        CASE WHEN i % 10 = 4 THEN '{"rotateEverySeconds": 86400, "prePublishSeconds": 3600, "retireAfterSeconds": 3600}'::jsonb END,
        CASE WHEN i % 10 = 4 THEN now() + make_interval(hours => i % 100) END,
        CASE WHEN i % 20 = 5 THEN now() + make_interval(days => i % 400) END,
        now() - make_interval(secs => ${KEYS} - i)
      FROM generate_series(1, ${KEYS}) i
      JOIN tenant ON tenant.n = 1 + i % ${TENANTS}
      CROSS JOIN LATERAL (SELECT CASE i % 50 WHEN 0 THEN 'next' WHEN 1 THEN 'retiring' WHEN 2 THEN 'pending_deletion' WHEN 3 THEN 'retired'
        ELSE 'active' END AS status) state`);
    await dataSource.query(`
      WITH tenant AS (SELECT id, row_number() OVER (ORDER BY id) AS n FROM tenants)
      INSERT INTO webhook_subscriptions (id, tenant_id, url, events, secret_sealed, previous_secret_sealed)
      SELECT gen_random_uuid(), tenant.id, 'https://receiver.example/' || i, '{*}', decode(md5(i::text), 'hex'),
        CASE WHEN i % 4 = 0 THEN decode(md5((-i)::text), 'hex') END
      FROM generate_series(1, ${SUBSCRIPTIONS}) i JOIN tenant ON tenant.n = 1 + i % ${TENANTS}`);
    // Most deliveries done; a fifth pending (some of them due, a few being sent), in queues of a few keys each.
    await dataSource.query(`
      WITH subscription AS (SELECT id, tenant_id, row_number() OVER (ORDER BY id) AS n FROM webhook_subscriptions)
      INSERT INTO webhook_deliveries (id, tenant_id, subscription_id, event_type, key_id, body, status, next_attempt_at, leased_until)
      SELECT gen_random_uuid(), subscription.tenant_id, subscription.id, 'key.created', md5((i % 7)::text)::uuid, '{}',
        CASE WHEN i % 5 = 0 THEN 'pending' WHEN i % 50 = 1 THEN 'failed' ELSE 'delivered' END,
        now() + make_interval(mins => i % 120 - 60),
        CASE WHEN i % 500 = 0 THEN now() + interval '20 seconds' END
      FROM generate_series(1, ${DELIVERIES}) i JOIN subscription ON subscription.n = 1 + i % ${SUBSCRIPTIONS}`);
    // API keys as generateApiKey makes them (`ks_` and base64url), a tenth revoked.
    await dataSource.query(`
      WITH tenant AS (SELECT id, row_number() OVER (ORDER BY id) AS n FROM tenants)
      INSERT INTO api_keys (id, tenant_id, prefix, secret_hash, scopes, revoked_at)
      SELECT gen_random_uuid(), tenant.id, 'ks_' || substr(md5(i::text), 1, 9), sha256(i::text::bytea), '{keys:read}',
        CASE WHEN i % 10 = 0 THEN now() END
      FROM generate_series(1, ${API_KEYS}) i JOIN tenant ON tenant.n = 1 + i % ${TENANTS}`);
    await dataSource.query('ANALYZE');
  });

  afterAll(async () => {
    await dataSource?.destroy();
    await database?.drop();
  });

  async function indexesRead(statement: string, parameters: unknown[]): Promise<string[]> {
    const [{ 'QUERY PLAN': plan }] = await dataSource.query<[{ 'QUERY PLAN': [{ Plan: Record<string, unknown> }] }]>(
      `EXPLAIN (FORMAT JSON) ${statement}`,
      parameters,
    );
    return indexesIn(plan[0].Plan);
  }

  it('the API key of a FusionAuth call, which names no tenant, is found by its prefix alone through api_keys_prefix_usable', async () => {
    const statement = `SELECT id, tenant_id, secret_hash FROM api_keys WHERE ${USABLE_BY_PREFIX_ANY_TENANT}`;
    expect(await indexesRead(statement, ['ks_' + 'a'.repeat(9), new Date()])).toEqual(['api_keys_prefix_usable']);
  });

  it('the webhook delivery claim walks the pending deliveries by tenant, and finds each key’s first by its queue', async () => {
    const indexes = await indexesRead(LEASE_DUE_DELIVERY, [randomUUID(), []]);
    expect(indexes).toEqual(expect.arrayContaining(['webhook_deliveries_pending_tenant', 'webhook_deliveries_pending_order']));
  });

  it.each<[DueStep, string]>([
    ['publish', 'tenant_keys_due_rotation'],
    ['activate', 'tenant_keys_due_activation'],
    ['retire', 'tenant_keys_due_retirement'],
    ['delete', 'tenant_keys_due_deletion'],
    ['prune', 'tenant_keys_retired'],
    ['certificateWarning', 'tenant_keys_certificate_expiry'],
  ])('the lifecycle claim of a key due to %s reads %s', async (step, index) => {
    const [statement, parameters] = keys.claimDueQuery(dataSource.manager, step, { keep: 3 }).getQueryAndParameters();
    expect(await indexesRead(statement, parameters)).toContain(index);
  });

  /** Each sealed column's batch, and the index that gives its rows in (tenant id, id) order; a tenant has few subscriptions. */
  const rotationIndexes: Record<string, string> = {
    'tenant_keys.private_key_sealed': 'tenant_keys_pkey',
    'webhook_subscriptions.secret_sealed': 'webhook_subscriptions_tenant',
    'webhook_subscriptions.previous_secret_sealed': 'webhook_subscriptions_tenant',
  };

  it('knows the index of every sealed column that KEK rotation goes through', () => {
    expect(APP_SEALED_COLUMNS.map(({ table, column }) => `${table}.${column}`).sort()).toEqual(Object.keys(rotationIndexes).sort());
  });

  it.each(APP_SEALED_COLUMNS.map((sealed) => [`${sealed.table}.${sealed.column}`, sealed] as const))(
    'a KEK rotation batch of %s reads its rows in order from an index',
    async (name, sealed) => {
      const indexes = await indexesRead(resealStatements(sealed).batch, [Buffer.from('0102', 'hex'), 200]);
      expect(indexes).toContain(rotationIndexes[name]);
    },
  );
});
