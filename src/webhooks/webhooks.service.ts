import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { AuditTrail, type AuditEvent, type TenantActor } from '../audit/audit-trail';
import { ValidationFailedError } from '../common/domain-error';
import { APP_CONFIG, type RuntimeConfig } from '../config/config';
import { newWebhookSecret } from '../crypto/standard-webhooks';
import { lockCount } from '../database/count-lock';
import { SecretSealer } from '../sealing/secret-sealer';
import { webhookUrlProblem } from './delivery/public-addresses';
import type { CreatedWebhookView, CreateWebhookDto, UpdateWebhookDto, WebhookDeliveryView, WebhookView } from './dto/webhook.dto';
import { WebhookDeliveryEntity } from './entities/webhook-delivery.entity';
import { decodeSequenceCursor, encodeCursor, pageOf } from '../common/paging';
import type { Page } from '../common/response-envelope';
import { WebhookSubscriptionEntity } from './entities/webhook-subscription.entity';
import { WebhookLimitError, WebhookNotFoundError } from './webhook-errors';
import { PREVIOUS_SECRET_SECONDS, previousSecretValid, sealWebhookSecret } from './webhook-secrets';
import { UnitOfWork } from '../changes/unit-of-work';

/** Subscriptions per tenant: each key change writes a delivery row per matching subscription, in its transaction. */
export const MAX_WEBHOOKS_PER_TENANT = 25;

/** What the audit trail keeps of a URL: its origin, never a path or query that may carry a token. */
const urlOrigin = (url: string) => (URL.canParse(url) ? new URL(url).origin : 'invalid');

/** A tenant's webhook subscriptions; the secret is shown once and sealed at rest like private keys. */
@Injectable()
export class WebhooksService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly work: UnitOfWork,
    private readonly audit: AuditTrail,
    private readonly sealer: SecretSealer,
    @Inject(APP_CONFIG) private readonly config: RuntimeConfig,
  ) {}

  async list(tenantId: string): Promise<WebhookView[]> {
    return (await this.dataSource.getRepository(WebhookSubscriptionEntity).find({ where: { tenantId }, order: { createdAt: 'ASC', id: 'ASC' } })).map(
      toWebhookView,
    );
  }

  async get(tenantId: string, id: string): Promise<WebhookView> {
    return toWebhookView(await this.find(tenantId, id));
  }

  async create(actor: TenantActor, request: CreateWebhookDto): Promise<CreatedWebhookView> {
    const id = randomUUID();
    const event: AuditEvent = { actor, action: 'webhook.create', keyId: null, detail: { webhookId: id, url: urlOrigin(request.url) } };
    return this.audit.attempt(event, async () => {
      await this.assertUrl(request.url);
      const secret = newWebhookSecret();
      const secretSealed = await sealWebhookSecret(this.sealer, actor.tenantId, id, secret);
      const created = await this.work.run(async (change) => {
        const { manager } = change;
        // Two creations at once count each other.
        await lockCount(manager, 'webhooks', actor.tenantId);
        if ((await manager.countBy(WebhookSubscriptionEntity, { tenantId: actor.tenantId })) >= MAX_WEBHOOKS_PER_TENANT)
          throw new WebhookLimitError(MAX_WEBHOOKS_PER_TENANT);
        await manager.insert(WebhookSubscriptionEntity, {
          id,
          tenantId: actor.tenantId,
          url: request.url,
          events: [...new Set(request.events)],
          description: request.description ?? null,
          enabled: true,
          secretSealed,
        });
        change.audit(event);
        return (await manager.findOneBy(WebhookSubscriptionEntity, { id }))!;
      });
      return { ...toWebhookView(created), secret };
    });
  }

  async update(actor: TenantActor, id: string, request: UpdateWebhookDto): Promise<WebhookView> {
    const event: AuditEvent = {
      actor,
      action: 'webhook.update',
      keyId: null,
      detail: { webhookId: id, ...(request.url === undefined ? {} : { url: urlOrigin(request.url) }) },
    };
    return this.audit.attempt(event, async () => {
      if (request.url !== undefined) await this.assertUrl(request.url);
      return this.work.run(async (change) => {
        const { manager } = change;
        const found = await manager.findOneBy(WebhookSubscriptionEntity, { tenantId: actor.tenantId, id });
        if (!found) throw new WebhookNotFoundError();
        const changes: Partial<WebhookSubscriptionEntity> = Object.fromEntries(
          Object.entries({ url: request.url, events: request.events, enabled: request.enabled }).filter(([, value]) => value !== undefined),
        );
        // Enabled again (by hand), or sent elsewhere: it starts afresh, no longer counted as failing.
        if (request.enabled === true || request.url !== undefined) Object.assign(changes, { failingSince: null });
        if (request.enabled === true) Object.assign(changes, { disabledAt: null, disabledReason: null });
        if (Object.keys(changes).length > 0) await manager.update(WebhookSubscriptionEntity, { id }, changes);
        change.audit(event);
        return toWebhookView((await manager.findOneBy(WebhookSubscriptionEntity, { id }))!);
      });
    });
  }

  /**
   * A new secret, shown in this answer only; the old one keeps signing beside it (a second signature in the header)
   * for PREVIOUS_SECRET_SECONDS, so receivers switch without losing a delivery. A secret older than that is dropped.
   */
  async rotateSecret(actor: TenantActor, id: string): Promise<CreatedWebhookView> {
    const event: AuditEvent = { actor, action: 'webhook.rotate_secret', keyId: null, detail: { webhookId: id } };
    return this.audit.attempt(event, async () => {
      const secret = newWebhookSecret();
      const rotated = await this.work.run(async (change) => {
        const { manager } = change;
        const found = await manager.findOne(WebhookSubscriptionEntity, {
          where: { tenantId: actor.tenantId, id },
          lock: { mode: 'pessimistic_write' },
        });
        if (!found) throw new WebhookNotFoundError();
        await manager.update(
          WebhookSubscriptionEntity,
          { id },
          {
            secretSealed: await sealWebhookSecret(this.sealer, actor.tenantId, id, secret),
            previousSecretSealed: found.secretSealed,
            previousSecretExpiresAt: new Date(Date.now() + PREVIOUS_SECRET_SECONDS * 1000),
          },
        );
        change.audit(event);
        return (await manager.findOneBy(WebhookSubscriptionEntity, { id }))!;
      });
      return { ...toWebhookView(rotated), secret };
    });
  }

  async delete(actor: TenantActor, id: string): Promise<{ id: string }> {
    const event: AuditEvent = { actor, action: 'webhook.delete', keyId: null, detail: { webhookId: id } };
    return this.audit.attempt(event, () =>
      this.work.run(async (change) => {
        const { manager } = change;
        const result = await manager.delete(WebhookSubscriptionEntity, { tenantId: actor.tenantId, id });
        if (!result.affected) throw new WebhookNotFoundError();
        change.audit(event);
        return { id };
      }),
    );
  }

  /** The subscription's deliveries, newest first, in pages. */
  async deliveries(tenantId: string, id: string, limit: number, cursor?: string): Promise<Page<WebhookDeliveryView>> {
    await this.find(tenantId, id);
    const query = this.dataSource
      .getRepository(WebhookDeliveryEntity)
      .createQueryBuilder('delivery')
      .where('delivery.tenant_id = :tenantId AND delivery.subscription_id = :id', { tenantId, id });
    if (cursor) query.andWhere('delivery.sequence < :before', { before: decodeSequenceCursor(cursor) });
    const rows = await query
      .orderBy('delivery.sequence', 'DESC')
      .limit(limit + 1)
      .getMany();
    return pageOf(rows, limit, toDeliveryView, (last) => encodeCursor(last.sequence));
  }

  /**
   * Sends a delivery again, whatever became of it: pending now, with the same id and a fresh set of retries. One being
   * sent at this moment may arrive twice: receivers drop repeats by `webhook-id`.
   */
  async redeliver(actor: TenantActor, id: string, deliveryId: string): Promise<WebhookDeliveryView> {
    const event: AuditEvent = { actor, action: 'webhook.redeliver', keyId: null, detail: { webhookId: id, deliveryId } };
    return this.audit.attempt(event, () =>
      this.work.run(async (change) => {
        const { manager } = change;
        const result = await manager.update(
          WebhookDeliveryEntity,
          { tenantId: actor.tenantId, subscriptionId: id, id: deliveryId },
          // A fresh start, with its retries; on the database's clock, which the delivery loops compare with.
          { status: 'pending', attempts: 0, lastError: null, deliveredAt: null, leaseId: null, leasedUntil: null, nextAttemptAt: () => 'now()' },
        );
        if (!result.affected) throw new WebhookNotFoundError('Delivery not found');
        change.audit(event);
        change.announce(actor.tenantId);
        return toDeliveryView((await manager.findOneBy(WebhookDeliveryEntity, { id: deliveryId }))!);
      }),
    );
  }

  private async find(tenantId: string, id: string): Promise<WebhookSubscriptionEntity> {
    const found = await this.dataSource.getRepository(WebhookSubscriptionEntity).findOneBy({ tenantId, id });
    if (!found) throw new WebhookNotFoundError();
    return found;
  }

  /** https to a public address (unless WEBHOOK_ALLOW_PRIVATE_URLS): checked here, and again at each delivery. */
  private async assertUrl(url: string): Promise<void> {
    const problem = await webhookUrlProblem(url, this.config.webhookAllowPrivateUrls);
    if (problem) throw new ValidationFailedError([{ field: 'url', message: problem }]);
  }
}

function toWebhookView(subscription: WebhookSubscriptionEntity): WebhookView {
  return {
    id: subscription.id,
    url: subscription.url,
    events: subscription.events,
    description: subscription.description,
    enabled: subscription.enabled,
    disabledAt: subscription.disabledAt?.toISOString() ?? null,
    disabledReason: subscription.disabledReason,
    failingSince: subscription.failingSince?.toISOString() ?? null,
    previousSecretExpiresAt: previousSecretValid(subscription) ? subscription.previousSecretExpiresAt!.toISOString() : null,
    createdAt: subscription.createdAt.toISOString(),
    updatedAt: subscription.updatedAt.toISOString(),
  };
}

function toDeliveryView(delivery: WebhookDeliveryEntity): WebhookDeliveryView {
  return {
    id: delivery.id,
    eventType: delivery.eventType,
    status: delivery.status,
    attempts: delivery.attempts,
    lastStatusCode: delivery.lastStatusCode,
    lastError: delivery.lastError,
    lastDurationMs: delivery.lastDurationMs,
    nextAttemptAt: delivery.status === 'pending' ? delivery.nextAttemptAt.toISOString() : null,
    deliveredAt: delivery.deliveredAt?.toISOString() ?? null,
    createdAt: delivery.createdAt.toISOString(),
  };
}
