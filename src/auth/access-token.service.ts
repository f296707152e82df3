import { Inject, Injectable } from '@nestjs/common';
import { createRemoteJWKSet, decodeJwt, decodeProtectedHeader, jwtVerify, type JWTPayload, type JWTVerifyOptions } from 'jose';
import { UnauthorizedError } from '../common/domain-error';
import { APP_CONFIG, type AppConfig } from '../config/config';
import { ACCESS_TOKEN_ALGORITHMS } from '../crypto/algorithms';
import { CLOCK_TOLERANCE_SECONDS } from '../crypto/jwt-checks';
import { onThisRuntime } from '../crypto/ml-dsa-runtime';
import { storedPublicKey } from '../crypto/stored-public-keys';
import { TrustedKeys, type VerifyingKey } from '../tenant-keys/trusted-keys';
import { TENANT_USER_ISSUER, type UserPrincipal } from '../common/request-context';

export const BEARER = /^Bearer\s+(\S+)$/i;

/** Claims every `/keys` token must carry: a user, and an end (a token without `exp` would be a credential for ever). */
const REQUIRED_CLAIMS = ['sub', 'exp'];

/**
 * Verifies access tokens. A token whose `iss` is the OAuth/QRAuth provider's is checked against the provider's JWKS
 * alone (fetched once, cached by jose), so no tenant's key can stand in for it. Any other token is a tenant's: it
 * makes a user of tenant T only when exactly one tenant holds the private part of a key with the token's kid and
 * `iss` (a public key imported from someone's JWKS proves nothing); when several could have signed, it is refused.
 */
@Injectable()
export class AccessTokenService {
  private readonly jwks?: ReturnType<typeof createRemoteJWKSet>;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly trustedKeys: TrustedKeys,
  ) {
    if (config.oauth) this.jwks = createRemoteJWKSet(new URL(config.oauth.jwksUrl));
  }

  async authenticate(authorization: string | string[] | undefined): Promise<UserPrincipal> {
    const token = typeof authorization === 'string' ? BEARER.exec(authorization.trim())?.[1] : undefined;
    if (!token) throw invalidToken();
    let kid: string | undefined;
    let alg: string | undefined;
    let issuer: unknown;
    try {
      ({ kid, alg } = decodeProtectedHeader(token));
      issuer = decodeJwt(token).iss;
    } catch {
      throw invalidToken();
    }
    if (typeof issuer !== 'string') throw invalidToken();
    const oauth = this.config.oauth;
    if (oauth && this.jwks && issuer === oauth.issuer) {
      const payload = await verified(() => jwtVerify(token, this.jwks!, this.options(oauth.issuer, ACCESS_TOKEN_ALGORITHMS)));
      return principal(issuer, payload);
    }
    if (!kid || !alg || !ACCESS_TOKEN_ALGORITHMS.includes(alg)) throw invalidToken();
    // An imported key may carry any kid, another tenant's too: only the keys whose signature holds could have minted it.
    const minters = await this.minters(token, issuer, await this.trustedKeys.mintingKeys(kid, issuer));
    // None: no tenant minted it. Several tenants (the same key material): which one's user it is cannot be known, and is never guessed.
    if (new Set(minters.map(({ key }) => key.tenantId)).size !== 1) throw invalidToken();
    const [{ key, payload }] = minters;
    // Users vouched for by a tenant's key belong to that tenant.
    return { ...principal(`${TENANT_USER_ISSUER}${key.tenantId}`, payload), tenantId: key.tenantId };
  }

  /** The keys the token verifies with, each with the payload it vouches for. */
  private async minters(token: string, issuer: string, keys: VerifyingKey[]): Promise<{ key: VerifyingKey; payload: JWTPayload }[]> {
    // An ML-DSA key stored by a newer Node cannot be read on one without ML-DSA: it vouches for nothing here.
    const usable = keys.filter((key) => onThisRuntime([key.algorithm]).length > 0);
    const checked = await Promise.all(
      usable.map(async (key) => {
        const payload = await jwtVerify(token, storedPublicKey(key.publicKeyPem), this.options(issuer, [key.algorithm])).then(
          (result) => result.payload,
          () => undefined,
        );
        return { key, payload };
      }),
    );
    return checked.filter((minter): minter is { key: VerifyingKey; payload: JWTPayload } => minter.payload !== undefined);
  }

  private options(issuer: string, algorithms: string[]): JWTVerifyOptions {
    return {
      issuer,
      audience: this.config.oauth?.audience,
      algorithms,
      clockTolerance: CLOCK_TOLERANCE_SECONDS,
      requiredClaims: REQUIRED_CLAIMS,
    };
  }
}

function invalidToken(): UnauthorizedError {
  return new UnauthorizedError('Invalid or missing access token');
}

async function verified(attempt: () => Promise<{ payload: JWTPayload }>): Promise<JWTPayload> {
  try {
    return (await attempt()).payload;
  } catch {
    throw invalidToken();
  }
}

function principal(issuer: string, payload: JWTPayload): UserPrincipal {
  if (typeof payload.sub !== 'string' || payload.sub.length === 0 || payload.sub.length > 255) {
    throw invalidToken();
  }
  return { issuer, userId: payload.sub, scopes: scopesOf(payload) };
}

/** Scopes from `scope` (space-separated, OAuth 2) or `scp` (array, as some providers send). */
function scopesOf(payload: JWTPayload): Set<string> {
  const scopes = new Set<string>();
  if (typeof payload.scope === 'string')
    payload.scope
      .split(' ')
      .filter(Boolean)
      .forEach((s) => scopes.add(s));
  if (Array.isArray(payload.scp)) payload.scp.filter((s) => typeof s === 'string').forEach((s) => scopes.add(s));
  return scopes;
}
