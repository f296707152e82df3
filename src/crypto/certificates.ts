// @peculiar/x509 resolves its parts with tsyringe, which needs the Reflect metadata polyfill.
import 'reflect-metadata';
import { webcrypto, type KeyObject } from 'node:crypto';
import * as x509 from '@peculiar/x509';
import type { SigningAlgorithm } from './signing-keys';

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

export const CERTIFIABLE_ALGORITHMS: readonly SigningAlgorithm[] = [
  'RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512',
];
export const DEFAULT_CERTIFICATE_DAYS = 365;

const CURVE_OF: Record<string, string> = { ES256: 'P-256', ES384: 'P-384', ES512: 'P-521' };

/** The WebCrypto import parameters and signature algorithm for a JOSE algorithm. */
function webCryptoAlgorithms(algorithm: SigningAlgorithm) {
  const hash = `SHA-${algorithm.slice(2)}`;
  if (algorithm.startsWith('RS')) {
    const params = { name: 'RSASSA-PKCS1-v1_5', hash };
    return { importParams: params, signingAlgorithm: params };
  }
  if (algorithm.startsWith('PS')) {
    return { importParams: { name: 'RSA-PSS', hash }, signingAlgorithm: { name: 'RSA-PSS', hash, saltLength: Number(algorithm.slice(2)) / 8 } };
  }
  return { importParams: { name: 'ECDSA', namedCurve: CURVE_OF[algorithm] }, signingAlgorithm: { name: 'ECDSA', hash } };
}

export interface CertificateRequest {
  algorithm: SigningAlgorithm;
  publicKey: KeyObject;
  privateKey: KeyObject;
  /** The certificate's subject common name: the key's name. */
  subject: string;
  /** The certificate's issuer common name: the key's issuer, else the subject (a plain self-signed certificate). */
  issuer: string | null;
  validityDays: number;
}

/** A certificate for the key, signed by the key itself, as FusionAuth and Keycloak attach to theirs. PEM. */
export async function createSelfSignedCertificate(request: CertificateRequest): Promise<string> {
  const { importParams, signingAlgorithm } = webCryptoAlgorithms(request.algorithm);
  const subtle = webcrypto.subtle;
  const publicKey = await subtle.importKey('spki', request.publicKey.export({ format: 'der', type: 'spki' }), importParams, true, ['verify']);
  const signingKey = await subtle.importKey('pkcs8', request.privateKey.export({ format: 'der', type: 'pkcs8' }), importParams, false, ['sign']);
  const notBefore = new Date();
  const certificate = await x509.X509CertificateGenerator.create({
    subject: commonName(request.subject),
    issuer: commonName(request.issuer ?? request.subject),
    notBefore,
    notAfter: new Date(notBefore.getTime() + request.validityDays * 24 * 60 * 60 * 1000),
    publicKey: publicKey as never,
    signingKey: signingKey as never,
    signingAlgorithm,
  });
  return certificate.toString('pem');
}

/**
 * `CN=<value>` with RFC 4514 escaping. The library's JSON name form would be simpler, but it splits
 * values at commas, so a key named "login, signing" came out as CN=signing.
 */
function commonName(value: string): string {
  const escaped = value
    .replace(/[\\,+"<>;=]/g, (char) => `\\${char}`)
    .replace(/^[ #]/, (char) => `\\${char}`)
    .replace(/ $/, '\\ ');
  return `CN=${escaped}`;
}

/** The `x5c` entry of a JWK: the certificate's DER in plain base64 (RFC 7517 section 4.7). */
export function certificateToX5c(pem: string): string {
  return new x509.X509Certificate(pem).toString('base64');
}
