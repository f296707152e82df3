import { Global, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { WebhookDeliveryEntity } from './entities/webhook-delivery.entity';
import { WebhookSubscriptionEntity } from './entities/webhook-subscription.entity';
import { ChangeOutbox, UnitOfWork } from '../changes/unit-of-work';
import { WebhookOutbox } from './webhook-outbox';
import { WebhooksController } from './webhooks.controller';
import { WebhooksRepository } from './webhooks.repository';
import { WebhooksService } from './webhooks.service';

/**
 * Subscriptions and the outbox; and, for every module (global), the unit of work every change goes through
 * (changes/unit-of-work.ts) wired to that outbox. The delivery worker is the service's own (WebhookDeliveryModule).
 */
@Global()
@Module({
  imports: [TypeOrmModule.forFeature([WebhookSubscriptionEntity, WebhookDeliveryEntity])],
  controllers: [WebhooksController],
  providers: [WebhooksService, WebhooksRepository, WebhookOutbox, { provide: ChangeOutbox, useExisting: WebhookOutbox }, UnitOfWork],
  exports: [UnitOfWork, WebhooksRepository],
})
export class WebhooksModule {}
