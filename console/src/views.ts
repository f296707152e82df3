/** What the API answers, as the console reads it (the OpenAPI document at /docs-json is the authority). */
export interface RotationPolicy {
  rotateEverySeconds: number;
  prePublishSeconds: number;
  retireAfterSeconds: number;
}

export interface SigningPolicy {
  allowedAudiences?: string[];
  requiredClaims?: string[];
  forbiddenClaims?: string[];
  maxExpiresInSeconds?: number;
  fixedIssuer?: string;
}

export interface TenantKey {
  id: string;
  name: string;
  algorithm: string;
  type: 'RSA' | 'EC' | 'OKP' | 'HMAC' | 'AKP';
  curve: string | null;
  length: number;
  hasPrivateKey: boolean;
  custody: 'software' | 'hsm';
  issuer: string | null;
  kid: string;
  publicKey: string | null;
  jwk: Record<string, unknown> | null;
  certificate: string | null;
  certificateExpiresAt: string | null;
  status: 'next' | 'active' | 'retiring' | 'retired' | 'pending_deletion';
  alias: string | null;
  rotationPolicy: RotationPolicy | null;
  signingPolicy: SigningPolicy | null;
  nextRotationAt: string | null;
  activatesAt: string | null;
  deleteAt: string | null;
  retireAt: string | null;
  rotatedFrom: string | null;
  rotatedTo: string | null;
  createdAt: string;
  updatedAt: string;
}

export interface AuditEvent {
  id: string;
  at: string;
  action: string;
  keyId: string | null;
  actor: { type: string; id: string | null };
  requestId: string | null;
  outcome: 'success' | 'failure';
  detail: Record<string, string | number | boolean> | null;
}

export interface ApiKey {
  id: string;
  name: string | null;
  prefix: string;
  scopes: string[];
  signKeys: string[] | null;
  expiresAt: string | null;
  createdAt: string;
  lastUsedAt: string | null;
  revokedAt: string | null;
}

export interface IssuedApiKey extends ApiKey {
  apiKey: string;
}

export interface Webhook {
  id: string;
  url: string;
  events: string[];
  description: string | null;
  enabled: boolean;
  disabledAt: string | null;
  disabledReason: string | null;
  failingSince: string | null;
  previousSecretExpiresAt: string | null;
  createdAt: string;
  updatedAt: string;
}

export interface WebhookDelivery {
  id: string;
  eventType: string;
  status: string;
  attempts: number;
  lastStatusCode: number | null;
  lastError: string | null;
  lastDurationMs: number | null;
  nextAttemptAt: string | null;
  deliveredAt: string | null;
  createdAt: string;
}
