import { createPublicKey, generateKeyPairSync, randomBytes, randomUUID } from 'node:crypto';
import { calculateJwkThumbprint, createLocalJWKSet, exportJWK, importJWK, jwtVerify, SignJWT, type JWK } from 'jose';
import { OneKeyOneKid1764400000000 } from '../migrations/1764400000000-one-key-one-kid';
import { KeyThumbprints1765500000000 } from '../migrations/1765500000000-key-thumbprints';
import request from 'supertest';
import { KID_MESSAGE } from '../src/common/key-names';
import { keyClient } from './support/key-client';
import { expectEnvelope, startTestApp, type TestApp, type TestTenant } from './support/test-app';

describe('POST /key/import and POST /key/import/:id', () => {
  let testApp: TestApp;
  let tenant: TestTenant;

  beforeAll(async () => {
    testApp = await startTestApp();
    tenant = await testApp.createTenant('importer');
  });
  afterAll(() => testApp.close());

  const keys = (who = tenant) => keyClient(testApp, who);
  const pems = (pair: { publicKey: import('node:crypto').KeyObject; privateKey: import('node:crypto').KeyObject }) => ({
    publicKey: pair.publicKey.export({ format: 'pem', type: 'spki' }) as string,
    privateKey: pair.privateKey.export({ format: 'pem', type: 'pkcs8' }) as string,
  });

  it('a public key only: a token signed outside with jose verifies, but the key cannot sign', async () => {
    const pair = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    const res = await keys().send.import({ name: 'partner', publicKey: pems(pair).publicKey, issuer: 'https://partner.example' });
    expectEnvelope(res, 200);
    const key = res.body.data;
    expect(key).toMatchObject({ algorithm: 'ES256', type: 'EC', curve: 'P-256', hasPrivateKey: false, status: 'active' });
    const outside = await new SignJWT({ sub: 'partner-user' })
      .setProtectedHeader({ alg: 'ES256', kid: key.kid })
      .setIssuer('https://partner.example')
      .sign(pair.privateKey);
    const verified = await keys().send.verify(outside);
    expectEnvelope(verified, 200);
    expect(verified.body.data).toMatchObject({ keyId: key.id, payload: { sub: 'partner-user' } });
    const refused = await keys().send.sign(key.id, { payload: {} });
    expectEnvelope(refused, 409);
    expect(refused.body).toMatchObject({ code: 'KEY_NOT_ACTIVE', message: 'Key has no private key and cannot sign' });
  });

  it.each<[string, () => import('node:crypto').KeyPairKeyObjectResult, string | undefined, { privateKey?: string }]>([
    ['RSA (PKCS#1 private PEM)', () => generateKeyPairSync('rsa', { modulusLength: 2048 }), 'PS384', { privateKey: 'pkcs1' }],
    ['EC P-384', () => generateKeyPairSync('ec', { namedCurve: 'secp384r1' }), undefined, {}],
    ['Ed25519', () => generateKeyPairSync('ed25519'), undefined, {}],
  ])('a private key (%s): the public key is derived, and the key signs', async (_case, makePair, algorithm, options) => {
    const pair = makePair();
    const privateKey = options.privateKey === 'pkcs1' ? (pair.privateKey.export({ format: 'pem', type: 'pkcs1' }) as string) : pems(pair).privateKey;
    const res = await keys().send.import({ name: 'own', privateKey, algorithm });
    expectEnvelope(res, 200);
    const key = res.body.data;
    expect(key.hasPrivateKey).toBe(true);
    expect(key.publicKey).toBe(pems(pair).publicKey);
    const token = await keys().sign(key.id, { payload: { n: 1 } });
    expect((await jwtVerify(token, pair.publicKey, { algorithms: [key.algorithm] })).payload.n).toBe(1);
    expect(key.algorithm).toBe(algorithm ?? (key.type === 'OKP' ? 'EdDSA' : 'ES384'));
  });

  it('a private JWK, with the id in the path, keeps its own kid', async () => {
    const pair = generateKeyPairSync('ec', { namedCurve: 'secp521r1' });
    const jwk = { ...(pair.privateKey.export({ format: 'jwk' }) as JWK), kid: 'their-own-kid' };
    const id = randomUUID();
    const res = await keys().send.import({ name: 'jwk', jwk }, `/key/import/${id}`);
    expectEnvelope(res, 200);
    expect(res.body.data).toMatchObject({ id, algorithm: 'ES512', hasPrivateKey: true });
    expect(res.body.data).toMatchObject({ kid: 'their-own-kid', jwk: { kid: 'their-own-kid' } });
    expect(JSON.stringify(res.body)).not.toContain(jwk.d);
    // Two 409s a client tells apart by their code: the id is taken, or the tenant already holds the key material.
    const again = await keys().send.import({ name: 'again', jwk }, `/key/import/${id}`);
    expectEnvelope(again, 409);
    expect(again.body.code).toBe('KEY_ID_TAKEN');
    const sameMaterial = await keys().send.import({ name: 'again', jwk });
    expectEnvelope(sameMaterial, 409);
    expect(sameMaterial.body).toMatchObject({ code: 'KEY_MATERIAL_EXISTS', message: `The tenant already holds this key as key ${id}` });
  });

  it('an HMAC secret: signs and verifies, and is never shown', async () => {
    const secret = randomBytes(48).toString('base64url');
    const res = await keys().send.import({ name: 'shared', secret, algorithm: 'HS384' });
    expectEnvelope(res, 200);
    expect(res.body.data).toMatchObject({ type: 'HMAC', algorithm: 'HS384', publicKey: null, jwk: null });
    expect(JSON.stringify(res.body)).not.toContain(secret);
    const outside = await new SignJWT({ sub: 's' })
      .setProtectedHeader({ alg: 'HS384', kid: res.body.data.kid })
      .sign(Buffer.from(secret, 'base64url'));
    expectEnvelope(await keys().send.verify(outside), 200);
    const [row] = await testApp.dataSource.query('SELECT private_key_sealed FROM tenant_keys WHERE id = $1', [res.body.data.id]);
    expect((row.private_key_sealed as Buffer).includes(Buffer.from(secret, 'base64url'))).toBe(false);
  });

  describe('answers 400 naming the field', () => {
    const rsa1024 = () => generateKeyPairSync('rsa', { modulusLength: 1024 });
    const ec = () => generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    it.each([
      ['no key at all', () => ({ name: 'n' }), 'publicKey', 'one of publicKey, privateKey, jwk or secret is required'],
      [
        'every key field null, the same as left out',
        () => ({ name: 'n', publicKey: null, privateKey: null, jwk: null, secret: null }),
        'publicKey',
        'one of publicKey, privateKey, jwk or secret is required',
      ],
      [
        'garbage PEM',
        () => ({ name: 'n', publicKey: '-----BEGIN PUBLIC KEY-----\nnope\n-----END PUBLIC KEY-----' }),
        'publicKey',
        'publicKey must be an unencrypted SPKI or PKCS#1 PEM',
      ],
      [
        'an encrypted private PEM',
        () => ({
          name: 'n',
          privateKey: ec().privateKey.export({ format: 'pem', type: 'pkcs8', cipher: 'aes-256-cbc', passphrase: 'pw' }),
        }),
        'privateKey',
        'privateKey must not be encrypted',
      ],
      [
        'a private key sent as publicKey',
        () => ({ name: 'n', publicKey: pems(ec()).privateKey }),
        'publicKey',
        'publicKey holds a private key: send it as privateKey',
      ],
      [
        'a mismatched pair',
        () => ({ name: 'n', publicKey: pems(ec()).publicKey, privateKey: pems(ec()).privateKey }),
        'privateKey',
        'privateKey does not match publicKey',
      ],
      [
        'RS256 on an EC key',
        () => ({ name: 'n', algorithm: 'RS256', publicKey: pems(ec()).publicKey }),
        'algorithm',
        'algorithm RS256 does not fit a key of type ec',
      ],
      [
        'the wrong curve',
        () => ({ name: 'n', algorithm: 'ES384', publicKey: pems(ec()).publicKey }),
        'algorithm',
        "algorithm ES384 (the key's curve wants ES256) does not fit a key of type ec",
      ],
      [
        'RSA under 2048 bits',
        () => ({ name: 'n', publicKey: pems(rsa1024()).publicKey }),
        'publicKey',
        'RSA keys must have at least 2048 bits, this one has 1024',
      ],
      [
        'a short HMAC secret',
        () => ({ name: 'n', secret: randomBytes(16).toString('base64url') }),
        'secret',
        'secret must be at least 32 bytes for HS256',
      ],
      [
        'a secret with ES256',
        () => ({ name: 'n', secret: randomBytes(32).toString('base64url'), algorithm: 'ES256' }),
        'algorithm',
        'algorithm ES256 does not fit an HMAC secret',
      ],
      [
        'an oct JWK',
        () => ({ name: 'n', jwk: { kty: 'oct', k: randomBytes(32).toString('base64url') } }),
        'jwk',
        'jwk must be an RSA, EC, OKP or AKP key; give HMAC secrets as secret',
      ],
      [
        'a broken JWK',
        () => ({ name: 'n', jwk: { kty: 'EC', crv: 'P-256', x: 'AA', y: 'AA' } }),
        'jwk',
        'jwk is not a valid RSA, EC, OKP or AKP key',
      ],
      [
        'jwk and PEM together',
        () => ({ name: 'n', jwk: ec().publicKey.export({ format: 'jwk' }), publicKey: pems(ec()).publicKey }),
        'jwk',
        'jwk cannot be combined with PEM keys or a secret',
      ],
    ])('for %s', async (_case, body, field, message) => {
      const res = await keys().send.import(body());
      expectEnvelope(res, 400);
      expect(res.body.errors).toEqual([{ field, message }]);
    });
  });

  it('keeps imported public keys out of reach of other tenants', async () => {
    const pair = generateKeyPairSync('ed25519');
    const key = (await keys().send.import({ name: 'private-to-me', publicKey: pems(pair).publicKey })).body.data;
    const other = await testApp.createTenant('other');
    expectEnvelope(await keys(other).send.get(key.id), 404);
    const outside = await new SignJWT({}).setProtectedHeader({ alg: 'EdDSA', kid: key.kid }).sign(pair.privateKey);
    const res = await keys(other).send.verify(outside);
    expect(res.body.message).toBe('Token rejected: unknown kid');
    // The JWK answered is the imported key: the outsider's token verifies with it.
    expect((await jwtVerify(outside, await importJWK(key.jwk, 'EdDSA'))).protectedHeader.kid).toBe(key.kid);
  });

  describe('with its certificate', () => {
    it('keeps a CA-issued chain checked against the key: the view and the JWKS entry carry it', async () => {
      // The certificate of a key made (and certified) in another tenant, imported here as that key's public key.
      const elsewhere = await testApp.createTenant('certifier');
      const certified = await keys(elsewhere).generate({ algorithm: 'ES256', name: 'certified', certificate: true });
      const res = await keys().send.import({ name: 'with certificate', publicKey: certified.publicKey!, certificateChain: [certified.certificate!] });
      expectEnvelope(res, 200);
      // Stored as attached chains are: each PEM trimmed, ending in a newline.
      expect(res.body.data).toMatchObject({
        certificate: `${certified.certificate!.trim()}\n`,
        certificateExpiresAt: certified.certificateExpiresAt,
      });
      const jwks = await request(testApp.http).get(`/tenants/${tenant.tenantId}/.well-known/jwks.json`).expect(200);
      const entry = jwks.body.keys.find((jwk: JWK) => jwk.kid === res.body.data.kid);
      expect(entry.x5c).toEqual([certified.certificate!.replace(/-----[A-Z ]+-----|\s/g, '')]);
    });

    it('refuses a certificate of another key, and one for an HMAC secret, naming the field; nothing is stored', async () => {
      const other = await keys().generate({ algorithm: 'ES256', name: 'other', certificate: true });
      const before = (await keys().list()).length;
      const pair = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
      const wrong = await keys().send.import({ name: 'mismatch', publicKey: pems(pair).publicKey, certificateChain: [other.certificate!] });
      expectEnvelope(wrong, 400);
      expect(wrong.body.errors).toEqual([{ field: 'certificateChain[0]', message: "certificateChain[0] does not hold this key's public key" }]);
      const secret = randomBytes(32).toString('base64url');
      testApp.trackSecret(secret);
      const hmac = await keys().send.import({ name: 'hmac', secret, certificateChain: [other.certificate!] });
      expectEnvelope(hmac, 400);
      expect(hmac.body.errors).toEqual([
        { field: 'certificateChain', message: 'certificates are available for RSA, EC, EdDSA and ML-DSA keys only' },
      ]);
      expect((await keys().list()).length).toBe(before);
    });
  });

  describe('keeping a kid', () => {
    const ec = () => generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    const expectKidTakenBy = (res: request.Response, kid: string, holderId: string) => {
      expectEnvelope(res, 409);
      expect(res.body).toMatchObject({ code: 'KID_TAKEN', message: `Key ${holderId} of the tenant already has the kid ${kid}` });
    };

    it("a JWK's own kid is kept: the view, the JWKS, the header of what it signs, and /key/verify's lookup", async () => {
      const pair = generateKeyPairSync('rsa', { modulusLength: 2048 });
      const kid = 'Hq4R-keycloak_rs256.2024';
      const key = await keys().import({ name: 'from keycloak', jwk: { ...(pair.privateKey.export({ format: 'jwk' }) as JWK), kid, use: 'sig' } });
      expect(key).toMatchObject({ kid, jwk: { kid, alg: 'RS256' }, hasPrivateKey: true });
      expect(key.jwk!.kid).not.toBe(await calculateJwkThumbprint(pair.publicKey.export({ format: 'jwk' }) as JWK));
      expect((await keys().jwks()).keys.filter((jwk) => jwk.kid === kid)).toEqual([key.jwk]);
      // Signed through the API, verified by jose against the JWKS alone.
      const { protectedHeader, payload } = await keys().signAndVerify(key, { sub: 'kept' });
      expect({ kid: protectedHeader.kid, sub: payload.sub }).toEqual({ kid, sub: 'kept' });
      // A token the old issuer signed before the move verifies here.
      const before = await new SignJWT({ sub: 'old' }).setProtectedHeader({ alg: 'RS256', kid }).sign(pair.privateKey);
      expect(await keys().verify(before)).toMatchObject({ keyId: key.id, payload: { sub: 'old' } });
    });

    it('an explicit kid on a PEM import, and over a JWK kid of its own', async () => {
      const pair = ec();
      const publicOnly = await keys().import({ name: 'partner', publicKey: pems(pair).publicKey, kid: 'partner:2024/01' });
      expect(publicOnly).toMatchObject({ kid: 'partner:2024/01', jwk: { kid: 'partner:2024/01' } });
      const outside = await new SignJWT({ sub: 'p' }).setProtectedHeader({ alg: 'ES256', kid: 'partner:2024/01' }).sign(pair.privateKey);
      expect(await keys().verify(outside)).toMatchObject({ keyId: publicOnly.id });

      const signer = await keys().import({ name: 'signer', privateKey: pems(ec()).privateKey, kid: 'pem-signer' });
      expect((await keys().signAndVerify(signer)).protectedHeader.kid).toBe('pem-signer');
      const jwk = { ...(ec().publicKey.export({ format: 'jwk' }) as JWK), kid: 'ignored' };
      expect((await keys().import({ name: 'both', jwk, kid: 'chosen' })).kid).toBe('chosen');
    });

    it('an HMAC secret with a kid: what it signs carries it, and /key/verify finds it by it', async () => {
      const key = await keys().import({ name: 'shared', secret: randomBytes(32).toString('base64url'), kid: 'auth0-hs256' });
      expect(key).toMatchObject({ type: 'HMAC', kid: 'auth0-hs256', jwk: null });
      const { protectedHeader } = await keys().signAndVerify(key);
      expect(protectedHeader.kid).toBe('auth0-hs256');
    });

    it('the same key material under another kid is KEY_MATERIAL_EXISTS naming its holder', async () => {
      const pair = ec();
      const held = await keys().import({ name: 'held', publicKey: pems(pair).publicKey, kid: 'first-kid' });
      for (const second of [
        { publicKey: pems(pair).publicKey, kid: 'second-kid' },
        { publicKey: pems(pair).publicKey },
        { jwk: { ...(pair.privateKey.export({ format: 'jwk' }) as JWK), kid: 'third-kid' } },
      ]) {
        const res = await keys().send.import({ name: 'again', ...second });
        expectEnvelope(res, 409);
        expect(res.body).toMatchObject({ code: 'KEY_MATERIAL_EXISTS', message: `The tenant already holds this key as key ${held.id}` });
      }
    });

    it("a kid another key has is KID_TAKEN naming it, an HMAC key too, and a generated key's thumbprint", async () => {
      const holder = await keys().import({ name: 'holder', publicKey: pems(ec()).publicKey, kid: 'taken' });
      expectKidTakenBy(await keys().send.import({ name: 'other', publicKey: pems(ec()).publicKey, kid: 'taken' }), 'taken', holder.id);
      expectKidTakenBy(await keys().send.import({ name: 'hmac', secret: randomBytes(32).toString('base64url'), kid: 'taken' }), 'taken', holder.id);
      const hmac = await keys().import({ name: 'hmac holder', secret: randomBytes(32).toString('base64url'), kid: 'hmac-taken' });
      expectKidTakenBy(await keys().send.import({ name: 'pem', publicKey: pems(ec()).publicKey, kid: 'hmac-taken' }), 'hmac-taken', hmac.id);
      const generated = await keys().generate({ algorithm: 'ES256', name: 'generated' });
      expectKidTakenBy(
        await keys().send.import({ name: 'copycat', publicKey: pems(ec()).publicKey, kid: generated.kid }),
        generated.kid,
        generated.id,
      );
      // Another tenant may have the same kid.
      expectEnvelope(
        await keys(await testApp.createTenant('same-kid')).send.import({ name: 'theirs', publicKey: pems(ec()).publicKey, kid: 'taken' }),
        200,
      );
    });

    it('racing imports of one kid with different keys: exactly one wins, the others are told which', async () => {
      const answers = await Promise.all(
        Array.from({ length: 6 }, (_, n) => keys().send.import({ name: `racer ${n}`, publicKey: pems(ec()).publicKey, kid: 'raced' })),
      );
      const winners = answers.filter((res) => res.status === 200);
      expect(winners).toHaveLength(1);
      for (const loser of answers.filter((res) => res.status !== 200)) expectKidTakenBy(loser, 'raced', winners[0].body.data.id);
    });

    it('racing imports of one key under different kids: exactly one wins, the others are told which holds the material', async () => {
      const { publicKey } = pems(ec());
      const answers = await Promise.all(
        Array.from({ length: 6 }, (_, n) => keys().send.import({ name: `racer ${n}`, publicKey, kid: `racer-${n}` })),
      );
      const winners = answers.filter((res) => res.status === 200);
      expect(winners).toHaveLength(1);
      for (const loser of answers.filter((res) => res.status !== 200)) {
        expectEnvelope(loser, 409);
        expect(loser.body).toMatchObject({
          code: 'KEY_MATERIAL_EXISTS',
          message: `The tenant already holds this key as key ${winners[0].body.data.id}`,
        });
      }
    });

    it('the migration gives stored keys their thumbprint (none to HMAC keys), unique among unretired keys, and the kid index covers HMAC keys', async () => {
      const asymmetric = await keys().generate({ algorithm: 'ES256', name: 'before the migration' });
      const hmac = await keys().generate({ algorithm: 'HS256', name: 'hmac before the migration' });
      const runner = testApp.dataSource.createQueryRunner();
      await runner.startTransaction();
      try {
        const migration = new KeyThumbprints1765500000000();
        // Keys imported with a kid of their own (by the tests above) hold the undo back: gone within this transaction.
        await runner.query('DELETE FROM tenant_keys WHERE kid <> thumbprint');
        await migration.down(runner);
        await migration.up(runner);
        const rows = await runner.query('SELECT id, kid, thumbprint FROM tenant_keys WHERE id = ANY($1) ORDER BY thumbprint NULLS LAST', [
          [asymmetric.id, hmac.id],
        ]);
        expect(rows).toEqual([
          { id: asymmetric.id, kid: asymmetric.kid, thumbprint: asymmetric.kid },
          { id: hmac.id, kid: hmac.kid, thumbprint: null },
        ]);
        const indexes = await runner.query(
          "SELECT indexname, indexdef FROM pg_indexes WHERE indexname IN ('tenant_keys_tenant_kid_unretired', 'tenant_keys_tenant_thumbprint_unretired') ORDER BY indexname",
        );
        expect(indexes).toEqual([
          {
            indexname: 'tenant_keys_tenant_kid_unretired',
            indexdef: expect.stringMatching(/^CREATE UNIQUE INDEX .* \(tenant_id, kid\) WHERE \(\(status\)::text <> 'retired'::text\)$/),
          },
          {
            indexname: 'tenant_keys_tenant_thumbprint_unretired',
            indexdef: expect.stringMatching(
              /^CREATE UNIQUE INDEX .* \(tenant_id, thumbprint\) WHERE \(\(thumbprint IS NOT NULL\) AND \(\(status\)::text <> 'retired'::text\)\)$/,
            ),
          },
        ]);
      } finally {
        await runner.rollbackTransaction();
        await runner.release();
      }
    });

    it('the migration is not undone while a key keeps a kid of its own, nor redone over two keys sharing a kid', async () => {
      await keys().import({ name: 'own kid', publicKey: pems(ec()).publicKey, kid: 'kept-through-undo' });
      const migration = new KeyThumbprints1765500000000();
      const runner = testApp.dataSource.createQueryRunner();
      await runner.startTransaction();
      try {
        await expect(migration.down(runner)).rejects.toThrow(/keys keep a kid of their own \(imported with one\): delete them/);
      } finally {
        await runner.rollbackTransaction();
      }
      await runner.startTransaction();
      try {
        await runner.query('DELETE FROM tenant_keys WHERE kid <> thumbprint');
        await migration.down(runner);
        const [one, other] = await runner.query('SELECT id, kid FROM tenant_keys WHERE tenant_id = $1 AND status <> $2 LIMIT 2', [
          tenant.tenantId,
          'retired',
        ]);
        // As only an HMAC key could have before the migration: the old kid index leaves HMAC rows out.
        await runner.query('UPDATE tenant_keys SET public_jwk = NULL, kid = $1 WHERE id = ANY($2)', ['twice', [one.id, other.id]]);
        await expect(migration.up(runner)).rejects.toThrow(`Tenant ${tenant.tenantId} has two keys with the kid twice: retire or delete one`);
      } finally {
        await runner.rollbackTransaction();
        await runner.release();
      }
    });

    it('a retiring key keeps its kid; once retired, another key may take it, and its material may come back under another kid', async () => {
      const retiring = await keys().import({ name: 'retiring', privateKey: pems(ec()).privateKey, kid: 'rotated-out' });
      const successor = await keys().rotate(retiring, { gracePeriodSeconds: 3600 });
      expectKidTakenBy(
        await keys().send.import({ name: 'too soon', publicKey: pems(ec()).publicKey, kid: 'rotated-out' }),
        'rotated-out',
        retiring.id,
      );
      // The successor is generated: its kid is its thumbprint.
      expect(successor.kid).toBe(await calculateJwkThumbprint(await exportJWK(createPublicKey(successor.publicKey!))));

      const retired = await keys().import({ name: 'retired', privateKey: pems(ec()).privateKey, kid: 'retired-kid' });
      await keys().rotate(retired, { gracePeriodSeconds: 0 });
      const again = await keys().import({ name: 'new holder', publicKey: pems(ec()).publicKey, kid: 'retired-kid' });
      expect(again.kid).toBe('retired-kid');
      expect((await keys().get(retired)).status).toBe('retired');

      // And its key material may come back under another kid.
      const material = pems(ec()).privateKey;
      const retiredMaterial = await keys().import({ name: 'retired material', privateKey: material, kid: 'material-before' });
      await keys().rotate(retiredMaterial, { gracePeriodSeconds: 0 });
      expect((await keys().import({ name: 'material again', privateKey: material, kid: 'material-after' })).kid).toBe('material-after');
    });

    it('generated keys have their thumbprint as kid', async () => {
      for (const algorithm of ['ES384', 'EdDSA']) {
        const key = await keys().generate({ algorithm, name: `generated ${algorithm}` });
        const { kid: _kid, alg: _alg, use: _use, ...bare } = key.jwk!;
        expect(key.kid).toBe(await calculateJwkThumbprint(bare));
      }
    });

    const publicPem = () => pems(ec()).publicKey;
    const publicJwk = (kid: unknown) => ({ ...(ec().publicKey.export({ format: 'jwk' }) as JWK), kid });
    it.each<[string, () => object, string, string]>([
      ['an empty kid', () => ({ publicKey: publicPem(), kid: '' }), 'kid', KID_MESSAGE],
      ['a kid with a space', () => ({ publicKey: publicPem(), kid: 'two words' }), 'kid', KID_MESSAGE],
      ['a kid with a tab', () => ({ publicKey: publicPem(), kid: 'tab\there' }), 'kid', KID_MESSAGE],
      ['a kid of 65 characters', () => ({ publicKey: publicPem(), kid: 'k'.repeat(65) }), 'kid', KID_MESSAGE],
      ['a kid beyond ASCII', () => ({ publicKey: publicPem(), kid: 'clé' }), 'kid', KID_MESSAGE],
      ['a kid that is a number', () => ({ publicKey: publicPem(), kid: 42 }), 'kid', KID_MESSAGE],
      ["a JWK's own kid with a space", () => ({ jwk: publicJwk('two words') }), 'jwk.kid', `jwk.${KID_MESSAGE}`],
      ["a JWK's own kid that is a number", () => ({ jwk: publicJwk(7) }), 'jwk.kid', `jwk.${KID_MESSAGE}`],
    ])('answers 400 VALIDATION_FAILED for %s', async (_case, body, field, message) => {
      const res = await keys().send.import({ name: 'bad kid', ...body() });
      expectEnvelope(res, 400);
      expect(res.body).toMatchObject({ code: 'VALIDATION_FAILED', errors: [{ field, message }] });
    });

    it('a kid of 64 printable characters is taken as it is', async () => {
      const kid = '!~' + 'k'.repeat(60) + '"}';
      expect((await keys().import({ name: 'long kid', publicKey: pems(ec()).publicKey, kid })).kid).toBe(kid);
    });
  });

  describe('one key, one kid', () => {
    const expectHeldBy = (res: request.Response, holderId: string) => {
      expectEnvelope(res, 409);
      expect(res.body.message).toBe(`The tenant already holds this key as key ${holderId}`);
    };

    it.each<[string, () => [object, object]]>([
      [
        'the same RSA key as RS256 and again as PS256',
        () => {
          const pair = generateKeyPairSync('rsa', { modulusLength: 2048 });
          return [
            { privateKey: pems(pair).privateKey, algorithm: 'RS256' },
            { publicKey: pems(pair).publicKey, algorithm: 'PS256' },
          ];
        },
      ],
      [
        'a P-256 key as PKCS#8 and again as SEC1',
        () => {
          const pair = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
          return [{ privateKey: pems(pair).privateKey }, { privateKey: pair.privateKey.export({ format: 'pem', type: 'sec1' }) }];
        },
      ],
      [
        'an Ed25519 key as PEM and again as a JWK',
        () => {
          const pair = generateKeyPairSync('ed25519');
          return [{ publicKey: pems(pair).publicKey }, { jwk: pair.privateKey.export({ format: 'jwk' }) }];
        },
      ],
    ])('%s: 409 naming the key that has it, and the JWKS keeps one entry that jose resolves', async (_case, forms) => {
      const [first, second] = forms();
      const held = await keys().send.import({ name: 'first', ...first });
      expectEnvelope(held, 200);
      expectHeldBy(await keys().send.import({ name: 'second', ...second }), held.body.data.id);
      const kid = held.body.data.kid;
      expect((await keys().jwks()).keys.filter((jwk) => jwk.kid === kid)).toHaveLength(1);
      const resolve = createLocalJWKSet(await keys().jwks());
      const resolved = await exportJWK(await resolve({ alg: held.body.data.algorithm, kid }, undefined));
      expect(held.body.data.jwk).toMatchObject(resolved);
    });

    it('a certificate sent as publicKey is the key it certifies', async () => {
      const generated = await keys().generate({ algorithm: 'ES384', name: 'certified', certificate: true });
      expectHeldBy(await keys().send.import({ name: 'as certificate', publicKey: generated.certificate }), generated.id);
    });

    it('racing imports of one key: exactly one wins, the others are told which', async () => {
      const { publicKey } = pems(generateKeyPairSync('ec', { namedCurve: 'secp384r1' }));
      const answers = await Promise.all(Array.from({ length: 8 }, (_, n) => keys().send.import({ name: `racer ${n}`, publicKey })));
      const winners = answers.filter((res) => res.status === 200);
      expect(winners).toHaveLength(1);
      for (const loser of answers.filter((res) => res.status !== 200)) expectHeldBy(loser, winners[0].body.data.id);
      const [{ count }] = await testApp.dataSource.query('SELECT count(*)::int AS count FROM tenant_keys WHERE tenant_id = $1 AND kid = $2', [
        tenant.tenantId,
        winners[0].body.data.kid,
      ]);
      expect(count).toBe(1);
    });

    it('a retiring key still holds its material; once retired, or deleted, the material may come back', async () => {
      const { privateKey } = pems(generateKeyPairSync('ec', { namedCurve: 'prime256v1' }));
      const rotate = (id: string, gracePeriodSeconds: number) => keys().send.rotate(id, { gracePeriodSeconds });
      const retiring = (await keys().send.import({ name: 'retiring', privateKey })).body.data;
      expectEnvelope(await rotate(retiring.id, 3600), 200);
      expectHeldBy(await keys().send.import({ name: 'too soon', privateKey }), retiring.id);

      const { privateKey: other } = pems(generateKeyPairSync('ec', { namedCurve: 'prime256v1' }));
      const retired = (await keys().send.import({ name: 'retired', privateKey: other })).body.data;
      expectEnvelope(await rotate(retired.id, 0), 200);
      const again = await keys().send.import({ name: 'back again', privateKey: other });
      expectEnvelope(again, 200);
      expect(again.body.data.kid).toBe(retired.kid);
      expect((await keys().get(retired.id)).status).toBe('retired');

      expectEnvelope(await keys().send.delete(again.body.data.id), 200);
      expectEnvelope(await keys().send.import({ name: 'after delete', privateKey: other }), 200);
    });

    it('another tenant may hold the same key', async () => {
      const { publicKey } = pems(generateKeyPairSync('ed25519'));
      const other = await testApp.createTenant('same-material');
      expectEnvelope(await keys().send.import({ name: 'mine', publicKey }), 200);
      expectEnvelope(await keys(other).send.import({ name: 'theirs', publicKey }), 200);
    });

    it('the migration settles duplicates stored before it: the signing holder stays, the others are retired and audited', async () => {
      const pair = generateKeyPairSync('rsa', { modulusLength: 2048 });
      const publicOnly = (await keys().send.import({ name: 'public first', publicKey: pems(pair).publicKey })).body.data;
      await testApp.dataSource.query('DROP INDEX tenant_keys_tenant_kid_unretired');
      const signer = randomUUID();
      // As an older release stored it: the same key again, with its private part, as PS256.
      await testApp.dataSource.query(
        `INSERT INTO tenant_keys (tenant_id, id, name, algorithm, type, curve, length, issuer, kid, public_key_pem, public_jwk, private_key_sealed, status)
         SELECT tenant_id, $2, 'signer', 'PS256', type, curve, length, issuer, kid, public_key_pem, public_jwk, '\\x00'::bytea, 'active'
         FROM tenant_keys WHERE tenant_id = $1 AND id = $3`,
        [tenant.tenantId, signer, publicOnly.id],
      );
      const runner = testApp.dataSource.createQueryRunner();
      try {
        await new OneKeyOneKid1764400000000().up(runner);
      } finally {
        await runner.release();
      }
      const statuses = await testApp.dataSource.query('SELECT id, status FROM tenant_keys WHERE tenant_id = $1 AND kid = $2 ORDER BY status', [
        tenant.tenantId,
        publicOnly.kid,
      ]);
      expect(statuses).toEqual([
        { id: signer, status: 'active' },
        { id: publicOnly.id, status: 'retired' },
      ]);
      const [audit] = await testApp.dataSource.query(
        "SELECT actor_type, action, detail FROM audit_events WHERE key_id = $1 AND action = 'key.retire'",
        [publicOnly.id],
      );
      expect(audit).toEqual({
        actor_type: 'system',
        action: 'key.retire',
        detail: expect.objectContaining({ keptKeyId: signer, kid: publicOnly.kid }),
      });
      const [index] = await testApp.dataSource.query("SELECT indexdef FROM pg_indexes WHERE indexname = 'tenant_keys_tenant_kid_unretired'");
      expect(index.indexdef).toContain('UNIQUE');
    });
  });
});
