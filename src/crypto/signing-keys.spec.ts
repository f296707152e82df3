import { createPublicKey, sign, verify } from 'node:crypto';
import { calculateJwkThumbprint } from 'jose';
import { allowedLengths, describePublicKey, generateSigningKey, signingKeySpec, SIGNING_ALGORITHMS } from './signing-keys';

const HASH = { RS256: 'sha256', RS384: 'sha384', RS512: 'sha512', ES256: 'sha256', ES384: 'sha384', ES512: 'sha512' } as const;

describe('signing keys', () => {
  it.each(SIGNING_ALGORITHMS)('%s: private signs, public verifies; PEM and JWK are the same key; kid is the thumbprint', async (algorithm) => {
    const spec = signingKeySpec(algorithm);
    const { publicKey, privateKey } = await generateSigningKey(spec);
    const forms = await describePublicKey(publicKey, algorithm);
    const message = Buffer.from('header.payload');
    const signature = sign(HASH[algorithm], message, privateKey);
    expect(verify(HASH[algorithm], message, createPublicKey(forms.publicKeyPem), signature)).toBe(true);
    const { kid, alg, use, ...bare } = forms.jwk;
    expect(verify(HASH[algorithm], message, createPublicKey({ key: bare as never, format: 'jwk' }), signature)).toBe(true);
    expect({ kid, alg, use }).toEqual({ kid: forms.kid, alg: algorithm, use: 'sig' });
    expect(await calculateJwkThumbprint(bare)).toBe(forms.kid);
  });

  it('describes RSA lengths and EC curves', () => {
    expect(signingKeySpec('RS384')).toEqual({ algorithm: 'RS384', type: 'RSA', curve: null, length: 2048 });
    expect(signingKeySpec('RS256', 4096).length).toBe(4096);
    expect(signingKeySpec('ES512')).toEqual({ algorithm: 'ES512', type: 'EC', curve: 'P-521', length: 521 });
    expect(allowedLengths('RS512')).toEqual([2048, 3072, 4096]);
    expect(allowedLengths('ES384')).toEqual([384]);
  });
});
