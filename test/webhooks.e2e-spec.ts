import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import request from 'supertest';
import { eventually } from './support/eventually';
import { createTestDatabase } from './support/test-database';
import { expectEnvelope, startTestApp, type TestApp, type TestTenant } from './support/test-app';

interface Received {
  headers: IncomingHttpHeaders;
  body: string;
}

/** A real receiver on a local port: keeps what it gets, answers 500 to the first `failures` requests. */
async function startReceiver(failures = 0): Promise<{ url: string; received: Received[]; close(): Promise<void> }> {
  const received: Received[] = [];
  let failed = 0;
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      if (failed < failures) {
        failed += 1;
        res.writeHead(500).end();
        return;
      }
      received.push({ headers: req.headers, body: Buffer.concat(chunks).toString() });
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/hook`, received, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

describe('webhooks: signed, retried deliveries from a transactional outbox', () => {
  let testApp: TestApp;
  let tenant: TestTenant;

  beforeAll(async () => {
    // A local receiver is a private address: allowed here, as in private networks.
    testApp = await startTestApp({ WEBHOOK_ALLOW_PRIVATE_URLS: 'true', WEBHOOK_RETRY_SECONDS: '1,1,1' });
    tenant = await testApp.createTenant('webhooks');
  });
  afterAll(() => testApp.close());

  const subscribe = async (url: string, events: string[] = ['*']) => {
    const res = await request(testApp.http).post('/key/webhooks').set(tenant.headers).send({ url, events });
    expectEnvelope(res, 200);
    testApp.trackSecret(res.body.data.secret);
    return res.body.data as { id: string; secret: string };
  };
  const eventsOf = (received: Received[]) => received.map((delivery) => JSON.parse(delivery.body) as { type: string; data: Record<string, unknown> });

  it('delivers a key’s events in commit order, signed so that the standardwebhooks package verifies them, with no key material', async () => {
    const receiver = await startReceiver();
    try {
      const { id, secret } = await subscribe(receiver.url);
      expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
      const listed = await request(testApp.http).get(`/key/webhooks/${id}`).set(tenant.headers);
      expect(listed.body.data).not.toHaveProperty('secret');
      const key = (await request(testApp.http).post('/key/generate').set(tenant.headers).send({ algorithm: 'ES256', name: 'hooked' })).body.data;
      await request(testApp.http).put(`/key/${key.id}`).set(tenant.headers).send({ name: 'renamed' });
      const successor = (await request(testApp.http).post(`/key/${key.id}/rotate`).set(tenant.headers).send({})).body.data;
      await eventually('four events received', () => receiver.received.length >= 4);
      const verifier = new Webhook(secret);
      for (const delivery of receiver.received)
        expect(() => verifier.verify(delivery.body, delivery.headers as Record<string, string>)).not.toThrow();
      const events = eventsOf(receiver.received);
      expect(events.map((event) => event.type)).toEqual(['key.created', 'key.renamed', 'key.rotated', 'key.retiring']);
      expect(events[0].data).toEqual({ tenantId: tenant.tenantId, keyId: key.id, kid: key.kid, alias: null, status: 'active' });
      expect(events[2].data).toMatchObject({ keyId: key.id, successorId: successor.id });
      expect(receiver.received.map((delivery) => delivery.body).join()).not.toMatch(/PRIVATE|"d":|privateKey/);
      // A tampered body does not verify.
      const tampered = receiver.received[0].body.replace(key.id as string, 'another-id');
      expect(() => verifier.verify(tampered, receiver.received[0].headers as Record<string, string>)).toThrow();
    } finally {
      await receiver.close();
    }
  });

  it('retries a receiver that fails: the third try is delivered, with the same webhook-id', async () => {
    const receiver = await startReceiver(2);
    try {
      const { id } = await subscribe(receiver.url, ['api_key.created']);
      await testApp.createTenant('unrelated'); // another tenant's events never reach this subscription
      const created = await request(testApp.http)
        .post('/api-keys')
        .set(tenant.headers)
        .send({ name: 'hooked', scopes: ['keys:read'] });
      testApp.trackSecret(created.body.data.apiKey);
      await eventually('the event delivered after two failures', () => receiver.received.length === 1, { withinMs: 15_000 });
      expect(eventsOf(receiver.received)[0]).toMatchObject({
        type: 'api_key.created',
        data: { tenantId: tenant.tenantId, apiKeyId: created.body.data.id },
      });
      // The receiver has it before the worker records the answer: wait for the record.
      const { value: delivery } = await eventually('the delivery recorded as delivered', async () => {
        const [row] = await testApp.dataSource.query<{ id: string; attempts: number; status: string }[]>(
          'SELECT id, attempts, status FROM webhook_deliveries WHERE subscription_id = $1',
          [id],
        );
        return row?.status === 'delivered' ? row : undefined;
      });
      expect(delivery).toMatchObject({ attempts: 3, status: 'delivered' });
      expect(receiver.received[0].headers['webhook-id']).toBe(delivery.id);
      // The log says so, and a redelivery sends it again with the same id.
      const log = await request(testApp.http).get(`/key/webhooks/${id}/deliveries`).set(tenant.headers);
      expect(log.body.data).toEqual([
        expect.objectContaining({ id: delivery.id, eventType: 'api_key.created', status: 'delivered', attempts: 3, lastStatusCode: 204 }),
      ]);
      expectEnvelope(await request(testApp.http).post(`/key/webhooks/${id}/deliveries/${delivery.id}/redeliver`).set(tenant.headers), 200);
      await eventually('the redelivery received', () => receiver.received.length === 2);
      expect(receiver.received[1].headers['webhook-id']).toBe(delivery.id);
    } finally {
      await receiver.close();
    }
  });

  it('sends nothing for a change that rolls back: the event is written in the change’s transaction', async () => {
    const receiver = await startReceiver();
    const { id } = await subscribe(receiver.url, ['key.created']);
    // The audit row is written in the same transaction, after the outbox row: refusing it rolls the change back.
    await testApp.dataSource.query(
      `CREATE FUNCTION refuse_audit() RETURNS trigger AS $$ BEGIN RAISE EXCEPTION 'audit refused'; END $$ LANGUAGE plpgsql;
       CREATE TRIGGER refuse_audit BEFORE INSERT ON audit_events FOR EACH ROW EXECUTE FUNCTION refuse_audit();`,
    );
    try {
      await testApp.withExpectedErrors(async () => {
        const res = await request(testApp.http).post('/key/generate').set(tenant.headers).send({ algorithm: 'ES256', name: 'rolled back' });
        expect(res.status).toBe(500);
      });
    } finally {
      await testApp.dataSource.query('DROP TRIGGER refuse_audit ON audit_events; DROP FUNCTION refuse_audit();');
    }
    const [{ count }] = await testApp.dataSource.query<{ count: number }[]>(
      'SELECT count(*)::int AS count FROM webhook_deliveries WHERE subscription_id = $1',
      [id],
    );
    expect(count).toBe(0);
    await receiver.close();
  });

  it('manages subscriptions: list without secrets, update, disable, delete; bad events and URLs refused', async () => {
    const { id } = await subscribe('http://127.0.0.1:9/never');
    const updated = await request(testApp.http)
      .put(`/key/webhooks/${id}`)
      .set(tenant.headers)
      .send({ events: ['key.deleted'], enabled: false });
    expect(updated.body.data).toMatchObject({ events: ['key.deleted'], enabled: false });
    expect(JSON.stringify((await request(testApp.http).get('/key/webhooks').set(tenant.headers)).body)).not.toContain('whsec_');
    const bad = await request(testApp.http)
      .post('/key/webhooks')
      .set(tenant.headers)
      .send({ url: 'ftp://example.com', events: ['key.nonsense'] });
    expectEnvelope(bad, 400);
    expect(bad.body.errors.map((error: { field: string }) => error.field)).toEqual(['events']);
    expectEnvelope(await request(testApp.http).delete(`/key/webhooks/${id}`).set(tenant.headers), 200);
    expectEnvelope(await request(testApp.http).get(`/key/webhooks/${id}`).set(tenant.headers), 404);
  });
});

describe('webhooks: no requests to private addresses', () => {
  let testApp: TestApp;
  let tenant: TestTenant;

  beforeAll(async () => {
    testApp = await startTestApp();
    tenant = await testApp.createTenant('ssrf');
  });
  afterAll(() => testApp.close());

  it.each([
    ['http://example.com/hook', 'url must be https'],
    ['https://127.0.0.1/hook', 'url resolves to 127.0.0.1, which is not a public address: webhooks go to public addresses only'],
    [
      'https://169.254.169.254/latest/meta-data',
      'url resolves to 169.254.169.254, which is not a public address: webhooks go to public addresses only',
    ],
    ['https://10.1.2.3/hook', 'url resolves to 10.1.2.3, which is not a public address: webhooks go to public addresses only'],
    ['https://[::1]/hook', 'url resolves to ::1, which is not a public address: webhooks go to public addresses only'],
    ['https://localhost/hook', expect.stringMatching(/^url resolves to (127\.0\.0\.1|::1), which is not a public address/)],
    ['https://user:pass@example.com/hook', 'url must not carry credentials'],
  ])('refuses %s with a 400 that says why', async (url, message) => {
    const res = await request(testApp.http)
      .post('/key/webhooks')
      .set(tenant.headers)
      .send({ url, events: ['*'] });
    expectEnvelope(res, 400);
    expect(res.body.errors).toEqual([{ field: 'url', message }]);
  });
});

describe('webhooks with several instances, and across a restart', () => {
  jest.setTimeout(60_000);

  it('two instances deliver each event once; a delivery pending when its instance stops is sent by the next', async () => {
    const database = await createTestDatabase();
    const env = {
      DATABASE_URL: database.url,
      KEY_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
      WEBHOOK_ALLOW_PRIVATE_URLS: 'true',
      WEBHOOK_RETRY_SECONDS: '2,2,2,2',
    };
    const receiver = await startReceiver(1);
    let first = await startTestApp(env);
    const second = await startTestApp(env);
    try {
      const tenant = await first.createTenant('instances');
      const subscribed = await request(first.http)
        .post('/key/webhooks')
        .set(tenant.headers)
        .send({ url: receiver.url, events: ['key.created'] });
      first.trackSecret(subscribed.body.data.secret);
      // The first try fails (the receiver answers 500 once); its instance stops before the retry.
      await request(first.http).post('/key/generate').set(tenant.headers).send({ algorithm: 'ES256', name: 'before the restart' });
      await eventually('the first try failed', async () => {
        const [row] = await first.dataSource.query<{ attempts: number }[]>('SELECT attempts FROM webhook_deliveries');
        return row?.attempts === 1;
      });
      await first.close();
      first = await startTestApp(env);
      for (let i = 0; i < 20; i++) {
        const app = i % 2 === 0 ? first : second;
        await request(app.http)
          .post('/key/generate')
          .set(tenant.headers)
          .send({ algorithm: 'ES256', name: `key ${i}` });
      }
      await eventually('21 events received', () => receiver.received.length >= 21, { withinMs: 30_000 });
      const ids = receiver.received.map((delivery) => delivery.headers['webhook-id']);
      expect(new Set(ids).size).toBe(21);
      await eventually('21 deliveries recorded as delivered', async () => {
        const [{ delivered }] = await second.dataSource.query<{ delivered: number }[]>(
          "SELECT count(*)::int AS delivered FROM webhook_deliveries WHERE status = 'delivered'",
        );
        return delivered === 21;
      });
    } finally {
      await receiver.close();
      await first.close();
      await second.close();
      await database.drop();
    }
  });
});
