import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { startTestApp, type TestApp, type TestTenant } from './support/test-app';

const CONCURRENCY = 50;

/**
 * Races on one key, within one instance and across two on one database: the database decides, and the
 * losers hear a 409 or 404, never a 500; no row is left half-changed.
 */
describe('concurrent changes to one key', () => {
  let first: TestApp;
  let second: TestApp;
  let tenant: TestTenant;

  beforeAll(async () => {
    first = await startTestApp();
    second = await startTestApp({}, first);
    tenant = await first.createTenant('races');
  });
  afterAll(async () => {
    await second.close();
    await first.close();
  });

  /** Alternates between the instances, as a load balancer would (or stays on the first). */
  const instance = (i: number, both: boolean) => (both && i % 2 === 1 ? second : first);

  const statusCounts = (statuses: number[]) =>
    statuses.reduce<Record<number, number>>((counts, status) => ({ ...counts, [status]: (counts[status] ?? 0) + 1 }), {});

  const storedRows = async (id: string) =>
    first.dataSource.query('SELECT name, kid, public_key_pem, private_key_sealed FROM tenant_keys WHERE tenant_id = $1 AND id = $2', [
      tenant.tenantId,
      id,
    ]);

  describe.each([
    ['one instance', false],
    ['two instances on one database', true],
  ])('%s', (_label, both) => {
    it(`${CONCURRENCY} generates with one id: exactly one 200, the rest 409`, async () => {
      const id = randomUUID();
      const responses = await Promise.all(
        Array.from({ length: CONCURRENCY }, (_, i) =>
          request(instance(i, both).http)
            .post(`/key/generate/${id}`)
            .set(tenant.headers)
            .send({ algorithm: 'ES256', name: `racer-${i}` }),
        ),
      );
      expect(statusCounts(responses.map((res) => res.status))).toEqual({ 200: 1, 409: CONCURRENCY - 1 });
      const winner = responses.find((res) => res.status === 200)!.body.data;
      const rows = await storedRows(id);
      expect(rows).toHaveLength(1);
      // The stored key is the winner's, whole: the same name, kid and public key as answered.
      expect(rows[0]).toMatchObject({ name: winner.name, kid: winner.kid, public_key_pem: winner.publicKey });
      expect(rows[0].private_key_sealed).not.toBeNull();
      for (const res of responses.filter((r) => r.status === 409)) expect(res.body).toMatchObject({ success: false, data: null });
    });

    it(`${CONCURRENCY} renames of one key leave one of the names, the same everywhere`, async () => {
      const key = (await request(first.http).post('/key/generate').set(tenant.headers).send({ algorithm: 'ES256', name: 'before' })).body.data;
      const names = Array.from({ length: CONCURRENCY }, (_, i) => `name-${i}`);
      const responses = await Promise.all(
        names.map((name, i) => request(instance(i, both).http).put(`/key/${key.id}`).set(tenant.headers).send({ name })),
      );
      expect(responses.map((res) => res.status)).toEqual(names.map(() => 200));
      // Every answer shows a name some request asked for.
      for (const res of responses) expect(names).toContain(res.body.data.name);
      const [row] = await storedRows(key.id);
      expect(names).toContain(row.name);
      for (const app of [first, second]) {
        expect((await request(app.http).get(`/key/${key.id}`).set(tenant.headers)).body.data.name).toBe(row.name);
      }
    });

    it('deletes racing renames: 200s then 404s, and the key is gone whole', async () => {
      const key = (await request(first.http).post('/key/generate').set(tenant.headers).send({ algorithm: 'ES256', name: 'doomed' })).body.data;
      const responses = await Promise.all(
        Array.from({ length: CONCURRENCY }, (_, i) =>
          i % 5 === 0
            ? request(instance(i, both).http).delete(`/key/${key.id}`).set(tenant.headers)
            : request(instance(i, both).http)
                .put(`/key/${key.id}`)
                .set(tenant.headers)
                .send({ name: `rename-${i}` }),
        ),
      );
      const deletes = responses.filter((_, i) => i % 5 === 0).map((res) => res.status);
      const renames = responses.filter((_, i) => i % 5 !== 0).map((res) => res.status);
      // Exactly one delete wins; a rename either came first (200) or found nothing (404).
      expect(statusCounts(deletes)).toEqual({ 200: 1, 404: deletes.length - 1 });
      for (const status of renames) expect([200, 404]).toContain(status);
      expect(await storedRows(key.id)).toEqual([]);
      for (const app of [first, second]) expect((await request(app.http).get(`/key/${key.id}`).set(tenant.headers)).status).toBe(404);
    });
  });
});
