import { KeyInputError } from './key-input-error';
import { assertRuntimeSupports, onThisRuntime, runtimeSupportsMlDsa } from './ml-dsa-runtime';
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
