import 'reflect-metadata';
import { createHash, X509Certificate } from 'node:crypto';
import * as x509 from '@peculiar/x509';
import { ASYMMETRIC_ALGORITHMS } from './algorithms';
import { certificateJwkMembers, createSelfSignedCertificate } from './certificates';
import { generateSigningKey } from './signing-keys';
import { signingKeySpec } from './algorithms';
import { onThisRuntime } from './ml-dsa-runtime';

describe('self-signed certificates', () => {
  it.each(onThisRuntime(ASYMMETRIC_ALGORITHMS))('%s: its own issuer, certifies the key, verifies with it', async (algorithm) => {
    const { publicKey, privateKey } = await generateSigningKey(signingKeySpec(algorithm), 'pool');
    const pem = await createSelfSignedCertificate({
      algorithm,
      publicKey: publicKey!,
      privateKey,
      subject: 'login, "signing" = #1 <a+b>;',
      issuer: 'https://auth.example.com',
      validityDays: 30,
    });
    const certificate = new X509Certificate(pem);
    const parsed = new x509.X509Certificate(pem);
    expect(parsed.subjectName.getField('CN')).toEqual(['login, "signing" = #1 <a+b>;']);
    expect(parsed.subjectName.getField('O')).toEqual(['https://auth.example.com']);
    expect(certificate.issuer).toBe(certificate.subject);
    expect(certificate.checkIssued(certificate)).toBe(true);
    expect(certificate.publicKey.equals(publicKey!)).toBe(true);
    expect(certificate.verify(publicKey!)).toBe(true);
    const days = (Date.parse(certificate.validTo) - Date.parse(certificate.validFrom)) / 86_400_000;
    expect(Math.round(days)).toBe(30);
  });

  it('has the extensions RFC 5280 asks of a self-signed certificate, never an empty list', async () => {
    const { publicKey, privateKey } = await generateSigningKey(signingKeySpec('ES256'), 'pool');
    const parsed = new x509.X509Certificate(
      await createSelfSignedCertificate({ algorithm: 'ES256', publicKey: publicKey!, privateKey, subject: 'k', issuer: null, validityDays: 1 }),
    );
    expect(parsed.subject).toBe('CN=k');
    const basic = parsed.getExtension(x509.BasicConstraintsExtension)!;
    expect({ critical: basic.critical, ca: basic.ca, pathLength: basic.pathLength }).toEqual({ critical: true, ca: true, pathLength: 0 });
    const usage = parsed.getExtension(x509.KeyUsagesExtension)!;
    expect(usage.usages).toBe(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyCertSign);
    const ski = parsed.getExtension(x509.SubjectKeyIdentifierExtension)!;
    expect(parsed.getExtension(x509.AuthorityKeyIdentifierExtension)!.keyId).toBe(ski.keyId);
  });

  it('x5c is the DER in base64 and x5t#S256 its SHA-256 in base64url', async () => {
    const { publicKey, privateKey } = await generateSigningKey(signingKeySpec('EdDSA'), 'pool');
    const pem = await createSelfSignedCertificate({
      algorithm: 'EdDSA',
      publicKey: publicKey!,
      privateKey,
      subject: 'k',
      issuer: null,
      validityDays: 1,
    });
    const der = new X509Certificate(pem).raw;
    expect(certificateJwkMembers(pem)).toEqual({
      x5c: [der.toString('base64')],
      'x5t#S256': createHash('sha256').update(der).digest('base64url'),
    });
  });
});
