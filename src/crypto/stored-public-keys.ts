import { createPublicKey, type KeyObject } from 'node:crypto';
import { LRUCache } from 'lru-cache';

/**
 * Stored public keys parsed once: a PEM's KeyObject never changes, so nothing here goes stale, and the
 * bound keeps memory flat however many keys pass through (10,000 P-256 keys take about 3 MB).
 */
const parsed = new LRUCache<string, KeyObject>({ max: 10_000 });

/** The KeyObject of a stored SPKI PEM public key. */
export function storedPublicKey(pem: string): KeyObject {
  let key = parsed.get(pem);
  if (!key) parsed.set(pem, (key = createPublicKey(pem)));
  return key;
}
