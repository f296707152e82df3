/** A key as an event shows it: never its material. */
export interface KeyEventData {
  tenantId: string;
  keyId: string;
  kid: string;
  alias: string | null;
  status: string;
}

/** An API key as an event shows it: never its secret. */
export interface ApiKeyEventData {
  tenantId: string;
  apiKeyId: string;
}

/** What each event says: the producer of a change emits the events it decided, with what it knows (UnitOfWork). */
export interface WebhookEvents {
  'key.created': KeyEventData;
  'key.imported': KeyEventData;
  'key.renamed': KeyEventData;
  /** The old key, which retires; `successorId` signs from now on. */
  'key.rotated': KeyEventData & { successorId: string };
  /** The key whose successor `successorId` is published, to sign at its rotation. */
  'key.next_published': KeyEventData & { successorId: string };
  'key.activated': KeyEventData;
  'key.retiring': KeyEventData & { status: 'retiring' };
  'key.retired': KeyEventData & { status: 'retired' };
  'key.deletion_scheduled': KeyEventData;
  'key.deletion_cancelled': KeyEventData;
  'key.deleted': KeyEventData & { status: 'deleted' };
  'key.certificate_expiring': KeyEventData & { daysBefore: number; expiresAt: string };
  'api_key.created': ApiKeyEventData;
  'api_key.revoked': ApiKeyEventData;
}
export type WebhookEventType = keyof WebhookEvents;

/** An event with its data, as the outbox stores it. */
export type WebhookEvent = { [T in WebhookEventType]: { type: T; data: WebhookEvents[T] } }[WebhookEventType];

/** What a subscription may listen to (`*` is every one): every event of WebhookEvents, in this order. */
export const WEBHOOK_EVENT_TYPES = Object.keys({
  'key.created': true,
  'key.imported': true,
  'key.renamed': true,
  'key.rotated': true,
  'key.next_published': true,
  'key.activated': true,
  'key.retiring': true,
  'key.retired': true,
  'key.deletion_scheduled': true,
  'key.deletion_cancelled': true,
  'key.deleted': true,
  'key.certificate_expiring': true,
  'api_key.created': true,
  'api_key.revoked': true,
} satisfies Record<WebhookEventType, true>) as readonly WebhookEventType[];

/** The columns of a key row an event shows. */
export interface EventKey {
  tenantId: string;
  id: string;
  kid: string;
  alias: string | null;
  status: string;
}

/** The key as the change left it. */
export function keyEvent(key: EventKey): KeyEventData {
  return { tenantId: key.tenantId, keyId: key.id, kid: key.kid, alias: key.alias, status: key.status };
}

/** The key as the change left it, and the successor that takes over from it. */
export function successionEvent(key: EventKey, successorId: string): KeyEventData & { successorId: string } {
  return { tenantId: key.tenantId, keyId: key.id, successorId, kid: key.kid, alias: key.alias, status: key.status };
}

/** The key, in the status the event announces. */
export function statusEvent<S extends string>(key: EventKey, status: S): KeyEventData & { status: S } {
  return { tenantId: key.tenantId, keyId: key.id, status, kid: key.kid, alias: key.alias };
}

/** The key as it was when deleted. */
export function deletedEvent(key: EventKey): KeyEventData & { status: 'deleted' } {
  return { ...keyEvent(key), status: 'deleted' };
}
