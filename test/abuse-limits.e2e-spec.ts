import request from 'supertest';
import { TenantsService } from '../src/tenants/tenants.service';
import { expectEnvelope, startTestApp, tenantHeaders, type TestApp, type TestTenant } from './support/test-app';
import { cliActor } from '../src/audit/audit-trail';

describe('rate limits per credential (RATE_LIMIT_READS, RATE_LIMIT_WRITES)', () => {
  let testApp: TestApp;
  let tenant: TestTenant;

  beforeAll(async () => {
    testApp = await startTestApp({ RATE_LIMIT_READS: '5/60', RATE_LIMIT_WRITES: '3/60' });
    tenant = await testApp.createTenant('limited');
  });
  afterAll(() => testApp.close());

  it('answers 429 in the envelope with Retry-After once a credential spends its budget; other credentials keep theirs', async () => {
    const other = await testApp.app.get(TenantsService).createApiKey(cliActor(), tenant.tenantId);
    for (let i = 0; i < 5; i++) {
      const res = await request(testApp.http).get('/key').set(tenant.headers);
      expectEnvelope(res, 200);
      expect(res.headers['x-ratelimit-remaining']).toBe(String(4 - i));
    }
    const limited = await request(testApp.http).get('/key').set(tenant.headers);
    expectEnvelope(limited, 429);
    expect(limited.body.code).toBe('RATE_LIMITED');
    expect(limited.body.message).toBe('Too many requests');
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    expect(Number(limited.headers['retry-after'])).toBeLessThanOrEqual(60);

    // Another API key of the same tenant counts on its own; health and the JWKS are not limited.
    expectEnvelope(await request(testApp.http).get('/key').set(tenantHeaders(tenant.tenantId, other.apiKey)), 200);
    for (let i = 0; i < 10; i++) expect((await request(testApp.http).get('/health')).status).toBe(200);
    for (let i = 0; i < 10; i++) expect((await request(testApp.http).get(`/tenants/${tenant.tenantId}/.well-known/jwks.json`)).status).toBe(200);
  });

  it('counts writes apart from reads: a credential out of writes still signs, verifies and reads', async () => {
    const writer = await testApp.app.get(TenantsService).createApiKey(cliActor(), tenant.tenantId);
    const headers = tenantHeaders(tenant.tenantId, writer.apiKey);
    const key = (await request(testApp.http).post('/key/generate').set(headers).send({ algorithm: 'ES256', name: 'w' })).body.data;
    for (const name of ['w1', 'w2']) expectEnvelope(await request(testApp.http).put(`/key/${key.id}`).set(headers).send({ name }), 200);
    const limited = await request(testApp.http).put(`/key/${key.id}`).set(headers).send({ name: 'w3' });
    expectEnvelope(limited, 429);
    expectEnvelope(await request(testApp.http).delete(`/key/${key.id}`).set(headers), 429);

    const signed = await request(testApp.http)
      .post(`/key/${key.id}/sign`)
      .set(headers)
      .send({ payload: { sub: 's' } });
    expectEnvelope(signed, 200);
    expectEnvelope(await request(testApp.http).post('/key/verify').set(headers).send({ token: signed.body.data.token }), 200);
    expectEnvelope(await request(testApp.http).get(`/key/${key.id}`).set(headers), 200);
  });

  it('RATE_LIMIT, the older name, limits writes and leaves reads alone', async () => {
    const legacy = await startTestApp({ RATE_LIMIT: '1/60' }, testApp);
    try {
      const generated = await request(legacy.http).post('/key/generate').set(tenant.headers).send({ algorithm: 'ES256', name: 'legacy' });
      expectEnvelope(generated, 200);
      expectEnvelope(await request(legacy.http).post('/key/generate').set(tenant.headers).send({ algorithm: 'ES256', name: 'again' }), 429);
      for (let i = 0; i < 5; i++)
        expectEnvelope(await request(legacy.http).post(`/key/${generated.body.data.id}/sign`).set(tenant.headers).send({ payload: {} }), 200);
    } finally {
      await legacy.close();
    }
  });

  it('counts a bad credential against nobody: it is a 401, not a 429', async () => {
    for (let i = 0; i < 8; i++) {
      expectEnvelope(await request(testApp.http).get('/key').set(tenantHeaders(tenant.tenantId, 'ks_wrongwrongwrongwrongwrongwrong')), 401);
    }
  });
});

describe('security headers (helmet)', () => {
  let testApp: TestApp;
  let tenant: TestTenant;

  beforeAll(async () => {
    testApp = await startTestApp();
    tenant = await testApp.createTenant('headers');
    await request(testApp.http).post('/key/generate').set(tenant.headers).send({ algorithm: 'ES256', name: 'k' });
  });
  afterAll(() => testApp.close());

  const SECURITY_HEADERS = ['content-security-policy', 'strict-transport-security', 'x-content-type-options', 'x-frame-options', 'referrer-policy'];

  it('are on successes, errors and the JWKS, whether it is loaded or comes from the cache', async () => {
    const answers = [
      await request(testApp.http).get('/key').set(tenant.headers),
      await request(testApp.http).get('/key'),
      await request(testApp.http).get('/nowhere'),
      // The first JWKS answer loads the set, the second comes from the cache.
      await request(testApp.http).get(`/tenants/${tenant.tenantId}/.well-known/jwks.json`),
      await request(testApp.http).get(`/tenants/${tenant.tenantId}/.well-known/jwks.json`),
    ];
    for (const res of answers) {
      for (const name of SECURITY_HEADERS) expect({ name, value: res.headers[name] }).toEqual({ name, value: expect.any(String) });
      expect(res.headers['x-content-type-options']).toBe('nosniff');
      expect(res.headers['x-powered-by']).toBeUndefined();
    }
    const [, , , loaded, fromCache] = answers;
    for (const name of SECURITY_HEADERS) expect(fromCache.headers[name]).toBe(loaded.headers[name]);
  });
});
