import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { expectEnvelope, startTestApp, tenantHeaders, type TestApp, type TestTenant } from './support/test-app';
import { cliActor } from '../src/audit/audit-trail';

describe('/key authentication and tenant isolation', () => {
  let testApp: TestApp;
  let tenantA: TestTenant;
  let tenantB: TestTenant;
  let keyOfA: { id: string; name: string };

  beforeAll(async () => {
    testApp = await startTestApp();
    tenantA = await testApp.createTenant('tenant-a');
    tenantB = await testApp.createTenant('tenant-b');
    keyOfA = (await request(testApp.http).post('/key/generate').set(tenantA.headers).send({ algorithm: 'ES256', name: 'a-key' })).body.data;
  });
  afterAll(() => testApp.close());

  describe('answers the same 401 on every /key route', () => {
    const routes: [string, string, (id: string) => string, object | undefined][] = [
      ['GET /key', 'get', () => '/key', undefined],
      ['GET /key/:id', 'get', (id) => `/key/${id}`, undefined],
      ['PUT /key/:id', 'put', (id) => `/key/${id}`, { name: 'x' }],
      ['DELETE /key/:id', 'delete', (id) => `/key/${id}`, undefined],
      ['POST /key/generate', 'post', () => '/key/generate', { algorithm: 'ES256', name: 'x' }],
      ['POST /key/generate/:id', 'post', (id) => `/key/generate/${id}`, { algorithm: 'ES256', name: 'x' }],
    ];
    const credentials: [string, () => Record<string, string>][] = [
      ['no headers at all', () => ({})],
      ['no tenant header', () => ({ authorization: `Basic ${tenantA.apiKey}` })],
      ['no authorization header', () => ({ 'x-stencil-tenantid': tenantA.tenantId })],
      ['a wrong API key', () => tenantHeaders(tenantA.tenantId, `${tenantA.apiKey.slice(0, -4)}AAAA`)],
      ['an API key of the right prefix but another length', () => tenantHeaders(tenantA.tenantId, `${tenantA.apiKey}x`)],
      ['the API key of another tenant', () => tenantHeaders(tenantA.tenantId, tenantB.apiKey)],
      ['an unknown tenant', () => tenantHeaders(randomUUID(), tenantA.apiKey)],
      ['a tenant id that is not a UUID', () => tenantHeaders('acme', tenantA.apiKey)],
      ['an unknown scheme', () => ({ authorization: `Token ${tenantA.apiKey}`, 'x-stencil-tenantid': tenantA.tenantId })],
      ['a bare key without scheme', () => ({ authorization: tenantA.apiKey, 'x-stencil-tenantid': tenantA.tenantId })],
    ];

    it.each(routes)('%s', async (_route, method, path, body) => {
      const answers = new Set<string>();
      for (const [, headers] of credentials) {
        const call = request(testApp.http)[method as 'get'](path(keyOfA.id)).set(headers());
        const res = body ? await call.send(body) : await call;
        expectEnvelope(res, 401);
        expect(res.body.code).toBe('UNAUTHORIZED');
        answers.add(res.body.message);
      }
      expect([...answers]).toEqual(['Invalid or missing credentials']);
    });

    it('before validating the body or the id', async () => {
      const res = await request(testApp.http).post('/key/generate/not-a-uuid').send({ algorithm: 'nope' });
      expectEnvelope(res, 401);
    });
  });

  describe('accepts', () => {
    it.each([
      ['Basic and x-stencil-tenantid', () => ({ authorization: `Basic ${tenantA.apiKey}`, 'x-stencil-tenantid': tenantA.tenantId })],
      ['Bearer', () => ({ authorization: `Bearer ${tenantA.apiKey}`, 'x-stencil-tenantid': tenantA.tenantId })],
      ["the source's spelling x-stencil-tenanid", () => ({ authorization: `Basic ${tenantA.apiKey}`, 'x-stencil-tenanid': tenantA.tenantId })],
      ['an upper-case tenant id', () => ({ authorization: `basic ${tenantA.apiKey}`, 'x-stencil-tenantid': tenantA.tenantId.toUpperCase() })],
    ])('%s', async (_case, headers) => {
      const res = await request(testApp.http).get('/key').set(headers());
      expectEnvelope(res, 200);
      expect(res.body.data.map((k: { id: string }) => k.id)).toContain(keyOfA.id);
    });

    it('a second API key of the tenant, and stops accepting a revoked one', async () => {
      const tenants = testApp.app.get((await import('../src/tenants/tenants.service')).TenantsService);
      const second = await tenants.createApiKey(cliActor(), tenantA.tenantId);
      expectEnvelope(await request(testApp.http).get('/key').set(tenantHeaders(tenantA.tenantId, second.apiKey)), 200);
      await tenants.revokeApiKey(cliActor(), second.apiKeyId);
      expectEnvelope(await request(testApp.http).get('/key').set(tenantHeaders(tenantA.tenantId, second.apiKey)), 401);
      expectEnvelope(await request(testApp.http).get('/key').set(tenantA.headers), 200);
    });
  });

  describe("tenant B cannot reach tenant A's keys", () => {
    it('does not see them in its list', async () => {
      const res = await request(testApp.http).get('/key').set(tenantB.headers);
      expect(res.body.data.map((k: { id: string }) => k.id)).not.toContain(keyOfA.id);
    });

    it.each([
      ['read', () => request(testApp.http).get(`/key/${keyOfA.id}`)],
      ['rename', () => request(testApp.http).put(`/key/${keyOfA.id}`).send({ name: 'stolen' })],
      ['delete', () => request(testApp.http).delete(`/key/${keyOfA.id}`)],
    ])('cannot %s one: 404, exactly as for an id that does not exist', async (_action, call) => {
      const res = await call().set(tenantB.headers);
      expectEnvelope(res, 404);
      const missing = await request(testApp.http).get(`/key/${randomUUID()}`).set(tenantB.headers);
      expect({ status: res.status, message: res.body.message }).toEqual({ status: missing.status, message: missing.body.message });
    });

    it('creates its own key on the same id without touching the other (ids are per tenant)', async () => {
      const res = await request(testApp.http).post(`/key/generate/${keyOfA.id}`).set(tenantB.headers).send({ algorithm: 'RS256', name: 'b-key' });
      expectEnvelope(res, 200);
      expect(res.body.data).toMatchObject({ id: keyOfA.id, name: 'b-key', algorithm: 'RS256' });
      // Tenant B now has its own key with that id: a second attempt is B's own 409.
      const again = await request(testApp.http).post(`/key/generate/${keyOfA.id}`).set(tenantB.headers).send({ algorithm: 'RS256', name: 'b-key' });
      expectEnvelope(again, 409);
      const deleted = await request(testApp.http).delete(`/key/${keyOfA.id}`).set(tenantB.headers);
      expectEnvelope(deleted, 200);
    });

    it("leaves tenant A's key exactly as it was", async () => {
      const res = await request(testApp.http).get(`/key/${keyOfA.id}`).set(tenantA.headers);
      expectEnvelope(res, 200);
      expect(res.body.data).toEqual(keyOfA);
    });
  });

  it('stores API keys only as SHA-256 hashes', async () => {
    const rows = await testApp.dataSource.query('SELECT * FROM api_keys WHERE tenant_id = $1', [tenantA.tenantId]);
    const dump = JSON.stringify(rows, (_k, v) => (v?.type === 'Buffer' ? Buffer.from(v.data).toString('hex') : v));
    const secret = tenantA.apiKey;
    expect(dump).not.toContain(secret);
    expect(dump).not.toContain(secret.slice(12));
    expect(dump).not.toContain(Buffer.from(secret).toString('hex'));
    expect(rows[0].secret_hash).toHaveLength(32);
  });
});
