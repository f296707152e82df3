import { createLocalJWKSet, jwtVerify } from 'jose';
import { eventually } from './support/eventually';
import { keyClient } from './support/key-client';
import { MAIN, cleanEnv, runCli } from './support/processes';
import { signingKeySpec } from '../src/crypto/algorithms';
import { createSoftHsmToken, SOFTHSM_MODULE, type SoftHsmToken } from './support/softhsm';
import { expectEnvelope, startTestApp, type TestApp, type TestTenant } from './support/test-app';
import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { HSM, type Pkcs11Token } from '../src/hsm/pkcs11-token';

/**
 * Keys in custody "hsm", on a real PKCS#11 token (SoftHSM2, a token of this file's own): made, used, rotated and
 * destroyed in the token; looked at from outside with OpenSC's pkcs11-tool; signatures verified with jose.
 */
describe('HSM custody (PKCS#11, SoftHSM2)', () => {
  let token: SoftHsmToken;
  let testApp: TestApp;
  let tenant: TestTenant;

  beforeAll(async () => {
    token = createSoftHsmToken('custody');
    testApp = await startTestApp(token.env);
    tenant = await testApp.createTenant('hsm');
  });
  afterAll(async () => {
    await testApp.close();
    token.cleanup();
  });

  const keys = () => keyClient(testApp, tenant);
  const privateObjects = () => token.pkcs11Tool('--list-objects', '--type', 'privkey');

  it.each(['ES256', 'ES384', 'ES512', 'RS256', 'PS384', 'EdDSA'])(
    '%s: made in the token, signs there, verified by jose against the JWKS',
    async (algorithm) => {
      const key = await keys().generate({ algorithm, name: `hsm ${algorithm}`, custody: 'hsm' });
      expect(key).toMatchObject({ custody: 'hsm', hasPrivateKey: true });
      const { payload, protectedHeader } = await keys().signAndVerify(key, { sub: 'hsm-user', aud: 'api' });
      expect(payload).toMatchObject({ sub: 'hsm-user', aud: 'api' });
      expect(protectedHeader).toMatchObject({ alg: algorithm, kid: key.kid, typ: 'JWT' });
      // The database holds the public key and the label only.
      const [row] = await testApp.dataSource.query('SELECT private_key_sealed, hsm_label, public_key_pem FROM tenant_keys WHERE id = $1', [key.id]);
      expect(row).toEqual({
        private_key_sealed: null,
        hsm_label: expect.stringMatching(new RegExp(`^tenant-key:${tenant.tenantId}:${key.id}:[0-9a-f]{16}$`)),
        public_key_pem: expect.stringMatching(/PUBLIC KEY/),
      });
      // The verify route takes the token too.
      const verified = await keys().verify(await keys().sign(key, { payload: { n: 1 } }));
      expect(verified).toMatchObject({ valid: true, keyId: key.id, payload: { n: 1 } });
    },
  );

  it('keeps the private key sensitive and never extractable, as pkcs11-tool sees it', async () => {
    const key = await keys().generate({ algorithm: 'ES256', name: 'looked at', custody: 'hsm' });
    const [{ label }] = await testApp.dataSource.query('SELECT hsm_label AS label FROM tenant_keys WHERE id = $1', [key.id]);
    const listing = privateObjects();
    const entry = listing.split(/\n(?=Private Key Object)/).find((object) => object.includes(`label:      ${label}`));
    expect(entry).toMatch(/Usage:\s+sign\n/);
    expect(entry).toMatch(/Access:\s+sensitive, always sensitive, never extractable, local/);
    // The same through the binding the service uses.
    expect(await testApp.app.get<Pkcs11Token>(HSM).privateKeyProtection(label)).toEqual({
      sensitive: true,
      extractable: false,
      alwaysSensitive: true,
      neverExtractable: true,
    });
  });

  it('rotates an HSM key into the HSM (alias moves, both verify), and deletion destroys its objects in the token', async () => {
    const old = await keys().generate({ algorithm: 'ES256', name: 'rotating', custody: 'hsm', alias: 'hsm-login' });
    const rotated = await keys().rotate(old);
    expect(rotated).toMatchObject({ custody: 'hsm', alias: 'hsm-login' });
    const signedByAlias = await keys().signByAlias('hsm-login', { payload: { sub: 'x' } });
    const jwks = createLocalJWKSet(await keys().jwks());
    expect((await jwtVerify(signedByAlias, jwks)).protectedHeader.kid).toBe(rotated.kid);

    for (const key of [old, rotated]) {
      expect(privateObjects()).toContain(key.id);
      await keys().delete(key);
      expect(privateObjects()).not.toContain(key.id);
      expect(token.pkcs11Tool('--list-objects', '--type', 'pubkey')).not.toContain(key.id);
    }
  });

  it('takes a rotation policy; of two racing generations of one id, the loser destroys only its own pair', async () => {
    const key = await keys().generate({ algorithm: 'ES256', name: 'with a policy', custody: 'hsm' });
    const policy = { rotateEverySeconds: 86_400, prePublishSeconds: 3_600, retireAfterSeconds: 7_200 };
    expect((await keys().update(key, { rotationPolicy: policy })).rotationPolicy).toEqual(policy);

    const id = randomUUID();
    const answers = await Promise.all(
      [0, 1].map(() => keys().send.generate({ algorithm: 'ES256', name: 'raced', custody: 'hsm' }, `/key/generate/${id}`)),
    );
    expect(answers.map((answer) => answer.status).sort()).toEqual([200, 409]);
    await keys().sign(id, { payload: {} });
    // One pair in the token for it: the loser's was destroyed.
    expect(privateObjects().split(`:${id}:`).length - 1).toBe(1);
  });

  it('hsm:orphans finds the key pairs no key names, and destroys them with --destroy', async () => {
    const kept = await keys().generate({ algorithm: 'ES256', name: 'kept', custody: 'hsm' });
    // A pair left behind, as by a process that died between making it and storing its row.
    const orphan = `tenant-key:${tenant.tenantId}:${randomUUID()}:0000000000000000`;
    await testApp.app.get<Pkcs11Token>(HSM).generateKeyPair(signingKeySpec('ES256'), orphan);
    const env = { DATABASE_URL: testApp.config.databaseUrl, KEY_ENCRYPTION_KEY: testApp.config.sealingKey.toString('base64'), ...token.env };
    const found = runCli(['hsm:orphans', '--grace', '0', '--json'], env);
    expect({ status: found.status, stderr: found.stderr }).toEqual({ status: 0, stderr: '' });
    expect(JSON.parse(found.stdout)).toEqual({ orphans: [orphan], destroyed: false });
    const destroyed = runCli(['hsm:orphans', '--grace', '0', '--destroy', '--json'], env);
    expect(JSON.parse(destroyed.stdout)).toEqual({ orphans: [orphan], destroyed: true });
    expect(privateObjects()).not.toContain(orphan);
    expect(privateObjects()).toContain(kept.id);
  });

  it('refuses what an HSM key cannot be, with a 400 naming the field', async () => {
    for (const [body, field, message] of [
      [{ algorithm: 'HS256', name: 'h', custody: 'hsm' }, 'custody', 'custody "hsm" is for RS*, PS*, ES* and EdDSA keys'],
      [
        { algorithm: 'ES256', name: 'c', custody: 'hsm', certificate: true },
        'certificate',
        'certificates are not available for keys in custody "hsm"',
      ],
      [{ algorithm: 'ES256', name: 'x', custody: 'vault' }, 'custody', 'custody must be one of software, hsm'],
    ] as const) {
      const res = await keys().send.generate(body);
      expectEnvelope(res, 400);
      expect(res.body.errors).toEqual([{ field, message }]);
    }
    const software = await keys().generate({ algorithm: 'ES256', name: 'soft' });
    expect(software.custody).toBe('software');
  });

  it('answers 503 while the token is away, and signs again once it is back, never a 500', async () => {
    const key = await keys().generate({ algorithm: 'ES256', name: 'outage', custody: 'hsm' });
    const statuses: number[] = [];
    let running = true;
    const traffic = Promise.all(
      [0, 1, 2].map(async () => {
        while (running) {
          const res = await keys().send.sign(key, { payload: { sub: 'outage' } });
          statuses.push(res.status);
          if (res.status === 503) expect(res.body.code).toBe('HSM_UNAVAILABLE');
        }
      }),
    );
    try {
      await eventually('signing under traffic', () => statuses.filter((status) => status === 200).length >= 20);
      const errors = await testApp.withExpectedErrors(async () => {
        token.remove();
        const before = statuses.length;
        await eventually('503s while the token is away', () => statuses.slice(before).filter((status) => status === 503).length >= 10);
        token.restore();
        const back = statuses.length;
        await eventually('200s once it is back', () => statuses.slice(back).filter((status) => status === 200).length >= 20, { withinMs: 15_000 });
      });
      expect(errors).toEqual([]);
    } finally {
      running = false;
      await traffic;
    }
    expect([...new Set(statuses)].sort()).toEqual([200, 503]);
  });
});

describe('HSM settings checked at start', () => {
  let token: SoftHsmToken;
  beforeAll(() => (token = createSoftHsmToken('start-checks')));
  afterAll(() => token.cleanup());

  const start = (env: Record<string, string>) =>
    spawnSync(process.execPath, [MAIN], {
      env: cleanEnv({ DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none', KEY_ENCRYPTION_KEY: Buffer.alloc(32, 7).toString('base64'), ...env }),
      encoding: 'utf8',
      timeout: 30_000,
    });

  it.each([
    [
      { PKCS11_PIN: '0000' },
      expect.stringMatching(/^Configuration error: PKCS11_PIN is wrong for the token labelled "start-checks-\d+" \(CKR_PIN_INCORRECT\)$/),
    ],
    [{ PKCS11_TOKEN_LABEL: 'absent' }, `Configuration error: PKCS11_TOKEN_LABEL: no token labelled "absent" in ${SOFTHSM_MODULE}`],
    [
      { PKCS11_MODULE: '/nowhere/libpkcs11.so' },
      expect.stringMatching(/^Configuration error: PKCS11_MODULE \/nowhere\/libpkcs11\.so cannot be loaded as a PKCS#11 library/),
    ],
    [{ PKCS11_PIN: '' }, 'Configuration error: PKCS11_PIN or PKCS11_PIN_FILE is required with PKCS11_MODULE'],
  ])('%o: exits 1 with one line that says so, never the PIN', (change, line) => {
    const result = start({ ...token.env, ...change });
    expect(result.status).toBe(1);
    expect(result.stderr.trim().split('\n')).toEqual([line]);
    expect(result.stderr + result.stdout).not.toContain('0000');
    expect(result.stderr + result.stdout).not.toContain(token.pin);
  });
});

describe('custody "hsm" without an HSM', () => {
  let testApp: TestApp;
  afterAll(() => testApp.close());

  it('is a 400 that says none is configured', async () => {
    testApp = await startTestApp();
    const tenant = await testApp.createTenant('no hsm');
    const res = await keyClient(testApp, tenant).send.generate({ algorithm: 'ES256', name: 'n', custody: 'hsm' });
    expectEnvelope(res, 400);
    expect(res.body.errors).toEqual([
      { field: 'custody', message: 'custody "hsm" needs an HSM, and none is configured (PKCS11_MODULE, PKCS11_TOKEN_LABEL, PKCS11_PIN)' },
    ]);
  });
});
