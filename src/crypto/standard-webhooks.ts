import { createHmac, randomBytes } from 'node:crypto';

const SECRET_PREFIX = 'whsec_';

/** A new webhook signing secret: `whsec_` and the base64 of 32 random bytes, as Standard Webhooks has it. */
export function newWebhookSecret(): string {
  return `${SECRET_PREFIX}${randomBytes(32).toString('base64')}`;
}

/**
 * The `webhook-signature` header value for one delivery attempt (Standard Webhooks): `v1,` and the base64
 * HMAC-SHA256, keyed with the secret's bytes, of `<id>.<timestamp>.<body>`.
 */
export function webhookSignature(secret: string, id: string, timestamp: number, body: string): string {
  const key = Buffer.from(secret.slice(SECRET_PREFIX.length), 'base64');
  return `v1,${createHmac('sha256', key).update(`${id}.${timestamp}.${body}`).digest('base64')}`;
}
