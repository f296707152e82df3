import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { WebhookDeliveryEntity } from './entities/webhook-delivery.entity';
import { WebhookSubscriptionEntity } from './entities/webhook-subscription.entity';
import { WebhookOutbox } from './webhook-outbox';
import { WebhooksController } from './webhooks.controller';
import { WebhooksService } from './webhooks.service';

/** Subscriptions and the outbox every change writes to; the delivery worker is the service's own (WebhookDeliveryModule). */
@Module({
  imports: [TypeOrmModule.forFeature([WebhookSubscriptionEntity, WebhookDeliveryEntity])],
  controllers: [WebhooksController],
  providers: [WebhooksService, WebhookOutbox],
  exports: [WebhookOutbox],
})
export class WebhooksModule {}
