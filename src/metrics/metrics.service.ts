import { Injectable } from '@nestjs/common';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { DataSource } from 'typeorm';
import { routeOf } from '../common/logging';
import { rsaGenerationCounts } from '../crypto/signing-keys';

/** pg's Pool, as TypeORM's postgres driver holds it. */
interface PgPool {
  totalCount: number;
  idleCount: number;
  waitingCount: number;
}

/**
 * The service's Prometheus metrics, in a registry of its own (so that several apps in one process, as in
 * the tests, do not clash): Node's defaults (event-loop delay, heap, GC), HTTP requests by route and
 * status, key generation by algorithm, RSA generations under way, and the database pool (features register their own gauges here, as the RSA pool does).
 */
@Injectable()
export class MetricsService {
  readonly registry = new Registry();

  readonly httpRequests = new Counter({
    name: 'http_requests_total',
    help: 'HTTP requests answered, by method, route and status',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [this.registry],
  });

  readonly httpDuration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'Time to answer HTTP requests, by method, route and status',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });

  readonly keyGeneration = new Histogram({
    name: 'key_generation_duration_seconds',
    help: 'Time to make a signing key (generate, or take from the RSA pool, and seal), by algorithm',
    labelNames: ['algorithm'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [this.registry],
  });

  /**
   * The labelled children of the two HTTP metrics, looked up once per series instead of hashing the labels on
   * every answer. Bounded: methods x route patterns x statuses, unmatched URLs sharing one route label.
   */
  private readonly answerSeries = new Map<string, { count: Counter.Internal; duration: Histogram.Internal<'method' | 'route' | 'status'> }>();

  constructor(dataSource: DataSource) {
    collectDefaultMetrics({ register: this.registry });
    this.gauge('db_pool_connections', 'Database pool connections: total open, idle, and callers waiting for one', 'state', () => {
      const pool = (dataSource.driver as unknown as { master?: PgPool }).master;
      return pool && { total: pool.totalCount, idle: pool.idleCount, waiting: pool.waitingCount };
    });
    this.gauge(
      'rsa_generations',
      'RSA key generations on the low-priority generator process: running, and waiting for their turn',
      'state',
      rsaGenerationCounts,
    );
  }

  /** A gauge with one label, its values read when Prometheus scrapes: one series per member of what `read` answers. */
  gauge(name: string, help: string, label: string, read: () => Record<string, number> | undefined): void {
    new Gauge({
      name,
      help,
      labelNames: [label],
      registers: [this.registry],
      collect() {
        for (const [value, count] of Object.entries(read() ?? {})) this.set({ [label]: value }, count);
      },
    });
  }

  /**
   * Counts and times an answer by method, route pattern and status (Fastify's onResponse). Unmatched URLs
   * share one label, so that scanners cannot blow up the number of series.
   */
  observeAnswer(request: FastifyRequest, reply: FastifyReply): void {
    const route = routeOf(request);
    const series = `${request.method} ${route} ${reply.statusCode}`;
    let children = this.answerSeries.get(series);
    if (!children) {
      const labels = { method: request.method, route, status: String(reply.statusCode) };
      children = { count: this.httpRequests.labels(labels), duration: this.httpDuration.labels(labels) };
      this.answerSeries.set(series, children);
    }
    children.count.inc();
    children.duration.observe(reply.elapsedTime / 1000);
  }

  /** Times `work` into key_generation_duration_seconds. */
  async timeKeyGeneration<T>(algorithm: string, work: () => Promise<T>): Promise<T> {
    const end = this.keyGeneration.startTimer({ algorithm });
    try {
      return await work();
    } finally {
      end();
    }
  }
}
