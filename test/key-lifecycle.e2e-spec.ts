import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import request from 'supertest';
import { eventually } from './support/eventually';
import { createTestDatabase } from './support/test-database';
import { keyClient } from './support/key-client';
import { expectEnvelope, startTestApp, type TestApp, type TestTenant } from './support/test-app';

/** Short periods, so that rotations happen within a test: the scheduler looks every second. */
const FAST = { LIFECYCLE_TICK_SECONDS: '1', JWKS_MAX_AGE: '1', DELETION_MIN_WINDOW_SECONDS: '2' };

describe('keys that look after themselves', () => {
  let testApp: TestApp;
  let tenant: TestTenant;

  beforeAll(async () => {
    testApp = await startTestApp(FAST);
    tenant = await testApp.createTenant('lifecycle');
  });
  afterAll(() => testApp.close());

  const keys = () => keyClient(testApp, tenant);

  describe('aliases', () => {
    it('names one key of the tenant: GET and sign by alias, ALIAS_TAKEN for a second key, null removes it', async () => {
      const key = await keys().generate({ algorithm: 'ES256', name: 'aliased', alias: 'login.tokens-1' });
      expect(key.alias).toBe('login.tokens-1');
      const got = await request(testApp.http).get('/key/alias/login.tokens-1').set(tenant.headers);
      expectEnvelope(got, 200);
      expect(got.body.data.id).toBe(key.id);

      const signed = await keys().send.signByAlias('login.tokens-1');
      expectEnvelope(signed, 200);
      const { payload, protectedHeader } = await jwtVerify(signed.body.data.token, createLocalJWKSet(await keys().jwks()));
      expect([protectedHeader.kid, payload.sub]).toEqual([key.kid, 'test-user']);

      const taken = await keys().send.generate({ algorithm: 'ES256', name: 'second', alias: 'login.tokens-1' });
      expectEnvelope(taken, 409);
      expect(taken.body.code).toBe('ALIAS_TAKEN');
      const other = await keys().generate({ algorithm: 'ES256', name: 'other' });
      const moved = await keys().send.update(other.id, { alias: 'login.tokens-1' });
      expectEnvelope(moved, 409);
      expect(moved.body.code).toBe('ALIAS_TAKEN');

      const removed = await keys().send.update(key.id, { alias: null });
      expectEnvelope(removed, 200);
      expect(removed.body.data.alias).toBeNull();
      expectEnvelope(await request(testApp.http).get('/key/alias/login.tokens-1').set(tenant.headers), 404);
      expectEnvelope(await keys().send.update(other.id, { alias: 'login.tokens-1' }), 200);
    });

    it('refuses an alias outside a-z 0-9 . _ - or longer than 64, in bodies and paths', async () => {
      for (const alias of ['Upper', 'with space', 'x'.repeat(65), '']) {
        const res = await keys().send.generate({ algorithm: 'ES256', name: 'n', alias });
        expectEnvelope(res, 400);
        expect(res.body.errors).toEqual([{ field: 'alias', message: expect.stringContaining('alias must be 1 to 64 characters') }]);
      }
      const path = await request(testApp.http).get('/key/alias/Upper').set(tenant.headers);
      expectEnvelope(path, 400);
      expect(path.body.errors).toEqual([{ field: 'alias', message: expect.stringContaining('alias must be') }]);
    });

    it('follows a rotation by hand: the alias signs with the successor, callers change nothing', async () => {
      const key = await keys().generate({ algorithm: 'ES256', name: 'hand', alias: 'hand-rotated' });
      const successor = await keys().rotate(key.id);
      expect(successor.alias).toBe('hand-rotated');
      const old = await keys().get(key.id);
      expect([old.status, old.alias]).toEqual(['retiring', null]);
      const signed = await keys().send.signByAlias('hand-rotated');
      expect(decodeProtectedHeader(signed.body.data.token).kid).toBe(successor.kid);
    });
  });

  describe('rotation policies, validated for verifiers', () => {
    const policy = (rotateEverySeconds: number, prePublishSeconds: number, retireAfterSeconds: number) => ({
      rotateEverySeconds,
      prePublishSeconds,
      retireAfterSeconds,
    });

    it.each([
      [policy(600, 0, 60), 'rotationPolicy.prePublishSeconds', 'rotationPolicy.prePublishSeconds must be at least 1'],
      [policy(600, 600, 60), 'rotationPolicy.prePublishSeconds', 'rotationPolicy.prePublishSeconds must be less than rotateEverySeconds (600)'],
      [policy(600, 60, 1.5), 'rotationPolicy.retireAfterSeconds', 'rotationPolicy.retireAfterSeconds must be a whole number of seconds'],
      [{ rotateEverySeconds: 600, prePublishSeconds: 60 }, 'rotationPolicy.retireAfterSeconds', expect.stringContaining('retireAfterSeconds')],
    ])('answers 400 for %j, naming the field and its bound', async (rotationPolicy, field, message) => {
      const res = await keys().send.generate({ algorithm: 'ES256', name: 'n', rotationPolicy });
      expectEnvelope(res, 400);
      expect(res.body.errors).toEqual(expect.arrayContaining([{ field, message }]));
    });

    it('wants prePublishSeconds of at least JWKS_MAX_AGE, so that cached key sets hold the successor before it signs', async () => {
      const app = await startTestApp({ JWKS_MAX_AGE: '300' });
      try {
        const own = await app.createTenant();
        const res = await request(app.http)
          .post('/key/generate')
          .set(own.headers)
          .send({ algorithm: 'ES256', name: 'n', rotationPolicy: policy(3600, 299, 600) });
        expectEnvelope(res, 400);
        expect(res.body.errors).toEqual([
          { field: 'rotationPolicy.prePublishSeconds', message: expect.stringContaining('at least 300 (JWKS_MAX_AGE)') },
        ]);
      } finally {
        await app.close();
      }
    });

    it('refuses a policy on a key without its private part', async () => {
      const publicKey = generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).publicKey.export({ format: 'pem', type: 'spki' }) as string;
      const res = await request(testApp.http)
        .post('/key/import')
        .set(tenant.headers)
        .send({ name: 'public', publicKey, rotationPolicy: policy(600, 60, 60) });
      expectEnvelope(res, 400);
      expect(res.body.errors).toEqual([{ field: 'rotationPolicy', message: 'rotationPolicy needs a key with its private part' }]);
    });

    it('shows the policy and the next rotation in the view; a key with a policy signs no token that outlives retireAfterSeconds', async () => {
      const key = await keys().generate({ algorithm: 'ES256', name: 'bounded', rotationPolicy: policy(3600, 60, 120) });
      expect(key.rotationPolicy).toEqual(policy(3600, 60, 120));
      expect(Date.parse(key.nextRotationAt!) - Date.parse(key.createdAt)).toBeGreaterThan(3_590_000);
      for (const body of [{ expiresIn: 121 }, {}, { expiresIn: null }]) {
        const res = await keys().send.sign(key, { payload: {}, ...body });
        expectEnvelope(res, 400);
        expect(res.body.errors).toEqual([
          { field: 'expiresIn', message: "expiresIn must be at most 120 seconds (the key's rotationPolicy.retireAfterSeconds)" },
        ]);
      }
      await keys().sign(key, { payload: {}, expiresIn: 120 });
      const removed = await keys().send.update(key.id, { rotationPolicy: null });
      expect([removed.body.data.rotationPolicy, removed.body.data.nextRotationAt]).toEqual([null, null]);
      await keys().sign(key, { payload: {} });
    });
  });

  describe('a published successor, when its key changes course', () => {
    const policy = { rotateEverySeconds: 600, prePublishSeconds: 598, retireAfterSeconds: 60 };
    /** A key with a policy whose successor is published within a tick (prePublishSeconds near the period). */
    const withPublishedSuccessor = async (alias: string) => {
      const key = await keys().generate({ algorithm: 'ES256', name: alias, alias, rotationPolicy: policy });
      const { value: next } = await eventually('the successor published', async () => {
        const view = await keys().get(key.id);
        return view.rotatedTo
          ? ((await keys().send.get(view.rotatedTo)).body.data as {
              id: string;
              status: string;
              activatesAt: string;
              createdAt: string;
            })
          : undefined;
      });
      expect(next.status).toBe('next');
      // Published at least prePublishSeconds before it signs, whenever the scheduler got to it.
      expect(Date.parse(next.activatesAt) - Date.parse(next.createdAt)).toBeGreaterThanOrEqual(policy.prePublishSeconds * 1000 - 1_000);
      return { key, next };
    };
    const view = async (id: string) => keys().send.get(id);

    it('a hand rotation activates it now and honours the grace period (0: the old key retires at once)', async () => {
      const { key, next } = await withPublishedSuccessor('emergency');
      const rotated = await keys().send.rotate(key.id, { gracePeriodSeconds: 0 });
      expectEnvelope(rotated, 200);
      expect(rotated.body.data).toMatchObject({ id: next.id, status: 'active', alias: 'emergency' });
      expect((await view(key.id)).body.data.status).toBe('retired');
      const [audit] = await testApp.dataSource.query<{ detail: { successorId: string } }[]>(
        "SELECT detail FROM audit_events WHERE key_id = $1 AND action = 'key.rotate' AND outcome = 'success'",
        [key.id],
      );
      expect(audit.detail.successorId).toBe(next.id);
    });

    it('deleting it lets its predecessor publish another', async () => {
      const { key, next } = await withPublishedSuccessor('republished');
      expectEnvelope(await keys().send.delete(next.id), 200);
      const { value: another } = await eventually('another successor published', async () => {
        const rotatedTo = (await view(key.id)).body.data.rotatedTo as string | null;
        return rotatedTo && rotatedTo !== next.id ? rotatedTo : undefined;
      });
      expect((await view(another)).body.data.status).toBe('next');
    });

    it('removing the policy, or scheduling the key’s deletion, takes the published successor away', async () => {
      const first = await withPublishedSuccessor('policy-removed');
      const removed = await keys().send.update(first.key.id, { rotationPolicy: null });
      expect(removed.body.data).toMatchObject({ rotationPolicy: null, nextRotationAt: null, rotatedTo: null });
      expectEnvelope(await view(first.next.id), 404);

      const second = await withPublishedSuccessor('deletion-cancelled');
      expectEnvelope(
        await request(testApp.http).post(`/key/${second.key.id}/schedule-deletion`).set(tenant.headers).send({ afterSeconds: 600 }),
        200,
      );
      expectEnvelope(await view(second.next.id), 404);
      const cancelled = await request(testApp.http).post(`/key/${second.key.id}/cancel-deletion`).set(tenant.headers);
      expect(cancelled.body.data).toMatchObject({ status: 'active', alias: 'deletion-cancelled', rotatedTo: null });
    });

    it('takes a signing policy tightened after publication: the change reaches the successor, which activates under it', async () => {
      const { key, next } = await withPublishedSuccessor('policy-tightened');
      const tightened = { forbiddenClaims: ['admin'] };
      expectEnvelope(await keys().send.update(key.id, { signingPolicy: tightened }), 200);
      expect((await view(next.id)).body.data.signingPolicy).toEqual(tightened);
      // The successor follows its predecessor until it signs: it is not loosened on its own.
      const onNext = await keys().send.update(next.id, { signingPolicy: null });
      expectEnvelope(onNext, 409);
      expect(onNext.body.code).toBe('KEY_NOT_ACTIVE');

      expectEnvelope(await keys().send.rotate(key.id, {}), 200);
      const refused = await keys().send.signByAlias('policy-tightened', { payload: { sub: 'u', admin: true }, expiresIn: 60 });
      expectEnvelope(refused, 400);
      expect(refused.body.errors).toEqual([{ field: 'payload.admin', message: "payload.admin is forbidden by the key's signing policy" }]);
      expectEnvelope(await keys().send.signByAlias('policy-tightened', { payload: { sub: 'u' }, expiresIn: 60 }), 200);
    });

    it('activates a successor on schedule under what its predecessor enforces then, not the copy made at publication', async () => {
      const { key, next } = await withPublishedSuccessor('policy-at-activation');
      // The predecessor's policy as the successor's publication did not see it (a row from before changes were passed on).
      await testApp.dataSource.query(`UPDATE tenant_keys SET signing_policy = '{"forbiddenClaims": ["admin"]}' WHERE id = $1`, [key.id]);
      await testApp.dataSource.query('UPDATE tenant_keys SET activates_at = now() WHERE id = $1', [next.id]);
      await eventually('the successor active', async () => ((await view(next.id)).body.data.status === 'active' ? true : undefined));
      expect((await view(next.id)).body.data.signingPolicy).toEqual({ forbiddenClaims: ['admin'] });
      expectEnvelope(await keys().send.signByAlias('policy-at-activation', { payload: { sub: 'u', admin: true }, expiresIn: 60 }), 400);
    });

    it('puts an alias on active keys only, and schedules no deletion of a next key', async () => {
      const { next } = await withPublishedSuccessor('active-only');
      const scheduled = await request(testApp.http).post(`/key/${next.id}/schedule-deletion`).set(tenant.headers).send({ afterSeconds: 600 });
      expectEnvelope(scheduled, 409);
      expect(scheduled.body.code).toBe('KEY_NOT_ACTIVE');
      const res = await keys().send.update(next.id, { alias: 'on-a-next-key' });
      expectEnvelope(res, 409);
      expect(res.body.code).toBe('KEY_NOT_ACTIVE');
    });
  });

  describe('scheduled deletion', () => {
    it('takes the key out of the JWKS at once, cancels back to how it was, and deletes it once at deleteAt', async () => {
      const key = await keys().generate({ algorithm: 'ES256', name: 'doomed', alias: 'doomed' });
      const token = await keys().signByAlias('doomed');
      const schedule = (afterSeconds: number) =>
        request(testApp.http).post(`/key/${key.id}/schedule-deletion`).set(tenant.headers).send({ afterSeconds });

      const tooSoon = await schedule(1);
      expectEnvelope(tooSoon, 400);
      expect(tooSoon.body.errors).toEqual([{ field: 'afterSeconds', message: 'afterSeconds must be at least 2 (DELETION_MIN_WINDOW_SECONDS)' }]);

      const pending = await schedule(600);
      expectEnvelope(pending, 200);
      expect(pending.body.data).toMatchObject({ status: 'pending_deletion', alias: null, deleteAt: expect.any(String) });
      expect((await keys().jwks()).keys.map((jwk) => jwk.kid)).not.toContain(key.kid);
      const refused = await keys().send.sign(key.id, { payload: {} });
      expectEnvelope(refused, 409);
      expect(refused.body.code).toBe('KEY_NOT_ACTIVE');
      const verified = await keys().send.verify(token);
      expectEnvelope(verified, 400);
      expect(verified.body.message).toBe('Token rejected: key pending deletion');

      const cancelled = await request(testApp.http).post(`/key/${key.id}/cancel-deletion`).set(tenant.headers);
      expectEnvelope(cancelled, 200);
      expect(cancelled.body.data).toMatchObject({ status: 'active', alias: 'doomed', deleteAt: null });
      expect((await keys().jwks()).keys.map((jwk) => jwk.kid)).toContain(key.kid);
      expectEnvelope(await keys().send.verify(token), 200);

      expectEnvelope(await schedule(2), 200);
      await eventually('the key deleted at its deleteAt', async () => (await keys().send.get(key.id)).status === 404);
      const deletions = await testApp.dataSource.query<{ actor_type: string }[]>(
        "SELECT actor_type FROM audit_events WHERE key_id = $1 AND action = 'key.delete'",
        [key.id],
      );
      expect(deletions).toEqual([{ actor_type: 'system' }]);
    });
  });
});

describe('rotation on a schedule, with three instances on one database', () => {
  jest.setTimeout(90_000);

  const env = async () => {
    const database = await createTestDatabase();
    return { database, env: { ...FAST, DATABASE_URL: database.url, KEY_ENCRYPTION_KEY: randomBytes(32).toString('base64') } };
  };
  const keysOf = (app: TestApp, tenantId: string) =>
    app.dataSource.query<{ id: string; status: string; rotated_from: string | null; alias: string | null; created_at: Date }[]>(
      'SELECT id, status, rotated_from, alias, created_at FROM tenant_keys WHERE tenant_id = $1 ORDER BY created_at',
      [tenantId],
    );
  const actionsOf = async (app: TestApp, tenantId: string, action: string) =>
    (
      await app.dataSource.query<{ key_id: string }[]>('SELECT key_id FROM audit_events WHERE tenant_id = $1 AND action = $2', [tenantId, action])
    ).map((row) => row.key_id);

  it('publishes one successor per period, activates it once, and the alias always signs', async () => {
    const { database, env: shared } = await env();
    const apps = [await startTestApp(shared), await startTestApp(shared), await startTestApp(shared)];
    try {
      const tenant = await apps[0].createTenant('scheduled');
      const policy = { rotateEverySeconds: 4, prePublishSeconds: 2, retireAfterSeconds: 3 };
      const first = (
        await request(apps[0].http)
          .post('/key/generate')
          .set(tenant.headers)
          .send({ algorithm: 'ES256', name: 'rolling', alias: 'rolling', rotationPolicy: policy })
      ).body.data;

      // Sign by alias on every instance in turn, all along: never a moment without an active key behind the alias.
      const statuses: number[] = [];
      const kids = new Set<string>();
      let signing = true;
      const signer = (async () => {
        for (let i = 0; signing; i++) {
          const res = await request(apps[i % 3].http)
            .post('/key/alias/rolling/sign')
            .set(tenant.headers)
            .send({ payload: { i }, expiresIn: 3 });
          statuses.push(res.status);
          if (res.status === 200) kids.add(decodeProtectedHeader(res.body.data.token as string).kid!);
          await new Promise((resolve) => setTimeout(resolve, 25));
        }
      })();
      await eventually('three scheduled activations', async () => (await actionsOf(apps[0], tenant.tenantId, 'key.activate')).length >= 3, {
        withinMs: 40_000,
        everyMs: 200,
      });
      signing = false;
      await signer;

      expect(new Set(statuses)).toEqual(new Set([200]));
      expect(kids.size).toBeGreaterThanOrEqual(3);
      const keys = await keysOf(apps[0], tenant.tenantId);
      // A chain: each key has at most one successor, published once and activated once.
      const successors = keys.filter((key) => key.rotated_from !== null);
      expect(new Set(successors.map((key) => key.rotated_from)).size).toBe(successors.length);
      const published = await actionsOf(apps[0], tenant.tenantId, 'key.publish_next');
      expect(published.length).toBe(successors.length);
      expect(new Set(published).size).toBe(published.length);
      const activated = await actionsOf(apps[0], tenant.tenantId, 'key.activate');
      expect(new Set(activated).size).toBe(activated.length);
      expect(keys.filter((key) => key.status === 'active').map((key) => key.alias)).toEqual(['rolling']);
      expect(keys[0].id).toBe(first.id);
      // One successor per period: creations about rotateEverySeconds apart, never two in one period.
      const gaps = successors.slice(1).map((key, i) => key.created_at.getTime() - successors[i].created_at.getTime());
      for (const gap of gaps) expect(gap).toBeGreaterThan(2_500);
    } finally {
      for (const app of apps) await app.close();
      await database.drop();
    }
  });

  it('activates a pre-published successor once after a restart that missed its time', async () => {
    const { database, env: shared } = await env();
    let app = await startTestApp(shared);
    try {
      const tenant = await app.createTenant('restart');
      const policy = { rotateEverySeconds: 5, prePublishSeconds: 3, retireAfterSeconds: 3 };
      const key = (
        await request(app.http)
          .post('/key/generate')
          .set(tenant.headers)
          .send({ algorithm: 'ES256', name: 'restart', alias: 'restart', rotationPolicy: policy })
      ).body.data;
      const { value: next } = await eventually('the successor published', async () =>
        (await keysOf(app, tenant.tenantId)).find((row) => row.status === 'next'),
      );
      const activatesAt = Date.parse((await request(app.http).get(`/key/${next.id}`).set(tenant.headers)).body.data.activatesAt as string);
      await app.close();
      // Every instance is down when the successor's time comes.
      await eventually('its activation time passed', () => Date.now() > activatesAt + 500, { withinMs: 10_000 });
      app = await startTestApp(shared);
      await eventually(
        'the successor active after the restart',
        async () => (await keysOf(app, tenant.tenantId)).find((row) => row.id === next.id)?.status === 'active',
      );
      const rows = await keysOf(app, tenant.tenantId);
      expect(rows.find((row) => row.id === key.id)).toMatchObject({ status: 'retiring', alias: null });
      expect(rows.find((row) => row.id === next.id)?.alias).toBe('restart');
      expect(await actionsOf(app, tenant.tenantId, 'key.activate')).toEqual([next.id]);
    } finally {
      await app.close();
      await database.drop();
    }
  });
});
