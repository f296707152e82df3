import { generateKeyPair, type KeyObject } from 'node:crypto';
import { promisify } from 'node:util';
import type { JWK } from 'jose';

const generateKeyPairAsync = promisify(generateKeyPair);

export const USER_KEY_CURVES = ['P-256', 'P-384', 'secp256k1'] as const;
export type UserKeyCurve = (typeof USER_KEY_CURVES)[number];
export const USER_KEY_FORMATS = ['hex', 'pem', 'jwk'] as const;
export type UserKeyFormat = (typeof USER_KEY_FORMATS)[number];

const NODE_CURVE: Record<UserKeyCurve, string> = { 'P-256': 'prime256v1', 'P-384': 'secp384r1', secp256k1: 'secp256k1' };
const CURVE_BYTES: Record<UserKeyCurve, number> = { 'P-256': 32, 'P-384': 48, secp256k1: 32 };

export function generateUserKeyPair(curve: UserKeyCurve): Promise<{ publicKey: KeyObject; privateKey: KeyObject }> {
  return generateKeyPairAsync('ec', { namedCurve: NODE_CURVE[curve] });
}

function base64UrlToHex(value: string, bytes: number): string {
  return Buffer.from(value, 'base64url').toString('hex').padStart(bytes * 2, '0');
}

/** The public key as the caller asked: uncompressed point `04||X||Y` in hex, SPKI PEM, or JWK. */
export function formatUserPublicKey(publicKey: KeyObject, curve: UserKeyCurve, format: UserKeyFormat): string | JWK {
  if (format === 'pem') return publicKey.export({ format: 'pem', type: 'spki' }) as string;
  const jwk = publicKey.export({ format: 'jwk' }) as JWK;
  if (format === 'jwk') return jwk;
  const bytes = CURVE_BYTES[curve];
  return `04${base64UrlToHex(jwk.x!, bytes)}${base64UrlToHex(jwk.y!, bytes)}`;
}

/** The private key as the caller asked: the scalar in hex padded to the curve size, PKCS#8 PEM, or JWK. */
export function formatUserPrivateKey(privateKey: KeyObject, curve: UserKeyCurve, format: UserKeyFormat): string | JWK {
  if (format === 'pem') return privateKey.export({ format: 'pem', type: 'pkcs8' }) as string;
  const jwk = privateKey.export({ format: 'jwk' }) as JWK;
  if (format === 'jwk') return jwk;
  return base64UrlToHex(jwk.d!, CURVE_BYTES[curve]);
}
