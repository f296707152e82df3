import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { DestinationStream } from 'pino';
import type { DataSource } from 'typeorm';
import { open, tenantKeyAssociatedData, webhookSecretAssociatedData } from '../../src/crypto/sealing';
import { importPrivateMaterial } from '../../src/crypto/signing-keys';
import { type KeyType } from '../../src/crypto/algorithms';

/** What an app said while a test file ran: every log line (all levels) and every response. */
export interface Captured {
  logs: string[];
  responses: { method: string; url: string; status: number; body: string }[];
  /** Secrets handed out by the tests themselves (API keys). */
  issuedSecrets: string[];
}

export const newCapture = (): Captured => ({ logs: [], responses: [], issuedSecrets: [] });

/**
 * A pino destination that keeps every JSON log line, and prints errors, unless `expected()` says the test
 * provokes them on purpose; never the request lines of 5xx answers, which tests of outages expect by the
 * hundred (the error itself is logged apart).
 */
export function capturingStream(lines: string[], expected: () => boolean = () => false): DestinationStream {
  return {
    write(line: string) {
      lines.push(line);
      const entry = JSON.parse(line) as { level: number; res?: unknown };
      if (entry.level >= 50 && !entry.res && !expected()) process.stderr.write(line);
    },
  };
}

/** Records every response body the server sends, ahead of every other handler. */
export function captureResponses(server: Server, into: Captured['responses']): void {
  server.prependListener('request', (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    const keep = (chunk: unknown) => {
      if (chunk && typeof chunk !== 'function')
        chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(typeof chunk === 'string' ? chunk : (chunk as Uint8Array)));
    };
    const write = res.write.bind(res) as (...args: unknown[]) => boolean;
    const end = res.end.bind(res) as (...args: unknown[]) => ServerResponse;
    res.write = ((chunk: unknown, ...rest: unknown[]) => (keep(chunk), write(chunk, ...rest))) as ServerResponse['write'];
    res.end = ((chunk?: unknown, ...rest: unknown[]) => (keep(chunk), end(chunk, ...rest))) as ServerResponse['end'];
    res.once('finish', () =>
      into.push({ method: req.method ?? '', url: req.url ?? '', status: res.statusCode, body: Buffer.concat(chunks).toString('utf8') }),
    );
  });
}

const PRIVATE_PEM = /-----BEGIN [A-Z ]*PRIVATE KEY-----/;
const API_KEY = /ks_[A-Za-z0-9_-]{16,}/;
const JWT = /eyJ[\w-]{8,}\.eyJ[\w-]{4,}\.[\w-]{16,}/;
const isRegister = (response: Captured['responses'][number]) => response.method === 'POST' && response.url.startsWith('/keys/register');
/** Answers that show a new secret once: an API key (`apiKey`) or a webhook's signing secret (`secret`). */
const isApiKeyIssue = (response: Captured['responses'][number]) =>
  response.method === 'POST' &&
  (response.url === '/api-keys' || response.url === '/key/webhooks' || /^\/key\/webhooks\/[^/]+\/rotate-secret$/.test(response.url));

/**
 * No private material in any log line or in any response but the one-time answers (user key register, API key issue): no PEM private
 * key, no stored tenant private key or HMAC secret in any encoding, no user private key outside its
 * register answer; and no API key or access token in the logs.
 */
export async function expectNoSecretsLeaked(captured: Captured, dataSource: DataSource, openingKeys: readonly Buffer[]): Promise<void> {
  const secrets = new Set(captured.issuedSecrets);
  const rows: { tenant_id: string; id: string; type: KeyType; private_key_sealed: Buffer }[] = await dataSource.query(
    'SELECT tenant_id, id, type, private_key_sealed FROM tenant_keys WHERE private_key_sealed IS NOT NULL',
  );
  for (const row of rows) {
    let material: Buffer;
    try {
      material = open(openingKeys, row.private_key_sealed, tenantKeyAssociatedData(row.tenant_id, row.id));
    } catch {
      continue; // sealed under a key this instance does not hold (key-encryption key rotation tests)
    }
    // The DER's first 64 base64 characters are a PEM's first line; the JWK's d; an HMAC secret in each encoding.
    secrets.add(material.toString('base64').slice(0, 64)).add(material.toString('base64url').slice(0, 64)).add(material.toString('hex').slice(0, 64));
    if (row.type !== 'HMAC') secrets.add(String(importPrivateMaterial(material, row.type).export({ format: 'jwk' }).d));
  }
  const webhooks: { tenant_id: string; id: string; sealed: Buffer }[] = await dataSource.query(
    `SELECT tenant_id, id, secret_sealed AS sealed FROM webhook_subscriptions
     UNION ALL SELECT tenant_id, id, previous_secret_sealed FROM webhook_subscriptions WHERE previous_secret_sealed IS NOT NULL`,
  );
  for (const webhook of webhooks) {
    try {
      secrets.add(open(openingKeys, webhook.sealed, webhookSecretAssociatedData(webhook.tenant_id, webhook.id)).toString());
    } catch {
      continue; // as above
    }
  }
  for (const response of captured.responses.filter(isRegister)) {
    // A private key as hex or PEM (a string), or as a JWK (whose secret member is d, or priv for ML-DSA's AKP).
    const privateKey = (JSON.parse(response.body || '{}') as { data?: { privateKey?: string | { d?: string; priv?: string } } }).data?.privateKey;
    const secret = typeof privateKey === 'string' ? privateKey.replace(/-----[A-Z ]+-----|\s/g, '') : (privateKey?.d ?? privateKey?.priv);
    if (secret) secrets.add(secret.slice(0, 64));
  }
  for (const response of captured.responses.filter(isApiKeyIssue)) {
    // The new API key's secret is shown in this answer once, and must be nowhere else.
    const data = (JSON.parse(response.body || '{}') as { data?: { apiKey?: string; secret?: string } }).data;
    for (const secret of [data?.apiKey, data?.secret]) if (secret) secrets.add(secret);
  }
  const leaks: string[] = [];
  const check = (where: string, text: string, patterns: RegExp[]) => {
    for (const pattern of patterns) if (pattern.test(text)) leaks.push(`${where}: matches ${pattern}`);
    for (const secret of secrets)
      if (secret.length >= 16 && text.includes(secret)) leaks.push(`${where}: contains a secret (${secret.slice(0, 6)}…)`);
  };
  captured.logs.forEach((line, i) => check(`log line ${i}`, line, [PRIVATE_PEM, API_KEY, JWT]));
  // In responses, API keys are searched by value: base64url public keys (JWK x, y, n) may hold "ks_" + 16 characters.
  for (const response of captured.responses.filter((r) => !isRegister(r) && !isApiKeyIssue(r)))
    check(`${response.method} ${response.url} (${response.status})`, response.body, [PRIVATE_PEM]);
  expect(leaks).toEqual([]);
}
