import 'reflect-metadata';
import { X509Certificate } from 'node:crypto';
import * as x509 from '@peculiar/x509';
import { CERTIFIABLE_ALGORITHMS, certificateToX5c, createSelfSignedCertificate } from './certificates';
import { generateSigningKey, signingKeySpec } from './signing-keys';

describe('self-signed certificates', () => {
  it.each(CERTIFIABLE_ALGORITHMS)('%s: names subject and issuer, certifies the key, verifies with it', async (algorithm) => {
    const { publicKey, privateKey } = await generateSigningKey(signingKeySpec(algorithm));
    const pem = await createSelfSignedCertificate({
      algorithm, publicKey: publicKey!, privateKey, subject: 'login, "signing" = #1 <a+b>;', issuer: 'https://auth.example.com', validityDays: 30,
    });
    const certificate = new X509Certificate(pem);
    const parsed = new x509.X509Certificate(pem);
    expect(parsed.subjectName.getField('CN')).toEqual(['login, "signing" = #1 <a+b>;']);
    expect(parsed.issuerName.getField('CN')).toEqual(['https://auth.example.com']);
    expect(certificate.publicKey.equals(publicKey!)).toBe(true);
    expect(certificate.verify(publicKey!)).toBe(true);
    const days = (Date.parse(certificate.validTo) - Date.parse(certificate.validFrom)) / 86_400_000;
    expect(Math.round(days)).toBe(30);
    expect(Buffer.from(certificateToX5c(pem), 'base64')).toEqual(certificate.raw);
  });
});
