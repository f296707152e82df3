import { decodeJwt, decodeProtectedHeader, jwtVerify, SignJWT } from 'jose';
import { signingKeySpec, SIGNING_ALGORITHMS } from './algorithms';
import { protectedHeader, signJwt } from './jwt-signing';
import { generateSigningKey } from './signing-keys';
import { onThisRuntime } from './ml-dsa-runtime';

describe('signJwt', () => {
  const claims = { sub: 'alice', iss: 'https://issuer.example', iat: 1_763_900_000, exp: 4_102_444_800, nested: { list: [1, 'two', null], é: '✓' } };

  it.each(onThisRuntime(SIGNING_ALGORITHMS))(
    '%s: its token verifies with jose and has the header and claims SignJWT would give',
    async (algorithm) => {
      const { publicKey, privateKey } = await generateSigningKey(signingKeySpec(algorithm), 'pool');
      const header = { typ: 'at+jwt', cty: 'JWT', alg: algorithm, kid: 'the-kid' };

      const token = await signJwt(privateKey, protectedHeader(header), claims);
      const theirs = await new SignJWT(claims).setProtectedHeader(header).sign(privateKey);

      const { payload, protectedHeader: verifiedHeader } = await jwtVerify(token, publicKey ?? privateKey, { algorithms: [algorithm] });
      expect(verifiedHeader).toEqual(header);
      expect(payload).toEqual(claims);
      // The same bytes as jose's up to the signature (ECDSA and RSA-PSS signatures are randomised).
      const [signedPart] = token.match(/^[^.]+\.[^.]+/)!;
      expect(theirs.startsWith(`${signedPart}.`)).toBe(true);
      expect(decodeProtectedHeader(token)).toEqual(decodeProtectedHeader(theirs));
      expect(decodeJwt(token)).toEqual(decodeJwt(theirs));
    },
  );
});
