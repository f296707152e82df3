import { generateKeyPairSync, randomBytes, randomUUID } from 'node:crypto';
import { importJWK, jwtVerify, SignJWT, type JWK } from 'jose';
import request from 'supertest';
import { expectEnvelope, startTestApp, type TestApp, type TestTenant } from './support/test-app';

describe('POST /key/import and POST /key/import/:id', () => {
  let testApp: TestApp;
  let tenant: TestTenant;

  beforeAll(async () => {
    testApp = await startTestApp();
    tenant = await testApp.createTenant('importer');
  });
  afterAll(() => testApp.close());

  const importKey = (body: object, path = '/key/import') => request(testApp.http).post(path).set(tenant.headers).send(body);
  const verify = (token: string) => request(testApp.http).post('/key/verify').set(tenant.headers).send({ token });
  const pems = (pair: { publicKey: import('node:crypto').KeyObject; privateKey: import('node:crypto').KeyObject }) => ({
    publicKey: pair.publicKey.export({ format: 'pem', type: 'spki' }) as string,
    privateKey: pair.privateKey.export({ format: 'pem', type: 'pkcs8' }) as string,
  });

  it('a public key only: a token signed outside with jose verifies, but the key cannot sign', async () => {
    const pair = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    const res = await importKey({ name: 'partner', publicKey: pems(pair).publicKey, issuer: 'https://partner.example' });
    expectEnvelope(res, 200);
    const key = res.body.data;
    expect(key).toMatchObject({ algorithm: 'ES256', type: 'EC', curve: 'P-256', hasPrivateKey: false, status: 'active' });
    const outside = await new SignJWT({ sub: 'partner-user' }).setProtectedHeader({ alg: 'ES256', kid: key.kid }).setIssuer('https://partner.example').sign(pair.privateKey);
    const verified = await verify(outside);
    expectEnvelope(verified, 200);
    expect(verified.body.data).toMatchObject({ keyId: key.id, payload: { sub: 'partner-user' } });
    const refused = await request(testApp.http).post(`/key/${key.id}/sign`).set(tenant.headers).send({ payload: {} });
    expectEnvelope(refused, 409);
    expect(refused.body.message).toBe('Key has no private key and cannot sign');
  });

  it.each<[string, () => import('node:crypto').KeyPairKeyObjectResult, string | undefined, { privateKey?: string }]>([
    ['RSA (PKCS#1 private PEM)', () => generateKeyPairSync('rsa', { modulusLength: 2048 }), 'PS384', { privateKey: 'pkcs1' }],
    ['EC P-384', () => generateKeyPairSync('ec', { namedCurve: 'secp384r1' }), undefined, {}],
    ['Ed25519', () => generateKeyPairSync('ed25519'), undefined, {}],
  ])('a private key (%s): the public key is derived, and the key signs', async (_case, makePair, algorithm, options) => {
    const pair = makePair();
    const privateKey = options.privateKey === 'pkcs1'
      ? (pair.privateKey.export({ format: 'pem', type: 'pkcs1' }) as string)
      : pems(pair).privateKey;
    const res = await importKey({ name: 'own', privateKey, algorithm });
    expectEnvelope(res, 200);
    const key = res.body.data;
    expect(key.hasPrivateKey).toBe(true);
    expect(key.publicKey).toBe(pems(pair).publicKey);
    const { token } = (await request(testApp.http).post(`/key/${key.id}/sign`).set(tenant.headers).send({ payload: { n: 1 } })).body.data;
    expect((await jwtVerify(token, pair.publicKey, { algorithms: [key.algorithm] })).payload.n).toBe(1);
    expect(key.algorithm).toBe(algorithm ?? (key.type === 'OKP' ? 'EdDSA' : 'ES384'));
  });

  it('a private JWK, with the id in the path; the kid is recomputed as the thumbprint', async () => {
    const pair = generateKeyPairSync('ec', { namedCurve: 'secp521r1' });
    const jwk = { ...(pair.privateKey.export({ format: 'jwk' }) as JWK), kid: 'their-own-kid' };
    const id = randomUUID();
    const res = await importKey({ name: 'jwk', jwk }, `/key/import/${id}`);
    expectEnvelope(res, 200);
    expect(res.body.data).toMatchObject({ id, algorithm: 'ES512', hasPrivateKey: true });
    expect(res.body.data.kid).not.toBe('their-own-kid');
    expect(JSON.stringify(res.body)).not.toContain(jwk.d);
    expectEnvelope(await importKey({ name: 'again', jwk }, `/key/import/${id}`), 409);
  });

  it('an HMAC secret: signs and verifies, and is never shown', async () => {
    const secret = randomBytes(48).toString('base64url');
    const res = await importKey({ name: 'shared', secret, algorithm: 'HS384' });
    expectEnvelope(res, 200);
    expect(res.body.data).toMatchObject({ type: 'HMAC', algorithm: 'HS384', publicKey: null, jwk: null });
    expect(JSON.stringify(res.body)).not.toContain(secret);
    const outside = await new SignJWT({ sub: 's' }).setProtectedHeader({ alg: 'HS384', kid: res.body.data.kid }).sign(Buffer.from(secret, 'base64url'));
    expectEnvelope(await verify(outside), 200);
    const [row] = await testApp.dataSource.query('SELECT private_key_sealed FROM tenant_keys WHERE id = $1', [res.body.data.id]);
    expect((row.private_key_sealed as Buffer).includes(Buffer.from(secret, 'base64url'))).toBe(false);
  });

  describe('answers 400 naming the field', () => {
    const rsa1024 = () => generateKeyPairSync('rsa', { modulusLength: 1024 });
    const ec = () => generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    it.each([
      ['no key at all', () => ({ name: 'n' }), 'publicKey', 'one of publicKey, privateKey, jwk or secret is required'],
      ['garbage PEM', () => ({ name: 'n', publicKey: '-----BEGIN PUBLIC KEY-----\nnope\n-----END PUBLIC KEY-----' }), 'publicKey', 'publicKey must be an unencrypted SPKI or PKCS#1 PEM'],
      ['an encrypted private PEM', () => ({
        name: 'n',
        privateKey: ec().privateKey.export({ format: 'pem', type: 'pkcs8', cipher: 'aes-256-cbc', passphrase: 'pw' }),
      }), 'privateKey', 'privateKey must not be encrypted'],
      ['a mismatched pair', () => ({ name: 'n', publicKey: pems(ec()).publicKey, privateKey: pems(ec()).privateKey }), 'privateKey', 'privateKey does not match publicKey'],
      ['RS256 on an EC key', () => ({ name: 'n', algorithm: 'RS256', publicKey: pems(ec()).publicKey }), 'algorithm', 'algorithm RS256 does not fit a key of type ec'],
      ['the wrong curve', () => ({ name: 'n', algorithm: 'ES384', publicKey: pems(ec()).publicKey }), 'algorithm', "algorithm ES384 (the key's curve wants ES256) does not fit a key of type ec"],
      ['RSA under 2048 bits', () => ({ name: 'n', publicKey: pems(rsa1024()).publicKey }), 'publicKey', 'RSA keys must have at least 2048 bits, this one has 1024'],
      ['a short HMAC secret', () => ({ name: 'n', secret: randomBytes(16).toString('base64url') }), 'secret', 'secret must be at least 32 bytes for HS256'],
      ['a secret with ES256', () => ({ name: 'n', secret: randomBytes(32).toString('base64url'), algorithm: 'ES256' }), 'algorithm', 'algorithm ES256 does not fit an HMAC secret'],
      ['an oct JWK', () => ({ name: 'n', jwk: { kty: 'oct', k: randomBytes(32).toString('base64url') } }), 'jwk', 'jwk must be an RSA, EC or OKP key; give HMAC secrets as secret'],
      ['a broken JWK', () => ({ name: 'n', jwk: { kty: 'EC', crv: 'P-256', x: 'AA', y: 'AA' } }), 'jwk', 'jwk is not a valid RSA, EC or OKP key'],
      ['jwk and PEM together', () => ({ name: 'n', jwk: ec().publicKey.export({ format: 'jwk' }), publicKey: pems(ec()).publicKey }), 'jwk', 'jwk cannot be combined with PEM keys or a secret'],
    ])('for %s', async (_case, body, field, message) => {
      const res = await importKey(body());
      expectEnvelope(res, 400);
      expect(res.body.errors).toEqual([{ field, message }]);
    });
  });

  it('keeps imported public keys out of reach of other tenants', async () => {
    const pair = generateKeyPairSync('ed25519');
    const key = (await importKey({ name: 'private-to-me', publicKey: pems(pair).publicKey })).body.data;
    const other = await testApp.createTenant('other');
    expectEnvelope(await request(testApp.http).get(`/key/${key.id}`).set(other.headers), 404);
    const outside = await new SignJWT({}).setProtectedHeader({ alg: 'EdDSA', kid: key.kid }).sign(pair.privateKey);
    const res = await request(testApp.http).post('/key/verify').set(other.headers).send({ token: outside });
    expect(res.body.message).toBe('Token rejected: unknown kid');
    expect(await importJWK(key.jwk, 'EdDSA')).toBeTruthy();
  });
});
