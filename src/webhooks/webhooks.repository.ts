import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { EntityManager, Repository } from 'typeorm';
import { lockCount } from '../database/count-lock';
import { WebhookDeliveryEntity } from './entities/webhook-delivery.entity';
import { WebhookSubscriptionEntity } from './entities/webhook-subscription.entity';

/** How long a claimed delivery is another instance's to leave alone: past it (its instance died mid-send), it is due again. */
const LEASE_SECONDS = 30;

/**
 * The statement that leases a due delivery ($1 the lease, $2 the tenants this instance's loops hold their share of):
 * see WebhooksRepository.leaseDueDelivery. Exported for its plan's test.
 */
export const LEASE_DUE_DELIVERY = `UPDATE webhook_deliveries SET lease_id = $1, leased_until = now() + make_interval(secs => ${LEASE_SECONDS})
  WHERE id = (
    WITH RECURSIVE waiting(tenant_id) AS (
      (SELECT tenant_id FROM webhook_deliveries WHERE status = 'pending' ORDER BY tenant_id LIMIT 1)
      UNION ALL
      SELECT (SELECT later.tenant_id FROM webhook_deliveries later WHERE later.status = 'pending' AND later.tenant_id > waiting.tenant_id
              ORDER BY later.tenant_id LIMIT 1)
      FROM waiting WHERE waiting.tenant_id IS NOT NULL
    ), sending AS (
      SELECT tenant_id, count(*) AS deliveries FROM webhook_deliveries WHERE leased_until > now() GROUP BY tenant_id
    )
    SELECT claimed.id FROM (
      SELECT waiting.tenant_id FROM waiting
      CROSS JOIN LATERAL (
        SELECT due.sequence, due.sequence = (SELECT min(earliest.sequence) FROM webhook_deliveries earliest
          WHERE earliest.status = 'pending' AND earliest.subscription_id = due.subscription_id AND earliest.order_key = due.order_key) AS first
        FROM webhook_deliveries due
        WHERE due.status = 'pending' AND due.tenant_id = waiting.tenant_id AND due.next_attempt_at <= now()
          AND (due.leased_until IS NULL OR due.leased_until < now())
        ORDER BY due.sequence LIMIT 1
      ) due
      LEFT JOIN sending ON sending.tenant_id = waiting.tenant_id
      WHERE waiting.tenant_id <> ALL($2::uuid[])
      ORDER BY due.first DESC, coalesce(sending.deliveries, 0), due.sequence
    ) turn
    CROSS JOIN LATERAL (
      SELECT delivery.id FROM webhook_deliveries delivery
      WHERE delivery.tenant_id = turn.tenant_id AND delivery.status = 'pending' AND delivery.next_attempt_at <= now()
        AND (delivery.leased_until IS NULL OR delivery.leased_until < now())
        AND delivery.sequence = (SELECT min(earliest.sequence) FROM webhook_deliveries earliest WHERE earliest.status = 'pending'
          AND earliest.subscription_id = delivery.subscription_id AND earliest.order_key = delivery.order_key)
      ORDER BY delivery.sequence LIMIT 1 FOR UPDATE SKIP LOCKED
    ) claimed
    LIMIT 1)
  RETURNING id, tenant_id, subscription_id, attempts, body`;

export type NewWebhookSubscription = Pick<
  WebhookSubscriptionEntity,
  'id' | 'tenantId' | 'url' | 'events' | 'description' | 'enabled' | 'secretSealed'
>;
/** What a change may set on a subscription: never its id or tenant. */
export type WebhookChanges = Partial<Omit<WebhookSubscriptionEntity, 'id' | 'tenantId' | 'createdAt' | 'updatedAt'>>;
export type NewWebhookDelivery = Pick<WebhookDeliveryEntity, 'id' | 'tenantId' | 'subscriptionId' | 'eventType' | 'keyId' | 'body'>;
/** A delivery as its lease gives it to the loop that sends it. */
export type LeasedDelivery = Pick<WebhookDeliveryEntity, 'id' | 'tenantId' | 'subscriptionId' | 'attempts' | 'body'>;
/** The outcome of one attempt to send a delivery; `retryAfterSeconds` when it stays pending for another. */
export interface DeliveryAttempt {
  attempts: number;
  lastStatusCode: number | null;
  lastError: string | null;
  lastDurationMs: number;
  status: WebhookDeliveryEntity['status'];
  retryAfterSeconds?: number;
}

/**
 * Subscriptions and their deliveries (the outbox). One method per query; every one is scoped by tenant id, but for
 * the delivery loops' own (the lease, the wait until the next retry, the retention pruning), which serve every
 * tenant's queue at once. The writes take the manager of the caller's change, so that they commit with it.
 */
@Injectable()
export class WebhooksRepository {
  constructor(
    @InjectRepository(WebhookSubscriptionEntity) private readonly subscriptions: Repository<WebhookSubscriptionEntity>,
    @InjectRepository(WebhookDeliveryEntity) private readonly deliveries: Repository<WebhookDeliveryEntity>,
  ) {}

  listSubscriptions(tenantId: string): Promise<WebhookSubscriptionEntity[]> {
    return this.subscriptions.find({ where: { tenantId }, order: { createdAt: 'ASC', id: 'ASC' } });
  }

  /** Undefined when the tenant has no such subscription; with `manager`, as the caller's transaction sees it. */
  async getSubscription(
    tenantId: string,
    id: string,
    manager: EntityManager = this.subscriptions.manager,
  ): Promise<WebhookSubscriptionEntity | undefined> {
    return (await manager.findOneBy(WebhookSubscriptionEntity, { tenantId, id })) ?? undefined;
  }

  /** The subscription, locked until the transaction ends; undefined when the tenant has no such subscription. */
  async lockSubscription(manager: EntityManager, tenantId: string, id: string): Promise<WebhookSubscriptionEntity | undefined> {
    return (await manager.findOne(WebhookSubscriptionEntity, { where: { tenantId, id }, lock: { mode: 'pessimistic_write' } })) ?? undefined;
  }

  /** The tenant's subscriptions, under a lock that its other creations wait for until this transaction ends. */
  async countSubscriptionsLocked(manager: EntityManager, tenantId: string): Promise<number> {
    await lockCount(manager, 'webhooks', tenantId);
    return manager.countBy(WebhookSubscriptionEntity, { tenantId });
  }

  /** The new subscription, as stored. */
  async insertSubscription(manager: EntityManager, subscription: NewWebhookSubscription): Promise<WebhookSubscriptionEntity> {
    await manager.insert(WebhookSubscriptionEntity, subscription);
    return (await this.getSubscription(subscription.tenantId, subscription.id, manager))!;
  }

  /** The subscription as changed (an empty change writes nothing); the caller has found it in this transaction. */
  async updateSubscription(manager: EntityManager, tenantId: string, id: string, changes: WebhookChanges): Promise<WebhookSubscriptionEntity> {
    if (Object.keys(changes).length > 0) await manager.update(WebhookSubscriptionEntity, { tenantId, id }, changes);
    return (await this.getSubscription(tenantId, id, manager))!;
  }

  async deleteSubscription(manager: EntityManager, tenantId: string, id: string): Promise<boolean> {
    return ((await manager.delete(WebhookSubscriptionEntity, { tenantId, id })).affected ?? 0) > 0;
  }

  /**
   * The tenant's enabled subscriptions (id and events), FOR KEY SHARE: a subscription deleted meanwhile waits for
   * this transaction, instead of failing the inserts of its deliveries.
   */
  enabledSubscriptions(manager: EntityManager, tenantId: string): Promise<Pick<WebhookSubscriptionEntity, 'id' | 'events'>[]> {
    return manager
      .createQueryBuilder(WebhookSubscriptionEntity, 'subscription')
      .select(['subscription.id', 'subscription.events'])
      .where('subscription.tenant_id = :tenantId AND subscription.enabled', { tenantId })
      .setLock('for_key_share')
      .getMany();
  }

  /** A success clears the subscription's failing mark. */
  async clearFailing(manager: EntityManager, tenantId: string, id: string): Promise<void> {
    await manager.query('UPDATE webhook_subscriptions SET failing_since = NULL WHERE tenant_id = $1 AND id = $2 AND failing_since IS NOT NULL', [
      tenantId,
      id,
    ]);
  }

  /** A failure marks the subscription failing from now, unless it already is. */
  async markFailing(manager: EntityManager, tenantId: string, id: string): Promise<void> {
    await manager.query('UPDATE webhook_subscriptions SET failing_since = now() WHERE tenant_id = $1 AND id = $2 AND failing_since IS NULL', [
      tenantId,
      id,
    ]);
  }

  /**
   * Disables the subscription if it is enabled and has been failing for `seconds`, with the reason in its view.
   * Answers since when it has been failing, or undefined when it was not disabled.
   */
  async disableIfFailingFor(manager: EntityManager, tenantId: string, id: string, seconds: number): Promise<Date | undefined> {
    // An UPDATE answers [rows, count] through TypeORM.
    const [[disabled]] = await manager.query<[{ failing_since: Date }[], number]>(
      `UPDATE webhook_subscriptions SET enabled = false, disabled_at = now(),
         disabled_reason = 'Disabled by the service: every delivery has failed since ' || to_char(failing_since AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')
       WHERE tenant_id = $1 AND id = $2 AND enabled AND failing_since <= now() - make_interval(secs => $3)
       RETURNING failing_since`,
      [tenantId, id, seconds],
    );
    return disabled?.failing_since;
  }

  /** `rows` of the subscription's deliveries, newest first, older than the sequence `before` if given. */
  listDeliveries(tenantId: string, subscriptionId: string, rows: number, before?: string): Promise<WebhookDeliveryEntity[]> {
    const query = this.deliveries
      .createQueryBuilder('delivery')
      .where('delivery.tenant_id = :tenantId AND delivery.subscription_id = :id', { tenantId, id: subscriptionId });
    if (before !== undefined) query.andWhere('delivery.sequence < :before', { before });
    return query.orderBy('delivery.sequence', 'DESC').limit(rows).getMany();
  }

  async insertDeliveries(manager: EntityManager, deliveries: NewWebhookDelivery[]): Promise<void> {
    await manager.insert(WebhookDeliveryEntity, deliveries);
  }

  /**
   * The delivery pending again, with a fresh set of retries, due now on the database's clock (which the delivery
   * loops compare with); undefined when the tenant's subscription has no such delivery.
   */
  async redeliver(manager: EntityManager, tenantId: string, subscriptionId: string, id: string): Promise<WebhookDeliveryEntity | undefined> {
    const result = await manager.update(
      WebhookDeliveryEntity,
      { tenantId, subscriptionId, id },
      { status: 'pending', attempts: 0, lastError: null, deliveredAt: null, leaseId: null, leasedUntil: null, nextAttemptAt: () => 'now()' },
    );
    if (!result.affected) return undefined;
    return (await manager.findOneBy(WebhookDeliveryEntity, { tenantId, id })) ?? undefined;
  }

  /**
   * Leases a due delivery of any tenant but `fullTenants` for LEASE_SECONDS (LEASE_DUE_DELIVERY: one statement, FOR
   * UPDATE SKIP LOCKED inside, the lease committed with it); undefined when none is due.
   */
  async leaseDueDelivery(lease: string, fullTenants: string[]): Promise<LeasedDelivery | undefined> {
    // An UPDATE answers [rows, count] through TypeORM.
    const [[row]] = await this.deliveries.query<
      [{ id: string; tenant_id: string; subscription_id: string; attempts: number; body: string }[], number]
    >(LEASE_DUE_DELIVERY, [lease, fullTenants]);
    return row && { id: row.id, tenantId: row.tenant_id, subscriptionId: row.subscription_id, attempts: row.attempts, body: row.body };
  }

  /** Milliseconds until the next pending delivery waiting for its retry is due, of any tenant; null when none waits. */
  async nextRetryInMs(): Promise<number | null> {
    const [{ wait }] = await this.deliveries.query<[{ wait: number | null }]>(
      `SELECT ceil(extract(epoch FROM min(next_attempt_at) - now()) * 1000)::int AS wait FROM webhook_deliveries
       WHERE status = 'pending' AND next_attempt_at > now()`,
    );
    return wait;
  }

  /** The delivery's subscription was disabled meanwhile: it fails at once, if the lease is still this one. */
  async failDisabled(delivery: LeasedDelivery, lease: string): Promise<void> {
    await this.deliveries.update(
      { tenantId: delivery.tenantId, id: delivery.id, leaseId: lease },
      { status: 'failed', lastError: 'subscription disabled', leaseId: null, leasedUntil: null },
    );
  }

  /** Gives the lease up with no attempt counted: the delivery is due again in `seconds`. */
  async releaseLease(delivery: LeasedDelivery, lease: string, seconds: number): Promise<void> {
    await this.deliveries.update(
      { tenantId: delivery.tenantId, id: delivery.id, leaseId: lease },
      { leaseId: null, leasedUntil: null, nextAttemptAt: () => `now() + make_interval(secs => ${seconds})` },
    );
  }

  /** Stores the attempt's outcome and ends the lease, if it is still this one (a redelivery takes it back); whether it was. */
  async recordAttempt(delivery: LeasedDelivery, lease: string, attempt: DeliveryAttempt): Promise<boolean> {
    const { retryAfterSeconds, ...outcome } = attempt;
    const recorded = await this.deliveries.update(
      { tenantId: delivery.tenantId, id: delivery.id, leaseId: lease },
      {
        ...outcome,
        deliveredAt: outcome.status === 'delivered' ? () => 'now()' : null,
        leaseId: null,
        leasedUntil: null,
        // On the database's clock, which the claim compares with.
        ...(retryAfterSeconds === undefined ? {} : { nextAttemptAt: () => `now() + make_interval(secs => ${retryAfterSeconds})` }),
      },
    );
    return (recorded.affected ?? 0) > 0;
  }

  /** Deletes up to `batch` delivered or failed deliveries of any tenant older than `days`; how many it deleted. */
  async pruneDeliveries(days: number, batch: number): Promise<number> {
    // A DELETE answers [rows, count] through TypeORM.
    const [, count] = await this.deliveries.query<[unknown, number]>(
      `DELETE FROM webhook_deliveries WHERE id IN (
         SELECT id FROM webhook_deliveries WHERE status <> 'pending' AND created_at < now() - make_interval(days => $1) LIMIT ${batch})`,
      [days],
    );
    return count;
  }
}
