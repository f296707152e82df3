import { generateKeyPair, type KeyObject } from 'node:crypto';
import { promisify } from 'node:util';
import { calculateJwkThumbprint, type JWK } from 'jose';

const generateKeyPairAsync = promisify(generateKeyPair);

export const SIGNING_ALGORITHMS = ['RS256', 'RS384', 'RS512', 'ES256', 'ES384', 'ES512'] as const;
export type SigningAlgorithm = (typeof SIGNING_ALGORITHMS)[number];

export const RSA_LENGTHS = [2048, 3072, 4096] as const;
export const DEFAULT_RSA_LENGTH = 2048;

/** JOSE curve name, Node's name for it, and its size in bits, for each ES algorithm. */
export const EC_CURVES = {
  ES256: { curve: 'P-256', nodeCurve: 'prime256v1', length: 256 },
  ES384: { curve: 'P-384', nodeCurve: 'secp384r1', length: 384 },
  ES512: { curve: 'P-521', nodeCurve: 'secp521r1', length: 521 },
} as const;

export type KeyType = 'RSA' | 'EC';

export interface SigningKeySpec {
  algorithm: SigningAlgorithm;
  type: KeyType;
  curve: string | null;
  length: number;
}

export function isRsa(algorithm: SigningAlgorithm): algorithm is 'RS256' | 'RS384' | 'RS512' {
  return algorithm.startsWith('RS');
}

/** The lengths a caller may ask for with an algorithm: RSA modulus sizes, or the EC curve's size. */
export function allowedLengths(algorithm: SigningAlgorithm): readonly number[] {
  return isRsa(algorithm) ? RSA_LENGTHS : [EC_CURVES[algorithm].length];
}

export function signingKeySpec(algorithm: SigningAlgorithm, length?: number): SigningKeySpec {
  if (isRsa(algorithm)) return { algorithm, type: 'RSA', curve: null, length: length ?? DEFAULT_RSA_LENGTH };
  const { curve, length: curveLength } = EC_CURVES[algorithm];
  return { algorithm, type: 'EC', curve, length: curveLength };
}

/**
 * Generates a key pair off the event loop (libuv's thread pool): an RSA-4096 key takes about
 * a second of CPU, which the synchronous variant would spend blocking every other request.
 */
export async function generateSigningKey(spec: SigningKeySpec): Promise<{ publicKey: KeyObject; privateKey: KeyObject }> {
  if (spec.type === 'RSA') return generateKeyPairAsync('rsa', { modulusLength: spec.length });
  return generateKeyPairAsync('ec', { namedCurve: EC_CURVES[spec.algorithm as keyof typeof EC_CURVES].nodeCurve });
}

export interface PublicKeyForms {
  publicKeyPem: string;
  /** Public JWK with kid (the RFC 7638 thumbprint), alg and use. */
  jwk: JWK;
  kid: string;
}

export async function describePublicKey(publicKey: KeyObject, algorithm: SigningAlgorithm): Promise<PublicKeyForms> {
  const bare = publicKey.export({ format: 'jwk' }) as JWK;
  const kid = await calculateJwkThumbprint(bare, 'sha256');
  return {
    publicKeyPem: publicKey.export({ format: 'pem', type: 'spki' }) as string,
    jwk: { ...bare, kid, alg: algorithm, use: 'sig' },
    kid,
  };
}

export function exportPrivateKeyDer(privateKey: KeyObject): Buffer {
  return privateKey.export({ format: 'der', type: 'pkcs8' });
}
