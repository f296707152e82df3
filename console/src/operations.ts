/**
 * Every call the console makes: the public HTTP API's own routes, as the OpenAPI document names them (paths with
 * `{param}`), with the API-key scope each needs. The console greys out what the signed-in key may not do from this
 * table, prints the curl line from it, and test/console-operations.e2e-spec.ts checks it against the document.
 * No DOM code here: the root tsconfig compiles it for that test.
 */
import type { ApiKeyScope } from './vocabulary';

export type Method = 'GET' | 'POST' | 'PUT' | 'DELETE';

/** An API key scope; `any` for a route every valid key may call, `public` for one without credentials. */
export type OperationScope = ApiKeyScope | 'any' | 'public';

export interface Operation {
  method: Method;
  path: string;
  scope: OperationScope;
}

const op = (method: Method, path: string, scope: OperationScope): Operation => ({ method, path, scope });

export const OPERATIONS = {
  whoAmI: op('GET', '/api-keys/current', 'any'),

  listKeys: op('GET', '/key', 'keys:read'),
  getKey: op('GET', '/key/{id}', 'keys:read'),
  generateKey: op('POST', '/key/generate', 'keys:write'),
  importKey: op('POST', '/key/import', 'keys:write'),
  updateKey: op('PUT', '/key/{id}', 'keys:write'),
  rotateKey: op('POST', '/key/{id}/rotate', 'keys:write'),
  scheduleDeletion: op('POST', '/key/{id}/schedule-deletion', 'keys:write'),
  cancelDeletion: op('POST', '/key/{id}/cancel-deletion', 'keys:write'),
  signWithKey: op('POST', '/key/{id}/sign', 'keys:sign'),
  signWithAlias: op('POST', '/key/alias/{alias}/sign', 'keys:sign'),
  verifyToken: op('POST', '/key/verify', 'keys:verify'),
  listAudit: op('GET', '/key/audit', 'audit:read'),
  jwks: op('GET', '/tenants/{tenantId}/.well-known/jwks.json', 'public'),

  listApiKeys: op('GET', '/api-keys', 'api-keys:manage'),
  createApiKey: op('POST', '/api-keys', 'api-keys:manage'),
  revokeApiKey: op('DELETE', '/api-keys/{id}', 'api-keys:manage'),

  listWebhooks: op('GET', '/key/webhooks', 'webhooks:manage'),
  createWebhook: op('POST', '/key/webhooks', 'webhooks:manage'),
  updateWebhook: op('PUT', '/key/webhooks/{id}', 'webhooks:manage'),
  deleteWebhook: op('DELETE', '/key/webhooks/{id}', 'webhooks:manage'),
  rotateWebhookSecret: op('POST', '/key/webhooks/{id}/rotate-secret', 'webhooks:manage'),
  listDeliveries: op('GET', '/key/webhooks/{id}/deliveries', 'webhooks:manage'),
  redeliver: op('POST', '/key/webhooks/{id}/deliveries/{deliveryId}/redeliver', 'webhooks:manage'),
} as const satisfies Record<string, Operation>;

/** The path with its `{params}` filled in (URI-encoded), and the query string of the defined values. */
export function urlOf(operation: Operation, params: Record<string, string> = {}, query: Record<string, string | undefined> = {}): string {
  const path = operation.path.replace(/\{(\w+)\}/g, (_, name: string) => {
    const value = params[name];
    if (value === undefined) throw new Error(`${operation.path} needs ${name}`);
    return encodeURIComponent(value);
  });
  const search = new URLSearchParams(Object.entries(query).filter((entry): entry is [string, string] => entry[1] !== undefined && entry[1] !== ''));
  return search.size > 0 ? `${path}?${search}` : path;
}
