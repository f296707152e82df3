import { createParamDecorator, type ExecutionContext, SetMetadata } from '@nestjs/common';
import type { TenantPrincipal, UserPrincipal } from './principals';

export const AUTH_KIND = 'auth-kind';
export const REQUIRED_SCOPES = 'required-scopes';
export type AuthKind = 'public' | 'tenant-api-key' | 'access-token';

/** Routes are closed by default: each controller or route says how it is reached. */
export const Public = () => SetMetadata(AUTH_KIND, 'public' satisfies AuthKind);
export const TenantApiKeyAuth = () => SetMetadata(AUTH_KIND, 'tenant-api-key' satisfies AuthKind);
export const AccessTokenAuth = () => SetMetadata(AUTH_KIND, 'access-token' satisfies AuthKind);
export const RequireScopes = (...scopes: string[]) => SetMetadata(REQUIRED_SCOPES, scopes);

export interface AuthenticatedRequest {
  tenant?: TenantPrincipal;
  user?: UserPrincipal;
}

export const CurrentTenant = createParamDecorator(
  (_: unknown, context: ExecutionContext) => context.switchToHttp().getRequest<AuthenticatedRequest>().tenant!,
);

export const CurrentUser = createParamDecorator(
  (_: unknown, context: ExecutionContext) => context.switchToHttp().getRequest<AuthenticatedRequest>().user!,
);
