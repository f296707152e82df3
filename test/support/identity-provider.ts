import { createServer, type Server } from 'node:http';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWTPayload } from 'jose';

export interface IdentityProvider {
  issuer: string;
  jwksUrl: string;
  audience: string;
  /** A token signed by the provider's key (ES256 unless `alg` says RS256), expiring in 5 minutes unless `expiresIn` says otherwise. */
  issueToken(
    claims: JWTPayload,
    options?: { alg?: 'ES256' | 'RS256'; expiresIn?: string | number | null; issuer?: string; audience?: string; notBefore?: number },
  ): Promise<string>;
  close(): Promise<void>;
}

/** A stand-in OAuth/QRAuth server: its JWKS on loopback, and tokens signed with its keys. */
export async function startIdentityProvider(): Promise<IdentityProvider> {
  const keys: Record<'ES256' | 'RS256', { privateKey: CryptoKey; kid: string }> = {} as never;
  const jwks: object[] = [];
  for (const alg of ['ES256', 'RS256'] as const) {
    const pair = await generateKeyPair(alg);
    // Thumbprint kids, as many providers use: the same kid a tenant gets when it imports the provider's public key.
    const jwk = await exportJWK(pair.publicKey);
    const kid = await calculateJwkThumbprint(jwk);
    keys[alg] = { privateKey: pair.privateKey, kid };
    jwks.push({ ...jwk, kid, alg, use: 'sig' });
  }
  const server: Server = createServer((_req, res) => {
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ keys: jwks }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  const issuer = `http://127.0.0.1:${port}`;
  const audience = 'key-service';
  return {
    issuer,
    audience,
    jwksUrl: `${issuer}/.well-known/jwks.json`,
    async issueToken(claims, options = {}) {
      const alg = options.alg ?? 'ES256';
      const jwt = new SignJWT(claims)
        .setProtectedHeader({ alg, kid: keys[alg].kid, typ: 'JWT' })
        .setIssuedAt()
        .setIssuer(options.issuer ?? issuer)
        .setAudience(options.audience ?? audience);
      // null: a token without exp, which a provider should never issue.
      if (options.expiresIn !== null) jwt.setExpirationTime(options.expiresIn ?? '5m');
      if (options.notBefore !== undefined) jwt.setNotBefore(options.notBefore);
      return jwt.sign(keys[alg].privateKey);
    },
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
