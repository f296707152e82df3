import request from 'supertest';
import { expectEnvelope, startTestApp, type TestApp, type TestTenant } from './support/test-app';

interface RequestLine {
  level: number;
  msg: string;
  route: string;
  tenantId?: string;
  responseTime: number;
  req: { id: string; method: string; url: string; headers?: Record<string, string> };
  res: { statusCode: number };
}

describe('request logs', () => {
  let testApp: TestApp;
  let tenant: TestTenant;

  beforeAll(async () => {
    testApp = await startTestApp();
    tenant = await testApp.createTenant('logged');
  });
  afterAll(() => testApp.close());

  const linesFor = (app: TestApp, requestId: string) =>
    app.logs.map((line) => JSON.parse(line) as RequestLine).filter((line) => line.req?.id === requestId && line.res !== undefined);

  it('writes one JSON line per request: method, route, status, duration, request id, tenant id; no headers', async () => {
    const generated = await request(testApp.http)
      .post('/key/generate')
      .set(tenant.headers)
      .set('x-request-id', 'log-generate')
      .send({ algorithm: 'ES256', name: 'logged' });
    expectEnvelope(generated, 200);
    const key = generated.body.data;
    expectEnvelope(await request(testApp.http).get(`/key/${key.id}`).set(tenant.headers).set('x-request-id', 'log-get'), 200);
    expectEnvelope(
      await request(testApp.http)
        .get(`/key/${key.id}`)
        .set('authorization', 'Basic ks_not_a_real_key_but_long_enough')
        .set('x-request-id', 'log-denied'),
      401,
    );

    const [line] = linesFor(testApp, 'log-generate');
    expect(linesFor(testApp, 'log-generate')).toHaveLength(1);
    expect(line).toMatchObject({
      level: 30,
      route: '/key/generate',
      tenantId: tenant.tenantId,
      req: { method: 'POST', url: '/key/generate' },
      res: { statusCode: 200 },
    });
    expect(line.msg).toMatch(/^POST \/key\/generate 200 \d+ms$/);
    expect(line.responseTime).toEqual(expect.any(Number));
    expect(line.req).toEqual({ id: 'log-generate', method: 'POST', url: '/key/generate' });
    expect(linesFor(testApp, 'log-get')[0]).toMatchObject({ route: '/key/:id', tenantId: tenant.tenantId, res: { statusCode: 200 } });
    const denied = linesFor(testApp, 'log-denied');
    expect(denied).toEqual([expect.objectContaining({ level: 40, route: '/key/:id', res: { statusCode: 401 } })]);
    expect(denied[0].tenantId).toBeUndefined();
    expect(JSON.stringify(testApp.logs)).not.toContain(tenant.apiKey);
  });

  it('logs the JWKS, loaded or cached, the same way', async () => {
    const url = `/tenants/${tenant.tenantId}/.well-known/jwks.json`;
    expect((await request(testApp.http).get(url).set('x-request-id', 'log-jwks-1')).status).toBe(200);
    expect((await request(testApp.http).get(url).set('x-request-id', 'log-jwks-2')).status).toBe(200);
    for (const id of ['log-jwks-1', 'log-jwks-2']) {
      expect(linesFor(testApp, id)).toEqual([
        expect.objectContaining({ route: '/tenants/:tenantId/.well-known/jwks.json', res: { statusCode: 200 } }),
      ]);
    }
  });

  it('honours LOG_LEVEL: at warn, successes are not logged but refusals are', async () => {
    const quiet = await startTestApp({ LOG_LEVEL: 'warn' });
    try {
      expectEnvelope(await request(quiet.http).get('/health').set('x-request-id', 'quiet-ok'), 200);
      expectEnvelope(await request(quiet.http).get('/key').set('x-request-id', 'quiet-denied'), 401);
      expect(linesFor(quiet, 'quiet-ok')).toEqual([]);
      expect(linesFor(quiet, 'quiet-denied')).toHaveLength(1);
      expect(quiet.logs.every((line) => JSON.parse(line).level >= 40)).toBe(true);
    } finally {
      await quiet.close();
    }
  });
});
