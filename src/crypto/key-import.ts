import { createPrivateKey, createPublicKey, createSecretKey, type KeyObject } from 'node:crypto';
import type { JWK } from 'jose';
import { isPrivateKeyPem } from './pem';
import { isSamePublicKey } from './same-public-key';
import {
  algorithmSpec,
  algorithmsFor,
  MIN_RSA_BITS,
  signingKeySpec,
  SIGNING_ALGORITHMS,
  SUPPORTED_EC_CURVES,
  type SigningAlgorithm,
  type SigningKeySpec,
} from './algorithms';
import { KeyInputError } from './key-input-error';
import { assertRuntimeSupports, mlDsaAlgorithmOf } from './ml-dsa-runtime';

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

/**
 * Reads a key given as PEM, JWK or HMAC secret, checks that the pair matches and that the algorithm
 * fits the key (no RS256 on an EC key, RSA of 2048 bits or more, the curve of the ES algorithm).
 */
export function parseImportedKey(input: KeyImportInput): ImportedKey {
  const sources = (['publicKey', 'privateKey', 'jwk', 'secret'] as const).filter((field) => input[field] !== undefined);
  if (sources.length === 0) throw new KeyInputError('publicKey', 'one of publicKey, privateKey, jwk or secret is required');
  if (sources.includes('jwk') && sources.length > 1) throw new KeyInputError('jwk', 'jwk cannot be combined with PEM keys or a secret');
  if (sources.includes('secret') && sources.length > 1) throw new KeyInputError('secret', 'secret cannot be combined with other keys');

  if (input.secret !== undefined) return importSecret(input.secret, input.algorithm ?? 'HS256');

  let privateKey: KeyObject | undefined;
  let publicKey: KeyObject | undefined;
  if (input.algorithm) assertRuntimeSupports(input.algorithm, 'algorithm');
  if (input.jwk) {
    if (input.jwk.kty === 'oct') throw new KeyInputError('jwk', 'jwk must be an RSA, EC, OKP or AKP key; give HMAC secrets as secret');
    const jwk = { ...input.jwk };
    // An AKP key (ML-DSA, RFC 9964) is of its alg: Node reads the JWK by it, and it must agree with the algorithm asked for.
    if (jwk.kty === 'AKP') akpAlgorithm(jwk, input.algorithm);
    for (const member of ['kid', 'use', 'key_ops', 'x5c', 'x5t', 'x5t#S256', 'x5u'] as const) delete jwk[member];
    if (jwk.kty !== 'AKP') delete jwk.alg;
    try {
      if (jwk.d || jwk.priv) privateKey = createPrivateKey({ key: jwk as never, format: 'jwk' });
      else publicKey = createPublicKey({ key: jwk as never, format: 'jwk' });
    } catch {
      throw new KeyInputError('jwk', 'jwk is not a valid RSA, EC, OKP or AKP key');
    }
  } else {
    if (input.privateKey !== undefined) privateKey = parsePem(input.privateKey, 'privateKey');
    if (input.publicKey !== undefined) publicKey = parsePem(input.publicKey, 'publicKey');
  }
  const derived = privateKey ? createPublicKey(privateKey) : undefined;
  if (derived && publicKey && !isSamePublicKey(derived, publicKey)) {
    throw new KeyInputError('privateKey', 'privateKey does not match publicKey');
  }
  publicKey = derived ?? publicKey!;
  return { spec: specFor(publicKey, input.algorithm), publicKey, privateKey };
}

function parsePem(pem: string, field: 'publicKey' | 'privateKey'): KeyObject {
  if (/ENCRYPTED/.test(pem)) throw new KeyInputError(field, `${field} must not be encrypted`);
  if (field === 'publicKey' && isPrivateKeyPem(pem)) throw new KeyInputError(field, 'publicKey holds a private key: send it as privateKey');
  try {
    return field === 'privateKey' ? createPrivateKey({ key: pem, format: 'pem' }) : createPublicKey({ key: pem, format: 'pem' });
  } catch {
    // An older Node cannot read an ML-DSA key at all: say so rather than call the PEM malformed.
    const mlDsa = mlDsaAlgorithmOf(pem);
    if (mlDsa) assertRuntimeSupports(mlDsa, field);
    const kind = field === 'privateKey' ? 'PKCS#8, PKCS#1 or SEC1' : 'SPKI or PKCS#1';
    throw new KeyInputError(field, `${field} must be an unencrypted ${kind} PEM`);
  }
}

/** The ML-DSA algorithm an AKP JWK names, checked against the one asked for; 400 on a runtime without ML-DSA. */
function akpAlgorithm(jwk: JWK, requested: SigningAlgorithm | undefined): SigningAlgorithm {
  const alg = jwk.alg as SigningAlgorithm;
  if (!SIGNING_ALGORITHMS.includes(alg) || algorithmSpec(alg).type !== 'AKP') {
    throw new KeyInputError('jwk.alg', `jwk.alg of an AKP key must be one of ${ML_DSA_ALGORITHMS.join(', ')}`);
  }
  if (requested && requested !== alg) throw new KeyInputError('algorithm', `algorithm ${requested} does not fit a key whose jwk.alg is ${alg}`);
  assertRuntimeSupports(alg, 'jwk.alg');
  return alg;
}

const ML_DSA_ALGORITHMS = SIGNING_ALGORITHMS.filter((algorithm) => algorithmSpec(algorithm).type === 'AKP');

function importSecret(secret: string, algorithm: SigningAlgorithm): ImportedKey {
  if (algorithmSpec(algorithm).type !== 'HMAC') throw new KeyInputError('algorithm', `algorithm ${algorithm} does not fit an HMAC secret`);
  const spec = signingKeySpec(algorithm);
  if (!/^[A-Za-z0-9_-]+$/.test(secret)) throw new KeyInputError('secret', 'secret must be base64url');
  const bytes = Buffer.from(secret, 'base64url');
  if (bytes.length < spec.length / 8) {
    throw new KeyInputError('secret', `secret must be at least ${spec.length / 8} bytes for ${algorithm}`);
  }
  return { spec, privateKey: createSecretKey(bytes) };
}

function specFor(publicKey: KeyObject, requested: SigningAlgorithm | undefined): SigningKeySpec {
  const { asymmetricKeyType: type, asymmetricKeyDetails: details } = publicKey;
  const fitting = algorithmsFor(type!, details?.namedCurve);
  if (type === 'ec' && fitting.length === 0) {
    throw new KeyInputError('publicKey', `EC curve ${details!.namedCurve} is not supported (${SUPPORTED_EC_CURVES.join(', ')})`);
  }
  if (fitting.length === 0) throw new KeyInputError('publicKey', `keys of type ${type} are not supported`);
  const algorithm = requested ?? fitting[0];
  if (!fitting.includes(algorithm)) {
    const hint = type === 'ec' && algorithmSpec(algorithm).type === 'EC' ? ` (the key's curve wants ${fitting[0]})` : '';
    throw new KeyInputError('algorithm', `algorithm ${algorithm}${hint} does not fit a key of type ${type}`);
  }
  if (algorithmSpec(algorithm).type !== 'RSA') return signingKeySpec(algorithm);
  const bits = details!.modulusLength!;
  if (bits < MIN_RSA_BITS) throw new KeyInputError('publicKey', `RSA keys must have at least ${MIN_RSA_BITS} bits, this one has ${bits}`);
  return { ...signingKeySpec(algorithm), length: bits };
}
