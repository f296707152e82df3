import { createHash, generateKeyPair } from 'node:crypto';
import { promisify } from 'node:util';
import * as pkcs11 from 'pkcs11js';
import { ASYMMETRIC_ALGORITHMS, signingKeySpec, type SigningAlgorithm } from '../crypto/algorithms';
import { CKM_EC_EDWARDS_KEY_PAIR_GEN, CKM_EDDSA, EC_PARAMS, keyPairGeneration, signingMechanism } from './pkcs11-mechanisms';

const data = Buffer.from('eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9');
const sha = (bits: number) => createHash(`sha${bits}`).update(data).digest();
const pss = (mechanism: number, hashAlg: number, mgf: number, saltLen: number) => ({
  mechanism,
  parameter: { type: pkcs11.CK_PARAMS_RSA_PSS, hashAlg, mgf, saltLen },
});

describe('signingMechanism', () => {
  it.each<[SigningAlgorithm, pkcs11.Mechanism, Buffer]>([
    ['RS256', { mechanism: pkcs11.CKM_SHA256_RSA_PKCS }, data],
    ['RS384', { mechanism: pkcs11.CKM_SHA384_RSA_PKCS }, data],
    ['RS512', { mechanism: pkcs11.CKM_SHA512_RSA_PKCS }, data],
    // RFC 7518 §3.5: MGF1 with the same hash, a salt as long as the hash.
    ['PS256', pss(pkcs11.CKM_SHA256_RSA_PKCS_PSS, pkcs11.CKM_SHA256, pkcs11.CKG_MGF1_SHA256, 32), data],
    ['PS384', pss(pkcs11.CKM_SHA384_RSA_PKCS_PSS, pkcs11.CKM_SHA384, pkcs11.CKG_MGF1_SHA384, 48), data],
    ['PS512', pss(pkcs11.CKM_SHA512_RSA_PKCS_PSS, pkcs11.CKM_SHA512, pkcs11.CKG_MGF1_SHA512, 64), data],
    // Plain CKM_ECDSA, which every token has, given the digest the algorithm names.
    ['ES256', { mechanism: pkcs11.CKM_ECDSA }, sha(256)],
    ['ES384', { mechanism: pkcs11.CKM_ECDSA }, sha(384)],
    ['ES512', { mechanism: pkcs11.CKM_ECDSA }, sha(512)],
    ['EdDSA', { mechanism: CKM_EDDSA }, data],
  ])('%s signs with its own mechanism and input', (algorithm, mechanism, input) => {
    expect(signingMechanism(algorithm, data)).toEqual({ mechanism, input });
  });

  it('covers every asymmetric algorithm of the table but ML-DSA (refused in custody "hsm"), each with a mechanism of its own', () => {
    const held = ASYMMETRIC_ALGORITHMS.filter((algorithm) => !algorithm.startsWith('ML-DSA'));
    const chosen = held.map((algorithm) => JSON.stringify(signingMechanism(algorithm, data)));
    expect(new Set(chosen).size).toBe(held.length);
  });
});

describe('keyPairGeneration', () => {
  it('makes RSA pairs of the asked length with the exponent 65537', () => {
    expect(keyPairGeneration(signingKeySpec('PS384', 3072))).toEqual({
      mechanism: pkcs11.CKM_RSA_PKCS_KEY_PAIR_GEN,
      publicAttributes: [
        { type: pkcs11.CKA_MODULUS_BITS, value: 3072 },
        { type: pkcs11.CKA_PUBLIC_EXPONENT, value: Buffer.of(1, 0, 1) },
      ],
    });
  });

  it.each<[SigningAlgorithm, number]>([
    ['ES256', pkcs11.CKM_EC_KEY_PAIR_GEN],
    ['ES384', pkcs11.CKM_EC_KEY_PAIR_GEN],
    ['ES512', pkcs11.CKM_EC_KEY_PAIR_GEN],
    ['EdDSA', CKM_EC_EDWARDS_KEY_PAIR_GEN],
  ])('makes %s pairs on its curve', (algorithm, mechanism) => {
    const spec = signingKeySpec(algorithm);
    expect(keyPairGeneration(spec)).toEqual({ mechanism, publicAttributes: [{ type: pkcs11.CKA_EC_PARAMS, value: EC_PARAMS[spec.curve!] }] });
  });

  it.each([
    ['P-256', () => promisify(generateKeyPair)('ec', { namedCurve: 'prime256v1' })],
    ['P-384', () => promisify(generateKeyPair)('ec', { namedCurve: 'secp384r1' })],
    ['P-521', () => promisify(generateKeyPair)('ec', { namedCurve: 'secp521r1' })],
    ['Ed25519', () => promisify(generateKeyPair)('ed25519')],
  ])("names %s by the object identifier Node's own keys of it carry", async (curve, generate) => {
    const spki = (await generate()).publicKey.export({ format: 'der', type: 'spki' });
    expect(spki.includes(EC_PARAMS[curve])).toBe(true);
    const others = Object.entries(EC_PARAMS).filter(([name]) => name !== curve);
    expect(others.filter(([, oid]) => spki.includes(oid)).map(([name]) => name)).toEqual([]);
  });
});
