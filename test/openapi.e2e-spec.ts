import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import SwaggerParser from '@apidevtools/swagger-parser';
import request from 'supertest';
import { ERROR_CODES } from '../src/common/error-codes';
import { cleanEnv } from './support/processes';
import { startTestApp, type TestApp, type TestTenant } from './support/test-app';

type Operation = { security?: Record<string, string[]>[]; responses: Record<string, { content?: { 'application/json'?: { schema?: unknown } } }> };
type OpenApi = {
  openapi: string;
  paths: Record<string, Record<string, Operation>>;
  components: { securitySchemes: Record<string, unknown>; schemas: Record<string, unknown> };
};

const NIL_UUID = '00000000-0000-4000-8000-000000000000';

describe('OpenAPI document (/docs-json) and Swagger UI (/docs)', () => {
  let testApp: TestApp;
  let tenant: TestTenant;
  let document: OpenApi;

  beforeAll(async () => {
    testApp = await startTestApp();
    tenant = await testApp.createTenant('documented');
    const res = await request(testApp.http).get('/docs-json');
    expect(res.status).toBe(200);
    document = res.body;
  });
  afterAll(() => testApp.close());

  /**
   * Every route the app serves, as OpenAPI writes it: method and path with {params}. Not Swagger UI's own, the console's files,
   * the CORS preflight's catch-all, or the HEAD routes Fastify adds beside each GET.
   */
  function servedRoutes(): string[] {
    return testApp.routes
      .map((route) => route.split(' ') as [string, string])
      .filter(([method, path]) => method !== 'HEAD' && !/^\/(docs|console)/.test(path) && !path.includes('*'))
      .map(([method, path]) => `${method.toLowerCase()} ${path.replace(/:(\w+)/g, '{$1}')}`);
  }

  const operations = () =>
    Object.entries(document.paths).flatMap(([path, methods]) => Object.entries(methods).map(([method, operation]) => ({ method, path, operation })));

  it('is a valid OpenAPI 3 document', async () => {
    expect(document.openapi).toMatch(/^3\./);
    await expect(SwaggerParser.validate(structuredClone(document) as never)).resolves.toMatchObject({ openapi: document.openapi });
  });

  it('has every route the app serves, and nothing it does not', () => {
    const served = servedRoutes();
    expect(served.length).toBeGreaterThanOrEqual(19);
    const documented = operations().map(({ method, path }) => `${method} ${path}`);
    expect(documented.sort()).toEqual([...new Set(served)].sort());
  });

  it('declares the security schemes and puts each route under the right one', () => {
    expect(document.components.securitySchemes).toEqual({
      apiKey: expect.objectContaining({ type: 'apiKey', in: 'header', name: 'Authorization' }),
      tenantId: expect.objectContaining({ type: 'apiKey', in: 'header', name: 'x-stencil-tenantid' }),
      accessToken: expect.objectContaining({ type: 'http', scheme: 'bearer' }),
      metricsToken: expect.objectContaining({ type: 'http', scheme: 'bearer' }),
    });
    for (const { path, operation } of operations()) {
      if (path.startsWith('/key/') || path === '/key' || path.startsWith('/api-keys'))
        expect(operation.security).toEqual([{ apiKey: [], tenantId: [] }]);
      else if (path.startsWith('/keys')) expect(operation.security).toEqual([{ accessToken: [] }]);
      else if (path === '/metrics') expect(operation.security).toEqual([{ metricsToken: [] }]);
      else expect(operation.security).toBeUndefined();
    }
  });

  it('describes every success in the envelope (but the JWKS and metrics) and every error in the error envelope', () => {
    expect(document.components.schemas).toHaveProperty('EnvelopeDoc');
    expect(document.components.schemas).toHaveProperty('ErrorEnvelopeDoc');
    // The codes an error may carry: the registry's closed list, which clients can switch on; none that is never answered.
    const codes = (document.components.schemas.ErrorEnvelopeDoc as { properties: { code: { enum: string[] } } }).properties.code.enum;
    expect(codes).toEqual(ERROR_CODES);
    expect(codes).toEqual(expect.arrayContaining(['VALIDATION_FAILED', 'UNAUTHORIZED', 'KEY_NOT_FOUND', 'USER_KEY_NOT_FOUND', 'HSM_UNAVAILABLE']));
    expect(codes).not.toContain('FORBIDDEN');
    for (const { path, operation } of operations()) {
      const statuses = Object.keys(operation.responses);
      const success = statuses.filter((status) => status.startsWith('2'));
      expect({ path, success: success.length }).toEqual({ path, success: 1 });
      const successSchema = JSON.stringify(operation.responses[success[0]].content?.['application/json']?.schema);
      if (!path.endsWith('jwks.json') && path !== '/metrics') expect(successSchema).toContain('#/components/schemas/EnvelopeDoc');
      for (const status of statuses.filter((s) => Number(s) >= 400)) {
        expect(operation.responses[status].content?.['application/json']?.schema).toEqual({ $ref: '#/components/schemas/ErrorEnvelopeDoc' });
      }
      expect(statuses).toEqual(expect.arrayContaining(['500', '503']));
    }
  });

  it('documents every status the routes answer to bad credentials, bad ids, wrong bodies and missing keys', async () => {
    const undocumented: string[] = [];
    let probes = 0;
    for (const { method, path, operation } of operations()) {
      const documented = Object.keys(operation.responses);
      const secured = operation.security !== undefined;
      const attempts: { url: string; authed: boolean; body?: string; type?: string }[] = [
        { url: path.replace(/\{\w+\}/g, NIL_UUID), authed: false },
        { url: path.replace(/\{\w+\}/g, 'not-a-uuid'), authed: true },
        { url: path.replace(/\{\w+\}/g, NIL_UUID), authed: true },
      ];
      if (method === 'post' || method === 'put') {
        attempts.push({ url: path.replace(/\{\w+\}/g, NIL_UUID), authed: true, body: 'plain text', type: 'text/plain' });
        attempts.push({
          url: path.replace(/\{\w+\}/g, NIL_UUID),
          authed: true,
          body: JSON.stringify({ name: 'x'.repeat(200 * 1024) }),
          type: 'application/json',
        });
        attempts.push({ url: path.replace(/\{\w+\}/g, NIL_UUID), authed: true, body: '{}', type: 'application/json' });
      }
      for (const attempt of attempts) {
        let req = request(testApp.http)[method as 'get'](attempt.url);
        if (attempt.authed && secured && path.startsWith('/key')) req = req.set(tenant.headers);
        if (path.endsWith('/.well-known/jwks.json') && path.startsWith('/.well')) req = req.set('x-stencil-tenantid', tenant.tenantId);
        if (attempt.body !== undefined) req = req.set('content-type', attempt.type!).send(attempt.body);
        const res = await req;
        probes += 1;
        if (!documented.includes(String(res.status))) undocumented.push(`${method.toUpperCase()} ${attempt.url} answered ${res.status}`);
      }
    }
    expect(probes).toBeGreaterThan(60);
    expect(undocumented).toEqual([]);
  });

  it('documents null on every optional field of a request body (left out, unless said otherwise), and on no query parameter', () => {
    type Schema = { type?: string | string[]; anyOf?: Schema[]; properties?: Record<string, Schema>; required?: string[] };
    const takesNull = (schema: Schema) => [schema.type].flat().includes('null') || (schema.anyOf ?? []).some((member) => member.type === 'null');
    expect((document as unknown as { info: { description: string } }).info.description).toContain(
      'An optional field sent as `null` is the same as one left out',
    );
    const requests = Object.entries(document.components.schemas as Record<string, Schema>).filter(([name]) => name.endsWith('Dto'));
    expect(requests.length).toBeGreaterThan(10);
    const refused = requests.flatMap(([name, schema]) =>
      Object.entries(schema.properties ?? {})
        .filter(([field, property]) => !schema.required?.includes(field) && !takesNull(property))
        .map(([field]) => `${name}.${field}`),
    );
    expect(refused).toEqual([]);
    const queries = operations().flatMap(({ method, path, operation }) =>
      ((operation as { parameters?: { name: string; in: string; schema: Schema }[] }).parameters ?? [])
        .filter((parameter) => parameter.in === 'query' && takesNull(parameter.schema))
        .map((parameter) => `${method} ${path} ?${parameter.name}`),
    );
    expect(queries).toEqual([]);
  });

  it('npm run openapi writes the same document, with no database', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'openapi-')), 'openapi.json');
    const result = spawnSync(process.execPath, [join(__dirname, '..', 'dist', 'src', 'openapi', 'write-openapi.js'), file], {
      env: cleanEnv({}),
      encoding: 'utf8',
    });
    expect({ status: result.status, stderr: result.stderr }).toEqual({ status: 0, stderr: '' });
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual(document);
  });

  it('serves Swagger UI at /docs', async () => {
    const res = await request(testApp.http).get('/docs/').redirects(1);
    expect(res.status).toBe(200);
    expect(res.text).toContain('swagger-ui');
  });
});
