import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';

/**
 * Version 1: no key id (one key-encryption key). Version 2: the id of the key that sealed it. Version 3 (envelope):
 * sealed with a fresh data key, itself sealed by a key that never leaves an HSM (the id of that key's label).
 */
const FORMAT_V1 = 1;
const FORMAT_V2 = 2;
const FORMAT_ENVELOPE = 3;
const DATA_KEY_BYTES = 32;
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
  return Buffer.concat([sealedPrefix(kek), gcmSeal(kek, plaintext, associatedData)]);
}

/** AES-256-GCM with a fresh IV: IV (12) | tag (16) | ciphertext. */
function gcmSeal(key: Buffer, plaintext: Buffer, associatedData: string): Buffer {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(Buffer.from(associatedData, 'utf8'));
  const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return Buffer.concat([iv, cipher.getAuthTag(), ciphertext]);
}

/** The inverse of gcmSeal; throws when the tag does not match. */
function gcmOpen(key: Buffer, body: Buffer, associatedData: string): Buffer {
  const decipher = createDecipheriv('aes-256-gcm', key, body.subarray(0, IV_BYTES));
  decipher.setAAD(Buffer.from(associatedData, 'utf8'));
  decipher.setAuthTag(body.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
  return Buffer.concat([decipher.update(body.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]);
}

/** What wraps an envelope's data key: a key that stays in an HSM, known by its name, used through `wrap`/`unwrap`. */
export interface DataKeyWrapper {
  /** The wrapping key's name (its label in the token); its hash is recorded in each envelope. */
  name: string;
  /** AES-256-GCM of the data key under the wrapping key: ciphertext || 16-byte tag. */
  wrap(dataKey: Buffer, iv: Buffer, associatedData: Buffer): Promise<Buffer>;
  /** SealOpenError when the wrapped key does not open (another record, tampering). */
  unwrap(wrapped: Buffer, iv: Buffer, associatedData: Buffer): Promise<Buffer>;
}

/** The first bytes of every envelope that `wrapper` seals (version 3 and the id of its name). */
export function envelopePrefix(wrapper: Pick<DataKeyWrapper, 'name'>): Buffer {
  return Buffer.concat([Buffer.of(FORMAT_ENVELOPE), createHash('sha256').update(`pkcs11:${wrapper.name}`).digest().subarray(0, KEK_ID_BYTES)]);
}

/**
 * Envelope encryption: the plaintext under a fresh data key (AES-256-GCM), the data key under the wrapper's key,
 * both bound to the record. Layout: version 3 | wrapper id (4) | data key IV (12) | wrapped data key (48) | IV | tag | ciphertext.
 */
export async function sealEnvelope(wrapper: DataKeyWrapper, plaintext: Buffer, associatedData: string): Promise<Buffer> {
  const dataKey = randomBytes(DATA_KEY_BYTES);
  const keyIv = randomBytes(IV_BYTES);
  try {
    const wrapped = await wrapper.wrap(dataKey, keyIv, Buffer.from(associatedData, 'utf8'));
    return Buffer.concat([envelopePrefix(wrapper), keyIv, wrapped, gcmSeal(dataKey, plaintext, associatedData)]);
  } finally {
    dataKey.fill(0);
  }
}

/** Whether this blob is an envelope (version 3), which only its HSM key opens. */
export function isEnvelope(sealed: Buffer): boolean {
  return sealed[0] === FORMAT_ENVELOPE;
}

/** Opens an envelope with its wrapper; SealOpenError for another wrapper's, another record's or tampered data. */
export async function openEnvelope(wrapper: DataKeyWrapper | undefined, sealed: Buffer, associatedData: string): Promise<Buffer> {
  const prefixBytes = 1 + KEK_ID_BYTES;
  const wrappedBytes = DATA_KEY_BYTES + TAG_BYTES;
  if (
    !wrapper ||
    !sealed.subarray(0, prefixBytes).equals(envelopePrefix(wrapper)) ||
    sealed.length < prefixBytes + IV_BYTES + wrappedBytes + IV_BYTES + TAG_BYTES
  ) {
    throw new SealOpenError();
  }
  const keyIv = sealed.subarray(prefixBytes, prefixBytes + IV_BYTES);
  const wrapped = sealed.subarray(prefixBytes + IV_BYTES, prefixBytes + IV_BYTES + wrappedBytes);
  const dataKey = await wrapper.unwrap(wrapped, keyIv, Buffer.from(associatedData, 'utf8'));
  try {
    return gcmOpen(dataKey, sealed.subarray(prefixBytes + IV_BYTES + wrappedBytes), associatedData);
  } catch {
    throw new SealOpenError();
  } finally {
    dataKey.fill(0);
  }
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
      return gcmOpen(kek, body, associatedData);
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
