import { generateKeyPairSync, randomUUID } from 'node:crypto';
import request from 'supertest';
import { TenantsService } from '../src/tenants/tenants.service';
import { keyClient } from './support/key-client';
import { expectEnvelope, startTestApp, tenantHeaders, type TestApp, type TestTenant } from './support/test-app';
import { cliActor } from '../src/audit/audit-trail';
import { startIdentityProvider, type IdentityProvider } from './support/identity-provider';
import { createSoftHsmToken, type SoftHsmToken } from './support/softhsm';
import { eventually } from './support/eventually';

/** A generate of an ES256 key (unless `body` says otherwise), answered as it comes: the limits are what is tested. */
const bounded = (app: TestApp, tenant: TestTenant, body: object) =>
  keyClient(app, tenant).send.generate({ algorithm: 'ES256', name: 'bounded', ...body });

describe('rate limits per credential (RATE_LIMIT_READS, RATE_LIMIT_WRITES)', () => {
  let testApp: TestApp;
  let tenant: TestTenant;

  beforeAll(async () => {
    testApp = await startTestApp({ RATE_LIMIT_READS: '5/60', RATE_LIMIT_WRITES: '3/60' });
    tenant = await testApp.createTenant('limited');
  });
  afterAll(() => testApp.close());

  it('answers 429 in the envelope with Retry-After once a credential spends its budget; other credentials keep theirs', async () => {
    const other = await testApp.app.get(TenantsService).createApiKey(cliActor(), tenant.tenantId);
    for (let i = 0; i < 5; i++) {
      const res = await request(testApp.http).get('/key').set(tenant.headers);
      expectEnvelope(res, 200);
      expect(res.headers['x-ratelimit-remaining']).toBe(String(4 - i));
    }
    const limited = await request(testApp.http).get('/key').set(tenant.headers);
    expectEnvelope(limited, 429);
    expect(limited.body.code).toBe('RATE_LIMITED');
    expect(limited.body.message).toBe('Too many requests');
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    expect(Number(limited.headers['retry-after'])).toBeLessThanOrEqual(60);

    // Another API key of the same tenant counts on its own; health and the JWKS are not limited.
    expectEnvelope(await request(testApp.http).get('/key').set(tenantHeaders(tenant.tenantId, other.apiKey)), 200);
    for (let i = 0; i < 10; i++) expect((await request(testApp.http).get('/health')).status).toBe(200);
    for (let i = 0; i < 10; i++) expect((await request(testApp.http).get(`/tenants/${tenant.tenantId}/.well-known/jwks.json`)).status).toBe(200);
  });

  it('counts writes apart from reads: a credential out of writes still signs, verifies and reads', async () => {
    const writer = await testApp.app.get(TenantsService).createApiKey(cliActor(), tenant.tenantId);
    const headers = tenantHeaders(tenant.tenantId, writer.apiKey);
    const key = (await request(testApp.http).post('/key/generate').set(headers).send({ algorithm: 'ES256', name: 'w' })).body.data;
    for (const name of ['w1', 'w2']) expectEnvelope(await request(testApp.http).put(`/key/${key.id}`).set(headers).send({ name }), 200);
    const limited = await request(testApp.http).put(`/key/${key.id}`).set(headers).send({ name: 'w3' });
    expectEnvelope(limited, 429);
    expectEnvelope(await request(testApp.http).delete(`/key/${key.id}`).set(headers), 429);

    const signed = await request(testApp.http)
      .post(`/key/${key.id}/sign`)
      .set(headers)
      .send({ payload: { sub: 's' } });
    expectEnvelope(signed, 200);
    expectEnvelope(await request(testApp.http).post('/key/verify').set(headers).send({ token: signed.body.data.token }), 200);
    expectEnvelope(await request(testApp.http).get(`/key/${key.id}`).set(headers), 200);
  });

  it('RATE_LIMIT, the older name, limits writes and leaves reads alone', async () => {
    const legacy = await startTestApp({ RATE_LIMIT: '1/60' }, testApp);
    try {
      const generated = await request(legacy.http).post('/key/generate').set(tenant.headers).send({ algorithm: 'ES256', name: 'legacy' });
      expectEnvelope(generated, 200);
      expectEnvelope(await request(legacy.http).post('/key/generate').set(tenant.headers).send({ algorithm: 'ES256', name: 'again' }), 429);
      for (let i = 0; i < 5; i++)
        expectEnvelope(await request(legacy.http).post(`/key/${generated.body.data.id}/sign`).set(tenant.headers).send({ payload: {} }), 200);
    } finally {
      await legacy.close();
    }
  });

  it('counts a bad credential against nobody: it is a 401, not a 429', async () => {
    for (let i = 0; i < 8; i++) {
      expectEnvelope(await request(testApp.http).get('/key').set(tenantHeaders(tenant.tenantId, 'ks_wrongwrongwrongwrongwrongwrong')), 401);
    }
  });
});

describe('security headers (helmet)', () => {
  let testApp: TestApp;
  let tenant: TestTenant;

  beforeAll(async () => {
    testApp = await startTestApp();
    tenant = await testApp.createTenant('headers');
    await request(testApp.http).post('/key/generate').set(tenant.headers).send({ algorithm: 'ES256', name: 'k' });
  });
  afterAll(() => testApp.close());

  const SECURITY_HEADERS = ['content-security-policy', 'strict-transport-security', 'x-content-type-options', 'x-frame-options', 'referrer-policy'];

  it('are on successes, errors and the JWKS, whether it is loaded or comes from the cache', async () => {
    const answers = [
      await request(testApp.http).get('/key').set(tenant.headers),
      await request(testApp.http).get('/key'),
      await request(testApp.http).get('/nowhere'),
      // The first JWKS answer loads the set, the second comes from the cache.
      await request(testApp.http).get(`/tenants/${tenant.tenantId}/.well-known/jwks.json`),
      await request(testApp.http).get(`/tenants/${tenant.tenantId}/.well-known/jwks.json`),
    ];
    for (const res of answers) {
      for (const name of SECURITY_HEADERS) expect({ name, value: res.headers[name] }).toEqual({ name, value: expect.any(String) });
      expect(res.headers['x-content-type-options']).toBe('nosniff');
      expect(res.headers['x-powered-by']).toBeUndefined();
    }
    const [, , , loaded, fromCache] = answers;
    for (const name of SECURITY_HEADERS) expect(fromCache.headers[name]).toBe(loaded.headers[name]);
  });
});

describe('bounds per tenant and per user (MAX_KEYS_PER_TENANT, MAX_API_KEYS_PER_TENANT, MAX_KEYS_PER_USER)', () => {
  let token: SoftHsmToken;
  let idp: IdentityProvider;
  let testApp: TestApp;

  beforeAll(async () => {
    token = createSoftHsmToken('bounds');
    idp = await startIdentityProvider();
    testApp = await startTestApp({
      ...token.env,
      OAUTH_JWKS_URL: idp.jwksUrl,
      OAUTH_ISSUER: idp.issuer,
      OAUTH_AUDIENCE: idp.audience,
      MAX_KEYS_PER_TENANT: '4',
      MAX_API_KEYS_PER_TENANT: '3',
      MAX_KEYS_PER_USER: '2',
      MAX_USER_KEYS_PER_TENANT: '3',
    });
  });
  afterAll(async () => {
    await testApp.close();
    await idp.close();
    token.cleanup();
  });

  const generate = (tenant: TestTenant, body: object = {}, app = testApp) => bounded(app, tenant, body);
  const importKey = (tenant: TestTenant, app = testApp) => {
    const { publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    return keyClient(app, tenant).send.import({ name: 'imported', publicKey: publicKey.export({ type: 'spki', format: 'pem' }) });
  };
  const keysOf = async (tenant: TestTenant) =>
    (await testApp.dataSource.query<{ n: number }[]>('SELECT count(*)::int AS n FROM tenant_keys WHERE tenant_id = $1', [tenant.tenantId]))[0].n;
  /** Key pairs in the HSM, and HSM keys in the database: equal when no refused generation left a pair behind. */
  const hsmPairs = async () => ({
    inToken: token.pkcs11Tool('--list-objects', '--type', 'privkey').split('tenant-key:').length - 1,
    inDatabase: (await testApp.dataSource.query<{ n: number }[]>("SELECT count(*)::int AS n FROM tenant_keys WHERE custody = 'hsm'"))[0].n,
  });
  const expectLimit = (res: request.Response, code: string, limit: string) => {
    expectEnvelope(res, 409);
    expect(res.body.code).toBe(code);
    expect(res.body.message).toContain(limit);
  };

  it('refuses a generate or import past MAX_KEYS_PER_TENANT, HSM keys counted, with a 409 that names it; another tenant is unaffected', async () => {
    const full = await testApp.createTenant('full');
    expectEnvelope(await generate(full), 200);
    expectEnvelope(await generate(full), 200);
    expectEnvelope(await generate(full, { custody: 'hsm' }), 200);
    expectEnvelope(await importKey(full), 200);

    expectLimit(await generate(full), 'KEY_LIMIT_REACHED', 'MAX_KEYS_PER_TENANT (4)');
    expectLimit(await generate(full, { custody: 'hsm' }), 'KEY_LIMIT_REACHED', 'MAX_KEYS_PER_TENANT (4)');
    expectLimit(await importKey(full), 'KEY_LIMIT_REACHED', 'MAX_KEYS_PER_TENANT (4)');
    expectLimit(
      await request(testApp.http).post(`/key/generate/${randomUUID()}`).set(full.headers).send({ algorithm: 'RS256', name: 'with id' }),
      'KEY_LIMIT_REACHED',
      'MAX_KEYS_PER_TENANT (4)',
    );
    expect(await keysOf(full)).toBe(4);
    const pairs = await hsmPairs();
    expect(pairs.inToken).toBe(pairs.inDatabase);

    // Another tenant generates as before; a deleted key makes room again.
    expectEnvelope(await generate(await testApp.createTenant('roomy')), 200);
    const [{ id }] = await testApp.dataSource.query<{ id: string }[]>('SELECT id FROM tenant_keys WHERE tenant_id = $1 LIMIT 1', [full.tenantId]);
    expectEnvelope(await request(testApp.http).delete(`/key/${id}`).set(full.headers), 200);
    expectEnvelope(await generate(full), 200);
  });

  it('still rotates the keys of a tenant at its limit, until it holds twice as many', async () => {
    const full = await testApp.createTenant('rotating');
    let id = '';
    for (let i = 0; i < 4; i++) id = (await generate(full)).body.data.id;
    for (let i = 0; i < 4; i++) {
      const rotated = await request(testApp.http).post(`/key/${id}/rotate`).set(full.headers).send({});
      expectEnvelope(rotated, 200);
      id = rotated.body.data.id;
    }
    expect(await keysOf(full)).toBe(8);
    expectLimit(
      await request(testApp.http).post(`/key/${id}/rotate`).set(full.headers).send({}),
      'KEY_LIMIT_REACHED',
      'twice MAX_KEYS_PER_TENANT (4)',
    );
    expect(await keysOf(full)).toBe(8);
  });

  it('lets concurrent creates at the edge, on two instances, take the last place once; refused HSM generations leave no pair', async () => {
    // The second instance has no HSM: a PKCS#11 library is loaded once per process.
    const second = await startTestApp({ MAX_KEYS_PER_TENANT: '4' }, testApp);
    try {
      const edge = await testApp.createTenant('edge');
      for (let i = 0; i < 3; i++) expectEnvelope(await generate(edge), 200);
      const answers = await Promise.all([
        ...[0, 1, 2].map(() => generate(edge, { custody: 'hsm' })),
        ...[0, 1].map(() => generate(edge)),
        ...[0, 1].map(() => generate(edge, {}, second)),
        importKey(edge, second),
      ]);
      expect(answers.map((answer) => answer.status).sort()).toEqual([200, 409, 409, 409, 409, 409, 409, 409]);
      for (const refused of answers.filter((answer) => answer.status === 409)) expect(refused.body.code).toBe('KEY_LIMIT_REACHED');
      expect(await keysOf(edge)).toBe(4);
      const pairs = await hsmPairs();
      expect(pairs.inToken).toBe(pairs.inDatabase);
    } finally {
      await second.close();
    }
  });

  it('refuses an API key past MAX_API_KEYS_PER_TENANT in use, on the CLI’s path too; revoked and expired ones make room; concurrent creates take one place', async () => {
    const tenant = await testApp.createTenant('api keys'); // its first API key is one
    const create = (name: string) =>
      request(testApp.http)
        .post('/api-keys')
        .set(tenant.headers)
        .send({ name, scopes: ['keys:read'] });
    const created: string[] = [];
    for (const name of ['second', 'third']) {
      const res = await create(name);
      expectEnvelope(res, 200);
      testApp.trackSecret(res.body.data.apiKey);
      created.push(res.body.data.id);
    }
    expectLimit(await create('fourth'), 'API_KEY_LIMIT_REACHED', 'MAX_API_KEYS_PER_TENANT (3)');
    // `apikey:create` on the command line makes its keys through the same service.
    await expect(testApp.app.get(TenantsService).createApiKey(cliActor(), tenant.tenantId)).rejects.toMatchObject({ code: 'API_KEY_LIMIT_REACHED' });
    // Another tenant is unaffected.
    const other = await testApp.createTenant('other api keys');
    testApp.trackSecret((await testApp.app.get(TenantsService).createApiKey(cliActor(), other.tenantId)).apiKey);

    // An expired key makes room; so does a revoked one, which concurrent creates take once.
    await testApp.dataSource.query(`UPDATE api_keys SET expires_at = now() - interval '1 second' WHERE id = $1`, [created[0]]);
    const afterExpiry = await create('after expiry');
    expectEnvelope(afterExpiry, 200);
    testApp.trackSecret(afterExpiry.body.data.apiKey);
    expectEnvelope(await request(testApp.http).delete(`/api-keys/${created[1]}`).set(tenant.headers), 200);
    const answers = await Promise.all([0, 1, 2, 3, 4].map((i) => create(`racer ${i}`)));
    for (const answer of answers) if (answer.status === 200) testApp.trackSecret(answer.body.data.apiKey);
    expect(answers.map((answer) => answer.status).sort()).toEqual([200, 409, 409, 409, 409]);
  });

  it('keeps the newest MAX_API_KEYS_PER_TENANT revoked or expired API keys as history: a create-and-revoke loop does not fill the table', async () => {
    const tenant = await testApp.createTenant('api key churn');
    const revoked: string[] = [];
    for (let i = 0; i < 8; i++) {
      const res = await request(testApp.http)
        .post('/api-keys')
        .set(tenant.headers)
        .send({ name: `churn ${i}`, scopes: ['keys:read'] });
      expectEnvelope(res, 200);
      testApp.trackSecret(res.body.data.apiKey);
      expectEnvelope(await request(testApp.http).delete(`/api-keys/${res.body.data.id}`).set(tenant.headers), 200);
      revoked.push(res.body.data.id);
    }
    const rows = await testApp.dataSource.query<{ id: string; revoked: boolean }[]>(
      'SELECT id, revoked_at IS NOT NULL AS revoked FROM api_keys WHERE tenant_id = $1',
      [tenant.tenantId],
    );
    // The tenant's own key; of the revoked ones, the three newest when the last was made (MAX_API_KEYS_PER_TENANT), and the last.
    expect(rows.filter((row) => !row.revoked)).toHaveLength(1);
    expect(
      rows
        .filter((row) => row.revoked)
        .map((row) => row.id)
        .sort(),
    ).toEqual(revoked.slice(4).sort());
  });

  it('refuses a user key past MAX_KEYS_PER_USER (registered or imported); another user is unaffected; concurrent registrations take the last place once', async () => {
    const as = async (sub: string) => `Bearer ${await idp.issueToken({ sub, scope: 'openid add_key' })}`;
    const register = (authorization: string) =>
      request(testApp.http).post('/keys/register').set('authorization', authorization).send({ name: 'mine' });
    const alice = await as('alice');
    expectEnvelope(await register(alice), 200);
    const { publicKey } = generateKeyPairSync('ed25519');
    const imported = await request(testApp.http)
      .post('/keys/import')
      .set('authorization', alice)
      .send({ name: 'imported', publicKey: publicKey.export({ type: 'spki', format: 'pem' }) });
    expectEnvelope(imported, 200);
    expectLimit(await register(alice), 'USER_KEY_LIMIT_REACHED', 'MAX_KEYS_PER_USER (2)');
    expectEnvelope(await register(await as('bob')), 200);

    const carol = await as('carol');
    expectEnvelope(await register(carol), 200);
    const answers = await Promise.all([0, 1, 2, 3, 4].map(() => register(carol)));
    expect(answers.map((answer) => answer.status).sort()).toEqual([200, 409, 409, 409, 409]);
  });

  it('refuses a user key past MAX_USER_KEYS_PER_TENANT for the users a tenant mints, whatever their sub; another tenant and the provider’s users are unaffected', async () => {
    const minter = async (name: string) => {
      const tenant = await testApp.createTenant(name);
      const issuer = `https://${name}.example`;
      const keys = keyClient(testApp, tenant);
      const key = await keys.generate({ algorithm: 'ES256', name: 'bounded', issuer });
      return async (sub: string) => `Bearer ${await keys.sign(key, { payload: { sub, scope: 'add_key', aud: idp.audience }, expiresIn: 600 })}`;
    };
    const register = async (authorization: string) =>
      request(testApp.http).post('/keys/register').set('authorization', authorization).send({ name: 'minted' });
    const hostile = await minter('hostile');
    for (const sub of ['u1', 'u2', 'u3']) expectEnvelope(await register(await hostile(sub)), 200);
    expectLimit(await register(await hostile('u4')), 'USER_KEY_LIMIT_REACHED', 'MAX_USER_KEYS_PER_TENANT (3)');
    // Another tenant's users, and the provider's (five keys already, in the test above), register as before.
    expectEnvelope(await register(await (await minter('other'))('u1')), 200);
    expectEnvelope(await register(`Bearer ${await idp.issueToken({ sub: 'dave', scope: 'add_key' })}`), 200);
  });
});

describe('keys in use and retired keys (MAX_KEYS_PER_TENANT, MAX_RETIRED_KEYS_PER_TENANT), with the lifecycle scheduler', () => {
  let testApp: TestApp;
  beforeAll(async () => {
    testApp = await startTestApp({ LIFECYCLE_TICK_SECONDS: '1', JWKS_MAX_AGE: '1', MAX_KEYS_PER_TENANT: '2', MAX_RETIRED_KEYS_PER_TENANT: '2' });
  });
  afterAll(() => testApp.close());

  const generate = (tenant: TestTenant, body: object = {}) => bounded(testApp, tenant, body);
  const rows = (tenant: TestTenant) =>
    testApp.dataSource.query<{ id: string; status: string }[]>('SELECT id, status FROM tenant_keys WHERE tenant_id = $1 ORDER BY created_at', [
      tenant.tenantId,
    ]);
  const audited = (tenant: TestTenant, action: string) =>
    testApp.dataSource.query<{ key_id: string; detail: Record<string, unknown> }[]>(
      "SELECT key_id, detail FROM audit_events WHERE tenant_id = $1 AND action = $2 AND outcome = 'success' ORDER BY id",
      [tenant.tenantId, action],
    );

  it('counts no retired key against the limit, and keeps the newest MAX_RETIRED_KEYS_PER_TENANT of them: the oldest are deleted, audited', async () => {
    const tenant = await testApp.createTenant('rotating by hand');
    let id: string = (await generate(tenant)).body.data.id;
    const predecessors: string[] = [];
    for (let i = 0; i < 5; i++) {
      const rotated = await request(testApp.http).post(`/key/${id}/rotate`).set(tenant.headers).send({ gracePeriodSeconds: 0 });
      expectEnvelope(rotated, 200);
      predecessors.push(id);
      id = rotated.body.data.id;
    }
    // One key in use and five retired: a second key fits, a third does not.
    expectEnvelope(await generate(tenant), 200);
    const refused = await generate(tenant);
    expectEnvelope(refused, 409);
    expect(refused.body.message).toContain('MAX_KEYS_PER_TENANT (2)');

    // The scheduler stores each retirement and deletes the three oldest retired keys.
    await eventually('two retired keys left, none retiring', async () => {
      const statuses = (await rows(tenant)).map((row) => row.status);
      return !statuses.includes('retiring') && statuses.filter((status) => status === 'retired').length === 2;
    });
    const left = await rows(tenant);
    expect(left.filter((row) => row.status === 'retired').map((row) => row.id)).toEqual(predecessors.slice(3));
    expect(left.filter((row) => row.status === 'active')).toHaveLength(2);
    const pruned = await audited(tenant, 'key.delete');
    expect(pruned.map((event) => event.key_id).sort()).toEqual(predecessors.slice(0, 3).sort());
    expect(pruned.every((event) => event.detail.pruned === true)).toBe(true);
  });

  it('lets a scheduled rotation wait a period, said in the audit trail, when the tenant holds twice MAX_KEYS_PER_TENANT keys in use', async () => {
    const tenant = await testApp.createTenant('rotating on a schedule');
    // Each period a successor is published and activated; the old key keeps verifying for an hour.
    const rotationPolicy = { rotateEverySeconds: 2, prePublishSeconds: 1, retireAfterSeconds: 3600 };
    const created = await generate(tenant, { rotationPolicy });
    expectEnvelope(created, 200);
    const { value: postponed } = await eventually('a postponed rotation', async () => (await audited(tenant, 'key.rotation_postponed'))[0], {
      withinMs: 30_000,
    });
    expect(postponed.detail.reason).toContain('MAX_KEYS_PER_TENANT (2)');
    const keys = await rows(tenant);
    expect(keys).toHaveLength(4);
    expect(keys.filter((row) => row.status === 'active').map((row) => row.id)).toEqual([postponed.key_id]);
    // A rotation by hand is refused too, until keys retire or are deleted.
    const byHand = await request(testApp.http).post(`/key/${postponed.key_id}/rotate`).set(tenant.headers).send({});
    expectEnvelope(byHand, 409);
    expect(byHand.body.message).toContain('twice MAX_KEYS_PER_TENANT (2)');
  });
});
