// @peculiar/x509 resolves its parts with tsyringe, which needs the Reflect metadata polyfill.
import 'reflect-metadata';
import { createHash, webcrypto, X509Certificate, type KeyObject } from 'node:crypto';
import * as x509 from '@peculiar/x509';
import { algorithmSpec, type SigningAlgorithm } from './algorithms';
import { KeyInputError } from './key-input-error';
import { isSamePublicKey } from './same-public-key';

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

export interface CertificateRequest {
  algorithm: SigningAlgorithm;
  publicKey: KeyObject;
  privateKey: KeyObject;
  /** The certificate's common name: the key's name. */
  subject: string;
  /** The key's issuer, if any: the name's organization (O), beside the common name. */
  issuer: string | null;
  validityDays: number;
}

/**
 * A certificate for the key, signed by the key itself, as FusionAuth and Keycloak attach to theirs. PEM.
 * Issuer and subject are one name, so every tool takes it as self-signed. It is marked as a CA that may
 * certify no other CA (basicConstraints cA, pathLen 0; keyUsage digitalSignature and keyCertSign): Go's
 * CheckSignatureFrom and OpenSSL's X509_check_issued (node's checkIssued) accept a certificate as its own
 * issuer only then. The key itself signs only JWTs here, never certificates.
 */
export async function createSelfSignedCertificate(request: CertificateRequest): Promise<string> {
  const webCrypto = algorithmSpec(request.algorithm).webCrypto;
  if (!webCrypto) throw new Error(`${request.algorithm} keys have no public key to certify`);
  const { importParams, signingAlgorithm } = webCrypto;
  const { publicKey, privateKey } = await webCryptoKeys(importParams, request.publicKey, request.privateKey);
  const notBefore = new Date();
  const certificate = await x509.X509CertificateGenerator.createSelfSigned({
    name: distinguishedName(request.subject, request.issuer),
    notBefore,
    notAfter: new Date(notBefore.getTime() + request.validityDays * 24 * 60 * 60 * 1000),
    keys: { publicKey: publicKey as never, privateKey: privateKey as never },
    signingAlgorithm,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyCertSign, true),
      await x509.SubjectKeyIdentifierExtension.create(publicKey),
      await x509.AuthorityKeyIdentifierExtension.create(publicKey as never),
    ],
  });
  return certificate.toString('pem');
}

/**
 * `CN=<name>` and, with an issuer, `O=<issuer>`, with RFC 4514 escaping. The library's JSON name form would
 * be simpler, but it splits values at commas, so a key named "login, signing" came out as CN=signing.
 */
function distinguishedName(commonName: string, organization: string | null): string {
  return organization === null ? `CN=${escapeDnValue(commonName)}` : `CN=${escapeDnValue(commonName)}, O=${escapeDnValue(organization)}`;
}

/** A distinguished name's attribute value, escaped as RFC 4514 asks. */
function escapeDnValue(value: string): string {
  return value
    .replace(/[\\,+"<>;=]/g, (char) => `\\${char}`)
    .replace(/^[ #]/, (char) => `\\${char}`)
    .replace(/ $/, '\\ ');
}

/** The key pair as WebCrypto keys, for @peculiar/x509. */
async function webCryptoKeys(importParams: Parameters<typeof webcrypto.subtle.importKey>[2], publicKey: KeyObject, privateKey: KeyObject) {
  const subtle = webcrypto.subtle;
  return {
    publicKey: await subtle.importKey('spki', publicKey.export({ format: 'der', type: 'spki' }), importParams, true, ['verify']),
    privateKey: await subtle.importKey('pkcs8', privateKey.export({ format: 'der', type: 'pkcs8' }), importParams, false, ['sign']),
  };
}

/** The certificates of a PEM text, leaf first as stored. */
export function certificatePems(pem: string): string[] {
  return pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
}

/** A certificate's DER: the base64 between its PEM armour lines. */
function certificateDer(pem: string): Buffer {
  return Buffer.from(pem.replace(/-----[^-]+-----|\s/g, ''), 'base64');
}

/**
 * The JWK members that carry a certificate chain: `x5c`, each certificate's DER in plain base64, leaf first
 * (RFC 7517 section 4.7), and `x5t#S256`, the base64url SHA-256 of the leaf's DER (section 4.9).
 */
export function certificateJwkMembers(pem: string): { x5c: string[]; 'x5t#S256': string } {
  const ders = certificatePems(pem).map(certificateDer);
  return { x5c: ders.map((der) => der.toString('base64')), 'x5t#S256': createHash('sha256').update(ders[0]).digest('base64url') };
}

/** When the leaf certificate of a stored chain stops being valid. */
export function leafCertificateExpiry(pem: string): Date {
  return new Date(new X509Certificate(certificatePems(pem)[0]).validTo);
}

/** The subject a certificate signing request names. */
export interface CertificateRequestSubject {
  commonName: string;
  organization?: string;
  organizationalUnit?: string;
  country?: string;
  state?: string;
  locality?: string;
}

/** A PKCS#10 certificate signing request for the key, signed by it, to be sent to a CA. PEM. */
export async function createCertificateSigningRequest(
  algorithm: SigningAlgorithm,
  { publicKey, privateKey }: { publicKey: KeyObject; privateKey: KeyObject },
  subject: CertificateRequestSubject,
): Promise<string> {
  const webCrypto = algorithmSpec(algorithm).webCrypto;
  if (!webCrypto) throw new Error(`${algorithm} keys have no public key to certify`);
  const { publicKey: cryptoPublicKey, privateKey: cryptoPrivateKey } = await webCryptoKeys(webCrypto.importParams, publicKey, privateKey);
  const parts: [string, string | undefined][] = [
    ['CN', subject.commonName],
    ['OU', subject.organizationalUnit],
    ['O', subject.organization],
    ['L', subject.locality],
    ['ST', subject.state],
    ['C', subject.country],
  ];
  const request = await x509.Pkcs10CertificateRequestGenerator.create({
    name: parts
      .filter((part): part is [string, string] => part[1] !== undefined)
      .map(([type, value]) => `${type}=${escapeDnValue(value)}`)
      .join(', '),
    keys: { publicKey: cryptoPublicKey as never, privateKey: cryptoPrivateKey as never },
    signingAlgorithm: webCrypto.signingAlgorithm,
  });
  return request.toString('pem');
}

/**
 * Checks a CA-issued chain for a key, leaf first: the leaf holds this public key, each certificate is signed by the
 * next, and all are within their dates. Throws a KeyInputError naming the certificate at fault.
 */
export function checkCertificateChain(chain: readonly string[], publicKey: KeyObject, now = new Date()): void {
  const field = (i: number) => `certificateChain[${i}]`;
  const certificates = chain.map((pem, i) => {
    // Node reads the first block only; a second one would reach x5c unchecked.
    if (certificatePems(pem).length !== 1) throw new KeyInputError(field(i), `${field(i)} must hold exactly one PEM certificate`);
    try {
      return new X509Certificate(pem);
    } catch {
      throw new KeyInputError(field(i), `${field(i)} is not a PEM certificate`);
    }
  });
  // Node parses a certificate whose key it cannot read (ML-DSA on an older runtime, an unknown algorithm), and throws
  // only when asked for that key: a 400 naming the certificate, never a 500.
  const keyOf = (i: number) => {
    try {
      return certificates[i].publicKey;
    } catch {
      throw new KeyInputError(field(i), `${field(i)} holds a key this runtime cannot read`);
    }
  };
  if (!isSamePublicKey(keyOf(0), publicKey)) throw new KeyInputError(field(0), `${field(0)} does not hold this key's public key`);
  certificates.forEach((certificate, i) => {
    if (new Date(certificate.validFrom) > now || new Date(certificate.validTo) < now) {
      throw new KeyInputError(field(i), `${field(i)} is not valid now (from ${certificate.validFrom} to ${certificate.validTo})`);
    }
    const issuer = certificates[i + 1];
    if (issuer && !certificate.verify(keyOf(i + 1))) throw new KeyInputError(field(i), `${field(i)} is not signed by ${field(i + 1)}`);
  });
}
