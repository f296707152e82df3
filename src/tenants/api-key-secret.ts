import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

const API_KEY_PREFIX_LENGTH = 12;

/** A new API key: `ks_` and 32 random bytes, base64url. Shown once; only its hash is kept. */
export function generateApiKey(): string {
  return `ks_${randomBytes(32).toString('base64url')}`;
}

/** For API keys and METRICS_TOKEN: SHA-256 is enough for a high-entropy random secret, there is nothing to guess with a dictionary. */
export function hashSecret(secret: string): Buffer {
  return createHash('sha256').update(secret, 'utf8').digest();
}

/** The first characters of the key: shown to people to tell keys apart, and used to find the row. */
export function apiKeyPrefix(apiKey: string): string {
  return apiKey.slice(0, API_KEY_PREFIX_LENGTH);
}

/** Compared in constant time; hashing first makes the lengths equal. */
export function secretMatches(secret: string, storedHash: Buffer): boolean {
  const offered = hashSecret(secret);
  return offered.length === storedHash.length && timingSafeEqual(offered, storedHash);
}
