/** A PEM that holds a private key (PKCS#8, PKCS#1, SEC1, encrypted or not), whatever else it holds. */
const PRIVATE_KEY_PEM = /-----BEGIN [A-Z ]*PRIVATE KEY-----/;

/** Node's createPublicKey takes a private key too, deriving its public half: where only a public key belongs, ask this first. */
export function isPrivateKeyPem(pem: string): boolean {
  return PRIVATE_KEY_PEM.test(pem);
}
