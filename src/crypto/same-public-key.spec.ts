import { createPublicKey, generateKeyPairSync, KeyObject } from 'node:crypto';
import { isSamePublicKey } from './same-public-key';

describe('isSamePublicKey', () => {
  const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey;
  const p256 = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey;
  const p384 = generateKeyPairSync('ec', { namedCurve: 'P-384' }).publicKey;
  const ed25519 = generateKeyPairSync('ed25519').publicKey;

  afterEach(() => jest.restoreAllMocks());

  it.each([
    ['an RSA and an EC key', rsa, p256],
    ['an EC and an Ed25519 key', p256, ed25519],
    ['EC keys on two curves', p256, p384],
  ])(
    'answers false for %s without comparing them (KeyObject.equals on keys of two types poisons OpenSSL’s error queue on Node 20 and 24.22)',
    (_kinds, a, b) => {
      const equals = jest.spyOn(KeyObject.prototype, 'equals');
      expect(isSamePublicKey(a, b)).toBe(false);
      expect(isSamePublicKey(b, a)).toBe(false);
      expect(equals).not.toHaveBeenCalled();
    },
  );

  it('compares keys of one kind', () => {
    const again = createPublicKey({ key: p256.export({ format: 'jwk' }), format: 'jwk' });
    expect(isSamePublicKey(p256, again)).toBe(true);
    expect(isSamePublicKey(p256, generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey)).toBe(false);
    expect(isSamePublicKey(rsa, rsa)).toBe(true);
  });
});
