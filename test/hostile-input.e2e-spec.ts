import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import request from 'supertest';
import { startTestApp, type TestApp, type TestTenant } from './support/test-app';

/** Inputs per property; thousands in all across the properties below. */
const RUNS = 400;
let tried = 0;

type Method = 'get' | 'post' | 'put' | 'delete';
/** Every route, `:id` to be filled with a generated id. */
const ROUTES: [Method, string][] = [
  ['get', '/key'],
  ['post', '/key/generate'],
  ['post', '/key/generate/:id'],
  ['post', '/key/import'],
  ['post', '/key/import/:id'],
  ['post', '/key/verify'],
  ['post', '/key/:id/sign'],
  ['post', '/key/:id/rotate'],
  ['get', '/key/:id'],
  ['put', '/key/:id'],
  ['delete', '/key/:id'],
  ['get', '/key/audit'],
  ['get', '/keys'],
  ['post', '/keys/register'],
  ['post', '/keys/import'],
  ['delete', '/keys/:id'],
  ['get', '/tenants/:id/.well-known/jwks.json'],
  ['get', '/.well-known/jwks.json'],
  ['get', '/health'],
  ['get', '/health/live'],
  ['get', '/health/ready'],
  // The FusionAuth mount.
  ['get', '/api/key'],
  ['get', '/api/key/search'],
  ['post', '/api/key/search'],
  ['post', '/api/key/generate'],
  ['post', '/api/key/generate/:id'],
  ['post', '/api/key/import'],
  ['post', '/api/key/import/:id'],
  ['get', '/api/key/:id'],
  ['put', '/api/key/:id'],
  ['delete', '/api/key/:id'],
  ['get', '/api/jwt/public-key'],
  ['post', '/api/jwt/vend'],
];

const DANGEROUS_KEYS = ['__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', 'algorithm', 'name', 'payload', 'header'];
const hostileString = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.string({ unit: 'grapheme', maxLength: 40 }),
  fc.constantFrom(
    '\u0000',
    'a\u0000b',
    '../../etc/passwd',
    "'; DROP TABLE tenant_keys; --",
    '%00',
    '\u202e',
    '💥'.repeat(300),
    'ES256',
    'RS256',
    'HS256',
  ),
  fc.string({ minLength: 1000, maxLength: 5000 }),
);
const hostileNumber = fc.oneof(fc.integer(), fc.double(), fc.constantFrom(1e308, -1e308, 2 ** 53 + 1, -0, 4096, 2048));
const hostileValue = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    hostileString,
    hostileNumber,
    fc.boolean(),
    fc.constant(null),
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(fc.oneof(fc.constantFrom(...DANGEROUS_KEYS), fc.string({ maxLength: 10 })), tie('value'), { maxKeys: 5 }),
  ),
})).value;
/** A JSON text: a value, an object of the routes' own fields with hostile values, deep nesting, or not JSON at all. */
const hostileBody = fc.oneof(
  hostileValue.map((value) => JSON.stringify(value) ?? 'null'),
  fc
    .record(
      {
        algorithm: hostileValue,
        name: hostileValue,
        uuid: hostileValue,
        length: hostileValue,
        payload: hostileValue,
        header: hostileValue,
        token: hostileValue,
        expiresIn: hostileValue,
        keyType: hostileValue,
        format: hostileValue,
        // FusionAuth's request members.
        key: hostileValue,
        search: hostileValue,
        claims: hostileValue,
        keyId: hostileValue,
        timeToLiveInSeconds: hostileValue,
      },
      { requiredKeys: [] },
    )
    .map((value) => JSON.stringify(value)),
  fc.constantFrom(
    '{"__proto__":{"polluted":true}}',
    '{"constructor":{"prototype":{"polluted":true}}}',
    `${'['.repeat(5000)}${']'.repeat(5000)}`,
    '{"a":',
    'nul\u0000l',
  ),
  fc.string({ maxLength: 200 }),
);
const hostileId = fc.oneof(
  fc.uuid(),
  fc.constant(randomUUID()),
  hostileString.filter((s) => s.length > 0).map(encodeURIComponent),
  fc.constantFrom('%00', '..', 'null', '0'),
);

describe('hostile input on every route', () => {
  let testApp: TestApp;
  let tenant: TestTenant;
  let userToken: string;
  /** The first 401 seen per family of routes (`/key`, `/keys`): every other must equal it. */
  const unauthorized = new Map<string, { status: number; body: unknown }>();

  beforeAll(async () => {
    testApp = await startTestApp();
    tenant = await testApp.createTenant('fuzzed');
    const key = (
      await request(testApp.http)
        .post('/key/generate')
        .set(tenant.headers)
        .send({ algorithm: 'ES256', name: 'issuer', issuer: 'https://fuzz.example' })
    ).body.data;
    userToken = (
      await request(testApp.http)
        .post(`/key/${key.id}/sign`)
        .set(tenant.headers)
        .send({ payload: { sub: 'fuzzer', scope: 'add_key' } })
    ).body.data.token;
  });
  afterAll(async () => {
    process.stdout.write(`hostile input: ${tried} generated requests tried\n`);
    await testApp.close();
  });

  /**
   * What every answer must be: no 5xx, the envelope (JWKS aside, which is a plain JWK set on success; the FusionAuth mount
   * aside, which answers as FusionAuth: no body, or its `Errors`).
   */
  function expectSafe(res: request.Response, path: string): void {
    tried++;
    expect(res.status).toBeLessThan(500);
    // The router's refusals (a path parameter too long) come before any route: in the envelope everywhere.
    if (path.startsWith('/api/') && res.status !== 414) {
      if (res.text === '') expect(res.headers['content-type']).toBeUndefined();
      else if (res.status >= 400) expect(res.body).toEqual({ fieldErrors: expect.any(Object), generalErrors: expect.any(Array) });
      else expect(typeof res.body).toBe('object');
      return;
    }
    if (path.includes('jwks.json') && res.status === 200) {
      expect(Array.isArray(res.body.keys)).toBe(true);
      return;
    }
    expect(typeof res.body).toBe('object');
    expect(typeof res.body.success).toBe('boolean');
    expect(typeof res.body.message).toBe('string');
    expect('data' in res.body).toBe(true);
  }

  const send = (method: Method, path: string, headers: Record<string, string>, body?: string) => {
    let req = request(testApp.http)[method](path);
    for (const [name, value] of Object.entries(headers)) req = req.set(name, value);
    return body === undefined ? req : req.set('content-type', 'application/json').send(body);
  };

  it('never answers 5xx, always the envelope, with good credentials and hostile bodies, ids and queries', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...ROUTES),
        hostileId,
        hostileBody,
        fc.dictionary(fc.constantFrom('limit', 'cursor', 'after', 'x', 'name', 'numberOfResults', 'startRow', 'orderBy'), hostileString, {
          maxKeys: 3,
        }),
        async ([method, route], id, body, query) => {
          const path = route.replace(':id', id);
          const headers = route.startsWith('/keys')
            ? { authorization: `Bearer ${userToken}` }
            : route.startsWith('/api/')
              ? { authorization: tenant.apiKey, 'x-fusionauth-tenantid': tenant.tenantId }
              : tenant.headers;
          const res = await send(method, path, headers, method === 'post' || method === 'put' ? body : undefined).query(query);
          expectSafe(res, path);
        },
      ),
      { numRuns: RUNS * 3 },
    );
    // Nothing a body said changed the objects of the process.
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.prototype.hasOwnProperty.call(Object.prototype, 'polluted')).toBe(false);
  });

  it('answers any bad credential with the same 401', async () => {
    const credentialHeaders = fc.oneof(
      fc.record(
        { authorization: hostileString, 'x-stencil-tenantid': fc.oneof(fc.uuid(), fc.constant(tenant?.tenantId ?? randomUUID()), hostileString) },
        { requiredKeys: [] },
      ),
      fc.constantFrom(
        { authorization: 'Basic ks_not-a-real-key', 'x-stencil-tenantid': randomUUID() },
        { authorization: `Basic ${'A'.repeat(4000)}` },
        { authorization: 'Bearer eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.' },
        { authorization: 'Basic', 'x-stencil-tenantid': '' },
        { authorization: tenant?.apiKey ?? '', 'x-fusionauth-tenantid': randomUUID() },
        { 'x-fusionauth-tenantid': tenant?.tenantId ?? randomUUID() },
      ),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...ROUTES.filter(([, route]) => route.startsWith('/key') || (route.startsWith('/api/') && route !== '/api/jwt/public-key'))),
        credentialHeaders,
        hostileBody,
        async ([method, route], headers, body) => {
          const path = route.replace(':id', randomUUID());
          // Printable header values only: anything else is refused by the HTTP client before it is sent.
          const printable = Object.fromEntries(Object.entries(headers).map(([name, value]) => [name, String(value).replace(/[^\x20-\x7e]/g, '')]));
          const res = await send(method, path, printable, method === 'post' || method === 'put' ? body : undefined);
          expectSafe(res, path);
          // A bad body may be refused first (413, 415, 400 malformed JSON): that says nothing about credentials.
          if (res.status === 401 || res.status === 403) {
            const family = route.split('/')[1];
            const seen = { status: res.status, body: route.startsWith('/api/') ? res.text : { ...res.body, requestId: undefined } };
            if (!unauthorized.has(family)) unauthorized.set(family, seen);
            expect(seen).toEqual(unauthorized.get(family));
          }
        },
      ),
      { numRuns: RUNS * 2 },
    );
    expect([...unauthorized.values()].map((seen) => seen.status)).toEqual([401, 401, 401]);
    // The FusionAuth mount's: no body.
    expect(unauthorized.get('api')).toEqual({ status: 401, body: '' });
  });

  it('answers oversized headers, URLs and bodies in the envelope', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 40_000 }), fc.constantFrom('header', 'url', 'body'), async (size, where) => {
        const big = 'x'.repeat(size);
        const res =
          where === 'header'
            ? await request(testApp.http).get('/key').set(tenant.headers).set('x-filler', big)
            : where === 'url'
              ? await request(testApp.http).get(`/key/${big}`).set(tenant.headers)
              : await request(testApp.http)
                  .put(`/key/${randomUUID()}`)
                  .set(tenant.headers)
                  .set('content-type', 'application/json')
                  .send(JSON.stringify({ name: 'x'.repeat(size * 3) }));
        expectSafe(res, '/key');
        if (where === 'body' && size * 3 + 11 > 100 * 1024) expect(res.status).toBe(413);
      }),
      { numRuns: RUNS / 4 },
    );
  });
});
