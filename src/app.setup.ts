import type { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import fastifyCors from '@fastify/cors';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { DestinationStream } from 'pino';
import { AppModule } from './app.module';
import { openHsm } from './hsm/hsm.module';
import { answerClientErrorInEnvelope, answerFrameworkErrorInEnvelope, MAX_PATH_PARAMETER_LENGTH } from './common/client-errors';
import { addJwksCors, answeredJwksPreflight, apiCorsOptions } from './common/cors';
import { addEnvelope } from './common/envelope';
import { createRootLogger, logAnswer, PinoNestLogger } from './common/logging';
import { requestIdFor } from './common/request-id';
import { SECURITY_HEADERS } from './common/security-headers';
import { MalformedJsonError } from './common/domain-error';
import type { RuntimeConfig } from './config/config';
import { MetricsService } from './metrics/metrics.service';
import { setupOpenApi } from './openapi/openapi';

/** Request bodies are small JSON objects; anything bigger is a 413. */
const BODY_LIMIT_BYTES = 100 * 1024;

/**
 * The only body parser: JSON (`application/json` and its `+json` relatives; any other content type with a
 * body is Fastify's 415), where an empty body is no body (a DELETE sent with a JSON content type). JSON.parse
 * keeps `__proto__` as a plain own key, which validation then refuses by name.
 */
function acceptJsonBodiesOnly(fastify: FastifyInstance): void {
  fastify.removeAllContentTypeParsers();
  const parseJson = (_request: FastifyRequest, body: string | Buffer, done: (error: Error | null, parsed?: unknown) => void) => {
    if (body.length === 0) return done(null, undefined);
    try {
      done(null, JSON.parse(body.toString()));
    } catch {
      done(new MalformedJsonError());
    }
  };
  fastify.addContentTypeParser('application/json', { parseAs: 'string' }, parseJson);
  // Fastify matches a RegExp against the whole header, parameters (`; charset=utf-8`) included.
  fastify.addContentTypeParser(/^application\/[\w!#$&^.-]+\+json(?:\s*;|$)/, { parseAs: 'string' }, parseJson);
}

/** Builds the app exactly as it serves: main.ts and the e2e tests both come through here. */
export async function createApp(config: RuntimeConfig, { logStream }: { logStream?: DestinationStream } = {}): Promise<INestApplication> {
  const logger = createRootLogger(config, logStream);
  const adapter = new FastifyAdapter({
    bodyLimit: BODY_LIMIT_BYTES,
    genReqId: requestIdFor,
    // Requests on connections already open when SIGTERM comes are still answered (main.ts closes those connections).
    return503OnClosing: false,
    clientErrorHandler: answerClientErrorInEnvelope,
    frameworkErrors: answerFrameworkErrorInEnvelope,
    routerOptions: { maxParamLength: MAX_PATH_PARAMETER_LENGTH },
  });
  // The HSM first: a library, token or PIN that does not do is a ConfigError, said in one line.
  const hsm = openHsm(config);
  const app = await NestFactory.create<NestFastifyApplication>(AppModule.forRoot(config, hsm), adapter, {
    bodyParser: false,
    logger: new PinoNestLogger(logger),
  });
  const fastify = app.getHttpAdapter().getInstance();
  acceptJsonBodiesOnly(fastify);
  // Once per request: the security headers and the request's id on the answer (a JWKS preflight is answered
  // here, before the APIs' CORS); when answered, one log line and the metrics.
  fastify.addHook('onRequest', (request, reply, done) => {
    for (const [name, value] of SECURITY_HEADERS) reply.raw.setHeader(name, value);
    void reply.header('x-request-id', request.id);
    if (!answeredJwksPreflight(request, reply)) done();
  });
  fastify.addHook('onRoute', addJwksCors);
  fastify.addHook('onRoute', addEnvelope);
  const apiCors = apiCorsOptions(config.corsOrigins);
  if (apiCors) await app.register(fastifyCors, apiCors);
  const metrics = app.get(MetricsService);
  // The request line holds only fields chosen in logAnswer, none of them a credential: no redaction pass needed.
  const requestLogger = logger.child({}, { redact: [] });
  fastify.addHook('onResponse', (request, reply, done) => {
    logAnswer(requestLogger, request, reply);
    metrics.observeAnswer(request, reply);
    done();
  });
  setupOpenApi(app);
  return app;
}
