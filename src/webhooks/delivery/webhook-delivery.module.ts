import { Module } from '@nestjs/common';
import { WebhooksModule } from '../webhooks.module';
import { WebhookDeliveryWorker } from './webhook-delivery.worker';

/** Sends the outbox; in the service, not in the CLI. */
@Module({ imports: [WebhooksModule], providers: [WebhookDeliveryWorker] })
export class WebhookDeliveryModule {}
