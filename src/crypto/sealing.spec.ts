import { randomBytes } from 'node:crypto';
import { open, seal, SealOpenError, tenantKeyAssociatedData } from './sealing';

describe('seal / open', () => {
  const kek = randomBytes(32);
  const plaintext = Buffer.from('pkcs8 bytes of a private key');
  const aad = tenantKeyAssociatedData('tenant-a', 'key-1');

  it('round-trips under the same key and associated data', () => {
    expect(open(kek, seal(kek, plaintext, aad), aad)).toEqual(plaintext);
  });

  it('uses a fresh IV each time, so the same plaintext seals differently', () => {
    const first = seal(kek, plaintext, aad);
    const second = seal(kek, plaintext, aad);
    expect(first.subarray(1, 13)).not.toEqual(second.subarray(1, 13));
    expect(first).not.toEqual(second);
  });

  it('does not contain the plaintext', () => {
    expect(seal(kek, plaintext, aad).includes(plaintext)).toBe(false);
  });

  it.each([
    ['another row (tenant)', () => open(kek, seal(kek, plaintext, aad), tenantKeyAssociatedData('tenant-b', 'key-1'))],
    ['another row (key id)', () => open(kek, seal(kek, plaintext, aad), tenantKeyAssociatedData('tenant-a', 'key-2'))],
    ['another key-encryption key', () => open(randomBytes(32), seal(kek, plaintext, aad), aad)],
    ['a flipped ciphertext bit', () => {
      const sealed = seal(kek, plaintext, aad);
      sealed[sealed.length - 1] ^= 1;
      return open(kek, sealed, aad);
    }],
    ['a truncated blob', () => open(kek, seal(kek, plaintext, aad).subarray(0, 20), aad)],
    ['an unknown format version', () => {
      const sealed = seal(kek, plaintext, aad);
      sealed[0] = 9;
      return open(kek, sealed, aad);
    }],
  ])('refuses to open with %s', (_case, attempt) => {
    expect(attempt).toThrow(SealOpenError);
  });
});
