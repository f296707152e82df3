import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { WebhookDeliveryEntity } from './entities/webhook-delivery.entity';
import { WebhookSubscriptionEntity } from './entities/webhook-subscription.entity';
import { changeEvents, type EventKey, type WebhookEventData, type WebhookEventType } from './webhook-events';

/**
 * The transactional outbox: an event becomes one delivery row per enabled subscription of the tenant that listens
 * to it, written with the caller's manager, in the transaction of the change that causes it.
 */
@Injectable()
export class WebhookOutbox {
  /** The events of an audited change, queued in its transaction. */
  async enqueueChange(
    manager: EntityManager,
    tenantId: string | null,
    change: { action: string; keyId: string | null; detail?: Record<string, unknown> },
    key?: EventKey,
  ): Promise<void> {
    if (!tenantId) return;
    for (const [type, data] of changeEvents(tenantId, change.action, change.keyId, change.detail, key)) await this.enqueue(manager, type, data);
  }

  async enqueue(manager: EntityManager, type: WebhookEventType, data: WebhookEventData): Promise<void> {
    const subscriptions = await manager
      .createQueryBuilder(WebhookSubscriptionEntity, 'subscription')
      .select(['subscription.id'])
      .where('subscription.tenant_id = :tenantId AND subscription.enabled', { tenantId: data.tenantId })
      .andWhere("(:type = ANY(subscription.events) OR '*' = ANY(subscription.events))", { type })
      .getMany();
    if (subscriptions.length === 0) return;
    const body = JSON.stringify({ type, timestamp: new Date().toISOString(), data });
    await manager.insert(
      WebhookDeliveryEntity,
      subscriptions.map((subscription) => ({
        id: randomUUID(),
        tenantId: data.tenantId,
        subscriptionId: subscription.id,
        eventType: type,
        keyId: data.keyId ?? null,
        body,
        nextAttemptAt: new Date(),
      })),
    );
  }
}
