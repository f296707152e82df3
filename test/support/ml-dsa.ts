import { runtimeSupportsMlDsa } from '../../src/crypto/ml-dsa-runtime';

/**
 * A block this runtime cannot run (ML-DSA on a Node without it, or the refusals of an older Node on one with it),
 * declared as one test named for it that checks why: the runtime really lacks, or really has, ML-DSA. Never a skip.
 * npm test runs on Node 24 (scripts/on-node.mjs); the older-Node behaviour runs in test/older-node.e2e-spec.ts.
 */
export function describeNotRunHere(name: string, _tests: () => void): void {
  describe(name, () => {
    it(`not run on ${process.version}: its counterpart runs instead`, () => {
      const [major, minor] = process.versions.node.split('.').map(Number);
      expect(runtimeSupportsMlDsa()).toBe(major > 24 || (major === 24 && minor >= 7));
    });
  });
}
