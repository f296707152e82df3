import { generateKeyPairSync } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { createRemoteJWKSet, jwtVerify, SignJWT } from 'jose';
import request from 'supertest';
import { startIdentityProvider, type IdentityProvider } from './support/identity-provider';
import { keyClient } from './support/key-client';
import { expectEnvelope, startTestApp, type TestApp, type TestTenant } from './support/test-app';

/**
 * A `/keys` user belongs to the tenant that minted the token, and no other tenant can claim it: tenant A copies
 * tenant B's public key (it is in B's JWKS) or the OAuth provider's, with their issuers, and tries to become the
 * home of their users.
 */
describe('/keys users are bound to the tenant that minted the token', () => {
  let idp: IdentityProvider;
  let testApp: TestApp;
  let tenantA: TestTenant;
  let tenantB: TestTenant;
  let baseUrl: string;
  const B_ISSUER = 'https://login.b.example';

  beforeAll(async () => {
    idp = await startIdentityProvider();
    testApp = await startTestApp({ OAUTH_JWKS_URL: idp.jwksUrl, OAUTH_ISSUER: idp.issuer, OAUTH_AUDIENCE: idp.audience });
    tenantA = await testApp.createTenant('hostile-a');
    tenantB = await testApp.createTenant('victim-b');
    // Listening for real, so that jose fetches B's JWKS as any verifier would.
    await testApp.app.listen(0, '127.0.0.1');
    baseUrl = `http://127.0.0.1:${(testApp.http.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await testApp.close();
    await idp.close();
  });

  const keys = (tenant: TestTenant) => keyClient(testApp, tenant);
  const userCall = (token: string) => ({
    list: () => request(testApp.http).get('/keys').set('authorization', `Bearer ${token}`),
    register: (name: string) => request(testApp.http).post('/keys/register').set('authorization', `Bearer ${token}`).send({ name }),
  });
  /** A token of the tenant's key for the provider's audience, as a tenant mints one for its users. */
  const mint = (tenant: TestTenant, keyId: string, payload: object, expiresIn: number | null = 300) =>
    keys(tenant).sign(keyId, { payload: { aud: idp.audience, ...payload }, expiresIn });
  async function importPublicJwkOf(tenant: TestTenant, jwksPath: string, kid: string, issuer: string): Promise<void> {
    const jwks = await request(testApp.http).get(jwksPath);
    const jwk = jwks.body.keys.find((entry: { kid: string }) => entry.kid === kid);
    await keys(tenant).import({ name: 'copied', issuer, jwk });
  }
  const ownerIds = (res: request.Response) => (res.body.data as { name: string }[]).map((key) => key.name).sort();

  it("keeps alice B's when A imports B's public key with B's issuer, before and after B moves its row", async () => {
    const bKey = await keys(tenantB).generate({ algorithm: 'ES256', name: 'b-users', issuer: B_ISSUER });
    // The token is verifiable by anyone against B's JWKS: a second implementation checks it before the service does.
    const aliceOfB = await mint(tenantB, bKey.id, { sub: 'alice', scope: 'add_key' });
    const bJwks = createRemoteJWKSet(new URL(`${baseUrl}/tenants/${tenantB.tenantId}/.well-known/jwks.json`));
    expect((await jwtVerify(aliceOfB, bJwks, { issuer: B_ISSUER })).payload.sub).toBe('alice');
    expectEnvelope(await userCall(aliceOfB).register('alice-phone'), 200);

    await importPublicJwkOf(tenantA, `/tenants/${tenantB.tenantId}/.well-known/jwks.json`, bKey.kid, B_ISSUER);
    // B edits its key: the row moves (on the heap, in any index order), which once let A's copy be found first.
    for (const alias of ['b-users-alias', null])
      expectEnvelope(await request(testApp.http).put(`/key/${bKey.id}`).set(tenantB.headers).send({ alias }), 200);
    expectEnvelope(await request(testApp.http).put(`/key/${bKey.id}`).set(tenantB.headers).send({ name: 'b-users-renamed' }), 200);
    // The attack's ground: two tenants hold a key with this kid and issuer, and a lookup by (kid, issuer) alone finds A's first.
    const holders = await testApp.dataSource.query<{ tenant_id: string }[]>('SELECT tenant_id FROM tenant_keys WHERE kid = $1 AND issuer = $2', [
      bKey.kid,
      B_ISSUER,
    ]);
    expect(holders.map((row) => row.tenant_id)).toEqual([tenantA.tenantId, tenantB.tenantId]);

    // Alice's keys stay B's, and what she registers now lands with B.
    expectEnvelope(await userCall(aliceOfB).register('alice-laptop'), 200);
    expect(ownerIds(await userCall(aliceOfB).list())).toEqual(['alice-laptop', 'alice-phone']);

    // A mints its own token for alice: A's alice is another user, who sees, deletes and plants nothing of B's alice.
    const aKey = await keys(tenantA).generate({ algorithm: 'ES256', name: 'a-users', issuer: 'https://login.a.example' });
    const aliceOfA = await mint(tenantA, aKey.id, { sub: 'alice', scope: 'add_key' });
    const seenByA = await userCall(aliceOfA).list();
    expectEnvelope(seenByA, 200);
    expect(seenByA.body.data).toEqual([]);
    expectEnvelope(await userCall(aliceOfA).register('planted-by-a'), 200);
    expect(ownerIds(await userCall(aliceOfB).list())).toEqual(['alice-laptop', 'alice-phone']);
  });

  it("keeps OAuth users the provider's when A imports the provider's public key with OAUTH_ISSUER", async () => {
    const bobOfProvider = await idp.issueToken({ sub: 'bob', scope: 'add_key' });
    expectEnvelope(await userCall(bobOfProvider).register('bob-phone'), 200);

    const providerJwks = (await fetch(idp.jwksUrl).then((res) => res.json())) as { keys: { kid: string; alg: string }[] };
    const jwk = providerJwks.keys.find((entry) => entry.alg === 'ES256')!;
    const imported = await keys(tenantA).send.import({ name: 'provider-copy', issuer: idp.issuer, jwk });
    expectEnvelope(imported, 200);
    // The copy keeps the provider's kid.
    expect(imported.body.data.kid).toBe(jwk.kid);
    // And a row move on A's side, should order matter.
    expectEnvelope(await request(testApp.http).put(`/key/${imported.body.data.id}`).set(tenantA.headers).send({ alias: 'provider-copy' }), 200);

    expectEnvelope(await userCall(bobOfProvider).register('bob-laptop'), 200);
    expect(ownerIds(await userCall(bobOfProvider).list())).toEqual(['bob-laptop', 'bob-phone']);
    // A's token for bob is A's bob: nothing of the provider's bob.
    const aKey = await keys(tenantA).generate({ algorithm: 'ES256', name: 'a-users-2', issuer: 'https://login2.a.example' });
    const seenByA = await userCall(await mint(tenantA, aKey.id, { sub: 'bob' })).list();
    expectEnvelope(seenByA, 200);
    expect(seenByA.body.data).toEqual([]);
  });

  it('answers 401 when a tenant signs with OAUTH_ISSUER as its own issuer: only the provider speaks for it', async () => {
    const aKey = await keys(tenantA).generate({ algorithm: 'ES256', name: 'fake-provider', issuer: idp.issuer });
    const forged = await mint(tenantA, aKey.id, { sub: 'bob' });
    expectEnvelope(await userCall(forged).list(), 401);
  });

  it('answers 401 when two tenants hold the private key that signed the token: never a guess', async () => {
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const pem = privateKey.export({ format: 'pem', type: 'pkcs8' }) as string;
    const issuer = 'https://shared.example';
    const inA = await keys(tenantA).send.import({ name: 'shared', issuer, privateKey: pem });
    expectEnvelope(inA, 200);
    const token = await new SignJWT({ sub: 'carol', aud: idp.audience })
      .setProtectedHeader({ alg: 'ES256', kid: inA.body.data.kid })
      .setIssuer(issuer)
      .setExpirationTime('5m')
      .sign(privateKey);
    // One tenant holds it: carol is A's.
    expectEnvelope(await userCall(token).list(), 200);
    expectEnvelope(await keys(tenantB).send.import({ name: 'shared', issuer, privateKey: pem }), 200);
    expectEnvelope(await userCall(token).list(), 401);
  });

  it("keeps B's users B's when A imports a private key of its own under B's kid and issuer", async () => {
    const issuer = 'https://kid-squatting.b.example';
    const bKey = await keys(tenantB).generate({ algorithm: 'ES256', name: 'b-squatted', issuer });
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const pem = privateKey.export({ format: 'pem', type: 'pkcs8' }) as string;
    expectEnvelope(await keys(tenantA).send.import({ name: 'squatter', issuer, privateKey: pem, kid: bKey.kid }), 200);
    // Two tenants can sign under this kid and issuer, but only B's key verifies B's token, and only A's verifies A's.
    const erinOfB = await mint(tenantB, bKey.id, { sub: 'erin', scope: 'add_key' });
    expectEnvelope(await userCall(erinOfB).register('erin-phone'), 200);
    const erinOfA = await new SignJWT({ sub: 'erin', aud: idp.audience })
      .setProtectedHeader({ alg: 'ES256', kid: bKey.kid })
      .setIssuer(issuer)
      .setExpirationTime('5m')
      .sign(privateKey);
    const seenByA = await userCall(erinOfA).list();
    expectEnvelope(seenByA, 200);
    expect(seenByA.body.data).toEqual([]);
    expect(ownerIds(await userCall(erinOfB).list())).toEqual(['erin-phone']);
  });

  it('answers 401 for a tenant-minted token without exp, signed by the service or elsewhere', async () => {
    const key = await keys(tenantB).generate({ algorithm: 'ES256', name: 'no-exp', issuer: 'https://no-exp.example' });
    const withExp = await mint(tenantB, key.id, { sub: 'dave' });
    expectEnvelope(await userCall(withExp).list(), 200);
    const withoutExp = await mint(tenantB, key.id, { sub: 'dave' }, null);
    expectEnvelope(await userCall(withoutExp).list(), 401);

    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const imported = await keys(tenantB).send.import({
      name: 'minted-elsewhere',
      issuer: 'https://elsewhere.example',
      privateKey: privateKey.export({ format: 'pem', type: 'pkcs8' }),
    });
    expectEnvelope(imported, 200);
    const elsewhere = (expiry?: string) => {
      const jwt = new SignJWT({ sub: 'dave', aud: idp.audience }).setProtectedHeader({ alg: 'ES256', kid: imported.body.data.kid });
      if (expiry) jwt.setExpirationTime(expiry);
      return jwt.setIssuer('https://elsewhere.example').sign(privateKey);
    };
    expectEnvelope(await userCall(await elsewhere('5m')).list(), 200);
    expectEnvelope(await userCall(await elsewhere()).list(), 401);
  });

  it("answers 401 for the OAuth provider's token without exp", async () => {
    expectEnvelope(await userCall(await idp.issueToken({ sub: 'erin' })).list(), 200);
    expectEnvelope(await userCall(await idp.issueToken({ sub: 'erin' }, { expiresIn: null })).list(), 401);
  });
});
