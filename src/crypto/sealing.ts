import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

const FORMAT_VERSION = 1;
const IV_BYTES = 12;
const TAG_BYTES = 16;

export class SealOpenError extends Error {
  readonly code = 'SEALED_DATA_UNREADABLE';
  constructor() {
    super('Sealed data could not be opened (wrong key, wrong record or tampered data)');
  }
}

/**
 * Encrypts with AES-256-GCM under the key-encryption key, a fresh IV each time.
 * The associated data binds the ciphertext to its record: copied onto another row, it fails to open.
 * Layout: version (1 byte) | IV (12) | tag (16) | ciphertext.
 */
export function seal(kek: Buffer, plaintext: Buffer, associatedData: string): Buffer {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', kek, iv);
  cipher.setAAD(Buffer.from(associatedData, 'utf8'));
  const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return Buffer.concat([Buffer.of(FORMAT_VERSION), iv, cipher.getAuthTag(), ciphertext]);
}

export function open(kek: Buffer, sealed: Buffer, associatedData: string): Buffer {
  if (sealed.length < 1 + IV_BYTES + TAG_BYTES || sealed[0] !== FORMAT_VERSION) throw new SealOpenError();
  const iv = sealed.subarray(1, 1 + IV_BYTES);
  const tag = sealed.subarray(1 + IV_BYTES, 1 + IV_BYTES + TAG_BYTES);
  try {
    const decipher = createDecipheriv('aes-256-gcm', kek, iv);
    decipher.setAAD(Buffer.from(associatedData, 'utf8'));
    decipher.setAuthTag(tag);
    return Buffer.concat([decipher.update(sealed.subarray(1 + IV_BYTES + TAG_BYTES)), decipher.final()]);
  } catch {
    throw new SealOpenError();
  }
}

/** The associated data of a tenant key's sealed private key. */
export function tenantKeyAssociatedData(tenantId: string, keyId: string): string {
  return `tenant-key:${tenantId}:${keyId}`;
}
