import request from 'supertest';
import { TenantsService } from '../src/tenants/tenants.service';
import { expectEnvelope, startTestApp, tenantHeaders, type TestApp, type TestTenant } from './support/test-app';
import { cliActor } from '../src/audit/audit-trail';

describe('rate limits per credential (RATE_LIMIT)', () => {
  let testApp: TestApp;
  let tenant: TestTenant;

  beforeAll(async () => {
    testApp = await startTestApp({ RATE_LIMIT: '5/60' });
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
    expect(limited.body.message).toBe('Too many requests');
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    expect(Number(limited.headers['retry-after'])).toBeLessThanOrEqual(60);

    // Another API key of the same tenant counts on its own; health and the JWKS are not limited.
    expectEnvelope(await request(testApp.http).get('/key').set(tenantHeaders(tenant.tenantId, other.apiKey)), 200);
    for (let i = 0; i < 10; i++) expect((await request(testApp.http).get('/health')).status).toBe(200);
    for (let i = 0; i < 10; i++) expect((await request(testApp.http).get(`/tenants/${tenant.tenantId}/.well-known/jwks.json`)).status).toBe(200);
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

  it('are on successes, errors and the JWKS, whether it comes through Express or from the cache', async () => {
    const answers = [
      await request(testApp.http).get('/key').set(tenant.headers),
      await request(testApp.http).get('/key'),
      await request(testApp.http).get('/nowhere'),
      // The first JWKS answer loads through Express, the second comes from the cache ahead of it.
      await request(testApp.http).get(`/tenants/${tenant.tenantId}/.well-known/jwks.json`),
      await request(testApp.http).get(`/tenants/${tenant.tenantId}/.well-known/jwks.json`),
    ];
    for (const res of answers) {
      for (const name of SECURITY_HEADERS) expect({ name, value: res.headers[name] }).toEqual({ name, value: expect.any(String) });
      expect(res.headers['x-content-type-options']).toBe('nosniff');
      expect(res.headers['x-powered-by']).toBeUndefined();
    }
    const [, , , viaExpress, fromCache] = answers;
    for (const name of SECURITY_HEADERS) expect(fromCache.headers[name]).toBe(viaExpress.headers[name]);
  });
});
