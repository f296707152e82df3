import { CanActivate, ExecutionContext, Inject, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyRequest } from 'fastify';
import { ScopeRequiredError, UnauthorizedError } from '../common/domain-error';
import { APP_CONFIG, type RuntimeConfig } from '../config/config';
import { secretMatches, hashSecret } from '../tenants/api-key-secret';
import { AccessTokenService, BEARER } from './access-token.service';
import type { AuthenticatedRequest } from '../common/request-context';
import { API_KEY_SCOPE, AUTH_KIND, NO_SCOPE, REQUIRED_SCOPES, type AuthKind, type RequiredApiKeyScope } from '../common/route-access';
import { HeaderAuthService } from './header-auth.service';

/** The one global guard: a route with no declared way in is closed. */
@Injectable()
export class AuthGuard implements CanActivate {
  /** The hash of METRICS_TOKEN, compared in constant time like API keys. */
  private readonly metricsTokenHash?: Buffer;

  constructor(
    private readonly reflector: Reflector,
    private readonly headerAuth: HeaderAuthService,
    private readonly accessTokens: AccessTokenService,
    @Inject(APP_CONFIG) config: RuntimeConfig,
  ) {
    this.metricsTokenHash = config.metricsToken === undefined ? undefined : hashSecret(config.metricsToken);
  }

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const targets = [context.getHandler(), context.getClass()];
    const kind = this.reflector.getAllAndOverride<AuthKind | undefined>(AUTH_KIND, targets);
    const req = context.switchToHttp().getRequest<FastifyRequest & AuthenticatedRequest>();
    switch (kind) {
      case 'public':
        return true;
      case 'tenant-api-key':
      case 'fusionauth-api-key': {
        req.tenant = await (kind === 'tenant-api-key' ? this.headerAuth.authenticate(req.headers) : this.headerAuth.authenticateByKey(req.headers));
        // Deny by default: a route that names no scope is open to no API key; one that says so is open to all.
        const scope = this.reflector.getAllAndOverride<RequiredApiKeyScope | undefined>(API_KEY_SCOPE, targets);
        if (scope === NO_SCOPE) return true;
        if (!scope || !req.tenant.scopes.has(scope)) throw new ScopeRequiredError(`This API key lacks the scope ${scope ?? 'for this route'}`);
        return true;
      }
      case 'access-token': {
        req.user = await this.accessTokens.authenticate(req.headers.authorization);
        const required = this.reflector.getAllAndOverride<string[] | undefined>(REQUIRED_SCOPES, targets) ?? [];
        const missing = required.filter((scope) => !req.user!.scopes.has(scope));
        if (missing.length > 0) throw new ScopeRequiredError(`Access token lacks the scope ${missing.join(', ')}`);
        return true;
      }
      case 'metrics-token': {
        if (!this.metricsTokenHash) return true;
        const token = BEARER.exec(req.headers.authorization ?? '')?.[1];
        if (!token || !secretMatches(token, this.metricsTokenHash)) throw new UnauthorizedError();
        return true;
      }
      default:
        throw new UnauthorizedError();
    }
  }
}
