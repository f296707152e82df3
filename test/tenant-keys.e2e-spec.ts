import { createPublicKey, randomUUID } from 'node:crypto';
import { calculateJwkThumbprint, compactVerify, importJWK, importSPKI, SignJWT, jwtVerify, type JWK } from 'jose';
import request from 'supertest';
import { keyClient } from './support/key-client';
import { expectEnvelope, startTestApp, type TestApp, type TestTenant } from './support/test-app';
import { openStoredPrivateKey, readRawKeyRow } from './support/stored-keys';
import { open, tenantKeyAssociatedData } from '../src/crypto/sealing';

const ALGORITHM_MESSAGE =
  'algorithm must be one of RS256, RS384, RS512, PS256, PS384, PS512, ES256, ES384, ES512, EdDSA, HS256, HS384, HS512, ML-DSA-44, ML-DSA-65, ML-DSA-87';

describe('/key (tenant admin API)', () => {
  let testApp: TestApp;
  let tenant: TestTenant;

  beforeAll(async () => {
    testApp = await startTestApp();
    tenant = await testApp.createTenant('acme');
  });
  afterAll(() => testApp.close());

  const keys = () => keyClient(testApp, tenant);

  /** Signs a JWT with the stored private key and verifies it with the returned PEM and JWK. */
  async function expectSignsAndVerifies(key: { id: string; algorithm: string; publicKey: string; jwk: JWK }) {
    const privateKey = await openStoredPrivateKey(testApp, tenant.tenantId, key.id);
    const token = await new SignJWT({ sub: 'alice' }).setProtectedHeader({ alg: key.algorithm, kid: key.jwk.kid }).sign(privateKey);
    const viaPem = await jwtVerify(token, await importSPKI(key.publicKey, key.algorithm));
    const viaJwk = await compactVerify(token, await importJWK(key.jwk, key.algorithm));
    expect(viaPem.payload.sub).toBe('alice');
    expect(viaJwk.protectedHeader.kid).toBe(key.jwk.kid);
  }

  describe('POST /key/generate', () => {
    it.each([
      ['RS256', 2048, undefined],
      ['RS384', 3072, 3072],
      ['RS512', 4096, 4096],
      ['ES256', 256, undefined],
      ['ES384', 384, undefined],
      ['ES512', 521, 521],
    ])('generates %s (%i bits) whose stored private key signs what the public key verifies', async (algorithm, bits, length) => {
      const res = await keys().send.generate({ algorithm, name: `${algorithm} key`, issuer: 'https://auth.example.com', length });
      expectEnvelope(res, 200);
      expect(res.body.message).toBe('Key generated');
      const key = res.body.data;
      expect(key).toMatchObject({
        algorithm,
        name: `${algorithm} key`,
        length: bits,
        hasPrivateKey: true,
        custody: 'software',
        issuer: 'https://auth.example.com',
        status: 'active',
        retireAt: null,
        rotatedFrom: null,
        rotatedTo: null,
        certificate: null,
      });
      expect(Object.keys(key).sort()).toEqual(
        [
          'algorithm',
          'certificate',
          'certificateExpiresAt',
          'createdAt',
          'curve',
          'custody',
          'hasPrivateKey',
          'id',
          'issuer',
          'jwk',
          'kid',
          'length',
          'name',
          'publicKey',
          'retireAt',
          'rotatedFrom',
          'rotatedTo',
          'alias',
          'rotationPolicy',
          'signingPolicy',
          'nextRotationAt',
          'activatesAt',
          'deleteAt',
          'status',
          'type',
          'updatedAt',
        ].sort(),
      );
      await expectSignsAndVerifies(key);

      // The PEM parses back to the same key as the JWK, and the modulus or curve is what was asked for.
      const fromPem = createPublicKey(key.publicKey);
      const { kid, alg, use, ...bareJwk } = key.jwk;
      expect(fromPem.export({ format: 'jwk' })).toEqual(bareJwk);
      expect({ alg, use }).toEqual({ alg: algorithm, use: 'sig' });
      expect(kid).toBe(key.kid);
      expect(await calculateJwkThumbprint(bareJwk, 'sha256')).toBe(key.kid);
      if (algorithm.startsWith('RS')) {
        expect(key).toMatchObject({ type: 'RSA', curve: null });
        expect(fromPem.asymmetricKeyDetails?.modulusLength).toBe(bits);
      } else {
        const curve = { 256: 'P-256', 384: 'P-384', 521: 'P-521' }[bits];
        expect(key).toMatchObject({ type: 'EC', curve });
        expect(bareJwk.crv).toBe(curve);
      }
    });

    it.each([
      ['RS', 'RS256'],
      ['ES', 'ES256'],
    ])('reads the short form %s as %s', async (short, algorithm) => {
      const res = await keys().send.generate({ algorithm: short, name: 'short form' });
      expectEnvelope(res, 200);
      expect(res.body.data.algorithm).toBe(algorithm);
    });

    it('uses the uuid given in the body, as the source sample sends it', async () => {
      const uuid = randomUUID();
      const res = await keys().send.generate({ uuid, algorithm: 'ES256', name: 'with uuid' });
      expectEnvelope(res, 200);
      expect(res.body.data.id).toBe(uuid);
    });

    it('accepts the FusionAuth-shaped body { "key": { ... } }', async () => {
      const res = await keys().send.generate({ key: { algorithm: 'ES384', name: 'fusionauth client' } });
      expectEnvelope(res, 200);
      expect(res.body.data).toMatchObject({ algorithm: 'ES384', name: 'fusionauth client' });
    });

    it('trims the name', async () => {
      const res = await keys().send.generate({ algorithm: 'ES256', name: '  padded  ' });
      expect(res.body.data.name).toBe('padded');
    });

    it('stores no plaintext private key: the raw row holds only a sealed blob', async () => {
      const res = await keys().send.generate({ algorithm: 'ES256', name: 'at rest' });
      const row = await readRawKeyRow(testApp, tenant.tenantId, res.body.data.id);
      const privateKey = await openStoredPrivateKey(testApp, tenant.tenantId, res.body.data.id);
      const pkcs8 = privateKey.export({ format: 'der', type: 'pkcs8' });
      const d = Buffer.from((privateKey.export({ format: 'jwk' }) as JWK).d!, 'base64url');
      const rawRow = JSON.stringify(row, (_k, v) => (v?.type === 'Buffer' ? Buffer.from(v.data).toString('hex') : v));
      const sealed = row.private_key_sealed as Buffer;
      expect(sealed.includes(pkcs8)).toBe(false);
      expect(sealed.includes(d)).toBe(false);
      expect(rawRow).not.toContain(d.toString('hex'));
      expect(rawRow).not.toContain('PRIVATE KEY');
      expect(rawRow).not.toContain(pkcs8.toString('base64'));
    });

    it('binds each sealed private key to its row: moved onto another key, it no longer opens', async () => {
      const first = await keys().generate({ algorithm: 'ES256', name: 'first' });
      const second = await keys().generate({ algorithm: 'ES256', name: 'second' });
      const firstSealed = (await readRawKeyRow(testApp, tenant.tenantId, first.id)).private_key_sealed as Buffer;
      await testApp.dataSource.query('UPDATE tenant_keys SET private_key_sealed = $1 WHERE tenant_id = $2 AND id = $3', [
        firstSealed,
        tenant.tenantId,
        second.id,
      ]);
      const moved = (await readRawKeyRow(testApp, tenant.tenantId, second.id)).private_key_sealed as Buffer;
      expect(() => open(testApp.config.openingKeys, moved, tenantKeyAssociatedData(tenant.tenantId, second.id))).toThrow(/could not be opened/);
      // Where it came from, it still opens.
      expect(open(testApp.config.openingKeys, moved, tenantKeyAssociatedData(tenant.tenantId, first.id)).length).toBeGreaterThan(0);
    });

    describe('answers 400 naming the field', () => {
      it.each([
        ['an unknown algorithm', { algorithm: 'HS1', name: 'n' }, 'algorithm', ALGORITHM_MESSAGE],
        ['a missing algorithm', { name: 'n' }, 'algorithm', ALGORITHM_MESSAGE],
        ['a lowercase algorithm', { algorithm: 'es256', name: 'n' }, 'algorithm', expect.stringContaining('algorithm must be one of')],
        ['a missing name', { algorithm: 'ES256' }, 'name', expect.stringContaining('name must')],
        ['a blank name', { algorithm: 'ES256', name: '   ' }, 'name', 'name must be 1 to 255 characters'],
        ['an over-long name', { algorithm: 'ES256', name: 'n'.repeat(256) }, 'name', 'name must be 1 to 255 characters'],
        ['a name that is not a string', { algorithm: 'ES256', name: 42 }, 'name', 'name must be a string'],
        ['an over-long issuer', { algorithm: 'ES256', name: 'n', issuer: 'i'.repeat(1025) }, 'issuer', 'issuer must be at most 1024 characters'],
        ['an issuer that is not a string', { algorithm: 'ES256', name: 'n', issuer: { a: 1 } }, 'issuer', 'issuer must be a string'],
        ['an RSA length that is not allowed', { algorithm: 'RS256', name: 'n', length: 1024 }, 'length', 'length must be 2048, 3072, 4096 for RS256'],
        ['a length that disagrees with the curve', { algorithm: 'ES384', name: 'n', length: 256 }, 'length', 'length must be 384 for ES384'],
        ['a length given as a string', { algorithm: 'RS256', name: 'n', length: '2048' }, 'length', 'length must be an integer'],
        ['a malformed uuid', { algorithm: 'ES256', name: 'n', uuid: 'random_key_id' }, 'uuid', 'uuid must be a UUID'],
        ['a NUL character in the name', { algorithm: 'ES256', name: 'a\u0000b' }, 'name', 'name must not contain NUL characters'],
        ['a NUL character in the issuer', { algorithm: 'ES256', name: 'n', issuer: 'a\u0000' }, 'issuer', 'issuer must not contain NUL characters'],
        ['an unknown field', { algorithm: 'ES256', name: 'n', privateKey: 'x' }, 'privateKey', 'property privateKey should not exist'],
        [
          'a prototype-pollution key',
          JSON.parse('{"algorithm":"ES256","name":"n","__proto__":{"admin":true}}'),
          '__proto__',
          'property __proto__ should not exist',
        ],
      ])('for %s', async (_case, body, field, message) => {
        const res = await keys().send.generate(body);
        expectEnvelope(res, 400);
        expect(res.body.errors).toEqual(expect.arrayContaining([{ field, message }]));
      });

      it('for a body that is not an object', async () => {
        const res = await request(testApp.http).post('/key/generate').set(tenant.headers).set('content-type', 'application/json').send('[1,2]');
        expectEnvelope(res, 400);
        expect(res.body.errors).toEqual([{ field: 'body', message: 'body must be a JSON object' }]);
      });

      it('for every problem at once, one entry per field', async () => {
        const res = await keys().send.generate({ algorithm: 'XX', name: '', extra: true });
        expectEnvelope(res, 400);
        expect(res.body.errors.map((e: { field: string }) => e.field).sort()).toEqual(['algorithm', 'extra', 'name']);
      });

      it('for malformed JSON', async () => {
        const res = await request(testApp.http)
          .post('/key/generate')
          .set(tenant.headers)
          .set('content-type', 'application/json')
          .send('{"algorithm":');
        expectEnvelope(res, 400);
        expect(res.body.message).toBe('Malformed JSON body');
      });
    });

    it('creates nothing when validation fails', async () => {
      const before = (await request(testApp.http).get('/key').set(tenant.headers)).body.data.length;
      await keys().send.generate({ algorithm: 'ES256', name: '' });
      const after = (await request(testApp.http).get('/key').set(tenant.headers)).body.data.length;
      expect(after).toBe(before);
    });
  });

  describe('POST /key/generate/:id', () => {
    it('generates the key with that id', async () => {
      const id = randomUUID();
      const res = await keys().send.generate({ algorithm: 'RS', name: 'chosen id' }, `/key/generate/${id}`);
      expectEnvelope(res, 200);
      expect(res.body.data.id).toBe(id);
      await expectSignsAndVerifies(res.body.data);
    });

    it('answers 409 when the tenant already has the id, and keeps the first key', async () => {
      const id = randomUUID();
      const first = await keys().send.generate({ algorithm: 'ES256', name: 'original' }, `/key/generate/${id}`);
      const again = await keys().send.generate({ algorithm: 'ES384', name: 'impostor' }, `/key/generate/${id}`);
      expectEnvelope(again, 409);
      const viaBody = await keys().send.generate({ algorithm: 'ES256', name: 'impostor', uuid: id });
      expectEnvelope(viaBody, 409);
      const kept = await request(testApp.http).get(`/key/${id}`).set(tenant.headers);
      expect(kept.body.data).toEqual(first.body.data);
    });

    it('accepts the same uuid in path and body', async () => {
      const id = randomUUID();
      const res = await keys().send.generate({ algorithm: 'ES256', name: 'both', uuid: id }, `/key/generate/${id}`);
      expectEnvelope(res, 200);
      expect(res.body.data.id).toBe(id);
    });

    it('answers 400 when path and body ids differ', async () => {
      const res = await keys().send.generate({ algorithm: 'ES256', name: 'n', uuid: randomUUID() }, `/key/generate/${randomUUID()}`);
      expectEnvelope(res, 400);
      expect(res.body.errors).toEqual([{ field: 'uuid', message: 'uuid must match the id in the path' }]);
    });

    it('answers 400 naming id for a malformed id', async () => {
      const res = await keys().send.generate({ algorithm: 'ES256', name: 'n' }, '/key/generate/not-a-uuid');
      expectEnvelope(res, 400);
      expect(res.body.errors).toEqual([{ field: 'id', message: 'id must be a UUID' }]);
    });
  });

  describe('GET /key', () => {
    it("lists the tenant's keys oldest first, without private material", async () => {
      const own = await testApp.createTenant('list-tenant');
      const names = ['one', 'two', 'three'];
      for (const name of names) {
        await request(testApp.http).post('/key/generate').set(own.headers).send({ algorithm: 'ES256', name });
      }
      const res = await request(testApp.http).get('/key').set(own.headers);
      expectEnvelope(res, 200);
      expect(res.body.data.map((k: { name: string }) => k.name)).toEqual(names);
      expect(JSON.stringify(res.body)).not.toMatch(/PRIVATE KEY|[{,]"d":|"private_?key"/i);
    });

    it('answers an empty list for a tenant with no keys', async () => {
      const empty = await testApp.createTenant('empty');
      const res = await request(testApp.http).get('/key').set(empty.headers);
      expectEnvelope(res, 200);
      expect(res.body.data).toEqual([]);
    });
  });

  describe('GET /key?limit=&cursor=', () => {
    let paged: TestTenant;
    let all: { id: string }[];

    beforeAll(async () => {
      paged = await testApp.createTenant('paged');
      for (let i = 0; i < 7; i++) {
        await request(testApp.http)
          .post('/key/generate')
          .set(paged.headers)
          .send({ algorithm: 'ES256', name: `k${i}` });
      }
      all = (await request(testApp.http).get('/key').set(paged.headers)).body.data;
    });

    it('walks every key once, in creation order, with the next cursor in meta', async () => {
      const seen: string[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const query: string = cursor ? `?limit=3&cursor=${cursor}` : '?limit=3';
        const res = await request(testApp.http).get(`/key${query}`).set(paged.headers);
        expectEnvelope(res, 200);
        expect(res.body.meta.limit).toBe(3);
        seen.push(...res.body.data.map((k: { id: string }) => k.id));
        cursor = res.body.meta.nextCursor;
        pages++;
      } while (cursor);
      expect(pages).toBe(3);
      expect(seen).toEqual(all.map((k) => k.id));
    });

    it('accepts after= as cursor=, and a cursor whose key was deleted meanwhile', async () => {
      const first = await request(testApp.http).get('/key?limit=2').set(paged.headers);
      const cursor = first.body.meta.nextCursor;
      const viaAfter = await request(testApp.http).get(`/key?limit=2&after=${cursor}`).set(paged.headers);
      expect(viaAfter.body.data.map((k: { id: string }) => k.id)).toEqual(all.slice(2, 4).map((k) => k.id));
      await request(testApp.http).delete(`/key/${all[1].id}`).set(paged.headers);
      const afterDelete = await request(testApp.http).get(`/key?limit=2&cursor=${cursor}`).set(paged.headers);
      expect(afterDelete.body.data.map((k: { id: string }) => k.id)).toEqual(all.slice(2, 4).map((k) => k.id));
    });

    it('without limit or cursor still returns every key, with no meta', async () => {
      const res = await request(testApp.http).get('/key').set(paged.headers);
      expect(res.body.meta).toBeUndefined();
      expect(res.body.data.length).toBeGreaterThanOrEqual(6);
    });

    it.each([
      ['?limit=0', 'limit', 'limit must be 1 to 1000'],
      ['?limit=1001', 'limit', 'limit must be 1 to 1000'],
      ['?limit=ten', 'limit', 'limit must be an integer'],
      ['?cursor=!!', 'cursor', 'cursor must be a cursor from a previous page'],
      [`?cursor=${Buffer.from('nope|never').toString('base64url')}`, 'cursor', 'cursor must be a cursor from a previous page'],
    ])('answers 400 for %s', async (query, field, message) => {
      const res = await request(testApp.http).get(`/key${query}`).set(paged.headers);
      expectEnvelope(res, 400);
      expect(res.body.errors).toEqual([{ field, message }]);
    });
  });

  describe('GET /key/:id', () => {
    it('answers the key as generated', async () => {
      const created = await keys().generate({ algorithm: 'ES512', name: 'fetch me' });
      const res = await request(testApp.http).get(`/key/${created.id}`).set(tenant.headers);
      expectEnvelope(res, 200);
      expect(res.body.data).toEqual(created);
    });

    it('answers 404 for an id that does not exist', async () => {
      const res = await request(testApp.http).get(`/key/${randomUUID()}`).set(tenant.headers);
      expectEnvelope(res, 404);
      expect(res.body.message).toBe('Key not found');
    });

    it('answers 400 naming id for a malformed id', async () => {
      const res = await request(testApp.http).get('/key/unique_key_id').set(tenant.headers);
      expectEnvelope(res, 400);
      expect(res.body.errors).toEqual([{ field: 'id', message: 'id must be a UUID' }]);
    });

    it('still answers, as did GET /key, after a migration of a newer instance adds a column (its prepared statements name their columns)', async () => {
      const created = await keys().generate({ algorithm: 'ES256', name: 'through a migration' });
      // Enough requests at once to prepare the statements on every pooled connection.
      const readAll = () =>
        Promise.all(
          Array.from({ length: 12 }, (_, i) =>
            request(testApp.http)
              .get(i % 2 ? `/key/${created.id}` : '/key')
              .set(tenant.headers),
          ),
        );
      await readAll();
      await testApp.dataSource.query('ALTER TABLE tenant_keys ADD COLUMN added_by_a_newer_instance integer');
      try {
        for (const res of await readAll()) {
          expectEnvelope(res, 200);
          expect(Array.isArray(res.body.data) ? res.body.data : [res.body.data]).toContainEqual(created);
        }
      } finally {
        await testApp.dataSource.query('ALTER TABLE tenant_keys DROP COLUMN added_by_a_newer_instance');
      }
    });
  });

  describe('PUT /key/:id', () => {
    it('renames the key and moves updatedAt, nothing else', async () => {
      const created = await keys().generate({ algorithm: 'ES256', name: 'before' });
      const res = await request(testApp.http).put(`/key/${created.id}`).set(tenant.headers).send({ name: ' after ' });
      expectEnvelope(res, 200);
      expect(res.body.data).toEqual({ ...created, name: 'after', updatedAt: expect.any(String) });
      expect(Date.parse(res.body.data.updatedAt)).toBeGreaterThanOrEqual(Date.parse(created.updatedAt));
      const fetched = await request(testApp.http).get(`/key/${created.id}`).set(tenant.headers);
      expect(fetched.body.data.name).toBe('after');
      await expectSignsAndVerifies(fetched.body.data);
    });

    it('accepts the FusionAuth-shaped body', async () => {
      const created = await keys().generate({ algorithm: 'ES256', name: 'before' });
      const res = await request(testApp.http)
        .put(`/key/${created.id}`)
        .set(tenant.headers)
        .send({ key: { name: 'wrapped' } });
      expectEnvelope(res, 200);
      expect(res.body.data.name).toBe('wrapped');
    });

    it.each([
      ['plain', { name: null }],
      ['FusionAuth-shaped', { key: { name: null } }],
    ])('takes a null name as left out (%s): 200 with the key as it was, nothing changed or audited', async (_shape, body) => {
      const created = await keys().generate({ algorithm: 'ES256', name: 'keep' });
      const res = await request(testApp.http).put(`/key/${created.id}`).set(tenant.headers).send(body);
      expectEnvelope(res, 200);
      expect(res.body.data).toEqual(created);
      const fetched = await request(testApp.http).get(`/key/${created.id}`).set(tenant.headers);
      expect(fetched.body.data).toEqual(created);
      const audit = await request(testApp.http).get(`/key/audit?keyId=${created.id}`).set(tenant.headers);
      expect(audit.body.data.map((event: { action: string }) => event.action)).toEqual(['key.generate']);
    });

    it('takes a null name beside a change as left out: the alias is set, the name kept and not audited as a rename', async () => {
      const created = await keys().generate({ algorithm: 'ES256', name: 'keep' });
      const res = await request(testApp.http).put(`/key/${created.id}`).set(tenant.headers).send({ name: null, alias: 'null-name-kept' });
      expectEnvelope(res, 200);
      expect(res.body.data).toMatchObject({ name: 'keep', alias: 'null-name-kept' });
      const audit = await request(testApp.http).get(`/key/audit?keyId=${created.id}`).set(tenant.headers);
      expect(audit.body.data[0]).toMatchObject({ action: 'key.update', detail: { alias: 'null-name-kept' } });
      expect(audit.body.data[0].detail).not.toHaveProperty('name');
    });

    it.each([
      [{ name: '' }, 'name', 'name must be 1 to 255 characters'],
      [{ name: 'x'.repeat(256) }, 'name', 'name must be 1 to 255 characters'],
      [{}, 'body', 'body must set name, alias, rotationPolicy or signingPolicy'],
      [{ name: 'ok', algorithm: 'RS256' }, 'algorithm', 'property algorithm should not exist'],
    ])('answers 400 for %j', async (body, field, message) => {
      const created = await keys().generate({ algorithm: 'ES256', name: 'keep' });
      const res = await request(testApp.http).put(`/key/${created.id}`).set(tenant.headers).send(body);
      expectEnvelope(res, 400);
      expect(res.body.errors).toEqual(expect.arrayContaining([{ field, message }]));
      const fetched = await request(testApp.http).get(`/key/${created.id}`).set(tenant.headers);
      expect(fetched.body.data.name).toBe('keep');
    });

    it('answers 404 for an id that does not exist', async () => {
      const res = await request(testApp.http).put(`/key/${randomUUID()}`).set(tenant.headers).send({ name: 'x' });
      expectEnvelope(res, 404);
    });
  });

  describe('DELETE /key/:id', () => {
    it('deletes the key; a second delete and a get answer 404', async () => {
      const created = await keys().generate({ algorithm: 'ES256', name: 'doomed' });
      const res = await request(testApp.http).delete(`/key/${created.id}`).set(tenant.headers);
      expectEnvelope(res, 200);
      expect(res.body.data).toEqual({ id: created.id });
      expectEnvelope(await request(testApp.http).delete(`/key/${created.id}`).set(tenant.headers), 404);
      expectEnvelope(await request(testApp.http).get(`/key/${created.id}`).set(tenant.headers), 404);
      const rows = await testApp.dataSource.query('SELECT 1 FROM tenant_keys WHERE id = $1', [created.id]);
      expect(rows).toHaveLength(0);
    });

    it('lets the id be used again after delete', async () => {
      const id = randomUUID();
      await keys().send.generate({ algorithm: 'ES256', name: 'first life' }, `/key/generate/${id}`);
      await request(testApp.http).delete(`/key/${id}`).set(tenant.headers);
      const res = await keys().send.generate({ algorithm: 'ES256', name: 'second life' }, `/key/generate/${id}`);
      expectEnvelope(res, 200);
    });
  });
});
