import { generateKeyPairSync } from 'node:crypto';
import { algorithmSpec, type SigningAlgorithm } from './algorithms';
import { KeyInputError } from './key-input-error';

/** The first Node.js whose node:crypto and WebCrypto (certificates, jose) both have ML-DSA. */
export const ML_DSA_MIN_NODE = '24.7';

let supported: boolean | undefined;

/**
 * Whether this runtime makes, signs and verifies ML-DSA keys. Probed once, on first use and never at module load, so
 * that the service still starts on an older Node and answers a 400 for ML-DSA alone.
 */
export function runtimeSupportsMlDsa(): boolean {
  supported ??= probe();
  return supported;
}

function probe(): boolean {
  const [major, minor] = process.versions.node.split('.').map(Number);
  if (major < 24 || (major === 24 && minor < 7)) return false;
  try {
    generateKeyPairSync('ml-dsa-44' as never);
    return true;
  } catch {
    return false;
  }
}

/** 400 (KeyInputError on `field`) when `algorithm` is ML-DSA and this runtime has none; nothing else is refused. */
export function assertRuntimeSupports(algorithm: SigningAlgorithm, field: string): void {
  if (algorithmSpec(algorithm).type === 'AKP' && !runtimeSupportsMlDsa()) {
    throw new KeyInputError(field, `${algorithm} needs Node.js ${ML_DSA_MIN_NODE} or later; this service runs on ${process.version}`);
  }
}

/** The algorithms of `algorithms` this runtime signs and verifies with: all, or all but ML-DSA on a Node without it. */
export function onThisRuntime<T extends SigningAlgorithm>(algorithms: readonly T[]): T[] {
  return algorithms.filter((algorithm) => algorithmSpec(algorithm).type !== 'AKP' || runtimeSupportsMlDsa());
}
