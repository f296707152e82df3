import { createPublicKey } from 'node:crypto';
import { calculateJwkThumbprint, jwtVerify, SignJWT } from 'jose';
import { describePublicKey, exportPrivateMaterial, generateSigningKey, importPrivateMaterial } from './signing-keys';
import { algorithmSpec, signingKeySpec, SIGNING_ALGORITHMS } from './algorithms';
import { onThisRuntime } from './ml-dsa-runtime';

describe('signing keys', () => {
  it.each(onThisRuntime(SIGNING_ALGORITHMS))('%s: signs a JWT that verifies, also after a round trip through its sealed form', async (algorithm) => {
    const spec = signingKeySpec(algorithm);
    const { publicKey, privateKey } = await generateSigningKey(spec, 'pool');
    const restored = importPrivateMaterial(exportPrivateMaterial(privateKey), spec.type);
    const token = await new SignJWT({ sub: 'alice' }).setProtectedHeader({ alg: algorithm }).sign(restored);
    const verifier = publicKey ?? privateKey;
    expect((await jwtVerify(token, verifier, { algorithms: [algorithm] })).payload.sub).toBe('alice');
    if (spec.type === 'HMAC') {
      expect(publicKey).toBeUndefined();
      expect(privateKey.symmetricKeySize).toBe(spec.length / 8);
    }
  });

  it.each(onThisRuntime(SIGNING_ALGORITHMS).filter((alg) => !alg.startsWith('HS')))(
    '%s: PEM and JWK are the same key; kid is the thumbprint',
    async (algorithm) => {
      const { publicKey } = await generateSigningKey(signingKeySpec(algorithm), 'pool');
      const forms = await describePublicKey(publicKey!, algorithm);
      const { kid, alg, use, ...bare } = forms.jwk;
      // An AKP JWK names its algorithm (RFC 9964): Node exports it with alg, and the thumbprint covers {alg, kty, pub}.
      const members = bare.kty === 'AKP' ? { ...bare, alg } : bare;
      expect(createPublicKey(forms.publicKeyPem).export({ format: 'jwk' })).toEqual(members);
      expect({ kid, alg, use }).toEqual({ kid: forms.kid, alg: algorithm, use: 'sig' });
      expect(await calculateJwkThumbprint(members)).toBe(forms.kid);
    },
  );

  it('describes each type, its lengths and curves', () => {
    expect(signingKeySpec('RS384')).toEqual({ algorithm: 'RS384', type: 'RSA', curve: null, length: 2048 });
    expect(signingKeySpec('PS256', 4096)).toEqual({ algorithm: 'PS256', type: 'RSA', curve: null, length: 4096 });
    expect(signingKeySpec('ES512')).toEqual({ algorithm: 'ES512', type: 'EC', curve: 'P-521', length: 521 });
    expect(signingKeySpec('EdDSA')).toEqual({ algorithm: 'EdDSA', type: 'OKP', curve: 'Ed25519', length: 256 });
    expect(signingKeySpec('HS384')).toEqual({ algorithm: 'HS384', type: 'HMAC', curve: null, length: 384 });
    expect(algorithmSpec('PS512').lengths).toEqual([2048, 3072, 4096]);
    expect(algorithmSpec('ES384').lengths).toEqual([384]);
    expect(algorithmSpec('HS512').lengths).toEqual([512]);
  });
});
