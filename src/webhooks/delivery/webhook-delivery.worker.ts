import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { APP_CONFIG, type RuntimeConfig } from '../../config/config';
import { TenantChangeSignal } from '../../database/tenant-changes';
import { AuditTrail, SYSTEM_ACTOR } from '../../audit/audit-trail';
import { WebhookDeliveryEntity } from '../entities/webhook-delivery.entity';
import { WebhookSubscriptionEntity } from '../entities/webhook-subscription.entity';
import { SealOpenError } from '../../crypto/sealing';
import { KeySealer } from '../../hsm/key-sealer';
import { HsmUnavailableError } from '../../hsm/pkcs11-token';
import { signatureHeader } from '../webhook-secrets';
import { postWebhook } from './post-webhook';

/** The longest a loop with nothing to send sleeps: events wake it sooner (see below), and so does the next retry due. */
const IDLE_MS = 5_000;
/** Deliveries one instance sends at once (each holds its row, and a connection, for up to the 5 s timeout). */
const CONCURRENCY = 4;

/**
 * Sends the outbox: in every instance, a few loops each claim the oldest due delivery whose key has no earlier
 * pending one for the same subscription (so one key's events arrive in commit order), with FOR UPDATE SKIP LOCKED,
 * hold it while it is sent (5 s at most), and store the outcome in the same transaction: each delivery is sent by
 * one instance at a time, and a restart loses nothing (the row stays pending). Changes that queue events announce
 * themselves (NOTIFY, on commit), which wakes the loops of every instance.
 */
@Injectable()
export class WebhookDeliveryWorker implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(WebhookDeliveryWorker.name);
  private stopped = false;
  private loops: Promise<void>[] = [];
  private unsubscribe?: () => void;
  /** The sleeping loops' alarms. */
  private readonly sleepers = new Set<() => void>();
  /** Counts wake-ups: a loop that was busy when one came does not sleep on it. */
  private wakeUps = 0;

  constructor(
    private readonly dataSource: DataSource,
    private readonly audit: AuditTrail,
    private readonly changes: TenantChangeSignal,
    private readonly sealer: KeySealer,
    @Inject(APP_CONFIG) private readonly config: RuntimeConfig,
  ) {}

  onApplicationBootstrap(): void {
    // Every change that queues an event is announced (NOTIFY, on commit): the loops wake then, on any instance.
    this.unsubscribe = this.changes.subscribe(() => this.wake());
    this.loops = Array.from({ length: CONCURRENCY }, () => this.loop());
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    this.unsubscribe?.();
    this.wake();
    await Promise.all(this.loops);
  }

  private async loop(): Promise<void> {
    while (!this.stopped) {
      const wakeUps = this.wakeUps;
      let idleMs: number;
      try {
        const outcome = await this.dataSource.transaction((manager) => this.sendOne(manager));
        if (typeof outcome === 'number') {
          idleMs = outcome;
        } else {
          idleMs = 0;
          await this.recordHealth(outcome.subscriptionId, outcome.delivered);
        }
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

  /**
   * Claims one due delivery, sends it, records the outcome, and answers it for the subscription's health. When none
   * is due, how long to wait for the next retry (at most IDLE_MS).
   */
  private async sendOne(manager: EntityManager): Promise<number | { subscriptionId: string; delivered: boolean }> {
    const delivery = await manager
      .createQueryBuilder(WebhookDeliveryEntity, 'delivery')
      .where("delivery.status = 'pending' AND delivery.next_attempt_at <= now()")
      .andWhere(
        `NOT EXISTS (SELECT 1 FROM webhook_deliveries earlier WHERE earlier.status = 'pending' AND earlier.subscription_id = delivery.subscription_id
           AND earlier.order_key = delivery.order_key AND earlier.sequence < delivery.sequence)`,
      )
      .orderBy('delivery.sequence', 'ASC')
      .limit(1)
      .setLock('pessimistic_write')
      .setOnLocked('skip_locked')
      .getOne();
    if (!delivery) {
      // Due deliveries behind one being sent (by this instance or another) are taken by the loop sending it.
      const [{ wait }] = await manager.query<[{ wait: number | null }]>(
        `SELECT ceil(extract(epoch FROM min(next_attempt_at) - now()) * 1000)::int AS wait FROM webhook_deliveries
         WHERE status = 'pending' AND next_attempt_at > now()`,
      );
      return Math.min(IDLE_MS, Math.max(wait ?? IDLE_MS, 10));
    }
    const subscription = await manager.findOneBy(WebhookSubscriptionEntity, { id: delivery.subscriptionId });
    if (!subscription?.enabled) {
      // Not sent: a disabled subscription's deliveries fail at once (redeliver sends one again once it is enabled).
      await manager.update(WebhookDeliveryEntity, { id: delivery.id }, { status: 'failed', lastError: 'subscription disabled' });
      return 0;
    }
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
        await manager.update(WebhookDeliveryEntity, { id: delivery.id }, { nextAttemptAt: () => `now() + make_interval(secs => ${IDLE_MS / 1000})` });
        return 0;
      }
      // A secret that does not open (a key-encryption key removed too early) is a failed attempt like any other,
      // said without detail: the delivery goes on to its retries instead of holding every loop.
      error = failure instanceof SealOpenError ? 'the signing secret could not be opened' : (failure as Error).message.slice(0, 255);
    }
    const attempts = delivery.attempts + 1;
    const delivered = status !== null && status >= 200 && status < 300;
    const retryAfter = this.config.webhookRetrySeconds[attempts - 1];
    await manager.update(
      WebhookDeliveryEntity,
      { id: delivery.id },
      {
        attempts,
        lastStatusCode: status,
        lastError: delivered ? null : (error ?? `answered ${status}`),
        lastDurationMs: Date.now() - started,
        status: delivered ? 'delivered' : retryAfter === undefined ? 'failed' : 'pending',
        deliveredAt: delivered ? () => 'now()' : null,
        // On the database's clock, which the claim compares with.
        ...(delivered || retryAfter === undefined ? {} : { nextAttemptAt: () => `now() + make_interval(secs => ${retryAfter})` }),
      },
    );
    return { subscriptionId: subscription.id, delivered };
  }

  /**
   * A success clears the subscription's failing mark; a failure sets it, and disables the subscription once every
   * delivery has failed for WEBHOOK_DISABLE_AFTER_SECONDS (audited, with the reason in its view). In a transaction of
   * its own, after the delivery's: the subscription row is never locked while a delivery is sent (a DELETE of the
   * subscription waits for the delivery row, and would otherwise deadlock with this update).
   */
  private recordHealth(subscriptionId: string, delivered: boolean): Promise<void> {
    return this.dataSource.transaction((manager) => this.updateHealth(manager, subscriptionId, delivered));
  }

  private async updateHealth(manager: EntityManager, subscriptionId: string, delivered: boolean): Promise<void> {
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
    await this.audit.record(manager, {
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
