import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { KeyLifecycle } from '../src/tenant-keys/lifecycle/key-lifecycle';
import { eventually } from './support/eventually';
import { startReceiver } from './support/webhook-receiver';
import { keyClient } from './support/key-client';
import { expectEnvelope, startTestApp, type TestApp, type TestTenant } from './support/test-app';

/**
 * Certificates from a CA: the service writes the request, OpenSSL plays the CA (a root and an intermediate made
 * here), and what comes back is attached, checked and published.
 */
/** openssl req's options for a new P-256 key, unencrypted. */
const NEW_P256_KEY = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];

describe('certificates with a life', () => {
  let testApp: TestApp;
  let tenant: TestTenant;
  let dir: string;
  const file = (name: string) => join(dir, name);
  const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

  beforeAll(async () => {
    // Lifecycle steps every second (certificate warnings); a local webhook receiver.
    testApp = await startTestApp({ LIFECYCLE_TICK_SECONDS: '1', WEBHOOK_ALLOW_PRIVATE_URLS: 'true' });
    tenant = await testApp.createTenant('certificates');
    dir = mkdtempSync(join(tmpdir(), 'keyservice-ca-'));
    // A root CA and an intermediate it signs, as a real CA has.
    writeFileSync(
      file('ca.cnf'),
      '[v3_ca]\nbasicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\n[leaf]\nbasicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\n',
    );
    openssl(
      'req',
      '-x509',
      ...NEW_P256_KEY,
      '-keyout',
      'root.key',
      '-out',
      'root.pem',
      '-days',
      '30',
      '-subj',
      '/CN=Test Root',
      '-extensions',
      'v3_ca',
      '-config',
      file('ca.cnf'),
    );
    openssl('req', ...NEW_P256_KEY, '-keyout', 'inter.key', '-out', 'inter.csr', '-subj', '/CN=Test Intermediate');
    openssl(
      'x509',
      '-req',
      '-in',
      'inter.csr',
      '-CA',
      'root.pem',
      '-CAkey',
      'root.key',
      '-CAcreateserial',
      '-out',
      'inter.pem',
      '-days',
      '30',
      '-extfile',
      file('ca.cnf'),
      '-extensions',
      'v3_ca',
    );
  });
  afterAll(async () => {
    rmSync(dir, { recursive: true, force: true });
    await testApp.close();
  });

  const generate = (algorithm: string) => keyClient(testApp, tenant).generate({ algorithm, name: `${algorithm} for a CA` });
  const csrFor = (id: string, body: object) => request(testApp.http).post(`/key/${id}/csr`).set(tenant.headers).send(body);
  const attach = (id: string, certificateChain: string[]) =>
    request(testApp.http).put(`/key/${id}/certificate`).set(tenant.headers).send({ certificateChain });
  /** The CA issues a leaf for this CSR, valid `days`. */
  const issue = (csr: string, name: string, days = 10) => {
    writeFileSync(file(`${name}.csr`), csr);
    openssl(
      'x509',
      '-req',
      '-in',
      `${name}.csr`,
      '-CA',
      'inter.pem',
      '-CAkey',
      'inter.key',
      '-CAcreateserial',
      '-out',
      `${name}.pem`,
      '-days',
      String(days),
      '-extfile',
      file('ca.cnf'),
      '-extensions',
      'leaf',
    );
    return readFileSync(file(`${name}.pem`), 'utf8');
  };

  it.each(['ES256', 'RS256', 'PS384', 'EdDSA'])(
    '%s: a CSR signed by the key that OpenSSL verifies, a chain attached and published in x5c',
    async (algorithm) => {
      const key = await generate(algorithm);
      const res = await csrFor(key.id, { commonName: 'login.example.com', organization: 'Example, Ltd', country: 'NL' });
      expectEnvelope(res, 200);
      const csr = res.body.data.csr as string;
      writeFileSync(file(`${algorithm}.csr`), csr);
      expect(openssl('req', '-in', `${algorithm}.csr`, '-verify', '-noout', '-subject')).toMatch(/CN\s*=\s*login\.example\.com/);
      // The CSR holds the key's own public key.
      expect(openssl('req', '-in', `${algorithm}.csr`, '-pubkey', '-noout').trim()).toBe((key.publicKey as string).trim());

      const leaf = issue(csr, algorithm);
      const intermediate = readFileSync(file('inter.pem'), 'utf8');
      const attached = await attach(key.id, [leaf, intermediate, readFileSync(file('root.pem'), 'utf8')]);
      expectEnvelope(attached, 200);
      expect(Date.parse(attached.body.data.certificateExpiresAt as string)).toBeGreaterThan(Date.now() + 9 * 86_400_000);
      const jwks = await keyClient(testApp, tenant).jwks();
      const published = jwks.keys.find((jwk) => jwk.kid === key.kid)!;
      expect(published.x5c).toHaveLength(3);
      // What verifiers get verifies up to the root with OpenSSL.
      const pem = (der: string) => `-----BEGIN CERTIFICATE-----\n${der.match(/.{1,64}/g)!.join('\n')}\n-----END CERTIFICATE-----\n`;
      writeFileSync(file('x5c-leaf.pem'), pem(published.x5c![0]));
      writeFileSync(file('x5c-inter.pem'), pem(published.x5c![1]));
      expect(openssl('verify', '-CAfile', 'root.pem', '-untrusted', 'x5c-inter.pem', 'x5c-leaf.pem').trim()).toBe('x5c-leaf.pem: OK');
      expectEnvelope(await request(testApp.http).post(`/key/${key.id}/sign`).set(tenant.headers).send({ payload: {} }), 200);
    },
  );

  it('takes a subject field sent as null as left out: the request names the common name only', async () => {
    const key = await generate('ES256');
    const nulls = { organization: null, organizationalUnit: null, country: null, state: null, locality: null };
    const res = await csrFor(key.id, { commonName: 'nulls.example.com', ...nulls });
    expectEnvelope(res, 200);
    writeFileSync(file('nulls.csr'), res.body.data.csr);
    expect(openssl('req', '-in', 'nulls.csr', '-verify', '-noout', '-subject')).toMatch(/subject\s*=\s*CN\s*=\s*nulls\.example\.com\s*$/);
  });

  it('refuses a chain whose leaf holds another key, out of order, or not a certificate, naming the one at fault', async () => {
    const key = await generate('ES256');
    const other = await generate('ES256');
    const otherLeaf = issue((await csrFor(other.id, { commonName: 'other' })).body.data.csr, 'other');
    const ownLeaf = issue((await csrFor(key.id, { commonName: 'own' })).body.data.csr, 'own');
    const root = readFileSync(file('root.pem'), 'utf8');
    for (const [chain, field, message] of [
      [[otherLeaf], 'certificateChain[0]', "certificateChain[0] does not hold this key's public key"],
      [[ownLeaf, root], 'certificateChain[0]', 'certificateChain[0] is not signed by certificateChain[1]'],
      [[ownLeaf, 'not a certificate'], 'certificateChain[1]', 'certificateChain[1] must hold exactly one PEM certificate'],
      [[ownLeaf + root], 'certificateChain[0]', 'certificateChain[0] must hold exactly one PEM certificate'],
    ] as const) {
      const res = await attach(key.id, [...chain]);
      expectEnvelope(res, 400);
      expect(res.body.errors).toEqual([{ field, message }]);
    }
    const hmac = await generate('HS256');
    expectEnvelope(await csrFor(hmac.id, { commonName: 'x' }), 400);
  });

  it('stops signing with CERTIFICATE_EXPIRED once the leaf has expired, and says so in the view', async () => {
    const key = await generate('ES256');
    writeFileSync(file('short.csr'), (await csrFor(key.id, { commonName: 'short-lived' })).body.data.csr);
    // A leaf that expires two seconds from now (openssl x509 -days counts whole days: its successor, ca, sets dates).
    const until = new Date(Date.now() + 2_000);
    const stamp = (date: Date) => date.toISOString().replace(/[-:T]/g, '').slice(0, 14) + 'Z';
    writeFileSync(file('index.txt'), '');
    writeFileSync(
      file('ca-short.cnf'),
      `[ca]\ndefault_ca=short\n[short]\ndatabase=${file('index.txt')}\nnew_certs_dir=${dir}\nserial=${file('serial')}\ndefault_md=sha256\npolicy=any\ncopy_extensions=none\n[any]\ncommonName=supplied\n`,
    );
    writeFileSync(file('serial'), '1000\n');
    openssl(
      'ca',
      '-batch',
      '-config',
      file('ca-short.cnf'),
      '-cert',
      'inter.pem',
      '-keyfile',
      'inter.key',
      '-in',
      'short.csr',
      '-out',
      'short.pem',
      '-startdate',
      stamp(new Date(Date.now() - 60_000)),
      '-enddate',
      stamp(until),
      '-notext',
    );
    const attached = await attach(key.id, [readFileSync(file('short.pem'), 'utf8'), readFileSync(file('inter.pem'), 'utf8')]);
    expectEnvelope(attached, 200);
    expectEnvelope(await request(testApp.http).post(`/key/${key.id}/sign`).set(tenant.headers).send({ payload: {} }), 200);
    await eventually('the leaf expired', () => Date.now() > until.getTime() + 1_000);
    const refused = await request(testApp.http).post(`/key/${key.id}/sign`).set(tenant.headers).send({ payload: {} });
    expectEnvelope(refused, 409);
    expect(refused.body.code).toBe('CERTIFICATE_EXPIRED');
    const view = (await request(testApp.http).get(`/key/${key.id}`).set(tenant.headers)).body.data;
    expect(Date.parse(view.certificateExpiresAt as string)).toBeLessThan(Date.now());
  });

  it('announces a leaf’s coming expiry once 30 days before and once 7 days before (key.certificate_expiring)', async () => {
    const receiver = await startReceiver();
    try {
      // A tenant of its own: the other tests' leaves (10 days) are announced to nobody here.
      const expiring = await testApp.createTenant('expiring certificates');
      const subscribed = await request(testApp.http)
        .post('/key/webhooks')
        .set(expiring.headers)
        .send({ url: receiver.url, events: ['key.certificate_expiring'] });
      testApp.trackSecret(subscribed.body.data.secret);
      const key = await keyClient(testApp, expiring).generate({ algorithm: 'ES256', name: 'expiring' });
      const csr = (await request(testApp.http).post(`/key/${key.id}/csr`).set(expiring.headers).send({ commonName: 'expiring' })).body.data.csr;
      const attachLeaf = async (days: number) => {
        const res = await request(testApp.http)
          .put(`/key/${key.id}/certificate`)
          .set(expiring.headers)
          .send({ certificateChain: [issue(csr, `expiring-${days}`, days), readFileSync(file('inter.pem'), 'utf8')] });
        expectEnvelope(res, 200);
        return res.body.data.certificateExpiresAt as string;
      };
      const queued = async () =>
        (
          await testApp.dataSource.query<{ body: string }[]>('SELECT body FROM webhook_deliveries WHERE subscription_id = $1 ORDER BY sequence', [
            subscribed.body.data.id,
          ])
        ).map((row) => JSON.parse(row.body) as { type: string; data: Record<string, unknown> });

      // 20 days left: the 30-day warning, once (the scheduler runs every second; runs by hand find nothing more).
      const twentyDays = await attachLeaf(20);
      await eventually('the 30-day warning received', () => receiver.received.length === 1);
      for (let i = 0; i < 3; i++) await testApp.app.get(KeyLifecycle).runDueSteps();
      expect((await queued()).map((event) => event.data)).toEqual([
        { tenantId: expiring.tenantId, keyId: key.id, kid: key.kid, alias: null, status: 'active', daysBefore: 30, expiresAt: twentyDays },
      ]);

      // A new leaf with 3 days left is announced afresh, at 7 days only (the nearest threshold).
      const threeDays = await attachLeaf(3);
      await eventually('the 7-day warning received', () => receiver.received.length === 2);
      for (let i = 0; i < 3; i++) await testApp.app.get(KeyLifecycle).runDueSteps();
      const events = await queued();
      expect(events.map((event) => [event.type, event.data.daysBefore, event.data.expiresAt])).toEqual([
        ['key.certificate_expiring', 30, twentyDays],
        ['key.certificate_expiring', 7, threeDays],
      ]);
      expect(receiver.received.map((delivery) => JSON.parse(delivery.body) as unknown)).toEqual(
        events.map((event) => expect.objectContaining(event)),
      );
    } finally {
      await receiver.close();
    }
  });
});
