import { generateKeyPair } from 'node:crypto';
import { promisify } from 'node:util';
import { storedPublicKey } from './stored-public-keys';

const generateKeyPairAsync = promisify(generateKeyPair);

describe('storedPublicKey', () => {
  it('parses a PEM once and gives back the key it holds', async () => {
    const pems = await Promise.all(
      ['P-256', 'P-384'].map(
        async (namedCurve) => (await generateKeyPairAsync('ec', { namedCurve })).publicKey.export({ format: 'pem', type: 'spki' }) as string,
      ),
    );
    const [first, second] = pems.map(storedPublicKey);
    expect(storedPublicKey(pems[0])).toBe(first);
    expect(second).not.toBe(first);
    expect(pems.map((pem) => storedPublicKey(pem).export({ format: 'pem', type: 'spki' }))).toEqual(pems);
  });

  it('refuses what is not a public key', () => {
    expect(() => storedPublicKey('not a key')).toThrow();
  });
});
