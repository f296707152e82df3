import { monitorEventLoopDelay } from 'node:perf_hooks';
import { Controller, Get, HttpStatus, type OnModuleDestroy } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { Public } from '../auth/decorators';
import { DomainError } from '../common/domain-error';
import { ResponseMessage } from '../common/response-envelope';
import { RsaKeyPool } from '../keys/rsa-key-pool';

const PROBE_TIMEOUT_MS = 2_000;

interface HealthReport {
  database: 'up';
  eventLoopDelayMs: { p50: number; p99: number; max: number };
  /** Pre-generated RSA pairs ready, per modulus length. */
  rsaPoolReady: Record<string, number>;
}

@Controller('health')
@Public()
export class HealthController implements OnModuleDestroy {
  /** Event-loop delay since start: how long ready callbacks waited (a blocked loop shows here first). */
  private readonly eventLoopDelay = monitorEventLoopDelay({ resolution: 10 });

  constructor(
    private readonly dataSource: DataSource,
    private readonly rsaPool: RsaKeyPool,
  ) {
    this.eventLoopDelay.enable();
  }

  onModuleDestroy(): void {
    this.eventLoopDelay.disable();
  }

  /** 200 when the database answers within two seconds, 503 otherwise; with the event-loop delay since start. */
  @Get()
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
      throw new DomainError('DATABASE_UNAVAILABLE', HttpStatus.SERVICE_UNAVAILABLE, 'Database unavailable');
    } finally {
      clearTimeout(timer);
    }
  }
}
