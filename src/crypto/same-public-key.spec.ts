import { createPublicKey, generateKeyPair, KeyObject } from 'node:crypto';
import { promisify } from 'node:util';
import { isSamePublicKey } from './same-public-key';

describe('isSamePublicKey', () => {
  const make = promisify(generateKeyPair);
  const ecKey = async (namedCurve: string) => (await make('ec', { namedCurve })).publicKey;
  let rsa: KeyObject;
  let p256: KeyObject;
  let p384: KeyObject;
  let ed25519: KeyObject;

  beforeAll(async () => {
    [rsa, p256, p384, ed25519] = await Promise.all([
      make('rsa', { modulusLength: 2048 }).then(({ publicKey }) => publicKey),
      ecKey('P-256'),
      ecKey('P-384'),
      make('ed25519').then(({ publicKey }) => publicKey),
    ]);
  });

  afterEach(() => jest.restoreAllMocks());

  it.each([
    ['an RSA and an EC key', () => [rsa, p256]],
    ['an EC and an Ed25519 key', () => [p256, ed25519]],
    ['EC keys on two curves', () => [p256, p384]],
  ] as [string, () => [KeyObject, KeyObject]][])(
    'answers false for %s without comparing them (KeyObject.equals on keys of two types poisons OpenSSL’s error queue on Node 20 and 24.22)',
    (_kinds, keys) => {
      const [a, b] = keys();
      const equals = jest.spyOn(KeyObject.prototype, 'equals');
      expect(isSamePublicKey(a, b)).toBe(false);
      expect(isSamePublicKey(b, a)).toBe(false);
      expect(equals).not.toHaveBeenCalled();
    },
  );

  it('compares keys of one kind', async () => {
    const again = createPublicKey({ key: p256.export({ format: 'jwk' }), format: 'jwk' });
    expect(isSamePublicKey(p256, again)).toBe(true);
    expect(isSamePublicKey(p256, await ecKey('P-256'))).toBe(false);
    expect(isSamePublicKey(rsa, rsa)).toBe(true);
  });
});
