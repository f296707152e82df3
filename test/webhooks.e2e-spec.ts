import { randomBytes, randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SecretSealer } from '../src/sealing/secret-sealer';
import { WebhookDeliveryWorker } from '../src/webhooks/delivery/webhook-delivery.worker';
import { sealWebhookSecret } from '../src/webhooks/webhook-secrets';
import { Webhook } from 'standardwebhooks';
import request from 'supertest';
import { eventually } from './support/eventually';
import { startReceiver, type Received } from './support/webhook-receiver';
import { createTestDatabase } from './support/test-database';
import { keyClient } from './support/key-client';
import { expectEnvelope, startTestApp, type TestApp, type TestTenant } from './support/test-app';

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
      expect(events[2].data).toMatchObject({ keyId: key.id, kid: key.kid, status: 'retiring', successorId: successor.id });
      expect(events[3].data).toEqual({ tenantId: tenant.tenantId, keyId: key.id, kid: key.kid, alias: null, status: 'retiring' });
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
      // A fresh start: one attempt so far, with its retries ahead had it failed.
      await eventually('the redelivery recorded', async () => {
        const [row] = await testApp.dataSource.query('SELECT attempts, status FROM webhook_deliveries WHERE id = $1', [delivery.id]);
        return row.status === 'delivered' && row.attempts === 1;
      });
      // Two failures, then a success: the subscription is not counted as failing.
      const view = (await request(testApp.http).get(`/key/webhooks/${id}`).set(tenant.headers)).body.data;
      expect(view).toMatchObject({ enabled: true, failingSince: null, disabledReason: null });
    } finally {
      await receiver.close();
    }
  });

  it('rotates a secret: the old one signs beside the new one for 24 hours, and only the newest two sign', async () => {
    const receiver = await startReceiver();
    try {
      const { id, secret: first } = await subscribe(receiver.url, ['key.created']);
      const rotate = async () => {
        const res = await request(testApp.http).post(`/key/webhooks/${id}/rotate-secret`).set(tenant.headers);
        expectEnvelope(res, 200);
        testApp.trackSecret(res.body.data.secret);
        return res.body.data as { secret: string; previousSecretExpiresAt: string };
      };
      const rotated = await rotate();
      expect(rotated.secret).toMatch(/^whsec_/);
      expect(rotated.secret).not.toBe(first);
      expect(Date.parse(rotated.previousSecretExpiresAt) - Date.now()).toBeGreaterThan(24 * 3_600_000 - 60_000);
      expect(Date.parse(rotated.previousSecretExpiresAt) - Date.now()).toBeLessThanOrEqual(24 * 3_600_000);
      const generateOne = async (name: string) => {
        await keyClient(testApp, tenant).generate({ algorithm: 'ES256', name });
        const count = receiver.received.length + 1;
        await eventually(`delivery ${count} received`, () => receiver.received.length === count);
        return receiver.received[count - 1];
      };
      const verifies = (secret: string, delivery: Received) => {
        try {
          new Webhook(secret).verify(delivery.body, delivery.headers as Record<string, string>);
          return true;
        } catch {
          return false;
        }
      };
      const afterFirst = await generateOne('after one rotation');
      expect(String(afterFirst.headers['webhook-signature']).split(' ')).toEqual([expect.stringMatching(/^v1,/), expect.stringMatching(/^v1,/)]);
      expect([verifies(rotated.secret, afterFirst), verifies(first, afterFirst)]).toEqual([true, true]);
      // Rotated again: the newest and the one before sign; the first no longer does.
      const again = await rotate();
      const afterSecond = await generateOne('after two rotations');
      expect([verifies(again.secret, afterSecond), verifies(rotated.secret, afterSecond), verifies(first, afterSecond)]).toEqual([true, true, false]);
      // Once the previous secret's day is over, one signature again (its expiry moved into the past here).
      await testApp.dataSource.query(`UPDATE webhook_subscriptions SET previous_secret_expires_at = now() - interval '1 second' WHERE id = $1`, [id]);
      const afterExpiry = await generateOne('after the day');
      expect(String(afterExpiry.headers['webhook-signature']).split(' ')).toHaveLength(1);
      expect([verifies(again.secret, afterExpiry), verifies(rotated.secret, afterExpiry)]).toEqual([true, false]);
      expect((await request(testApp.http).get(`/key/webhooks/${id}`).set(tenant.headers)).body.data.previousSecretExpiresAt).toBeNull();
      expectEnvelope(await request(testApp.http).post(`/key/webhooks/${randomUUID()}/rotate-secret`).set(tenant.headers), 404);
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

  it('names the deleted key (kid, alias) in key.deleted', async () => {
    const receiver = await startReceiver();
    try {
      await subscribe(receiver.url, ['key.deleted']);
      const key = (
        await request(testApp.http).post('/key/generate').set(tenant.headers).send({ algorithm: 'ES256', name: 'doomed', alias: 'doomed-alias' })
      ).body.data;
      expectEnvelope(await request(testApp.http).delete(`/key/${key.id}`).set(tenant.headers), 200);
      await eventually('key.deleted received', () => receiver.received.length === 1);
      expect(eventsOf(receiver.received)[0]).toMatchObject({
        type: 'key.deleted',
        data: { tenantId: tenant.tenantId, keyId: key.id, kid: key.kid, alias: 'doomed-alias', status: 'deleted' },
      });
    } finally {
      await receiver.close();
    }
  });

  it('cuts a receiver that trickles its answer at 5 s, and fails an attempt whose secret does not open instead of retrying it at once', async () => {
    const trickling = createServer((req, res) => {
      req.resume();
      res.writeHead(200, { 'content-type': 'text/plain' });
      const drip = setInterval(() => res.write('.'), 500);
      res.on('close', () => clearInterval(drip));
    });
    await new Promise<void>((resolve) => trickling.listen(0, '127.0.0.1', resolve));
    try {
      const { id } = await subscribe(`http://127.0.0.1:${(trickling.address() as AddressInfo).port}/slow`, ['key.created']);
      await request(testApp.http).post('/key/generate').set(tenant.headers).send({ algorithm: 'ES256', name: 'trickled' });
      const { value: cut } = await eventually(
        'the first attempt cut',
        async () => {
          const [row] = await testApp.dataSource.query(
            'SELECT attempts, last_error, last_duration_ms FROM webhook_deliveries WHERE subscription_id = $1',
            [id],
          );
          return row?.attempts >= 1 ? row : undefined;
        },
        { withinMs: 15_000 },
      );
      expect(cut.last_error).toBe('no answer within 5 s');
      expect(cut.last_duration_ms).toBeLessThan(6_000);
      // A secret sealed under no configured key: each attempt fails and counts, the delivery moves on to failed.
      await testApp.dataSource.query('UPDATE webhook_subscriptions SET secret_sealed = $2 WHERE id = $1', [id, randomBytes(64)]);
      await testApp.dataSource.query(`UPDATE webhook_deliveries SET next_attempt_at = now() WHERE subscription_id = $1`, [id]);
      const { value: failed } = await eventually(
        'the delivery failed',
        async () => {
          const [row] = await testApp.dataSource.query('SELECT status, attempts, last_error FROM webhook_deliveries WHERE subscription_id = $1', [
            id,
          ]);
          return row.status === 'failed' ? row : undefined;
        },
        { withinMs: 15_000 },
      );
      expect(failed).toEqual({ status: 'failed', attempts: 4, last_error: 'the signing secret could not be opened' });
      await request(testApp.http).delete(`/key/webhooks/${id}`).set(tenant.headers);
    } finally {
      trickling.closeAllConnections();
      await new Promise((resolve) => trickling.close(resolve));
    }
  });

  it('forgets delivered and failed deliveries past WEBHOOK_DELIVERY_RETENTION_DAYS, never pending ones', async () => {
    const { id } = await subscribe('http://127.0.0.1:9/retention', ['key.renamed']);
    const insert = (status: string, daysAgo: number) =>
      testApp.dataSource.query<{ id: string }[]>(
        `INSERT INTO webhook_deliveries (id, tenant_id, subscription_id, event_type, body, status, next_attempt_at, created_at)
         VALUES (gen_random_uuid(), $1, $2, 'key.renamed', '{}', $3, now() + interval '1 day', now() - make_interval(days => $4)) RETURNING id`,
        [tenant.tenantId, id, status, daysAgo],
      );
    const [[oldDelivered], [oldFailed], [oldPending], [recent]] = [
      await insert('delivered', 31),
      await insert('failed', 40),
      await insert('pending', 40),
      await insert('delivered', 29),
    ];
    expect(await testApp.app.get(WebhookDeliveryWorker).prune()).toBeGreaterThanOrEqual(2);
    const left = (await testApp.dataSource.query<{ id: string }[]>('SELECT id FROM webhook_deliveries WHERE subscription_id = $1', [id])).map(
      (row) => row.id,
    );
    expect(left.sort()).toEqual([oldPending.id, recent.id].sort());
    expect(left).not.toContain(oldDelivered.id);
    expect(left).not.toContain(oldFailed.id);
    await request(testApp.http).delete(`/key/webhooks/${id}`).set(tenant.headers);
  });

  it('holds at most 25 webhooks per tenant, even when they are created at once', async () => {
    const crowded = await testApp.createTenant('crowded');
    const answers = await Promise.all(
      Array.from({ length: 30 }, (_, i) =>
        request(testApp.http)
          .post('/key/webhooks')
          .set(crowded.headers)
          .send({ url: `http://127.0.0.1:9/${i}`, events: ['*'] }),
      ),
    );
    const created = answers.filter((res) => res.status === 200);
    for (const res of created) testApp.trackSecret(res.body.data.secret);
    const refused = answers.filter((res) => res.status !== 200);
    expect(created).toHaveLength(25);
    for (const res of refused) {
      expectEnvelope(res, 409);
      expect(res.body.code).toBe('WEBHOOK_LIMIT_REACHED');
    }
  });

  it('manages subscriptions: list without secrets, update, disable, delete; bad events and URLs refused', async () => {
    const { id } = await subscribe('http://127.0.0.1:9/never');
    const updated = await request(testApp.http)
      .put(`/key/webhooks/${id}`)
      .set(tenant.headers)
      .send({ events: ['key.deleted'], enabled: false });
    expect(updated.body.data).toMatchObject({ events: ['key.deleted'], enabled: false });
    // A field sent as null is the same as one left out: nothing changes.
    const nulls = await request(testApp.http).put(`/key/webhooks/${id}`).set(tenant.headers).send({ url: null, events: null, enabled: null });
    expectEnvelope(nulls, 200);
    expect(nulls.body.data).toEqual(updated.body.data);
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

  it('answers 404 for another tenant’s subscription and its deliveries, on every route, and changes nothing of it', async () => {
    const { id } = await subscribe('http://127.0.0.1:9/never', ['key.created']);
    await request(testApp.http).post('/key/generate').set(tenant.headers).send({ algorithm: 'ES256', name: 'for a delivery' });
    const [{ id: deliveryId }] = await testApp.dataSource.query<{ id: string }[]>('SELECT id FROM webhook_deliveries WHERE subscription_id = $1', [
      id,
    ]);
    const other = await testApp.createTenant('another');
    const routes = [
      request(testApp.http).get(`/key/webhooks/${id}`),
      request(testApp.http).put(`/key/webhooks/${id}`).send({ enabled: false }),
      request(testApp.http).post(`/key/webhooks/${id}/rotate-secret`),
      request(testApp.http).get(`/key/webhooks/${id}/deliveries`),
      request(testApp.http).post(`/key/webhooks/${id}/deliveries/${deliveryId}/redeliver`),
      request(testApp.http).delete(`/key/webhooks/${id}`),
    ];
    for (const route of routes) expectEnvelope(await route.set(other.headers), 404);
    expect((await request(testApp.http).get('/key/webhooks').set(other.headers)).body.data).toEqual([]);
    // Its own tenant still has it, enabled, with one secret (its deliveries, failing, may mark it failing meanwhile).
    const kept = await request(testApp.http).get(`/key/webhooks/${id}`).set(tenant.headers);
    expectEnvelope(kept, 200);
    expect(kept.body.data).toMatchObject({ id, enabled: true, events: ['key.created'], previousSecretExpiresAt: null });
  });
});

describe('webhooks: a subscription whose deliveries all fail is disabled', () => {
  let testApp: TestApp;
  let tenant: TestTenant;

  beforeAll(async () => {
    testApp = await startTestApp({
      WEBHOOK_ALLOW_PRIVATE_URLS: 'true',
      WEBHOOK_RETRY_SECONDS: '1,1,1,1,1,1,1,1,1,1',
      WEBHOOK_DISABLE_AFTER_SECONDS: '2',
    });
    tenant = await testApp.createTenant('failing receiver');
  });
  afterAll(() => testApp.close());

  it('after WEBHOOK_DISABLE_AFTER_SECONDS of failures only: disabled, says why, audited; enabled again by hand', async () => {
    const receiver = await startReceiver(Number.MAX_SAFE_INTEGER);
    try {
      const created = await request(testApp.http)
        .post('/key/webhooks')
        .set(tenant.headers)
        .send({ url: receiver.url, events: ['*'] });
      testApp.trackSecret(created.body.data.secret);
      const { id } = created.body.data as { id: string };
      await request(testApp.http).post('/key/generate').set(tenant.headers).send({ algorithm: 'ES256', name: 'unheard' });
      const view = async () => (await request(testApp.http).get(`/key/webhooks/${id}`).set(tenant.headers)).body.data;
      const { value: failing } = await eventually('marked failing', async () => ((await view()).failingSince ? view() : undefined));
      expect(failing.enabled).toBe(true);
      const { value: disabled } = await eventually('disabled', async () => ((await view()).enabled === false ? view() : undefined), {
        withinMs: 15_000,
      });
      expect(disabled.disabledReason).toBe(
        `Disabled by the service: every delivery has failed since ${new Date(failing.failingSince).toISOString()}`,
      );
      expect(Date.parse(disabled.disabledAt) - Date.parse(failing.failingSince)).toBeGreaterThanOrEqual(2_000);
      const [audited] = await testApp.dataSource.query(`SELECT actor_type, tenant_id FROM audit_events WHERE action = 'webhook.disable'`);
      expect(audited).toEqual({ actor_type: 'system', tenant_id: tenant.tenantId });
      // Its pending delivery fails at once, and later events are not queued for it.
      await eventually('nothing pending', async () => {
        const [{ pending }] = await testApp.dataSource.query(`SELECT count(*)::int AS pending FROM webhook_deliveries WHERE status = 'pending'`);
        return pending === 0;
      });
      await request(testApp.http).post('/key/generate').set(tenant.headers).send({ algorithm: 'ES256', name: 'while disabled' });
      const [{ queued }] = await testApp.dataSource.query(`SELECT count(*)::int AS queued FROM webhook_deliveries WHERE subscription_id = $1`, [id]);
      expect(queued).toBe(1);
      const enabled = await request(testApp.http).put(`/key/webhooks/${id}`).set(tenant.headers).send({ enabled: true });
      expect(enabled.body.data).toMatchObject({ enabled: true, disabledAt: null, disabledReason: null, failingSince: null });
    } finally {
      await receiver.close();
    }
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
    ['http://example.com/hook', 'url must be https (WEBHOOK_ALLOW_PRIVATE_URLS=true allows http, for tests and private networks)'],
    ['https://127.0.0.1/hook', 'url resolves to 127.0.0.1, which is not a public address: webhooks go to public addresses only'],
    [
      'https://169.254.169.254/latest/meta-data',
      'url resolves to 169.254.169.254, which is not a public address: webhooks go to public addresses only',
    ],
    ['https://10.1.2.3/hook', 'url resolves to 10.1.2.3, which is not a public address: webhooks go to public addresses only'],
    ['https://[::1]/hook', 'url resolves to ::1, which is not a public address: webhooks go to public addresses only'],
    // IPv4-compatible IPv6: 127.0.0.1 inside.
    ['https://[::127.0.0.1]/hook', 'url resolves to ::7f00:1, which is not a public address: webhooks go to public addresses only'],
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

  it('refuses, at delivery, a private address or http stored while they were allowed', async () => {
    const receiver = await startReceiver();
    try {
      // As a subscription made under WEBHOOK_ALLOW_PRIVATE_URLS=true would be stored, with an event for it.
      const id = randomUUID();
      await testApp.dataSource.query(`INSERT INTO webhook_subscriptions (id, tenant_id, url, events, secret_sealed) VALUES ($1, $2, $3, '{*}', $4)`, [
        id,
        tenant.tenantId,
        receiver.url,
        await sealWebhookSecret(testApp.app.get(SecretSealer), tenant.tenantId, id, 'whsec_' + randomBytes(32).toString('base64')),
      ]);
      await request(testApp.http).post('/key/generate').set(tenant.headers).send({ algorithm: 'ES256', name: 'to a private address' });
      const { value: refused } = await eventually('the attempt refused', async () => {
        const [row] = await testApp.dataSource.query('SELECT attempts, last_error FROM webhook_deliveries WHERE subscription_id = $1', [id]);
        return row?.attempts >= 1 ? row : undefined;
      });
      expect(refused.last_error).toBe('url must be https (WEBHOOK_ALLOW_PRIVATE_URLS=true allows http, for tests and private networks)');
      expect(receiver.received).toHaveLength(0);
      await testApp.dataSource.query('DELETE FROM webhook_subscriptions WHERE id = $1', [id]);
    } finally {
      await receiver.close();
    }
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

describe('webhooks: fair across tenants', () => {
  jest.setTimeout(120_000);

  it('a tenant flooding a slow receiver holds half of each instance’s loops; another tenant’s delivery arrives within seconds', async () => {
    const database = await createTestDatabase();
    const env = {
      DATABASE_URL: database.url,
      KEY_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
      WEBHOOK_ALLOW_PRIVATE_URLS: 'true',
    };
    // Answers after 4.5 s, within the 5 s a delivery may take: every delivery to it holds a loop that long.
    const slow = await startReceiver(0, { answerAfterMs: 4_500 });
    const healthy = await startReceiver();
    const instances = [await startTestApp(env), await startTestApp(env), await startTestApp(env)];
    try {
      const [first] = instances;
      const hostile = await first.createTenant('hostile');
      const other = await first.createTenant('other');
      const subscribe = async (tenant: TestTenant, url: string) => {
        const res = await request(first.http)
          .post('/key/webhooks')
          .set(tenant.headers)
          .send({ url, events: ['*'] });
        expectEnvelope(res, 200);
        first.trackSecret(res.body.data.secret);
      };
      for (let i = 0; i < 25; i++) await subscribe(hostile, slow.url);
      await subscribe(other, healthy.url);
      // 41 events for 25 subscriptions, through every instance: 1,025 deliveries of 4.5 s each, far more than loops.
      const key = (await request(first.http).post('/key/generate').set(hostile.headers).send({ algorithm: 'ES256', name: 'flood' })).body.data;
      for (let i = 0; i < 40; i++) {
        const res = await request(instances[i % 3].http)
          .put(`/key/${key.id}`)
          .set(hostile.headers)
          .send({ name: `flood ${i}` });
        expectEnvelope(res, 200);
      }
      // Three instances of eight loops: the flood holds four loops of each, and keeps them.
      await eventually('the slow receiver answering 12 deliveries at once', () => slow.answering().now === 12, { withinMs: 15_000 });

      const started = Date.now();
      expectEnvelope(await request(instances[1].http).post('/key/generate').set(other.headers).send({ algorithm: 'ES256', name: 'unhurried' }), 200);
      await eventually('the other tenant’s key.created received', () => healthy.received.length === 1, { withinMs: 5_000 });
      const tookMs = Date.now() - started;

      const [{ pending }] = await first.dataSource.query<{ pending: number }[]>(
        `SELECT count(*)::int AS pending FROM webhook_deliveries WHERE tenant_id = $1 AND status = 'pending'`,
        [hostile.tenantId],
      );
      expect(pending).toBeGreaterThan(900);
      expect(tookMs).toBeLessThan(5_000);
      expect(slow.answering().most).toBe(12);
      // Each delivery sent by one instance only.
      const ids = slow.received.map((delivery) => delivery.headers['webhook-id']);
      expect(new Set(ids).size).toBe(ids.length);
    } finally {
      await slow.close();
      await healthy.close();
      for (const instance of instances) await instance.close();
      await database.drop();
    }
  });
});
