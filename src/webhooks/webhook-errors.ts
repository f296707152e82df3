import { DomainError } from '../common/domain-error';

/** No such webhook (or delivery) for this tenant: also what another tenant's id answers. */
export class WebhookNotFoundError extends DomainError {
  constructor(message = 'Webhook not found') {
    super('WEBHOOK_NOT_FOUND', message);
  }
}

/** The tenant has as many webhook subscriptions as it may. */
export class WebhookLimitError extends DomainError {
  constructor(limit: number) {
    super('WEBHOOK_LIMIT_REACHED', `A tenant has at most ${limit} webhooks: delete one first`);
  }
}
