import type { webcrypto } from 'node:crypto';

/**
 * Everything the service knows about each JWS algorithm it signs with, in one table (as `jose` keeps one place
 * per algorithm): key type, curve, hash, the lengths a caller may ask for, the JWK's `kty`, how an imported key
 * is recognised, and whether a certificate applies. Nothing else enumerates algorithms.
 */
export const SIGNING_ALGORITHMS = [
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'ES384',
  'ES512',
  'EdDSA',
  'HS256',
  'HS384',
  'HS512',
  'ML-DSA-44',
  'ML-DSA-65',
  'ML-DSA-87',
] as const;
export type SigningAlgorithm = (typeof SIGNING_ALGORITHMS)[number];
/** `AKP`: RFC 9964's algorithm key pair (ML-DSA), whose JWK names its algorithm. */
export type KeyType = 'RSA' | 'EC' | 'OKP' | 'HMAC' | 'AKP';

/**
 * The curves the service knows (signing keys and user keys), by JOSE's name: Node's name for it, and the size in
 * bytes of a coordinate and of a private scalar.
 */
export const CURVES = {
  'P-256': { nodeCurve: 'prime256v1', bytes: 32 },
  'P-384': { nodeCurve: 'secp384r1', bytes: 48 },
  'P-521': { nodeCurve: 'secp521r1', bytes: 66 },
  secp256k1: { nodeCurve: 'secp256k1', bytes: 32 },
  Ed25519: { nodeCurve: 'ed25519', bytes: 32 },
} as const;
export type CurveName = keyof typeof CURVES;
/** The curves a signing key may be on. */
export type Curve = Extract<CurveName, 'P-256' | 'P-384' | 'P-521' | 'Ed25519'>;

/** JOSE's name of the curve Node calls `nodeCurve`; undefined for a curve the service does not know. */
export function curveNamed(nodeCurve: string): CurveName | undefined {
  return (Object.keys(CURVES) as CurveName[]).find((curve) => CURVES[curve].nodeCurve === nodeCurve);
}

export const RSA_LENGTHS = [2048, 3072, 4096] as const;
/** The smallest RSA modulus an import may have. */
export const MIN_RSA_BITS = 2048;
export const DEFAULT_CERTIFICATE_DAYS = 365;

type HashBits = 256 | 384 | 512;

export interface AlgorithmSpec {
  type: KeyType;
  /** JOSE's curve name (EC and OKP). */
  curve: Curve | null;
  /** The SHA-2 the signature uses (and an HMAC secret's least size); none for EdDSA. */
  hashBits: HashBits | null;
  /** What a caller may ask for as `length`; the first is the default (ML-DSA: its parameter set). */
  lengths: readonly number[];
  /** The `kty` of its JWK. */
  kty: 'RSA' | 'EC' | 'OKP' | 'oct' | 'AKP';
  /** Node's key types (`KeyObject.asymmetricKeyType`) and, for EC, curve that an imported key must have. */
  recognisedAs: { keyTypes: readonly string[]; nodeCurve?: string };
  /** WebCrypto's import and signature parameters, to sign a self-signed certificate; null: no certificate (HMAC). */
  webCrypto: {
    importParams: webcrypto.RsaHashedImportParams | webcrypto.EcKeyImportParams | webcrypto.Algorithm;
    signingAlgorithm: webcrypto.RsaPssParams | webcrypto.EcdsaParams | webcrypto.Algorithm;
  } | null;
}

const rsa = (name: 'RSASSA-PKCS1-v1_5' | 'RSA-PSS', hashBits: HashBits): AlgorithmSpec => {
  const hash = `SHA-${hashBits}`;
  const pss = name === 'RSA-PSS';
  return {
    type: 'RSA',
    curve: null,
    hashBits,
    lengths: RSA_LENGTHS,
    kty: 'RSA',
    // A PS key may be a plain RSA key; an RSA-PSS key only signs PS.
    recognisedAs: { keyTypes: pss ? ['rsa', 'rsa-pss'] : ['rsa'] },
    webCrypto: { importParams: { name, hash }, signingAlgorithm: pss ? { name, hash, saltLength: hashBits / 8 } : { name, hash } },
  };
};

const ec = (curve: Curve, length: number, hashBits: HashBits): AlgorithmSpec => ({
  type: 'EC',
  curve,
  hashBits,
  lengths: [length],
  kty: 'EC',
  recognisedAs: { keyTypes: ['ec'], nodeCurve: CURVES[curve].nodeCurve },
  webCrypto: { importParams: { name: 'ECDSA', namedCurve: curve }, signingAlgorithm: { name: 'ECDSA', hash: `SHA-${hashBits}` } },
});

const hmac = (hashBits: HashBits): AlgorithmSpec => ({
  type: 'HMAC',
  curve: null,
  hashBits,
  // A secret of the hash's size, as RFC 7518 section 3.2 asks.
  lengths: [hashBits],
  kty: 'oct',
  recognisedAs: { keyTypes: [] },
  webCrypto: null,
});

/** ML-DSA of a parameter set (FIPS 204): no hash to choose, the JWK is RFC 9964's `AKP`. */
const mlDsa = (parameterSet: 44 | 65 | 87): AlgorithmSpec => ({
  type: 'AKP',
  curve: null,
  hashBits: null,
  lengths: [parameterSet],
  kty: 'AKP',
  recognisedAs: { keyTypes: [`ml-dsa-${parameterSet}`] },
  webCrypto: { importParams: { name: `ML-DSA-${parameterSet}` }, signingAlgorithm: { name: `ML-DSA-${parameterSet}` } },
});

const ALGORITHMS: Record<SigningAlgorithm, AlgorithmSpec> = {
  RS256: rsa('RSASSA-PKCS1-v1_5', 256),
  RS384: rsa('RSASSA-PKCS1-v1_5', 384),
  RS512: rsa('RSASSA-PKCS1-v1_5', 512),
  PS256: rsa('RSA-PSS', 256),
  PS384: rsa('RSA-PSS', 384),
  PS512: rsa('RSA-PSS', 512),
  ES256: ec('P-256', 256, 256),
  ES384: ec('P-384', 384, 384),
  ES512: ec('P-521', 521, 512),
  EdDSA: {
    type: 'OKP',
    curve: 'Ed25519',
    hashBits: null,
    lengths: [256],
    kty: 'OKP',
    recognisedAs: { keyTypes: ['ed25519'] },
    webCrypto: { importParams: { name: 'Ed25519' }, signingAlgorithm: { name: 'Ed25519' } },
  },
  HS256: hmac(256),
  HS384: hmac(384),
  HS512: hmac(512),
  'ML-DSA-44': mlDsa(44),
  'ML-DSA-65': mlDsa(65),
  'ML-DSA-87': mlDsa(87),
};

export function algorithmSpec(algorithm: SigningAlgorithm): AlgorithmSpec {
  return ALGORITHMS[algorithm];
}

/** What a stored key is: its algorithm, key type, curve and length. */
export interface SigningKeySpec {
  algorithm: SigningAlgorithm;
  type: KeyType;
  curve: Curve | null;
  length: number;
}

/** The key a caller asks for; `length` only chooses among RSA sizes (validated at the edge), the default otherwise. */
export function signingKeySpec(algorithm: SigningAlgorithm, length?: number): SigningKeySpec {
  const { type, curve, lengths } = ALGORITHMS[algorithm];
  return { algorithm, type, curve, length: length ?? lengths[0] };
}

/** Asymmetric algorithms: those with a public key to publish, certify, and trust for access tokens. */
export const ASYMMETRIC_ALGORITHMS = SIGNING_ALGORITHMS.filter((algorithm) => ALGORITHMS[algorithm].type !== 'HMAC');

/** What an access token may be signed with: asymmetric only (never `none` or HMAC), `Ed25519` being EdDSA's newer name. */
export const ACCESS_TOKEN_ALGORITHMS: string[] = [...ASYMMETRIC_ALGORITHMS, 'Ed25519'];

/**
 * The algorithms a key of Node's type (and, for EC, curve) can sign with, the default first: RS256 for an RSA
 * key, PS256 for an RSA-PSS key, the curve's ES algorithm, EdDSA.
 */
export function algorithmsFor(keyType: string, nodeCurve?: string): SigningAlgorithm[] {
  return SIGNING_ALGORITHMS.filter((algorithm) => {
    const { keyTypes, nodeCurve: curve } = ALGORITHMS[algorithm].recognisedAs;
    return keyTypes.includes(keyType) && (curve === undefined || curve === nodeCurve);
  });
}

/** The EC curves a key may be imported on, by Node's name, for messages. */
export const SUPPORTED_EC_CURVES = SIGNING_ALGORITHMS.flatMap((algorithm) =>
  ALGORITHMS[algorithm].type === 'EC' ? [ALGORITHMS[algorithm].curve] : [],
);
