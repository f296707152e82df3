import { createPublicKey, generateKeyPair, type KeyObject } from 'node:crypto';
import { promisify } from 'node:util';
import type { JWK } from 'jose';

import { isPrivateKeyPem } from './pem';
import { CURVES, curveNamed } from './algorithms';
import { KeyInputError } from './key-input-error';
import { assertMlDsaRuntime, mlDsaAlgorithmOf } from './ml-dsa-runtime';
import { generateRsaKeyPairFor, type RsaGenerationFor } from './signing-keys';

const generateKeyPairAsync = promisify(generateKeyPair);

export const USER_KEY_TYPES = ['ecdsa', 'ed25519', 'rsa', 'ml-dsa'] as const;
export type UserKeyType = (typeof USER_KEY_TYPES)[number];
export const USER_KEY_CURVES = ['P-256', 'P-384', 'secp256k1'] as const;
export type UserKeyCurve = (typeof USER_KEY_CURVES)[number];
/** ML-DSA's security levels (FIPS 204), named by their number as RFC 9964's `ML-DSA-44` etc. */
export const USER_KEY_PARAMETER_SETS = [44, 65, 87] as const;
export type UserKeyParameterSet = (typeof USER_KEY_PARAMETER_SETS)[number];
export const USER_KEY_FORMATS = ['hex', 'pem', 'jwk'] as const;
export type UserKeyFormat = (typeof USER_KEY_FORMATS)[number];

const USER_RSA_BITS = 2048;
const ED25519_BYTES = CURVES.Ed25519.bytes;
/** ML-DSA public key sizes (FIPS 204): a hex key of one of these lengths names its parameter set. */
const ML_DSA_PUBLIC_BYTES: Record<UserKeyParameterSet, number> = { 44: 1312, 65: 1952, 87: 2592 };

/** The user-key curve Node calls `nodeCurve`, if it is one. */
function userKeyCurve(nodeCurve: string | undefined): UserKeyCurve | undefined {
  const curve = nodeCurve === undefined ? undefined : curveNamed(nodeCurve);
  return USER_KEY_CURVES.find((known) => known === curve);
}

/** A user key's kind as the API names it: `ecdsa` with its curve, `ed25519`, `rsa` (no curve), or `ml-dsa` with its parameter set. */
export interface UserKeyKind {
  keyType: UserKeyType;
  curve: string | null;
  parameterSet?: UserKeyParameterSet;
}

/** A new user key pair; an RSA pair is made on the low-priority generator, in the turn of whom it is for. */
export async function generateUserKeyPair(
  generationFor: RsaGenerationFor,
  keyType: UserKeyType,
  curve: UserKeyCurve = 'P-256',
  parameterSet: UserKeyParameterSet = 65,
): Promise<{ publicKey: KeyObject; privateKey: KeyObject }> {
  if (keyType === 'ed25519') return generateKeyPairAsync('ed25519');
  if (keyType === 'rsa') return generateRsaKeyPairFor(generationFor, USER_RSA_BITS);
  if (keyType === 'ml-dsa') {
    assertMlDsaRuntime('keyType');
    return generateKeyPairAsync(`ml-dsa-${parameterSet}` as never);
  }
  return generateKeyPairAsync('ec', { namedCurve: CURVES[curve].nodeCurve });
}

export function userKeyKind(key: KeyObject): UserKeyKind {
  const type = key.asymmetricKeyType;
  if (type === 'ed25519') return { keyType: 'ed25519', curve: 'Ed25519' };
  if (type === 'rsa') return { keyType: 'rsa', curve: null };
  const parameterSet = USER_KEY_PARAMETER_SETS.find((known) => type === `ml-dsa-${known}`);
  if (parameterSet) return { keyType: 'ml-dsa', curve: null, parameterSet };
  const curve = type === 'ec' ? userKeyCurve(key.asymmetricKeyDetails!.namedCurve) : undefined;
  if (!curve) throw new KeyInputError('publicKey', 'publicKey must be an ECDSA (P-256, P-384, secp256k1), Ed25519, RSA or ML-DSA key');
  return { keyType: 'ecdsa', curve };
}

/** Hex is defined for point and scalar keys only; RSA keys show as PEM there. */
export function effectiveFormat(keyType: UserKeyType, format: UserKeyFormat): UserKeyFormat {
  return keyType === 'rsa' && format === 'hex' ? 'pem' : format;
}

function base64UrlToHex(value: string, bytes: number): string {
  return Buffer.from(value, 'base64url')
    .toString('hex')
    .padStart(bytes * 2, '0');
}

/**
 * The public key as the caller asked: hex (ECDSA: the uncompressed point `04||X||Y`; Ed25519: the
 * 32-byte key; ML-DSA: the raw encoded key, the JWK's `pub`), SPKI PEM, or JWK.
 */
export function formatUserPublicKey(publicKey: KeyObject, format: UserKeyFormat): string | JWK {
  const { keyType, curve } = userKeyKind(publicKey);
  const shown = effectiveFormat(keyType, format);
  if (shown === 'pem') return publicKey.export({ format: 'pem', type: 'spki' }) as string;
  const jwk = publicKey.export({ format: 'jwk' }) as JWK;
  if (shown === 'jwk') return jwk;
  if (keyType === 'ml-dsa') return Buffer.from(jwk.pub as string, 'base64url').toString('hex');
  if (keyType === 'ed25519') return base64UrlToHex(jwk.x!, ED25519_BYTES);
  const bytes = CURVES[curve as UserKeyCurve].bytes;
  return `04${base64UrlToHex(jwk.x!, bytes)}${base64UrlToHex(jwk.y!, bytes)}`;
}

/**
 * A stored ML-DSA public key (SPKI PEM) in the caller's format without parsing it, for a runtime without ML-DSA:
 * the SPKI DER ends in the raw `pub`, whose size the parameter set (read from the object identifier) fixes.
 */
export function formatStoredMlDsaPublicKey(pem: string, format: UserKeyFormat): { publicKey: string | JWK; parameterSet: UserKeyParameterSet } {
  const algorithm = mlDsaAlgorithmOf(pem)!;
  const parameterSet = Number(algorithm.slice('ML-DSA-'.length)) as UserKeyParameterSet;
  const der = Buffer.from(pem.replace(/-----[^-]+-----|\s/g, ''), 'base64');
  const pub = der.subarray(der.length - ML_DSA_PUBLIC_BYTES[parameterSet]);
  const shown = effectiveFormat('ml-dsa', format);
  const publicKey = shown === 'pem' ? pem : shown === 'jwk' ? { kty: 'AKP', alg: algorithm, pub: pub.toString('base64url') } : pub.toString('hex');
  return { publicKey, parameterSet };
}

/**
 * The private key as the caller asked: hex (the scalar or Ed25519 seed, padded to size; ML-DSA: the 32-byte
 * seed, the JWK's `priv`), PKCS#8 PEM (seed-only for ML-DSA), or JWK.
 */
export function formatUserPrivateKey(privateKey: KeyObject, format: UserKeyFormat): string | JWK {
  const { keyType, curve } = userKeyKind(createPublicKey(privateKey));
  const shown = effectiveFormat(keyType, format);
  if (shown === 'pem') return privateKey.export({ format: 'pem', type: 'pkcs8' }) as string;
  const jwk = privateKey.export({ format: 'jwk' }) as JWK;
  if (shown === 'jwk') return jwk;
  if (keyType === 'ml-dsa') return Buffer.from(jwk.priv as string, 'base64url').toString('hex');
  return base64UrlToHex(jwk.d!, keyType === 'ed25519' ? ED25519_BYTES : CURVES[curve as UserKeyCurve].bytes);
}

export interface UserPublicKeyInput {
  keyType?: UserKeyType;
  curve?: UserKeyCurve;
  parameterSet?: UserKeyParameterSet;
  /** Hex (as `formatUserPublicKey` gives it) or SPKI PEM. */
  publicKey?: string;
  jwk?: JWK;
}

/** Reads a public key a user made themselves; the key type and curve come from the key where it can tell. */
export function parseUserPublicKey(input: UserPublicKeyInput): KeyObject {
  if ((input.publicKey === undefined) === (input.jwk === undefined)) {
    throw new KeyInputError('publicKey', 'give exactly one of publicKey (hex or PEM) and jwk');
  }
  if (input.parameterSet && input.keyType !== undefined && input.keyType !== 'ml-dsa') {
    throw new KeyInputError('parameterSet', `parameterSet applies to ml-dsa keys only, not ${input.keyType}`);
  }
  if (input.keyType === 'ml-dsa' || input.jwk?.kty === 'AKP' || (input.publicKey !== undefined && mlDsaAlgorithmOf(input.publicKey) !== undefined)) {
    assertMlDsaRuntime('keyType');
  }
  let key: KeyObject;
  if (input.jwk) {
    if ('d' in input.jwk || 'priv' in input.jwk) throw new KeyInputError('jwk', 'jwk must be a public key: never send a private key');
    // Node reads an AKP key's parameter set from `alg` alone (RFC 9964 requires it).
    if (input.jwk.kty === 'AKP' && input.jwk.alg === undefined) {
      throw new KeyInputError('jwk', 'an AKP jwk must name its alg: ML-DSA-44, ML-DSA-65 or ML-DSA-87');
    }
    key = attempt('jwk', 'jwk is not a valid public key', () => createPublicKey({ key: input.jwk as never, format: 'jwk' }));
  } else if (input.publicKey!.trim().startsWith('-----BEGIN')) {
    if (isPrivateKeyPem(input.publicKey!)) throw new KeyInputError('publicKey', 'publicKey must be a public key: never send a private key');
    key = attempt('publicKey', 'publicKey must be an SPKI PEM public key', () => createPublicKey({ key: input.publicKey!, format: 'pem' }));
  } else {
    key = fromHex(input.publicKey!.trim().toLowerCase(), input.keyType ?? 'ecdsa', input.curve ?? 'P-256');
  }
  const kind = userKeyKind(key);
  if (input.parameterSet && input.parameterSet !== kind.parameterSet) {
    throw new KeyInputError('parameterSet', `parameterSet ${input.parameterSet} does not fit the key, which is ${describeKind(kind)}`);
  }
  if (input.keyType && input.keyType !== kind.keyType) {
    throw new KeyInputError('keyType', `keyType ${input.keyType} does not fit the key, which is ${kind.keyType}`);
  }
  if (input.curve && input.curve !== kind.curve)
    throw new KeyInputError('curve', `curve ${input.curve} does not fit the key, which is ${kind.curve}`);
  if (kind.keyType === 'rsa' && key.asymmetricKeyDetails!.modulusLength! < USER_RSA_BITS) {
    throw new KeyInputError('publicKey', `RSA keys must have at least ${USER_RSA_BITS} bits`);
  }
  return key;
}

function fromHex(hex: string, keyType: UserKeyType, curve: UserKeyCurve): KeyObject {
  if (!/^([0-9a-f]{2})+$/.test(hex)) throw new KeyInputError('publicKey', 'publicKey must be hex or a PEM');
  const bytes = Buffer.from(hex, 'hex');
  if (keyType === 'ed25519') {
    if (bytes.length !== ED25519_BYTES) throw new KeyInputError('publicKey', 'an Ed25519 publicKey in hex is 32 bytes');
    return createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: bytes.toString('base64url') }, format: 'jwk' });
  }
  if (keyType === 'rsa') throw new KeyInputError('publicKey', 'give RSA keys as PEM or JWK');
  if (keyType === 'ml-dsa') {
    const parameterSet = USER_KEY_PARAMETER_SETS.find((known) => ML_DSA_PUBLIC_BYTES[known] === bytes.length);
    if (!parameterSet) {
      const sizes = USER_KEY_PARAMETER_SETS.map((known) => `${ML_DSA_PUBLIC_BYTES[known]} (ML-DSA-${known})`).join(', ');
      throw new KeyInputError('publicKey', `an ML-DSA publicKey in hex is the encoded key of ${sizes} bytes`);
    }
    const jwk = { kty: 'AKP', alg: `ML-DSA-${parameterSet}`, pub: bytes.toString('base64url') };
    return attempt('publicKey', 'publicKey is not an ML-DSA public key', () => createPublicKey({ key: jwk as never, format: 'jwk' }));
  }
  const size = CURVES[curve].bytes;
  if (bytes.length !== 1 + 2 * size || bytes[0] !== 0x04) {
    throw new KeyInputError('publicKey', `a ${curve} publicKey in hex is the uncompressed point 04||X||Y (${1 + 2 * size} bytes)`);
  }
  const jwk = { kty: 'EC', crv: curve, x: bytes.subarray(1, 1 + size).toString('base64url'), y: bytes.subarray(1 + size).toString('base64url') };
  return attempt('publicKey', `publicKey is not a point on ${curve}`, () => createPublicKey({ key: jwk, format: 'jwk' }));
}

function describeKind(kind: UserKeyKind): string {
  return kind.parameterSet ? `ML-DSA-${kind.parameterSet}` : kind.keyType;
}

function attempt(field: string, message: string, parse: () => KeyObject): KeyObject {
  try {
    return parse();
  } catch {
    throw new KeyInputError(field, message);
  }
}
