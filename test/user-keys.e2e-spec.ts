import { createECDH, createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify } from 'node:crypto';
import { base64url, SignJWT, type JWK, UnsecuredJWT } from 'jose';
import request from 'supertest';
import { startIdentityProvider, type IdentityProvider } from './support/identity-provider';
import { expectEnvelope, startTestApp, type TestApp } from './support/test-app';

const OPENSSL_CURVE = { 'P-256': 'prime256v1', 'P-384': 'secp384r1', secp256k1: 'secp256k1' } as const;
const SCALAR_HEX_LENGTH = { 'P-256': 64, 'P-384': 96, secp256k1: 64 } as const;

describe('/keys (user API)', () => {
  let idp: IdentityProvider;
  let testApp: TestApp;
  let aliceToken: string;

  beforeAll(async () => {
    idp = await startIdentityProvider();
    testApp = await startTestApp({ OAUTH_JWKS_URL: idp.jwksUrl, OAUTH_ISSUER: idp.issuer, OAUTH_AUDIENCE: idp.audience });
    aliceToken = await idp.issueToken({ sub: 'alice', scope: 'openid add_key' });
  });
  afterAll(async () => {
    await testApp.close();
    await idp.close();
  });

  const register = (token: string, body: object) => request(testApp.http).post('/keys/register').set('authorization', `Bearer ${token}`).send(body);
  const list = (token: string, query = '') => request(testApp.http).get(`/keys${query}`).set('authorization', `Bearer ${token}`);

  /** Signs with the private key as handed over and verifies with the public key as listed. */
  function expectPairSignsAndVerifies(privateKeyPem: string, publicKeyPem: string) {
    const message = Buffer.from('register me');
    const signature = sign('sha256', message, createPrivateKey(privateKeyPem));
    expect(verify('sha256', message, createPublicKey(publicKeyPem), signature)).toBe(true);
    expect(verify('sha256', Buffer.from('tampered'), createPublicKey(publicKeyPem), signature)).toBe(false);
  }

  describe('POST /keys/register', () => {
    it.each(['P-256', 'P-384', 'secp256k1'] as const)('hex (default) on %s: the public point derives from the private scalar', async (curve) => {
      const res = await register(aliceToken, { name: `hex ${curve}`, curve });
      expectEnvelope(res, 200);
      expect(res.headers['cache-control']).toBe('no-store');
      const key = res.body.data;
      expect(key).toMatchObject({ name: `hex ${curve}`, keyType: 'ecdsa', curve, ownerId: 'alice' });
      expect(key.privateKey).toMatch(new RegExp(`^[0-9a-f]{${SCALAR_HEX_LENGTH[curve]}}$`));
      expect(key.publicKey).toMatch(new RegExp(`^04[0-9a-f]{${SCALAR_HEX_LENGTH[curve] * 2}}$`));
      const ecdh = createECDH(OPENSSL_CURVE[curve]);
      ecdh.setPrivateKey(Buffer.from(key.privateKey, 'hex'));
      expect(ecdh.getPublicKey('hex', 'uncompressed')).toBe(key.publicKey);

      // And the pair works: a signature by the scalar verifies under the listed key.
      const pemRes = await list(aliceToken, '?format=pem');
      const listedPem = pemRes.body.data.find((k: { id: string }) => k.id === key.id).publicKey;
      const half = SCALAR_HEX_LENGTH[curve] / 2;
      const point = Buffer.from(key.publicKey, 'hex');
      const privateJwk: JWK = {
        kty: 'EC',
        crv: curve,
        d: base64url.encode(Buffer.from(key.privateKey, 'hex')),
        x: base64url.encode(point.subarray(1, 1 + half)),
        y: base64url.encode(point.subarray(1 + half)),
      };
      const privatePem = createPrivateKey({ key: privateJwk as never, format: 'jwk' }).export({ format: 'pem', type: 'pkcs8' }) as string;
      expectPairSignsAndVerifies(privatePem, listedPem);
    });

    it('pem: SPKI public and PKCS#8 private keys that parse back and sign', async () => {
      const res = await register(aliceToken, { name: 'pem key', format: 'pem', curve: 'P-384' });
      expectEnvelope(res, 200);
      const { publicKey, privateKey } = res.body.data;
      expect(publicKey).toMatch(/^-----BEGIN PUBLIC KEY-----\n/);
      expect(privateKey).toMatch(/^-----BEGIN PRIVATE KEY-----\n/);
      expect(createPublicKey(publicKey).asymmetricKeyDetails?.namedCurve).toBe('secp384r1');
      expect(createPublicKey(createPrivateKey(privateKey)).export({ format: 'pem', type: 'spki' })).toBe(publicKey);
      expectPairSignsAndVerifies(privateKey, publicKey);
    });

    it('jwk: public and private JWKs of the same key that sign a JWT', async () => {
      const res = await register(aliceToken, { name: 'jwk key', format: 'jwk', curve: 'P-256' });
      expectEnvelope(res, 200);
      const { publicKey, privateKey } = res.body.data;
      expect(publicKey).toEqual({ kty: 'EC', crv: 'P-256', x: expect.any(String), y: expect.any(String) });
      expect(privateKey).toEqual({ ...publicKey, d: expect.any(String) });
      const jwt = await new SignJWT({ sub: 'alice' }).setProtectedHeader({ alg: 'ES256' }).sign(createPrivateKey({ key: privateKey, format: 'jwk' }));
      const [header, payload, signature] = jwt.split('.');
      expect(
        verify(
          'sha256',
          Buffer.from(`${header}.${payload}`),
          { key: createPublicKey({ key: publicKey, format: 'jwk' }), dsaEncoding: 'ieee-p1363' },
          Buffer.from(signature, 'base64url'),
        ),
      ).toBe(true);
    });

    it('never stores the private key: the row holds only the public key', async () => {
      const res = await register(aliceToken, { name: 'secret stays out', format: 'pem' });
      const [row] = await testApp.dataSource.query('SELECT * FROM user_keys WHERE id = $1', [res.body.data.id]);
      const privateJwk = createPrivateKey(res.body.data.privateKey).export({ format: 'jwk' }) as JWK;
      const dump = JSON.stringify(row);
      expect(dump).not.toContain('PRIVATE KEY');
      expect(dump).not.toContain(Buffer.from(privateJwk.d!, 'base64url').toString('hex'));
      expect(row.public_key_pem).toBe(res.body.data.publicKey);
    });

    it('accepts scopes as an scp array', async () => {
      const token = await idp.issueToken({ sub: 'scp-user', scp: ['add_key'] });
      expectEnvelope(await register(token, { name: 'via scp' }), 200);
    });

    it('answers 403 without the add_key scope', async () => {
      const token = await idp.issueToken({ sub: 'reader', scope: 'openid keys:read' });
      const res = await register(token, { name: 'not allowed' });
      expectEnvelope(res, 403);
      expect(res.body.message).toContain('add_key');
      expect((await list(token)).body.data).toEqual([]);
    });

    it('takes keyType, curve and format sent as null as left out: the default, an ecdsa P-256 pair in hex', async () => {
      const res = await register(aliceToken, { name: 'nulls', keyType: null, curve: null, format: null });
      expectEnvelope(res, 200);
      expect(res.body.data).toMatchObject({ name: 'nulls', keyType: 'ecdsa', curve: 'P-256' });
      expect(res.body.data.publicKey).toMatch(/^04[0-9a-f]{128}$/);
    });

    it.each([
      [{}, 'name', expect.stringContaining('name must')],
      [{ name: '  ' }, 'name', 'name must be 1 to 255 characters'],
      [{ name: 'a\u0000' }, 'name', 'name must not contain NUL characters'],
      [{ name: 'k', curve: 'P-521' }, 'curve', 'curve must be one of P-256, P-384, secp256k1'],
      [{ name: 'k', format: 'der' }, 'format', 'format must be one of hex, pem, jwk'],
      [{ name: 'k', keyType: 'dsa' }, 'keyType', 'keyType must be one of ecdsa, ed25519, rsa, ml-dsa'],
      [{ name: 'k', keyType: 'ed25519', curve: 'P-256' }, 'curve', 'curve applies to ecdsa keys only, not ed25519'],
      [{ name: 'k', privateKey: 'mine' }, 'privateKey', 'property privateKey should not exist'],
    ])('answers 400 for %j', async (body, field, message) => {
      const res = await register(aliceToken, body);
      expectEnvelope(res, 400);
      expect(res.body.errors).toEqual(expect.arrayContaining([{ field, message }]));
    });
  });

  describe('keyType ed25519 and rsa', () => {
    it('ed25519 in hex: a 32-byte public key and seed that sign and verify', async () => {
      const res = await register(aliceToken, { name: 'ed', keyType: 'ed25519' });
      expectEnvelope(res, 200);
      const { publicKey, privateKey, keyType, curve } = res.body.data;
      expect({ keyType, curve }).toEqual({ keyType: 'ed25519', curve: 'Ed25519' });
      expect(publicKey).toMatch(/^[0-9a-f]{64}$/);
      expect(privateKey).toMatch(/^[0-9a-f]{64}$/);
      const x = Buffer.from(publicKey, 'hex').toString('base64url');
      const d = Buffer.from(privateKey, 'hex').toString('base64url');
      const signer = createPrivateKey({ key: { kty: 'OKP', crv: 'Ed25519', x, d }, format: 'jwk' });
      const verifier = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x }, format: 'jwk' });
      const signature = sign(null, Buffer.from('m'), signer);
      expect(verify(null, Buffer.from('m'), verifier, signature)).toBe(true);
    });

    it('rsa: PEM where hex was asked, a 2048-bit pair that signs', async () => {
      const res = await register(aliceToken, { name: 'rsa', keyType: 'rsa' });
      expectEnvelope(res, 200);
      expect(res.body.data).toMatchObject({ keyType: 'rsa', curve: null });
      expect(createPublicKey(res.body.data.publicKey).asymmetricKeyDetails?.modulusLength).toBe(2048);
      expectPairSignsAndVerifies(res.body.data.privateKey, res.body.data.publicKey);
    });
  });

  describe('POST /keys/import', () => {
    const importKey = (token: string, body: object) => request(testApp.http).post('/keys/import').set('authorization', `Bearer ${token}`).send(body);

    it.each([
      [
        'hex (ecdsa P-256)',
        () => {
          const pair = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
          const jwk = pair.publicKey.export({ format: 'jwk' });
          return {
            pair,
            body: { publicKey: `04${Buffer.from(jwk.x!, 'base64url').toString('hex')}${Buffer.from(jwk.y!, 'base64url').toString('hex')}` },
            keyType: 'ecdsa',
          };
        },
      ],
      [
        'PEM (secp256k1)',
        () => {
          const pair = generateKeyPairSync('ec', { namedCurve: 'secp256k1' });
          return { pair, body: { publicKey: pair.publicKey.export({ format: 'pem', type: 'spki' }) }, keyType: 'ecdsa' };
        },
      ],
      [
        'JWK (ed25519)',
        () => {
          const pair = generateKeyPairSync('ed25519');
          return { pair, body: { jwk: pair.publicKey.export({ format: 'jwk' }) }, keyType: 'ed25519' };
        },
      ],
      [
        'PEM (rsa)',
        () => {
          const pair = generateKeyPairSync('rsa', { modulusLength: 2048 });
          return { pair, body: { publicKey: pair.publicKey.export({ format: 'pem', type: 'spki' }) }, keyType: 'rsa' };
        },
      ],
    ])('registers a public key the user made, given in %s', async (_case, make) => {
      const { pair, body, keyType } = make();
      const res = await importKey(aliceToken, { name: 'mine', format: 'pem', ...body });
      expectEnvelope(res, 200);
      expect(res.body.data).toMatchObject({ keyType, ownerId: 'alice', name: 'mine' });
      expect(res.body.data.privateKey).toBeUndefined();
      expect(createPublicKey(res.body.data.publicKey).equals(pair.publicKey)).toBe(true);
    });

    it.each([
      [{ name: 'n' }, 'publicKey', 'give exactly one of publicKey (hex or PEM) and jwk'],
      [{ name: 'n', publicKey: null, jwk: null }, 'publicKey', 'give exactly one of publicKey (hex or PEM) and jwk'],
      [{ name: 'n', publicKey: 'zz' }, 'publicKey', 'publicKey must be hex or a PEM'],
      [{ name: 'n', publicKey: `04${'11'.repeat(64)}` }, 'publicKey', 'publicKey is not a point on P-256'],
      [{ name: 'n', publicKey: '0411' }, 'publicKey', 'a P-256 publicKey in hex is the uncompressed point 04||X||Y (65 bytes)'],
      [{ name: 'n', jwk: { kty: 'OKP', crv: 'Ed25519', x: 'AA', d: 'AA' } }, 'jwk', 'jwk must be a public key: never send a private key'],
      [
        { name: 'n', publicKey: generateKeyPairSync('ed25519').privateKey.export({ format: 'pem', type: 'pkcs8' }) },
        'publicKey',
        'publicKey must be a public key: never send a private key',
      ],
      [
        { name: 'n', keyType: 'rsa', jwk: { kty: 'OKP', crv: 'Ed25519', x: Buffer.alloc(32, 1).toString('base64url') } },
        'keyType',
        'keyType rsa does not fit the key, which is ed25519',
      ],
    ])('answers 400 for %j', async (body, field, message) => {
      const res = await importKey(aliceToken, body);
      expectEnvelope(res, 400);
      expect(res.body.errors).toEqual([{ field, message }]);
    });

    it('needs the add_key scope', async () => {
      const token = await idp.issueToken({ sub: 'alice', scope: 'openid' });
      expectEnvelope(await importKey(token, { name: 'n', publicKey: `04${'11'.repeat(64)}` }), 403);
    });
  });

  describe('DELETE /keys/:id', () => {
    it("removes one of the user's own keys; another user's key answers 404 and stays", async () => {
      const erin = await idp.issueToken({ sub: 'erin', scope: 'add_key' });
      const frank = await idp.issueToken({ sub: 'frank', scope: 'add_key' });
      const erinKey = (await register(erin, { name: 'erin key' })).body.data;
      const frankKey = (await register(frank, { name: 'frank key' })).body.data;
      const denied = await request(testApp.http).delete(`/keys/${frankKey.id}`).set('authorization', `Bearer ${erin}`);
      expectEnvelope(denied, 404);
      const deleted = await request(testApp.http).delete(`/keys/${erinKey.id}`).set('authorization', `Bearer ${erin}`);
      expectEnvelope(deleted, 200);
      expect(deleted.body.data).toEqual({ id: erinKey.id });
      expect((await list(erin)).body.data).toEqual([]);
      expect((await list(frank)).body.data.map((k: { id: string }) => k.id)).toEqual([frankKey.id]);
      expectEnvelope(await request(testApp.http).delete(`/keys/${erinKey.id}`).set('authorization', `Bearer ${erin}`), 404);
      expectEnvelope(await request(testApp.http).delete('/keys/not-a-uuid').set('authorization', `Bearer ${erin}`), 400);
      expectEnvelope(await request(testApp.http).delete(`/keys/${frankKey.id}`), 401);
    });
  });

  describe('GET /keys', () => {
    it("lists only the caller's public keys, oldest first, never a private key", async () => {
      const bob = await idp.issueToken({ sub: 'bob', scope: 'add_key' });
      const first = (await register(bob, { name: 'bob first' })).body.data;
      const second = (await register(bob, { name: 'bob second', format: 'jwk' })).body.data;
      await register(aliceToken, { name: 'alice only' });
      const res = await list(bob);
      expectEnvelope(res, 200);
      expect(res.body.data.map((k: { name: string }) => k.name)).toEqual(['bob first', 'bob second']);
      for (const key of res.body.data) {
        expect(Object.keys(key).sort()).toEqual(['createdAt', 'curve', 'id', 'keyType', 'name', 'ownerId', 'publicKey']);
        expect(key.ownerId).toBe('bob');
      }
      expect(res.body.data[0].publicKey).toBe(first.publicKey);
      expect(res.body.data[1].publicKey).toMatch(/^04[0-9a-f]{128}$/);
      const asJwk = await list(bob, '?format=jwk');
      expect(asJwk.body.data[1].publicKey).toEqual(second.publicKey);
      expect(JSON.stringify(res.body) + JSON.stringify(asJwk.body)).not.toMatch(/privateKey|PRIVATE KEY|"d":/);
    });

    it('keeps users of different issuers apart even with the same sub', async () => {
      const other = await startIdentityProvider();
      const otherApp = await startTestApp({ OAUTH_JWKS_URL: other.jwksUrl, OAUTH_ISSUER: other.issuer, OAUTH_AUDIENCE: other.audience });
      try {
        // Same database rows shape, other issuer: alice of another identity provider is another user.
        await otherApp.dataSource.query(
          `INSERT INTO user_keys (id, issuer, owner_id, name, key_type, curve, public_key_pem) VALUES (gen_random_uuid(), 'https://elsewhere.example', 'alice', 'foreign', 'ecdsa', 'P-256', 'x')`,
        );
        const token = await other.issueToken({ sub: 'alice' });
        const res = await request(otherApp.http).get('/keys').set('authorization', `Bearer ${token}`);
        expectEnvelope(res, 200);
        expect(res.body.data).toEqual([]);
      } finally {
        await otherApp.close();
        await other.close();
      }
    });

    it('answers 400 for an unknown format or query parameter', async () => {
      expectEnvelope(await list(aliceToken, '?format=der'), 400);
      expectEnvelope(await list(aliceToken, '?owner=bob'), 400);
    });
  });

  describe('refuses with 401', () => {
    const now = () => Math.floor(Date.now() / 1000);
    const cases: [string, () => Promise<string | undefined>][] = [
      ['no token', async () => undefined],
      ['a malformed token', async () => 'not.a.jwt'],
      ['an expired token', () => idp.issueToken({ sub: 'alice', scope: 'add_key' }, { expiresIn: now() - 120 })],
      ['a token not yet valid', () => idp.issueToken({ sub: 'alice', scope: 'add_key' }, { notBefore: now() + 300 })],
      ['a token of the wrong issuer', () => idp.issueToken({ sub: 'alice', scope: 'add_key' }, { issuer: 'https://evil.example' })],
      ['a token for another audience', () => idp.issueToken({ sub: 'alice', scope: 'add_key' }, { audience: 'other-service' })],
      ['a token without sub', () => idp.issueToken({ scope: 'add_key' })],
      [
        'an alg: none token',
        async () =>
          new UnsecuredJWT({ sub: 'alice', scope: 'add_key' }).setIssuer(idp.issuer).setAudience(idp.audience).setExpirationTime('5m').encode(),
      ],
      [
        'an HMAC token (signed with the public JWK as secret)',
        async () => {
          const jwks = (await (await fetch(idp.jwksUrl)).json()) as { keys: { kid: string }[] };
          const secret = new TextEncoder().encode(JSON.stringify(jwks.keys[0]));
          return new SignJWT({ sub: 'alice', scope: 'add_key' })
            .setProtectedHeader({ alg: 'HS256', kid: jwks.keys[0].kid })
            .setIssuer(idp.issuer)
            .setAudience(idp.audience)
            .setExpirationTime('5m')
            .sign(secret);
        },
      ],
      [
        'a token with a forged signature',
        async () => {
          const [header, payload] = (await idp.issueToken({ sub: 'alice', scope: 'add_key' })).split('.');
          const forgedPayload = base64url.encode(JSON.stringify({ ...JSON.parse(Buffer.from(payload, 'base64url').toString()), sub: 'mallory' }));
          const [, , signature] = (await idp.issueToken({ sub: 'alice', scope: 'add_key' })).split('.');
          return `${header}.${forgedPayload}.${signature}`;
        },
      ],
      ['a tenant API key', async () => 'ks_' + 'a'.repeat(43)],
    ];

    it.each(cases)('%s', async (_case, makeToken) => {
      const token = await makeToken();
      for (const call of [() => request(testApp.http).get('/keys'), () => request(testApp.http).post('/keys/register').send({ name: 'x' })]) {
        const res = token ? await call().set('authorization', `Bearer ${token}`) : await call();
        expectEnvelope(res, 401);
        expect(res.body.message).toBe('Invalid or missing access token');
      }
    });

    it('but accepts a token expired within the 60 s leeway, signed RS256 or ES256', async () => {
      const nearlyExpired = await idp.issueToken({ sub: 'leeway', scope: 'add_key' }, { expiresIn: now() - 30 });
      expectEnvelope(await list(nearlyExpired), 200);
      expectEnvelope(await list(await idp.issueToken({ sub: 'rsa-user' }, { alg: 'RS256' })), 200);
    });
  });
});
