import { Body, Controller, Delete, Get, HttpCode, Param, Post, Put, Query } from '@nestjs/common';
import { ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { Actor } from '../audit/actor.decorator';
import type { TenantActor } from '../audit/audit-trail';
import { ApiEnvelope, ApiErrors, DeletedView } from '../common/api-docs';
import type { TenantPrincipal } from '../common/request-context';
import { ResponseMessage } from '../common/response-envelope';
import { ApiKeyScope, CurrentTenant, TenantApiKeyAuth } from '../common/route-access';
import { UuidParamPipe } from '../common/uuid-param.pipe';
import { CreatedWebhookView, CreateWebhookDto, UpdateWebhookDto, WebhookDeliveryView, WebhookView } from './dto/webhook.dto';
import { PageQueryDto } from '../common/page-query.dto';
import type { Page } from '../common/response-envelope';
import { WebhooksService } from './webhooks.service';

const WEBHOOK_ID = ApiParam({ name: 'id', format: 'uuid', description: 'The subscription id' });

/** A tenant's webhook subscriptions: signed, retried deliveries of its key and API-key events. */
@ApiTags('Webhooks')
@Controller('key/webhooks')
@TenantApiKeyAuth()
@ApiKeyScope('webhooks:manage')
export class WebhooksController {
  constructor(private readonly webhooks: WebhooksService) {}

  @Get()
  @ApiOperation({ summary: "List the tenant's webhooks", description: 'Never a secret.' })
  @ApiEnvelope(WebhookView, { isArray: true })
  @ResponseMessage('Webhooks retrieved')
  list(@CurrentTenant() tenant: TenantPrincipal): Promise<WebhookView[]> {
    return this.webhooks.list(tenant.tenantId);
  }

  @Post()
  @HttpCode(200)
  @ApiOperation({ summary: 'Subscribe a URL to events', description: 'The signing secret (whsec_…) is in the answer, and only there.' })
  @ApiEnvelope(CreatedWebhookView)
  @ApiErrors(400, 409, 413, 415)
  @ResponseMessage('Webhook created')
  create(@Actor() actor: TenantActor, @Body() body: CreateWebhookDto): Promise<CreatedWebhookView> {
    return this.webhooks.create(actor, body);
  }

  @Get(':id')
  @ApiOperation({ summary: 'Get a webhook' })
  @WEBHOOK_ID
  @ApiEnvelope(WebhookView)
  @ApiErrors(400, 404)
  @ResponseMessage('Webhook retrieved')
  get(@CurrentTenant() tenant: TenantPrincipal, @Param('id', UuidParamPipe) id: string): Promise<WebhookView> {
    return this.webhooks.get(tenant.tenantId, id);
  }

  @Put(':id')
  @ApiOperation({ summary: 'Change its URL, events, or whether it is enabled' })
  @WEBHOOK_ID
  @ApiEnvelope(WebhookView)
  @ApiErrors(400, 404, 413, 415)
  @ResponseMessage('Webhook updated')
  update(@Actor() actor: TenantActor, @Param('id', UuidParamPipe) id: string, @Body() body: UpdateWebhookDto): Promise<WebhookView> {
    return this.webhooks.update(actor, id, body);
  }

  @Post(':id/rotate-secret')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Rotate its signing secret',
    description: 'The new secret is in the answer, and only there; the old one keeps signing beside it (two signatures) for 24 hours.',
  })
  @WEBHOOK_ID
  @ApiEnvelope(CreatedWebhookView)
  @ApiErrors(400, 404, 413, 415)
  @ResponseMessage('Webhook secret rotated')
  rotateSecret(@Actor() actor: TenantActor, @Param('id', UuidParamPipe) id: string): Promise<CreatedWebhookView> {
    return this.webhooks.rotateSecret(actor, id);
  }

  @Get(':id/deliveries')
  @ApiOperation({ summary: "A webhook's deliveries", description: 'Newest first, in pages: status, attempts, last answer, next try.' })
  @WEBHOOK_ID
  @ApiEnvelope(WebhookDeliveryView, { paged: true })
  @ApiErrors(400, 404)
  @ResponseMessage('Deliveries retrieved')
  deliveries(
    @CurrentTenant() tenant: TenantPrincipal,
    @Param('id', UuidParamPipe) id: string,
    @Query() query: PageQueryDto,
  ): Promise<Page<WebhookDeliveryView>> {
    return this.webhooks.deliveries(tenant.tenantId, id, query.limit ?? 100, query.cursor);
  }

  @Post(':id/deliveries/:deliveryId/redeliver')
  @HttpCode(200)
  @ApiOperation({ summary: 'Send a delivery again', description: 'Whatever became of it; with the same webhook-id.' })
  @WEBHOOK_ID
  @ApiParam({ name: 'deliveryId', format: 'uuid' })
  @ApiEnvelope(WebhookDeliveryView)
  @ApiErrors(400, 404, 413, 415)
  @ResponseMessage('Delivery queued')
  redeliver(
    @Actor() actor: TenantActor,
    @Param('id', UuidParamPipe) id: string,
    @Param('deliveryId', UuidParamPipe) deliveryId: string,
  ): Promise<WebhookDeliveryView> {
    return this.webhooks.redeliver(actor, id, deliveryId);
  }

  @Delete(':id')
  @ApiOperation({ summary: 'Delete a webhook', description: 'Its pending deliveries go with it.' })
  @WEBHOOK_ID
  @ApiEnvelope(DeletedView)
  @ApiErrors(400, 404)
  @ResponseMessage('Webhook deleted')
  delete(@Actor() actor: TenantActor, @Param('id', UuidParamPipe) id: string): Promise<DeletedView> {
    return this.webhooks.delete(actor, id);
  }
}
