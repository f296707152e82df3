import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { INestApplication } from '@nestjs/common';
import { routeOf } from '../common/logging';
import { MetricsService } from './metrics.service';

/** A request as Express leaves it (`route` once matched), or as a handler ahead of Express labels it. */
export type RoutedRequest = IncomingMessage & { route?: { path: string }; routeLabel?: string };

/**
 * Counts and times every answer by method, route pattern and status, ahead of every other handler so
 * that answers which skip Express (the cached JWKS) are counted too. Unmatched URLs share one label,
 * so that scanners cannot blow up the number of series.
 */
export function installHttpMetrics(app: INestApplication): void {
  const metrics = app.get(MetricsService);
  const server = app.getHttpServer() as Server;
  const handlers = server.listeners('request') as ((req: IncomingMessage, res: ServerResponse) => void)[];
  server.removeAllListeners('request');
  server.on('request', (req: RoutedRequest, res: ServerResponse) => {
    const started = process.hrtime.bigint();
    res.once('finish', () => {
      const labels = { method: req.method ?? 'UNKNOWN', route: routeOf(req), status: String(res.statusCode) };
      metrics.httpRequests.inc(labels);
      metrics.httpDuration.observe(labels, Number(process.hrtime.bigint() - started) / 1e9);
    });
    for (const handler of handlers) handler(req, res);
  });
}
