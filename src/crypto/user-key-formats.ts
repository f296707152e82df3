import { createPublicKey, generateKeyPair, type KeyObject } from 'node:crypto';
import { promisify } from 'node:util';
import type { JWK } from 'jose';

import { isPrivateKeyPem } from './pem';
import { CURVES, curveNamed } from './algorithms';
import { KeyInputError } from './key-input-error';
import { generateRsaKeyPairFor, type RsaGenerationFor } from './signing-keys';

const generateKeyPairAsync = promisify(generateKeyPair);

export const USER_KEY_TYPES = ['ecdsa', 'ed25519', 'rsa'] as const;
export type UserKeyType = (typeof USER_KEY_TYPES)[number];
export const USER_KEY_CURVES = ['P-256', 'P-384', 'secp256k1'] as const;
export type UserKeyCurve = (typeof USER_KEY_CURVES)[number];
export const USER_KEY_FORMATS = ['hex', 'pem', 'jwk'] as const;
export type UserKeyFormat = (typeof USER_KEY_FORMATS)[number];

const USER_RSA_BITS = 2048;
const ED25519_BYTES = CURVES.Ed25519.bytes;

/** The user-key curve Node calls `nodeCurve`, if it is one. */
function userKeyCurve(nodeCurve: string | undefined): UserKeyCurve | undefined {
  const curve = nodeCurve === undefined ? undefined : curveNamed(nodeCurve);
  return USER_KEY_CURVES.find((known) => known === curve);
}

/** A user key's kind as the API names it: `ecdsa` with its curve, `ed25519`, or `rsa` (no curve). */
export interface UserKeyKind {
  keyType: UserKeyType;
  curve: string | null;
}

/** A new user key pair; an RSA pair is made on the low-priority generator, in the turn of whom it is for. */
export function generateUserKeyPair(
  generationFor: RsaGenerationFor,
  keyType: UserKeyType,
  curve: UserKeyCurve = 'P-256',
): Promise<{ publicKey: KeyObject; privateKey: KeyObject }> {
  if (keyType === 'ed25519') return generateKeyPairAsync('ed25519');
  if (keyType === 'rsa') return generateRsaKeyPairFor(generationFor, USER_RSA_BITS);
  return generateKeyPairAsync('ec', { namedCurve: CURVES[curve].nodeCurve });
}

export function userKeyKind(key: KeyObject): UserKeyKind {
  const type = key.asymmetricKeyType;
  if (type === 'ed25519') return { keyType: 'ed25519', curve: 'Ed25519' };
  if (type === 'rsa') return { keyType: 'rsa', curve: null };
  const curve = type === 'ec' ? userKeyCurve(key.asymmetricKeyDetails!.namedCurve) : undefined;
  if (!curve) throw new KeyInputError('publicKey', 'publicKey must be an ECDSA (P-256, P-384, secp256k1), Ed25519 or RSA key');
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
 * 32-byte key), SPKI PEM, or JWK.
 */
export function formatUserPublicKey(publicKey: KeyObject, format: UserKeyFormat): string | JWK {
  const { keyType, curve } = userKeyKind(publicKey);
  const shown = effectiveFormat(keyType, format);
  if (shown === 'pem') return publicKey.export({ format: 'pem', type: 'spki' }) as string;
  const jwk = publicKey.export({ format: 'jwk' }) as JWK;
  if (shown === 'jwk') return jwk;
  if (keyType === 'ed25519') return base64UrlToHex(jwk.x!, ED25519_BYTES);
  const bytes = CURVES[curve as UserKeyCurve].bytes;
  return `04${base64UrlToHex(jwk.x!, bytes)}${base64UrlToHex(jwk.y!, bytes)}`;
}

/** The private key as the caller asked: hex (the scalar or Ed25519 seed, padded to size), PKCS#8 PEM, or JWK. */
export function formatUserPrivateKey(privateKey: KeyObject, format: UserKeyFormat): string | JWK {
  const { keyType, curve } = userKeyKind(createPublicKey(privateKey));
  const shown = effectiveFormat(keyType, format);
  if (shown === 'pem') return privateKey.export({ format: 'pem', type: 'pkcs8' }) as string;
  const jwk = privateKey.export({ format: 'jwk' }) as JWK;
  if (shown === 'jwk') return jwk;
  return base64UrlToHex(jwk.d!, keyType === 'ed25519' ? ED25519_BYTES : CURVES[curve as UserKeyCurve].bytes);
}

export interface UserPublicKeyInput {
  keyType?: UserKeyType;
  curve?: UserKeyCurve;
  /** Hex (as `formatUserPublicKey` gives it) or SPKI PEM. */
  publicKey?: string;
  jwk?: JWK;
}

/** Reads a public key a user made themselves; the key type and curve come from the key where it can tell. */
export function parseUserPublicKey(input: UserPublicKeyInput): KeyObject {
  if ((input.publicKey === undefined) === (input.jwk === undefined)) {
    throw new KeyInputError('publicKey', 'give exactly one of publicKey (hex or PEM) and jwk');
  }
  let key: KeyObject;
  if (input.jwk) {
    if ('d' in input.jwk) throw new KeyInputError('jwk', 'jwk must be a public key: never send a private key');
    key = attempt('jwk', 'jwk is not a valid public key', () => createPublicKey({ key: input.jwk as never, format: 'jwk' }));
  } else if (input.publicKey!.trim().startsWith('-----BEGIN')) {
    if (isPrivateKeyPem(input.publicKey!)) throw new KeyInputError('publicKey', 'publicKey must be a public key: never send a private key');
    key = attempt('publicKey', 'publicKey must be an SPKI PEM public key', () => createPublicKey({ key: input.publicKey!, format: 'pem' }));
  } else {
    key = fromHex(input.publicKey!.trim().toLowerCase(), input.keyType ?? 'ecdsa', input.curve ?? 'P-256');
  }
  const kind = userKeyKind(key);
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
  const size = CURVES[curve].bytes;
  if (bytes.length !== 1 + 2 * size || bytes[0] !== 0x04) {
    throw new KeyInputError('publicKey', `a ${curve} publicKey in hex is the uncompressed point 04||X||Y (${1 + 2 * size} bytes)`);
  }
  const jwk = { kty: 'EC', crv: curve, x: bytes.subarray(1, 1 + size).toString('base64url'), y: bytes.subarray(1 + size).toString('base64url') };
  return attempt('publicKey', `publicKey is not a point on ${curve}`, () => createPublicKey({ key: jwk, format: 'jwk' }));
}

function attempt(field: string, message: string, parse: () => KeyObject): KeyObject {
  try {
    return parse();
  } catch {
    throw new KeyInputError(field, message);
  }
}
