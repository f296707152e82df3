import { generateKeyPairSync } from 'node:crypto';
import request from 'supertest';
import { eventually } from './support/eventually';
import { receiverOfEveryEvent, type Receiver } from './support/webhook-receiver';
import { expectEnvelope, startTestApp, type TestApp, type TestTenant } from './support/test-app';

/** Short periods, so that a scheduled rotation happens within a test: the scheduler looks every second. */
const FAST = { LIFECYCLE_TICK_SECONDS: '1', JWKS_MAX_AGE: '1', DELETION_MIN_WINDOW_SECONDS: '2', WEBHOOK_ALLOW_PRIVATE_URLS: 'true' };

interface Delivered {
  type: string;
  timestamp: string;
  data: Record<string, unknown>;
}

/** Every event's body as receivers get it: its fields, their values and their order (a signature covers the bytes). */
describe('webhook events: the body of each event, from each change that emits it', () => {
  let testApp: TestApp;
  let tenant: TestTenant;
  let receiver: Receiver;

  beforeAll(async () => {
    testApp = await startTestApp(FAST);
    tenant = await testApp.createTenant('webhook-events');
    receiver = await receiverOfEveryEvent(testApp, tenant);
  });
  afterAll(async () => {
    await testApp.close();
    await receiver.close();
  });

  const delivered = () => receiver.received.map(({ body }) => JSON.parse(body) as Delivered);
  /** The one event of this type about this key (or API key), once delivered. */
  const eventOf = async (type: string, id: string) =>
    (
      await eventually(
        `${type} of ${id} delivered`,
        () => {
          const found = delivered().filter((event) => event.type === type && (event.data.keyId === id || event.data.apiKeyId === id));
          return found.length > 0 ? found : undefined;
        },
        { withinMs: 20_000 },
      )
    ).value;
  const expectBody = async (type: string, id: string, data: Record<string, unknown>) => {
    const events = await eventOf(type, id);
    expect(events).toHaveLength(1);
    expect(events[0].timestamp).toEqual(new Date(events[0].timestamp).toISOString());
    // Compared as text: the same fields, values and order.
    expect(JSON.stringify(events[0].data)).toBe(JSON.stringify(data));
  };
  const http = () => request(testApp.http);

  it('a key the scheduler rotates: next_published, activated, retiring, retired', async () => {
    const policy = { rotateEverySeconds: 5, prePublishSeconds: 3, retireAfterSeconds: 1 };
    const old = (
      await http()
        .post('/key/generate')
        .set(tenant.headers)
        .send({ algorithm: 'ES256', name: 'scheduled', alias: 'events-p', rotationPolicy: policy })
    ).body.data;
    const { tenantId } = tenant;
    await expectBody('key.created', old.id, { tenantId, keyId: old.id, kid: old.kid, alias: 'events-p', status: 'active' });
    const [published] = await eventOf('key.next_published', old.id);
    const successorId = published.data.successorId as string;
    expect(JSON.stringify(published.data)).toBe(
      JSON.stringify({ tenantId, keyId: old.id, successorId, kid: old.kid, alias: 'events-p', status: 'active' }),
    );
    const successor = (await http().get(`/key/${successorId}`).set(tenant.headers)).body.data;
    await eventOf('key.activated', successorId);
    // The successor rotates no more: its own successor would only add events.
    expectEnvelope(await http().put(`/key/${successorId}`).set(tenant.headers).send({ rotationPolicy: null }), 200);
    await expectBody('key.activated', successorId, { tenantId, keyId: successorId, kid: successor.kid, alias: 'events-p', status: 'active' });
    await expectBody('key.retiring', old.id, { tenantId, keyId: old.id, status: 'retiring', kid: old.kid, alias: null });
    await expectBody('key.retired', old.id, { tenantId, keyId: old.id, status: 'retired', kid: old.kid, alias: null });
  });

  it('a hand rotation of a key whose successor is published: rotated and retiring, the successor named', async () => {
    const policy = { rotateEverySeconds: 600, prePublishSeconds: 598, retireAfterSeconds: 60 };
    const old = (
      await http().post('/key/generate').set(tenant.headers).send({ algorithm: 'ES256', name: 'by hand', alias: 'events-q', rotationPolicy: policy })
    ).body.data;
    const [published] = await eventOf('key.next_published', old.id);
    const rotated = await http().post(`/key/${old.id}/rotate`).set(tenant.headers).send({ gracePeriodSeconds: 60 });
    expectEnvelope(rotated, 200);
    expect(rotated.body.data.id).toBe(published.data.successorId);
    const { tenantId } = tenant;
    await expectBody('key.rotated', old.id, {
      tenantId,
      keyId: old.id,
      successorId: rotated.body.data.id,
      kid: old.kid,
      alias: null,
      status: 'retiring',
    });
    await expectBody('key.retiring', old.id, { tenantId, keyId: old.id, status: 'retiring', kid: old.kid, alias: null });
  });

  it('an imported key renamed, its deletion scheduled and cancelled, then deleted; an API key made and revoked', async () => {
    const { publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const pem = publicKey.export({ format: 'pem', type: 'spki' }) as string;
    const imported = (await http().post('/key/import').set(tenant.headers).send({ name: 'imported', alias: 'events-i', publicKey: pem })).body.data;
    const { tenantId } = tenant;
    const about = { tenantId, keyId: imported.id, kid: imported.kid };
    await expectBody('key.imported', imported.id, { ...about, alias: 'events-i', status: 'active' });
    expectEnvelope(await http().put(`/key/${imported.id}`).set(tenant.headers).send({ name: 'renamed' }), 200);
    await expectBody('key.renamed', imported.id, { ...about, alias: 'events-i', status: 'active' });
    expectEnvelope(await http().post(`/key/${imported.id}/schedule-deletion`).set(tenant.headers).send({ afterSeconds: 600 }), 200);
    await expectBody('key.deletion_scheduled', imported.id, { ...about, alias: null, status: 'pending_deletion' });
    expectEnvelope(await http().post(`/key/${imported.id}/cancel-deletion`).set(tenant.headers).send({}), 200);
    await expectBody('key.deletion_cancelled', imported.id, { ...about, alias: 'events-i', status: 'active' });
    expectEnvelope(await http().delete(`/key/${imported.id}`).set(tenant.headers), 200);
    await expectBody('key.deleted', imported.id, { ...about, alias: 'events-i', status: 'deleted' });

    const created = await http()
      .post('/api-keys')
      .set(tenant.headers)
      .send({ name: 'events', scopes: ['keys:read'] });
    expectEnvelope(created, 200);
    testApp.trackSecret(created.body.data.apiKey);
    const apiKeyId = created.body.data.id as string;
    await expectBody('api_key.created', apiKeyId, { tenantId, apiKeyId });
    expectEnvelope(await http().delete(`/api-keys/${apiKeyId}`).set(tenant.headers), 200);
    await expectBody('api_key.revoked', apiKeyId, { tenantId, apiKeyId });
    // Deliveries name the key they are about (null for an API key's).
    const rows = await testApp.dataSource.query<{ event_type: string; key_id: string | null }[]>(
      `SELECT event_type, key_id FROM webhook_deliveries WHERE tenant_id = $1 AND event_type IN ('key.imported', 'api_key.revoked') ORDER BY sequence`,
      [tenantId],
    );
    expect(rows).toEqual([
      { event_type: 'key.imported', key_id: imported.id },
      { event_type: 'api_key.revoked', key_id: null },
    ]);
  });
});
