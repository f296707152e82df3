/**
 * How each route is reached (public, a tenant's API key, a user's access token, the metrics token), the scopes
 * it needs and how it counts against the rate limits: metadata the controllers declare and auth/ enforces.
 */
import { applyDecorators, createParamDecorator, type ExecutionContext, SetMetadata } from '@nestjs/common';
import { ApiBearerAuth, ApiExtension, ApiSecurity } from '@nestjs/swagger';
import { ApiErrors } from './api-docs';
import type { AuthenticatedRequest } from './request-context';

export const AUTH_KIND = 'auth-kind';
export const REQUIRED_SCOPES = 'required-scopes';
export type AuthKind = 'public' | 'tenant-api-key' | 'fusionauth-api-key' | 'access-token' | 'metrics-token';

/** The OpenAPI security schemes' names. */
export const API_KEY_SCHEME = 'apiKey';
export const TENANT_ID_SCHEME = 'tenantId';
export const BEARER_SCHEME = 'accessToken';
export const METRICS_SCHEME = 'metricsToken';
export const FUSIONAUTH_API_KEY_SCHEME = 'fusionAuthApiKey';

/** Routes are closed by default: each controller or route says how it is reached. */
export const Public = () => applyDecorators(SetMetadata(AUTH_KIND, 'public' satisfies AuthKind), ApiErrors(500, 503));
/** Public on the FusionAuth mount: the route documents its own 500 and 503, in FusionAuth's shape. */
export const FusionAuthPublic = () => SetMetadata(AUTH_KIND, 'public' satisfies AuthKind);
export const TenantApiKeyAuth = () =>
  applyDecorators(
    SetMetadata(AUTH_KIND, 'tenant-api-key' satisfies AuthKind),
    // Both headers together: one security requirement with two schemes (see openapi.ts).
    ApiSecurity({ [API_KEY_SCHEME]: [], [TENANT_ID_SCHEME]: [] }),
    ApiErrors(401, 429, 500, 503),
  );
/**
 * FusionAuth's way in (the `/api` mount): the API key alone in `Authorization`, its tenant found from the key. Scopes
 * apply as under TenantApiKeyAuth (`ApiKeyScope`, deny by default).
 */
export const FusionAuthApiKeyAuth = () =>
  applyDecorators(SetMetadata(AUTH_KIND, 'fusionauth-api-key' satisfies AuthKind), ApiSecurity(FUSIONAUTH_API_KEY_SCHEME));
export const AccessTokenAuth = () =>
  applyDecorators(SetMetadata(AUTH_KIND, 'access-token' satisfies AuthKind), ApiBearerAuth(BEARER_SCHEME), ApiErrors(401, 429, 500, 503));
/** Public unless `METRICS_TOKEN` is set; then that token as a bearer token. */
export const MetricsTokenAuth = () =>
  applyDecorators(SetMetadata(AUTH_KIND, 'metrics-token' satisfies AuthKind), ApiBearerAuth(METRICS_SCHEME), ApiErrors(401, 500, 503));
export const RequireScopes = (...scopes: string[]) => applyDecorators(SetMetadata(REQUIRED_SCOPES, scopes), ApiErrors(403));

/** What an API key may do; a route under `TenantApiKeyAuth` names the one it needs (`ApiKeyScope`). */
export const API_KEY_SCOPES = ['keys:read', 'keys:write', 'keys:sign', 'keys:verify', 'audit:read', 'api-keys:manage', 'webhooks:manage'] as const;
export type ApiKeyScope = (typeof API_KEY_SCOPES)[number];
export const API_KEY_SCOPE = 'api-key-scope';

/** What a route under `TenantApiKeyAuth` requires of an API key: a scope, or none at all (`AnyApiKeyScope`). */
export const NO_SCOPE = 'none';
export type RequiredApiKeyScope = ApiKeyScope | typeof NO_SCOPE;

/** The scope an API key needs for this route; the OpenAPI document shows it as `x-required-scope`. */
export const ApiKeyScope = (scope: ApiKeyScope) => applyDecorators(FusionAuthApiKeyScope(scope), ApiErrors(403));

/** The same on the FusionAuth mount, where a key without the scope is answered 401 (as FusionAuth does), not 403. */
export const FusionAuthApiKeyScope = (scope: ApiKeyScope) =>
  applyDecorators(SetMetadata(API_KEY_SCOPE, scope), ApiExtension('x-required-scope', scope));

/**
 * Any valid API key of the tenant may call this route, whatever its scopes (`x-required-scope: none`). Said on the
 * route, it overrides the controller's scope; a route that says neither stays closed to every key.
 */
export const AnyApiKeyScope = () => applyDecorators(SetMetadata(API_KEY_SCOPE, NO_SCOPE), ApiExtension('x-required-scope', NO_SCOPE));

export const COUNTS_AS_READ = 'rate-limit:counts-as-read';

/** A POST that changes nothing (sign, verify): it counts against the reads limit, not the writes limit. */
export const CountsAsRead = () => SetMetadata(COUNTS_AS_READ, true);

export const CurrentTenant = createParamDecorator(
  (_: unknown, context: ExecutionContext) => context.switchToHttp().getRequest<AuthenticatedRequest>().tenant!,
);

export const CurrentUser = createParamDecorator(
  (_: unknown, context: ExecutionContext) => context.switchToHttp().getRequest<AuthenticatedRequest>().user!,
);
