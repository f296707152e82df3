import { createHmac, sign, type KeyObject } from 'node:crypto';
import { promisify } from 'node:util';
import { SignJWT, type JWTPayload } from 'jose';
import { algorithmSpec, type SigningAlgorithm } from './algorithms';

const signAsync = promisify(sign);

/** A JWS protected header with its encoded form (base64url of its JSON, as jose encodes it), to encode it once per key. */
export interface ProtectedHeader {
  header: { alg: SigningAlgorithm } & Record<string, string>;
  encoded: string;
}

export function protectedHeader(header: ProtectedHeader['header']): ProtectedHeader {
  return { header, encoded: Buffer.from(JSON.stringify(header)).toString('base64url') };
}

/**
 * A compact JWT of `claims`, signed with `privateKey` (of `header.alg`). EC, Ed25519 and HMAC are signed at once with
 * node:crypto (tens of microseconds, where jose goes through WebCrypto's async job and a structuredClone of the
 * claims); RSA with jose, off the event loop, as a 4096-bit signature takes milliseconds. The bytes are jose's:
 * the header as encoded, the claims' JSON, base64url.
 */
export async function signJwt(privateKey: KeyObject, { header, encoded }: ProtectedHeader, claims: JWTPayload): Promise<string> {
  const { type, hashBits } = algorithmSpec(header.alg);
  if (type === 'RSA') return new SignJWT(claims).setProtectedHeader(header).sign(privateKey);
  const input = `${encoded}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}`;
  // ML-DSA signs the message itself with an empty context (RFC 9964), on the thread pool: up to a millisecond per signature.
  if (type === 'AKP') return `${input}.${(await signAsync(null, Buffer.from(input), privateKey)).toString('base64url')}`;
  return `${input}.${signature(type, hashBits, privateKey, input)}`;
}

function signature(type: 'EC' | 'OKP' | 'HMAC', hashBits: number | null, privateKey: KeyObject, input: string): string {
  switch (type) {
    case 'EC':
      // JWS wants r || s (RFC 7518 §3.4), not node's default DER.
      return sign(`sha${hashBits}`, Buffer.from(input), { key: privateKey, dsaEncoding: 'ieee-p1363' }).toString('base64url');
    case 'OKP':
      return sign(null, Buffer.from(input), privateKey).toString('base64url');
    case 'HMAC':
      return createHmac(`sha${hashBits}`, privateKey).update(input).digest('base64url');
  }
}
