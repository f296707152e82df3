import { generateKeyPairSync, randomBytes, randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import Ajv2020, { type ValidateFunction } from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import fc from 'fast-check';
import request from 'supertest';
import { runtimeSupportsMlDsa } from '../src/crypto/ml-dsa-runtime';
import { eventually } from './support/eventually';
import { startIdentityProvider, type IdentityProvider } from './support/identity-provider';
import { startTestApp, type TestApp, type TestTenant } from './support/test-app';
import { startReceiver } from './support/webhook-receiver';

/**
 * A fuzzer that reads the contract: it walks every operation of the service's own OpenAPI document and sends,
 * per body field (nested ones included), per query and header parameter and per path parameter, the values a
 * careless or hostile client sends. Every answer must be one the document lists for the operation, in the
 * envelope and in the shape the document gives it; none is a 5xx. Path parameters name real resources, made
 * afresh after an answer that may have changed them, so that bodies get past the 404.
 */

type Schema = Record<string, unknown>;
type Operation = {
  tags?: string[];
  security?: Record<string, string[]>[];
  parameters?: { name: string; in: 'path' | 'query' | 'header'; required?: boolean }[];
  requestBody?: { content: { 'application/json': { schema: Schema } } };
  responses: Record<string, { content?: Record<string, { schema?: Schema }> }>;
};
type OpenApi = { paths: Record<string, Record<string, Operation>>; components: { schemas: Record<string, Schema> } };

/** The seed of the random values, mixed with the operation and field: a failure reproduces run after run. */
const SEED = 20231;
/** Random JSON values per body field, beside the fixed cases. */
const RANDOM_VALUES_PER_FIELD = 4;
const seedOf = (text: string) => [...text].reduce((hash, char) => (Math.imul(hash, 31) + char.charCodeAt(0)) | 0, SEED);
const LONG = 'x'.repeat(10_000);
/** Sent in place of each body field: null, every wrong type, empty and long strings, extreme numbers, unknown fields. */
const BODY_VALUES: [string, unknown][] = [
  ['null', null],
  ['true', true],
  ['""', ''],
  ['10,000 characters', LONG],
  ['-1', -1],
  ['0', 0],
  ['2^53', 2 ** 53],
  ['1e308', 1e308],
  ['-1e308', -1e308],
  ['0.5', 0.5],
  ['[]', []],
  ['{}', {}],
  ['[null]', [null]],
  ['{ unknownField }', { unknownField: 1 }],
];
/** Sent as the items of an array field. */
const ITEM_VALUES: [string, unknown][] = [
  ['[""]', ['']],
  ['[10,000 characters]', [LONG]],
  ['[-1]', [-1]],
  ['[1e308]', [1e308]],
  ['[{}]', [{}]],
];
/** Query and header values are text: the same cases as text, and a query parameter given twice. */
const TEXT_VALUES: [string, string | string[]][] = [
  ['""', ''],
  ['10,000 characters', LONG],
  ['-1', '-1'],
  ['0', '0'],
  ['2^53', String(2 ** 53)],
  ['1e308', '1e308'],
  ['-1e308', '-1e308'],
  ['0.5', '0.5'],
  ['null', 'null'],
  ['given twice', ['1', '2']],
];

/**
 * Kinds of tenant key a `/key/{id}` path names, in turn: every key type, with and without a private part (ML-DSA where
 * the runtime has it; test/ml-dsa.e2e-spec.ts checks the 400 where it has not).
 */
const KEY_KINDS = (['ES256', 'RS256', 'EdDSA', 'ML-DSA-65', 'HS256', 'public-only'] as const).filter(
  (kind) => kind !== 'ML-DSA-65' || runtimeSupportsMlDsa(),
);
type ResourceName =
  `key:${(typeof KEY_KINDS)[number]}` | 'key:pending deletion' | 'alias' | 'apiKey' | 'webhook' | 'delivery' | 'userKey' | 'signedToken';
interface Resource {
  id: string;
  certificate?: string;
}

function freshPublicKeyPem(): string {
  return generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ type: 'spki', format: 'pem' }).toString();
}

function freshPublicKeyHex(): string {
  const jwk = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ format: 'jwk' });
  return `04${Buffer.from(jwk.x!, 'base64url').toString('hex')}${Buffer.from(jwk.y!, 'base64url').toString('hex')}`;
}

/** A valid body per operation (a fresh one per request): the fields are varied one at a time from it. */
type BodyOf = (resource: Resource | undefined, fixtures: Fixtures) => Promise<Record<string, unknown>> | Record<string, unknown>;
const OPERATIONS: Record<string, BodyOf | null> = {
  'GET /health': null,
  'GET /health/live': null,
  'GET /health/ready': null,
  'GET /metrics': null,
  'GET /api-keys': null,
  'POST /api-keys': () => ({ name: 'fuzzed', scopes: ['keys:read'] }),
  'GET /api-keys/current': null,
  'GET /api-keys/{id}': null,
  'DELETE /api-keys/{id}': null,
  'GET /key': null,
  'POST /key/generate': () => ({ name: 'fuzzed', algorithm: 'ES256' }),
  'POST /key/generate/{id}': () => ({ name: 'fuzzed', algorithm: 'ES256' }),
  'POST /key/import': () => ({ name: 'fuzzed', publicKey: freshPublicKeyPem() }),
  'POST /key/import/{id}': () => ({ name: 'fuzzed', publicKey: freshPublicKeyPem() }),
  'POST /key/verify': async (_resource, fixtures) => ({ token: (await fixtures.get('signedToken')).id }),
  'POST /key/{id}/sign': () => ({ payload: { sub: 'fuzzed' } }),
  'POST /key/{id}/rotate': () => ({ gracePeriodSeconds: 60 }),
  'GET /key/alias/{alias}': null,
  'POST /key/alias/{alias}/sign': () => ({ payload: { sub: 'fuzzed' } }),
  'GET /key/audit': null,
  'GET /key/{id}': null,
  'PUT /key/{id}': () => ({ name: 'renamed' }),
  'DELETE /key/{id}': null,
  'POST /key/{id}/csr': () => ({ commonName: 'fuzzed.example.com' }),
  'PUT /key/{id}/certificate': (key) => ({ certificateChain: [key?.certificate ?? 'none'] }),
  'POST /key/{id}/schedule-deletion': () => ({ afterSeconds: 30 * 24 * 60 * 60 }),
  'POST /key/{id}/cancel-deletion': null,
  'GET /tenants/{tenantId}/.well-known/jwks.json': null,
  'GET /.well-known/jwks.json': null,
  'GET /keys': null,
  'POST /keys/register': () => ({ name: 'phone' }),
  'POST /keys/import': () => ({ name: 'laptop', publicKey: freshPublicKeyHex() }),
  'DELETE /keys/{id}': null,
  'GET /key/webhooks': null,
  'POST /key/webhooks': (_resource, fixtures) => ({ url: fixtures.receiverUrl, events: ['key.created'] }),
  'GET /key/webhooks/{id}': null,
  'PUT /key/webhooks/{id}': () => ({ enabled: true }),
  'DELETE /key/webhooks/{id}': null,
  'POST /key/webhooks/{id}/rotate-secret': null,
  'GET /key/webhooks/{id}/deliveries': null,
  'POST /key/webhooks/{id}/deliveries/{deliveryId}/redeliver': null,
  // The FusionAuth mount.
  'GET /api/key': null,
  'GET /api/key/search': null,
  'POST /api/key/search': () => ({ search: { name: 'fuzz*' } }),
  'POST /api/key/generate': () => ({ key: { name: 'fuzzed', algorithm: 'ES256' } }),
  'POST /api/key/generate/{id}': () => ({ key: { name: 'fuzzed', algorithm: 'ES256' } }),
  'POST /api/key/import': () => ({ key: { name: 'fuzzed', publicKey: freshPublicKeyPem() } }),
  'POST /api/key/import/{id}': () => ({ key: { name: 'fuzzed', publicKey: freshPublicKeyPem() } }),
  'GET /api/key/{id}': null,
  'PUT /api/key/{id}': () => ({ key: { name: 'renamed' } }),
  'DELETE /api/key/{id}': null,
  'GET /api/jwt/public-key': null,
  'POST /api/jwt/vend': async (_resource, fixtures) => ({ keyId: (await fixtures.get('key:ES256')).id, claims: { sub: 'fuzzed' } }),
};

/** An operation that leaves the resource it names as it was: the rest get a fresh resource after a success. */
const LEAVES_RESOURCE_AS_IS = (method: string, path: string) => method === 'get' || path.endsWith('/sign');

/** The resources one operation's requests name, each made when first needed and again once forgotten. */
class Fixtures {
  private readonly made = new Map<ResourceName, Promise<Resource>>();
  private count = 0;

  constructor(
    private readonly http: Server,
    readonly tenant: TestTenant,
    private readonly userToken: string,
    readonly receiverUrl: string,
  ) {}

  get(name: ResourceName): Promise<Resource> {
    let resource = this.made.get(name);
    if (!resource) this.made.set(name, (resource = this.make(name)));
    return resource;
  }

  forget(names: ResourceName[]): void {
    for (const name of names) this.made.delete(name);
  }

  private async make(name: ResourceName): Promise<Resource> {
    this.count += 1;
    switch (name) {
      case 'key:public-only':
        return this.post('/key/import', { name: 'fuzz fixture', publicKey: freshPublicKeyPem() });
      case 'key:HS256':
        return this.post('/key/generate', { name: 'fuzz fixture', algorithm: 'HS256' });
      case 'key:ES256':
      case 'key:RS256':
      case 'key:EdDSA':
      case 'key:ML-DSA-65':
        return this.post('/key/generate', { name: 'fuzz fixture', algorithm: name.slice(4), certificate: true });
      case 'key:pending deletion': {
        const key = await this.post('/key/generate', { name: 'fuzz fixture', algorithm: 'ES256' });
        return this.post(`/key/${key.id}/schedule-deletion`, {});
      }
      case 'alias': {
        const alias = `fuzz-${this.count}`;
        await this.post('/key/generate', { name: 'fuzz fixture', algorithm: 'ES256', alias });
        return { id: alias };
      }
      case 'signedToken': {
        const key = await this.get('key:ES256');
        const signed = await this.post(`/key/${key.id}/sign`, { payload: { sub: 'fuzz' } });
        return { id: (signed as unknown as { token: string }).token };
      }
      case 'apiKey':
        return this.post('/api-keys', { name: 'fuzz fixture', scopes: ['keys:read'] });
      case 'webhook':
        return this.post('/key/webhooks', { url: this.receiverUrl, events: ['*'] });
      case 'delivery': {
        const webhook = await this.get('webhook');
        await this.post('/api-keys', { name: 'an event to deliver', scopes: ['keys:read'] });
        const { value } = await eventually('a delivery to redeliver', async () => {
          const res = await request(this.http).get(`/key/webhooks/${webhook.id}/deliveries`).set(this.tenant.headers);
          return (res.body.data as Resource[] | undefined)?.[0];
        });
        return value;
      }
      case 'userKey': {
        const res = await request(this.http).post('/keys/register').set('authorization', `Bearer ${this.userToken}`).send({ name: 'fixture' });
        if (res.status !== 200) throw new Error(`Could not make a user key: ${res.status} ${res.text}`);
        return res.body.data as Resource;
      }
    }
  }

  private async post(path: string, body: object): Promise<Resource> {
    const res = await request(this.http).post(path).set(this.tenant.headers).send(body);
    if (res.status !== 200) throw new Error(`Could not make a fixture with POST ${path}: ${res.status} ${res.text}`);
    return res.body.data as Resource;
  }
}

/** The parts of one request, made from the operation's valid request and changed by one probe. */
interface RequestParts {
  params: Record<string, string>;
  query: Record<string, string | string[]>;
  headers: Record<string, string>;
  body?: unknown;
  /** The body as the document describes it, when it is sent in the FusionAuth wrapper. */
  unwrapped?: unknown;
}
interface Probe {
  label: string;
  change: (parts: RequestParts) => void;
  /** For a null the document takes as left out: the same request with the field left out, to be answered alike. */
  leftOut?: (parts: RequestParts) => void;
}

describe('Every operation of the OpenAPI document, fuzzed field by field', () => {
  let testApp: TestApp;
  let idp: IdentityProvider;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  let document: OpenApi;
  const metricsToken = randomBytes(24).toString('base64url');
  const ajv = new Ajv2020({ strict: false });
  addFormats(ajv);
  const validators = new Map<string, ValidateFunction>();

  beforeAll(async () => {
    idp = await startIdentityProvider();
    receiver = await startReceiver();
    testApp = await startTestApp({
      OAUTH_JWKS_URL: idp.jwksUrl,
      OAUTH_ISSUER: idp.issuer,
      OAUTH_AUDIENCE: idp.audience,
      METRICS_TOKEN: metricsToken,
      WEBHOOK_ALLOW_PRIVATE_URLS: 'true',
    });
    const res = await request(testApp.http).get('/docs-json');
    expect(res.status).toBe(200);
    document = res.body;
    ajv.addSchema(structuredClone(document), 'openapi');
  });
  afterAll(async () => {
    await testApp.close();
    await receiver.close();
    await idp.close();
  });

  const operationOf = (key: string) => {
    const [method, path] = key.split(' ');
    return { method: method.toLowerCase(), path, operation: document.paths[path][method.toLowerCase()] };
  };

  /** Follows `$ref`s and merges `allOf`, and picks the object of an `anyOf`/`oneOf` (a nullable object). */
  function resolve(schema: Schema): Schema {
    if (typeof schema.$ref === 'string') return resolve(document.components.schemas[schema.$ref.split('/').pop()!]);
    const members = (schema.allOf ?? []) as Schema[];
    const choice = ((schema.anyOf ?? schema.oneOf ?? []) as Schema[]).map(resolve).find((member) => member.properties);
    const merged = [...members.map(resolve), ...(choice ? [choice] : [])];
    if (merged.length === 0) return schema;
    return merged.reduce(
      (all, member) => ({ ...all, ...member, properties: { ...(all.properties as object), ...(member.properties as object) } }),
      schema,
    );
  }

  /**
   * Every field of a body schema, nested objects' fields included, as paths with their schemas; and whether the
   * document takes its null as the field left out (optional, taking null, its description giving null no meaning).
   */
  function fieldsOf(schema: Schema, parent: string[] = []): { path: string[]; schema: Schema; nullIsLeftOut: boolean }[] {
    const object = resolve(schema);
    const properties = (object.properties ?? {}) as Record<string, Schema>;
    return Object.entries(properties).flatMap(([name, property]) => {
      const path = [...parent, name];
      const takesNull = [property.type].flat().includes('null') || ((property.anyOf ?? []) as Schema[]).some((member) => member.type === 'null');
      const required = ((object.required ?? []) as string[]).includes(name);
      const nullIsLeftOut = takesNull && !required && !/\bnull\b/i.test((property.description as string | undefined) ?? '');
      const nested = resolve(property).properties ? fieldsOf(property, path) : [];
      return [{ path, schema: resolve(property), nullIsLeftOut }, ...nested];
    });
  }

  /** Sets (or with no value, leaves out) the field at `path`, in a copy of each object on the way. */
  function changeAt(body: Record<string, unknown>, path: string[], ...value: [unknown?]): void {
    let object = body;
    for (const name of path.slice(0, -1)) {
      const inner = object[name];
      object = object[name] = inner !== null && typeof inner === 'object' && !Array.isArray(inner) ? { ...inner } : {};
    }
    if (value.length === 0) delete object[path[path.length - 1]];
    else object[path[path.length - 1]] = value[0];
  }

  function probesOf(key: string, operation: Operation): Probe[] {
    const probes: Probe[] = [{ label: 'as documented', change: () => undefined }];
    for (const parameter of operation.parameters ?? []) {
      const { name } = parameter;
      if (parameter.in === 'path') probes.push({ label: `{${name}} of 10,000 characters`, change: (parts) => void (parts.params[name] = LONG) });
      for (const [label, value] of TEXT_VALUES) {
        if (parameter.in === 'query') probes.push({ label: `?${name}=${label}`, change: (parts) => void (parts.query[name] = value) });
        if (parameter.in === 'header' && typeof value === 'string')
          probes.push({ label: `${name}: ${label}`, change: (parts) => void (parts.headers[name] = value) });
      }
    }
    if (operation.parameters?.some((parameter) => parameter.in === 'query'))
      probes.push({ label: '?unknownParameter', change: (parts) => void (parts.query.unknownParameter = '1') });
    const bodySchema = operation.requestBody?.content['application/json'].schema;
    if (!bodySchema) return probes;
    const wrapped = operation.tags?.includes('Tenant keys') ?? false;
    const bodyProbe = (label: string, change: (body: Record<string, unknown>) => void, alsoWrapped = false, leftOut?: Probe['leftOut']) => {
      probes.push({ label, change: (parts) => change(parts.body as Record<string, unknown>), leftOut });
      // The FusionAuth wrapper `{ "key": { … } }` is taken off before validation: the same input, another way in.
      if (alsoWrapped && wrapped)
        probes.push({
          label: `${label}, wrapped in { key }`,
          change: (parts) => {
            change(parts.body as Record<string, unknown>);
            parts.unwrapped = parts.body;
            parts.body = { key: parts.body };
          },
          leftOut,
        });
    };
    bodyProbe('{ unknownField }', (body) => void (body.unknownField = 1), true);
    for (const field of fieldsOf(bodySchema)) {
      const name = field.path.join('.');
      const random = fc.sample(fc.jsonValue({ maxDepth: 2 }), { seed: seedOf(`${key} ${name}`), numRuns: RANDOM_VALUES_PER_FIELD });
      const values = [
        ...BODY_VALUES,
        ...(field.schema.type === 'array' ? ITEM_VALUES : []),
        ...random.map((value) => [`random ${JSON.stringify(value).slice(0, 40)}`, value] as [string, unknown]),
      ];
      const leftOut = (body: Record<string, unknown>) => changeAt(body, field.path);
      bodyProbe(`${name} left out`, leftOut);
      for (const [label, value] of values) {
        const twin = value === null && field.nullIsLeftOut ? (parts: RequestParts) => leftOut(parts.body as Record<string, unknown>) : undefined;
        bodyProbe(`${name} = ${label}`, (body) => changeAt(body, field.path, value), value === null, twin);
      }
    }
    return probes;
  }

  /** The path parameter's resource: a real one of the tenant, a new id where the request makes one, or the tenant. */
  function resourceFor(path: string, parameter: string, probeIndex: number): ResourceName | 'new id' | 'tenant' {
    if (parameter === 'tenantId' || parameter === 'x-stencil-tenantid' || parameter === 'X-FusionAuth-TenantId') return 'tenant';
    if (parameter === 'deliveryId') return 'delivery';
    if (/^(\/api)?\/key\/(generate|import)\//.test(path)) return 'new id';
    if (path.startsWith('/key/alias/')) return 'alias';
    if (path.startsWith('/key/webhooks/')) return 'webhook';
    if (path.endsWith('/cancel-deletion')) return 'key:pending deletion';
    if (path.startsWith('/key/') || path.startsWith('/api/key/')) return `key:${KEY_KINDS[probeIndex % KEY_KINDS.length]}`;
    if (path.startsWith('/api-keys/')) return 'apiKey';
    if (path.startsWith('/keys/')) return 'userKey';
    throw new Error(`No resource known for ${parameter} of ${path}`);
  }

  /** The schema at `place` in the operation (its request body or an answer), compiled once. */
  function validatorFor(path: string, method: string, place: string[]): ValidateFunction {
    const pointer = ['paths', path, method, ...place, 'content', 'application/json', 'schema']
      .map((segment) => encodeURIComponent(segment.replace(/~/g, '~0').replace(/\//g, '~1')))
      .join('/');
    let validate = validators.get(pointer);
    if (!validate) validators.set(pointer, (validate = ajv.compile({ $ref: `openapi#/${pointer}` })));
    return validate;
  }

  /** What is wrong with an answer, measured against the document. */
  function problemsWith(path: string, method: string, operation: Operation, res: request.Response): string[] {
    const code = typeof res.body?.code === 'string' ? ` ${res.body.code}` : '';
    if (res.status >= 500) return [`answered ${res.status}${code}`];
    const documented = operation.responses[String(res.status)];
    if (!documented) return [`answered ${res.status}${code}, which the document does not list`];
    const problems: string[] = [];
    const notEnveloped = res.status < 400 && (path.endsWith('/jwks.json') || path === '/metrics');
    // The FusionAuth mount answers as FusionAuth (its schemas say how); but the router's 414, before any route.
    if (path.startsWith('/api/') && res.status !== 414) {
      if (res.text === '' && res.type !== '') problems.push(`answered ${res.status} with an empty body of type ${res.type}`);
    } else if (!notEnveloped) {
      const { success, message, data } = (res.body ?? {}) as { success?: unknown; message?: unknown; data?: unknown };
      if (success !== res.status < 400 || typeof message !== 'string' || data === undefined)
        problems.push(`answered ${res.status}${code} outside the envelope: ${res.text.slice(0, 200)}`);
      if (res.status >= 400 && res.body?.requestId !== res.headers['x-request-id'])
        problems.push(`answered ${res.status}${code} without its request id`);
    }
    const schema = documented.content?.['application/json']?.schema;
    if (res.type === 'application/json' && !schema) problems.push(`answered ${res.status} in JSON, which the document does not describe`);
    if (res.type === 'application/json' && schema) {
      const validate = validatorFor(path, method, ['responses', String(res.status)]);
      if (!validate(res.body))
        problems.push(`answered ${res.status}${code} unlike its schema: ${ajv.errorsText(validate.errors, { dataVar: 'body' })}`);
    }
    return problems;
  }

  it('has a valid request for every operation of the document, and none for an operation it does not have', () => {
    const documented = Object.entries(document.paths).flatMap(([path, methods]) =>
      Object.keys(methods).map((method) => `${method.toUpperCase()} ${path}`),
    );
    expect(documented.sort()).toEqual(Object.keys(OPERATIONS).sort());
    for (const key of documented)
      expect({ key, body: Boolean(operationOf(key).operation.requestBody) }).toEqual({ key, body: OPERATIONS[key] !== null });
  });

  it.each(Object.keys(OPERATIONS))('%s answers every probe as documented, never with a 5xx', async (key) => {
    const { method, path, operation } = operationOf(key);
    const tenant = await testApp.createTenant('fuzzed');
    const userToken = await idp.issueToken({ sub: `fuzz-${randomUUID()}`, scope: 'add_key' });
    const fixtures = new Fixtures(testApp.http, tenant, userToken, receiver.url);
    const security = Object.keys(operation.security?.[0] ?? {});
    /** Each problem once, with the probes that showed it. */
    const problems = new Map<string, string[]>();
    const probes = probesOf(key, operation);
    /** Sends the operation's documented request, changed by `change`, to the resources of probe `index`. */
    async function send(index: number, change: Probe['change']): Promise<{ res: request.Response; parts: RequestParts }> {
      const used: ResourceName[] = [];
      const parts: RequestParts = { params: {}, query: {}, headers: {} };
      let resource: Resource | undefined;
      for (const parameter of operation.parameters ?? []) {
        if (parameter.in === 'query' || !parameter.required) continue;
        const source = resourceFor(path, parameter.name, index);
        let value: string;
        if (source === 'tenant') value = tenant.tenantId;
        else if (source === 'new id') value = randomUUID();
        else {
          used.push(source);
          value = (resource = await fixtures.get(source)).id;
        }
        if (parameter.in === 'path') parts.params[parameter.name] = value;
        else parts.headers[parameter.name] = value;
      }
      const bodyOf = OPERATIONS[key];
      if (bodyOf) parts.body = await bodyOf(resource, fixtures);
      change(parts);
      const url = path.replace(/\{(\w+)\}/g, (_, name: string) => encodeURIComponent(parts.params[name]));
      let req = request(testApp.http)[method as 'get'](url).query(parts.query).set(parts.headers);
      if (security.includes('apiKey')) req = req.set(tenant.headers);
      if (security.includes('accessToken')) req = req.set('authorization', `Bearer ${userToken}`);
      if (security.includes('metricsToken')) req = req.set('authorization', `Bearer ${metricsToken}`);
      if (security.includes('fusionAuthApiKey')) req = req.set('authorization', tenant.apiKey);
      if (parts.body !== undefined) req = req.send(parts.body as object);
      const res = await req;
      if (res.status < 300 && !LEAVES_RESOURCE_AS_IS(method, path)) fixtures.forget(used);
      return { res, parts };
    }

    for (const [index, probe] of probes.entries()) {
      const { res, parts } = await send(index, probe.change);
      const found = problemsWith(path, method, operation, res);
      // The valid request gets through: the probes around it test the fields, not a missing resource.
      if (index === 0 && res.status >= 300) found.push(`answered ${res.status} to the documented request: ${res.text.slice(0, 200)}`);
      // A body the document refuses (null where it says nothing of null, a string out of its bounds) is not taken.
      const validateBody = operation.requestBody && validatorFor(path, method, ['requestBody']);
      if (validateBody && !validateBody(parts.unwrapped ?? parts.body) && res.status < 300)
        found.push(`accepted a body the document refuses (${ajv.errorsText(validateBody.errors, { dataVar: 'body' })})`);
      // A null the document takes as left out is answered as the field left out (on a resource of the same kind);
      // but a body left with no field at all is its own case (PUT /key/{id} refuses it, a body of nulls changes nothing).
      if (probe.leftOut) {
        const twin = await send(index, probe.leftOut);
        if (Object.keys(twin.parts.body as object).length > 0 && twin.res.status !== res.status)
          found.push(`answered ${res.status} to a null the document takes as left out, ${twin.res.status} with the field left out`);
      }
      for (const problem of found) problems.set(problem, [...(problems.get(problem) ?? []), probe.label]);
    }
    expect([...problems].map(([problem, labels]) => `${key} ${problem}, on ${labels.length} probes: ${labels.slice(0, 8).join('; ')}`)).toEqual([]);
  });
});
