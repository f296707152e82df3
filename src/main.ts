import 'reflect-metadata';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { type INestApplication, Logger } from '@nestjs/common';
import { createApp } from './app.setup';
import { createRootLogger, PinoNestLogger } from './common/logging';
import { ConfigError, loadConfig, loadDotEnv } from './config/config';
import { prepareRuntime, type Runtime } from './runtime';

async function main(): Promise<void> {
  loadDotEnv();
  const logger = new Logger('Main');
  let config;
  try {
    config = loadConfig();
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    for (const problem of error.problems) process.stderr.write(`Configuration error: ${problem}\n`);
    process.exit(1);
  }
  // What is logged before the app exists (the embedded database, a generated key) is logged as the app logs.
  Logger.overrideLogger(new PinoNestLogger(createRootLogger(config)));

  // Our own signal handling rather than enableShutdownHooks: Nest's re-raises the signal after closing,
  // and the embedded database must stop after the app (and its connections) have closed: in-flight
  // requests finish, new connections are refused, then the database stops. Installed before anything
  // starts, so that a Ctrl-C during the first start (initdb, migrations) stops what has started.
  let runtime: Runtime | undefined;
  let app: INestApplication | undefined;
  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.log(`${signal} received: closing`);
    try {
      if (app) await closeGracefully(app);
    } finally {
      await runtime?.stop();
    }
    logger.log('Closed: every request answered');
    process.exit(0);
  };
  process.once('SIGTERM', () => void shutdown('SIGTERM'));
  process.once('SIGINT', () => void shutdown('SIGINT'));

  runtime = await prepareRuntime(config);
  try {
    app = await createApp(runtime.config);
    // Every interface, as a container needs (Fastify alone would listen on localhost only).
    await app.listen(runtime.config.port, '0.0.0.0');
  } catch (error) {
    await runtime.stop();
    throw error;
  }
  logger.log(`Key service listening on http://localhost:${runtime.config.port}`);
}

/**
 * Requests already on an open connection are still answered, each with Connection: close, so that no client
 * keeps a connection (and the close) going; app.close() stops listening and waits for them. A request in flight
 * at the signal was answered with keep-alive: its connection is closed once idle (Fastify would otherwise keep it
 * for its 72 s keep-alive timeout).
 */
async function closeGracefully(app: INestApplication): Promise<void> {
  const server = app.getHttpServer() as Server;
  server.prependListener('request', (_req: IncomingMessage, res: ServerResponse) => void (res.shouldKeepAlive = false));
  const sweep = setInterval(() => server.closeIdleConnections(), 100);
  try {
    await app.close();
  } finally {
    clearInterval(sweep);
  }
}

main().catch((error: unknown) => {
  if (error instanceof ConfigError) for (const problem of error.problems) process.stderr.write(`Configuration error: ${problem}\n`);
  else new Logger('Main').error(error instanceof Error ? error.message : String(error));
  process.exit(1);
});
