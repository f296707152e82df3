import {
  BadRequestException, type INestApplication, PayloadTooLargeException, UnsupportedMediaTypeException,
} from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type { NextFunction, Request, Response } from 'express';
import helmet from 'helmet';
import { Logger } from 'nestjs-pino';
import type { DestinationStream, Logger as PinoRootLogger } from 'pino';
import { createRootLogger, httpLogger, ROOT_LOGGER } from './common/logging';
import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import { AppModule } from './app.module';
import { answerClientErrorsInEnvelope } from './common/client-errors';
import { corsOptionsFor } from './common/cors';
import { requestIdMiddleware } from './common/request-id';
import type { RuntimeConfig } from './config/config';
import { installJwksFastPath } from './keys/jwks-fast-path';
import { installHttpMetrics } from './metrics/http-metrics';
import { setupOpenApi } from './openapi/openapi';

/** Bodies are JSON: anything else with a body is a 415 rather than an empty body that fails validation later. */
function requireJsonBody(req: Request, _res: Response, next: NextFunction): void {
  const length = Number(req.headers['content-length'] ?? 0);
  const hasBody = req.headers['transfer-encoding'] !== undefined || length > 0;
  if (hasBody && !req.is(['application/json', '+json'])) {
    next(new UnsupportedMediaTypeException('Content-Type must be application/json'));
    return;
  }
  next();
}

/** body-parser's failures, named for people: the parser's own messages say nothing about the request. */
function bodyParserErrors(error: { type?: string }, _req: Request, _res: Response, next: NextFunction): void {
  switch (error.type) {
    case 'entity.parse.failed':
      return next(new BadRequestException('Malformed JSON body'));
    case 'entity.too.large':
      return next(new PayloadTooLargeException('Request body too large'));
    case 'encoding.unsupported':
    case 'charset.unsupported':
      return next(new UnsupportedMediaTypeException('Unsupported content encoding or charset'));
    default:
      return next(error);
  }
}

/** The headers a header-only middleware (helmet) sets, captured once for answers that skip Express. */
function headersSetBy(middleware: (req: IncomingMessage, res: ServerResponse, next: () => void) => void): OutgoingHttpHeaders {
  const headers: OutgoingHttpHeaders = {};
  const recorder = { setHeader: (name: string, value: string) => void (headers[name] = value), removeHeader: () => undefined };
  middleware({} as IncomingMessage, recorder as unknown as ServerResponse, () => undefined);
  return headers;
}

/** Builds the app exactly as it serves: main.ts and the e2e tests both come through here. */
export async function createApp(config: RuntimeConfig, { logStream }: { logStream?: DestinationStream } = {}): Promise<INestApplication> {
  const app = await NestFactory.create<NestExpressApplication>(AppModule.forRoot(config, createRootLogger(config, logStream)), {
    bodyParser: false,
    bufferLogs: true,
  });
  app.useLogger(app.get(Logger));
  const rootLogger = app.get<PinoRootLogger>(ROOT_LOGGER);
  app.disable('x-powered-by');
  const securityHeaders = helmet();
  app.use(securityHeaders);
  app.use(requestIdMiddleware);
  app.enableCors(corsOptionsFor(config.corsOrigins));
  app.use(httpLogger(rootLogger));
  app.use(requireJsonBody);
  app.useBodyParser('json', { limit: config.bodyLimitBytes });
  app.use(bodyParserErrors);
  setupOpenApi(app);
  installJwksFastPath(app, headersSetBy(securityHeaders));
  installHttpMetrics(app);
  answerClientErrorsInEnvelope(app.getHttpServer());
  return app;
}
