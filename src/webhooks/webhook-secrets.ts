import { webhookSecretAssociatedData } from '../crypto/sealing';
import type { SecretSealer, SealedColumn } from '../sealing/secret-sealer';
import { webhookSignature } from '../crypto/standard-webhooks';
import type { WebhookSubscriptionEntity } from './entities/webhook-subscription.entity';

/** A subscription's secret, and the one before its last rotation, sealed to its row (tenant id, subscription id). */
export const WEBHOOK_SEALED_COLUMNS: readonly SealedColumn[] = [
  { table: 'webhook_subscriptions', column: 'secret_sealed', associatedData: webhookSecretAssociatedData },
  { table: 'webhook_subscriptions', column: 'previous_secret_sealed', associatedData: webhookSecretAssociatedData },
];

/** How long the secret before a rotation keeps signing beside the new one. */
export const PREVIOUS_SECRET_SECONDS = 24 * 60 * 60;

/** Whether the secret before the last rotation still signs. */
export function previousSecretValid(subscription: Pick<WebhookSubscriptionEntity, 'previousSecretExpiresAt'>, now = new Date()): boolean {
  return subscription.previousSecretExpiresAt !== null && subscription.previousSecretExpiresAt > now;
}

/** A subscription's secret sealed to its row (tenant id and subscription id), like a private key. */
export function sealWebhookSecret(sealer: Pick<SecretSealer, 'seal'>, tenantId: string, id: string, secret: string): Promise<Buffer> {
  return sealer.seal(Buffer.from(secret), webhookSecretAssociatedData(tenantId, id));
}

/**
 * The `webhook-signature` header of one attempt: the current secret's signature, and the previous secret's beside it
 * (space-separated, as Standard Webhooks allows) until that one expires, so receivers can move to the new secret
 * at their own pace within the day.
 */
export async function signatureHeader(
  sealer: Pick<SecretSealer, 'open'>,
  subscription: WebhookSubscriptionEntity,
  message: { id: string; timestamp: number; body: string },
  now = new Date(),
): Promise<string> {
  const sealed = [subscription.secretSealed];
  if (subscription.previousSecretSealed && previousSecretValid(subscription, now)) sealed.push(subscription.previousSecretSealed);
  const associatedData = webhookSecretAssociatedData(subscription.tenantId, subscription.id);
  const secrets = await Promise.all(sealed.map((blob) => sealer.open(blob, associatedData)));
  return secrets.map((secret) => webhookSignature(secret.toString(), message.id, message.timestamp, message.body)).join(' ');
}
