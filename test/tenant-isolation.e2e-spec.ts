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

  /** The routes anyone may call; every other route the app serves needs a credential (deny by default). */
  const PUBLIC_ROUTES = [
    'GET /health',
    'GET /health/live',
    'GET /health/ready',
    'GET /metrics',
    'GET /tenants/:tenantId/.well-known/jwks.json',
    'GET /.well-known/jwks.json',
  ];
  /**
   * Every route the app registered but its public ones, Swagger UI's and the console's static files (no tenant data
   * in either: test/console-browser.e2e-spec.ts), and the HEAD and CORS catch-alls Fastify adds.
   */
  const guardedRoutes = () =>
    [...new Set(testApp.routes)].filter((route) => {
      const [method, path] = route.split(' ');
      return method !== 'HEAD' && !/^\/(docs|console)/.test(path) && !path.includes('*') && !PUBLIC_ROUTES.includes(route);
    });

  describe('answers the same 401 on every route of the route table', () => {
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
      ['an API key as a bearer token without the tenant', () => ({ authorization: `Bearer ${tenantA.apiKey}` })],
    ];

    /** Each distinct answer a route gave to the bad credentials, as `status code message`. */
    const answersOf = async (route: string): Promise<string[]> => {
      const [method, pattern] = route.split(' ');
      // Any value for the path's parameters: credentials are checked before the id or the body.
      const path = pattern.replace(/:\w+/g, keyOfA.id);
      const answers = await Promise.all(
        credentials.map(async ([, headers]) => {
          const res = await request(testApp.http)[method.toLowerCase() as 'get'](path).set(headers());
          expectEnvelope(res, res.status);
          return `${res.status} ${res.body.code} ${res.body.message}`;
        }),
      );
      return [...new Set(answers)];
    };

    it('one answer per way in: the tenant API routes one 401, the user routes (/keys, access tokens) another', async () => {
      const routes = guardedRoutes();
      // The table is the app's own: routes of every controller are in it.
      expect(routes).toEqual(expect.arrayContaining(['POST /key/generate', 'DELETE /key/:id', 'POST /key/webhooks', 'POST /api-keys', 'GET /keys']));
      const byRoute = Object.fromEntries(await Promise.all(routes.map(async (route) => [route, await answersOf(route)] as const)));
      const tenantRefusal = '401 UNAUTHORIZED Invalid or missing credentials';
      const userRefusal = '401 UNAUTHORIZED Invalid or missing access token';
      expect(byRoute).toEqual(
        Object.fromEntries(routes.map((route) => [route, [route.split(' ')[1].startsWith('/keys') ? userRefusal : tenantRefusal]])),
      );
    });

    it('and the public routes, each in the route table, answer without a credential', async () => {
      expect(PUBLIC_ROUTES.filter((route) => !testApp.routes.includes(route))).toEqual([]);
      const statuses = await Promise.all(
        PUBLIC_ROUTES.map(async (route) => {
          const path = route.split(' ')[1].replace(':tenantId', tenantA.tenantId);
          // The JWKS without a tenant in its path takes it from the tenant header, which is no credential.
          return `${route} ${(await request(testApp.http).get(path).set('x-stencil-tenantid', tenantA.tenantId)).status}`;
        }),
      );
      expect(statuses).toEqual(PUBLIC_ROUTES.map((route) => `${route} 200`));
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
