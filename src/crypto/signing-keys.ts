import { createPrivateKey, createSecretKey, generateKeyPair, randomBytes, type KeyObject } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { promisify } from 'node:util';
import { calculateJwkThumbprint, type JWK } from 'jose';
import { algorithmSpec, type KeyType, type SigningAlgorithm, type SigningKeySpec } from './algorithms';
import { concurrencyLimit } from './concurrency-limit';
import { generateRsaKeyPair } from './rsa-generator';

const generateKeyPairAsync = promisify(generateKeyPair);

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
      return generateKeyPairAsync('ec', { namedCurve: algorithmSpec(spec.algorithm).recognisedAs.nodeCurve! });
    case 'OKP':
      return generateKeyPairAsync('ed25519');
    case 'HMAC':
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
