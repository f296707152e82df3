import type { Server } from 'node:http';
import type { INestApplication } from '@nestjs/common';
import { routeOf } from '../common/logging';
import { handleRequestsFirst } from '../common/request-listener';
import { MetricsService } from './metrics.service';

/**
 * Counts and times every answer by method, route pattern and status, ahead of every other handler so
 * that answers which skip Express (the cached JWKS) are counted too. Unmatched URLs share one label,
 * so that scanners cannot blow up the number of series.
 */
export function installHttpMetrics(app: INestApplication): void {
  const metrics = app.get(MetricsService);
  handleRequestsFirst(app.getHttpServer() as Server, (req, res, passOn) => {
    const started = process.hrtime.bigint();
    res.once('finish', () => {
      const labels = { method: req.method ?? 'UNKNOWN', route: routeOf(req), status: String(res.statusCode) };
      metrics.httpRequests.inc(labels);
      metrics.httpDuration.observe(labels, Number(process.hrtime.bigint() - started) / 1e9);
    });
    passOn(req, res);
  });
}
