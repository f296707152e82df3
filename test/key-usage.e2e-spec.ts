import { execFileSync } from 'node:child_process';
import { createHash, createPublicKey, randomUUID, X509Certificate } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { createRemoteJWKSet, decodeProtectedHeader, importJWK, jwtVerify, SignJWT, type JWK } from 'jose';
import request from 'supertest';
import { keyClient } from './support/key-client';
import { expectEnvelope, startTestApp, type TestApp, type TestTenant } from './support/test-app';

/** `openssl verify -CAfile c.pem c.pem`: OpenSSL takes the certificate as its own trust anchor and issuer. */
function opensslVerifiesSelfSigned(pem: string): boolean {
  const dir = mkdtempSync(join(tmpdir(), 'cert-'));
  try {
    const file = join(dir, 'c.pem');
    writeFileSync(file, pem);
    return execFileSync('openssl', ['verify', '-CAfile', file, file], { encoding: 'utf8' }).trim() === `${file}: OK`;
  } catch {
    return false;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('keys that do their job: JWKS, sign, verify, rotate', () => {
  let testApp: TestApp;
  let tenant: TestTenant;
  let baseUrl: string;

  beforeAll(async () => {
    testApp = await startTestApp();
    tenant = await testApp.createTenant('issuer-co');
    await testApp.app.listen(0, '127.0.0.1');
    baseUrl = `http://127.0.0.1:${(testApp.http.address() as AddressInfo).port}`;
  });
  afterAll(() => testApp.close());

  const keys = (who = tenant) => keyClient(testApp, who);

  describe('more algorithms', () => {
    it.each(['PS256', 'PS384', 'PS512', 'EdDSA'])('%s: signs through the API; the returned JWK and PEM verify', async (algorithm) => {
      const key = await keys().generate({ algorithm, name: algorithm, issuer: 'https://issuer.example' });
      expect(key.type).toBe(algorithm === 'EdDSA' ? 'OKP' : 'RSA');
      if (algorithm === 'EdDSA') expect(key).toMatchObject({ curve: 'Ed25519', jwk: { kty: 'OKP', crv: 'Ed25519', alg: 'EdDSA' } });
      const token = await keys().sign(key.id, { payload: { sub: 'alice' } });
      expect(decodeProtectedHeader(token)).toMatchObject({ alg: algorithm, kid: key.kid });
      const viaJwk = await jwtVerify(token, await importJWK(key.jwk!, algorithm));
      const viaPem = await jwtVerify(token, createPublicKey(key.publicKey!));
      expect([viaJwk.payload.sub, viaPem.payload.iss]).toEqual(['alice', 'https://issuer.example']);
    });

    it.each(['HS256', 'HS384', 'HS512'])('%s: a secret that is never shown, usable only through sign and verify', async (algorithm) => {
      const key = await keys().generate({ algorithm, name: algorithm });
      expect(key).toMatchObject({ type: 'HMAC', length: Number(algorithm.slice(2)), publicKey: null, jwk: null, hasPrivateKey: true });
      const token = await keys().sign(key.id, { payload: { sub: 'svc' } });
      const verified = await keys().send.verify(token);
      expectEnvelope(verified, 200);
      expect(verified.body.data).toMatchObject({ valid: true, keyId: key.id, header: { alg: algorithm }, payload: { sub: 'svc' } });
      const set = await keys().send.jwks();
      expect(set.body.keys.map((k: JWK) => k.kid)).not.toContain(key.kid);
      expect(JSON.stringify([key, set.body])).not.toMatch(/"k":/);
    });
  });

  describe('GET /tenants/:tenantId/.well-known/jwks.json and GET /.well-known/jwks.json', () => {
    it('answer a plain, cacheable JWK set of the public keys, with no private parts', async () => {
      const own = await testApp.createTenant('jwks-tenant');
      const es = await keys(own).generate({ algorithm: 'ES256', name: 'es' });
      const rs = await keys(own).generate({ algorithm: 'RS256', name: 'rs' });
      await keys(own).generate({ algorithm: 'HS256', name: 'hs' });
      const res = await keys().send.jwks(own.tenantId);
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ keys: [es.jwk, rs.jwk] });
      expect(res.headers['cache-control']).toBe('public, max-age=300');
      expect(res.headers.etag).toMatch(/^"[A-Za-z0-9_-]+"$/);
      expect(JSON.stringify(res.body)).not.toMatch(/"(d|p|q|dp|dq|qi|k)":/);

      const byHeader = await request(testApp.http).get('/.well-known/jwks.json').set('x-stencil-tenantid', own.tenantId);
      expect(byHeader.body).toEqual(res.body);
      expect(byHeader.headers.etag).toBe(res.headers.etag);
    });

    it('answer 304 to a matching If-None-Match, and a new ETag once the set changes', async () => {
      const own = await testApp.createTenant('etag-tenant');
      await keys(own).generate({ algorithm: 'ES256', name: 'first' });
      const first = await keys().send.jwks(own.tenantId);
      const cached = await keys().send.jwks(own.tenantId).set('if-none-match', first.headers.etag);
      expect(cached.status).toBe(304);
      expect(cached.text).toBe('');
      await keys(own).generate({ algorithm: 'ES256', name: 'second' });
      const changed = await keys().send.jwks(own.tenantId).set('if-none-match', first.headers.etag);
      expect(changed.status).toBe(200);
      expect(changed.headers.etag).not.toBe(first.headers.etag);
      expect(changed.body.keys).toHaveLength(2);
    });

    it('answer a cached set exactly as the first, uncached answer was given (headers, body, 304 on a list of tags)', async () => {
      const own = await testApp.createTenant('fast-path');
      await keys(own).generate({ algorithm: 'ES256', name: 'k' });
      const first = await keys().send.jwks(own.tenantId).set('x-request-id', 'first-call');
      const cached = await keys().send.jwks(own.tenantId).set('x-request-id', 'second-call');
      const pick = (res: request.Response) => ({
        type: res.headers['content-type'],
        cache: res.headers['cache-control'],
        etag: res.headers.etag,
        length: res.headers['content-length'],
      });
      expect(pick(cached)).toEqual(pick(first));
      expect(cached.text).toBe(first.text);
      expect([first.headers['x-request-id'], cached.headers['x-request-id']]).toEqual(['first-call', 'second-call']);
      const listed = await keys().send.jwks(own.tenantId).set('if-none-match', `"other", W/${first.headers.etag}`);
      expect(listed.status).toBe(304);
    });

    it('answer 404 in the envelope for an unknown tenant, 400 for a malformed one', async () => {
      const unknown = await keys().send.jwks(randomUUID());
      expectEnvelope(unknown, 404);
      expect(unknown.body.code).toBe('TENANT_NOT_FOUND');
      for (const malformed of [await keys().send.jwks('acme'), await request(testApp.http).get('/.well-known/jwks.json')]) {
        expectEnvelope(malformed, 400);
        expect(malformed.body).toMatchObject({
          code: 'VALIDATION_FAILED',
          errors: [{ field: expect.stringMatching(/^(tenantId|x-stencil-tenantid)$/) }],
        });
      }
    });

    it("work with jose's createRemoteJWKSet pointed at the running service", async () => {
      const key = await keys().generate({ algorithm: 'ES384', name: 'remote', issuer: 'https://issuer.example' });
      const token = await keys().sign(key.id, { payload: { sub: 'bob' }, expiresIn: 60 });
      const remote = createRemoteJWKSet(new URL(`${baseUrl}/tenants/${tenant.tenantId}/.well-known/jwks.json`));
      const { payload } = await jwtVerify(token, remote, { issuer: 'https://issuer.example' });
      expect(payload.sub).toBe('bob');
    });
  });

  describe('POST /key/:id/sign', () => {
    it('signs the claims exactly as sent, those named like Object members included, nested or not, and cty', async () => {
      const key = await keys().generate({ algorithm: 'ES256', name: 'claims as sent' });
      const claims = { toString: 'a', valueOf: 1, hasOwnProperty: true, constructor: 'c', nested: { constructor: { prototype: 2 }, toString: [1] } };
      const res = await keys().send.sign(key.id, { payload: claims, header: { cty: 'JWT' } });
      expectEnvelope(res, 200);
      const { payload, protectedHeader } = await jwtVerify(res.body.data.token, await importJWK(key.jwk!, 'ES256'));
      expect(payload).toMatchObject(claims);
      expect(protectedHeader.cty).toBe('JWT');
    });

    it('sets kid, alg, iat and exp, and iss from the key unless the payload has one', async () => {
      const key = await keys().generate({ algorithm: 'ES256', name: 'signer', issuer: 'https://default.example' });
      const before = Math.floor(Date.now() / 1000);
      const res = await keys().send.sign(key.id, { payload: { sub: 'carol', scope: 'read' }, header: { typ: 'at+jwt' }, expiresIn: 120 });
      expectEnvelope(res, 200);
      const { payload, protectedHeader } = await jwtVerify(res.body.data.token, await importJWK(key.jwk!, 'ES256'), { typ: 'at+jwt' });
      expect(protectedHeader).toEqual({ alg: 'ES256', kid: key.kid, typ: 'at+jwt' });
      expect(payload).toMatchObject({ sub: 'carol', scope: 'read', iss: 'https://default.example' });
      expect(payload.iat).toBeGreaterThanOrEqual(before);
      expect(payload.exp).toBe(payload.iat! + 120);
      const own = await keys().send.sign(key.id, { payload: { iss: 'https://other.example' } });
      expect((await jwtVerify(own.body.data.token, await importJWK(key.jwk!, 'ES256'))).payload.iss).toBe('https://other.example');
    });

    it('without expiresIn the token expires after DEFAULT_TOKEN_LIFETIME_SECONDS; a payload exp stands; expiresIn: null means no exp', async () => {
      const key = await keys().generate({ algorithm: 'EdDSA', name: 'lifetimes' });
      const claims = async (body: Record<string, unknown>) => {
        const res = await keys().send.sign(key.id, body);
        expectEnvelope(res, 200);
        return (await jwtVerify(res.body.data.token, await importJWK(key.jwk!, 'EdDSA'))).payload;
      };
      const defaulted = await claims({ payload: { sub: 'd' } });
      expect(defaulted.exp).toBe(defaulted.iat! + 3600);
      const ownExp = Math.floor(Date.now() / 1000) + 77;
      expect((await claims({ payload: { exp: ownExp } })).exp).toBe(ownExp);
      expect(await claims({ payload: { sub: 'forever' }, expiresIn: null })).not.toHaveProperty('exp');
    });

    it('DEFAULT_TOKEN_LIFETIME_SECONDS sets the default lifetime', async () => {
      const shortLived = await startTestApp({ DEFAULT_TOKEN_LIFETIME_SECONDS: '90' }, testApp);
      try {
        const key = await keys().generate({ algorithm: 'ES256', name: 'configured-lifetime' });
        const res = await request(shortLived.http).post(`/key/${key.id}/sign`).set(tenant.headers).send({ payload: {} });
        expectEnvelope(res, 200);
        const { payload } = await jwtVerify(res.body.data.token, await importJWK(key.jwk!, 'ES256'));
        expect(payload.exp).toBe(payload.iat! + 90);
      } finally {
        await shortLived.close();
      }
    });

    it.each<[Record<string, unknown>, string, string]>([
      [{}, 'payload', 'payload must be a JSON object'],
      [{ payload: 'x' }, 'payload', 'payload must be a JSON object'],
      ...['alg', 'kid', 'Kid', 'ALG', 'zip', 'crit', 'jku', 'x5c', 'sub'].map((name): [object, string, string] => [
        { payload: {}, header: { [name]: 'x' } },
        `header.${name}`,
        `header.${name} is not allowed: a signing request sets only typ and cty`,
      ]),
      [{ payload: {}, expiresIn: 0 }, 'expiresIn', 'expiresIn must be at least 1 second'],
      [{ payload: {}, privateKey: true }, 'privateKey', 'property privateKey should not exist'],
    ])('answers 400 for %j', async (body, field, message) => {
      const key = await keys().generate({ algorithm: 'ES256', name: 'strict' });
      const res = await keys().send.sign(key.id, body);
      expectEnvelope(res, 400);
      expect(res.body.errors).toEqual(expect.arrayContaining([{ field, message }]));
    });

    it("answers 404 for another tenant's key", async () => {
      const key = await keys().generate({ algorithm: 'ES256', name: 'mine' });
      const other = await testApp.createTenant('other');
      expectEnvelope(await keys(other).send.sign(key.id, { payload: {} }), 404);
    });
  });

  describe('POST /key/verify', () => {
    it('answers the header, payload and key id of a good token', async () => {
      const key = await keys().generate({ algorithm: 'RS256', name: 'verifier' });
      const token = await keys().sign(key.id, { payload: { sub: 'dave' } });
      const res = await keys().send.verify(token);
      expectEnvelope(res, 200);
      expect(res.body.data).toEqual({
        valid: true,
        header: { alg: 'RS256', kid: key.kid, typ: 'JWT' },
        payload: expect.objectContaining({ sub: 'dave' }),
        keyId: key.id,
      });
    });

    it("answers 400 'bad signature' for a token whose payload was changed", async () => {
      const key = await keys().generate({ algorithm: 'ES256', name: 'tampered' });
      const token = await keys().sign(key.id, { payload: { n: 1 } });
      const [h, , sig] = token.split('.');
      const tampered = `${h}.${Buffer.from(JSON.stringify({ n: 2 })).toString('base64url')}.${sig}`;
      const res = await keys().send.verify(tampered);
      expectEnvelope(res, 400);
      expect(res.body.message).toBe('Token rejected: bad signature');
    });

    it.each([
      [
        'expired',
        async (key: { id: string }) => {
          const token = await keys().sign(key.id, { payload: { exp: Math.floor(Date.now() / 1000) - 3600 } });
          return token;
        },
        'Token rejected: expired',
      ],
      [
        'unknown kid',
        async () => {
          const { privateKey } = await import('node:crypto').then((c) => c.generateKeyPairSync('ec', { namedCurve: 'prime256v1' }));
          return new SignJWT({}).setProtectedHeader({ alg: 'ES256', kid: 'nobody' }).sign(privateKey);
        },
        'Token rejected: unknown kid',
      ],
      ['malformed', async () => 'not-a-token', 'Token rejected: malformed token'],
      [
        "another tenant's token",
        async () => {
          const other = await testApp.createTenant('foreign');
          const foreign = await keys(other).generate({ algorithm: 'ES256', name: 'foreign' });
          return await keys(other).sign(foreign.id, { payload: {} });
        },
        'Token rejected: unknown kid',
      ],
    ])('answers 400 with the reason for %s', async (_case, makeToken, message) => {
      const key = await keys().generate({ algorithm: 'ES256', name: 'reasons' });
      const res = await keys().send.verify(await makeToken(key));
      expectEnvelope(res, 400);
      expect(res.body.message).toBe(message);
    });
  });

  describe('POST /key/:id/rotate', () => {
    it('makes a like-for-like successor; the old key verifies and stays in the JWKS but no longer signs', async () => {
      const old = await keys().generate({ algorithm: 'RS384', name: 'rotating', issuer: 'https://rot.example', length: 3072 });
      const oldToken = await keys().sign(old.id, { payload: { sub: 'before' } });
      const res = await keys().send.rotate(old.id, { gracePeriodSeconds: 3600 });
      expectEnvelope(res, 200);
      const successor = res.body.data;
      expect(successor).toMatchObject({
        algorithm: 'RS384',
        length: 3072,
        issuer: 'https://rot.example',
        name: 'rotating',
        status: 'active',
        rotatedFrom: old.id,
      });
      expect(successor.id).not.toBe(old.id);
      const retiring = await keys().get(old.id);
      expect(retiring).toMatchObject({ status: 'retiring', rotatedTo: successor.id });
      expect(Date.parse(retiring.retireAt!) - Date.now()).toBeGreaterThan(3500 * 1000);

      expectEnvelope(await keys().send.verify(oldToken), 200);
      expect((await keys().jwks()).keys.map((k: JWK) => k.kid)).toEqual(expect.arrayContaining([old.kid, successor.kid]));
      const refused = await keys().send.sign(old.id, { payload: {} });
      expectEnvelope(refused, 409);
      expect(refused.body.message).toBe('Key is retiring and no longer signs');
      expectEnvelope(await keys().send.sign(successor.id, { payload: {} }), 200);
      expectEnvelope(await keys().send.rotate(old.id, {}), 409);
    });

    it('with gracePeriodSeconds 0 retires the old key at once: out of the JWKS, refused by verify', async () => {
      const old = await keys().generate({ algorithm: 'ES256', name: 'short-lived' });
      const oldToken = await keys().sign(old.id, { payload: {} });
      const res = await keys().send.rotate(old.id, { gracePeriodSeconds: 0 });
      expectEnvelope(res, 200);
      expect((await keys().get(old.id)).status).toBe('retired');
      expect((await keys().jwks()).keys.map((k: JWK) => k.kid)).not.toContain(old.kid);
      const refused = await keys().send.verify(oldToken);
      expectEnvelope(refused, 400);
      expect(refused.body.message).toBe('Token rejected: key retired');
    });

    it('defaults to a 24 h grace period and answers 404 for an unknown key', async () => {
      const old = await keys().generate({ algorithm: 'EdDSA', name: 'default-grace' });
      await keys().rotate(old.id);
      const retiring = await keys().get(old.id);
      const hours = (Date.parse(retiring.retireAt!) - Date.now()) / 3_600_000;
      expect(hours).toBeGreaterThan(23.9);
      expect(hours).toBeLessThanOrEqual(24);
      expectEnvelope(await keys().send.rotate(randomUUID(), {}), 404);
      expectEnvelope(await keys().send.rotate(old.id, { gracePeriodSeconds: -1 }), 400);
    });
  });

  describe('/keys trusts tokens signed by an active tenant key', () => {
    it('lets a tenant admin mint a user token and the user register and list keys, within that tenant', async () => {
      const key = await keys().generate({ algorithm: 'ES256', name: 'user-tokens', issuer: 'https://login.issuer-co.example' });
      const mint = async (sub: string, scope: string, who = tenant, id = key.id) =>
        await keys(who).sign(id, { payload: { sub, scope }, expiresIn: 300 });
      const token = await mint('user-1', 'add_key');
      const registered = await request(testApp.http).post('/keys/register').set('authorization', `Bearer ${token}`).send({ name: 'phone' });
      expectEnvelope(registered, 200);
      expect(registered.body.data.ownerId).toBe('user-1');
      const listed = await request(testApp.http)
        .get('/keys')
        .set('authorization', `Bearer ${await mint('user-1', '')}`);
      expect(listed.body.data.map((k: { id: string }) => k.id)).toEqual([registered.body.data.id]);
      expectEnvelope(
        await request(testApp.http)
          .post('/keys/register')
          .set('authorization', `Bearer ${await mint('user-1', 'read')}`)
          .send({ name: 'x' }),
        403,
      );

      // The same sub vouched for by another tenant's key is another user.
      const other = await testApp.createTenant('other-issuer');
      const otherKey = await keys(other).generate({ algorithm: 'ES256', name: 'other-tokens', issuer: 'https://login.other.example' });
      const foreign = await request(testApp.http)
        .get('/keys')
        .set('authorization', `Bearer ${await mint('user-1', '', other, otherKey.id)}`);
      expectEnvelope(foreign, 200);
      expect(foreign.body.data).toEqual([]);
    });

    it('keeps accepting tokens of a retiring key; refuses a retired key, the wrong issuer, and HMAC', async () => {
      const key = await keys().generate({ algorithm: 'ES256', name: 'retiring-tokens', issuer: 'https://retiring.example' });
      const token = await keys().sign(key.id, { payload: { sub: 'u' } });
      expectEnvelope(await request(testApp.http).get('/keys').set('authorization', `Bearer ${token}`), 200);
      const wrongIssuer = await keys().sign(key.id, { payload: { sub: 'u', iss: 'https://evil.example' } });
      expectEnvelope(await request(testApp.http).get('/keys').set('authorization', `Bearer ${wrongIssuer}`), 401);
      const hmac = await keys().generate({ algorithm: 'HS256', name: 'hmac', issuer: 'https://hmac.example' });
      const hmacToken = await keys().sign(hmac.id, { payload: { sub: 'u' } });
      expectEnvelope(await request(testApp.http).get('/keys').set('authorization', `Bearer ${hmacToken}`), 401);
      await keys().rotate(key.id, { gracePeriodSeconds: 3600 });
      expectEnvelope(await request(testApp.http).get('/keys').set('authorization', `Bearer ${token}`), 200);
      const successor = (await keys().get(key.id)).rotatedTo;
      const successorToken = await keys().sign(successor!, { payload: { sub: 'u' } });
      await keys().rotate(successor!, { gracePeriodSeconds: 0 });
      expectEnvelope(await request(testApp.http).get('/keys').set('authorization', `Bearer ${successorToken}`), 401);
    });
  });

  describe('certificates', () => {
    it.each(['RS256', 'PS384', 'ES256', 'ES512', 'EdDSA'])(
      '%s with certificate: true: a self-signed certificate that openssl verifies, x5c and x5t#S256 in the view and the JWKS',
      async (algorithm) => {
        const key = await keys().generate({
          algorithm,
          name: 'with cert',
          issuer: 'https://certs.example',
          certificate: true,
          certificateValidityDays: 90,
        });
        const certificate = new X509Certificate(key.certificate!);
        expect(certificate.publicKey.equals(createPublicKey(key.publicKey!))).toBe(true);
        expect(certificate.verify(createPublicKey(key.publicKey!))).toBe(true);
        expect(certificate.subject).toBe('CN=with cert\nO=https://certs.example');
        expect(certificate.issuer).toBe(certificate.subject);
        expect(certificate.checkIssued(certificate)).toBe(true);
        expect(opensslVerifiesSelfSigned(key.certificate!)).toBe(true);
        expect(Math.round((Date.parse(certificate.validTo) - Date.parse(certificate.validFrom)) / 86_400_000)).toBe(90);
        const members = { x5c: [certificate.raw.toString('base64')], 'x5t#S256': createHash('sha256').update(certificate.raw).digest('base64url') };
        expect(key.jwk).toMatchObject(members);
        expect(key.certificateExpiresAt).toBe(new Date(certificate.validTo).toISOString());
        const published = (await keys().jwks()).keys.find((k: JWK) => k.kid === key.kid);
        expect(published).toEqual(key.jwk);
        expect((await keys().get(key.id)).jwk).toEqual(key.jwk);
      },
    );

    it('rotation keeps a certificate for the successor', async () => {
      const old = await keys().generate({ algorithm: 'ES384', name: 'cert-rotating', certificate: true });
      const res = await keys().send.rotate(old.id, {});
      expectEnvelope(res, 200);
      const certificate = new X509Certificate(res.body.data.certificate);
      expect(certificate.publicKey.equals(createPublicKey(res.body.data.publicKey))).toBe(true);
      const plain = await keys().generate({ algorithm: 'ES256', name: 'no-cert' });
      const rotatedWithCert = await keys().send.rotate(plain.id, { certificate: true });
      expect(rotatedWithCert.body.data.certificate).toMatch(/^-----BEGIN CERTIFICATE-----/);
      expect(plain.certificate).toBeNull();
    });

    it.each([
      [{ algorithm: 'HS256', name: 'n', certificate: true }, 'certificate', 'certificate is available for RSA, EC, EdDSA and ML-DSA keys only'],
      [{ algorithm: 'ES256', name: 'n', certificate: 'yes' }, 'certificate', 'certificate must be true or false'],
      [
        { algorithm: 'ES256', name: 'n', certificate: true, certificateValidityDays: 0 },
        'certificateValidityDays',
        'certificateValidityDays must be 1 to 3650',
      ],
    ])('answers 400 for %j', async (body, field, message) => {
      const res = await request(testApp.http).post('/key/generate').set(tenant.headers).send(body);
      expectEnvelope(res, 400);
      expect(res.body.errors).toEqual([{ field, message }]);
    });
  });
});
