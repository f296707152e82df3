import type { Call } from './api';
import { urlOf, type Operation } from './operations';

/** The members of a JWK that are public; any other member of an imported JWK is private material (d, p, q, k, oth…). */
const PUBLIC_JWK_MEMBERS = new Set(['kty', 'crv', 'x', 'y', 'n', 'e', 'alg', 'kid', 'use', 'key_ops', 'x5c', 'x5t', 'x5t#S256', 'x5u']);

/**
 * A request body without the secrets the user typed: an import's `privateKey` and `secret`, and every member of its
 * `jwk` that is not public, become placeholders. Other bodies (sign claims named `d` or `secret` included) stay as
 * they are. What the console keeps of a call it made, and what its curl line shows.
 */
export function withoutSecrets(body: unknown): unknown {
  if (!isObject(body)) return body;
  const safe: Record<string, unknown> = { ...body };
  for (const member of ['privateKey', 'secret']) if (typeof safe[member] === 'string') safe[member] = `<${member}>`;
  if (isObject(safe.jwk)) {
    safe.jwk = Object.fromEntries(
      Object.entries(safe.jwk).map(([member, value]) => [member, PUBLIC_JWK_MEMBERS.has(member) ? value : `<${member}>`]),
    );
  }
  return safe;
}

/**
 * The curl command for a call, as a shell line: the API key as `$KS_API_KEY` (never the real one), secrets in the
 * body as placeholders, everything single-quoted.
 */
export function curlFor(operation: Operation, tenantId: string, { params = {}, query = {}, body }: Call = {}): string {
  const url = `${location.origin}${urlOf(operation, { tenantId, ...params }, query)}`;
  const parts = ['curl'];
  if (operation.method !== 'GET') parts.push(`-X ${operation.method}`);
  parts.push(quote(url));
  if (operation.scope !== 'public') parts.push(`-H "Authorization: Basic $KS_API_KEY"`, `-H ${quote(`x-stencil-tenantid: ${tenantId}`)}`);
  if (body !== undefined) parts.push(`-H 'content-type: application/json'`, `-d ${quote(JSON.stringify(withoutSecrets(body)))}`);
  return parts.join(' \\\n  ');
}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

const quote = (text: string) => `'${text.replaceAll("'", `'\\''`)}'`;
