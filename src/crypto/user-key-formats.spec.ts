import { KeyInputError } from './key-input-error';
import { createECDH, createPrivateKey, createPublicKey, sign, verify } from 'node:crypto';
import { describeNotRunHere } from '../../test/support/ml-dsa';
import { runtimeSupportsMlDsa } from './ml-dsa-runtime';
import {
  formatUserPrivateKey,
  formatUserPublicKey,
  generateUserKeyPair,
  parseUserPublicKey,
  USER_KEY_CURVES,
  USER_KEY_PARAMETER_SETS,
  userKeyKind,
} from './user-key-formats';

const OPENSSL = { 'P-256': 'prime256v1', 'P-384': 'secp384r1', secp256k1: 'secp256k1' } as const;

describe('user key formats', () => {
  it.each(USER_KEY_CURVES)('ecdsa %s: hex point is 04||X||Y of the hex scalar; PEM and JWK are the same key', async (curve) => {
    const { publicKey, privateKey } = await generateUserKeyPair('pool', 'ecdsa', curve);
    const scalar = formatUserPrivateKey(privateKey, 'hex') as string;
    const point = formatUserPublicKey(publicKey, 'hex') as string;
    const ecdh = createECDH(OPENSSL[curve]);
    ecdh.setPrivateKey(Buffer.from(scalar, 'hex'));
    expect(ecdh.getPublicKey('hex', 'uncompressed')).toBe(point);
    expect(scalar).toHaveLength(curve === 'P-384' ? 96 : 64);

    const pem = formatUserPublicKey(publicKey, 'pem') as string;
    const jwk = formatUserPublicKey(publicKey, 'jwk');
    expect(createPublicKey(pem).export({ format: 'jwk' })).toEqual(jwk);
    expect(formatUserPrivateKey(privateKey, 'jwk')).toMatchObject({ ...(jwk as object), d: expect.any(String) });
  });

  it.each([
    ['ecdsa', 'secp256k1'],
    ['ecdsa', 'P-384'],
    ['ed25519', undefined],
  ] as const)('%s %s: hex, PEM and JWK all parse back to the same public key', async (keyType, curve) => {
    const { publicKey } = await generateUserKeyPair('pool', keyType, curve);
    for (const format of ['hex', 'pem'] as const) {
      const parsed = parseUserPublicKey({ keyType, curve, publicKey: formatUserPublicKey(publicKey, format) as string });
      expect(parsed.equals(publicKey)).toBe(true);
    }
    expect(parseUserPublicKey({ jwk: formatUserPublicKey(publicKey, 'jwk') as never }).equals(publicKey)).toBe(true);
  });

  it('shows RSA keys as PEM where hex was asked', async () => {
    const { publicKey, privateKey } = await generateUserKeyPair('pool', 'rsa');
    expect(formatUserPublicKey(publicKey, 'hex')).toMatch(/^-----BEGIN PUBLIC KEY-----/);
    expect(formatUserPrivateKey(privateKey, 'hex')).toMatch(/^-----BEGIN PRIVATE KEY-----/);
  });

  it('refuses a point that is not on the curve', () => {
    const offCurve = `04${'11'.repeat(32)}${'22'.repeat(32)}`;
    expect(() => parseUserPublicKey({ publicKey: offCurve })).toThrow(KeyInputError);
  });

  it('left-pads a short scalar to the curve size', async () => {
    // About one key in 256 has a leading zero byte; find one so the padding is really exercised.
    for (let i = 0; i < 2000; i++) {
      const { privateKey } = await generateUserKeyPair('pool', 'ecdsa', 'P-256');
      const d = Buffer.from((privateKey.export({ format: 'jwk' }) as { d: string }).d, 'base64url');
      const hex = formatUserPrivateKey(privateKey, 'hex') as string;
      expect(hex).toHaveLength(64);
      expect(BigInt(`0x${hex}`)).toBe(BigInt(`0x${d.toString('hex')}`));
      if (hex.startsWith('00')) return;
    }
    throw new Error('no key with a leading zero byte in 2000 tries');
  });

  (runtimeSupportsMlDsa() ? describe : describeNotRunHere)('ml-dsa', () => {
    it.each(USER_KEY_PARAMETER_SETS)('ML-DSA-%s: hex is pub and seed; hex, PEM and JWK parse back to the same key', async (parameterSet) => {
      const { publicKey, privateKey } = await generateUserKeyPair('pool', 'ml-dsa', undefined, parameterSet);
      expect(userKeyKind(publicKey)).toEqual({ keyType: 'ml-dsa', curve: null, parameterSet });
      const jwk = formatUserPrivateKey(privateKey, 'jwk') as { pub: string; priv: string };
      expect(formatUserPublicKey(publicKey, 'hex')).toBe(Buffer.from(jwk.pub, 'base64url').toString('hex'));
      expect(formatUserPrivateKey(privateKey, 'hex')).toBe(Buffer.from(jwk.priv, 'base64url').toString('hex'));
      expect(createPrivateKey(formatUserPrivateKey(privateKey, 'pem') as string).equals(privateKey)).toBe(true);
      for (const format of ['hex', 'pem'] as const) {
        const parsed = parseUserPublicKey({ keyType: 'ml-dsa', parameterSet, publicKey: formatUserPublicKey(publicKey, format) as string });
        expect(parsed.equals(publicKey)).toBe(true);
      }
      const fromJwk = parseUserPublicKey({ jwk: formatUserPublicKey(publicKey, 'jwk') as never });
      expect(verify(null, Buffer.from('m'), fromJwk, sign(null, Buffer.from('m'), privateKey))).toBe(true);
    });
  });

  (runtimeSupportsMlDsa() ? describeNotRunHere : describe)('ml-dsa on a Node without it', () => {
    it('refuses to generate, naming the Node version it needs', async () => {
      await expect(generateUserKeyPair('pool', 'ml-dsa')).rejects.toThrow(/^ML-DSA needs Node.js 24.7 or later/);
      expect(() => parseUserPublicKey({ keyType: 'ml-dsa', publicKey: '00'.repeat(1312) })).toThrow(/^ML-DSA needs Node.js 24.7 or later/);
    });
  });
});
