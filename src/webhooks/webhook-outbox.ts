import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { WebhookDeliveryEntity } from './entities/webhook-delivery.entity';
import { WebhookSubscriptionEntity } from './entities/webhook-subscription.entity';
import { changeEvents, type EventKey, type WebhookEventData } from './webhook-events';

/**
 * The transactional outbox: an event becomes one delivery row per enabled subscription of the tenant that listens
 * to it, written with the caller's manager, in the transaction of the change that causes it.
 */
@Injectable()
export class WebhookOutbox {
  /**
   * The events of an audited change, queued in its transaction. `key` is the key row the change left, if any; the
   * other keys an event names (a rotated or retiring predecessor) are read here for their kid and alias.
   */
  async enqueueChange(
    manager: EntityManager,
    tenantId: string | null,
    change: { action: string; keyId: string | null; detail?: Record<string, unknown> },
    key?: EventKey,
  ): Promise<void> {
    if (!tenantId) return;
    const events = changeEvents(tenantId, change.action, change.keyId, change.detail, key);
    if (events.length === 0) return;
    // FOR KEY SHARE: a subscription deleted meanwhile waits for this transaction, instead of failing its inserts.
    const subscriptions = await manager
      .createQueryBuilder(WebhookSubscriptionEntity, 'subscription')
      .select(['subscription.id', 'subscription.events'])
      .where('subscription.tenant_id = :tenantId AND subscription.enabled', { tenantId })
      .setLock('for_key_share')
      .getMany();
    const deliveries = events.flatMap(([type, data]) =>
      subscriptions
        .filter((subscription) => subscription.events.includes(type) || subscription.events.includes('*'))
        .map((subscription) => ({ type, data, subscriptionId: subscription.id })),
    );
    if (deliveries.length === 0) return;
    await describeKeys(manager, tenantId, [...new Set(deliveries.map(({ data }) => data))]);
    const bodies = new Map(events.map(([type, data]) => [data, JSON.stringify({ type, timestamp: new Date().toISOString(), data })]));
    await manager.insert(
      WebhookDeliveryEntity,
      deliveries.map(({ type, data, subscriptionId }) => ({
        id: randomUUID(),
        tenantId,
        subscriptionId,
        eventType: type,
        keyId: data.keyId ?? null,
        body: bodies.get(data)!,
      })),
    );
  }
}

/** Fills in kid and alias (and status, unless the event sets one) of the keys events name without them. */
async function describeKeys(manager: EntityManager, tenantId: string, events: WebhookEventData[]): Promise<void> {
  const bare = events.filter((data) => data.keyId && data.kid === undefined && data.apiKeyId === undefined);
  if (bare.length === 0) return;
  const rows = await manager.query<{ id: string; kid: string; alias: string | null; status: string }[]>(
    'SELECT id, kid, alias, status FROM tenant_keys WHERE tenant_id = $1 AND id = ANY($2::uuid[])',
    [tenantId, bare.map((data) => data.keyId)],
  );
  for (const data of bare) {
    const row = rows.find((candidate) => candidate.id === data.keyId);
    if (row) Object.assign(data, { kid: row.kid, alias: row.alias, status: data.status ?? row.status });
  }
}
