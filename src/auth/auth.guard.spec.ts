import type { ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { RuntimeConfig } from '../config/config';
import type { TenantPrincipal } from '../common/request-context';
import { AnyApiKeyScope, API_KEY_SCOPES, ApiKeyScope, TenantApiKeyAuth } from '../common/route-access';
import type { AccessTokenService } from './access-token.service';
import { AuthGuard } from './auth.guard';
import type { HeaderAuthService } from './header-auth.service';

@TenantApiKeyAuth()
@ApiKeyScope('api-keys:manage')
class ScopedRoutes {
  managed(): void {}

  @AnyApiKeyScope()
  anyKey(): void {}
}

@TenantApiKeyAuth()
class UnscopedRoutes {
  unnamed(): void {}
}

/** The guard as the app wires it, but for the API key's check: every call comes from a valid key holding these scopes. */
function guardForKey(scopes: string[]): AuthGuard {
  const principal: TenantPrincipal = { tenantId: 't', apiKeyId: 'k', scopes: new Set(scopes), signKeys: null, expiresAt: null };
  const headerAuth = { authenticate: () => Promise.resolve(principal) } as unknown as HeaderAuthService;
  return new AuthGuard(new Reflector(), headerAuth, {} as AccessTokenService, {} as RuntimeConfig);
}

function contextOf(controller: new () => object, handler: string): ExecutionContext {
  const request = { headers: {} };
  return {
    getClass: () => controller,
    getHandler: () => (controller.prototype as Record<string, unknown>)[handler],
    switchToHttp: () => ({ getRequest: () => request }),
  } as unknown as ExecutionContext;
}

describe('AuthGuard and an API key’s scopes', () => {
  const guard = guardForKey(['keys:read']);

  it('lets any valid key through a route marked AnyApiKeyScope, over its controller’s scope', async () => {
    await expect(guard.canActivate(contextOf(ScopedRoutes, 'anyKey'))).resolves.toBe(true);
  });

  it('keeps the controller’s scope on its other routes', async () => {
    await expect(guard.canActivate(contextOf(ScopedRoutes, 'managed'))).rejects.toMatchObject({
      code: 'SCOPE_REQUIRED',
      message: 'This API key lacks the scope api-keys:manage',
    });
  });

  it('denies by default a route that names neither a scope nor AnyApiKeyScope, even to a key holding every scope', async () => {
    const everything = guardForKey([...API_KEY_SCOPES]);
    await expect(everything.canActivate(contextOf(UnscopedRoutes, 'unnamed'))).rejects.toMatchObject({
      code: 'SCOPE_REQUIRED',
      message: 'This API key lacks the scope for this route',
    });
  });
});
