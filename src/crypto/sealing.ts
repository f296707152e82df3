import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';

/** Version 1: no key id (one key-encryption key). Version 2: the id of the key that sealed it. */
const FORMAT_V1 = 1;
const FORMAT_V2 = 2;
const KEK_ID_BYTES = 4;
const IV_BYTES = 12;
const TAG_BYTES = 16;

export class SealOpenError extends Error {
  readonly code = 'SEALED_DATA_UNREADABLE';
  constructor() {
    super('Sealed data could not be opened (wrong key, wrong record or tampered data)');
  }
}

/** A key-encryption key's id: the first 4 bytes of its SHA-256, recorded in what it seals. Not a secret. */
export function keyEncryptionKeyId(kek: Buffer): Buffer {
  return createHash('sha256').update(kek).digest().subarray(0, KEK_ID_BYTES);
}

/**
 * The first bytes of every blob this key seals (format version and key id): what a query compares to find
 * the blobs sealed under another key, without knowing the layout itself.
 */
export function sealedPrefix(kek: Buffer): Buffer {
  return Buffer.concat([Buffer.of(FORMAT_V2), keyEncryptionKeyId(kek)]);
}

/** The id of the key that sealed this blob; undefined for a version 1 blob. */
export function sealedWith(sealed: Buffer): Buffer | undefined {
  return sealed[0] === FORMAT_V2 ? sealed.subarray(1, 1 + KEK_ID_BYTES) : undefined;
}

/**
 * Encrypts with AES-256-GCM under the key-encryption key, a fresh IV each time.
 * The associated data binds the ciphertext to its record: copied onto another row, it fails to open.
 * Layout: version 2 (1 byte) | key id (4) | IV (12) | tag (16) | ciphertext.
 */
export function seal(kek: Buffer, plaintext: Buffer, associatedData: string): Buffer {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', kek, iv);
  cipher.setAAD(Buffer.from(associatedData, 'utf8'));
  const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return Buffer.concat([sealedPrefix(kek), iv, cipher.getAuthTag(), ciphertext]);
}

/**
 * Opens with whichever of the keys sealed it (the one its id names; for a version 1 blob, the first that
 * opens it). Throws SealOpenError when none does: a removed key, another row, or tampering.
 */
export function open(keys: readonly Buffer[], sealed: Buffer, associatedData: string): Buffer {
  const id = sealedWith(sealed);
  const body = id ? sealed.subarray(1 + KEK_ID_BYTES) : sealed.subarray(1);
  if ((sealed[0] !== FORMAT_V1 && !id) || body.length < IV_BYTES + TAG_BYTES) throw new SealOpenError();
  const candidates = id ? keys.filter((kek) => keyEncryptionKeyId(kek).equals(id)) : keys;
  for (const kek of candidates) {
    try {
      const decipher = createDecipheriv('aes-256-gcm', kek, body.subarray(0, IV_BYTES));
      decipher.setAAD(Buffer.from(associatedData, 'utf8'));
      decipher.setAuthTag(body.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
      return Buffer.concat([decipher.update(body.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]);
    } catch {
      // not this key
    }
  }
  throw new SealOpenError();
}

/** The associated data of a tenant key's sealed private key. */
export function tenantKeyAssociatedData(tenantId: string, keyId: string): string {
  return `tenant-key:${tenantId}:${keyId}`;
}

/** The associated data of a webhook subscription's sealed secrets: copied onto another row, they do not open. */
export function webhookSecretAssociatedData(tenantId: string, subscriptionId: string): string {
  return `webhook:${tenantId}:${subscriptionId}`;
}
