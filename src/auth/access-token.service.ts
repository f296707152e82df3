import { Inject, Injectable } from '@nestjs/common';
import { createRemoteJWKSet, jwtVerify, type JWTPayload } from 'jose';
import { UnauthorizedError } from '../common/domain-error';
import { APP_CONFIG, type AppConfig } from '../config/config';
import type { UserPrincipal } from './principals';

/** Asymmetric algorithms only: `none` and HMAC tokens are refused whatever their header says. */
const ACCEPTED_ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA', 'Ed25519'];
const CLOCK_TOLERANCE_SECONDS = 60;
const BEARER = /^Bearer\s+(\S+)$/i;

/** Verifies OAuth/QRAuth access tokens against the identity provider's JWKS (fetched once, cached by jose). */
@Injectable()
export class AccessTokenService {
  private readonly jwks?: ReturnType<typeof createRemoteJWKSet>;

  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {
    if (config.oauth) this.jwks = createRemoteJWKSet(new URL(config.oauth.jwksUrl));
  }

  async authenticate(authorization: string | string[] | undefined): Promise<UserPrincipal> {
    const token = typeof authorization === 'string' ? BEARER.exec(authorization.trim())?.[1] : undefined;
    if (!token || !this.jwks || !this.config.oauth) throw new UnauthorizedError('Invalid or missing access token');
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, this.jwks, {
        issuer: this.config.oauth.issuer,
        audience: this.config.oauth.audience,
        algorithms: ACCEPTED_ALGORITHMS,
        clockTolerance: CLOCK_TOLERANCE_SECONDS,
        requiredClaims: ['sub'],
      }));
    } catch {
      throw new UnauthorizedError('Invalid or missing access token');
    }
    if (typeof payload.sub !== 'string' || payload.sub.length === 0 || payload.sub.length > 255) {
      throw new UnauthorizedError('Invalid or missing access token');
    }
    return { issuer: payload.iss!, userId: payload.sub, scopes: scopesOf(payload) };
  }
}

/** Scopes from `scope` (space-separated, OAuth 2) or `scp` (array, as some providers send). */
function scopesOf(payload: JWTPayload): Set<string> {
  const scopes = new Set<string>();
  if (typeof payload.scope === 'string') payload.scope.split(' ').filter(Boolean).forEach((s) => scopes.add(s));
  if (Array.isArray(payload.scp)) payload.scp.filter((s) => typeof s === 'string').forEach((s) => scopes.add(s));
  return scopes;
}
