import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { AuditTrail, type AuditEvent, type TenantActor } from '../audit/audit-trail';
import { ValidationFailedError } from '../common/domain-error';
import { APP_CONFIG, type RuntimeConfig } from '../config/config';
import { newWebhookSecret } from '../crypto/standard-webhooks';
import { SecretSealer } from '../sealing/secret-sealer';
import { webhookUrlProblem } from './delivery/public-addresses';
import type { CreatedWebhookView, CreateWebhookDto, UpdateWebhookDto, WebhookDeliveryView, WebhookView } from './dto/webhook.dto';
import type { WebhookDeliveryEntity } from './entities/webhook-delivery.entity';
import { decodeSequenceCursor, encodeCursor, pageOf } from '../common/paging';
import type { Page } from '../common/response-envelope';
import type { WebhookSubscriptionEntity } from './entities/webhook-subscription.entity';
import { WebhookLimitError, WebhookNotFoundError } from './webhook-errors';
import { PREVIOUS_SECRET_SECONDS, previousSecretValid, sealWebhookSecret } from './webhook-secrets';
import { UnitOfWork } from '../changes/unit-of-work';
import { WebhooksRepository, type WebhookChanges } from './webhooks.repository';

/** Subscriptions per tenant: each key change writes a delivery row per matching subscription, in its transaction. */
export const MAX_WEBHOOKS_PER_TENANT = 25;

/** What the audit trail keeps of a URL: its origin, never a path or query that may carry a token. */
const urlOrigin = (url: string) => (URL.canParse(url) ? new URL(url).origin : 'invalid');

/** A tenant's webhook subscriptions; the secret is shown once and sealed at rest like private keys. */
@Injectable()
export class WebhooksService {
  constructor(
    private readonly webhooks: WebhooksRepository,
    private readonly work: UnitOfWork,
    private readonly audit: AuditTrail,
    private readonly sealer: SecretSealer,
    @Inject(APP_CONFIG) private readonly config: RuntimeConfig,
  ) {}

  async list(tenantId: string): Promise<WebhookView[]> {
    return (await this.webhooks.listSubscriptions(tenantId)).map(toWebhookView);
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
        if ((await this.webhooks.countSubscriptionsLocked(manager, actor.tenantId)) >= MAX_WEBHOOKS_PER_TENANT)
          throw new WebhookLimitError(MAX_WEBHOOKS_PER_TENANT);
        const created = await this.webhooks.insertSubscription(manager, {
          id,
          tenantId: actor.tenantId,
          url: request.url,
          events: [...new Set(request.events)],
          description: request.description ?? null,
          enabled: true,
          secretSealed,
        });
        change.audit(event);
        return created;
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
        if (!(await this.webhooks.getSubscription(actor.tenantId, id, manager))) throw new WebhookNotFoundError();
        const changes: WebhookChanges = Object.fromEntries(
          Object.entries({ url: request.url, events: request.events, enabled: request.enabled }).filter(([, value]) => value !== undefined),
        );
        // Enabled again (by hand), or sent elsewhere: it starts afresh, no longer counted as failing.
        if (request.enabled === true || request.url !== undefined) Object.assign(changes, { failingSince: null });
        if (request.enabled === true) Object.assign(changes, { disabledAt: null, disabledReason: null });
        const updated = await this.webhooks.updateSubscription(manager, actor.tenantId, id, changes);
        change.audit(event);
        return toWebhookView(updated);
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
        const found = await this.webhooks.lockSubscription(manager, actor.tenantId, id);
        if (!found) throw new WebhookNotFoundError();
        const updated = await this.webhooks.updateSubscription(manager, actor.tenantId, id, {
          secretSealed: await sealWebhookSecret(this.sealer, actor.tenantId, id, secret),
          previousSecretSealed: found.secretSealed,
          previousSecretExpiresAt: new Date(Date.now() + PREVIOUS_SECRET_SECONDS * 1000),
        });
        change.audit(event);
        return updated;
      });
      return { ...toWebhookView(rotated), secret };
    });
  }

  async delete(actor: TenantActor, id: string): Promise<{ id: string }> {
    const event: AuditEvent = { actor, action: 'webhook.delete', keyId: null, detail: { webhookId: id } };
    return this.audit.attempt(event, () =>
      this.work.run(async (change) => {
        if (!(await this.webhooks.deleteSubscription(change.manager, actor.tenantId, id))) throw new WebhookNotFoundError();
        change.audit(event);
        return { id };
      }),
    );
  }

  /** The subscription's deliveries, newest first, in pages. */
  async deliveries(tenantId: string, id: string, limit: number, cursor?: string): Promise<Page<WebhookDeliveryView>> {
    await this.find(tenantId, id);
    const rows = await this.webhooks.listDeliveries(tenantId, id, limit + 1, cursor ? decodeSequenceCursor(cursor) : undefined);
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
        const delivery = await this.webhooks.redeliver(change.manager, actor.tenantId, id, deliveryId);
        if (!delivery) throw new WebhookNotFoundError('Delivery not found');
        change.audit(event);
        change.announce(actor.tenantId);
        return toDeliveryView(delivery);
      }),
    );
  }

  private async find(tenantId: string, id: string): Promise<WebhookSubscriptionEntity> {
    const found = await this.webhooks.getSubscription(tenantId, id);
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
