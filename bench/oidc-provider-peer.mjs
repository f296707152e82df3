// A peer for the JWKS scenario: panva's oidc-provider serving the same public keys at its /jwks, as an
// identity server of that kind would. node bench/oidc-provider-peer.mjs <port> <file of private JWKs>
import { readFileSync } from 'node:fs';
import Provider from 'oidc-provider';

const [port, jwksFile] = process.argv.slice(2);
const provider = new Provider(`http://127.0.0.1:${port}`, {
  jwks: JSON.parse(readFileSync(jwksFile, 'utf8')),
  // Its defaults log a warning per development-only default; the JWKS route is all the bench uses.
  clients: [],
});
provider.listen(Number(port), () => process.stdout.write('ready\n'));
