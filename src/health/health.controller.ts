import { monitorEventLoopDelay } from 'node:perf_hooks';
import { Controller, Get, type OnModuleDestroy, ServiceUnavailableException } from '@nestjs/common';
import { ApiOperation, ApiProperty, ApiTags } from '@nestjs/swagger';
import {
  HealthCheckService,
  HealthIndicatorService,
  TypeOrmHealthIndicator,
  type HealthCheckResult,
  type HealthIndicatorFunction,
} from '@nestjs/terminus';
import { DataSource } from 'typeorm';
import { Public } from '../common/route-access';
import { ApiEnvelope } from '../common/api-docs';
import { ResponseMessage } from '../common/response-envelope';
import { RsaKeyPool } from '../tenant-keys/material/rsa-key-pool';
import { DatabaseUnavailableError, NotReadyError } from './health-errors';

const PROBE_TIMEOUT_MS = 2_000;

class EventLoopDelayView {
  @ApiProperty() p50: number;
  @ApiProperty() p99: number;
  @ApiProperty() max: number;
}

class HealthReport {
  @ApiProperty({ enum: ['up'] })
  database: 'up';

  @ApiProperty({ type: EventLoopDelayView, description: 'Milliseconds since start' })
  eventLoopDelayMs: EventLoopDelayView;

  @ApiProperty({
    type: 'object',
    additionalProperties: { type: 'integer' },
    example: { 2048: 4 },
    description: 'Pre-generated RSA pairs ready, per modulus length',
  })
  rsaPoolReady: Record<string, number>;
}

class ProbeView {
  @ApiProperty({ enum: ['ok'] })
  status: string;

  @ApiProperty({ type: 'object', additionalProperties: true, example: { database: { status: 'up' }, migrations: { status: 'up' } } })
  details: Record<string, unknown>;
}

@ApiTags('Health')
@Controller('health')
@Public()
export class HealthController implements OnModuleDestroy {
  /** Event-loop delay since start: how long ready callbacks waited (a blocked loop shows here first). */
  private readonly eventLoopDelay = monitorEventLoopDelay({ resolution: 10 });

  constructor(
    private readonly dataSource: DataSource,
    private readonly rsaPool: RsaKeyPool,
    private readonly probes: HealthCheckService,
    private readonly database: TypeOrmHealthIndicator,
    private readonly indicators: HealthIndicatorService,
  ) {
    this.eventLoopDelay.enable();
  }

  onModuleDestroy(): void {
    this.eventLoopDelay.disable();
  }

  /** 200 when the database answers within two seconds, 503 otherwise; with the event-loop delay since start. */
  @Get()
  @ApiOperation({ summary: 'Health as the contract has it', description: '200 when the database answers within two seconds, 503 otherwise.' })
  @ApiEnvelope(HealthReport)
  @ResponseMessage('Healthy')
  async check(): Promise<HealthReport> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error('health probe timed out')), PROBE_TIMEOUT_MS);
    });
    try {
      await Promise.race([this.dataSource.query('SELECT 1'), timeout]);
      const ms = (nanoseconds: number) => Math.round(nanoseconds / 1e4) / 100;
      const delay = this.eventLoopDelay;
      return {
        database: 'up',
        eventLoopDelayMs: { p50: ms(delay.percentile(50)), p99: ms(delay.percentile(99)), max: ms(delay.max) },
        rsaPoolReady: this.rsaPool.readyCounts(),
      };
    } catch {
      throw new DatabaseUnavailableError();
    } finally {
      clearTimeout(timer);
    }
  }

  /** Liveness: the process answers. Restart it only when this fails. */
  @Get('live')
  @ApiOperation({ summary: 'Liveness probe', description: 'The process is up and its event loop turns; nothing else is checked.' })
  @ApiEnvelope(ProbeView)
  @ResponseMessage('Live')
  live(): Promise<ProbeView> {
    return this.probe([]);
  }

  /** Readiness: send traffic only when the database answers and every migration is applied. */
  @Get('ready')
  @ApiOperation({
    summary: 'Readiness probe',
    description: '200 when the database answers within two seconds and no migration is pending; 503 naming what is not ready.',
  })
  @ApiEnvelope(ProbeView)
  @ResponseMessage('Ready')
  ready(): Promise<ProbeView> {
    return this.probe([
      () => this.database.pingCheck('database', { timeout: PROBE_TIMEOUT_MS }),
      async () => {
        const migrations = this.indicators.check('migrations');
        const pending = await this.dataSource.showMigrations().catch(() => undefined);
        if (pending === undefined) return migrations.down('cannot tell: database unavailable');
        return pending ? migrations.down('pending migrations') : migrations.up();
      },
    ]);
  }

  /** Terminus' result, or a 503 in the envelope naming the checks that failed. */
  private async probe(checks: HealthIndicatorFunction[]): Promise<ProbeView> {
    try {
      const result = await this.probes.check(checks);
      return { status: result.status, details: result.details };
    } catch (error) {
      if (!(error instanceof ServiceUnavailableException)) throw error;
      const { error: failed = {} } = error.getResponse() as HealthCheckResult;
      throw new NotReadyError(Object.keys(failed));
    }
  }
}
