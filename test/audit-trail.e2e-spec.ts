import { generateKeyPairSync, randomUUID } from 'node:crypto';
import request from 'supertest';
import { cliActor } from '../src/audit/audit-trail';
import { TenantsService } from '../src/tenants/tenants.service';
import { startIdentityProvider, type IdentityProvider } from './support/identity-provider';
import { expectEnvelope, startTestApp, type TestApp, type TestTenant } from './support/test-app';

interface AuditEventView {
  id: string;
  at: string;
  action: string;
  keyId: string | null;
  actor: { type: string; id: string | null };
  requestId: string | null;
  outcome: 'success' | 'failure';
  detail: Record<string, unknown> | null;
}

describe('audit trail', () => {
  let idp: IdentityProvider;
  let testApp: TestApp;
  let tenant: TestTenant;

  beforeAll(async () => {
    idp = await startIdentityProvider();
    testApp = await startTestApp({ OAUTH_JWKS_URL: idp.jwksUrl, OAUTH_ISSUER: idp.issuer, OAUTH_AUDIENCE: idp.audience });
    tenant = await testApp.createTenant('audited');
  });
  afterAll(async () => {
    await testApp.close();
    await idp.close();
  });

  const call = (method: 'post' | 'put' | 'delete', path: string, requestId: string, body?: object, who = tenant) =>
    request(testApp.http)[method](path).set(who.headers).set('x-request-id', requestId).send(body);

  /** The whole trail of a tenant, newest first, walked page by page through `/key/audit`. */
  async function trail(who = tenant, query = ''): Promise<AuditEventView[]> {
    const events: AuditEventView[] = [];
    let cursor: string | null = null;
    do {
      const res: request.Response = await request(testApp.http)
        .get(`/key/audit?limit=3${query}${cursor ? `&cursor=${cursor}` : ''}`)
        .set(who.headers);
      expectEnvelope(res, 200);
      expect(res.body.meta.limit).toBe(3);
      events.push(...res.body.data);
      cursor = res.body.meta.nextCursor;
    } while (cursor);
    return events;
  }

  const eventFor = async (requestId: string, who = tenant) => {
    const events = (await trail(who)).filter((event) => event.requestId === requestId);
    expect(events).toHaveLength(1);
    return events[0];
  };

  it('records every change to a key with when, who, what, which key, which request and the outcome', async () => {
    const before = Date.now();
    const generated = (await call('post', '/key/generate', 'audit-generate', { algorithm: 'ES256', name: 'first' })).body.data;
    const keyId = generated.id;
    expectEnvelope(await call('put', `/key/${keyId}`, 'audit-rename', { name: 'renamed' }), 200);
    const rotated = await call('post', `/key/${keyId}/rotate`, 'audit-rotate', {});
    expectEnvelope(rotated, 200);
    const { publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    const importedId = randomUUID();
    expectEnvelope(
      await call('post', `/key/import/${importedId}`, 'audit-import', {
        name: 'partner',
        publicKey: publicKey.export({ format: 'pem', type: 'spki' }),
      }),
      200,
    );
    expectEnvelope(await call('delete', `/key/${importedId}`, 'audit-delete'), 200);

    const actor = { type: 'api_key', id: tenant.apiKeyId };
    expect(await eventFor('audit-generate')).toMatchObject({
      action: 'key.generate',
      keyId,
      actor,
      outcome: 'success',
      detail: { algorithm: 'ES256' },
    });
    expect(await eventFor('audit-rename')).toMatchObject({ action: 'key.rename', keyId, actor, outcome: 'success', detail: { name: 'renamed' } });
    expect(await eventFor('audit-rotate')).toMatchObject({
      action: 'key.rotate',
      keyId,
      actor,
      outcome: 'success',
      detail: { successorId: rotated.body.data.id },
    });
    expect(await eventFor('audit-import')).toMatchObject({
      action: 'key.import',
      keyId: importedId,
      actor,
      outcome: 'success',
      detail: { algorithm: 'ES256', hasPrivateKey: false },
    });
    expect(await eventFor('audit-delete')).toMatchObject({ action: 'key.delete', keyId: importedId, actor, outcome: 'success' });

    // Newest first, and each stamped with the time of its change.
    const events = await trail();
    const ids = events.map((event) => BigInt(event.id));
    expect(ids).toEqual([...ids].sort((a, b) => (a > b ? -1 : a < b ? 1 : 0)));
    expect(events.slice(0, 5).map((event) => event.action)).toEqual(['key.delete', 'key.import', 'key.rotate', 'key.rename', 'key.generate']);
    for (const event of events.slice(0, 5)) {
      expect(Date.parse(event.at)).toBeGreaterThanOrEqual(before - 1_000);
      expect(Date.parse(event.at)).toBeLessThanOrEqual(Date.now() + 1_000);
    }
  });

  it('records a refused change as a failure with its code, and the change is not made', async () => {
    const key = (await call('post', '/key/generate', 'audit-setup', { algorithm: 'ES256', name: 'kept' })).body.data;
    const taken = await call('post', `/key/generate/${key.id}`, 'audit-taken', { algorithm: 'ES384', name: 'intruder' });
    expectEnvelope(taken, 409);
    const missing = randomUUID();
    expectEnvelope(await call('put', `/key/${missing}`, 'audit-missing', { name: 'ghost' }), 404);

    expect(await eventFor('audit-taken')).toMatchObject({
      action: 'key.generate',
      keyId: key.id,
      outcome: 'failure',
      detail: { code: 'KEY_ID_TAKEN' },
    });
    expect(await eventFor('audit-missing')).toMatchObject({
      action: 'key.rename',
      keyId: missing,
      outcome: 'failure',
      detail: { code: 'KEY_NOT_FOUND' },
    });
    const stored = await request(testApp.http).get(`/key/${key.id}`).set(tenant.headers);
    expect(stored.body.data).toMatchObject({ algorithm: 'ES256', name: 'kept' });
  });

  it("writes the audit row in the change's transaction: when the row cannot be written, the change rolls back", async () => {
    // A trigger refuses the success rows of requests with this id, as a full disk or a bug would.
    await testApp.dataSource.query(`
      CREATE FUNCTION refuse_audit() RETURNS trigger AS $$
      BEGIN
        IF NEW.request_id LIKE 'refused-%' AND NEW.outcome = 'success' THEN RAISE EXCEPTION 'audit refused'; END IF;
        RETURN NEW;
      END $$ LANGUAGE plpgsql`);
    await testApp.dataSource.query('CREATE TRIGGER refuse_audit BEFORE INSERT ON audit_events FOR EACH ROW EXECUTE FUNCTION refuse_audit()');
    try {
      const key = (await call('post', '/key/generate', 'audit-before-refusal', { algorithm: 'ES256', name: 'unchanged' })).body.data;
      const newId = randomUUID();
      const refused: request.Response[] = [];
      const errors = await testApp.withExpectedErrors(async () => {
        refused.push(
          await call('post', `/key/generate/${newId}`, 'refused-generate', { algorithm: 'ES256', name: 'never stored' }),
          await call('put', `/key/${key.id}`, 'refused-rename', { name: 'never renamed' }),
          await call('post', `/key/${key.id}/rotate`, 'refused-rotate', {}),
          await call('delete', `/key/${key.id}`, 'refused-delete'),
        );
      });
      expect(errors).toEqual(['generate', 'rename', 'rotate', 'delete'].map((action) => `Unhandled error [requestId=refused-${action}]`));
      for (const res of refused) {
        expectEnvelope(res, 500);
        expect(res.body.message).toBe('Internal server error');
      }

      expectEnvelope(await request(testApp.http).get(`/key/${newId}`).set(tenant.headers), 404);
      const after = await request(testApp.http).get(`/key/${key.id}`).set(tenant.headers);
      expect(after.body.data).toMatchObject({ name: 'unchanged', status: 'active', rotatedTo: null });
      const [{ count }] = await testApp.dataSource.query(
        'SELECT count(*)::int AS count FROM tenant_keys WHERE tenant_id = $1 AND rotated_from = $2',
        [tenant.tenantId, key.id],
      );
      expect(count).toBe(0);
      // Each attempt is still on record, as a failure.
      for (const requestId of ['refused-generate', 'refused-rename', 'refused-rotate', 'refused-delete']) {
        expect(await eventFor(requestId)).toMatchObject({ outcome: 'failure', detail: { code: 'INTERNAL_ERROR' } });
      }
    } finally {
      await testApp.dataSource.query('DROP TRIGGER refuse_audit ON audit_events; DROP FUNCTION refuse_audit()');
    }
  });

  it("keeps each tenant's trail to itself", async () => {
    const other = await testApp.createTenant('other');
    const mine = (await call('post', '/key/generate', 'audit-mine', { algorithm: 'ES256', name: 'mine' })).body.data;
    expectEnvelope(await call('put', `/key/${mine.id}`, 'audit-intrusion', { name: 'taken over' }, other), 404);

    const othersTrail = await trail(other);
    expect(othersTrail.map((event) => event.requestId)).toContain('audit-intrusion');
    expect(othersTrail.every((event) => event.keyId !== mine.id || event.outcome === 'failure')).toBe(true);
    expect(othersTrail.map((event) => event.requestId)).not.toContain('audit-mine');
    expect((await trail()).map((event) => event.requestId)).not.toContain('audit-intrusion');
  });

  it('pages newest first through a cursor, narrows to one key, and refuses a cursor it did not make', async () => {
    const key = (await call('post', '/key/generate', 'audit-paged', { algorithm: 'ES256', name: 'p0' })).body.data;
    for (let i = 1; i <= 6; i += 1) expectEnvelope(await call('put', `/key/${key.id}`, `audit-paged-${i}`, { name: `p${i}` }), 200);

    const all = await trail();
    expect(new Set(all.map((event) => event.id)).size).toBe(all.length);
    const [{ count }] = await testApp.dataSource.query('SELECT count(*)::int AS count FROM audit_events WHERE tenant_id = $1', [tenant.tenantId]);
    expect(all).toHaveLength(count);

    const ofKey = await trail(tenant, `&keyId=${key.id}`);
    expect(ofKey.map((event) => event.detail?.name ?? event.action)).toEqual(['p6', 'p5', 'p4', 'p3', 'p2', 'p1', 'key.generate']);

    const first = await request(testApp.http).get('/key/audit?limit=1').set(tenant.headers);
    expect(first.body.data).toHaveLength(1);
    expect(first.body.data[0]).toMatchObject({ requestId: 'audit-paged-6' });
    for (const bad of ['?cursor=bm90LWEtbnVtYmVy', '?limit=0', '?limit=1001', '?keyId=nope']) {
      const res = await request(testApp.http).get(`/key/audit${bad}`).set(tenant.headers);
      expectEnvelope(res, 400);
    }
    expectEnvelope(await request(testApp.http).get('/key/audit'), 401);
  });

  it('narrows to an action, an outcome and a key, each alone or together, newest first and in pages; only the tenant’s own', async () => {
    const own = await testApp.createTenant('filtered');
    const first = (await call('post', '/key/generate', 'filter-generate', { algorithm: 'ES256', name: 'f0' }, own)).body.data;
    for (let i = 1; i <= 3; i += 1) expectEnvelope(await call('put', `/key/${first.id}`, `filter-rename-${i}`, { name: `f${i}` }, own), 200);
    expectEnvelope(await call('put', `/key/${randomUUID()}`, 'filter-missing', { name: 'ghost' }, own), 404);
    expectEnvelope(await call('post', `/key/generate/${first.id}`, 'filter-taken', { algorithm: 'ES256', name: 'again' }, own), 409);
    const second = (await call('post', '/key/generate', 'filter-second', { algorithm: 'ES256', name: 's' }, own)).body.data;
    expectEnvelope(await call('put', `/key/${second.id}`, 'filter-second-rename', { name: 's1' }, own), 200);

    const all = await trail(own);
    const requestIds = async (query: string) => (await trail(own, query)).map((event) => event.requestId);
    const expected = (keep: (event: AuditEventView) => boolean) => all.filter(keep).map((event) => event.requestId);
    expect(await requestIds('&action=key.rename')).toEqual([
      'filter-second-rename',
      'filter-missing',
      'filter-rename-3',
      'filter-rename-2',
      'filter-rename-1',
    ]);
    expect(await requestIds('&action=key.rename')).toEqual(expected((event) => event.action === 'key.rename'));
    expect(await requestIds('&outcome=failure')).toEqual(['filter-taken', 'filter-missing']);
    expect(await requestIds('&outcome=success')).toEqual(expected((event) => event.outcome === 'success'));
    expect(await requestIds('&action=key.rename&outcome=failure')).toEqual(['filter-missing']);
    expect(await requestIds(`&keyId=${first.id}&action=key.generate`)).toEqual(['filter-taken', 'filter-generate']);
    expect(await requestIds(`&keyId=${first.id}&action=key.rename&outcome=success`)).toEqual([
      'filter-rename-3',
      'filter-rename-2',
      'filter-rename-1',
    ]);
    expect(await requestIds('&action=api_key.revoke')).toEqual([]);

    // A filtered page is full, and its cursor leads on within the filter.
    const page = await request(testApp.http).get('/key/audit?limit=2&action=key.rename').set(own.headers);
    expect(page.body.data.map((event: AuditEventView) => event.requestId)).toEqual(['filter-second-rename', 'filter-missing']);
    const next = await request(testApp.http).get(`/key/audit?limit=2&action=key.rename&cursor=${page.body.meta.nextCursor}`).set(own.headers);
    expect(next.body.data.map((event: AuditEventView) => event.requestId)).toEqual(['filter-rename-3', 'filter-rename-2']);

    for (const [query, field, message] of [
      ['action=key.nope', 'action', expect.stringMatching(/^action must be one of key\.generate, .*api_key\.revoke/)],
      ['action=', 'action', expect.stringMatching(/^action must be one of /)],
      ['outcome=maybe', 'outcome', 'outcome must be one of success, failure'],
    ] as const) {
      const res = await request(testApp.http).get(`/key/audit?${query}`).set(own.headers);
      expectEnvelope(res, 400);
      expect(res.body).toMatchObject({ code: 'VALIDATION_FAILED', errors: [{ field, message }] });
    }
  });

  it('records API-key changes with the CLI operator as the actor, and refusals too', async () => {
    const tenants = testApp.app.get(TenantsService);
    const issued = await tenants.createApiKey(cliActor(), tenant.tenantId);
    await tenants.revokeApiKey(cliActor(), issued.apiKeyId);
    await expect(tenants.revokeApiKey(cliActor(), issued.apiKeyId)).rejects.toThrow('No active API key');

    const events = (await trail()).filter((event) => event.keyId === issued.apiKeyId);
    const operator = { type: 'cli', id: cliActor().id };
    expect(events).toEqual([
      expect.objectContaining({ action: 'api_key.revoke', actor: operator, outcome: 'failure', detail: { code: 'API_KEY_NOT_FOUND' } }),
      expect.objectContaining({ action: 'api_key.revoke', actor: operator, outcome: 'success' }),
      expect.objectContaining({ action: 'api_key.create', actor: operator, outcome: 'success' }),
    ]);
    // The tenant's first key was recorded when the tenant was made.
    expect((await trail()).at(-1)).toMatchObject({ action: 'api_key.create', keyId: tenant.apiKeyId, detail: { tenantCreated: true } });
  });

  it("records user-key changes with the user as the actor, outside any tenant's trail", async () => {
    const token = await idp.issueToken({ sub: 'audited-user', scope: 'add_key' });
    const registered = await request(testApp.http)
      .post('/keys/register')
      .set('authorization', `Bearer ${token}`)
      .set('x-request-id', 'audit-user')
      .send({ name: 'phone' });
    expectEnvelope(registered, 200);
    const rows = await testApp.dataSource.query(
      'SELECT tenant_id, actor_type, actor_id, action, key_id, outcome FROM audit_events WHERE request_id = $1',
      ['audit-user'],
    );
    expect(rows).toEqual([
      {
        tenant_id: null,
        actor_type: 'user',
        actor_id: `${idp.issuer}#audited-user`,
        action: 'user_key.register',
        key_id: registered.body.data.id,
        outcome: 'success',
      },
    ]);
    expect((await trail()).map((event) => event.requestId)).not.toContain('audit-user');
  });

  it('records signatures only when AUDIT_SIGN=true', async () => {
    const key = (await call('post', '/key/generate', 'audit-signer', { algorithm: 'ES256', name: 'signer' })).body.data;
    expectEnvelope(await call('post', `/key/${key.id}/sign`, 'audit-sign-off', { payload: { sub: 'a' } }), 200);
    expect((await trail()).map((event) => event.requestId)).not.toContain('audit-sign-off');

    const audited = await startTestApp({ AUDIT_SIGN: 'true' });
    try {
      const own = await audited.createTenant('sign-audited');
      const signer = (await request(audited.http).post('/key/generate').set(own.headers).send({ algorithm: 'ES256', name: 's' })).body.data;
      const signed = await request(audited.http)
        .post(`/key/${signer.id}/sign`)
        .set(own.headers)
        .set('x-request-id', 'audit-sign-on')
        .send({ payload: { sub: 'a' } });
      expectEnvelope(signed, 200);
      const events = (await request(audited.http).get('/key/audit').set(own.headers)).body.data as AuditEventView[];
      expect(events[0]).toMatchObject({
        action: 'key.sign',
        keyId: signer.id,
        requestId: 'audit-sign-on',
        outcome: 'success',
        actor: { type: 'api_key', id: own.apiKeyId },
      });
    } finally {
      await audited.close();
    }
  });
});
