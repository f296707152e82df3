// @peculiar/x509 resolves its parts with tsyringe, which needs the Reflect metadata polyfill.
import 'reflect-metadata';
import { createHash, webcrypto, type KeyObject } from 'node:crypto';
import * as x509 from '@peculiar/x509';
import { algorithmSpec, type SigningAlgorithm } from './algorithms';

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
  const subtle = webcrypto.subtle;
  const publicKey = await subtle.importKey('spki', request.publicKey.export({ format: 'der', type: 'spki' }), importParams, true, ['verify']);
  const privateKey = await subtle.importKey('pkcs8', request.privateKey.export({ format: 'der', type: 'pkcs8' }), importParams, false, ['sign']);
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
  const escape = (value: string) =>
    value
      .replace(/[\\,+"<>;=]/g, (char) => `\\${char}`)
      .replace(/^[ #]/, (char) => `\\${char}`)
      .replace(/ $/, '\\ ');
  return organization === null ? `CN=${escape(commonName)}` : `CN=${escape(commonName)}, O=${escape(organization)}`;
}

/** The certificate's DER: the base64 between a PEM's armour lines. */
function certificateDer(pem: string): Buffer {
  return Buffer.from(pem.replace(/-----[^-]+-----|\s/g, ''), 'base64');
}

/**
 * The JWK members that carry a certificate: `x5c`, the DER in plain base64 (RFC 7517 section 4.7), and
 * `x5t#S256`, the base64url SHA-256 of that DER (section 4.9).
 */
export function certificateJwkMembers(pem: string): { x5c: string[]; 'x5t#S256': string } {
  const der = certificateDer(pem);
  return { x5c: [der.toString('base64')], 'x5t#S256': createHash('sha256').update(der).digest('base64url') };
}
