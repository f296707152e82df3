import type { KeyObject } from 'node:crypto';

/**
 * Whether two public keys are one key. KeyObject.equals on keys of two types (an RSA and an EC key) leaves an error
 * in OpenSSL's queue (Node 20 and 24.22 alike), and the next private-key load anywhere in the process throws "different key types"
 * with it (another tenant's signature, the RSA generator's reply): equals only ever sees two keys of one kind.
 */
export function isSamePublicKey(a: KeyObject, b: KeyObject): boolean {
  return a.asymmetricKeyType === b.asymmetricKeyType && a.asymmetricKeyDetails?.namedCurve === b.asymmetricKeyDetails?.namedCurve && a.equals(b);
}
