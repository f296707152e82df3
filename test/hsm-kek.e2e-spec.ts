import { randomBytes } from 'node:crypto';
import { keyEncryptionKeyId, open, SealOpenError, tenantKeyAssociatedData } from '../src/crypto/sealing';
import { keyClient } from './support/key-client';
import { runCli } from './support/processes';
import { createSoftHsmToken, type SoftHsmToken } from './support/softhsm';
import { createTestDatabase } from './support/test-database';
import { expectEnvelope, startTestApp, type TestApp, type TestTenant } from './support/test-app';

/**
 * The key-encryption key in the HSM (PKCS11_KEK_LABEL): software private keys sealed with a fresh data key each,
 * wrapped by an AES-256 key that never leaves the token. A database copy with the environment opens nothing;
 * kek:rotate moves records from the environment's key to the HSM's and back.
 */
describe('the key-encryption key in the HSM', () => {
  jest.setTimeout(90_000);
  let token: SoftHsmToken;
  const environmentKey = randomBytes(32);
  let env: Record<string, string>;
  let tenant: TestTenant;
  const keys: { id: string; algorithm: string }[] = [];

  beforeAll(async () => {
    token = createSoftHsmToken('kek');
    const database = await createTestDatabase();
    env = { DATABASE_URL: database.url, KEY_ENCRYPTION_KEY: environmentKey.toString('base64') };
  });
  afterAll(() => token.cleanup());

  /** One app at a time: one process initialises the PKCS#11 library once. */
  const withApp = async <T>(extra: Record<string, string>, work: (app: TestApp) => Promise<T>): Promise<T> => {
    const app = await startTestApp({ ...env, ...extra });
    try {
      return await work(app);
    } finally {
      await app.close();
    }
  };
  const sealed = (app: TestApp) =>
    app.dataSource.query<{ tenant_id: string; id: string; private_key_sealed: Buffer }[]>(
      'SELECT tenant_id, id, private_key_sealed FROM tenant_keys ORDER BY created_at',
    );
  /** Every key signs through `app`, each token verified as a relying party would (HMAC: by POST /key/verify). */
  const signsWithAll = async (app: TestApp) => {
    const client = keyClient(app, tenant);
    for (const key of keys) expect((await client.signAndVerify(key, { sub: 'kek' })).payload).toMatchObject({ sub: 'kek' });
  };
  const kekRotate = (extra: Record<string, string>) => {
    const result = runCli(['kek:rotate', '--json'], { ...env, ...extra });
    expect({ status: result.status, stderr: result.stderr }).toEqual({ status: 0, stderr: '' });
    return JSON.parse(result.stdout) as { resealed: number; remaining: number };
  };

  it('moves records from the environment key to the HSM key with kek:rotate; the HSM key seals new ones; a copy with the environment alone opens nothing', async () => {
    // Before: an HSM for custody only; records sealed by the environment's key.
    await withApp(token.env, async (app) => {
      tenant = await app.createTenant('kek in hsm');
      for (const algorithm of ['ES256', 'HS256']) keys.push(await keyClient(app, tenant).generate({ algorithm, name: `before ${algorithm}` }));
      expect((await sealed(app)).map((row) => row.private_key_sealed.subarray(1, 5).toString('hex'))).toEqual([
        keyEncryptionKeyId(environmentKey).toString('hex'),
        keyEncryptionKeyId(environmentKey).toString('hex'),
      ]);
    });

    // kek:rotate with the HSM's key (made in the token by this first use): every record moves, in envelopes.
    const withKek = { ...token.env, PKCS11_KEK_LABEL: 'service-kek' };
    expect(kekRotate(withKek)).toEqual({ resealed: 2, remaining: 0 });
    // A token without that key, once records are sealed under it, is refused rather than given a new one.
    const stranger = createSoftHsmToken('stranger');
    try {
      const refused = runCli(['kek:rotate', '--json'], { ...env, ...stranger.env, PKCS11_KEK_LABEL: 'service-kek' });
      expect({ status: refused.status, stderr: refused.stderr }).toEqual({
        status: 1,
        stderr:
          'Configuration error: PKCS11_KEK_LABEL: the token has no key labelled "service-kek", yet stored records are sealed under it: restore it from the HSM\'s backup\n',
      });
      expect(stranger.pkcs11Tool('--list-objects', '--type', 'secrkey')).not.toContain('service-kek');
    } finally {
      stranger.cleanup();
    }
    expect(token.pkcs11Tool('--list-objects', '--type', 'secrkey')).toMatch(
      /label:\s+service-kek[\s\S]*Access:\s+sensitive, always sensitive, never extractable, local/,
    );

    await withApp(withKek, async (app) => {
      keys.push(await keyClient(app, tenant).generate({ algorithm: 'RS256', name: 'sealed in the HSM' }));
      const rows = await sealed(app);
      expect(rows.map((row) => row.private_key_sealed[0])).toEqual([3, 3, 3]);
      // The database copy and the environment's keys: nothing opens.
      for (const row of rows) {
        expect(() => open([environmentKey], row.private_key_sealed, tenantKeyAssociatedData(row.tenant_id, row.id))).toThrow(SealOpenError);
      }
      await signsWithAll(app);
    });

    // A service with the environment alone (no HSM) says so at start, and cannot sign with them: 503, not a 500.
    await withApp({}, async (app) => {
      expect(app.logs.some((line) => line.includes('sealed under an HSM key-encryption key, and PKCS11_KEK_LABEL is not set'))).toBe(true);
      const refused = await keyClient(app, tenant).send.sign(keys[0], { payload: {} });
      expectEnvelope(refused, 503);
      expect(refused.body.code).toBe('HSM_UNAVAILABLE');
    });

    // And back: the HSM's key opens, the environment's seals (PKCS11_KEK_SEALS=false), kek:rotate moves them all.
    expect(kekRotate({ ...withKek, PKCS11_KEK_SEALS: 'false' })).toEqual({ resealed: 3, remaining: 0 });
    await withApp({}, async (app) => {
      expect((await sealed(app)).map((row) => row.private_key_sealed.subarray(0, 5).toString('hex'))).toEqual(
        Array(3).fill(`02${keyEncryptionKeyId(environmentKey).toString('hex')}`),
      );
      await signsWithAll(app);
    });
  });
});
