import { createPublicKey } from 'node:crypto';
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

/** An ML-DSA-44 public key as SPKI DER (zero bytes for `pub`): what a runtime with ML-DSA reads. */
const ML_DSA_44_SPKI_PROBE = Buffer.concat([Buffer.from('30820532300b06096086480165030403110382052100', 'hex'), Buffer.alloc(1312)]);

function probe(): boolean {
  const [major, minor] = process.versions.node.split('.').map(Number);
  if (major < 24 || (major === 24 && minor < 7)) return false;
  // Reading an ML-DSA-44 public key (its SPKI header and 1,312 bytes) costs no key generation on the event loop.
  try {
    return createPublicKey({ key: ML_DSA_44_SPKI_PROBE, format: 'der', type: 'spki' }).asymmetricKeyType === ('ml-dsa-44' as string);
  } catch {
    return false;
  }
}

/** 400 (KeyInputError on `field`) when `algorithm` is ML-DSA and this runtime has none; nothing else is refused. */
export function assertRuntimeSupports(algorithm: SigningAlgorithm, field: string): void {
  if (algorithmSpec(algorithm).type === 'AKP') assertMlDsaRuntime(field, algorithm);
}

/** 400 (KeyInputError on `field`) naming the Node ML-DSA needs, unless this runtime has it; `name` is what was asked for. */
export function assertMlDsaRuntime(field: string, name = 'ML-DSA'): void {
  if (!runtimeSupportsMlDsa())
    throw new KeyInputError(field, `${name} needs Node.js ${ML_DSA_MIN_NODE} or later; this service runs on ${process.version}`);
}

/**
 * The ML-DSA algorithm of a PEM key by its object identifier (id-ml-dsa-44/65/87, 2.16.840.1.101.3.4.3.17 to 19, in
 * DER), for a runtime that cannot parse it (its own error, "decode error", would not say what is missing); undefined
 * for any other key.
 */
export function mlDsaAlgorithmOf(pem: string): SigningAlgorithm | undefined {
  const der = Buffer.from(pem.replace(/-----[^-]+-----|\s/g, ''), 'base64');
  const at = der.indexOf(ML_DSA_OID_PREFIX);
  return at < 0 ? undefined : ML_DSA_BY_OID_LAST_BYTE[der[at + ML_DSA_OID_PREFIX.length]];
}
const ML_DSA_OID_PREFIX = Buffer.from('06096086480165030403', 'hex');
const ML_DSA_BY_OID_LAST_BYTE: Record<number, SigningAlgorithm> = { 0x11: 'ML-DSA-44', 0x12: 'ML-DSA-65', 0x13: 'ML-DSA-87' };

/** The algorithms of `algorithms` this runtime signs and verifies with: all, or all but ML-DSA on a Node without it. */
export function onThisRuntime<T extends SigningAlgorithm>(algorithms: readonly T[]): T[] {
  return algorithms.filter((algorithm) => algorithmSpec(algorithm).type !== 'AKP' || runtimeSupportsMlDsa());
}
