/** What a subscription may listen to; `*` is every one. */
export const WEBHOOK_EVENT_TYPES = [
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
] as const;
export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];

/** What an event says: never key material. */
export interface WebhookEventData {
  tenantId: string;
  keyId?: string | null;
  kid?: string;
  alias?: string | null;
  status?: string;
  successorId?: string;
  [detail: string]: string | number | boolean | null | undefined;
}

/** The key a change left, as an event shows it. */
export interface EventKey {
  id: string;
  kid: string;
  alias: string | null;
  status: string;
}

/**
 * The events an audited change causes (a change that rolls back causes none: they share its transaction). `key` is
 * the key the change left, when it left one.
 */
export function changeEvents(
  tenantId: string,
  action: string,
  keyId: string | null,
  detail: Record<string, unknown> | undefined,
  key?: EventKey,
): [WebhookEventType, WebhookEventData][] {
  const about = (id: string | null, shown?: EventKey): WebhookEventData =>
    shown && shown.id === id ? { tenantId, keyId: id, kid: shown.kid, alias: shown.alias, status: shown.status } : { tenantId, keyId: id };
  const successorId = typeof detail?.successorId === 'string' ? detail.successorId : undefined;
  const previousId = typeof detail?.previousId === 'string' ? detail.previousId : undefined;
  switch (action) {
    case 'key.generate':
      return [['key.created', about(keyId, key)]];
    case 'key.import':
      return [['key.imported', about(keyId, key)]];
    case 'key.rename':
    case 'key.update':
      return detail && 'name' in detail ? [['key.renamed', about(keyId, key)]] : [];
    case 'key.rotate':
      // The old key retires; its successor (or the published one, now active) takes over.
      return [
        ['key.rotated', { ...about(keyId), successorId }],
        ['key.retiring', { tenantId, keyId, status: 'retiring' }],
      ];
    case 'key.publish_next':
      return [['key.next_published', { tenantId, keyId, successorId }]];
    case 'key.activate':
      return [
        ['key.activated', about(keyId, key)],
        ...(previousId ? [['key.retiring', { tenantId, keyId: previousId, status: 'retiring' }] as [WebhookEventType, WebhookEventData]] : []),
      ];
    case 'key.retire':
      return [['key.retired', { tenantId, keyId, status: 'retired' }]];
    case 'key.schedule_deletion':
      return [['key.deletion_scheduled', about(keyId, key)]];
    case 'key.cancel_deletion':
      return [['key.deletion_cancelled', about(keyId, key)]];
    case 'key.delete':
      return [['key.deleted', { ...about(keyId, key), status: 'deleted' }]];
    case 'key.certificate_expiring':
      return [
        ['key.certificate_expiring', { ...about(keyId, key), daysBefore: detail?.daysBefore as number, expiresAt: detail?.expiresAt as string }],
      ];
    case 'api_key.create':
      return [['api_key.created', { tenantId, apiKeyId: keyId }]];
    case 'api_key.revoke':
      return [['api_key.revoked', { tenantId, apiKeyId: keyId }]];
    default:
      return [];
  }
}
