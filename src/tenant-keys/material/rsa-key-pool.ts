import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { APP_CONFIG, type RuntimeConfig } from '../../config/config';
import { generateRsaKeyPairFor, type GeneratedKey } from '../../crypto/signing-keys';
import { type SigningKeySpec } from '../../crypto/algorithms';
import { MetricsService } from '../../metrics/metrics.service';

/**
 * RSA key pairs made ahead of time, so that generating an RSA key costs what an EC key does. Bounded
 * per modulus length (RSA_POOL_SIZES), refilled one pair at a time per length in the background on
 * the low-priority generator process, in the pool's own turn (generateRsaKeyPairFor), held only in memory: a pair is sealed like any other key once it is taken.
 */
@Injectable()
export class RsaKeyPool implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(RsaKeyPool.name);
  private readonly ready = new Map<number, GeneratedKey[]>();
  private readonly refilling = new Set<number>();
  private stopped = false;

  constructor(
    @Inject(APP_CONFIG) private readonly config: RuntimeConfig,
    metrics: MetricsService,
  ) {
    if (config.rsaPoolSizes.size === 0) return;
    metrics.gauge('rsa_pool_ready', 'Pre-generated RSA key pairs ready, by modulus length', 'length', () => this.readyCounts());
  }

  onApplicationBootstrap(): void {
    for (const length of this.config.rsaPoolSizes.keys()) void this.refill(length);
  }

  onApplicationShutdown(): void {
    this.stopped = true;
    this.ready.clear();
  }

  /** A ready pair for this RSA spec, never handed out twice; undefined when none is ready (generate directly). */
  take(spec: SigningKeySpec): GeneratedKey | undefined {
    if (spec.type !== 'RSA') return undefined;
    const pair = this.ready.get(spec.length)?.shift();
    void this.refill(spec.length);
    return pair;
  }

  readyCounts(): Record<string, number> {
    return Object.fromEntries([...this.config.rsaPoolSizes.keys()].map((length) => [String(length), this.size(length)]));
  }

  size(length: number): number {
    return this.ready.get(length)?.length ?? 0;
  }

  private async refill(length: number): Promise<void> {
    const target = this.config.rsaPoolSizes.get(length) ?? 0;
    if (this.refilling.has(length) || target === 0) return;
    this.refilling.add(length);
    try {
      while (!this.stopped && this.size(length) < target) {
        const pair = await generateRsaKeyPairFor('pool', length);
        if (this.stopped) return;
        if (!this.ready.has(length)) this.ready.set(length, []);
        this.ready.get(length)!.push(pair);
      }
    } catch (error) {
      this.logger.warn(`RSA ${length} pool refill failed: ${(error as Error).message}`);
    } finally {
      this.refilling.delete(length);
    }
  }
}
