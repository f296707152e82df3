// @peculiar/x509 (to read the CSR) resolves its parts with tsyringe, which needs the Reflect metadata polyfill.
import 'reflect-metadata';
import { createHash, createPublicKey, generateKeyPairSync, randomBytes, randomUUID, X509Certificate } from 'node:crypto';
import { calculateJwkThumbprint, createLocalJWKSet, jwtVerify, SignJWT, type JWK } from 'jose';
import * as x509 from '@peculiar/x509';
import request from 'supertest';
import { cliActor } from '../src/audit/audit-trail';
import { signingKeySpec } from '../src/crypto/algorithms';
import { runtimeSupportsMlDsa } from '../src/crypto/ml-dsa-runtime';
import { describeNotRunHere } from './support/ml-dsa';
import { tenantKeyAssociatedData } from '../src/crypto/sealing';
import { SecretSealer } from '../src/sealing/secret-sealer';
import { newKeyRow } from '../src/tenant-keys/key-writes';
import { TenantKeysRepository } from '../src/tenant-keys/tenant-keys.repository';
import { TenantCacheService } from '../src/tenants/tenant-cache.service';
import { TenantsService } from '../src/tenants/tenants.service';
import { eventually } from './support/eventually';
import { keyClient } from './support/key-client';
import { createSoftHsmToken, type SoftHsmToken } from './support/softhsm';
import { expectEnvelope, startTestApp, tenantHeaders, type TestApp, type TestTenant } from './support/test-app';
import { receiverOfEveryEvent, type Receiver } from './support/webhook-receiver';

/**
 * ML-DSA (FIPS 204) tenant keys, RFC 9964's AKP: on a Node that has ML-DSA (24.7 and later) they go everywhere a key
 * goes; on an older one the service still starts and answers a 400 naming the Node they need. Both halves are
 * declared on every runtime: the half this runtime cannot run is one test named for what it did not run, which
 * checks that the runtime indeed cannot (never a silent pass, never a skip).
 */
const mlDsa = runtimeSupportsMlDsa();
const FAST = { LIFECYCLE_TICK_SECONDS: '1', DELETION_MIN_WINDOW_SECONDS: '2', WEBHOOK_ALLOW_PRIVATE_URLS: 'true' };
const PARAMETER_SETS = [44, 65, 87] as const;

/** A throwaway ML-DSA-44 private key (PKCS#8, the 32-byte seed), made on Node 24: what an older Node cannot read. */
const ML_DSA_44_PKCS8 = `-----BEGIN PRIVATE KEY-----
MDQCAQAwCwYJYIZIAWUDBAMRBCKAICNruylSeo7KjXN1U06H3Xke1zXHOXzqqYqz
SbQ6iBe/
-----END PRIVATE KEY-----
`;

describe('ML-DSA tenant keys (RFC 9964)', () => {
  let testApp: TestApp;
  let tenant: TestTenant;
  let hsm: SoftHsmToken;
  let receiver: Receiver;

  beforeAll(async () => {
    hsm = createSoftHsmToken('ml-dsa');
    testApp = await startTestApp({ ...hsm.env, ...FAST });
    tenant = await testApp.createTenant('post-quantum');
    receiver = await receiverOfEveryEvent(testApp, tenant);
  });
  afterAll(async () => {
    await testApp.close();
    await receiver.close();
    hsm.cleanup();
  });

  const keys = (who = tenant) => keyClient(testApp, who);
  const http = () => request(testApp.http);

  (mlDsa ? describe : describeNotRunHere)(`on ${process.version}, which has ML-DSA`, () => {
    it.each(PARAMETER_SETS)('ML-DSA-%s: generates, publishes an AKP JWK whose kid is its RFC 7638 thumbprint, and signs', async (set) => {
      const algorithm = `ML-DSA-${set}`;
      const key = await keys().generate({ algorithm, name: `pq-${set}` });
      expect(key).toMatchObject({ algorithm, type: 'AKP', curve: null, length: set, hasPrivateKey: true, status: 'active' });
      const { kid, use, alg, kty, pub, ...rest } = key.jwk as JWK;
      expect({ use, alg, kty, rest }).toEqual({ use: 'sig', alg: algorithm, kty: 'AKP', rest: {} });
      // RFC 7638 over RFC 9964's required members, in lexicographic order.
      const thumbprint = createHash('sha256').update(JSON.stringify({ alg, kty, pub })).digest('base64url');
      expect(kid).toBe(thumbprint);
      expect(await calculateJwkThumbprint({ alg, kty, pub })).toBe(thumbprint);
      expect(Buffer.from(pub!, 'base64url')).toHaveLength({ 44: 1312, 65: 1952, 87: 2592 }[set]);

      const jwks = await keys().jwks();
      const entry = jwks.keys.find((published) => published.kid === kid);
      expect(entry).toEqual(key.jwk);
      const token = await keys().sign(key, { payload: { sub: 'quantum', set } });
      const { payload, protectedHeader } = await jwtVerify(token, createLocalJWKSet(jwks), { algorithms: [algorithm] });
      expect({ payload, protectedHeader }).toMatchObject({ payload: { sub: 'quantum', set }, protectedHeader: { alg: algorithm, kid } });
      expect(await nobleVerifies(algorithm, token, pub!)).toBe(true);
      expect((await keys().verify(token)).payload).toMatchObject({ sub: 'quantum' });
      // A signature of another message does not verify: the checks can fail.
      const [header, claims, signature] = token.split('.');
      expect(await nobleVerifies(algorithm, `${header}.${claims}x.${signature}`, pub!)).toBe(false);
    });

    it('moves an alias from RS256 to ML-DSA-65 by a rotation: both in the JWKS during the overlap, tokens of each verify (jose, noble)', async () => {
      const rs256 = await keys().generate({ algorithm: 'RS256', name: 'login', alias: 'rs-to-pq' });
      const before = await keys().signByAlias('rs-to-pq', { payload: { sub: 'before' } });
      const successor = await keys().rotate(rs256, { algorithm: 'ML-DSA-65', gracePeriodSeconds: 3600 });
      expect(successor).toMatchObject({ algorithm: 'ML-DSA-65', type: 'AKP', alias: 'rs-to-pq', rotatedFrom: rs256.id, status: 'active' });
      const after = await keys().signByAlias('rs-to-pq', { payload: { sub: 'after' } });
      const jwks = createLocalJWKSet(await keys().jwks());
      // A verifier accepting both algorithms during the overlap verifies the tokens of either.
      for (const [token, sub, alg] of [
        [before, 'before', 'RS256'],
        [after, 'after', 'ML-DSA-65'],
      ]) {
        const { payload, protectedHeader } = await jwtVerify(token, jwks, { algorithms: ['RS256', 'ML-DSA-65'] });
        expect({ sub: payload.sub, alg: protectedHeader.alg }).toEqual({ sub, alg });
      }
      expect(await nobleVerifies('ML-DSA-65', after, (successor.jwk as JWK).pub!)).toBe(true);
      expect((await keys().get(rs256.id)).status).toBe('retiring');
    });

    it('imports a private AKP JWK (pub and priv), a public one, an SPKI and a PKCS#8 PEM; each keeps the thumbprint kid', async () => {
      const pair = generateKeyPairSync('ml-dsa-65' as 'ed25519');
      const privateJwk = pair.privateKey.export({ format: 'jwk' }) as JWK;
      const publicJwk = pair.publicKey.export({ format: 'jwk' }) as JWK;
      expect(privateJwk).toMatchObject({ kty: 'AKP', alg: 'ML-DSA-65' });
      const thumbprint = await calculateJwkThumbprint(publicJwk);

      const fromJwk = await keys().import({ name: 'jwk', jwk: privateJwk });
      expect(fromJwk).toMatchObject({ algorithm: 'ML-DSA-65', type: 'AKP', length: 65, hasPrivateKey: true, kid: thumbprint });
      const token = await keys().sign(fromJwk, { payload: { sub: 'imported' } });
      expect((await jwtVerify(token, pair.publicKey)).payload.sub).toBe('imported');
      expect(await nobleVerifies('ML-DSA-65', token, publicJwk.pub!)).toBe(true);
      await keys().delete(fromJwk);

      const verifying = await keys().import({ name: 'public jwk', jwk: { ...publicJwk, kid: 'partner-pq' } });
      expect(verifying).toMatchObject({ algorithm: 'ML-DSA-65', hasPrivateKey: false, kid: 'partner-pq' });
      const outside = await new SignJWT({ sub: 'partner' }).setProtectedHeader({ alg: 'ML-DSA-65', kid: 'partner-pq' }).sign(pair.privateKey);
      expect((await keys().verify(outside)).keyId).toBe(verifying.id);
      await keys().delete(verifying);

      const pems = {
        publicKey: pair.publicKey.export({ format: 'pem', type: 'spki' }) as string,
        privateKey: pair.privateKey.export({ format: 'pem', type: 'pkcs8' }) as string,
      };
      const fromSpki = await keys().import({ name: 'spki', publicKey: pems.publicKey });
      expect(fromSpki).toMatchObject({ algorithm: 'ML-DSA-65', hasPrivateKey: false, kid: thumbprint, publicKey: pems.publicKey });
      await keys().delete(fromSpki);
      const fromPkcs8 = await keys().import({ name: 'pkcs8', privateKey: pems.privateKey, algorithm: 'ML-DSA-65' });
      expect(fromPkcs8).toMatchObject({ algorithm: 'ML-DSA-65', hasPrivateKey: true, kid: thumbprint, publicKey: pems.publicKey });
      expect(JSON.stringify(fromPkcs8)).not.toContain(privateJwk.priv);
    });

    it.each<[string, (jwk: JWK) => Record<string, unknown>, string, string]>([
      ['a JWK without alg', ({ alg: _alg, ...jwk }) => ({ jwk }), 'jwk.alg', 'jwk.alg of an AKP key must be one of ML-DSA-44, ML-DSA-65, ML-DSA-87'],
      ['a JWK whose alg is another set', (jwk) => ({ jwk: { ...jwk, alg: 'ML-DSA-44' } }), 'jwk', 'jwk is not a valid RSA, EC, OKP or AKP key'],
      [
        'another algorithm than the JWK names',
        (jwk) => ({ jwk, algorithm: 'ML-DSA-87' }),
        'algorithm',
        'algorithm ML-DSA-87 does not fit a key whose jwk.alg is ML-DSA-65',
      ],
      [
        'a priv of another key',
        (jwk) => ({ jwk: { ...jwk, priv: randomBytes(32).toString('base64url') } }),
        'jwk',
        'jwk is not a valid RSA, EC, OKP or AKP key',
      ],
      [
        'an ES algorithm for an ML-DSA PEM',
        (jwk) => ({ publicKey: pemOf(jwk), algorithm: 'ES256' }),
        'algorithm',
        'algorithm ES256 does not fit a key of type ml-dsa-65',
      ],
    ])('refuses %s: 400 naming the field, nothing stored', async (_case, body, field, message) => {
      const privateKey = generateKeyPairSync('ml-dsa-65' as 'ed25519').privateKey;
      const before = (await keys().list()).length;
      const res = await keys().send.import({ name: 'wrong', ...body(privateKey.export({ format: 'jwk' })) });
      expectEnvelope(res, 400);
      expect(res.body.errors).toEqual([{ field, message }]);
      expect(await keys().list()).toHaveLength(before);
    });

    it('refuses custody "hsm" with a 400 naming the mechanism the token lacks, and makes nothing', async () => {
      const before = (await keys().list()).length;
      const res = await keys().send.generate({ algorithm: 'ML-DSA-65', name: 'in hsm', custody: 'hsm' });
      expectEnvelope(res, 400);
      expect(res.body.errors).toEqual([
        { field: 'custody', message: 'this HSM does not make ML-DSA-65 keys (no CKM_ML_DSA_KEY_PAIR_GEN, CKM_ML_DSA): use custody "software"' },
      ]);
      expect(await keys().list()).toHaveLength(before);
    });

    it('makes a self-signed ML-DSA certificate, published as x5c, that Node verifies, and a CSR', async () => {
      const key = await keys().generate({ algorithm: 'ML-DSA-44', name: 'certified', certificate: true });
      const certificate = new X509Certificate(key.certificate!);
      expect(certificate.verify(certificate.publicKey)).toBe(true);
      expect(certificate.publicKey.export({ format: 'pem', type: 'spki' })).toBe(key.publicKey);
      const entry = (await keys().jwks()).keys.find((published) => published.kid === key.kid)!;
      expect(entry.x5c).toEqual([certificate.raw.toString('base64')]);
      const csr = await http().post(`/key/${key.id}/csr`).set(tenant.headers).send({ commonName: 'pq.example' });
      expectEnvelope(csr, 200);
      const signingRequest = new x509.Pkcs10CertificateRequest(csr.body.data.csr);
      expect(signingRequest.signatureAlgorithm).toMatchObject({ name: 'ML-DSA-44' });
      expect(await signingRequest.verify()).toBe(true);
    });

    it('goes where every key goes: alias, signing policy, least privilege, audit, webhooks, scheduled deletion', async () => {
      const key = await keys().generate({
        algorithm: 'ML-DSA-65',
        name: 'pq signer',
        alias: 'pq-login',
        signingPolicy: { allowedAudiences: ['https://app.example'] },
      });
      const signer = await testApp.app.get(TenantsService).createApiKey(cliActor(), tenant.tenantId, { signKeys: ['pq-login'] });
      testApp.trackSecret(signer.apiKey);
      const limited = keyClient(testApp, { tenantId: tenant.tenantId, headers: tenantHeaders(tenant.tenantId, signer.apiKey) });

      const token = await limited.signByAlias('pq-login', { payload: { aud: 'https://app.example' } });
      expect((await jwtVerify(token, createLocalJWKSet(await keys().jwks()))).protectedHeader).toMatchObject({ alg: 'ML-DSA-65', kid: key.kid });
      const outsidePolicy = await limited.send.signByAlias('pq-login', { payload: { aud: 'https://elsewhere.example' } });
      expectEnvelope(outsidePolicy, 400);
      const other = await keys().generate({ algorithm: 'ML-DSA-44', name: 'not granted' });
      expectEnvelope(await limited.send.sign(other, { payload: {} }), 403);

      const trail = await http().get(`/key/audit?keyId=${key.id}`).set(tenant.headers);
      expectEnvelope(trail, 200);
      expect(trail.body.data).toContainEqual(
        expect.objectContaining({ action: 'key.generate', outcome: 'success', detail: { algorithm: 'ML-DSA-65' } }),
      );
      await eventually('key.created of the ML-DSA key delivered', () =>
        receiver.received.map(({ body }) => JSON.parse(body)).find((event) => event.type === 'key.created' && event.data.keyId === key.id),
      );

      expectEnvelope(await http().post(`/key/${key.id}/schedule-deletion`).set(tenant.headers).send({ afterSeconds: 2 }), 200);
      expect((await keys().jwks()).keys.map((published) => published.kid)).not.toContain(key.kid);
      await eventually('the ML-DSA key deleted', async () => (await keys().send.get(key)).status === 404);
    });

    it('keeps opening ML-DSA keys after a KEK rotation (an instance that seals under a new KEK, the old one second)', async () => {
      const key = await keys().generate({ algorithm: 'ML-DSA-87', name: 'sealed' });
      const newKek = randomBytes(32).toString('base64');
      const rotated = await startTestApp({ KEY_ENCRYPTION_KEYS: `${newKek},${testApp.config.sealingKey.toString('base64')}` }, testApp);
      try {
        const { payload } = await keyClient(rotated, tenant).signAndVerify(key, { sub: 'after-kek' });
        expect(payload.sub).toBe('after-kek');
      } finally {
        await rotated.app.close();
      }
    });
  });

  (mlDsa ? describeNotRunHere : describe)(`on ${process.version}, which has no ML-DSA`, () => {
    const refusal = (algorithm: string) => `${algorithm} needs Node.js 24.7 or later; this service runs on ${process.version}`;

    it('has started, and answers 400 naming the Node ML-DSA needs to generate, import a JWK or a PEM; nothing is made', async () => {
      const generated = await keys().send.generate({ algorithm: 'ML-DSA-65', name: 'too early' });
      expectEnvelope(generated, 400);
      expect(generated.body.errors).toEqual([{ field: 'algorithm', message: refusal('ML-DSA-65') }]);
      const jwk = await keys().send.import({
        name: 'too early',
        jwk: { kty: 'AKP', alg: 'ML-DSA-87', pub: randomBytes(2592).toString('base64url') },
      });
      expectEnvelope(jwk, 400);
      expect(jwk.body.errors).toEqual([{ field: 'jwk.alg', message: refusal('ML-DSA-87') }]);
      const pem = await keys().send.import({ name: 'too early', privateKey: ML_DSA_44_PKCS8 });
      expectEnvelope(pem, 400);
      expect(pem.body.errors).toEqual([{ field: 'privateKey', message: refusal('ML-DSA-44') }]);
      expect(await keys().list()).toEqual([]);
      // Other algorithms are untouched.
      await keys().signAndVerify(await keys().generate({ algorithm: 'EdDSA', name: 'classic' }));
    });

    it('serves an ML-DSA key stored by a newer Node: published in the JWKS; signing and verifying with it are a 400, not a 500', async () => {
      const id = randomUUID();
      const pkcs8 = Buffer.from(ML_DSA_44_PKCS8.replace(/-----[^-]+-----|\s/g, ''), 'base64');
      const publicJwk = { kty: 'AKP', alg: 'ML-DSA-44', pub: randomBytes(1312).toString('base64url'), kid: 'stored-pq', use: 'sig' };
      const material = {
        kid: 'stored-pq',
        thumbprint: 'stored-pq',
        publicKeyPem: null,
        publicJwk,
        privateKeySealed: await testApp.app.get(SecretSealer).seal(pkcs8, tenantKeyAssociatedData(tenant.tenantId, id)),
        certificatePem: null,
        certificateExpiresAt: null,
        custody: 'software' as const,
        hsmLabel: null,
      };
      const row = newKeyRow(tenant.tenantId, id, signingKeySpec('ML-DSA-44'), material, { name: 'stored', issuer: null });
      await testApp.app.get(TenantKeysRepository).insert(testApp.dataSource.manager, row);
      // Written behind the service's back: its cache of the tenant's keys forgets them, as a change would make it.
      testApp.app.get(TenantCacheService).forget(tenant.tenantId);

      expect((await keys().jwks()).keys).toContainEqual(publicJwk);
      const signed = await keys().send.sign(id, { payload: {} });
      expectEnvelope(signed, 400);
      expect(signed.body.errors).toEqual([{ field: 'id', message: refusal('ML-DSA-44') }]);
      const header = Buffer.from(JSON.stringify({ alg: 'ML-DSA-44', kid: 'stored-pq' })).toString('base64url');
      const verified = await keys().send.verify(`${header}.${Buffer.from('{}').toString('base64url')}.AAAA`);
      expectEnvelope(verified, 400);
      expect(verified.body.errors).toEqual([{ field: 'token', message: refusal('ML-DSA-44') }]);
    });
  });
});

/** Whether @noble/post-quantum, a second implementation of ML-DSA, accepts the token's signature over header.payload. */
async function nobleVerifies(algorithm: string, token: string, pub: string): Promise<boolean> {
  const noble = await import('@noble/post-quantum/ml-dsa.js');
  const scheme = { 'ML-DSA-44': noble.ml_dsa44, 'ML-DSA-65': noble.ml_dsa65, 'ML-DSA-87': noble.ml_dsa87 }[algorithm]!;
  const [header, claims, signature] = token.split('.');
  return scheme.verify(Buffer.from(signature, 'base64url'), Buffer.from(`${header}.${claims}`), Buffer.from(pub, 'base64url'));
}

/** The SPKI PEM of a private AKP JWK's public key. */
function pemOf(jwk: JWK): string {
  const { priv: _priv, ...publicJwk } = jwk;
  return createPublicKey({ key: publicJwk as never, format: 'jwk' }).export({ format: 'pem', type: 'spki' }) as string;
}
