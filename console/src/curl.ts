import type { Call } from './api';
import { urlOf, type Operation } from './operations';

/** Members whose values are secrets the user typed (PEM, HMAC, private JWK members): the curl line shows a placeholder. */
const SECRET_MEMBERS = new Set(['privateKey', 'secret', 'apiKey', 'd', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k', 'priv']);

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
  if (body !== undefined) parts.push(`-H 'content-type: application/json'`, `-d ${quote(JSON.stringify(body, hideSecrets))}`);
  return parts.join(' \\\n  ');
}

function hideSecrets(member: string, value: unknown): unknown {
  return SECRET_MEMBERS.has(member) && typeof value === 'string' ? `<${member}>` : value;
}

const quote = (text: string) => `'${text.replaceAll("'", `'\\''`)}'`;
