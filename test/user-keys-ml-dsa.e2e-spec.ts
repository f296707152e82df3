import { createPrivateKey, createPublicKey, generateKeyPairSync, randomBytes, sign, verify, type KeyObject } from 'node:crypto';
import { base64url, importJWK, jwtVerify, type JWK } from 'jose';
import request from 'supertest';
import { runtimeSupportsMlDsa } from '../src/crypto/ml-dsa-runtime';
import { describeNotRunHere } from './support/ml-dsa';
import { startIdentityProvider, type IdentityProvider } from './support/identity-provider';
import { expectEnvelope, startTestApp, type TestApp } from './support/test-app';

/** Node makes ML-DSA keys from 24.7 on; on an older Node the service must refuse them with a 400. */
const runtimeHasMlDsa = runtimeSupportsMlDsa();

const PARAMETER_SETS = [44, 65, 87] as const;
type ParameterSet = (typeof PARAMETER_SETS)[number];
const PUBLIC_BYTES: Record<ParameterSet, number> = { 44: 1312, 65: 1952, 87: 2592 };
const FORMATS = ['hex', 'pem', 'jwk'] as const;

describe('/keys with keyType ml-dsa', () => {
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
  const importKey = (token: string, body: object) => request(testApp.http).post('/keys/import').set('authorization', `Bearer ${token}`).send(body);
  const list = (token: string, query = '') => request(testApp.http).get(`/keys${query}`).set('authorization', `Bearer ${token}`);
  const listed = async (token: string, id: string, format: string) =>
    (await list(token, `?format=${format}`)).body.data.find((key: { id: string }) => key.id === id);

  (runtimeHasMlDsa ? describe : describeNotRunHere)(`on a Node with ML-DSA (${process.version})`, () => {
    /** The private key as the answer shows it, read back into a KeyObject; hex is the seed, which needs `pub` beside it. */
    function privateKeyShown(
      format: (typeof FORMATS)[number],
      parameterSet: ParameterSet,
      shown: { privateKey: string | JWK; publicKey: string | JWK },
    ) {
      if (format === 'pem') return createPrivateKey(shown.privateKey as string);
      if (format === 'jwk') return createPrivateKey({ key: shown.privateKey as never, format: 'jwk' });
      const jwk = {
        kty: 'AKP',
        alg: `ML-DSA-${parameterSet}`,
        pub: Buffer.from(shown.publicKey as string, 'hex').toString('base64url'),
        priv: Buffer.from(shown.privateKey as string, 'hex').toString('base64url'),
      };
      return createPrivateKey({ key: jwk as never, format: 'jwk' });
    }

    /** Node signs a JWT with the private key; jose (WebCrypto), a second path, verifies it with the public key as listed. */
    async function expectSignedJwtVerifies(privateKey: KeyObject, listedJwk: JWK, parameterSet: ParameterSet) {
      const alg = `ML-DSA-${parameterSet}`;
      const input = `${base64url.encode(JSON.stringify({ alg }))}.${base64url.encode(JSON.stringify({ sub: 'alice' }))}`;
      const signature = sign(null, Buffer.from(input), privateKey);
      const { payload } = await jwtVerify(`${input}.${base64url.encode(signature)}`, await importJWK(listedJwk, alg));
      expect(payload.sub).toBe('alice');
      const forged = `${input.split('.')[0]}.${base64url.encode(JSON.stringify({ sub: 'mallory' }))}.${base64url.encode(signature)}`;
      await expect(jwtVerify(forged, await importJWK(listedJwk, alg))).rejects.toThrow('signature verification failed');
    }

    describe('POST /keys/register', () => {
      const cases = PARAMETER_SETS.flatMap((parameterSet) => FORMATS.map((format) => [parameterSet, format] as const));

      it.each(cases)('ML-DSA-%s in %s: the private key shown once signs, the registered public key verifies', async (parameterSet, format) => {
        const res = await register(aliceToken, { name: `ml-dsa ${parameterSet} ${format}`, keyType: 'ml-dsa', parameterSet, format });
        expectEnvelope(res, 200);
        expect(res.headers['cache-control']).toBe('no-store');
        const key = res.body.data;
        expect(key).toMatchObject({ keyType: 'ml-dsa', curve: null, parameterSet, ownerId: 'alice' });
        if (format === 'hex') {
          expect(key.publicKey).toMatch(new RegExp(`^[0-9a-f]{${PUBLIC_BYTES[parameterSet] * 2}}$`));
          expect(key.privateKey).toMatch(/^[0-9a-f]{64}$/);
        } else if (format === 'pem') {
          expect(key.publicKey).toMatch(/^-----BEGIN PUBLIC KEY-----\n/);
          expect(key.privateKey).toMatch(/^-----BEGIN PRIVATE KEY-----\n/);
        } else {
          expect(key.publicKey).toEqual({ kty: 'AKP', alg: `ML-DSA-${parameterSet}`, pub: expect.any(String) });
          expect(key.privateKey).toEqual({ ...key.publicKey, priv: expect.any(String) });
        }
        const privateKey = privateKeyShown(format, parameterSet, key);
        expect(privateKey.asymmetricKeyType).toBe(`ml-dsa-${parameterSet}`);

        const message = Buffer.from('register me');
        const signature = sign(null, message, privateKey);
        const listedPem = (await listed(aliceToken, key.id, 'pem')).publicKey;
        expect(verify(null, message, createPublicKey(listedPem), signature)).toBe(true);
        expect(verify(null, Buffer.from('tampered'), createPublicKey(listedPem), signature)).toBe(false);
        await expectSignedJwtVerifies(privateKey, (await listed(aliceToken, key.id, 'jwk')).publicKey, parameterSet);
      });

      it('makes ML-DSA-65 when no parameterSet is given', async () => {
        const res = await register(aliceToken, { name: 'default set', keyType: 'ml-dsa', format: 'jwk' });
        expectEnvelope(res, 200);
        expect(res.body.data).toMatchObject({ parameterSet: 65, publicKey: { kty: 'AKP', alg: 'ML-DSA-65' } });
      });

      it('never stores or shows again the private key: the row holds only the public key', async () => {
        const res = await register(aliceToken, { name: 'seed stays out', keyType: 'ml-dsa', format: 'jwk' });
        const seed = res.body.data.privateKey.priv as string;
        const [row] = await testApp.dataSource.query('SELECT * FROM user_keys WHERE id = $1', [res.body.data.id]);
        const dump = JSON.stringify(row);
        expect(dump).not.toContain('PRIVATE KEY');
        expect(dump).not.toContain(Buffer.from(seed, 'base64url').toString('hex'));
        expect(createPublicKey(row.public_key_pem).equals(createPublicKey({ key: res.body.data.publicKey, format: 'jwk' }))).toBe(true);
        for (const format of FORMATS) {
          const again = JSON.stringify((await list(aliceToken, `?format=${format}`)).body);
          expect(again).not.toContain(seed);
          expect(again).not.toMatch(/privateKey|PRIVATE KEY|"priv":/);
        }
      });

      it.each([
        [{ name: 'k', keyType: 'ml-dsa', parameterSet: 50 }, 'parameterSet', 'parameterSet must be one of 44, 65, 87'],
        [{ name: 'k', keyType: 'ml-dsa', parameterSet: '65' }, 'parameterSet', 'parameterSet must be one of 44, 65, 87'],
        [{ name: 'k', keyType: 'ecdsa', parameterSet: 65 }, 'parameterSet', 'parameterSet applies to ml-dsa keys only, not ecdsa'],
        [{ name: 'k', parameterSet: 44 }, 'parameterSet', 'parameterSet applies to ml-dsa keys only, not ecdsa'],
        [{ name: 'k', keyType: 'ml-dsa', curve: 'P-256' }, 'curve', 'curve applies to ecdsa keys only, not ml-dsa'],
      ])('answers 400 for %j', async (body, field, message) => {
        const res = await register(aliceToken, body);
        expectEnvelope(res, 400);
        expect(res.body.errors).toEqual([{ field, message }]);
      });

      it('needs the add_key scope, and stores nothing without it', async () => {
        const token = await idp.issueToken({ sub: 'reader', scope: 'openid' });
        const res = await register(token, { name: 'not allowed', keyType: 'ml-dsa' });
        expectEnvelope(res, 403);
        expect(res.body.message).toContain('add_key');
        expect((await list(token)).body.data).toEqual([]);
      });
    });

    describe('POST /keys/import', () => {
      it.each([
        ['JWK', 44, (key: KeyObject) => ({ jwk: key.export({ format: 'jwk' }) })],
        ['PEM', 87, (key: KeyObject) => ({ publicKey: key.export({ format: 'pem', type: 'spki' }) })],
        [
          'hex',
          65,
          (key: KeyObject) => ({
            keyType: 'ml-dsa',
            publicKey: Buffer.from(key.export({ format: 'jwk' }).pub as string, 'base64url').toString('hex'),
          }),
        ],
      ] as const)('registers an ML-DSA public key the user made, given in %s (ML-DSA-%s)', async (_format, parameterSet, body) => {
        const pair = generateKeyPairSync(`ml-dsa-${parameterSet}` as never);
        const res = await importKey(aliceToken, { name: 'mine', format: 'jwk', ...body(pair.publicKey) });
        expectEnvelope(res, 200);
        expect(res.body.data).toMatchObject({ keyType: 'ml-dsa', curve: null, parameterSet, ownerId: 'alice', name: 'mine' });
        expect(res.body.data.privateKey).toBeUndefined();
        expect(createPublicKey({ key: res.body.data.publicKey, format: 'jwk' }).equals(pair.publicKey)).toBe(true);
        await expectSignedJwtVerifies(pair.privateKey, res.body.data.publicKey, parameterSet);
      });

      it('accepts a matching parameterSet', async () => {
        const { publicKey } = generateKeyPairSync('ml-dsa-87' as never);
        const res = await importKey(aliceToken, { name: 'pinned', parameterSet: 87, jwk: publicKey.export({ format: 'jwk' }) });
        expectEnvelope(res, 200);
        expect(res.body.data.parameterSet).toBe(87);
      });

      const pair65 = () => generateKeyPairSync('ml-dsa-65' as never);
      it.each([
        [
          'a JWK with priv',
          () => ({ jwk: pair65().privateKey.export({ format: 'jwk' }) }),
          'jwk',
          'jwk must be a public key: never send a private key',
        ],
        [
          'an AKP JWK without alg',
          () => {
            const { kty, pub } = pair65().publicKey.export({ format: 'jwk' });
            return { jwk: { kty, pub } };
          },
          'jwk',
          'an AKP jwk must name its alg: ML-DSA-44, ML-DSA-65 or ML-DSA-87',
        ],
        [
          'an AKP JWK of an unknown alg',
          () => ({ jwk: { ...pair65().publicKey.export({ format: 'jwk' }), alg: 'ML-DSA-99' } }),
          'jwk',
          'jwk is not a valid public key',
        ],
        [
          'a wrong parameter set',
          () => ({ parameterSet: 44, jwk: pair65().publicKey.export({ format: 'jwk' }) }),
          'parameterSet',
          'parameterSet 44 does not fit the key, which is ML-DSA-65',
        ],
        [
          'a parameter set for another key type',
          () => ({ parameterSet: 44, keyType: 'ed25519', jwk: generateKeyPairSync('ed25519').publicKey.export({ format: 'jwk' }) }),
          'parameterSet',
          'parameterSet applies to ml-dsa keys only, not ed25519',
        ],
        [
          'a keyType that does not fit',
          () => ({ keyType: 'ecdsa', jwk: pair65().publicKey.export({ format: 'jwk' }) }),
          'keyType',
          'keyType ecdsa does not fit the key, which is ml-dsa',
        ],
        [
          'a PKCS#8 private PEM',
          () => ({ publicKey: pair65().privateKey.export({ format: 'pem', type: 'pkcs8' }) }),
          'publicKey',
          'publicKey must be a public key: never send a private key',
        ],
        [
          'hex of no ML-DSA size',
          () => ({ keyType: 'ml-dsa', publicKey: '11'.repeat(1000) }),
          'publicKey',
          'an ML-DSA publicKey in hex is the encoded key of 1312 (ML-DSA-44), 1952 (ML-DSA-65), 2592 (ML-DSA-87) bytes',
        ],
      ])('answers 400 for %s', async (_case, body, field, message) => {
        const res = await importKey(aliceToken, { name: 'n', ...body() });
        expectEnvelope(res, 400);
        expect(res.body.errors).toEqual([{ field, message }]);
      });

      it('needs the add_key scope', async () => {
        const token = await idp.issueToken({ sub: 'alice', scope: 'openid' });
        expectEnvelope(await importKey(token, { name: 'n', jwk: pair65().publicKey.export({ format: 'jwk' }) }), 403);
      });
    });

    describe('GET /keys', () => {
      it("lists the caller's ML-DSA public keys in each format beside the others, and no one else's", async () => {
        const carol = await idp.issueToken({ sub: 'carol', scope: 'add_key' });
        const dave = await idp.issueToken({ sub: 'dave', scope: 'add_key' });
        const ecdsa = (await register(carol, { name: 'carol ec' })).body.data;
        const mlDsa = (await register(carol, { name: 'carol pq', keyType: 'ml-dsa', parameterSet: 44, format: 'jwk' })).body.data;
        const daves = (await register(dave, { name: 'dave pq', keyType: 'ml-dsa' })).body.data;
        const publicKey = createPublicKey({ key: mlDsa.publicKey, format: 'jwk' });

        for (const format of FORMATS) {
          const res = await list(carol, `?format=${format}`);
          expectEnvelope(res, 200);
          expect(res.body.data.map((key: { id: string }) => key.id)).toEqual([ecdsa.id, mlDsa.id]);
          const [ecView, pqView] = res.body.data;
          expect(Object.keys(ecView).sort()).toEqual(['createdAt', 'curve', 'id', 'keyType', 'name', 'ownerId', 'publicKey']);
          expect(Object.keys(pqView).sort()).toEqual(['createdAt', 'curve', 'id', 'keyType', 'name', 'ownerId', 'parameterSet', 'publicKey']);
          expect(pqView).toMatchObject({ keyType: 'ml-dsa', curve: null, parameterSet: 44, ownerId: 'carol' });
          const shown =
            format === 'hex'
              ? createPublicKey({
                  key: { kty: 'AKP', alg: 'ML-DSA-44', pub: Buffer.from(pqView.publicKey, 'hex').toString('base64url') } as never,
                  format: 'jwk',
                })
              : format === 'pem'
                ? createPublicKey(pqView.publicKey)
                : createPublicKey({ key: pqView.publicKey, format: 'jwk' });
          expect(shown.equals(publicKey)).toBe(true);
          expect(JSON.stringify(res.body)).not.toMatch(/privateKey|PRIVATE KEY|"priv":/);
        }
        expect((await list(dave)).body.data.map((key: { id: string }) => key.id)).toEqual([daves.id]);
        expectEnvelope(await request(testApp.http).delete(`/keys/${mlDsa.id}`).set('authorization', `Bearer ${dave}`), 404);
        expect(await listed(carol, mlDsa.id, 'jwk')).toBeDefined();
      });
    });
  });

  (runtimeHasMlDsa ? describeNotRunHere : describe)(`on a Node without ML-DSA (${process.version})`, () => {
    const refusal = [{ field: 'keyType', message: `ML-DSA needs Node.js 24.7 or later; this service runs on ${process.version}` }];

    /** An ML-DSA-44 SPKI built by hand (this Node cannot make one): the algorithm identifier 2.16.840.1.101.3.4.3.17 and a 1312-byte key. */
    function mlDsa44SpkiPem(): string {
      const der = Buffer.concat([Buffer.from('30820532300b06096086480165030403110382052100', 'hex'), randomBytes(1312)]);
      return `-----BEGIN PUBLIC KEY-----\n${der.toString('base64').replace(/.{64}/g, '$&\n')}\n-----END PUBLIC KEY-----\n`;
    }

    it.each(FORMATS)('register answers 400 naming the Node version ML-DSA needs (format %s), and stores nothing', async (format) => {
      const res = await register(aliceToken, { name: 'too new', keyType: 'ml-dsa', parameterSet: 44, format });
      expectEnvelope(res, 400);
      expect(res.body.errors).toEqual(refusal);
      expect((await list(aliceToken)).body.data).toEqual([]);
    });

    it.each([
      ['an AKP JWK', { jwk: { kty: 'AKP', alg: 'ML-DSA-65', pub: randomBytes(1952).toString('base64url') } }],
      ['an ML-DSA SPKI PEM', { publicKey: mlDsa44SpkiPem() }],
      ['hex with keyType ml-dsa', { keyType: 'ml-dsa', publicKey: randomBytes(1952).toString('hex') }],
    ])('import of %s answers the same 400, and stores nothing', async (_case, body) => {
      const res = await importKey(aliceToken, { name: 'too new', ...body });
      expectEnvelope(res, 400);
      expect(res.body.errors).toEqual(refusal);
      expect((await list(aliceToken)).body.data).toEqual([]);
    });

    it('still registers the other key types', async () => {
      expectEnvelope(await register(aliceToken, { name: 'ec', keyType: 'ecdsa' }), 200);
    });
  });
});
