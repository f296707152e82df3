import { createPrivateKey, createPublicKey, createSecretKey, type KeyObject } from 'node:crypto';
import type { JWK } from 'jose';
import { isPrivateKeyPem } from './pem';
import { EC_CURVES, keyTypeOf, signingKeySpec, type SigningAlgorithm, type SigningKeySpec } from './signing-keys';

export interface KeyImportInput {
  algorithm?: SigningAlgorithm;
  publicKey?: string;
  privateKey?: string;
  jwk?: JWK;
  /** HMAC secret, base64url. */
  secret?: string;
}

export interface ImportedKey {
  spec: SigningKeySpec;
  publicKey?: KeyObject;
  privateKey?: KeyObject;
}

/** A problem with one field of an import, said so that the caller can fix it. */
export class KeyImportError extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
  }
}

const MIN_RSA_BITS = 2048;
const CURVE_ALGORITHM: Record<string, SigningAlgorithm> = { prime256v1: 'ES256', secp384r1: 'ES384', secp521r1: 'ES512' };

/**
 * Reads a key given as PEM, JWK or HMAC secret, checks that the pair matches and that the algorithm
 * fits the key (no RS256 on an EC key, RSA of 2048 bits or more, the curve of the ES algorithm).
 */
export function parseImportedKey(input: KeyImportInput): ImportedKey {
  const sources = (['publicKey', 'privateKey', 'jwk', 'secret'] as const).filter((field) => input[field] !== undefined);
  if (sources.length === 0) throw new KeyImportError('publicKey', 'one of publicKey, privateKey, jwk or secret is required');
  if (sources.includes('jwk') && sources.length > 1) throw new KeyImportError('jwk', 'jwk cannot be combined with PEM keys or a secret');
  if (sources.includes('secret') && sources.length > 1) throw new KeyImportError('secret', 'secret cannot be combined with other keys');

  if (input.secret !== undefined) return importSecret(input.secret, input.algorithm ?? 'HS256');

  let privateKey: KeyObject | undefined;
  let publicKey: KeyObject | undefined;
  if (input.jwk) {
    if (input.jwk.kty === 'oct') throw new KeyImportError('jwk', 'jwk must be an RSA, EC or OKP key; give HMAC secrets as secret');
    const jwk = { ...input.jwk };
    for (const member of ['kid', 'alg', 'use', 'key_ops', 'x5c', 'x5t', 'x5t#S256', 'x5u'] as const) delete jwk[member];
    try {
      if (jwk.d) privateKey = createPrivateKey({ key: jwk as never, format: 'jwk' });
      else publicKey = createPublicKey({ key: jwk as never, format: 'jwk' });
    } catch {
      throw new KeyImportError('jwk', 'jwk is not a valid RSA, EC or OKP key');
    }
  } else {
    if (input.privateKey !== undefined) privateKey = parsePem(input.privateKey, 'privateKey');
    if (input.publicKey !== undefined) publicKey = parsePem(input.publicKey, 'publicKey');
  }
  const derived = privateKey ? createPublicKey(privateKey) : undefined;
  if (derived && publicKey && !derived.equals(publicKey)) {
    throw new KeyImportError('privateKey', 'privateKey does not match publicKey');
  }
  publicKey = derived ?? publicKey!;
  return { spec: specFor(publicKey, input.algorithm), publicKey, privateKey };
}

function parsePem(pem: string, field: 'publicKey' | 'privateKey'): KeyObject {
  if (/ENCRYPTED/.test(pem)) throw new KeyImportError(field, `${field} must not be encrypted`);
  if (field === 'publicKey' && isPrivateKeyPem(pem)) throw new KeyImportError(field, 'publicKey holds a private key: send it as privateKey');
  try {
    return field === 'privateKey' ? createPrivateKey({ key: pem, format: 'pem' }) : createPublicKey({ key: pem, format: 'pem' });
  } catch {
    const kind = field === 'privateKey' ? 'PKCS#8, PKCS#1 or SEC1' : 'SPKI or PKCS#1';
    throw new KeyImportError(field, `${field} must be an unencrypted ${kind} PEM`);
  }
}

function importSecret(secret: string, algorithm: SigningAlgorithm): ImportedKey {
  if (keyTypeOf(algorithm) !== 'HMAC') throw new KeyImportError('algorithm', `algorithm ${algorithm} does not fit an HMAC secret`);
  const spec = signingKeySpec(algorithm);
  if (!/^[A-Za-z0-9_-]+$/.test(secret)) throw new KeyImportError('secret', 'secret must be base64url');
  const bytes = Buffer.from(secret, 'base64url');
  if (bytes.length < spec.length / 8) {
    throw new KeyImportError('secret', `secret must be at least ${spec.length / 8} bytes for ${algorithm}`);
  }
  return { spec, privateKey: createSecretKey(bytes) };
}

function specFor(publicKey: KeyObject, requested: SigningAlgorithm | undefined): SigningKeySpec {
  const { asymmetricKeyType: type, asymmetricKeyDetails: details } = publicKey;
  const mismatch = (algorithm: string) => new KeyImportError('algorithm', `algorithm ${algorithm} does not fit a key of type ${type}`);
  if (type === 'rsa' || type === 'rsa-pss') {
    const algorithm = requested ?? (type === 'rsa' ? 'RS256' : 'PS256');
    if (keyTypeOf(algorithm) !== 'RSA' || (type === 'rsa-pss' && !algorithm.startsWith('PS'))) throw mismatch(algorithm);
    const bits = details!.modulusLength!;
    if (bits < MIN_RSA_BITS) throw new KeyImportError('publicKey', `RSA keys must have at least ${MIN_RSA_BITS} bits, this one has ${bits}`);
    return { algorithm, type: 'RSA', curve: null, length: bits };
  }
  if (type === 'ec') {
    const fitting = CURVE_ALGORITHM[details!.namedCurve!];
    if (!fitting) throw new KeyImportError('publicKey', `EC curve ${details!.namedCurve} is not supported (P-256, P-384, P-521)`);
    const algorithm = requested ?? fitting;
    if (keyTypeOf(algorithm) !== 'EC') throw mismatch(algorithm);
    if (algorithm !== fitting) throw mismatch(`${algorithm} (the key's curve wants ${fitting})`);
    return { algorithm, type: 'EC', curve: EC_CURVES[fitting as keyof typeof EC_CURVES].curve, length: EC_CURVES[fitting as keyof typeof EC_CURVES].length };
  }
  if (type === 'ed25519') {
    const algorithm = requested ?? 'EdDSA';
    if (algorithm !== 'EdDSA') throw mismatch(algorithm);
    return signingKeySpec('EdDSA');
  }
  throw new KeyImportError('publicKey', `keys of type ${type} are not supported`);
}
