import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { APP_CONFIG, type RuntimeConfig } from '../../config/config';
import { AuditTrail, SYSTEM_ACTOR } from '../../audit/audit-trail';
import { WebhookDeliveryEntity } from '../entities/webhook-delivery.entity';
import { WebhookSubscriptionEntity } from '../entities/webhook-subscription.entity';
import { signatureHeader } from '../webhook-secrets';
import { postWebhook } from './post-webhook';

const POLL_MS = 1_000;
/** Deliveries one instance sends at once (each holds its row, and a connection, for up to the 5 s timeout). */
const CONCURRENCY = 4;

/**
 * Sends the outbox: in every instance, a few loops each claim the oldest due delivery whose key has no earlier
 * pending one for the same subscription (so one key's events arrive in commit order), with FOR UPDATE SKIP LOCKED,
 * hold it while it is sent, and store the outcome in the same transaction: each delivery is sent by one instance at
 * a time, and a restart loses nothing (the row stays pending).
 */
@Injectable()
export class WebhookDeliveryWorker implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(WebhookDeliveryWorker.name);
  private stopped = false;
  private loops: Promise<void>[] = [];

  constructor(
    private readonly dataSource: DataSource,
    private readonly audit: AuditTrail,
    @Inject(APP_CONFIG) private readonly config: RuntimeConfig,
  ) {}

  onApplicationBootstrap(): void {
    this.loops = Array.from({ length: CONCURRENCY }, () => this.loop());
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    await Promise.all(this.loops);
  }

  private async loop(): Promise<void> {
    while (!this.stopped) {
      let sent = false;
      try {
        sent = await this.dataSource.transaction((manager) => this.sendOne(manager));
      } catch (error) {
        this.logger.warn(`Webhook delivery paused: ${(error as Error).message}`);
      }
      if (!sent) await new Promise((resolve) => setTimeout(resolve, POLL_MS).unref());
    }
  }

  /** Claims one due delivery, sends it, records the outcome; false when none is due. */
  private async sendOne(manager: EntityManager): Promise<boolean> {
    const delivery = await manager
      .createQueryBuilder(WebhookDeliveryEntity, 'delivery')
      .where("delivery.status = 'pending' AND delivery.next_attempt_at <= now()")
      .andWhere(
        `NOT EXISTS (SELECT 1 FROM webhook_deliveries earlier WHERE earlier.status = 'pending' AND earlier.subscription_id = delivery.subscription_id
           AND earlier.key_id IS NOT DISTINCT FROM delivery.key_id AND earlier.sequence < delivery.sequence)`,
      )
      .orderBy('delivery.sequence', 'ASC')
      .limit(1)
      .setLock('pessimistic_write')
      .setOnLocked('skip_locked')
      .getOne();
    if (!delivery) return false;
    const subscription = (await manager.findOneBy(WebhookSubscriptionEntity, { id: delivery.subscriptionId }))!;
    if (!subscription.enabled) {
      // Not sent: a disabled subscription's deliveries fail at once (redeliver sends one again once it is enabled).
      await manager.update(WebhookDeliveryEntity, { id: delivery.id }, { status: 'failed', lastError: 'subscription disabled' });
      return true;
    }
    const started = Date.now();
    let status: number | null = null;
    let error: string | null = null;
    const timestamp = Math.floor(started / 1000);
    const headers = {
      'webhook-id': delivery.id,
      'webhook-timestamp': String(timestamp),
      'webhook-signature': signatureHeader(this.config.openingKeys, subscription, { id: delivery.id, timestamp, body: delivery.body }),
    };
    try {
      status = await postWebhook(subscription.url, headers, delivery.body, this.config.webhookAllowPrivateUrls);
    } catch (failure) {
      error = (failure as Error).message.slice(0, 255);
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
        deliveredAt: delivered ? new Date() : null,
        nextAttemptAt: delivered || retryAfter === undefined ? delivery.nextAttemptAt : new Date(Date.now() + retryAfter * 1000),
      },
    );
    await this.recordHealth(manager, subscription.id, delivered);
    return true;
  }

  /**
   * A success clears the subscription's failing mark; a failure sets it, and disables the subscription once every
   * delivery has failed for WEBHOOK_DISABLE_AFTER_SECONDS (audited, with the reason in its view). Single-statement
   * updates: the subscription row is locked only until this transaction commits, never while a delivery is sent.
   */
  private async recordHealth(manager: EntityManager, subscriptionId: string, delivered: boolean): Promise<void> {
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
