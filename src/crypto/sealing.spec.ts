import { createCipheriv, randomBytes } from 'node:crypto';
import { keyEncryptionKeyId, open, seal, sealedWith, SealOpenError, tenantKeyAssociatedData } from './sealing';

describe('seal / open', () => {
  const kek = randomBytes(32);
  const plaintext = Buffer.from('pkcs8 bytes of a private key');
  const aad = tenantKeyAssociatedData('tenant-a', 'key-1');

  it('round-trips under the same key and associated data', () => {
    expect(open([kek], seal(kek, plaintext, aad), aad)).toEqual(plaintext);
  });

  it('uses a fresh IV each time, so the same plaintext seals differently', () => {
    const first = seal(kek, plaintext, aad);
    const second = seal(kek, plaintext, aad);
    expect(first.subarray(5, 17)).not.toEqual(second.subarray(5, 17));
    expect(first).not.toEqual(second);
  });

  it('does not contain the plaintext', () => {
    expect(seal(kek, plaintext, aad).includes(plaintext)).toBe(false);
  });

  it.each([
    ['another row (tenant)', () => open([kek], seal(kek, plaintext, aad), tenantKeyAssociatedData('tenant-b', 'key-1'))],
    ['another row (key id)', () => open([kek], seal(kek, plaintext, aad), tenantKeyAssociatedData('tenant-a', 'key-2'))],
    ['another key-encryption key', () => open([randomBytes(32)], seal(kek, plaintext, aad), aad)],
    [
      'a flipped ciphertext bit',
      () => {
        const sealed = seal(kek, plaintext, aad);
        sealed[sealed.length - 1] ^= 1;
        return open([kek], sealed, aad);
      },
    ],
    ['a truncated blob', () => open([kek], seal(kek, plaintext, aad).subarray(0, 20), aad)],
    [
      'an unknown format version',
      () => {
        const sealed = seal(kek, plaintext, aad);
        sealed[0] = 9;
        return open([kek], sealed, aad);
      },
    ],
  ])('refuses to open with %s', (_case, attempt) => {
    expect(attempt).toThrow(SealOpenError);
  });

  describe('with several key-encryption keys (KEY_ENCRYPTION_KEYS, newest first)', () => {
    const older = randomBytes(32);

    it('records which key sealed a blob, and opens it with that one among several', () => {
      const sealed = seal(older, plaintext, aad);
      expect(sealedWith(sealed)).toEqual(keyEncryptionKeyId(older));
      expect(keyEncryptionKeyId(older)).not.toEqual(keyEncryptionKeyId(kek));
      expect(open([kek, older], sealed, aad)).toEqual(plaintext);
      expect(() => open([kek], sealed, aad)).toThrow(SealOpenError);
    });

    it('opens a version 1 blob (no key id, sealed before key rotation existed) with whichever key fits', () => {
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', older, iv).setAAD(Buffer.from(aad));
      const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
      const v1 = Buffer.concat([Buffer.of(1), iv, cipher.getAuthTag(), ciphertext]);
      expect(sealedWith(v1)).toBeUndefined();
      expect(open([kek, older], v1, aad)).toEqual(plaintext);
      expect(() => open([kek], v1, aad)).toThrow(SealOpenError);
    });
  });
});
