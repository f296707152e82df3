import type { Server } from 'node:http';
import { createLocalJWKSet, jwtVerify, type JSONWebKeySet, type JWTPayload, type ProtectedHeaderParameters } from 'jose';
import request from 'supertest';
import type { GenerateKeyDto } from '../../src/tenant-keys/dto/generate-key.dto';
import type { ImportKeyDto } from '../../src/tenant-keys/dto/import-key.dto';
import type { RotateKeyDto, SignTokenDto } from '../../src/tenant-keys/dto/key-usage.dto';
import type { TenantKeyView } from '../../src/tenant-keys/dto/tenant-key.view';
import type { UpdateKeyDto } from '../../src/tenant-keys/dto/update-key.dto';
import type { VerifiedToken } from '../../src/tenant-keys/signing/key-signing.service';
import { expectEnvelope } from './test-app';

/** A request body as a test sends it: the DTO's fields, any of them left out, values unchecked (tests send wrong ones too). */
type Body<T> = { [K in keyof T]?: unknown } & Record<string, unknown>;
/** A key by its id, or the key itself as an answer gave it. */
type KeyRef = string | { id: string };
const idOf = (key: KeyRef) => (typeof key === 'string' ? key : key.id);

/**
 * The tenant key API as a tenant admin tool calls it, with typed answers: each method expects 200 and answers
 * `data`, or fails naming the route, status, code and message it got. `send` makes the same requests and answers
 * the response as it came, for tests of refusals.
 */
export interface KeyClient {
  generate(body?: Body<GenerateKeyDto>): Promise<TenantKeyView>;
  import(body: Body<ImportKeyDto>): Promise<TenantKeyView>;
  get(key: KeyRef): Promise<TenantKeyView>;
  list(): Promise<TenantKeyView[]>;
  update(key: KeyRef, body: Body<UpdateKeyDto>): Promise<TenantKeyView>;
  delete(key: KeyRef): Promise<unknown>;
  rotate(key: KeyRef, body?: Body<RotateKeyDto>): Promise<TenantKeyView>;
  /** The compact JWS the key signed (`payload` defaults to `{ sub: 'test-user' }`). */
  sign(key: KeyRef, body?: Body<SignTokenDto>): Promise<string>;
  signByAlias(alias: string, body?: Body<SignTokenDto>): Promise<string>;
  verify(token: string): Promise<VerifiedToken>;
  /** The tenant's public JWKS (or another tenant's). */
  jwks(tenantId?: string): Promise<JSONWebKeySet>;
  /**
   * Signs `payload` with the key and checks the token as a relying party would: against the tenant's JWKS, or
   * with POST /key/verify for an HMAC key (whose secret is not published). Answers the verified payload and header.
   */
  signAndVerify(
    key: KeyRef & { algorithm?: string },
    payload?: JWTPayload,
  ): Promise<{ payload: JWTPayload; protectedHeader: ProtectedHeaderParameters }>;
  send: {
    generate(body?: Body<GenerateKeyDto>, path?: string): request.Test;
    import(body: Body<ImportKeyDto>, path?: string): request.Test;
    get(key: KeyRef): request.Test;
    update(key: KeyRef, body: Body<UpdateKeyDto>): request.Test;
    delete(key: KeyRef): request.Test;
    rotate(key: KeyRef, body?: Body<RotateKeyDto>): request.Test;
    sign(key: KeyRef, body?: Body<SignTokenDto>): request.Test;
    signByAlias(alias: string, body?: Body<SignTokenDto>): request.Test;
    verify(token: string): request.Test;
    jwks(tenantId?: string): request.Test;
  };
}

/** 200 in the envelope, or a failure that says which route answered what. */
async function dataOf<T>(pending: request.Test): Promise<T> {
  const route = `${pending.method} ${new URL(pending.url).pathname}`;
  const res = await pending;
  const { code, message, errors } = res.body ?? {};
  expect({ route, status: res.status, code, message, errors }).toEqual({
    route,
    status: 200,
    code: undefined,
    message: expect.any(String),
    errors: undefined,
  });
  expectEnvelope(res, 200);
  return res.body.data as T;
}

/** A client for `tenant` on `app` (a TestApp or its HTTP server): one per app when a test runs several instances. */
export function keyClient(app: { http: Server } | Server, tenant: { tenantId: string; headers: Record<string, string> }): KeyClient {
  const http = 'http' in app ? app.http : app;
  const send: KeyClient['send'] = {
    generate: (body = {}, path = '/key/generate') => request(http).post(path).set(tenant.headers).send(body),
    import: (body, path = '/key/import') => request(http).post(path).set(tenant.headers).send(body),
    get: (key) =>
      request(http)
        .get(`/key/${idOf(key)}`)
        .set(tenant.headers),
    update: (key, body) =>
      request(http)
        .put(`/key/${idOf(key)}`)
        .set(tenant.headers)
        .send(body),
    delete: (key) =>
      request(http)
        .delete(`/key/${idOf(key)}`)
        .set(tenant.headers),
    rotate: (key, body = {}) =>
      request(http)
        .post(`/key/${idOf(key)}/rotate`)
        .set(tenant.headers)
        .send(body),
    sign: (key, body = { payload: { sub: 'test-user' } }) =>
      request(http)
        .post(`/key/${idOf(key)}/sign`)
        .set(tenant.headers)
        .send(body),
    signByAlias: (alias, body = { payload: { sub: 'test-user' } }) => request(http).post(`/key/alias/${alias}/sign`).set(tenant.headers).send(body),
    verify: (token) => request(http).post('/key/verify').set(tenant.headers).send({ token }),
    jwks: (tenantId = tenant.tenantId) => request(http).get(`/tenants/${tenantId}/.well-known/jwks.json`),
  };
  const client: KeyClient = {
    generate: (body) => dataOf(send.generate(body)),
    import: (body) => dataOf(send.import(body)),
    get: (key) => dataOf(send.get(key)),
    list: () => dataOf(request(http).get('/key').set(tenant.headers)),
    update: (key, body) => dataOf(send.update(key, body)),
    delete: (key) => dataOf(send.delete(key)),
    rotate: (key, body) => dataOf(send.rotate(key, body)),
    sign: async (key, body) => (await dataOf<{ token: string }>(send.sign(key, body))).token,
    signByAlias: async (alias, body) => (await dataOf<{ token: string }>(send.signByAlias(alias, body))).token,
    verify: (token) => dataOf(send.verify(token)),
    async jwks(tenantId) {
      const res = await send.jwks(tenantId);
      expect({ status: res.status, keys: Array.isArray(res.body?.keys) }).toEqual({ status: 200, keys: true });
      return res.body as JSONWebKeySet;
    },
    async signAndVerify(key, payload = { sub: 'test-user' }) {
      const token = await client.sign(key, { payload });
      const algorithm = typeof key === 'string' ? undefined : key.algorithm;
      if (algorithm?.startsWith('HS')) {
        const { payload: verified, header } = await client.verify(token);
        return { payload: verified, protectedHeader: header };
      }
      const { payload: verified, protectedHeader } = await jwtVerify(token, createLocalJWKSet(await client.jwks()));
      return { payload: verified, protectedHeader };
    },
    send,
  };
  return client;
}
