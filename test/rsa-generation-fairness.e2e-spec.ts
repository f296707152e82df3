import { createPublicKey } from 'node:crypto';
import request from 'supertest';
import { generateRsaKeyPair, rsaGeneratorPid } from '../src/crypto/rsa-generator';
import { RSA_GENERATION_CONCURRENCY, RSA_GENERATIONS_PER_QUEUE, rsaGenerationCounts } from '../src/crypto/signing-keys';
import { eventually } from './support/eventually';
import { keyClient } from './support/key-client';
import { expectEnvelope, startTestApp, type TestApp, type TestTenant } from './support/test-app';

/**
 * One generator process makes every RSA key. Its work is shared out in turns: tenant by tenant (a tenant's users
 * in its turn), the lifecycle scheduler in a turn of its own. The tests hold the generator still (SIGSTOP) to
 * set up a queue, then let it go and look at the order in which the work came out.
 */
describe('RSA key generation shared fairly between tenants', () => {
  jest.setTimeout(180_000);
  let testApp: TestApp;
  let hostile: TestTenant;
  let other: TestTenant;
  let stoppedPid: number | undefined;

  /** Holds the generator process still: what is sent to it waits, and the queues behind it fill. */
  const stopGenerator = async () => {
    // A generator process to stop (it starts with the first generation).
    await generateRsaKeyPair(2048);
    stoppedPid = rsaGeneratorPid()!;
    process.kill(stoppedPid, 'SIGSTOP');
  };
  const resumeGenerator = () => {
    if (stoppedPid !== undefined) process.kill(stoppedPid, 'SIGCONT');
    stoppedPid = undefined;
  };
  const queued = (count: number) =>
    eventually(`${count} RSA generations queued`, () => {
      const { running, waiting } = rsaGenerationCounts();
      return running + waiting === count;
    });

  beforeAll(async () => {
    testApp = await startTestApp({ LIFECYCLE_TICK_SECONDS: '1', JWKS_MAX_AGE: '1' });
    [hostile, other] = [await testApp.createTenant('hostile'), await testApp.createTenant('other')];
  });
  afterEach(resumeGenerator);
  afterAll(() => testApp.close());

  it("makes another tenant's RSA key while a flood of RSA-4096 keys is still queued; a tenant's queue past its bound is a 429", async () => {
    await stopGenerator();
    const finished: string[] = [];
    const track = (label: string, answer: request.Test) => answer.then((res) => (finished.push(label), res));
    const flood = Array.from({ length: RSA_GENERATIONS_PER_QUEUE + 2 }, (_, i) =>
      track('hostile', keyClient(testApp, hostile).send.generate({ algorithm: 'RS256', name: `flood ${i}`, length: 4096 })),
    );
    await queued(RSA_GENERATIONS_PER_QUEUE);
    const mine = track('other', keyClient(testApp, other).send.generate({ algorithm: 'RS256', name: 'mine' }));
    await queued(RSA_GENERATIONS_PER_QUEUE + 1);
    // The two past the bound are answered at once, while the generator still stands.
    await eventually('the refusals', () => finished.length === 2);
    resumeGenerator();

    const answers = await Promise.all(flood);
    const refused = answers.filter((res) => res.status === 429);
    expect(refused).toHaveLength(2);
    for (const res of refused) {
      expectEnvelope(res, 429);
      expect(res.body).toMatchObject({ code: 'RATE_LIMITED', message: expect.stringContaining(`At most ${RSA_GENERATIONS_PER_QUEUE} RSA keys`) });
      expect(res.headers['retry-after']).toBe('1');
    }
    const made = await mine;
    expectEnvelope(made, 200);
    expect(createPublicKey(made.body.data.publicKey).asymmetricKeyDetails?.modulusLength).toBe(2048);
    // In turn: the other tenant's key came out after the flood's first ones (those the generator was already making), not after all.
    const hostileBeforeMine = finished.slice(2).indexOf('other');
    expect(hostileBeforeMine).toBeLessThanOrEqual(2 * RSA_GENERATION_CONCURRENCY);
    expect(answers.filter((res) => res.status === 200)).toHaveLength(RSA_GENERATIONS_PER_QUEUE);
  });

  it("makes a user's RSA key on the generator, in the turn of the tenant that minted the user: a full tenant queue refuses its users too", async () => {
    /** A token for `sub` from a key of the tenant's own (the tenant vouches for the user). */
    const userToken = async (tenant: TestTenant, sub: string) => {
      const keys = keyClient(testApp, tenant);
      const key = await keys.generate({ algorithm: 'ES256', name: 'users', issuer: `https://login.${tenant.tenantId}.example` });
      return keys.sign(key, { payload: { sub, scope: 'add_key' }, expiresIn: 300 });
    };
    const register = (token: string) =>
      request(testApp.http).post('/keys/register').set('authorization', `Bearer ${token}`).send({ name: 'rsa', keyType: 'rsa', format: 'pem' });
    const [hostileUser, otherUser] = [await userToken(hostile, 'mallory'), await userToken(other, 'alice')];

    await stopGenerator();
    const flood = Array.from({ length: RSA_GENERATIONS_PER_QUEUE }, (_, i) =>
      keyClient(testApp, hostile)
        .send.generate({ algorithm: 'RS256', name: `flood ${i}` })
        .then(),
    );
    await queued(RSA_GENERATIONS_PER_QUEUE);
    // The tenant's users wait in the tenant's queue, which is full.
    const refused = await register(hostileUser);
    expectEnvelope(refused, 429);
    expect(refused.body.code).toBe('RATE_LIMITED');
    // Another tenant's user waits for the generator like any RSA key.
    const waiting = register(otherUser).then();
    await queued(RSA_GENERATIONS_PER_QUEUE + 1);
    resumeGenerator();

    const made = await waiting;
    expectEnvelope(made, 200);
    expect(createPublicKey(made.body.data.publicKey).asymmetricKeyDetails?.modulusLength).toBe(2048);
    for (const res of await Promise.all(flood)) expectEnvelope(res, 200);
    expectEnvelope(await register(hostileUser), 200);
  });

  it("makes a scheduled successor's RSA key with no row locked: the key can be locked and changed meanwhile", async () => {
    const policy = { rotateEverySeconds: 4, prePublishSeconds: 2, retireAfterSeconds: 3 };
    const key = await keyClient(testApp, other).generate({ algorithm: 'RS256', name: 'rotating', rotationPolicy: policy });
    await stopGenerator();
    // The scheduler (its own queue) waits for the generator: the successor's publication is under way.
    await queued(1);

    // Another transaction locks the key at once (NOWAIT fails if a transaction holds its row).
    await testApp.dataSource.transaction((manager) =>
      manager.query('SELECT id FROM tenant_keys WHERE tenant_id = $1 AND id = $2 FOR UPDATE NOWAIT', [other.tenantId, key.id]),
    );
    const renamed = await request(testApp.http).put(`/key/${key.id}`).set(other.headers).send({ name: 'renamed meanwhile' });
    expectEnvelope(renamed, 200);
    resumeGenerator();

    const { value: successor } = await eventually('the successor published', async () =>
      (
        await testApp.dataSource.query<{ id: string; name: string; status: string }[]>(
          'SELECT id, name, status FROM tenant_keys WHERE tenant_id = $1 AND rotated_from = $2',
          [other.tenantId, key.id],
        )
      ).at(0),
    );
    // Stored from the key as it was then: the name given while the material was made.
    expect(successor).toMatchObject({ status: 'next', name: 'renamed meanwhile' });
    const published = await testApp.dataSource.query("SELECT key_id FROM audit_events WHERE action = 'key.publish_next' AND key_id = $1", [key.id]);
    expect(published).toHaveLength(1);
    const [{ publishing_until }] = await testApp.dataSource.query('SELECT publishing_until FROM tenant_keys WHERE id = $1', [key.id]);
    expect(publishing_until).toBeNull();
  });
});
