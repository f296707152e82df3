import { createHash } from 'node:crypto';
import * as pkcs11 from 'pkcs11js';
import { algorithmSpec, type SigningAlgorithm, type SigningKeySpec } from '../crypto/algorithms';

/** PKCS#11 3.0 values pkcs11js does not name. */
export const CKK_EC_EDWARDS = 0x40;
export const CKM_EC_EDWARDS_KEY_PAIR_GEN = 0x1055;
export const CKM_EDDSA = 0x1057;
/** PKCS#11 3.2 values: ML-DSA key pair generation and signature. */
export const CKM_ML_DSA_KEY_PAIR_GEN = 0x1c;
export const CKM_ML_DSA = 0x1d;

/** CKA_EC_PARAMS: the curve's DER object identifier. */
export const EC_PARAMS: Record<string, Buffer> = {
  'P-256': Buffer.from('06082a8648ce3d030107', 'hex'),
  'P-384': Buffer.from('06052b81040022', 'hex'),
  'P-521': Buffer.from('06052b81040023', 'hex'),
  Ed25519: Buffer.from('06032b6570', 'hex'),
};

const HASH_MECHANISMS = {
  256: { rsa: pkcs11.CKM_SHA256_RSA_PKCS, pss: pkcs11.CKM_SHA256_RSA_PKCS_PSS, hash: pkcs11.CKM_SHA256, mgf: pkcs11.CKG_MGF1_SHA256 },
  384: { rsa: pkcs11.CKM_SHA384_RSA_PKCS, pss: pkcs11.CKM_SHA384_RSA_PKCS_PSS, hash: pkcs11.CKM_SHA384, mgf: pkcs11.CKG_MGF1_SHA384 },
  512: { rsa: pkcs11.CKM_SHA512_RSA_PKCS, pss: pkcs11.CKM_SHA512_RSA_PKCS_PSS, hash: pkcs11.CKM_SHA512, mgf: pkcs11.CKG_MGF1_SHA512 },
} as const;

/** How a token makes a key pair of `spec`: the mechanism, and what the public key's template adds to the usages. */
export function keyPairGeneration(spec: SigningKeySpec): { mechanism: number; publicAttributes: pkcs11.Template } {
  if (spec.type === 'RSA') {
    return {
      mechanism: pkcs11.CKM_RSA_PKCS_KEY_PAIR_GEN,
      publicAttributes: [
        { type: pkcs11.CKA_MODULUS_BITS, value: spec.length },
        { type: pkcs11.CKA_PUBLIC_EXPONENT, value: Buffer.of(1, 0, 1) },
      ],
    };
  }
  return {
    mechanism: spec.type === 'OKP' ? CKM_EC_EDWARDS_KEY_PAIR_GEN : pkcs11.CKM_EC_KEY_PAIR_GEN,
    publicAttributes: [{ type: pkcs11.CKA_EC_PARAMS, value: EC_PARAMS[spec.curve!] }],
  };
}

/** How a token signs `data` for `algorithm`: the mechanism, and the bytes it is given (ECDSA's output is JOSE's r || s). */
export function signingMechanism(algorithm: SigningAlgorithm, data: Buffer): { mechanism: pkcs11.Mechanism; input: Buffer } {
  const spec = algorithmSpec(algorithm);
  const hashes = HASH_MECHANISMS[spec.hashBits ?? 256];
  if (spec.type === 'EC') {
    // CKM_ECDSA over the digest (tokens rarely offer CKM_ECDSA_SHA384/512).
    return { mechanism: { mechanism: pkcs11.CKM_ECDSA }, input: createHash(`sha${spec.hashBits}`).update(data).digest() };
  }
  if (spec.type === 'OKP') return { mechanism: { mechanism: CKM_EDDSA }, input: data };
  if (algorithm.startsWith('PS')) {
    const parameter: pkcs11.RsaPSS = { type: pkcs11.CK_PARAMS_RSA_PSS, hashAlg: hashes.hash, mgf: hashes.mgf, saltLen: spec.hashBits! / 8 };
    return { mechanism: { mechanism: hashes.pss, parameter }, input: data };
  }
  return { mechanism: { mechanism: hashes.rsa }, input: data };
}
