import { existsSync } from 'node:fs';
import { join } from 'node:path';
import fastifyStatic from '@fastify/static';
import { Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyInstance } from 'fastify';
import { packageRoot } from '../common/package-root';
import { CONSOLE_CSP } from '../common/security-headers';

export const CONSOLE_PATH = '/console/';

/**
 * The tenant admins' console: the static files `npm run build` makes from console/ (dist/console), served at
 * /console/ by @fastify/static, same origin as the API it calls. One route per built file (no wildcard: anything
 * else is the usual 404 envelope); hashed assets are immutable, the page itself revalidates. Its answers carry the
 * console's own Content-Security-Policy in place of the API's; every other header, the log line and the metrics
 * are the global hooks' (app.setup.ts).
 */
@Injectable()
export class ConsoleRoutes implements OnModuleInit {
  private readonly logger = new Logger('Console');

  constructor(private readonly adapterHost: HttpAdapterHost) {}

  onModuleInit(): void {
    const root = join(packageRoot() ?? '.', 'dist', 'console');
    if (!existsSync(join(root, 'index.html'))) {
      this.logger.warn(`The console is not built (no ${root}/index.html): run npm run build`);
      return;
    }
    const fastify = this.adapterHost.httpAdapter.getInstance<FastifyInstance>();
    // Not awaited: awaiting a register here would load Fastify's plugin queue now, and the routes queued before it would
    // be built before Nest sets its error handler (they would answer their errors as bare 500s).
    void fastify.register(async (scope) => {
      scope.addHook('onRequest', (_request, reply, done) => {
        reply.raw.setHeader('Content-Security-Policy', CONSOLE_CSP);
        done();
      });
      scope.get('/console', (_request, reply) => reply.redirect(CONSOLE_PATH, 301));
      await scope.register(fastifyStatic, {
        root,
        prefix: CONSOLE_PATH,
        decorateReply: false,
        wildcard: false,
        cacheControl: false,
        setHeaders: (reply, path) => {
          void reply.header('cache-control', path.includes('/assets/') ? 'public, max-age=31536000, immutable' : 'no-cache');
        },
      });
    });
  }
}
