import { createPrivateKey, createSecretKey, generateKeyPair, randomBytes, type KeyObject } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { promisify } from 'node:util';
import { calculateJwkThumbprint, type JWK } from 'jose';
import { concurrencyLimit } from './concurrency-limit';
import { generateRsaKeyPair } from './rsa-generator';

const generateKeyPairAsync = promisify(generateKeyPair);

export const SIGNING_ALGORITHMS = [
  'RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA', 'HS256', 'HS384', 'HS512',
] as const;
export type SigningAlgorithm = (typeof SIGNING_ALGORITHMS)[number];
export type KeyType = 'RSA' | 'EC' | 'OKP' | 'HMAC';

export const RSA_LENGTHS = [2048, 3072, 4096] as const;
export const DEFAULT_RSA_LENGTH = 2048;

/** JOSE curve name, Node's name for it, and its size in bits, for each ES algorithm. */
export const EC_CURVES = {
  ES256: { curve: 'P-256', nodeCurve: 'prime256v1', length: 256 },
  ES384: { curve: 'P-384', nodeCurve: 'secp384r1', length: 384 },
  ES512: { curve: 'P-521', nodeCurve: 'secp521r1', length: 521 },
} as const;

export interface SigningKeySpec {
  algorithm: SigningAlgorithm;
  type: KeyType;
  curve: string | null;
  length: number;
}

export function keyTypeOf(algorithm: SigningAlgorithm): KeyType {
  if (algorithm.startsWith('RS') || algorithm.startsWith('PS')) return 'RSA';
  if (algorithm.startsWith('ES')) return 'EC';
  if (algorithm === 'EdDSA') return 'OKP';
  return 'HMAC';
}

/** The lengths a caller may ask for: RSA modulus sizes, the curve's size, or the HMAC secret's (the hash's) size. */
export function allowedLengths(algorithm: SigningAlgorithm): readonly number[] {
  return keyTypeOf(algorithm) === 'RSA' ? RSA_LENGTHS : [signingKeySpec(algorithm).length];
}

export function signingKeySpec(algorithm: SigningAlgorithm, length?: number): SigningKeySpec {
  const type = keyTypeOf(algorithm);
  switch (type) {
    case 'RSA':
      return { algorithm, type, curve: null, length: length ?? DEFAULT_RSA_LENGTH };
    case 'EC': {
      const { curve, length: curveLength } = EC_CURVES[algorithm as keyof typeof EC_CURVES];
      return { algorithm, type, curve, length: curveLength };
    }
    case 'OKP':
      return { algorithm, type, curve: 'Ed25519', length: 256 };
    case 'HMAC':
      return { algorithm, type, curve: null, length: Number(algorithm.slice(2)) };
  }
}

export interface GeneratedKey {
  /** Undefined for HMAC: a shared secret has no public part. */
  publicKey?: KeyObject;
  privateKey: KeyObject;
}

/**
 * RSA generations running at once. Each keeps a core busy for up to a second (4096 bits); even at the
 * lowest priority (generateRsaKeyPair), letting them take every core of a small machine leaves the
 * database and the event loop's thread waiting for a time slice.
 */
const limitRsaGeneration = concurrencyLimit(Math.max(1, availableParallelism() - 1));

/**
 * Generates a key off the event loop: EC and Ed25519 keys on libuv's thread pool, RSA keys (up to a
 * second of CPU for 4096 bits) in a low-priority child process (generateRsaKeyPair).
 */
export async function generateSigningKey(spec: SigningKeySpec): Promise<GeneratedKey> {
  switch (spec.type) {
    case 'RSA':
      return limitRsaGeneration(() => generateRsaKeyPair(spec.length));
    case 'EC':
      return generateKeyPairAsync('ec', { namedCurve: EC_CURVES[spec.algorithm as keyof typeof EC_CURVES].nodeCurve });
    case 'OKP':
      return generateKeyPairAsync('ed25519');
    case 'HMAC':
      // A secret of the hash's size, as RFC 7518 section 3.2 asks.
      return { privateKey: createSecretKey(randomBytes(spec.length / 8)) };
  }
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

/** HMAC secrets have no public key to take a thumbprint of: their kid is random. */
export function randomKid(): string {
  return randomBytes(16).toString('base64url');
}

/** The key to sign with, back from its sealed form. */
export function importPrivateMaterial(material: Buffer, type: KeyType): KeyObject {
  return type === 'HMAC' ? createSecretKey(material) : createPrivateKey({ key: material, format: 'der', type: 'pkcs8' });
}

/** What gets sealed: PKCS#8 DER for a private key, the raw bytes for an HMAC secret. */
export function exportPrivateMaterial(privateKey: KeyObject): Buffer {
  return privateKey.type === 'secret' ? privateKey.export() : privateKey.export({ format: 'der', type: 'pkcs8' });
}
