/** Who called a `/key` route: a tenant, through one of its API keys. */
export interface TenantPrincipal {
  tenantId: string;
  apiKeyId: string;
  /** What the API key may do (`API_KEY_SCOPES`). */
  scopes: ReadonlySet<string>;
  /** The keys (ids or aliases) it may sign with; null: any. */
  signKeys: readonly string[] | null;
  /** When the API key expires; null: never. */
  expiresAt: Date | null;
}

/** Who called a `/keys` route: a user, as vouched for by an access token's issuer. */
export interface UserPrincipal {
  issuer: string;
  userId: string;
  /** The tenant whose key vouched for the user; undefined for a user of the OAuth provider. */
  tenantId?: string;
  scopes: ReadonlySet<string>;
}

/** The issuer of the users a tenant's own keys vouch for: `tenant:<tenant id>`. */
export const TENANT_USER_ISSUER = 'tenant:';

/** A request once the AuthGuard has let it in: who it is from. */
export interface AuthenticatedRequest {
  tenant?: TenantPrincipal;
  user?: UserPrincipal;
}
