import { KeyInputError } from './key-input-error';
import { generateKeyPair } from 'node:crypto';
import { promisify } from 'node:util';
import { assertMlDsaRuntime, assertRuntimeSupports, mlDsaAlgorithmOf, onThisRuntime, runtimeSupportsMlDsa } from './ml-dsa-runtime';
import { SIGNING_ALGORITHMS } from './algorithms';

const [major, minor] = process.versions.node.split('.').map(Number);
const nodeHasMlDsa = major > 24 || (major === 24 && minor >= 7);

describe('ML-DSA on this runtime', () => {
  it(`is ${nodeHasMlDsa ? '' : 'not '}available on Node ${process.version}`, () => {
    expect(runtimeSupportsMlDsa()).toBe(nodeHasMlDsa);
  });

  it('never refuses another algorithm', () => {
    for (const algorithm of SIGNING_ALGORITHMS.filter((algorithm) => !algorithm.startsWith('ML-DSA'))) {
      expect(() => assertRuntimeSupports(algorithm, 'algorithm')).not.toThrow();
    }
    expect(onThisRuntime(['ES256', 'ML-DSA-65'])).toEqual(nodeHasMlDsa ? ['ES256', 'ML-DSA-65'] : ['ES256']);
  });

  it(nodeHasMlDsa ? 'accepts ML-DSA-65' : 'refuses ML-DSA-65 with a 400 naming the Node it needs', () => {
    const attempt = () => assertRuntimeSupports('ML-DSA-65', 'algorithm');
    if (nodeHasMlDsa) expect(attempt).not.toThrow();
    else {
      expect(attempt).toThrow(KeyInputError);
      expect(attempt).toThrow(`ML-DSA-65 needs Node.js 24.7 or later; this service runs on ${process.version}`);
    }
  });
});

/** An SPKI PEM with an ML-DSA algorithm identifier, built by hand so that any Node can hold it. */
function spkiPem(oidLastByte: string): string {
  const der = Buffer.concat([Buffer.from(`30820532300b0609608648016503040${oidLastByte}0382052100`, 'hex'), Buffer.alloc(1312, 7)]);
  return `-----BEGIN PUBLIC KEY-----\n${der.toString('base64').replace(/.{64}/g, '$&\n')}\n-----END PUBLIC KEY-----\n`;
}

describe('an ML-DSA PEM read without parsing the key (for a runtime that cannot)', () => {
  it.each([
    ['311', 'ML-DSA-44'],
    ['312', 'ML-DSA-65'],
    ['313', 'ML-DSA-87'],
  ])('finds the algorithm by its object identifier (ending %s): %s', (last, algorithm) => {
    expect(mlDsaAlgorithmOf(spkiPem(last))).toBe(algorithm);
  });

  it('finds none in other PEMs, hex or junk', async () => {
    expect(mlDsaAlgorithmOf(spkiPem('314'))).toBeUndefined();
    const ed25519 = await promisify(generateKeyPair)('ed25519');
    expect(mlDsaAlgorithmOf(ed25519.publicKey.export({ format: 'pem', type: 'spki' }) as string)).toBeUndefined();
    expect(mlDsaAlgorithmOf('04'.repeat(65))).toBeUndefined();
    expect(mlDsaAlgorithmOf('-----BEGIN PUBLIC KEY-----\n!!\n-----END PUBLIC KEY-----')).toBeUndefined();
  });

  it(nodeHasMlDsa ? 'lets user keys ask for ML-DSA' : 'refuses user keys ML-DSA with a 400 naming the Node it needs', () => {
    const attempt = () => assertMlDsaRuntime('keyType');
    if (nodeHasMlDsa) expect(attempt).not.toThrow();
    else expect(attempt).toThrow(`ML-DSA needs Node.js 24.7 or later; this service runs on ${process.version}`);
  });
});
