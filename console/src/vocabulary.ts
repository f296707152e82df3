/**
 * The service's names the console offers in its forms and filters. The console imports nothing of the service, so
 * they are written here; test/console-operations.e2e-spec.ts checks each list against the service's own.
 */
export const ALGORITHMS = [
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'ES384',
  'ES512',
  'EdDSA',
  'HS256',
  'HS384',
  'HS512',
  'ML-DSA-44',
  'ML-DSA-65',
  'ML-DSA-87',
];
export const KEY_STATUSES = ['next', 'active', 'retiring', 'retired', 'pending_deletion'];
export const API_KEY_SCOPES = ['keys:read', 'keys:write', 'keys:sign', 'keys:verify', 'audit:read', 'api-keys:manage', 'webhooks:manage'] as const;
export type ApiKeyScope = (typeof API_KEY_SCOPES)[number];
export const AUDIT_ACTIONS = [
  'key.generate',
  'key.import',
  'key.rename',
  'key.update',
  'key.publish_next',
  'key.rotation_postponed',
  'key.activate',
  'key.schedule_deletion',
  'key.cancel_deletion',
  'key.certificate',
  'key.certificate_expiring',
  'key.csr',
  'webhook.create',
  'webhook.update',
  'webhook.delete',
  'webhook.redeliver',
  'webhook.rotate_secret',
  'webhook.disable',
  'key.rotate',
  'key.retire',
  'key.delete',
  'key.sign',
  'user_key.register',
  'user_key.import',
  'user_key.delete',
  'api_key.create',
  'api_key.revoke',
  'audit.prune',
];
export const AUDIT_OUTCOMES = ['success', 'failure'];
/** The event types a webhook subscribes to, and "*" for every one (CreateWebhookDto). */
export const WEBHOOK_EVENTS = [
  'key.created',
  'key.imported',
  'key.renamed',
  'key.rotated',
  'key.next_published',
  'key.activated',
  'key.retiring',
  'key.retired',
  'key.deletion_scheduled',
  'key.deletion_cancelled',
  'key.deleted',
  'key.certificate_expiring',
  'api_key.created',
  'api_key.revoked',
];
