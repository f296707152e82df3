import request from 'supertest';
import { expectEnvelope, startTestApp, type TestApp, type TestTenant } from './support/test-app';

describe('the envelope on every answer', () => {
  let testApp: TestApp;
  let tenant: TestTenant;

  beforeAll(async () => {
    testApp = await startTestApp();
    tenant = await testApp.createTenant();
  });
  afterAll(() => testApp.close());

  it('answers 404 in the envelope for an unknown route', async () => {
    const res = await request(testApp.http).get('/nowhere');
    expectEnvelope(res, 404);
    expect(res.body.code).toBe('NOT_FOUND');
    expect(res.headers['content-type']).toMatch(/application\/json/);
  });

  it('answers 413 for a body over 100 KB', async () => {
    const res = await request(testApp.http)
      .post('/key/generate')
      .set(tenant.headers)
      .send({ algorithm: 'ES256', name: 'x'.repeat(110 * 1024) });
    expectEnvelope(res, 413);
    expect(res.body.code).toBe('PAYLOAD_TOO_LARGE');
  });

  it('answers 415 for a body that is not JSON', async () => {
    const res = await request(testApp.http).post('/key/generate').set(tenant.headers).set('content-type', 'text/plain').send('algorithm=ES256');
    expectEnvelope(res, 415);
    expect(res.body.code).toBe('UNSUPPORTED_MEDIA_TYPE');
  });

  it('reads JSON under any +json type, with or without parameters', async () => {
    for (const type of ['application/json; charset=utf-8', 'application/merge-patch+json', 'application/merge-patch+json; charset=utf-8']) {
      const res = await request(testApp.http)
        .post('/key/generate')
        .set(tenant.headers)
        .set('content-type', type)
        .send(JSON.stringify({ algorithm: 'ES256', name: type }));
      expect({ type, status: res.status }).toEqual({ type, status: 200 });
    }
  });

  it('answers a malformed URL in the envelope, and a long id like any bad id', async () => {
    const malformed = await request(testApp.http).get('/key/%E0%A4%A').set(tenant.headers);
    expectEnvelope(malformed, 400);
    expect(malformed.body).toMatchObject({ message: 'Malformed URL', code: 'MALFORMED_REQUEST' });
    const long = await request(testApp.http)
      .get(`/key/${'x'.repeat(500)}`)
      .set(tenant.headers);
    expectEnvelope(long, 400);
    expect(long.body).toMatchObject({ code: 'VALIDATION_FAILED', errors: [{ field: 'id', message: expect.stringContaining('UUID') }] });
  });

  it('answers 400 for malformed JSON', async () => {
    const res = await request(testApp.http)
      .put(`/key/${crypto.randomUUID()}`)
      .set(tenant.headers)
      .set('content-type', 'application/json')
      .send('{name:');
    expectEnvelope(res, 400);
    expect(res.body).toMatchObject({ message: 'Malformed JSON body', code: 'MALFORMED_JSON' });
  });

  it("keeps a sane caller's X-Request-Id and replaces an insane one", async () => {
    const kept = await request(testApp.http).get('/key').set(tenant.headers).set('x-request-id', 'trace-123.abc');
    expect(kept.headers['x-request-id']).toBe('trace-123.abc');
    const replaced = await request(testApp.http).get('/nowhere').set('x-request-id', 'bad id\twith spaces');
    expect(replaced.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    expect(replaced.body.requestId).toBe(replaced.headers['x-request-id']);
  });

  it('wraps successes with success, message and data', async () => {
    const res = await request(testApp.http).get('/key').set(tenant.headers);
    expect(Object.keys(res.body).sort()).toEqual(['data', 'message', 'success']);
  });

  describe('GET /health', () => {
    it('answers 200 while the database answers', async () => {
      const res = await request(testApp.http).get('/health');
      expectEnvelope(res, 200);
      expect(res.body.data).toEqual({
        database: 'up',
        eventLoopDelayMs: { p50: expect.any(Number), p99: expect.any(Number), max: expect.any(Number) },
        rsaPoolReady: {},
      });
      expect(res.body.data.eventLoopDelayMs.max).toBeGreaterThanOrEqual(res.body.data.eventLoopDelayMs.p50);
    });
  });

  describe('GET /health/live and /health/ready (terminus)', () => {
    it('are 200 with what was checked', async () => {
      const live = await request(testApp.http).get('/health/live');
      expectEnvelope(live, 200);
      expect(live.body.data).toEqual({ status: 'ok', details: {} });
      const ready = await request(testApp.http).get('/health/ready');
      expectEnvelope(ready, 200);
      expect(ready.body.data).toEqual({
        status: 'ok',
        details: { database: { status: 'up', responseTime: expect.any(Number) }, migrations: { status: 'up' } },
      });
    });

    it('ready is 503 while a migration is pending, live stays 200', async () => {
      const [last] = await testApp.dataSource.query('SELECT id, timestamp, name FROM migrations ORDER BY timestamp DESC LIMIT 1');
      await testApp.dataSource.query('DELETE FROM migrations WHERE id = $1', [last.id]);
      try {
        const ready = await request(testApp.http).get('/health/ready');
        expectEnvelope(ready, 503);
        expect(ready.body.message).toBe('Not ready: migrations');
        expectEnvelope(await request(testApp.http).get('/health/live'), 200);
      } finally {
        await testApp.dataSource.query('INSERT INTO migrations (id, timestamp, name) VALUES ($1, $2, $3)', [last.id, last.timestamp, last.name]);
      }
      expectEnvelope(await request(testApp.http).get('/health/ready'), 200);
    });

    it('with RUN_MIGRATIONS=false, ready waits for the one-shot migration step', async () => {
      const waiting = await startTestApp({ RUN_MIGRATIONS: 'false' });
      try {
        const before = await request(waiting.http).get('/health/ready');
        expectEnvelope(before, 503);
        expect(before.body.message).toBe('Not ready: migrations');
        await waiting.dataSource.runMigrations({ transaction: 'all' });
        expectEnvelope(await request(waiting.http).get('/health/ready'), 200);
      } finally {
        await waiting.close();
      }
    });
  });
});

describe('when the database is gone', () => {
  it('answers 503 on /health and on key routes, showing no internals', async () => {
    const testApp = await startTestApp();
    const tenant = await testApp.createTenant();
    // Cut every connection of this app's pool from the server side, and keep new ones out.
    const [{ current_database: name }] = await testApp.dataSource.query('SELECT current_database()');
    const admin = new (await import('pg')).Client({ connectionString: process.env.TEST_ADMIN_DATABASE_URL });
    await admin.connect();
    try {
      await admin.query(`ALTER DATABASE ${name} WITH ALLOW_CONNECTIONS false`);
      await admin.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()', [name]);
      const health = await request(testApp.http).get('/health');
      expectEnvelope(health, 503);
      const ready = await request(testApp.http).get('/health/ready');
      expectEnvelope(ready, 503);
      expect(ready.body.message).toMatch(/^Not ready: database/);
      expect([health.body.code, ready.body.code]).toEqual(['DATABASE_UNAVAILABLE', 'NOT_READY']);
      expectEnvelope(await request(testApp.http).get('/health/live'), 200);
      const keys = await request(testApp.http).get('/key').set(tenant.headers);
      expectEnvelope(keys, 503);
      expect(keys.body.code).toBe('DATABASE_UNAVAILABLE');
      expect(JSON.stringify(keys.body)).not.toMatch(/pg_|SQL|terminat|at .*\.js|ECONN/i);

      await admin.query(`ALTER DATABASE ${name} WITH ALLOW_CONNECTIONS true`);
      expectEnvelope(await request(testApp.http).get('/health'), 200);
      expectEnvelope(await request(testApp.http).get('/health/ready'), 200);
      expectEnvelope(await request(testApp.http).get('/key').set(tenant.headers), 200);
    } finally {
      await admin.query(`ALTER DATABASE ${name} WITH ALLOW_CONNECTIONS true`);
      await admin.end();
      await testApp.close();
    }
  });
});
