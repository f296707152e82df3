import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { APP_CONFIG, type RuntimeConfig } from '../../config/config';
import { isDatabaseUnavailable } from '../../database/database-errors';
import { KeyLifecycle } from './key-lifecycle';

/**
 * Runs the due lifecycle steps every LIFECYCLE_TICK_SECONDS in every instance, and once at start (steps that fell
 * due while every instance was down). What is due lives in the database; the timer only says when to look.
 */
@Injectable()
export class KeyLifecycleScheduler implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(KeyLifecycleScheduler.name);
  private timer?: NodeJS.Timeout;
  private running: Promise<void> = Promise.resolve();
  private stopped = false;

  constructor(
    private readonly lifecycle: KeyLifecycle,
    @Inject(APP_CONFIG) private readonly config: RuntimeConfig,
  ) {}

  onApplicationBootstrap(): void {
    this.schedule(0);
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.running = this.tick().finally(() => this.schedule(this.config.lifecycleTickSeconds * 1000));
    }, delayMs);
    this.timer.unref();
  }

  private async tick(): Promise<void> {
    try {
      const taken = await this.lifecycle.runDueSteps();
      if (taken > 0) this.logger.log(`Took ${taken} key lifecycle steps`);
    } catch (error) {
      // The next tick tries again: every step is still due in the database.
      const reason = isDatabaseUnavailable(error) ? 'database unavailable' : (error as Error).message;
      this.logger.warn(`Key lifecycle steps stopped for now: ${reason}`);
    }
  }
}
