import { createPrivateKey, createSecretKey, generateKeyPair, randomBytes, type KeyObject } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { promisify } from 'node:util';
import { calculateJwkThumbprint, type JWK } from 'jose';
import { algorithmSpec, type KeyType, type SigningAlgorithm, type SigningKeySpec } from './algorithms';
import { fairQueue, QueueFullError } from './fair-queue';
import { generateRsaKeyPair } from './rsa-generator';

const generateKeyPairAsync = promisify(generateKeyPair);

export interface GeneratedKey {
  /** Undefined for HMAC: a shared secret has no public part. */
  publicKey?: KeyObject;
  privateKey: KeyObject;
}

/**
 * Whom an RSA generation is for; each waits in a queue of its own, and the queues take turns. A tenant's keys and
 * the keys of the users it mints share the tenant's queue; each user of the OAuth provider has one; the RSA pool's
 * refills and the lifecycle scheduler's successors have one each, so no tenant's flood holds back a rotation.
 */
export type RsaGenerationFor = { tenantId: string } | { oauthUser: { issuer: string; userId: string } } | 'pool' | 'scheduler';

/** RSA generations one queue may have waiting or running at once; more are refused (RsaGenerationsBusyError). */
export const RSA_GENERATIONS_PER_QUEUE = 16;

/**
 * RSA generations running at once. Each keeps a core busy for up to a second (4096 bits); even at the
 * lowest priority (generateRsaKeyPair), letting them take every core of a small machine leaves the
 * database and the event loop's thread waiting for a time slice.
 */
export const RSA_GENERATION_CONCURRENCY = Math.max(1, availableParallelism() - 1);

const rsaGenerations = fairQueue({ concurrency: RSA_GENERATION_CONCURRENCY, maxPerOwner: RSA_GENERATIONS_PER_QUEUE });

/** A queue's RSA generation refused: it already has RSA_GENERATIONS_PER_QUEUE waiting or running. */
export class RsaGenerationsBusyError extends Error {
  constructor() {
    super(`At most ${RSA_GENERATIONS_PER_QUEUE} RSA keys may be in the making at once for one tenant or user: try again when one is made`);
  }
}

function queueName(generationFor: RsaGenerationFor): string {
  if (typeof generationFor === 'string') return generationFor;
  if ('tenantId' in generationFor) return `tenant:${generationFor.tenantId}`;
  return `user:${generationFor.oauthUser.issuer}\u0000${generationFor.oauthUser.userId}`;
}

/** An RSA key pair made in its queue's turn (RsaGenerationFor) on the low-priority generator process. */
export async function generateRsaKeyPairFor(generationFor: RsaGenerationFor, modulusLength: number): Promise<Required<GeneratedKey>> {
  try {
    return await rsaGenerations.run(queueName(generationFor), () => generateRsaKeyPair(modulusLength));
  } catch (error) {
    throw error instanceof QueueFullError ? new RsaGenerationsBusyError() : error;
  }
}

/** RSA generations running and waiting now, all queues together. */
export function rsaGenerationCounts(): { running: number; waiting: number } {
  return rsaGenerations.counts();
}

/**
 * Generates a key off the event loop: EC, Ed25519 and ML-DSA keys on libuv's thread pool, RSA keys (up to a
 * second of CPU for 4096 bits) in a low-priority child process, in the turn of whom it is for.
 */
export async function generateSigningKey(spec: SigningKeySpec, generationFor: RsaGenerationFor): Promise<GeneratedKey> {
  switch (spec.type) {
    case 'RSA':
      return generateRsaKeyPairFor(generationFor, spec.length);
    case 'EC':
      return generateKeyPairAsync('ec', { namedCurve: algorithmSpec(spec.algorithm).recognisedAs.nodeCurve! });
    case 'OKP':
      return generateKeyPairAsync('ed25519');
    case 'AKP':
      // 'ml-dsa-44' etc.: Node 24's names, which its types (of Node 22) do not know yet.
      return generateKeyPairAsync(algorithmSpec(spec.algorithm).recognisedAs.keyTypes[0] as 'ed25519');
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
