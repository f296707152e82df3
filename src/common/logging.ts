import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Params } from 'nestjs-pino';
import pino, { type DestinationStream, type Logger } from 'pino';
import { pinoHttp } from 'pino-http';
import pretty from 'pino-pretty';
import type { AuthenticatedRequest } from '../auth/decorators';
import type { RuntimeConfig } from '../config/config';
import type { RoutedRequest } from './request-listener';

/** Injection token of the root pino logger, for answers that skip Express (the cached JWKS). */
export const ROOT_LOGGER = Symbol('ROOT_LOGGER');

/**
 * Wherever these appear in a log object they are censored: credentials in headers, and the names key
 * material goes by. No code logs a body; this is the second line of defence.
 */
const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-api-key"]',
  'res.headers["set-cookie"]',
  ...['privateKey', 'secret', 'apiKey', 'token', 'd', 'k', 'password'].flatMap((name) => [name, `*.${name}`]),
];

type Request = IncomingMessage & RoutedRequest & AuthenticatedRequest & { requestId?: string };

/**
 * The route pattern, never the raw URL with its ids: `/key/:id`, or `unmatched`. The service has no
 * wildcard route: a wildcard is middleware mounted for every path (nestjs-pino's), so nothing matched.
 */
export function routeOf(req: RoutedRequest): string {
  const route = req.routeLabel ?? req.route?.path;
  return route === undefined || route.includes('*') ? 'unmatched' : route;
}

/**
 * One pino logger for the app: JSON lines (pretty when a terminal is attached and no stream is given),
 * at LOG_LEVEL, with credentials redacted.
 */
export function createRootLogger(config: RuntimeConfig, stream?: DestinationStream): Logger {
  const options = { level: config.logLevel, redact: { paths: REDACTED_PATHS, censor: '[Redacted]' } };
  if (stream) return pino(options, stream);
  if (process.stdout.isTTY) return pino(options, pretty({ singleLine: true, translateTime: 'SYS:HH:MM:ss.l', destination: process.stdout }));
  // Buffered writes (flushed at exit by pino): a synchronous write per request line costs a third of the JWKS throughput.
  return pino(options, pino.destination({ sync: false }));
}

/**
 * nestjs-pino keeps one root logger per process, for logs made outside a request; request logs come from
 * each app's own pino-http middleware (`httpLogger`), which nestjs-pino then binds to the request's
 * context (`useExisting`), so that two apps in one process (as in the tests) each log their own requests.
 */
export function loggerParams(logger: Logger): Params {
  return { pinoHttp: { logger }, useExisting: true };
}

/** pino-http: one line per request with method, route, status, duration, request id and tenant id. */
export function httpLogger(logger: Logger) {
  return pinoHttp({
    logger,
    genReqId: (req) => (req as Request).requestId ?? 'unknown',
    // At the end of the request (customProps would also run at its start, before routing and authentication).
    customSuccessObject: (req, _res, line: object) => ({ ...line, ...requestFacts(req as Request) }),
    // Without pino-http's own "failed with status code" error: the exception filter logs the real one.
    customErrorObject: (req, _res, _error, { err: _err, ...line }: { err?: unknown }) => ({ ...line, ...requestFacts(req as Request) }),
    customLogLevel: (_req, res, error) => (error || res.statusCode >= 500 ? 'error' : res.statusCode >= 400 ? 'warn' : 'info'),
    customSuccessMessage: (req, res, responseTime) => `${req.method} ${routeOf(req as Request)} ${res.statusCode} ${responseTime}ms`,
    customErrorMessage: (req, res) => `${req.method} ${routeOf(req as Request)} ${res.statusCode}`,
    serializers: {
      req: (req: { id: string; method: string; url: string; headers: Record<string, unknown> }) => ({ id: req.id, method: req.method, url: req.url, headers: req.headers }),
      res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
    },
  });
}

function requestFacts(req: Request): { route: string; tenantId?: string } {
  return { route: routeOf(req), tenantId: req.tenant?.tenantId };
}

/** The same line for an answer made ahead of Express. */
export function logAnswer(logger: Logger, req: IncomingMessage, res: ServerResponse, requestId: string, route: string, startedAt: bigint, tenantId?: string): void {
  const responseTime = Math.round(Number(process.hrtime.bigint() - startedAt) / 1e6);
  logger.info(
    { req: { id: requestId, method: req.method, url: req.url }, res: { statusCode: res.statusCode }, responseTime, route, tenantId },
    `${req.method} ${route} ${res.statusCode} ${responseTime}ms`,
  );
}
