import { Global, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { WebhookDeliveryEntity } from './entities/webhook-delivery.entity';
import { WebhookSubscriptionEntity } from './entities/webhook-subscription.entity';
import { UnitOfWork } from './unit-of-work';
import { WebhookOutbox } from './webhook-outbox';
import { WebhooksController } from './webhooks.controller';
import { WebhooksRepository } from './webhooks.repository';
import { WebhooksService } from './webhooks.service';

/**
 * Subscriptions, and the unit of work every change goes through (global), with the outbox it writes events to; the
 * delivery worker is the service's own (WebhookDeliveryModule).
 */
@Global()
@Module({
  imports: [TypeOrmModule.forFeature([WebhookSubscriptionEntity, WebhookDeliveryEntity])],
  controllers: [WebhooksController],
  providers: [WebhooksService, WebhooksRepository, WebhookOutbox, UnitOfWork],
  exports: [UnitOfWork, WebhooksRepository],
})
export class WebhooksModule {}
