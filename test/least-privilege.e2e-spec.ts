import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { createLocalJWKSet, jwtVerify } from 'jose';
import request from 'supertest';
import { SigningPolicyWithoutNulls1765400000000 } from '../migrations/1765400000000-signing-policy-without-nulls';
import { cliActor } from '../src/audit/audit-trail';
import { API_KEY_SCOPES, NO_SCOPE, type ApiKeyScope, type RequiredApiKeyScope } from '../src/common/route-access';
import { TenantsService, type ApiKeyGrant } from '../src/tenants/tenants.service';
import { eventually } from './support/eventually';
import { keyClient } from './support/key-client';
import { expectEnvelope, startTestApp, tenantHeaders, type TestApp, type TestTenant } from './support/test-app';

type Headers = Record<string, string>;

describe('least privilege: scoped, expiring API keys and signing policies', () => {
  let testApp: TestApp;
  let tenant: TestTenant;
  let tenants: TenantsService;
  const http = () => request(testApp.http);

  beforeAll(async () => {
    testApp = await startTestApp();
    tenant = await testApp.createTenant('least privilege');
    tenants = testApp.app.get(TenantsService);
  });
  afterAll(() => testApp.close());

  /** An API key of the test tenant with this grant; its secret joins the secret scan. */
  const apiKeyWith = async (grant: ApiKeyGrant): Promise<{ id: string; headers: Headers }> => {
    const issued = await tenants.createApiKey(cliActor(), tenant.tenantId, grant);
    testApp.trackSecret(issued.apiKey);
    return { id: issued.apiKeyId, headers: tenantHeaders(tenant.tenantId, issued.apiKey) };
  };
  const privatePem = () => generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey.export({ format: 'pem', type: 'pkcs8' }) as string;
  const generate = (body: object = {}) => keyClient(testApp, tenant).generate({ algorithm: 'ES256', name: 'matrix', ...body });

  describe('every route against every scope', () => {
    let signing: { id: string };
    let token: string;
    const publicPem = () => generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).publicKey.export({ format: 'pem', type: 'spki' }) as string;

    beforeAll(async () => {
      signing = await generate({ alias: 'matrix-signer' });
      token = await keyClient(testApp, tenant).sign(signing, { payload: {} });
    });

    /** Each route of `/key` and `/api-keys`, the scope it needs (or none), and a call that is valid enough to pass the guard. */
    const routes: [string, RequiredApiKeyScope, (headers: Headers) => Promise<request.Response>][] = [
      ['GET /key', 'keys:read', (h) => http().get('/key').set(h)],
      ['GET /key/:id', 'keys:read', (h) => http().get(`/key/${signing.id}`).set(h)],
      ['GET /key/alias/:alias', 'keys:read', (h) => http().get('/key/alias/matrix-signer').set(h)],
      ['POST /key/generate', 'keys:write', (h) => http().post('/key/generate').set(h).send({ algorithm: 'ES256', name: 'g' })],
      ['POST /key/generate/:id', 'keys:write', (h) => http().post(`/key/generate/${randomUUID()}`).set(h).send({ algorithm: 'ES256', name: 'g' })],
      ['POST /key/import', 'keys:write', (h) => http().post('/key/import').set(h).send({ name: 'i', publicKey: publicPem() })],
      ['POST /key/import/:id', 'keys:write', (h) => http().post(`/key/import/${randomUUID()}`).set(h).send({ name: 'i', publicKey: publicPem() })],
      ['PUT /key/:id', 'keys:write', (h) => http().put(`/key/${signing.id}`).set(h).send({ name: 'renamed' })],
      [
        'POST /key/:id/rotate',
        'keys:write',
        async (h) =>
          http()
            .post(`/key/${(await generate()).id}/rotate`)
            .set(h)
            .send({}),
      ],
      ['POST /key/:id/csr', 'keys:write', (h) => http().post(`/key/${signing.id}/csr`).set(h).send({ commonName: 'x' })],
      [
        'PUT /key/:id/certificate',
        'keys:write',
        (h) =>
          http()
            .put(`/key/${signing.id}/certificate`)
            .set(h)
            .send({ certificateChain: ['x'] }),
      ],
      [
        'POST /key/:id/schedule-deletion',
        'keys:write',
        async (h) =>
          http()
            .post(`/key/${(await generate()).id}/schedule-deletion`)
            .set(h)
            .send({}),
      ],
      ['POST /key/:id/cancel-deletion', 'keys:write', (h) => http().post(`/key/${signing.id}/cancel-deletion`).set(h)],
      [
        'DELETE /key/:id',
        'keys:write',
        async (h) =>
          http()
            .delete(`/key/${(await generate()).id}`)
            .set(h),
      ],
      ['POST /key/:id/sign', 'keys:sign', (h) => http().post(`/key/${signing.id}/sign`).set(h).send({ payload: {} })],
      ['POST /key/alias/:alias/sign', 'keys:sign', (h) => http().post('/key/alias/matrix-signer/sign').set(h).send({ payload: {} })],
      ['POST /key/verify', 'keys:verify', (h) => http().post('/key/verify').set(h).send({ token })],
      ['GET /key/audit', 'audit:read', (h) => http().get('/key/audit').set(h)],
      ['GET /key/webhooks', 'webhooks:manage', (h) => http().get('/key/webhooks').set(h)],
      [
        'POST /key/webhooks',
        'webhooks:manage',
        (h) =>
          http()
            .post('/key/webhooks')
            .set(h)
            .send({ url: 'https://93.184.216.34/hook', events: ['*'] }),
      ],
      ['GET /key/webhooks/:id', 'webhooks:manage', (h) => http().get(`/key/webhooks/${randomUUID()}`).set(h)],
      ['PUT /key/webhooks/:id', 'webhooks:manage', (h) => http().put(`/key/webhooks/${randomUUID()}`).set(h).send({ enabled: false })],
      ['DELETE /key/webhooks/:id', 'webhooks:manage', (h) => http().delete(`/key/webhooks/${randomUUID()}`).set(h)],
      ['POST /key/webhooks/:id/rotate-secret', 'webhooks:manage', (h) => http().post(`/key/webhooks/${randomUUID()}/rotate-secret`).set(h)],
      ['GET /key/webhooks/:id/deliveries', 'webhooks:manage', (h) => http().get(`/key/webhooks/${randomUUID()}/deliveries`).set(h)],
      [
        'POST /key/webhooks/:id/deliveries/:deliveryId/redeliver',
        'webhooks:manage',
        (h) => http().post(`/key/webhooks/${randomUUID()}/deliveries/${randomUUID()}/redeliver`).set(h),
      ],
      ['GET /api-keys', 'api-keys:manage', (h) => http().get('/api-keys').set(h)],
      [
        'POST /api-keys',
        'api-keys:manage',
        (h) =>
          http()
            .post('/api-keys')
            .set(h)
            .send({ name: 'granted', scopes: ['api-keys:manage'] }),
      ],
      ['GET /api-keys/current', NO_SCOPE, (h) => http().get('/api-keys/current').set(h)],
      ['GET /api-keys/:id', 'api-keys:manage', (h) => http().get(`/api-keys/${tenant.apiKeyId}`).set(h)],
      [
        'DELETE /api-keys/:id',
        'api-keys:manage',
        async (h) =>
          http()
            .delete(`/api-keys/${(await apiKeyWith({ scopes: ['api-keys:manage'] })).id}`)
            .set(h),
      ],
    ];

    it.each(API_KEY_SCOPES)(
      'a key with only %s: allowed where that scope or none is named, 403 SCOPE_REQUIRED naming the scope elsewhere',
      async (scope) => {
        const { headers } = await apiKeyWith({ scopes: [scope] });
        for (const [route, needed, call] of routes) {
          const res = await call(headers);
          if (needed === scope || needed === NO_SCOPE) {
            expect({ route, allowed: res.status !== 403 && res.status < 500 }).toEqual({ route, allowed: true });
          } else {
            expect({ route, status: res.status, code: res.body.code }).toEqual({ route, status: 403, code: 'SCOPE_REQUIRED' });
            expect(res.body.message).toBe(`This API key lacks the scope ${needed}`);
          }
        }
      },
    );

    /** The FusionAuth mount (`/api`): the same scopes, the API key alone in Authorization, and 401 with no body for a key without the scope. */
    const fusionAuthRoutes: [string, ApiKeyScope, (apiKey: string) => Promise<request.Response>][] = [
      ['GET /api/key', 'keys:read', (k) => http().get('/api/key').set('authorization', k)],
      ['GET /api/key/search', 'keys:read', (k) => http().get('/api/key/search?name=x*').set('authorization', k)],
      ['POST /api/key/search', 'keys:read', (k) => http().post('/api/key/search').set('authorization', k).send({ search: {} })],
      ['GET /api/key/:id', 'keys:read', (k) => http().get(`/api/key/${signing.id}`).set('authorization', k)],
      [
        'POST /api/key/generate',
        'keys:write',
        (k) =>
          http()
            .post('/api/key/generate')
            .set('authorization', k)
            .send({ key: { algorithm: 'ES256', name: 'g' } }),
      ],
      [
        'POST /api/key/generate/:id',
        'keys:write',
        (k) =>
          http()
            .post(`/api/key/generate/${randomUUID()}`)
            .set('authorization', k)
            .send({ key: { algorithm: 'ES256', name: 'g' } }),
      ],
      [
        'POST /api/key/import',
        'keys:write',
        (k) =>
          http()
            .post('/api/key/import')
            .set('authorization', k)
            .send({ key: { name: 'i', publicKey: publicPem() } }),
      ],
      [
        'POST /api/key/import/:id',
        'keys:write',
        (k) =>
          http()
            .post(`/api/key/import/${randomUUID()}`)
            .set('authorization', k)
            .send({ key: { name: 'i', publicKey: publicPem() } }),
      ],
      [
        'PUT /api/key/:id',
        'keys:write',
        (k) =>
          http()
            .put(`/api/key/${signing.id}`)
            .set('authorization', k)
            .send({ key: { name: 'renamed' } }),
      ],
      [
        'DELETE /api/key/:id',
        'keys:write',
        async (k) =>
          http()
            .delete(`/api/key/${(await generate()).id}`)
            .set('authorization', k),
      ],
      ['POST /api/jwt/vend', 'keys:sign', (k) => http().post('/api/jwt/vend').set('authorization', k).send({ keyId: signing.id, claims: {} })],
    ];

    it.each(API_KEY_SCOPES)(
      'on the FusionAuth mount, a key with only %s: allowed where that scope is named, 401 with no body elsewhere',
      async (scope) => {
        const issued = await tenants.createApiKey(cliActor(), tenant.tenantId, { scopes: [scope] });
        testApp.trackSecret(issued.apiKey);
        for (const [route, needed, call] of fusionAuthRoutes) {
          const res = await call(issued.apiKey);
          if (needed === scope) expect({ route, allowed: res.status < 300 }).toEqual({ route, allowed: true });
          else expect({ route, status: res.status, body: res.text }).toEqual({ route, status: 401, body: '' });
        }
      },
    );

    it('the OpenAPI document names each route’s scope, and every /key, /api-keys and /api route has one', async () => {
      const document = (await http().get('/docs-json')).body as { paths: Record<string, Record<string, { 'x-required-scope'?: string }>> };
      const documented = Object.entries(document.paths)
        .filter(
          ([path]) =>
            path === '/key' ||
            path.startsWith('/key/') ||
            path.startsWith('/api-keys') ||
            (path.startsWith('/api/') && path !== '/api/jwt/public-key'),
        )
        .flatMap(([path, operations]) =>
          Object.entries(operations).map(([method, operation]) => [`${method.toUpperCase()} ${path}`, operation['x-required-scope']]),
        );
      const expected = [...routes, ...fusionAuthRoutes].map(([route, scope]) => [route.replace(/:(\w+)/g, '{$1}'), scope]);
      expect(documented.sort()).toEqual(expected.sort());
    });

    it('every existing key keeps every scope on upgrade (the migration default), as the bootstrap and first keys do', async () => {
      const listed = (await http().get(`/api-keys/${tenant.apiKeyId}`).set(tenant.headers)).body.data;
      expect([...listed.scopes].sort()).toEqual([...API_KEY_SCOPES].sort());
    });
  });

  describe('API keys over HTTP', () => {
    it('creates a key shown once, lists and gets it without its secret, revokes it; the revoked key is refused', async () => {
      const created = await http()
        .post('/api-keys')
        .set(tenant.headers)
        .send({ name: 'signer', scopes: ['keys:sign'], signKeys: ['some-alias'] });
      expectEnvelope(created, 200);
      const issued = created.body.data;
      testApp.trackSecret(issued.apiKey);
      expect(issued).toMatchObject({ name: 'signer', scopes: ['keys:sign'], signKeys: ['some-alias'], expiresAt: null, revokedAt: null });
      expect(issued.apiKey).toMatch(/^ks_/);
      const fetched = (await http().get(`/api-keys/${issued.id}`).set(tenant.headers)).body.data;
      expect(fetched).not.toHaveProperty('apiKey');
      expect(JSON.stringify((await http().get('/api-keys').set(tenant.headers)).body)).not.toContain(issued.apiKey);
      const headers = tenantHeaders(tenant.tenantId, issued.apiKey);
      expectEnvelope(await http().get('/key').set(headers), 403);
      expectEnvelope(await http().delete(`/api-keys/${issued.id}`).set(tenant.headers), 200);
      const refused = await http().post('/key/verify').set(headers).send({ token: 'x' });
      expectEnvelope(refused, 401);
      expectEnvelope(await http().delete(`/api-keys/${issued.id}`).set(tenant.headers), 404);
    });

    it('grants at most what the caller holds, and a key cannot revoke itself', async () => {
      const manager = await apiKeyWith({ scopes: ['api-keys:manage', 'keys:read'], signKeys: ['only-this'] });
      const more = await http()
        .post('/api-keys')
        .set(manager.headers)
        .send({ name: 'more', scopes: ['keys:write'] });
      expectEnvelope(more, 403);
      expect(more.body).toMatchObject({ code: 'SCOPE_REQUIRED', message: 'This API key does not hold the scope keys:write' });
      const anyKey = await http()
        .post('/api-keys')
        .set(manager.headers)
        .send({ name: 'any key', scopes: ['keys:read'] });
      expectEnvelope(anyKey, 403);
      expect(anyKey.body.message).toBe('This API key may not sign with any key');
      const within = await http()
        .post('/api-keys')
        .set(manager.headers)
        .send({ name: 'within', scopes: ['keys:read'], signKeys: ['only-this'] });
      expectEnvelope(within, 200);
      testApp.trackSecret(within.body.data.apiKey);
      const self = await http().delete(`/api-keys/${manager.id}`).set(manager.headers);
      expectEnvelope(self, 409);
      expect(self.body.code).toBe('CANNOT_REVOKE_SELF');
      // Nor revoke a key that holds more than itself (the tenant's admin key).
      const admin = await http().delete(`/api-keys/${tenant.apiKeyId}`).set(manager.headers);
      expectEnvelope(admin, 403);
      expect(admin.body).toMatchObject({ code: 'SCOPE_REQUIRED', message: 'This API key does not hold the scope keys:write' });
      // Refusals are in the trail.
      const refused = await testApp.dataSource.query<{ action: string }[]>(
        "SELECT action FROM audit_events WHERE tenant_id = $1 AND actor_id = $2 AND outcome = 'failure' AND detail->>'code' = 'SCOPE_REQUIRED'",
        [tenant.tenantId, manager.id],
      );
      expect(refused.map((row) => row.action).sort()).toEqual(['api_key.create', 'api_key.create', 'api_key.revoke']);
    });

    it('refuses another tenant’s key as not found, and bad bodies naming the field', async () => {
      const other = await testApp.createTenant('other');
      expectEnvelope(await http().get(`/api-keys/${other.apiKeyId}`).set(tenant.headers), 404);
      expectEnvelope(await http().delete(`/api-keys/${other.apiKeyId}`).set(tenant.headers), 404);
      expectEnvelope(await http().get('/key').set(other.headers), 200);
      for (const [body, field] of [
        [{ name: 'x', scopes: ['keys:everything'] }, 'scopes'],
        [{ name: 'x', scopes: [] }, 'scopes'],
        [{ name: 'x', scopes: ['keys:read'], expiresAt: '2001-01-01T00:00:00Z' }, 'expiresAt'],
        [{ name: 'x', scopes: ['keys:read'], signKeys: ['Not An Alias'] }, 'signKeys'],
      ] as const) {
        const res = await http().post('/api-keys').set(tenant.headers).send(body);
        expectEnvelope(res, 400);
        expect(res.body.errors).toEqual([expect.objectContaining({ field })]);
      }
    });

    it('an expiring key grants only keys that expire no later than itself', async () => {
      const until = new Date(Date.now() + 3_600_000);
      const manager = await apiKeyWith({ scopes: ['api-keys:manage', 'keys:read'], expiresAt: until });
      // Left out and null (the same) are a key that never expires.
      for (const expiresAt of [undefined, null, new Date(until.getTime() + 1_000).toISOString()]) {
        const res = await http()
          .post('/api-keys')
          .set(manager.headers)
          .send({ name: 'longer', scopes: ['keys:read'], expiresAt });
        expectEnvelope(res, 403);
        expect(res.body.message).toBe(`This API key expires at ${until.toISOString()}: it cannot manage a key that outlives it`);
      }
      const shorter = await http()
        .post('/api-keys')
        .set(manager.headers)
        .send({ name: 'shorter', scopes: ['keys:read'], expiresAt: until.toISOString() });
      expectEnvelope(shorter, 200);
    });

    it('GET /api-keys/current answers any valid key, whatever its scopes, with itself and its tenant; never a secret', async () => {
      const expiresAt = new Date(Date.now() + 3_600_000);
      const signer = await apiKeyWith({ name: 'console', scopes: ['keys:sign'], signKeys: ['some-alias'], expiresAt });
      // Its use is recorded after the answer: the next call shows it.
      const { value: res } = await eventually('the key’s use recorded', async () => {
        const answer = await http().get('/api-keys/current').set(signer.headers);
        return answer.body.data?.lastUsedAt ? answer : undefined;
      });
      expectEnvelope(res, 200);
      expect(res.body.message).toBe('API key retrieved');
      const listed = (await http().get(`/api-keys/${signer.id}`).set(tenant.headers)).body.data;
      expect(res.body.data).toEqual({
        tenantId: tenant.tenantId,
        id: signer.id,
        name: 'console',
        prefix: listed.prefix,
        scopes: ['keys:sign'],
        signKeys: ['some-alias'],
        expiresAt: expiresAt.toISOString(),
        createdAt: listed.createdAt,
        lastUsedAt: expect.any(String),
      });
      // The tenant's admin key gets itself, not the other.
      const admin = (await http().get('/api-keys/current').set(tenant.headers)).body.data;
      expect({ id: admin.id, tenantId: admin.tenantId, signKeys: admin.signKeys, expiresAt: admin.expiresAt }).toEqual({
        id: tenant.apiKeyId,
        tenantId: tenant.tenantId,
        signKeys: null,
        expiresAt: null,
      });
      expect([...admin.scopes].sort()).toEqual([...API_KEY_SCOPES].sort());
    });

    it('GET /api-keys/current refuses a revoked or expired key with 401', async () => {
      const revoked = await apiKeyWith({ scopes: ['keys:read'] });
      expectEnvelope(await http().get('/api-keys/current').set(revoked.headers), 200);
      await tenants.revokeApiKey(cliActor(), revoked.id);
      const refused = await http().get('/api-keys/current').set(revoked.headers);
      expectEnvelope(refused, 401);
      expect(refused.body.code).toBe('UNAUTHORIZED');
      const expiring = await apiKeyWith({ scopes: ['keys:read'], expiresAt: new Date(Date.now() + 1_500) });
      expectEnvelope(await http().get('/api-keys/current').set(expiring.headers), 200);
      await eventually('the key expired', async () => (await http().get('/api-keys/current').set(expiring.headers)).status === 401);
    });

    it('refuses an expired key with the same 401 as a revoked one', async () => {
      const expiring = await apiKeyWith({ scopes: ['keys:read'], expiresAt: new Date(Date.now() + 1_500) });
      expectEnvelope(await http().get('/key').set(expiring.headers), 200);
      const { value: refused } = await eventually('the key expired', async () => {
        const res = await http().get('/key').set(expiring.headers);
        return res.status === 401 ? res : undefined;
      });
      const revoked = await apiKeyWith({ scopes: ['keys:read'] });
      await tenants.revokeApiKey(cliActor(), revoked.id);
      const revokedAnswer = await http().get('/key').set(revoked.headers);
      expect([refused.body.code, refused.body.message]).toEqual([revokedAnswer.body.code, revokedAnswer.body.message]);
    });
  });

  describe('signing keys an API key may use', () => {
    it('names keys by id too, and bounds certificate requests the same way', async () => {
      const named = await generate();
      const other = await generate();
      const { headers } = await apiKeyWith({ scopes: ['keys:sign', 'keys:write'], signKeys: [named.id] });
      expectEnvelope(await http().post(`/key/${named.id}/sign`).set(headers).send({ payload: {} }), 200);
      expectEnvelope(await http().post(`/key/${named.id}/csr`).set(headers).send({ commonName: 'x' }), 200);
      const refused = await http().post(`/key/${other.id}/csr`).set(headers).send({ commonName: 'x' });
      expectEnvelope(refused, 403);
      expect(refused.body.code).toBe('SCOPE_REQUIRED');
      expectEnvelope(await http().post(`/key/${named.id}/schedule-deletion`).set(tenant.headers).send({}), 200);
      expectEnvelope(await http().post(`/key/${named.id}/csr`).set(headers).send({ commonName: 'x' }), 409);
    });

    it('signs only with the keys it names, by id or by alias', async () => {
      const allowed = await generate({ alias: 'allowed-signer' });
      const other = await generate();
      const { headers } = await apiKeyWith({ scopes: ['keys:sign'], signKeys: ['allowed-signer'] });
      expectEnvelope(await http().post(`/key/${allowed.id}/sign`).set(headers).send({ payload: {} }), 200);
      expectEnvelope(await http().post('/key/alias/allowed-signer/sign').set(headers).send({ payload: {} }), 200);
      const refused = await http().post(`/key/${other.id}/sign`).set(headers).send({ payload: {} });
      expectEnvelope(refused, 403);
      expect(refused.body).toMatchObject({ code: 'SCOPE_REQUIRED', message: `This API key may not sign with key ${other.id}` });
    });
  });

  describe('an API key limited by signKeys, whatever calls it makes', () => {
    it('cannot move an alias onto another key, nor obtain a signature from it', async () => {
      const payments = await generate({ alias: 'payments' });
      const other = await generate({ name: 'not granted' });
      const { headers } = await apiKeyWith({ scopes: ['keys:sign', 'keys:write'], signKeys: ['payments'] });
      const attempts: [string, () => request.Test][] = [
        ['unset the alias', () => http().put(`/key/${payments.id}`).set(headers).send({ alias: null })],
        ['set it on another key', () => http().put(`/key/${other.id}`).set(headers).send({ alias: 'payments' })],
        ['generate a key with it', () => http().post('/key/generate').set(headers).send({ algorithm: 'ES256', name: 'g', alias: 'payments2' })],
        ['import a key with it', () => http().post('/key/import').set(headers).send({ name: 'i', alias: 'payments2', privateKey: privatePem() })],
        ['generate a key with a chosen id', () => http().post(`/key/generate/${randomUUID()}`).set(headers).send({ algorithm: 'ES256', name: 'g' })],
        [
          'generate with the id in the body',
          () => http().post('/key/generate').set(headers).send({ algorithm: 'ES256', name: 'g', uuid: randomUUID() }),
        ],
        [
          'import a key with a chosen id',
          () => http().post(`/key/import/${randomUUID()}`).set(headers).send({ name: 'i', privateKey: privatePem() }),
        ],
      ];
      for (const [attempt, call] of attempts) {
        const res = await call();
        expect({ attempt, status: res.status, code: res.body.code }).toEqual({ attempt, status: 403, code: 'SCOPE_REQUIRED' });
      }
      // What it was granted still works, and rotation successors follow the alias.
      expectEnvelope(await http().post('/key/alias/payments/sign').set(headers).send({ payload: {} }), 200);
      const rotated = await http().post(`/key/${payments.id}/rotate`).set(headers).send({});
      expectEnvelope(rotated, 200);
      const signed = await http().post('/key/alias/payments/sign').set(headers).send({ payload: {} });
      expectEnvelope(signed, 200);
      const jwks = await keyClient(testApp, tenant).jwks();
      const { protectedHeader } = await jwtVerify(signed.body.data.token, createLocalJWKSet(jwks));
      expect(protectedHeader.kid).toBe(rotated.body.data.kid);
      // The key it may not sign with stays out of reach; a key it generates (fresh id, no alias) too.
      expectEnvelope(await http().post(`/key/${other.id}/sign`).set(headers).send({ payload: {} }), 403);
      const own = await http().post('/key/generate').set(headers).send({ algorithm: 'ES256', name: 'made by the limited key' });
      expectEnvelope(own, 200);
      expectEnvelope(await http().post(`/key/${own.body.data.id}/sign`).set(headers).send({ payload: {} }), 403);
      // The refusals are in the trail.
      const [{ refusals }] = await testApp.dataSource.query<{ refusals: number }[]>(
        "SELECT count(*)::int AS refusals FROM audit_events WHERE tenant_id = $1 AND outcome = 'failure' AND detail->>'code' = 'SCOPE_REQUIRED'",
        [tenant.tenantId],
      );
      expect(refusals).toBeGreaterThanOrEqual(attempts.length);
    });

    it('cannot bring an alias back onto a key by cancelling its deletion', async () => {
      // The admin retired a key that had the alias "billing" (deletion scheduled) and gave the alias to a new key.
      const old = await generate({ alias: 'billing' });
      expectEnvelope(await http().post(`/key/${old.id}/schedule-deletion`).set(tenant.headers).send({}), 200);
      const current = await generate({ alias: 'billing' });
      const { headers } = await apiKeyWith({ scopes: ['keys:sign', 'keys:write'], signKeys: ['billing'] });
      // It may delete what it holds, which frees the alias; it may not hand the alias back to the old key.
      expectEnvelope(await http().post(`/key/${current.id}/schedule-deletion`).set(headers).send({}), 200);
      const refused = await http().post(`/key/${old.id}/cancel-deletion`).set(headers).send();
      expectEnvelope(refused, 403);
      expect(refused.body).toMatchObject({ code: 'SCOPE_REQUIRED', message: expect.stringContaining('may not set alias') });
      expectEnvelope(await http().post('/key/alias/billing/sign').set(headers).send({ payload: {} }), 404);
      expect((await http().get(`/key/${old.id}`).set(tenant.headers)).body.data).toMatchObject({ status: 'pending_deletion', alias: null });
      // The admin may.
      expectEnvelope(await http().post(`/key/${old.id}/cancel-deletion`).set(tenant.headers).send(), 200);
    });

    it('cannot loosen the signing or rotation policy of a key it may sign with', async () => {
      const guarded = await generate({ alias: 'guarded', signingPolicy: { forbiddenClaims: ['admin'] } });
      const { headers } = await apiKeyWith({ scopes: ['keys:sign', 'keys:write'], signKeys: [guarded.id] });
      for (const body of [{ signingPolicy: null }, { signingPolicy: { requiredClaims: ['sub'] } }, { rotationPolicy: null }]) {
        const res = await http().put(`/key/${guarded.id}`).set(headers).send(body);
        expectEnvelope(res, 403);
        expect(res.body.message).toMatch(/^This API key is limited to signing keys \(signKeys\): it may not set (signingPolicy|rotationPolicy)$/);
      }
      const rotateWithPolicy = await http()
        .post(`/key/${guarded.id}/rotate`)
        .set(headers)
        .send({ rotationPolicy: { rotateEverySeconds: 600, prePublishSeconds: 300, retireAfterSeconds: 60 } });
      expectEnvelope(rotateWithPolicy, 403);
      const refused = await http()
        .post(`/key/${guarded.id}/sign`)
        .set(headers)
        .send({ payload: { admin: true } });
      expectEnvelope(refused, 400);
      // A rename is not a name its grant holds.
      expectEnvelope(await http().put(`/key/${guarded.id}`).set(headers).send({ name: 'renamed' }), 200);
    });
  });

  describe('signing policies', () => {
    const policy = {
      allowedAudiences: ['app'],
      requiredClaims: ['sub'],
      forbiddenClaims: ['admin'],
      maxExpiresInSeconds: 600,
      fixedIssuer: 'https://issuer.example',
    };
    let key: { id: string; kid: string };
    const sign = (payload: object, expiresIn = 300) => keyClient(testApp, tenant).send.sign(key, { payload, expiresIn });

    beforeAll(async () => {
      key = await generate({ signingPolicy: policy });
    });

    it.each([
      [{ aud: 'other', sub: 'u' }, 300, 'payload.aud', 'payload.aud other is not allowed (allowed: app)'],
      [{ sub: 'u' }, 300, 'payload.aud', 'payload.aud is required: one of app'],
      [{ aud: 'app' }, 300, 'payload.sub', "payload.sub is required by the key's signing policy"],
      [{ aud: 'app', sub: 'u', admin: true }, 300, 'payload.admin', "payload.admin is forbidden by the key's signing policy"],
      [{ aud: 'app', sub: 'u' }, 601, 'expiresIn', "expiresIn must be at most 600 seconds (the key's maxExpiresInSeconds)"],
      [
        { aud: 'app', sub: 'u', iss: 'https://evil.example' },
        300,
        'payload.iss',
        "payload.iss must be https://issuer.example (the key's fixedIssuer)",
      ],
    ])('refuses %j (expiresIn %d): a 400 on %s', async (payload, expiresIn, field, message) => {
      const res = await sign(payload, expiresIn);
      expectEnvelope(res, 400);
      expect(res.body.errors).toEqual([{ field, message }]);
    });

    it('takes namespaced URL claim names, and reads only the payload’s own claims', async () => {
      const namespaced = await generate({
        signingPolicy: { requiredClaims: ['https://example.com/role', 'toString'], forbiddenClaims: ['constructor'] },
      });
      const signWith = (payload: object) => http().post(`/key/${namespaced.id}/sign`).set(tenant.headers).send({ payload });
      const missing = await signWith({});
      expectEnvelope(missing, 400);
      expect(missing.body.errors).toEqual([
        { field: 'payload.https://example.com/role', message: "payload.https://example.com/role is required by the key's signing policy" },
        { field: 'payload.toString', message: "payload.toString is required by the key's signing policy" },
      ]);
      const kept = await signWith({ 'https://example.com/role': 'admin', toString: 'x' });
      expectEnvelope(kept, 200);
      const forbidden = await signWith({ 'https://example.com/role': 'admin', toString: 'x', constructor: 1 });
      expectEnvelope(forbidden, 400);
      expect(forbidden.body.errors).toEqual([
        { field: 'payload.constructor', message: "payload.constructor is forbidden by the key's signing policy" },
      ]);
      const spaced = await http()
        .post('/key/generate')
        .set(tenant.headers)
        .send({ algorithm: 'ES256', name: 'n', signingPolicy: { requiredClaims: ['with space'] } });
      expectEnvelope(spaced, 400);
    });

    it('takes a rule sent as null as no rule: left out of the policy, never shown or enforced as null', async () => {
      const nulls = { allowedAudiences: null, requiredClaims: null, maxExpiresInSeconds: null, fixedIssuer: null };
      const loose = await generate({ signingPolicy: { ...nulls, forbiddenClaims: ['admin'] } });
      expect((await http().get(`/key/${loose.id}`).set(tenant.headers)).body.data.signingPolicy).toEqual({ forbiddenClaims: ['admin'] });
      const signed = await http()
        .post(`/key/${loose.id}/sign`)
        .set(tenant.headers)
        .send({ payload: { sub: 'u' }, expiresIn: 60 });
      expectEnvelope(signed, 200);
      const removed = await http()
        .put(`/key/${loose.id}`)
        .set(tenant.headers)
        .send({ signingPolicy: { ...nulls, forbiddenClaims: null } });
      expect(removed.body.data.signingPolicy).toEqual({});
      // Stored so before: the migration takes the nulls out.
      await testApp.dataSource.query('UPDATE tenant_keys SET signing_policy = $2 WHERE id = $1', [
        loose.id,
        JSON.stringify({ ...nulls, forbiddenClaims: ['admin'] }),
      ]);
      const runner = testApp.dataSource.createQueryRunner();
      try {
        await new SigningPolicyWithoutNulls1765400000000().up(runner);
      } finally {
        await runner.release();
      }
      expect((await http().get(`/key/${loose.id}`).set(tenant.headers)).body.data.signingPolicy).toEqual({ forbiddenClaims: ['admin'] });
    });

    it('signs what keeps to it, with the fixed issuer; the policy is in the view and in the audit detail when it changes', async () => {
      const res = await sign({ aud: 'app', sub: 'user-1' });
      expectEnvelope(res, 200);
      const jwks = await keyClient(testApp, tenant).jwks();
      const { payload } = await jwtVerify(res.body.data.token, createLocalJWKSet(jwks), { audience: 'app', issuer: 'https://issuer.example' });
      expect(payload.sub).toBe('user-1');
      expect((await http().get(`/key/${key.id}`).set(tenant.headers)).body.data.signingPolicy).toEqual(policy);
      const changed = await http()
        .put(`/key/${key.id}`)
        .set(tenant.headers)
        .send({ signingPolicy: { forbiddenClaims: ['root'] } });
      expect(changed.body.data.signingPolicy).toEqual({ forbiddenClaims: ['root'] });
      const [event] = await testApp.dataSource.query<{ detail: { signingPolicy: string } }[]>(
        "SELECT detail FROM audit_events WHERE key_id = $1 AND action = 'key.update' ORDER BY id DESC LIMIT 1",
        [key.id],
      );
      expect(JSON.parse(event.detail.signingPolicy)).toEqual({ forbiddenClaims: ['root'] });
      expectEnvelope(await sign({ aud: 'anything' }), 200);
    });
  });
});
