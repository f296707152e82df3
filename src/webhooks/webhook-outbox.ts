import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { WebhookDeliveryEntity } from './entities/webhook-delivery.entity';
import { WebhookSubscriptionEntity } from './entities/webhook-subscription.entity';
import type { WebhookEvent } from '../changes/events';
import type { ChangeOutbox } from '../changes/unit-of-work';

/**
 * The transactional outbox: an event becomes one delivery row per enabled subscription of the tenant that listens
 * to it, written with the caller's manager, in the transaction of the change that causes it (UnitOfWork).
 */
@Injectable()
export class WebhookOutbox implements ChangeOutbox {
  /** A change's events, queued in its transaction, as the change's producer emitted them. */
  async enqueue(manager: EntityManager, events: readonly WebhookEvent[]): Promise<void> {
    for (const tenantId of new Set(events.map(({ data }) => data.tenantId))) {
      await this.enqueueForTenant(
        manager,
        tenantId,
        events.filter(({ data }) => data.tenantId === tenantId),
      );
    }
  }

  private async enqueueForTenant(manager: EntityManager, tenantId: string, events: readonly WebhookEvent[]): Promise<void> {
    // FOR KEY SHARE: a subscription deleted meanwhile waits for this transaction, instead of failing its inserts.
    const subscriptions = await manager
      .createQueryBuilder(WebhookSubscriptionEntity, 'subscription')
      .select(['subscription.id', 'subscription.events'])
      .where('subscription.tenant_id = :tenantId AND subscription.enabled', { tenantId })
      .setLock('for_key_share')
      .getMany();
    const deliveries = events.flatMap((event) =>
      subscriptions
        .filter((subscription) => subscription.events.includes(event.type) || subscription.events.includes('*'))
        .map((subscription) => ({ event, subscriptionId: subscription.id })),
    );
    if (deliveries.length === 0) return;
    const bodies = new Map(
      events.map((event) => [event, JSON.stringify({ type: event.type, timestamp: new Date().toISOString(), data: event.data })]),
    );
    await manager.insert(
      WebhookDeliveryEntity,
      deliveries.map(({ event, subscriptionId }) => ({
        id: randomUUID(),
        tenantId,
        subscriptionId,
        eventType: event.type,
        keyId: 'keyId' in event.data ? event.data.keyId : null,
        body: bodies.get(event)!,
      })),
    );
  }
}
