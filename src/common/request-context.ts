/** Who called a `/key` route: a tenant, through one of its API keys. */
export interface TenantPrincipal {
  tenantId: string;
  apiKeyId: string;
}

/** Who called a `/keys` route: a user, as vouched for by an access token's issuer. */
export interface UserPrincipal {
  issuer: string;
  userId: string;
  scopes: ReadonlySet<string>;
}

/** A request once the AuthGuard has let it in: who it is from. */
export interface AuthenticatedRequest {
  tenant?: TenantPrincipal;
  user?: UserPrincipal;
}
