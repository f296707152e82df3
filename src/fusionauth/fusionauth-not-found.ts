import { Injectable, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyInstance } from 'fastify';

/**
 * The rest of FusionAuth's API under `/api` (users, applications, …) is not served: a 404 without a body, as FusionAuth
 * answers an unknown resource, rather than the envelope its clients cannot read. Fastify's not-found handler for the
 * `/api` prefix (a catch-all route would also swallow what the router refuses itself, such as a path parameter over
 * its limit: 414). Registered without awaiting Fastify's plugin queue (see console.routes.ts).
 */
@Injectable()
export class FusionAuthNotFound implements OnModuleInit {
  constructor(private readonly adapterHost: HttpAdapterHost) {}

  onModuleInit(): void {
    const fastify = this.adapterHost.httpAdapter.getInstance<FastifyInstance>();
    void fastify.register(
      (scope, _options, done) => {
        scope.setNotFoundHandler((_request, reply) => reply.code(404).send());
        done();
      },
      { prefix: '/api' },
    );
  }
}
