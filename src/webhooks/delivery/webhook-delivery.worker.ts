import { randomUUID } from 'node:crypto';
import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { APP_CONFIG, type RuntimeConfig } from '../../config/config';
import { TenantChangeListener } from '../../database/tenant-changes';
import { SYSTEM_ACTOR } from '../../audit/audit-trail';
import { UnitOfWork, type Change } from '../../changes/unit-of-work';
import { WebhookDeliveryEntity } from '../entities/webhook-delivery.entity';
import { WebhookSubscriptionEntity } from '../entities/webhook-subscription.entity';
import { SealOpenError } from '../../crypto/sealing';
import { SecretSealer } from '../../sealing/secret-sealer';
import { HsmUnavailableError } from '../../hsm/hsm-errors';
import { signatureHeader } from '../webhook-secrets';
import { postWebhook } from './post-webhook';

/** The longest a loop with nothing to send sleeps: events wake it sooner (see below), and so does the next retry due. */
const IDLE_MS = 5_000;
const PRUNE_EVERY_MS = 60 * 60 * 1000;
const PRUNE_BATCH = 1000;
/** Deliveries one instance sends at once. */
const LOOPS = 8;
/** Of them, the most one tenant's deliveries take: the other half is there for the other tenants, whatever one floods. */
const TENANT_SHARE = LOOPS / 2;
/** How long a claimed delivery is another instance's to leave alone: past it (its instance died mid-send), it is due again. */
const LEASE_SECONDS = 30;

/**
 * The statement that leases a due delivery ($1 the lease, $2 the tenants this instance's loops hold their share of):
 * see WebhookDeliveryWorker.lease. Exported for its plan's test.
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

interface Leased {
  delivery: Pick<WebhookDeliveryEntity, 'id' | 'tenantId' | 'subscriptionId' | 'attempts' | 'body'>;
  lease: string;
}

type Claimed = Leased & { subscription: WebhookSubscriptionEntity };

/**
 * Sends the outbox: in every instance, a few loops each lease a due delivery whose key has no earlier pending one
 * for the same subscription (so one key's events arrive in commit order; FOR UPDATE SKIP LOCKED for the claim, a
 * lease committed at once), send it (5 s at most) holding no transaction or connection, and store the outcome if the
 * lease is still theirs: each delivery is sent by one instance at a time, and a restart loses nothing (the row stays
 * pending, due again when its lease ends). Changes that queue events announce themselves (NOTIFY, on commit), which
 * wakes the loops of every instance.
 *
 * Fair across tenants: a claim serves a tenant whose oldest due delivery can go at once (the first of its key) before
 * one behind which a search would be needed, then the tenant with the fewest deliveries being sent (by every instance,
 * as the leases say), its oldest first, and one tenant's deliveries take at most TENANT_SHARE of an instance's loops. A
 * tenant flooding a slow receiver holds half the loops; another tenant's delivery takes a free one at once.
 */
@Injectable()
export class WebhookDeliveryWorker implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(WebhookDeliveryWorker.name);
  private stopped = false;
  private loops: Promise<void>[] = [];
  private unsubscribe?: () => void;
  private pruneTimer?: NodeJS.Timeout;
  /** The sleeping loops' alarms. */
  private readonly sleepers = new Set<() => void>();
  /** Counts wake-ups: a loop that was busy when one came does not sleep on it. */
  private wakeUps = 0;
  /** Deliveries this instance's loops are sending, per tenant: exact, as this instance's claims are made one at a time. */
  private readonly sending = new Map<string, number>();
  private lastClaim: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly dataSource: DataSource,
    private readonly work: UnitOfWork,
    private readonly changes: TenantChangeListener,
    private readonly sealer: SecretSealer,
    @Inject(APP_CONFIG) private readonly config: RuntimeConfig,
  ) {}

  /**
   * Deletes delivered and failed deliveries older than WEBHOOK_DELIVERY_RETENTION_DAYS, a batch per statement: at
   * start and every hour, in every instance (a row deleted twice is deleted once).
   */
  async prune(): Promise<number> {
    let deleted = 0;
    try {
      for (;;) {
        const [, count] = await this.dataSource.query<[unknown, number]>(
          `DELETE FROM webhook_deliveries WHERE id IN (
             SELECT id FROM webhook_deliveries WHERE status <> 'pending' AND created_at < now() - make_interval(days => $1) LIMIT ${PRUNE_BATCH})`,
          [this.config.webhookDeliveryRetentionDays],
        );
        deleted += count;
        if (count < PRUNE_BATCH) return deleted;
      }
    } catch (error) {
      this.logger.warn(`Pruning old webhook deliveries paused: ${(error as Error).message}`);
      return deleted;
    }
  }

  onApplicationBootstrap(): void {
    this.pruneTimer = setInterval(() => void this.prune(), PRUNE_EVERY_MS).unref();
    void this.prune();
    // Every change that queues an event is announced (NOTIFY, on commit): the loops wake then, on any instance.
    this.unsubscribe = this.changes.subscribe(() => this.wake());
    this.loops = Array.from({ length: LOOPS }, () => this.loop());
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    clearInterval(this.pruneTimer);
    this.unsubscribe?.();
    this.wake();
    await Promise.all(this.loops);
  }

  private async loop(): Promise<void> {
    while (!this.stopped) {
      const wakeUps = this.wakeUps;
      let idleMs = 0;
      try {
        const leased = await this.inTurn(() => this.lease());
        if (typeof leased === 'number') idleMs = leased;
        else await this.send(leased);
      } catch (error) {
        this.logger.warn(`Webhook delivery paused: ${(error as Error).message}`);
        idleMs = IDLE_MS;
      }
      if (idleMs > 0 && !this.stopped && wakeUps === this.wakeUps) await this.sleep(idleMs);
    }
  }

  private wake(): void {
    this.wakeUps++;
    for (const alarm of [...this.sleepers]) alarm();
  }

  /** Until `ms` have passed or an event wakes the loops. */
  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const alarm = () => {
        clearTimeout(timer);
        this.sleepers.delete(alarm);
        resolve();
      };
      const timer = setTimeout(alarm, ms);
      timer.unref();
      this.sleepers.add(alarm);
    });
  }

  /** Runs `claim` after this instance's previous claim has ended. */
  private inTurn<T>(claim: () => Promise<T>): Promise<T> {
    const turn = this.lastClaim.then(claim);
    this.lastClaim = turn.catch(() => undefined);
    return turn;
  }

  /**
   * Leases a due delivery that is the first pending one of its key for its subscription (a correlated min() on the
   * index of pending deliveries per subscription and key, which the planner cannot turn into a join over every
   * pending row, as it did with NOT EXISTS before statistics existed): of the tenant with the fewest deliveries being
   * sent, then the one waiting longest, its oldest first (tenants whose oldest due one can go first of all);
   * never of a tenant that has its share of this instance's loops. The tenants with pending deliveries are read one at a time from the index on (tenant_id, sequence) (a
   * loose index scan). One statement (FOR UPDATE SKIP LOCKED inside, the lease of LEASE_SECONDS committed with it),
   * so no transaction or connection is held while it is sent. Answers it, or how long to wait when none is due.
   */
  private async lease(): Promise<Leased | number> {
    const lease = randomUUID();
    const full = [...this.sending].filter(([, count]) => count >= TENANT_SHARE).map(([tenantId]) => tenantId);
    // An UPDATE answers [rows, count] through TypeORM. The tenants are sorted first, then tried in that order until
    // one has a delivery to lease: a LATERAL join is a nested loop, which keeps the order of its outer side, and LIMIT 1
    // ends it at the first row (an ORDER BY here would have the planner lease, then sort, one row per tenant). Tenants
    // whose oldest due delivery is the first of its key come first, as it is found at once; behind a delivery waiting
    // for its retry (a receiver that fails) may be thousands of its key's to look through before one that can go.
    const [[row]] = await this.dataSource.query<
      [{ id: string; tenant_id: string; subscription_id: string; attempts: number; body: string }[], number]
    >(LEASE_DUE_DELIVERY, [lease, full]);
    if (!row) {
      // Due deliveries behind one being sent (by this instance or another) are taken by the loop sending it.
      const [{ wait }] = await this.dataSource.query<[{ wait: number | null }]>(
        `SELECT ceil(extract(epoch FROM min(next_attempt_at) - now()) * 1000)::int AS wait FROM webhook_deliveries
         WHERE status = 'pending' AND next_attempt_at > now()`,
      );
      return Math.min(IDLE_MS, Math.max(wait ?? IDLE_MS, 10));
    }
    this.sending.set(row.tenant_id, (this.sending.get(row.tenant_id) ?? 0) + 1);
    return {
      delivery: { id: row.id, tenantId: row.tenant_id, subscriptionId: row.subscription_id, attempts: row.attempts, body: row.body },
      lease,
    };
  }

  /** Sends a leased delivery, unless its subscription is disabled (then it fails at once: redeliver sends it again once enabled). */
  private async send({ delivery, lease }: Leased): Promise<void> {
    try {
      const subscription = await this.dataSource.getRepository(WebhookSubscriptionEntity).findOneBy({ id: delivery.subscriptionId });
      if (subscription?.enabled) {
        await this.deliver({ delivery, subscription, lease });
        return;
      }
      await this.dataSource
        .getRepository(WebhookDeliveryEntity)
        .update({ id: delivery.id, leaseId: lease }, { status: 'failed', lastError: 'subscription disabled', leaseId: null, leasedUntil: null });
    } finally {
      const count = this.sending.get(delivery.tenantId)! - 1;
      if (count === 0) this.sending.delete(delivery.tenantId);
      else this.sending.set(delivery.tenantId, count);
    }
  }

  /**
   * Sends a leased delivery and records the outcome, if the lease is still this loop's (a redelivery meanwhile takes
   * it back); then the subscription's health.
   */
  private async deliver({ delivery, subscription, lease }: Claimed): Promise<void> {
    const started = Date.now();
    let status: number | null = null;
    let error: string | null = null;
    try {
      const timestamp = Math.floor(started / 1000);
      const headers = {
        'webhook-id': delivery.id,
        'webhook-timestamp': String(timestamp),
        'webhook-signature': await signatureHeader(this.sealer, subscription, { id: delivery.id, timestamp, body: delivery.body }),
      };
      status = await postWebhook(subscription.url, headers, delivery.body, this.config.webhookAllowPrivateUrls);
    } catch (failure) {
      if (failure instanceof HsmUnavailableError) {
        // The HSM that seals the secret is away: not the receiver's failure, so no attempt counts; again shortly.
        await this.dataSource
          .getRepository(WebhookDeliveryEntity)
          .update(
            { id: delivery.id, leaseId: lease },
            { leaseId: null, leasedUntil: null, nextAttemptAt: () => `now() + make_interval(secs => ${IDLE_MS / 1000})` },
          );
        return;
      }
      // A secret that does not open (a key-encryption key removed too early) is a failed attempt like any other,
      // said without detail: the delivery goes on to its retries instead of holding every loop.
      error = failure instanceof SealOpenError ? 'the signing secret could not be opened' : (failure as Error).message.slice(0, 255);
    }
    const attempts = delivery.attempts + 1;
    const delivered = status !== null && status >= 200 && status < 300;
    const retryAfter = this.config.webhookRetrySeconds[attempts - 1];
    const recorded = await this.dataSource.getRepository(WebhookDeliveryEntity).update(
      { id: delivery.id, leaseId: lease },
      {
        attempts,
        lastStatusCode: status,
        lastError: delivered ? null : (error ?? `answered ${status}`),
        lastDurationMs: Date.now() - started,
        status: delivered ? 'delivered' : retryAfter === undefined ? 'failed' : 'pending',
        deliveredAt: delivered ? () => 'now()' : null,
        leaseId: null,
        leasedUntil: null,
        // On the database's clock, which the claim compares with.
        ...(delivered || retryAfter === undefined ? {} : { nextAttemptAt: () => `now() + make_interval(secs => ${retryAfter})` }),
      },
    );
    if (recorded.affected) await this.recordHealth(subscription.id, delivered);
  }

  /**
   * A success clears the subscription's failing mark; a failure sets it, and disables the subscription once every
   * delivery has failed for WEBHOOK_DISABLE_AFTER_SECONDS (audited, with the reason in its view). In a transaction of
   * its own, after the delivery's: the subscription row is never locked while a delivery is sent (a DELETE of the
   * subscription waits for the delivery row, and would otherwise deadlock with this update).
   */
  private recordHealth(subscriptionId: string, delivered: boolean): Promise<void> {
    return this.work.run((change) => this.updateHealth(change, subscriptionId, delivered));
  }

  private async updateHealth(change: Change, subscriptionId: string, delivered: boolean): Promise<void> {
    const { manager } = change;
    if (delivered) {
      await manager.query('UPDATE webhook_subscriptions SET failing_since = NULL WHERE id = $1 AND failing_since IS NOT NULL', [subscriptionId]);
      return;
    }
    // An UPDATE answers [rows, count] through TypeORM.
    const [[disabled]] = await manager.query<[{ tenant_id: string; failing_since: Date }[], number]>(
      `UPDATE webhook_subscriptions SET enabled = false, disabled_at = now(),
         disabled_reason = 'Disabled by the service: every delivery has failed since ' || to_char(failing_since AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')
       WHERE id = $1 AND enabled AND failing_since <= now() - make_interval(secs => $2)
       RETURNING tenant_id, failing_since`,
      [subscriptionId, this.config.webhookDisableAfterSeconds],
    );
    if (!disabled) {
      await manager.query('UPDATE webhook_subscriptions SET failing_since = now() WHERE id = $1 AND failing_since IS NULL', [subscriptionId]);
      return;
    }
    change.audit({
      actor: SYSTEM_ACTOR,
      action: 'webhook.disable',
      keyId: null,
      tenantId: disabled.tenant_id,
      detail: { webhookId: subscriptionId, failingSince: disabled.failing_since.toISOString() },
    });
    this.logger.warn(
      `Webhook ${subscriptionId} of tenant ${disabled.tenant_id} disabled: every delivery has failed since ${disabled.failing_since.toISOString()}`,
    );
  }
}
