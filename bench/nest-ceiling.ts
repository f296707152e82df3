/**
 * npm run bench:ceiling — how fast can any route be here? The same 100-key JSON body from a bare
 * node:http server and from a bare Nest + Fastify route (no hook, guard or pipe), both measured
 * with autocannon in this process. Our JWKS route is judged against the second figure as well as the first.
 */
import 'reflect-metadata';
import { createServer } from 'node:http';
import { Controller, Get, Module, Res } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import autocannon from 'autocannon';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import type { FastifyReply } from 'fastify';
import { freePort } from '../tools/free-port';

const body = JSON.stringify({
  keys: Array.from({ length: 100 }, (_, i) => ({
    kty: 'EC',
    crv: 'P-256',
    x: 'x'.repeat(43),
    y: 'y'.repeat(43),
    kid: String(i),
    alg: 'ES256',
    use: 'sig',
  })),
});

@Controller()
class CeilingController {
  @Get('jwks')
  jwks(@Res() reply: FastifyReply): void {
    void reply.type('application/json').send(body);
  }
}

@Module({ controllers: [CeilingController] })
class CeilingModule {}

const requestsPerSecond = async (url: string) => (await autocannon({ url, connections: 10, duration: 5 })).requests.average;

async function main(): Promise<void> {
  const rawPort = await freePort();
  const raw = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(body);
  }).listen(rawPort, '127.0.0.1');
  const app = await NestFactory.create(CeilingModule, new FastifyAdapter(), { logger: false });
  const nestPort = await freePort();
  await app.listen(nestPort, '127.0.0.1');
  const rawRps = await requestsPerSecond(`http://127.0.0.1:${rawPort}/jwks`);
  const nestRps = await requestsPerSecond(`http://127.0.0.1:${nestPort}/jwks`);
  console.log(`bare node:http:          ${rawRps.toFixed(0)} req/s`);
  console.log(`bare Nest + Fastify:     ${nestRps.toFixed(0)} req/s (${((nestRps / rawRps) * 100).toFixed(0)}% of node:http)`);
  raw.close();
  await app.close();
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
