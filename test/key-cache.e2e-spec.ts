import type { JWK } from 'jose';
import request from 'supertest';
import { TenantsService } from '../src/tenants/tenants.service';
import { expectEnvelope, startTestApp, tenantHeaders, type TestApp, type TestTenant } from './support/test-app';
import { cliActor } from '../src/audit/audit-trail';
import { eventually } from './support/eventually';

const kidsOf = async (app: TestApp, tenantId: string): Promise<string[]> =>
  (await request(app.http).get(`/tenants/${tenantId}/.well-known/jwks.json`)).body.keys.map((key: JWK) => key.kid);

/** Other instances see a change within a second: the bound the service promises. */
const withinOneSecond = async (what: string, check: () => Promise<boolean>) => (await eventually(what, check, { withinMs: 1_000 })).afterMs;

describe('hot reads from memory, invalidated on every change', () => {
  let first: TestApp;
  let second: TestApp;
  let tenant: TestTenant;

  beforeAll(async () => {
    first = await startTestApp();
    second = await startTestApp({}, first);
    tenant = await first.createTenant('cached');
  });
  afterAll(async () => {
    await second.close();
    await first.close();
  });

  const generate = async (app: TestApp, body: object) => (await request(app.http).post('/key/generate').set(tenant.headers).send(body)).body.data;

  it('serves the JWKS from memory until a change is announced', async () => {
    const key = await generate(first, { algorithm: 'ES256', name: 'cached' });
    // What is served, then what is stored: a mismatch tells a stale answer from a lost write.
    const served = await kidsOf(first, tenant.tenantId);
    const stored = await first.dataSource.query('SELECT kid, status FROM tenant_keys WHERE tenant_id = $1', [tenant.tenantId]);
    expect({ served, stored }).toEqual({ served: [key.kid], stored: [{ kid: key.kid, status: 'active' }] });
    // A row removed behind the service's back is not announced: the cached set still has it.
    await first.dataSource.query('DELETE FROM tenant_keys WHERE id = $1', [key.id]);
    expect(await kidsOf(first, tenant.tenantId)).toEqual([key.kid]);
    // Any change through the service announces the tenant, and the set is read afresh.
    const other = await generate(first, { algorithm: 'ES256', name: 'announces' });
    expect(await kidsOf(first, tenant.tenantId)).toEqual([other.kid]);
  });

  it("shows a key generated or deleted on one instance in the other's JWKS within a second", async () => {
    const before = await kidsOf(second, tenant.tenantId); // warms the second instance's cache
    const key = await generate(first, { algorithm: 'RS256', name: 'cross-instance' });
    const added = await withinOneSecond("the new kid in the other instance's JWKS", async () =>
      (await kidsOf(second, tenant.tenantId)).includes(key.kid),
    );
    expect(await kidsOf(second, tenant.tenantId)).toEqual([...before, key.kid]);
    expectEnvelope(await request(first.http).delete(`/key/${key.id}`).set(tenant.headers), 200);
    const removed = await withinOneSecond(
      "the deleted kid gone from the other instance's JWKS",
      async () => !(await kidsOf(second, tenant.tenantId)).includes(key.kid),
    );
    expect(added + removed).toBeLessThan(2_000);
  });

  it('stops signing on the other instance once a key is rotated on one', async () => {
    const key = await generate(first, { algorithm: 'ES256', name: 'rotate-me' });
    expectEnvelope(await request(second.http).post(`/key/${key.id}/sign`).set(tenant.headers).send({ payload: {} }), 200);
    await request(first.http).post(`/key/${key.id}/rotate`).set(tenant.headers).send({ gracePeriodSeconds: 60 });
    await withinOneSecond(
      'the rotated key refused on the other instance',
      async () => (await request(second.http).post(`/key/${key.id}/sign`).set(tenant.headers).send({ payload: {} })).status === 409,
    );
  });

  it('drops a retiring key from the cached JWKS at its retireAt, with no change announced', async () => {
    const key = await generate(first, { algorithm: 'ES256', name: 'short grace' });
    await request(first.http).post(`/key/${key.id}/rotate`).set(tenant.headers).send({ gracePeriodSeconds: 1 });
    expect(await kidsOf(first, tenant.tenantId)).toContain(key.kid);
    const { afterMs } = await eventually(
      'the retired kid out of the cached JWKS',
      async () => !(await kidsOf(first, tenant.tenantId)).includes(key.kid),
      {
        withinMs: 3_000,
      },
    );
    expect(afterMs).toBeGreaterThan(500);
  });

  it('stops accepting a revoked API key on every instance at once, though verified keys are remembered', async () => {
    const tenants = first.app.get(TenantsService);
    const extra = await tenants.createApiKey(cliActor(), tenant.tenantId);
    const headers = tenantHeaders(tenant.tenantId, extra.apiKey);
    expectEnvelope(await request(second.http).get('/key').set(headers), 200); // remembered on the second instance
    await tenants.revokeApiKey(cliActor(), extra.apiKeyId);
    expectEnvelope(await request(first.http).get('/key').set(headers), 401);
    await withinOneSecond(
      'the revoked API key refused on the other instance',
      async () => (await request(second.http).get('/key').set(headers)).status === 401,
    );
    expectEnvelope(await request(second.http).get('/key').set(tenant.headers), 200);
  });
});
