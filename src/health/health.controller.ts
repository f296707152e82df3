import { Controller, Get, HttpStatus } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { Public } from '../auth/decorators';
import { DomainError } from '../common/domain-error';
import { ResponseMessage } from '../common/response-envelope';

const PROBE_TIMEOUT_MS = 2_000;

@Controller('health')
@Public()
export class HealthController {
  constructor(private readonly dataSource: DataSource) {}

  /** 200 when the database answers within two seconds, 503 otherwise. */
  @Get()
  @ResponseMessage('Healthy')
  async check(): Promise<{ database: 'up' }> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error('health probe timed out')), PROBE_TIMEOUT_MS);
    });
    try {
      await Promise.race([this.dataSource.query('SELECT 1'), timeout]);
      return { database: 'up' };
    } catch {
      throw new DomainError('DATABASE_UNAVAILABLE', HttpStatus.SERVICE_UNAVAILABLE, 'Database unavailable');
    } finally {
      clearTimeout(timer);
    }
  }
}
