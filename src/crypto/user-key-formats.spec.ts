import { createECDH, createPublicKey } from 'node:crypto';
import { formatUserPrivateKey, formatUserPublicKey, generateUserKeyPair, USER_KEY_CURVES } from './user-key-formats';

const OPENSSL = { 'P-256': 'prime256v1', 'P-384': 'secp384r1', secp256k1: 'secp256k1' } as const;

describe('user key formats', () => {
  it.each(USER_KEY_CURVES)('%s: hex point is 04||X||Y of the hex scalar; PEM and JWK are the same key', async (curve) => {
    const { publicKey, privateKey } = await generateUserKeyPair(curve);
    const scalar = formatUserPrivateKey(privateKey, curve, 'hex') as string;
    const point = formatUserPublicKey(publicKey, curve, 'hex') as string;
    const ecdh = createECDH(OPENSSL[curve]);
    ecdh.setPrivateKey(Buffer.from(scalar, 'hex'));
    expect(ecdh.getPublicKey('hex', 'uncompressed')).toBe(point);
    expect(scalar).toHaveLength(curve === 'P-384' ? 96 : 64);

    const pem = formatUserPublicKey(publicKey, curve, 'pem') as string;
    const jwk = formatUserPublicKey(publicKey, curve, 'jwk');
    expect(createPublicKey(pem).export({ format: 'jwk' })).toEqual(jwk);
    expect(formatUserPrivateKey(privateKey, curve, 'jwk')).toMatchObject({ ...(jwk as object), d: expect.any(String) });
  });

  it('left-pads a short scalar to the curve size', async () => {
    // About one key in 256 has a leading zero byte; find one so the padding is really exercised.
    for (let i = 0; i < 2000; i++) {
      const { privateKey } = await generateUserKeyPair('P-256');
      const d = Buffer.from((privateKey.export({ format: 'jwk' }) as { d: string }).d, 'base64url');
      const hex = formatUserPrivateKey(privateKey, 'P-256', 'hex') as string;
      expect(hex).toHaveLength(64);
      expect(BigInt(`0x${hex}`)).toBe(BigInt(`0x${d.toString('hex')}`));
      if (hex.startsWith('00')) return;
    }
    throw new Error('no key with a leading zero byte in 2000 tries');
  });
});
