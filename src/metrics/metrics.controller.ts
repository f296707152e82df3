import { Controller, Get, Res } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { MetricsTokenAuth } from '../common/route-access';
import { MetricsService } from './metrics.service';

@ApiTags('Health')
@Controller('metrics')
@MetricsTokenAuth()
export class MetricsController {
  constructor(private readonly metrics: MetricsService) {}

  /** Prometheus text format, not the envelope: what scrapers read. */
  @Get()
  @ApiOperation({
    summary: 'Prometheus metrics',
    description:
      'Requests and latency by route and status, key generation by algorithm, RSA pool, event-loop delay, database pool. Public unless METRICS_TOKEN is set; expose it to your scraper only.',
  })
  @ApiProduces('text/plain')
  @ApiOkResponse({ description: 'Prometheus text exposition format', schema: { type: 'string' } })
  async scrape(@Res() reply: FastifyReply): Promise<void> {
    void reply.type(this.metrics.registry.contentType).send(await this.metrics.registry.metrics());
  }
}
