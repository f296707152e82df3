import { generateKeyPairSync } from 'node:crypto';
import request from 'supertest';
import { RsaKeyPool } from '../src/tenant-keys/material/rsa-key-pool';
import { eventually } from './support/eventually';
import { keyClient } from './support/key-client';
import { expectEnvelope, startTestApp, type TestApp, type TestTenant } from './support/test-app';

/**
 * Keys of two types where one key is expected (a certificate of an RSA key put on an EC key, an RSA private key
 * with an EC public key). Comparing them (Node 20 and 24.22 alike) left an error in OpenSSL's queue, and the next private-key
 * load anywhere failed: another tenant's signature (500), or the RSA pool's refill, whose handler then ended the process.
 */
describe('keys of two types where one key is expected', () => {
  jest.setTimeout(120_000);
  let testApp: TestApp;
  let hostile: TestTenant;
  let other: TestTenant;
  let pool: RsaKeyPool;
  let ecKeyId: string;
  let rsaCertificate: string;
  const rsaPrivateKey = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'pem', type: 'pkcs8' }) as string;
  const ecPublicKey = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ format: 'pem', type: 'spki' }) as string;

  const putRsaCertificateOnEcKey = () =>
    request(testApp.http)
      .put(`/key/${ecKeyId}/certificate`)
      .set(hostile.headers)
      .send({ certificateChain: [rsaCertificate] });
  const importMismatchedPair = () =>
    request(testApp.http).post('/key/import').set(hostile.headers).send({ name: 'mismatch', privateKey: rsaPrivateKey, publicKey: ecPublicKey });
  const poolFilled = () => eventually('the RSA-2048 pool refilled', () => pool.size(2048) === 1, { withinMs: 60_000, everyMs: 20 });

  beforeAll(async () => {
    testApp = await startTestApp({ RSA_POOL_SIZES: '2048:1' });
    pool = testApp.app.get(RsaKeyPool);
    [hostile, other] = [await testApp.createTenant('hostile'), await testApp.createTenant('other')];
    ecKeyId = (await keyClient(testApp, hostile).generate({ algorithm: 'ES256', name: 'ec' })).id;
    rsaCertificate = (await keyClient(testApp, hostile).generate({ algorithm: 'RS256', name: 'rsa', certificate: true })).certificate!;
  });
  afterAll(() => testApp.close());

  it('answers 400 naming the field: a certificate of another key type, an import whose private and public keys are of two types', async () => {
    const certificate = await putRsaCertificateOnEcKey();
    expectEnvelope(certificate, 400);
    expect(certificate.body.errors).toEqual([{ field: 'certificateChain[0]', message: expect.stringContaining('does not hold this key') }]);
    const imported = await importMismatchedPair();
    expectEnvelope(imported, 400);
    expect(imported.body.errors).toEqual([{ field: 'privateKey', message: 'privateKey does not match publicKey' }]);
  });

  it('keeps serving every other caller after them, round after round, while the RSA pool refills', async () => {
    for (let round = 0; round < 5; round++) {
      // A key of the other tenant not signed with yet: its private key is loaded for its first signature.
      const ec = await keyClient(testApp, other).generate({ algorithm: 'ES256', name: `ec ${round}` });
      await poolFilled();
      // The other tenant's RSA key takes the pool's pair: the refill's reply arrives after the mismatch.
      const rsa = await keyClient(testApp, other).generate({ algorithm: 'RS256', name: `rsa ${round}` });
      expectEnvelope(await importMismatchedPair(), 400);
      await poolFilled();
      expectEnvelope(await putRsaCertificateOnEcKey(), 400);
      await keyClient(testApp, other).sign(ec);
      await keyClient(testApp, other).sign(rsa);
    }
    await poolFilled();
    await keyClient(testApp, other).generate({ algorithm: 'RS256', name: 'after' });
    expectEnvelope(await request(testApp.http).get('/health'), 200);
  });
});
