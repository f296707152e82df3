import { randomUUID } from 'node:crypto';
import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { APP_CONFIG, type RuntimeConfig } from '../../config/config';
import { TenantChangeListener } from '../../database/tenant-changes';
import { SYSTEM_ACTOR } from '../../audit/audit-trail';
import { UnitOfWork, type Change } from '../../changes/unit-of-work';
import type { WebhookSubscriptionEntity } from '../entities/webhook-subscription.entity';
import { SealOpenError } from '../../crypto/sealing';
import { SecretSealer } from '../../sealing/secret-sealer';
import { HsmUnavailableError } from '../../hsm/hsm-errors';
import { signatureHeader } from '../webhook-secrets';
import { WebhooksRepository, type LeasedDelivery } from '../webhooks.repository';
import { postWebhook } from './post-webhook';

/** The longest a loop with nothing to send sleeps: events wake it sooner (see below), and so does the next retry due. */
const IDLE_MS = 5_000;
const PRUNE_EVERY_MS = 60 * 60 * 1000;
const PRUNE_BATCH = 1000;
/** Deliveries one instance sends at once. */
const LOOPS = 8;
/** Of them, the most one tenant's deliveries take: the other half is there for the other tenants, whatever one floods. */
const TENANT_SHARE = LOOPS / 2;

interface Leased {
  delivery: LeasedDelivery;
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
    private readonly webhooks: WebhooksRepository,
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
        const count = await this.webhooks.pruneDeliveries(this.config.webhookDeliveryRetentionDays, PRUNE_BATCH);
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
   * loose index scan). One statement (WebhooksRepository.leaseDueDelivery: FOR UPDATE SKIP LOCKED inside, the lease
   * committed with it), so no transaction or connection is held while it is sent. Answers it, or how long to wait when none is due.
   */
  private async lease(): Promise<Leased | number> {
    const lease = randomUUID();
    const full = [...this.sending].filter(([, count]) => count >= TENANT_SHARE).map(([tenantId]) => tenantId);
    // The tenants are sorted first, then tried in that order until one has a delivery to lease: a LATERAL join is a
    // nested loop, which keeps the order of its outer side, and LIMIT 1 ends it at the first row (an ORDER BY here
    // would have the planner lease, then sort, one row per tenant). Tenants whose oldest due delivery is the first of
    // its key come first, as it is found at once; behind a delivery waiting for its retry (a receiver that fails) may
    // be thousands of its key's to look through before one that can go.
    const delivery = await this.webhooks.leaseDueDelivery(lease, full);
    if (!delivery) {
      // Due deliveries behind one being sent (by this instance or another) are taken by the loop sending it.
      const wait = await this.webhooks.nextRetryInMs();
      return Math.min(IDLE_MS, Math.max(wait ?? IDLE_MS, 10));
    }
    this.sending.set(delivery.tenantId, (this.sending.get(delivery.tenantId) ?? 0) + 1);
    return { delivery, lease };
  }

  /** Sends a leased delivery, unless its subscription is disabled (then it fails at once: redeliver sends it again once enabled). */
  private async send({ delivery, lease }: Leased): Promise<void> {
    try {
      const subscription = await this.webhooks.getSubscription(delivery.tenantId, delivery.subscriptionId);
      if (subscription?.enabled) {
        await this.deliver({ delivery, subscription, lease });
        return;
      }
      await this.webhooks.failDisabled(delivery, lease);
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
        await this.webhooks.releaseLease(delivery, lease, IDLE_MS / 1000);
        return;
      }
      // A secret that does not open (a key-encryption key removed too early) is a failed attempt like any other,
      // said without detail: the delivery goes on to its retries instead of holding every loop.
      error = failure instanceof SealOpenError ? 'the signing secret could not be opened' : (failure as Error).message.slice(0, 255);
    }
    const attempts = delivery.attempts + 1;
    const delivered = status !== null && status >= 200 && status < 300;
    const retryAfter = this.config.webhookRetrySeconds[attempts - 1];
    const pending = !delivered && retryAfter !== undefined;
    const recorded = await this.webhooks.recordAttempt(delivery, lease, {
      attempts,
      lastStatusCode: status,
      lastError: delivered ? null : (error ?? `answered ${status}`),
      lastDurationMs: Date.now() - started,
      status: delivered ? 'delivered' : pending ? 'pending' : 'failed',
      ...(pending ? { retryAfterSeconds: retryAfter } : {}),
    });
    if (recorded) await this.recordHealth(subscription, delivered);
  }

  /**
   * A success clears the subscription's failing mark; a failure sets it, and disables the subscription once every
   * delivery has failed for WEBHOOK_DISABLE_AFTER_SECONDS (audited, with the reason in its view). In a transaction of
   * its own, after the delivery's: the subscription row is never locked while a delivery is sent (a DELETE of the
   * subscription waits for the delivery row, and would otherwise deadlock with this update).
   */
  private recordHealth(subscription: WebhookSubscriptionEntity, delivered: boolean): Promise<void> {
    return this.work.run((change) => this.updateHealth(change, subscription, delivered));
  }

  private async updateHealth(change: Change, { tenantId, id }: WebhookSubscriptionEntity, delivered: boolean): Promise<void> {
    const { manager } = change;
    if (delivered) {
      await this.webhooks.clearFailing(manager, tenantId, id);
      return;
    }
    const failingSince = await this.webhooks.disableIfFailingFor(manager, tenantId, id, this.config.webhookDisableAfterSeconds);
    if (!failingSince) {
      await this.webhooks.markFailing(manager, tenantId, id);
      return;
    }
    change.audit({
      actor: SYSTEM_ACTOR,
      action: 'webhook.disable',
      keyId: null,
      tenantId,
      detail: { webhookId: id, failingSince: failingSince.toISOString() },
    });
    this.logger.warn(`Webhook ${id} of tenant ${tenantId} disabled: every delivery has failed since ${failingSince.toISOString()}`);
  }
}
