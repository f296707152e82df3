import { generateKeyPairSync } from 'node:crypto';
import { mentionsMlDsa, mlDsaSupported, mlDsaUnsupportedMessage } from './ml-dsa-runtime';

/** An SPKI PEM with ML-DSA-44's algorithm identifier, built by hand so that any Node can hold it. */
function spkiPem(oidLastByte: string): string {
  const der = Buffer.concat([Buffer.from(`30820532300b0609608648016503040${oidLastByte}0382052100`, 'hex'), Buffer.alloc(1312, 7)]);
  return `-----BEGIN PUBLIC KEY-----\n${der.toString('base64').replace(/.{64}/g, '$&\n')}\n-----END PUBLIC KEY-----\n`;
}

describe('ML-DSA runtime check', () => {
  it('says whether this Node makes ML-DSA keys, as its version promises', () => {
    const [major, minor] = process.versions.node.split('.').map(Number);
    expect(mlDsaSupported()).toBe(major > 24 || (major === 24 && minor >= 7));
  });

  it('names the Node version ML-DSA needs and the one running', () => {
    expect(mlDsaUnsupportedMessage()).toBe(`ML-DSA needs Node.js 24.7 or later; this service runs on ${process.version}`);
  });

  it.each(['311', '312', '313'])('finds ML-DSA (OID ending %s) in a PEM without parsing the key', (last) => {
    expect(mentionsMlDsa(spkiPem(last))).toBe(true);
  });

  it('finds no ML-DSA in other PEMs, hex or junk', () => {
    expect(mentionsMlDsa(spkiPem('314'))).toBe(false);
    expect(mentionsMlDsa(generateKeyPairSync('ed25519').publicKey.export({ format: 'pem', type: 'spki' }) as string)).toBe(false);
    expect(mentionsMlDsa('04'.repeat(65))).toBe(false);
    expect(mentionsMlDsa('-----BEGIN PUBLIC KEY-----\n!!\n-----END PUBLIC KEY-----')).toBe(false);
  });
});
