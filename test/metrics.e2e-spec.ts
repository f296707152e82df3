import { randomBytes } from 'node:crypto';
import request from 'supertest';
import { eventually } from './support/eventually';
import { expectEnvelope, startTestApp, type TestApp, type TestTenant } from './support/test-app';

describe('GET /metrics (Prometheus)', () => {
  let testApp: TestApp;
  let tenant: TestTenant;

  beforeAll(async () => {
    testApp = await startTestApp({ RSA_POOL_SIZES: '2048:1' });
    tenant = await testApp.createTenant('measured');
  });
  afterAll(() => testApp.close());

  const scrape = async () => {
    const res = await request(testApp.http).get('/metrics');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
    return res.text;
  };
  /** The value of one series, or undefined when it is not there. */
  const valueOf = (text: string, series: string) => {
    const line = text.split('\n').find((candidate) => candidate.startsWith(`${series} `));
    return line === undefined ? undefined : Number(line.slice(series.length + 1));
  };

  it('counts and times requests by route pattern and status, the cached JWKS included', async () => {
    const key = (await request(testApp.http).post('/key/generate').set(tenant.headers).send({ algorithm: 'ES256', name: 'm' })).body.data;
    expectEnvelope(await request(testApp.http).get(`/key/${key.id}`).set(tenant.headers), 200);
    expectEnvelope(await request(testApp.http).get(`/key/${key.id}`), 401);
    for (let i = 0; i < 3; i += 1) expect((await request(testApp.http).get(`/tenants/${tenant.tenantId}/.well-known/jwks.json`)).status).toBe(200);
    expectEnvelope(await request(testApp.http).get('/no/such/route/12345'), 404);

    const text = await scrape();
    expect(valueOf(text, 'http_requests_total{method="POST",route="/key/generate",status="200"}')).toBe(1);
    expect(valueOf(text, 'http_requests_total{method="GET",route="/key/:id",status="200"}')).toBe(1);
    expect(valueOf(text, 'http_requests_total{method="GET",route="/key/:id",status="401"}')).toBe(1);
    // The first loads the set, the next two come from the cache: all under one route.
    expect(valueOf(text, 'http_requests_total{method="GET",route="/tenants/:tenantId/.well-known/jwks.json",status="200"}')).toBe(3);
    expect(valueOf(text, 'http_requests_total{method="GET",route="unmatched",status="404"}')).toBe(1);
    expect(text).not.toContain('/no/such/route');
    expect(valueOf(text, 'http_request_duration_seconds_count{method="GET",route="/key/:id",status="200"}')).toBe(1);
    expect(valueOf(text, 'http_request_duration_seconds_bucket{le="+Inf",method="POST",route="/key/generate",status="200"}')).toBe(1);
  });

  it('times key generation by algorithm, and shows the RSA pool, the database pool and the event-loop delay', async () => {
    const before = valueOf(await scrape(), 'key_generation_duration_seconds_count{algorithm="ES384"}') ?? 0;
    expectEnvelope(await request(testApp.http).post('/key/generate').set(tenant.headers).send({ algorithm: 'ES384', name: 'n' }), 200);
    const key = (await request(testApp.http).post('/key/generate').set(tenant.headers).send({ algorithm: 'ES384', name: 'o' })).body.data;
    expectEnvelope(await request(testApp.http).post(`/key/${key.id}/rotate`).set(tenant.headers).send({}), 200);

    const text = await scrape();
    expect(valueOf(text, 'key_generation_duration_seconds_count{algorithm="ES384"}')).toBe(before + 3);
    expect(valueOf(text, 'key_generation_duration_seconds_sum{algorithm="ES384"}')).toBeGreaterThan(0);
    expect(valueOf(text, 'db_pool_connections{state="total"}')).toBeGreaterThanOrEqual(1);
    expect(valueOf(text, 'db_pool_connections{state="waiting"}')).toBe(0);
    expect(valueOf(text, 'nodejs_eventloop_lag_p99_seconds')).toBeGreaterThan(0);
    // RSA_POOL_SIZES=2048:1: the pool fills to its one key in the background.
    await eventually('rsa_pool_ready{length="2048"} at 1', async () => valueOf(await scrape(), 'rsa_pool_ready{length="2048"}') === 1, {
      withinMs: 30_000,
    });
  });
});

describe('GET /metrics with METRICS_TOKEN', () => {
  const token = randomBytes(32).toString('base64url');
  let testApp: TestApp;

  beforeAll(async () => {
    testApp = await startTestApp({ METRICS_TOKEN: token });
  });
  afterAll(() => testApp.close());

  it('answers the token as a bearer token, and the same 401 in the envelope for anything else', async () => {
    const scrape = await request(testApp.http).get('/metrics').set('authorization', `Bearer ${token}`);
    expect(scrape.status).toBe(200);
    expect(scrape.text).toContain('http_requests_total');
    const refusals = await Promise.all(
      [undefined, `Bearer ${token.slice(0, -1)}`, `Bearer ${token}x`, `Basic ${token}`, token, 'Bearer '].map((authorization) => {
        const call = request(testApp.http).get('/metrics');
        return authorization === undefined ? call : call.set('authorization', authorization);
      }),
    );
    for (const res of refusals) {
      expectEnvelope(res, 401);
      expect(res.body.message).toBe(refusals[0].body.message);
    }
    // The other public routes stay public.
    expect((await request(testApp.http).get('/health/live')).status).toBe(200);
  });
});
