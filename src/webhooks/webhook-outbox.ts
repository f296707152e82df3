import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import type { WebhookEvent } from '../changes/events';
import type { ChangeOutbox } from '../changes/unit-of-work';
import { WebhooksRepository } from './webhooks.repository';

/**
 * The transactional outbox: an event becomes one delivery row per enabled subscription of the tenant that listens
 * to it, written with the caller's manager, in the transaction of the change that causes it (UnitOfWork).
 */
@Injectable()
export class WebhookOutbox implements ChangeOutbox {
  constructor(private readonly webhooks: WebhooksRepository) {}

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
    const subscriptions = await this.webhooks.enabledSubscriptions(manager, tenantId);
    const deliveries = events.flatMap((event) =>
      subscriptions
        .filter((subscription) => subscription.events.includes(event.type) || subscription.events.includes('*'))
        .map((subscription) => ({ event, subscriptionId: subscription.id })),
    );
    if (deliveries.length === 0) return;
    const bodies = new Map(
      events.map((event) => [event, JSON.stringify({ type: event.type, timestamp: new Date().toISOString(), data: event.data })]),
    );
    await this.webhooks.insertDeliveries(
      manager,
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
