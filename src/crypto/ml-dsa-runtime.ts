import { generateKeyPairSync } from 'node:crypto';

/** The first Node.js release whose crypto makes ML-DSA keys (and on which jose signs and verifies them). */
export const ML_DSA_NODE_VERSION = '24.7';

let supported: boolean | undefined;

/**
 * Whether this runtime makes ML-DSA keys. Probed on first use and never at module load, so that the
 * service starts on an older Node and answers a 400 there instead.
 */
export function mlDsaSupported(): boolean {
  if (supported === undefined) {
    try {
      generateKeyPairSync('ml-dsa-44' as never);
      supported = true;
    } catch {
      supported = false;
    }
  }
  return supported;
}

/** What a caller is told when asking for ML-DSA on a runtime without it. */
export function mlDsaUnsupportedMessage(): string {
  return `ML-DSA needs Node.js ${ML_DSA_NODE_VERSION} or later; this service runs on ${process.version}`;
}

/** The DER of ML-DSA's object identifiers, 2.16.840.1.101.3.4.3.17 to .19, without the last byte (0x11 to 0x13). */
const ML_DSA_OID_PREFIX = Buffer.from('0609608648016503040311', 'hex').subarray(0, -1);

/**
 * Whether a PEM holds an ML-DSA key, read from its algorithm identifier without parsing the key: an older
 * runtime's own error for one ("decode error") would not tell the caller what is missing.
 */
export function mentionsMlDsa(pem: string): boolean {
  const body = /-----BEGIN [A-Z ]+-----([\s\S]*?)-----END/.exec(pem)?.[1];
  if (!body) return false;
  const der = Buffer.from(body.replace(/\s+/g, ''), 'base64');
  for (let at = der.indexOf(ML_DSA_OID_PREFIX); at >= 0; at = der.indexOf(ML_DSA_OID_PREFIX, at + 1)) {
    const last = der[at + ML_DSA_OID_PREFIX.length];
    if (last >= 0x11 && last <= 0x13) return true;
  }
  return false;
}
