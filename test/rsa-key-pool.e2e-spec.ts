import { createPublicKey } from 'node:crypto';
import request from 'supertest';
import { RsaKeyPool } from '../src/tenant-keys/material/rsa-key-pool';
import { openStoredPrivateKey } from './support/stored-keys';
import { expectEnvelope, startTestApp, type TestApp, type TestTenant } from './support/test-app';
import { eventually } from './support/eventually';

describe('RSA keys from a pool of pre-generated pairs (RSA_POOL_SIZES)', () => {
  jest.setTimeout(180_000);
  let testApp: TestApp;
  let tenant: TestTenant;
  let pool: RsaKeyPool;

  /** Waits for the background refill; RSA generation takes long on a busy machine (a bound on patience, not on speed). */
  const poolFilled = async (length: number, size: number) => {
    await eventually(`the RSA-${length} pool at ${size}`, () => pool.size(length) === size, { withinMs: 60_000, everyMs: 50 });
  };

  beforeAll(async () => {
    testApp = await startTestApp({ RSA_POOL_SIZES: '2048:2,3072:1' });
    tenant = await testApp.createTenant('pooled');
    pool = testApp.app.get(RsaKeyPool);
  });
  afterAll(() => testApp.close());

  it('fills to the configured size, hands each pair out once, refills, and falls back when empty', async () => {
    await poolFilled(2048, 2);
    const kids = new Set<string>();
    // Four at once: two from the pool, the rest generated directly while the pool refills.
    const responses = await Promise.all(
      ['RS256', 'PS256', 'RS512', 'RS384'].map((algorithm) =>
        request(testApp.http)
          .post('/key/generate')
          .set(tenant.headers)
          .send({ algorithm, name: `pooled ${algorithm}` }),
      ),
    );
    for (const res of responses) {
      expectEnvelope(res, 200);
      kids.add(res.body.data.kid);
      // The stored private key is the pair of the published public key.
      const privateKey = await openStoredPrivateKey(testApp, tenant.tenantId, res.body.data.id);
      expect(createPublicKey(privateKey).export({ format: 'pem', type: 'spki' })).toBe(res.body.data.publicKey);
    }
    expect(kids.size).toBe(4);
    await poolFilled(2048, 2);
    const health = await request(testApp.http).get('/health');
    expect(health.body.data.rsaPoolReady).toEqual({ '2048': 2, '3072': pool.size(3072) });
  });

  it('keeps lengths apart and leaves EC keys alone', async () => {
    await poolFilled(3072, 1);
    const rsa = await request(testApp.http).post('/key/generate').set(tenant.headers).send({ algorithm: 'RS256', name: 'big', length: 3072 });
    expect(createPublicKey(rsa.body.data.publicKey).asymmetricKeyDetails?.modulusLength).toBe(3072);
    expect(pool.size(3072)).toBe(0);
    const before = pool.size(2048);
    const ec = await request(testApp.http).post('/key/generate').set(tenant.headers).send({ algorithm: 'ES256', name: 'ec' });
    expectEnvelope(ec, 200);
    expect(pool.size(2048)).toBe(before);
    await poolFilled(3072, 1);
  });
});
