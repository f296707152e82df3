import { Inject, Injectable } from '@nestjs/common';
import { createRemoteJWKSet, decodeJwt, decodeProtectedHeader, jwtVerify, type JWTPayload } from 'jose';
import { UnauthorizedError } from '../common/domain-error';
import { APP_CONFIG, type AppConfig } from '../config/config';
import { ACCESS_TOKEN_ALGORITHMS } from '../crypto/algorithms';
import { CLOCK_TOLERANCE_SECONDS } from '../crypto/jwt-checks';
import { storedPublicKey } from '../crypto/stored-public-keys';
import { TrustedKeys } from '../tenant-keys/trusted-keys';
import type { UserPrincipal } from '../common/request-context';

export const BEARER = /^Bearer\s+(\S+)$/i;

/**
 * Verifies access tokens: signed by a key of one of this service's tenants that still verifies (found by kid, with
 * `iss` equal to the key's issuer), or by the OAuth/QRAuth provider's JWKS (fetched once, cached by jose).
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
    if (!token) throw new UnauthorizedError('Invalid or missing access token');
    const own = await this.verifyWithTenantKey(token);
    if (own) return own;
    if (!this.jwks || !this.config.oauth) throw new UnauthorizedError('Invalid or missing access token');
    const payload = await this.verify(() =>
      jwtVerify(token, this.jwks!, {
        issuer: this.config.oauth!.issuer,
        audience: this.config.oauth!.audience,
        algorithms: ACCESS_TOKEN_ALGORITHMS,
        clockTolerance: CLOCK_TOLERANCE_SECONDS,
        requiredClaims: ['sub'],
      }),
    );
    return principal(payload.iss!, payload);
  }

  /** Undefined when no tenant key claims the token; a 401 when one does and the token fails it. */
  private async verifyWithTenantKey(token: string): Promise<UserPrincipal | undefined> {
    let kid: string | undefined;
    let alg: string | undefined;
    let issuer: unknown;
    try {
      ({ kid, alg } = decodeProtectedHeader(token));
      issuer = decodeJwt(token).iss;
    } catch {
      throw new UnauthorizedError('Invalid or missing access token');
    }
    if (!kid || !alg || !ACCESS_TOKEN_ALGORITHMS.includes(alg) || typeof issuer !== 'string') return undefined;
    const key = await this.trustedKeys.verifyingKey(kid, issuer);
    if (!key) return undefined;
    const payload = await this.verify(() =>
      jwtVerify(token, storedPublicKey(key.publicKeyPem), {
        issuer,
        audience: this.config.oauth?.audience,
        algorithms: [key.algorithm],
        clockTolerance: CLOCK_TOLERANCE_SECONDS,
        requiredClaims: ['sub'],
      }),
    );
    // Users vouched for by a tenant's key belong to that tenant.
    return principal(`tenant:${key.tenantId}`, payload);
  }

  private async verify(attempt: () => Promise<{ payload: JWTPayload }>): Promise<JWTPayload> {
    try {
      return (await attempt()).payload;
    } catch {
      throw new UnauthorizedError('Invalid or missing access token');
    }
  }
}

function principal(issuer: string, payload: JWTPayload): UserPrincipal {
  if (typeof payload.sub !== 'string' || payload.sub.length === 0 || payload.sub.length > 255) {
    throw new UnauthorizedError('Invalid or missing access token');
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
