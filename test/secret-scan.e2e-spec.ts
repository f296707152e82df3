import request from 'supertest';
import { expectNoSecretsLeaked, newCapture } from './support/secret-scan';
import { open, tenantKeyAssociatedData } from '../src/crypto/sealing';
import { openStoredPrivateKey, readRawKeyRow } from './support/stored-keys';
import { startTestApp, type TestApp, type TestTenant } from './support/test-app';

/** The scan every test app runs when it closes (test/support/test-app.ts) finds what it is there to find. */
describe('the secret scan of logs and responses', () => {
  let testApp: TestApp;
  let tenant: TestTenant;
  let keyIds: Record<string, string>;

  beforeAll(async () => {
    testApp = await startTestApp();
    tenant = await testApp.createTenant('scanned');
    keyIds = {};
    for (const algorithm of ['ES256', 'HS256']) {
      keyIds[algorithm] = (await request(testApp.http).post('/key/generate').set(tenant.headers).send({ algorithm, name: algorithm })).body.data.id;
    }
  });
  afterAll(() => testApp.close());

  const hmacSecret = async () =>
    open(
      testApp.config.openingKeys,
      (await readRawKeyRow(testApp, tenant.tenantId, keyIds.HS256)).private_key_sealed as Buffer,
      tenantKeyAssociatedData(tenant.tenantId, keyIds.HS256),
    );

  const scan = (logs: string[], responseBody = '{}') => {
    const captured = newCapture();
    captured.logs.push(...logs);
    captured.responses.push({ method: 'GET', url: '/key', status: 200, body: responseBody });
    return expectNoSecretsLeaked(captured, testApp.dataSource, testApp.config.openingKeys);
  };

  it('passes clean logs and responses', async () => {
    await expect(scan(['Key service listening'], '{"success":true}')).resolves.toBeUndefined();
  });

  it.each([
    [
      'a stored private key as PEM in a log line',
      async () => [(await openStoredPrivateKey(testApp, tenant.tenantId, keyIds.ES256)).export({ format: 'pem', type: 'pkcs8' }).toString()],
    ],
    [
      "a stored key's JWK d in a log line",
      async () => [`d=${(await openStoredPrivateKey(testApp, tenant.tenantId, keyIds.ES256)).export({ format: 'jwk' }).d}`],
    ],
    ['an HMAC secret in hex in a log line', async () => [`secret ${(await hmacSecret()).toString('hex')}`]],
    ['an API key in a log line', async () => [`authorization: Basic ${tenant.apiKey}`]],
    ['an access token in a log line', async () => ['token eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJlc2lnbmF0dXJlc2ln']],
  ])('fails on %s', async (_case, lines) => {
    await expect(scan(await lines())).rejects.toThrow();
  });

  it("fails on a user key's private JWK member (d, or priv for ML-DSA) shown at registration, then in a log line", async () => {
    for (const privateKey of [
      { kty: 'OKP', crv: 'Ed25519', d: 'D'.repeat(43) },
      { kty: 'AKP', alg: 'ML-DSA-65', priv: 'P'.repeat(43) },
    ]) {
      const captured = newCapture();
      captured.responses.push({ method: 'POST', url: '/keys/register', status: 200, body: JSON.stringify({ data: { privateKey } }) });
      captured.logs.push(`body ${JSON.stringify(privateKey)}`);
      await expect(expectNoSecretsLeaked(captured, testApp.dataSource, testApp.config.openingKeys)).rejects.toThrow();
    }
  });

  it('fails on an HMAC secret in a response', async () => {
    const secret = (await hmacSecret()).toString('base64url');
    await expect(scan([], JSON.stringify({ data: { k: secret } }))).rejects.toThrow();
  });
});
