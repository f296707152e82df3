import { X509Certificate, createPublicKey, generateKeyPairSync, randomBytes, randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { FusionAuthClient, KeyAlgorithm, KeyType, type Key, type KeyResponse } from '@fusionauth/typescript-client';
import type ClientResponse from '@fusionauth/typescript-client/build/src/ClientResponse';
import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import request from 'supertest';
import { cliActor } from '../src/audit/audit-trail';
import { TenantsService } from '../src/tenants/tenants.service';
import { keyClient } from './support/key-client';
import { startTestApp, type TestApp, type TestTenant } from './support/test-app';

/** What FusionAuth's client throws for a non-2xx answer: the status, and the JSON body if there was one. */
interface Refusal {
  statusCode: number;
  exception: unknown;
}

async function refusal(call: Promise<unknown>): Promise<Refusal> {
  const outcome = await call.then(
    () => undefined,
    (error: unknown) => error as Refusal,
  );
  if (!outcome) throw new Error('the call succeeded');
  return outcome;
}

/** An RSA key pair made here, standing for a key from elsewhere. */
const rsaPair = () => generateKeyPairSync('rsa', { modulusLength: 2048 });

describe("FusionAuth's own client (@fusionauth/typescript-client) against /api", () => {
  let testApp: TestApp;
  let tenant: TestTenant;
  let other: TestTenant;
  let baseUrl: string;
  /** As a FusionAuth user constructs it to manage keys: the API key; the tenant id too, so the anonymous calls name it. */
  let client: FusionAuthClient;

  beforeAll(async () => {
    testApp = await startTestApp();
    tenant = await testApp.createTenant('migrating from fusionauth');
    other = await testApp.createTenant('someone else');
    await testApp.app.listen(0, '127.0.0.1');
    baseUrl = `http://127.0.0.1:${(testApp.http.address() as AddressInfo).port}`;
    client = new FusionAuthClient(tenant.apiKey, baseUrl, tenant.tenantId);
  });
  afterAll(() => testApp.close());

  const keyOf = (answer: ClientResponse<KeyResponse>): Key => answer.response.key!;

  describe('generateKey, retrieveKey(s), updateKey, deleteKey', () => {
    it.each([
      ['RS256', 'RSA', 2048],
      ['ES256', 'EC', 256],
      ['Ed25519', 'OKP', 256],
      ['HS256', 'HMAC', 256],
      // Not in FusionAuth's KeyAlgorithm, served all the same under its JOSE name.
      ['PS256', 'RSA', 2048],
    ])('generateKey %s: 200 and a FusionAuth Key (its names, epoch milliseconds, no private part)', async (algorithm, type, length) => {
      const before = Date.now();
      const answer = await client.generateKey(undefined as unknown as string, {
        key: { algorithm: algorithm as KeyAlgorithm, name: `gen ${algorithm}` },
      });
      expect(answer.statusCode).toBe(200);
      const key = keyOf(answer);
      expect(key).toMatchObject({ algorithm, type, length, name: `gen ${algorithm}`, hasPrivateKey: true, kid: expect.any(String) });
      expect(key.insertInstant).toBeGreaterThanOrEqual(before - 1000);
      expect(key.lastUpdateInstant).toBe(key.insertInstant);
      expect(key).not.toHaveProperty('privateKey');
      expect(key).not.toHaveProperty('secret');
      if (type === 'HMAC') {
        expect(key).not.toHaveProperty('publicKey');
        expect(key).not.toHaveProperty('certificate');
      } else {
        // As FusionAuth does: an asymmetric key comes with a self-signed certificate, its expiry the key's expirationInstant.
        expect(key.publicKey).toMatch(/^-----BEGIN PUBLIC KEY-----/);
        expect(key.certificate).toMatch(/^-----BEGIN CERTIFICATE-----/);
        expect(key.certificateInformation).toMatchObject({ subject: expect.stringContaining(`gen ${algorithm}`), validTo: key.expirationInstant });
      }
    });

    it('generateKey with an id keeps it; retrieveKey and retrieveKeys answer the same Key', async () => {
      const id = randomUUID();
      const generated = keyOf(await client.generateKey(id, { key: { algorithm: KeyAlgorithm.ES384, name: 'chosen id' } }));
      expect(generated.id).toBe(id);
      expect(keyOf(await client.retrieveKey(id))).toEqual(generated);
      const { keys } = (await client.retrieveKeys()).response;
      expect(keys!.find((key) => key.id === id)).toEqual(generated);
    });

    it('updateKey renames, whatever else of the retrieved Key is sent back with the name', async () => {
      const key = keyOf(await client.generateKey(randomUUID(), { key: { algorithm: KeyAlgorithm.ES256, name: 'before' } }));
      const updated = keyOf(await client.updateKey(key.id!, { key: { ...key, name: 'after' } }));
      expect(updated).toMatchObject({ id: key.id, name: 'after', kid: key.kid, algorithm: 'ES256' });
      expect(updated.lastUpdateInstant).toBeGreaterThanOrEqual(key.lastUpdateInstant!);
    });

    it('deleteKey: an empty 200; the key is then a 404 without a body', async () => {
      const key = keyOf(await client.generateKey(randomUUID(), { key: { algorithm: KeyAlgorithm.ES256, name: 'doomed' } }));
      const deleted = await client.deleteKey(key.id!);
      expect(deleted.statusCode).toBe(200);
      expect(deleted.response).toBeUndefined();
      const other = keyOf(await client.generateKey(randomUUID(), { key: { algorithm: KeyAlgorithm.ES256, name: 'doomed too' } }));
      const raw = await fetch(`${baseUrl}/api/key/${other.id}`, { method: 'DELETE', headers: { authorization: tenant.apiKey } });
      expect([raw.status, raw.headers.get('content-type'), await raw.text()]).toEqual([200, null, '']);
      const gone = await refusal(client.retrieveKey(key.id!));
      expect(gone).toMatchObject({ statusCode: 404 });
      expect(gone.exception).toBeUndefined();
    });
  });

  describe('importKey', () => {
    it('a public PEM, with the id and kid of its old home: the JWKS, the view and retrieveJWTPublicKey carry that kid', async () => {
      const id = randomUUID();
      const publicKey = rsaPair().publicKey.export({ type: 'spki', format: 'pem' }) as string;
      const key = keyOf(await client.importKey(id, { key: { name: 'from fusionauth', publicKey, kid: 'fa-kid-1' } }));
      expect(key).toMatchObject({ id, kid: 'fa-kid-1', algorithm: 'RS256', type: 'RSA', hasPrivateKey: false });
      const { keys } = (await client.retrieveJsonWebKeySet()).response;
      expect(keys!.find((jwk) => jwk.kid === 'fa-kid-1')).toMatchObject({ kty: 'RSA', alg: 'RS256' });
      const { publicKey: served } = (await client.retrieveJWTPublicKey('fa-kid-1')).response;
      expect(createPublicKey(served!).equals(createPublicKey(publicKey))).toBe(true);
    });

    it('a private PEM: it can sign, and is never answered', async () => {
      const privateKey = generateKeyPairSync('ec', { namedCurve: 'P-384' }).privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
      const key = keyOf(await client.importKey(undefined as unknown as string, { key: { name: 'private', privateKey, kid: 'fa-private' } }));
      expect(key).toMatchObject({ algorithm: 'ES384', type: 'EC', hasPrivateKey: true, kid: 'fa-private' });
      expect(key).not.toHaveProperty('privateKey');
      const { token } = (await client.vendJWT({ keyId: key.id, claims: { sub: 'imported' } })).response;
      expect(decodeProtectedHeader(token!)).toMatchObject({ alg: 'ES384', kid: 'fa-private' });
    });

    it('a certificate: its public key, and the certificate kept and published', async () => {
      // A certificate from elsewhere: the one the service made for a key of another tenant.
      const issued = await keyClient(testApp, other).generate({ algorithm: 'RS256', name: 'certified', certificate: true });
      const key = keyOf(await client.importKey(randomUUID(), { key: { name: 'certificate', certificate: issued.certificate!, kid: 'fa-cert' } }));
      expect(key).toMatchObject({ kid: 'fa-cert', algorithm: 'RS256', hasPrivateKey: false, certificate: issued.certificate!.trim() });
      expect(key.expirationInstant).toBe(Date.parse(issued.certificateExpiresAt!));
      expect(createPublicKey(key.publicKey!).equals(createPublicKey(issued.publicKey!))).toBe(true);
      expect(keyOf(await client.retrieveKey(key.id!)).certificate).toBe(key.certificate);
      // Verifiers see it in the JWKS entry, as x5c.
      const jwks = (await client.retrieveJsonWebKeySet()).response;
      const published = jwks.keys!.find((entry) => entry.kid === 'fa-cert')!;
      expect(published.x5c).toEqual([new X509Certificate(issued.certificate!).raw.toString('base64')]);
    });

    it('an HMAC secret in standard base64, as FusionAuth writes it: it signs, and is never answered', async () => {
      let secret: Buffer;
      // With a "+" or "/": standard base64, not base64url.
      do secret = randomBytes(32);
      while (!/[+/]/.test(secret.toString('base64')));
      const id = randomUUID();
      testApp.trackSecret(secret.toString('base64'));
      const key = keyOf(
        await client.importKey(id, { key: { name: 'hmac', algorithm: KeyAlgorithm.HS256, secret: secret.toString('base64'), kid: 'fa-hmac' } }),
      );
      expect(key).toMatchObject({ id, type: 'HMAC', algorithm: 'HS256', kid: 'fa-hmac', hasPrivateKey: true });
      expect(key).not.toHaveProperty('secret');
      const { token } = (await client.vendJWT({ keyId: id, claims: { sub: 'hmac' } })).response;
      // The very secret FusionAuth had verifies it: the bytes were kept, not their text.
      await expect(jwtVerify(token!, secret)).resolves.toMatchObject({ payload: { sub: 'hmac' }, protectedHeader: { kid: 'fa-hmac' } });
    });
  });

  it('searchKeys and searchKeysByParameters: by name with a wildcard, by type, in pages, with the total', async () => {
    for (const name of ['search alpha', 'search beta', 'search gamma']) {
      await client.generateKey(randomUUID(), { key: { algorithm: KeyAlgorithm.ES256, name } });
    }
    const first = (await client.searchKeys({ search: { name: 'search*', numberOfResults: 2, startRow: 0, orderBy: 'name ASC' } })).response;
    expect(first.total).toBe(3);
    expect(first.keys!.map((key) => key.name)).toEqual(['search alpha', 'search beta']);
    const second = (await client.searchKeys({ search: { name: 'search*', numberOfResults: 2, startRow: 2 } })).response;
    expect(second.keys!.map((key) => key.name)).toEqual(['search gamma']);
    // The same by parameters; those not given go as the text "undefined", as FusionAuth's client sends them.
    const byParameters = (
      await client.searchKeysByParameters(undefined as unknown as string, 'search*', 2, 'name DESC', 0, undefined as unknown as string)
    ).response;
    expect([byParameters.total, byParameters.keys!.map((key) => key.name)]).toEqual([3, ['search gamma', 'search beta']]);
    const hmac = (await client.searchKeys({ search: { type: KeyType.HMAC } })).response;
    expect(hmac.keys!.length).toBeGreaterThan(0);
    expect(hmac.keys!.every((key) => key.type === KeyType.HMAC)).toBe(true);
  });

  it("retrieveJsonWebKeySet and retrieveJWTPublicKeys: the tenant's published keys, named by X-FusionAuth-TenantId", async () => {
    const key = keyOf(await client.generateKey(randomUUID(), { key: { algorithm: KeyAlgorithm.Ed25519, name: 'published' } }));
    const { keys } = (await client.retrieveJsonWebKeySet()).response;
    // The JWK keeps JOSE's name for the algorithm.
    expect(keys!.find((jwk) => jwk.kid === key.kid)).toMatchObject({ kty: 'OKP', crv: 'Ed25519', alg: 'EdDSA' });
    const { publicKeys } = (await client.retrieveJWTPublicKeys()).response;
    expect(publicKeys![key.kid!]).toBe(key.publicKey);
    expect(Object.keys(publicKeys!).sort()).toEqual(keys!.map((jwk) => jwk.kid).sort());
    // Without the tenant id, the client names no tenant: refused, not another tenant's keys.
    const anonymous = new FusionAuthClient('', baseUrl);
    expect((await refusal(anonymous.retrieveJWTPublicKeys())).statusCode).toBe(400);
  });

  it('vendJWT: a token another implementation (jose) verifies against the JWKS', async () => {
    const key = keyOf(
      await client.generateKey(randomUUID(), { key: { algorithm: KeyAlgorithm.RS256, name: 'vending', issuer: 'https://auth.example' } }),
    );
    const { token } = (await client.vendJWT({ keyId: key.id, claims: { sub: 'alice', roles: ['admin'] }, timeToLiveInSeconds: 120 })).response;
    const jwks = createRemoteJWKSet(new URL(`${baseUrl}/tenants/${tenant.tenantId}/.well-known/jwks.json`));
    const { payload, protectedHeader } = await jwtVerify(token!, jwks, { issuer: 'https://auth.example' });
    expect(protectedHeader).toMatchObject({ alg: 'RS256', kid: key.kid });
    expect(payload).toMatchObject({ sub: 'alice', roles: ['admin'] });
    expect(payload.exp! - payload.iat!).toBe(120);
  });

  describe("refusals, as FusionAuth's client reads them", () => {
    it('a key without algorithm: [missing]key.algorithm', async () => {
      const { statusCode, exception } = await refusal(client.generateKey(randomUUID(), { key: { name: 'no algorithm' } }));
      expect(statusCode).toBe(400);
      expect(exception).toMatchObject({
        fieldErrors: { 'key.algorithm': [{ code: '[missing]key.algorithm', message: expect.any(String) }] },
        generalErrors: [],
      });
    });

    it('an algorithm it does not know, a blank name: [invalid] and [blank]', async () => {
      const { exception } = await refusal(client.generateKey(randomUUID(), { key: { name: ' ', algorithm: 'XS256' as never } }));
      expect(exception).toMatchObject({
        fieldErrors: { 'key.algorithm': [{ code: '[invalid]key.algorithm' }], 'key.name': [{ code: '[blank]key.name' }] },
      });
    });

    it('an id taken: [duplicate]keyId', async () => {
      const id = randomUUID();
      await client.generateKey(id, { key: { algorithm: KeyAlgorithm.ES256, name: 'first' } });
      const { statusCode, exception } = await refusal(client.generateKey(id, { key: { algorithm: KeyAlgorithm.ES256, name: 'second' } }));
      expect(statusCode).toBe(400);
      expect(exception).toMatchObject({ fieldErrors: { keyId: [{ code: '[duplicate]keyId' }] } });
    });

    it('a kid taken: [duplicate]key.kid', async () => {
      const pem = () => generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ type: 'spki', format: 'pem' }) as string;
      await client.importKey(randomUUID(), { key: { name: 'first', publicKey: pem(), kid: 'fa-shared' } });
      const { statusCode, exception } = await refusal(
        client.importKey(randomUUID(), { key: { name: 'second', publicKey: pem(), kid: 'fa-shared' } }),
      );
      expect(statusCode).toBe(400);
      expect(exception).toMatchObject({ fieldErrors: { 'key.kid': [{ code: '[duplicate]key.kid' }] } });
    });

    it('malformed JSON: [invalid], from Fastify before any route runs', async () => {
      const answer = await fetch(`${baseUrl}/api/key/generate`, {
        method: 'POST',
        headers: { authorization: tenant.apiKey, 'content-type': 'application/json' },
        body: '{"key": {',
      });
      expect(answer.status).toBe(400);
      expect(await answer.json()).toEqual({ fieldErrors: {}, generalErrors: [{ code: '[invalid]', message: 'Malformed JSON body' }] });
    });

    it("a body too large, another content type: 413 and 415 in FusionAuth's shape, from Fastify before any route runs", async () => {
      const post = (body: string, contentType: string) =>
        fetch(`${baseUrl}/api/key/generate`, { method: 'POST', headers: { authorization: tenant.apiKey, 'content-type': contentType }, body });
      const large = await post(JSON.stringify({ key: { name: 'x'.repeat(200 * 1024), algorithm: 'ES256' } }), 'application/json');
      expect(large.status).toBe(413);
      expect(await large.json()).toEqual({ fieldErrors: {}, generalErrors: [{ code: '[PAYLOAD_TOO_LARGE]', message: 'Request body too large' }] });
      const text = await post('key', 'text/plain');
      expect(text.status).toBe(415);
      expect(await text.json()).toEqual({
        fieldErrors: {},
        generalErrors: [{ code: '[UNSUPPORTED_MEDIA_TYPE]', message: 'Content-Type must be application/json' }],
      });
    });

    it('a path under /api that is not served: 404 with no body, as for an unknown key', async () => {
      for (const [method, path] of [
        ['GET', '/api/user'],
        ['POST', '/api/application/search'],
        ['DELETE', '/api/key'],
      ]) {
        const raw = await fetch(`${baseUrl}${path}`, { method, headers: { authorization: tenant.apiKey } });
        expect([method, path, raw.status, raw.headers.get('content-type'), await raw.text()]).toEqual([method, path, 404, null, '']);
      }
    });

    it('a certificate that does not hold the key sent beside it, a key held already: named on the field that was sent', async () => {
      const issued = await keyClient(testApp, other).generate({ algorithm: 'ES256', name: 'certified elsewhere', certificate: true });
      const publicKey = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ type: 'spki', format: 'pem' }) as string;
      const mismatch = await refusal(client.importKey(randomUUID(), { key: { name: 'mismatch', publicKey, certificate: issued.certificate! } }));
      expect(mismatch.statusCode).toBe(400);
      expect(mismatch.exception).toMatchObject({ fieldErrors: { 'key.certificate': [{ code: '[invalid]key.certificate' }] } });
      const pair = generateKeyPairSync('ec', { namedCurve: 'P-256' });
      const privateKey = pair.privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
      await client.importKey(randomUUID(), { key: { name: 'held', privateKey } });
      const again = await refusal(client.importKey(randomUUID(), { key: { name: 'held again', privateKey } }));
      expect(again.statusCode).toBe(400);
      expect(again.exception).toMatchObject({ fieldErrors: { 'key.privateKey': [{ code: '[duplicate]key.privateKey' }] } });
    });

    it('an unknown key: 404 with no body and no content type', async () => {
      const { statusCode, exception } = await refusal(client.retrieveKey(randomUUID()));
      expect(statusCode).toBe(404);
      expect(exception).toBeUndefined();
      const raw = await fetch(`${baseUrl}/api/key/${randomUUID()}`, { headers: { authorization: tenant.apiKey } });
      expect([raw.status, raw.headers.get('content-type'), await raw.text()]).toEqual([404, null, '']);
      // Another tenant's key is as unknown.
      const theirs = await keyClient(testApp, other).generate({ algorithm: 'ES256', name: 'theirs' });
      expect((await refusal(client.retrieveKey(theirs.id))).statusCode).toBe(404);
    });

    it('a wrong API key, or none: 401 with no body', async () => {
      for (const apiKey of [`ks_${randomBytes(32).toString('base64url')}`, `${tenant.apiKey.slice(0, 12)}${'A'.repeat(31)}`]) {
        const { statusCode, exception } = await refusal(new FusionAuthClient(apiKey, baseUrl).retrieveKeys());
        expect(statusCode).toBe(401);
        expect(exception).toBeUndefined();
      }
      const raw = await fetch(`${baseUrl}/api/key`);
      expect([raw.status, raw.headers.get('content-type'), await raw.text()]).toEqual([401, null, '']);
    });

    it("an X-FusionAuth-TenantId of another tenant than the API key's: 401", async () => {
      const { statusCode, exception } = await refusal(new FusionAuthClient(tenant.apiKey, baseUrl, other.tenantId).retrieveKeys());
      expect(statusCode).toBe(401);
      expect(exception).toBeUndefined();
      // The API key alone is enough: its tenant is the key's.
      expect((await new FusionAuthClient(tenant.apiKey, baseUrl).retrieveKeys()).statusCode).toBe(200);
    });

    it('an API key without the scope: 401, as FusionAuth answers a key that may not call the endpoint', async () => {
      const issued = await testApp.app.get(TenantsService).createApiKey(cliActor(), tenant.tenantId, { scopes: ['keys:read'] });
      testApp.trackSecret(issued.apiKey);
      const reader = new FusionAuthClient(issued.apiKey, baseUrl);
      expect((await reader.retrieveKeys()).statusCode).toBe(200);
      const { statusCode, exception } = await refusal(
        reader.generateKey(randomUUID(), { key: { algorithm: KeyAlgorithm.ES256, name: 'not allowed' } }),
      );
      expect(statusCode).toBe(401);
      expect(exception).toBeUndefined();
      expect((await refusal(reader.vendJWT({ keyId: randomUUID(), claims: {} }))).statusCode).toBe(401);
    });
  });

  it('a FusionAuth generate goes through the /key service: its audit row names the API key', async () => {
    const key = keyOf(await client.generateKey(randomUUID(), { key: { algorithm: KeyAlgorithm.ES256, name: 'audited' } }));
    const audit = await request(testApp.http).get(`/key/audit?keyId=${key.id}`).set(tenant.headers);
    expect(audit.status).toBe(200);
    expect(audit.body.data).toEqual([
      expect.objectContaining({ action: 'key.generate', keyId: key.id, outcome: 'success', actor: { type: 'api_key', id: tenant.apiKeyId } }),
    ]);
  });
});
