import { createPublicKey, randomBytes, randomUUID } from 'node:crypto';
import request from 'supertest';
import { generateApiKey } from '../src/tenants/api-key-secret';
import { freePort } from '../tools/free-port';
import { startService, type RunningService } from './support/processes';
import { createTestDatabase } from './support/test-database';
import { startTestApp } from './support/test-app';
import { eventually } from './support/eventually';

// CommonJS, shared with scripts/on-node.mjs and the image smoke test.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { nodeOfMajor } = require('../scripts/node-of-major.cjs') as { nodeOfMajor: (major: string) => { binary: string; version: string } };

/**
 * The built service on a Node without ML-DSA (22, from the npm registry as scripts/on-node.mjs fetches 24): it starts,
 * serves the other algorithms, and answers ML-DSA with a 400 naming the Node it needs; nothing is made. The tests
 * themselves run on Node 24 (npm test), where ML-DSA works: this is where the older runtime is proven.
 */
describe('the service on Node 22, which has no ML-DSA', () => {
  const tenantId = randomUUID();
  const apiKey = generateApiKey();
  const headers = { authorization: `Basic ${apiKey}`, 'x-stencil-tenantid': tenantId, 'content-type': 'application/json' };
  let node: { binary: string; version: string };
  let database: { url: string; drop(): Promise<void> };
  let service: RunningService;
  let base: string;
  const kek = randomBytes(32).toString('base64');

  beforeAll(async () => {
    node = nodeOfMajor('22');
    database = await createTestDatabase();
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    service = startService(
      {
        DATABASE_URL: database.url,
        KEY_ENCRYPTION_KEY: kek,
        PORT: String(port),
        BOOTSTRAP_TENANT_ID: tenantId,
        BOOTSTRAP_API_KEY: apiKey,
      },
      undefined,
      { node: node.binary },
    );
    await eventually('the service ready on Node 22', async () => (await fetch(`${base}/health/ready`).catch(() => undefined))?.ok, {
      withinMs: 90_000,
      everyMs: 200,
    });
  }, 180_000);
  afterAll(async () => {
    service?.child.kill('SIGTERM');
    await service?.exited;
    await database?.drop();
  });

  const call = async (method: string, path: string, body?: object, extra: Record<string, string> = {}) => {
    const answer = await fetch(`${base}${path}`, { method, headers: { ...headers, ...extra }, body: body && JSON.stringify(body) });
    return { status: answer.status, body: (await answer.json()) as { data: Record<string, string>; errors?: object[]; message: string } };
  };

  it('runs on that Node, which lacks ML-DSA', () => {
    expect(node.version).toMatch(/^v22\./);
  });

  it('answers ML-DSA tenant keys with a 400 naming the Node they need, makes nothing, and serves the others', async () => {
    const refusal = (algorithm: string) => `${algorithm} needs Node.js 24.7 or later; this service runs on ${node.version}`;
    const generated = await call('POST', '/key/generate', { algorithm: 'ML-DSA-65', name: 'too early' });
    expect(generated).toMatchObject({ status: 400, body: { errors: [{ field: 'algorithm', message: refusal('ML-DSA-65') }] } });
    const imported = await call('POST', '/key/import', {
      name: 'too early',
      jwk: { kty: 'AKP', alg: 'ML-DSA-44', pub: randomBytes(1312).toString('base64url') },
    });
    expect(imported).toMatchObject({ status: 400, body: { errors: [{ field: 'jwk.alg', message: refusal('ML-DSA-44') }] } });
    const classic = await call('POST', '/key/generate', { algorithm: 'ES256', name: 'classic', issuer: 'https://older.example' });
    expect(classic.status).toBe(200);
    const rotated = await call('POST', `/key/${classic.body.data.id}/rotate`, { algorithm: 'ML-DSA-65' });
    expect(rotated).toMatchObject({ status: 400, body: { errors: [{ field: 'algorithm', message: refusal('ML-DSA-65') }] } });
    const keys = await call('GET', '/key');
    expect((keys.body.data as unknown as { algorithm: string }[]).map((key) => key.algorithm)).toEqual(['ES256']);
  });

  it('serves what a Node 24 instance stored on the same database: tenant and user ML-DSA keys listed and published, their use a 400', async () => {
    // A second instance on Node 24 (this test's own runtime), sharing the database and the key-encryption key.
    const newer = await startTestApp({ DATABASE_URL: database.url, KEY_ENCRYPTION_KEY: kek });
    try {
      const tenantKey = await request(newer.http)
        .post('/key/generate')
        .set(headers)
        .send({ algorithm: 'ML-DSA-65', name: 'post-quantum' })
        .expect(200);
      const minting = await request(newer.http)
        .post('/key/generate')
        .set(headers)
        .send({ algorithm: 'ES256', name: 'minting', issuer: 'https://stored.example' });
      const token = (
        await request(newer.http)
          .post(`/key/${minting.body.data.id}/sign`)
          .set(headers)
          .send({ payload: { sub: 'user-2', scope: 'add_key' } })
      ).body.data.token as string;
      const userKey = await request(newer.http)
        .post('/keys/register')
        .set('authorization', `Bearer ${token}`)
        .send({ name: 'pq', keyType: 'ml-dsa', format: 'jwk' });
      expect(userKey.status).toBe(200);
      newer.trackSecret(userKey.body.data.privateKey.priv);

      const refusal = `ML-DSA-65 needs Node.js 24.7 or later; this service runs on ${node.version}`;
      const jwks = (await (await fetch(`${base}/tenants/${tenantId}/.well-known/jwks.json`)).json()) as { keys: { kid: string; kty: string }[] };
      expect(jwks.keys).toContainEqual(expect.objectContaining({ kid: tenantKey.body.data.kid, kty: 'AKP' }));
      expect((await call('GET', `/key/${tenantKey.body.data.id}`)).status).toBe(200);
      expect(await call('POST', `/key/${tenantKey.body.data.id}/sign`, { payload: {} })).toMatchObject({
        status: 400,
        body: { errors: [{ field: 'id', message: refusal }] },
      });
      expect(await call('POST', `/key/${tenantKey.body.data.id}/csr`, { commonName: 'pq.example' })).toMatchObject({
        status: 400,
        body: { errors: [{ field: 'id', message: refusal }] },
      });
      for (const format of ['jwk', 'hex', 'pem']) {
        const listed = await call('GET', `/keys?format=${format}`, undefined, { authorization: `Bearer ${token}` });
        const mine = (listed.body.data as unknown as { id: string; publicKey: unknown; parameterSet: number }[]).find(
          (key) => key.id === userKey.body.data.id,
        )!;
        const pub = userKey.body.data.publicKey.pub as string;
        expect([listed.status, mine.parameterSet]).toEqual([200, 65]);
        if (format === 'jwk') expect(mine.publicKey).toEqual({ kty: 'AKP', alg: 'ML-DSA-65', pub });
        if (format === 'hex') expect(mine.publicKey).toBe(Buffer.from(pub, 'base64url').toString('hex'));
        if (format === 'pem') expect(createPublicKey(mine.publicKey as string).export({ format: 'jwk' })).toMatchObject({ pub });
      }
    } finally {
      await newer.close();
    }
  });

  it('answers ML-DSA user keys with a 400 naming the Node they need', async () => {
    const key = await call('POST', '/key/generate', { algorithm: 'ES256', name: 'user tokens', issuer: 'https://older-users.example' });
    const signed = await call('POST', `/key/${key.body.data.id}/sign`, { payload: { sub: 'user-1', scope: 'add_key' }, expiresIn: 300 });
    const registered = await call('POST', '/keys/register', { name: 'pq', keyType: 'ml-dsa' }, { authorization: `Bearer ${signed.body.data.token}` });
    expect(registered).toMatchObject({
      status: 400,
      body: { errors: [{ field: 'keyType', message: `ML-DSA needs Node.js 24.7 or later; this service runs on ${node.version}` }] },
    });
  });
});
