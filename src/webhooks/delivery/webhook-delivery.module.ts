import { Module } from '@nestjs/common';
import { WebhookDeliveryWorker } from './webhook-delivery.worker';

/** Sends the outbox; in the service, not in the CLI. */
@Module({ providers: [WebhookDeliveryWorker] })
export class WebhookDeliveryModule {}
