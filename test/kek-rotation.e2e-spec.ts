import { randomBytes } from 'node:crypto';
import request from 'supertest';
import { keyEncryptionKeyId, open, webhookSecretAssociatedData } from '../src/crypto/sealing';
import { spawnSync } from 'node:child_process';
import { keyClient } from './support/key-client';
import { cleanEnv, CLI, runCli } from './support/processes';
import { expectEnvelope, startTestApp, type TestApp, type TestTenant } from './support/test-app';

const base64 = (key: Buffer) => key.toString('base64');

/**
 * KEY_ENCRYPTION_KEYS, newest first: records sealed under an older key keep opening while the newest
 * seals; `kek:rotate` re-seals them all under the newest, after which the older key can go.
 */
describe('key-encryption key rotation', () => {
  const oldKek = randomBytes(32);
  const newKek = randomBytes(32);
  let before: TestApp;
  let tenant: TestTenant;
  const apps: TestApp[] = [];

  beforeAll(async () => {
    before = await startTestApp({ KEY_ENCRYPTION_KEYS: base64(oldKek), WEBHOOK_ALLOW_PRIVATE_URLS: 'true' });
    apps.push(before);
    tenant = await before.createTenant('rotating-kek');
  });
  afterAll(async () => {
    for (const app of apps.slice(1).reverse()) await app.app.close();
    await before.close();
  });

  const onSameDatabase = async (keys: Buffer[]) => {
    const app = await startTestApp({ KEY_ENCRYPTION_KEYS: keys.map(base64).join(','), DATABASE_URL: before.config.databaseUrl });
    apps.push(app);
    return app;
  };
  /** Signs with every key through `app`, each token verified as a relying party would (HMAC: by POST /key/verify). */
  const signsWithAll = async (app: TestApp, keys: { id: string; algorithm: string }[]) => {
    const client = keyClient(app, tenant);
    for (const key of keys) expect((await client.signAndVerify(key, { sub: 'kek' })).payload).toMatchObject({ sub: 'kek' });
  };
  const sealedUnder = async (app: TestApp) =>
    (
      await app.dataSource.query(`SELECT substring(private_key_sealed FROM 2 FOR 4) AS kek FROM tenant_keys WHERE private_key_sealed IS NOT NULL`)
    ).map((row: { kek: Buffer }) => row.kek.toString('hex'));

  it('opens old records beside new ones, re-seals them all with kek:rotate, and then works without the old key', async () => {
    const keys: { id: string; algorithm: string }[] = [];
    for (const algorithm of ['ES256', 'EdDSA', 'HS256', 'RS256'])
      keys.push(await keyClient(before, tenant).generate({ algorithm, name: `old-${algorithm}` }));

    // A webhook whose secret was rotated once: two sealed secrets, which kek:rotate re-seals too.
    const webhook = await request(before.http)
      .post('/key/webhooks')
      .set(tenant.headers)
      .send({ url: 'http://127.0.0.1:9/hooks', events: ['*'] });
    const rotatedSecret = await request(before.http).post(`/key/webhooks/${webhook.body.data.id}/rotate-secret`).set(tenant.headers);
    expectEnvelope(rotatedSecret, 200);
    const webhookSecrets = [rotatedSecret.body.data.secret, webhook.body.data.secret];

    // The new key first, the old one still there: old records open, new ones are sealed under the new key.
    const both = await onSameDatabase([newKek, oldKek]);
    await signsWithAll(both, keys);
    keys.push(await keyClient(both, tenant).generate({ algorithm: 'ES384', name: 'new' }));
    expect((await sealedUnder(both)).sort()).toEqual(
      [...Array(4).fill(keyEncryptionKeyId(oldKek).toString('hex')), keyEncryptionKeyId(newKek).toString('hex')].sort(),
    );

    // Without the old key before the rotation, the old records do not open.
    const tooEarly = await onSameDatabase([newKek]);
    const errors = await tooEarly.withExpectedErrors(async () => {
      expect((await keyClient(tooEarly, tenant).send.sign(keys[0], { payload: {} })).status).toBe(500);
    });
    expect(errors).toEqual([expect.stringMatching(/^Unhandled error \[requestId=/)]);

    // The rotation, in batches of 2, through the CLI as an operator runs it (the service keeps running).
    const env = { DATABASE_URL: before.config.databaseUrl, KEY_ENCRYPTION_KEYS: [newKek, oldKek].map(base64).join(',') };
    const rotated = runCli(['kek:rotate', '--batch', '2', '--json'], env);
    expect({ status: rotated.status, stderr: rotated.stderr }).toEqual({ status: 0, stderr: '' });
    expect(JSON.parse(rotated.stdout)).toEqual({ resealed: 6, remaining: 0 });
    expect(await sealedUnder(both)).toEqual(Array(5).fill(keyEncryptionKeyId(newKek).toString('hex')));
    const [secrets] = await both.dataSource.query(`SELECT tenant_id, id, secret_sealed, previous_secret_sealed FROM webhook_subscriptions`);
    const opened = [secrets.secret_sealed, secrets.previous_secret_sealed].map((sealed: Buffer) =>
      open([newKek], sealed, webhookSecretAssociatedData(secrets.tenant_id, secrets.id)).toString(),
    );
    expect(opened).toEqual(webhookSecrets);
    // Again: nothing left to do (resumable, idempotent).
    expect(JSON.parse(runCli(['kek:rotate', '--json'], env).stdout)).toEqual({ resealed: 0, remaining: 0 });

    // Every key still signs: with both keys configured, and with the new key alone.
    await signsWithAll(both, keys);
    const after = await onSameDatabase([newKek]);
    await signsWithAll(after, keys);
  });

  it('shows a progress bar on a terminal', async () => {
    for (let i = 0; i < 3; i += 1) await keyClient(before, tenant).generate({ algorithm: 'ES256', name: `bar-${i}` });
    // `script` gives the CLI a pseudo-terminal, as an operator's shell would.
    const result = spawnSync('script', ['-qec', `${process.execPath} ${CLI} kek:rotate --batch 1`, '/dev/null'], {
      env: cleanEnv({ DATABASE_URL: before.config.databaseUrl, KEY_ENCRYPTION_KEYS: [newKek, oldKek].map(base64).join(','), TERM: 'xterm' }),
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/re-sealed [░█]+ 3\/3 \(100%\)/);
    expect(result.stdout).toContain(
      '3 secrets re-sealed (private keys, HMAC and webhook secrets); all are under the newest key-encryption key, the first of KEY_ENCRYPTION_KEYS. Older keys may now be removed from KEY_ENCRYPTION_KEYS.',
    );
  });

  it('stops, naming the record, when a record opens with none of the configured keys', async () => {
    const stranger = await onSameDatabase([randomBytes(32)]);
    const orphan = await keyClient(stranger, tenant).generate({ algorithm: 'ES256', name: 'orphan' });
    const result = runCli(['kek:rotate', '--json'], { DATABASE_URL: before.config.databaseUrl, KEY_ENCRYPTION_KEYS: base64(newKek) });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain(
      `tenant_keys.private_key_sealed of ${orphan.id} (tenant ${tenant.tenantId}) opens with none of the configured key-encryption keys`,
    );
    expect(result.stderr + result.stdout).not.toContain(base64(newKek));
  });
});
