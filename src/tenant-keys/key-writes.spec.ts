import { problemsOf } from '../../test/support/field-errors';
import { signingKeySpec, type SigningKeySpec } from '../crypto/algorithms';
import { successorSpec } from './key-writes';

describe('successorSpec (what a rotation makes)', () => {
  const rs4096: SigningKeySpec = signingKeySpec('RS256', 4096);

  it('is the key itself when nothing is chosen, an imported length included', () => {
    expect(successorSpec(rs4096, {})).toEqual(rs4096);
    const imported: SigningKeySpec = { algorithm: 'RS256', type: 'RSA', curve: null, length: 2560 };
    expect(successorSpec(imported, {})).toEqual(imported);
  });

  it('keeps the length where the new algorithm has it, else takes its default', () => {
    expect(successorSpec(rs4096, { algorithm: 'PS256' })).toEqual(signingKeySpec('PS256', 4096));
    expect(successorSpec(rs4096, { algorithm: 'ES256' })).toEqual({ algorithm: 'ES256', type: 'EC', curve: 'P-256', length: 256 });
    expect(successorSpec(signingKeySpec('ES256'), { algorithm: 'ES384' })).toEqual(signingKeySpec('ES384'));
    expect(successorSpec(signingKeySpec('ES256'), { algorithm: 'RS256' })).toEqual(signingKeySpec('RS256', 2048));
    expect(successorSpec(signingKeySpec('HS256'), { algorithm: 'HS512' })).toEqual(signingKeySpec('HS512'));
    expect(successorSpec(rs4096, { length: 3072 })).toEqual(signingKeySpec('RS256', 3072));
  });

  it('refuses a length the algorithm does not have, and asymmetric and HMAC succeeding one another, naming the field', () => {
    expect(problemsOf(() => successorSpec(rs4096, { algorithm: 'ES256', length: 4096 }))).toEqual([
      { field: 'length', message: 'length must be 256 for ES256' },
    ]);
    expect(problemsOf(() => successorSpec(signingKeySpec('ES256'), { length: 2048 }, 'rotationPolicy.'))).toEqual([
      { field: 'rotationPolicy.length', message: 'rotationPolicy.length must be 256 for ES256' },
    ]);
    expect(problemsOf(() => successorSpec(signingKeySpec('HS384'), { algorithm: 'EdDSA' }))).toEqual([
      {
        field: 'algorithm',
        message:
          'algorithm must be one of HS256, HS384, HS512 for a successor of HS384: an HMAC key has no JWKS entry, so verifiers of the one could not verify the other',
      },
    ]);
    expect(problemsOf(() => successorSpec(rs4096, { algorithm: 'HS256' }, 'rotationPolicy.'))).toEqual([
      {
        field: 'rotationPolicy.algorithm',
        message: expect.stringMatching(/^rotationPolicy\.algorithm must be one of RS256, .*ML-DSA-87 for a successor of RS256: /),
      },
    ]);
  });
});
