import request from 'supertest';
import { expectEnvelope, startTestApp, type TestApp, type TestTenant } from './support/test-app';

const ELSEWHERE = 'https://verifier.example';
/** A header's comma-separated list, however it is spaced. */
const listed = (header: string | undefined) => header?.split(',').map((item) => item.trim());
const ADMIN_UI = 'https://admin.example.com';

describe('CORS', () => {
  let testApp: TestApp;
  let tenant: TestTenant;

  beforeAll(async () => {
    testApp = await startTestApp();
    tenant = await testApp.createTenant('cors');
    await request(testApp.http).post('/key/generate').set(tenant.headers).send({ algorithm: 'ES256', name: 'published' });
  });
  afterAll(() => testApp.close());

  const preflight = (app: TestApp, path: string, method = 'GET', headers = 'x-stencil-tenantid') =>
    request(app.http)
      .options(path)
      .set('origin', ELSEWHERE)
      .set('access-control-request-method', method)
      .set('access-control-request-headers', headers);

  describe('the JWKS, for browsers on any origin', () => {
    it.each([
      ['by path', () => `/tenants/${tenant.tenantId}/.well-known/jwks.json`, {}],
      ['by header', () => '/.well-known/jwks.json', { 'x-stencil-tenantid': '' }],
    ])('%s: Access-Control-Allow-Origin *, a cross-origin resource policy, twice (loaded, then cached)', async (_case, path, headers) => {
      const tenantHeader = Object.keys(headers).length ? { 'x-stencil-tenantid': tenant.tenantId } : {};
      for (const attempt of [1, 2]) {
        const res = await request(testApp.http)
          .get(path())
          .set({ origin: ELSEWHERE, ...tenantHeader });
        expect({
          attempt,
          status: res.status,
          allow: res.headers['access-control-allow-origin'],
          policy: res.headers['cross-origin-resource-policy'],
        }).toEqual({ attempt, status: 200, allow: '*', policy: 'cross-origin' });
      }
    });

    it('answers 304 with the same headers', async () => {
      const path = `/tenants/${tenant.tenantId}/.well-known/jwks.json`;
      const { etag } = (await request(testApp.http).get(path)).headers;
      const res = await request(testApp.http).get(path).set({ origin: ELSEWHERE, 'if-none-match': etag });
      expect(res.status).toBe(304);
      expect(res.headers).toMatchObject({ 'access-control-allow-origin': '*', 'cross-origin-resource-policy': 'cross-origin' });
    });

    it('answers the preflight with 204', async () => {
      for (const path of [`/tenants/${tenant.tenantId}/.well-known/jwks.json`, '/.well-known/jwks.json']) {
        const res = await preflight(testApp, path);
        expect(res.status).toBe(204);
        expect(res.headers['access-control-allow-origin']).toBe('*');
        expect(listed(res.headers['access-control-allow-methods'])).toEqual(['GET', 'HEAD']);
        expect(res.headers['access-control-allow-headers']).toBe('x-stencil-tenantid');
      }
    });
  });

  describe('the admin and user APIs', () => {
    it('have no CORS by default: no allow-origin on answers, and the preflight is refused', async () => {
      const res = await request(testApp.http)
        .get('/key')
        .set({ ...tenant.headers, origin: ELSEWHERE });
      expectEnvelope(res, 200);
      expect(res.headers['access-control-allow-origin']).toBeUndefined();
      expect(res.headers['cross-origin-resource-policy']).toBe('same-origin');
      for (const path of ['/key', '/key/generate', '/keys']) {
        const refused = await preflight(testApp, path, 'POST', 'authorization,content-type');
        expect(refused.status).toBe(404);
        expect(refused.headers['access-control-allow-origin']).toBeUndefined();
      }
    });

    it('stay closed to a URL that merely mentions the JWKS path', async () => {
      for (const path of ['/key?/.well-known/jwks.json', '/key/x/.well-known/jwks.json', '/health?x=/.well-known/jwks.json']) {
        const preflighted = await preflight(testApp, path, 'GET', 'authorization,x-stencil-tenantid');
        expect({ path, allow: preflighted.headers['access-control-allow-origin'] }).toEqual({ path, allow: undefined });
        const answered = await request(testApp.http)
          .get(path)
          .set({ ...tenant.headers, origin: ELSEWHERE });
        expect({ path, allow: answered.headers['access-control-allow-origin'] }).toEqual({ path, allow: undefined });
      }
    });

    it('with CORS_ORIGINS, the listed origins get the usual preflight answers, others nothing', async () => {
      const withOrigins = await startTestApp({ CORS_ORIGINS: `${ADMIN_UI}, http://localhost:5173` }, testApp);
      try {
        const allowed = await request(withOrigins.http).options('/key/generate').set({
          origin: ADMIN_UI,
          'access-control-request-method': 'POST',
          'access-control-request-headers': 'authorization,x-stencil-tenantid,content-type',
        });
        expect(allowed.status).toBe(204);
        expect(allowed.headers).toMatchObject({
          'access-control-allow-origin': ADMIN_UI,
          'access-control-allow-headers': 'authorization,x-stencil-tenantid,content-type',
        });
        expect(listed(allowed.headers['access-control-allow-methods'])).toEqual(['GET', 'HEAD', 'POST', 'PUT', 'DELETE']);
        const answer = await request(withOrigins.http)
          .get('/key')
          .set({ ...tenant.headers, origin: ADMIN_UI });
        expectEnvelope(answer, 200);
        expect(answer.headers['access-control-allow-origin']).toBe(ADMIN_UI);
        expect(listed(answer.headers['access-control-expose-headers'])).toEqual(['X-Request-Id', 'Retry-After']);

        const other = await preflight(withOrigins, '/key/generate', 'POST');
        expect(other.headers['access-control-allow-origin']).toBeUndefined();
      } finally {
        await withOrigins.close();
      }
    });
  });
});
