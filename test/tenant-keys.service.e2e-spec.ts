import { generateKeyPairSync } from 'node:crypto';
import { Client } from 'pg';
import { cliActor, type TenantActor } from '../src/audit/audit-trail';
import { KeyMaterialExistsError, KeyNotActiveError } from '../src/tenant-keys/key-errors';
import { TenantKeysService } from '../src/tenant-keys/tenant-keys.service';
import { eventually } from './support/eventually';
import { startTestApp, type TestApp, type TestTenant } from './support/test-app';

/**
 * The service on the real PostgreSQL, without HTTP, for the branches a race decides: two changes that both read
 * the key before either writes. Their writes are held on a table lock until both wait on it, so the interleaving
 * is the same on every run instead of a matter of luck.
 */
describe('TenantKeysService when two changes race', () => {
  let testApp: TestApp;
  let tenant: TestTenant;
  let service: TenantKeysService;
  let actor: TenantActor;

  beforeAll(async () => {
    testApp = await startTestApp();
    tenant = await testApp.createTenant('service races');
    service = testApp.app.get(TenantKeysService);
    actor = { ...cliActor(), tenantId: tenant.tenantId };
  });
  afterAll(() => testApp.close());

  /** Starts `changes` while a second session holds off every write to tenant_keys, and lets them go once all wait. */
  async function withWritesHeld<T>(changes: (() => Promise<T>)[]): Promise<PromiseSettledResult<T>[]> {
    const holder = new Client({ connectionString: testApp.config.databaseUrl });
    await holder.connect();
    try {
      await holder.query('BEGIN');
      // Blocks INSERT and UPDATE (ROW EXCLUSIVE), not SELECT: both changes read, then queue behind the lock.
      await holder.query('LOCK TABLE tenant_keys IN SHARE ROW EXCLUSIVE MODE');
      const running = Promise.allSettled(changes.map((change) => change()));
      // Asked on another connection: inside the holder's transaction, pg_stat_activity would stay one snapshot.
      await eventually(`${changes.length} writes waiting on the lock`, async () => {
        const [{ waiting }] = await testApp.dataSource.query<{ waiting: number }[]>(
          "SELECT count(*)::int AS waiting FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'",
        );
        return waiting >= changes.length;
      });
      await holder.query('COMMIT');
      return await running;
    } finally {
      await holder.end();
    }
  }

  const rowsOfTenant = async () =>
    testApp.dataSource.query<{ id: string; status: string; rotated_from: string | null }[]>(
      'SELECT id, status, rotated_from FROM tenant_keys WHERE tenant_id = $1',
      [tenant.tenantId],
    );

  it('rotates a key once when two rotations read it active: the loser is KEY_NOT_ACTIVE and leaves no successor', async () => {
    const key = await service.generateKey(actor, { algorithm: 'ES256', name: 'rotated twice' });
    const before = (await rowsOfTenant()).length;
    const [first, second] = await withWritesHeld([() => service.rotateKey(actor, key.id, {}), () => service.rotateKey(actor, key.id, {})]);
    const outcomes = [first, second].map((outcome) => outcome.status);
    expect(outcomes.sort()).toEqual(['fulfilled', 'rejected']);
    const loser = [first, second].find((outcome) => outcome.status === 'rejected') as PromiseRejectedResult;
    expect(loser.reason).toBeInstanceOf(KeyNotActiveError);
    const rows = await rowsOfTenant();
    expect(rows).toHaveLength(before + 1);
    expect(rows.filter((row) => row.rotated_from === key.id)).toHaveLength(1);
    expect(rows.find((row) => row.id === key.id)?.status).toBe('retiring');
    const audit = await testApp.dataSource.query<{ outcome: string; code: string | null }[]>(
      "SELECT outcome, detail->>'code' AS code FROM audit_events WHERE key_id = $1 AND action = 'key.rotate' ORDER BY id",
      [key.id],
    );
    expect(audit.map((row) => [row.outcome, row.code]).sort()).toEqual([
      ['failure', 'KEY_NOT_ACTIVE'],
      ['success', null],
    ]);
  });

  it('imports key material once when two imports pass the check together: the unique index decides, the loser names the winner', async () => {
    const privateKey = generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey.export({ format: 'pem', type: 'pkcs8' }) as string;
    const results = await withWritesHeld([
      () => service.importKey(actor, { name: 'one', privateKey }),
      () => service.importKey(actor, { name: 'two', privateKey }),
    ]);
    const winner = results.find((result) => result.status === 'fulfilled') as PromiseFulfilledResult<{ id: string }>;
    const loser = results.find((result) => result.status === 'rejected') as PromiseRejectedResult;
    expect(loser.reason).toBeInstanceOf(KeyMaterialExistsError);
    expect((loser.reason as KeyMaterialExistsError).message).toBe(`The tenant already holds this key as key ${winner.value.id}`);
  });
});
