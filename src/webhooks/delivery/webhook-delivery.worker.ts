import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { APP_CONFIG, type RuntimeConfig } from '../../config/config';
import { open } from '../../crypto/sealing';
import { webhookSignature } from '../../crypto/standard-webhooks';
import { WebhookDeliveryEntity } from '../entities/webhook-delivery.entity';
import { WebhookSubscriptionEntity } from '../entities/webhook-subscription.entity';
import { webhookSecretAssociatedData } from '../webhooks.service';
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
    const subscription = await manager.findOneBy(WebhookSubscriptionEntity, { id: delivery.subscriptionId });
    const started = Date.now();
    let status: number | null = null;
    let error: string | null = null;
    if (!subscription?.enabled) {
      error = 'subscription disabled';
    } else {
      const secret = open(
        this.config.openingKeys,
        subscription.secretSealed,
        webhookSecretAssociatedData(subscription.tenantId, subscription.id),
      ).toString();
      const timestamp = Math.floor(Date.now() / 1000);
      const headers = {
        'webhook-id': delivery.id,
        'webhook-timestamp': String(timestamp),
        'webhook-signature': webhookSignature(secret, delivery.id, timestamp, delivery.body),
      };
      try {
        status = await postWebhook(subscription.url, headers, delivery.body, this.config.webhookAllowPrivateUrls);
      } catch (failure) {
        error = (failure as Error).message.slice(0, 255);
      }
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
        status: delivered ? 'delivered' : retryAfter === undefined || !subscription ? 'failed' : 'pending',
        deliveredAt: delivered ? new Date() : null,
        nextAttemptAt: delivered || retryAfter === undefined ? delivery.nextAttemptAt : new Date(Date.now() + retryAfter * 1000),
      },
    );
    return true;
  }
}
