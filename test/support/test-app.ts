import { randomBytes } from 'node:crypto';
import type { INestApplication } from '@nestjs/common';
import type { FastifyInstance } from 'fastify';
import type { Server } from 'node:http';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { createApp } from '../../src/app.setup';
import { loadConfig, settleConfig, type RuntimeConfig } from '../../src/config/config';
import { TenantsService } from '../../src/tenants/tenants.service';
import { captureResponses, capturingStream, expectNoSecretsLeaked, newCapture } from './secret-scan';
import { createTestDatabase } from './test-database';
import { cliActor } from '../../src/audit/audit-trail';
import { rsaGenerationCounts } from '../../src/crypto/signing-keys';
import { eventually } from './eventually';

export interface TestTenant {
  tenantId: string;
  apiKeyId: string;
  apiKey: string;
  /** The headers a tenant admin tool sends. */
  headers: Record<string, string>;
}

export interface TestApp {
  app: INestApplication;
  http: Server;
  config: RuntimeConfig;
  dataSource: DataSource;
  /** Every JSON log line the app wrote so far. */
  logs: readonly string[];
  /** Every route Fastify registered, as `METHOD /path/:param`. */
  routes: readonly string[];
  createTenant(name?: string): Promise<TestTenant>;
  /** A secret the test made (an API key): the secret scan then fails if any log line or answer but its own shows it. */
  trackSecret(secret: string): void;
  /**
   * Runs `work`, which provokes errors on purpose: their log lines are kept (and scanned) but not printed,
   * so that a green run shows no stack traces. Answers the messages of the error lines logged meanwhile.
   */
  withExpectedErrors(work: () => Promise<unknown>): Promise<string[]>;
  close(): Promise<void>;
}

export function tenantHeaders(tenantId: string, apiKey: string): Record<string, string> {
  return { authorization: `Basic ${apiKey}`, 'x-stencil-tenantid': tenantId };
}

/**
 * The real app, built as main.ts builds it, on its own fresh database; or, given `shareWith`, a second
 * instance on that app's database and key-encryption key; or on `env.DATABASE_URL` (closing either of
 * the last two leaves the database alone).
 */
export async function startTestApp(env: NodeJS.ProcessEnv = {}, shareWith?: TestApp): Promise<TestApp> {
  // A database of the test's own (env.DATABASE_URL), another instance's, or a fresh one dropped at close.
  const database = env.DATABASE_URL
    ? { url: env.DATABASE_URL, drop: async () => undefined }
    : shareWith
      ? { url: shareWith.config.databaseUrl, drop: async () => undefined }
      : await createTestDatabase();
  // No RSA pool and no rate limit unless a test asks: the pool's background generations would only
  // slow the other tests, and tests send bursts that a limit is there to stop.
  const loaded = loadConfig({
    RSA_POOL_SIZES: 'off',
    ...(env.RATE_LIMIT === undefined ? { RATE_LIMIT_WRITES: 'off' } : {}),
    // Every line is kept for the secret scan; none is printed but errors.
    LOG_LEVEL: 'trace',
    // The other instance's key-encryption keys, the test's own (KEY_ENCRYPTION_KEYS), or a fresh one.
    ...(env.KEY_ENCRYPTION_KEYS ? {} : { KEY_ENCRYPTION_KEY: (shareWith?.config.sealingKey ?? randomBytes(32)).toString('base64') }),
    ...env,
    DATABASE_URL: database.url,
  });
  const config = settleConfig(loaded, { databaseUrl: database.url });
  // Every log line and response of the app is kept, and searched for secrets when it closes.
  const captured = newCapture();
  if (config.metricsToken) captured.issuedSecrets.push(config.metricsToken);
  let expectingErrors = 0;
  const app = await createApp(config, { logStream: capturingStream(captured.logs, () => expectingErrors > 0) });
  captureResponses(app.getHttpServer() as Server, captured.responses);
  const routes: string[] = [];
  const fastify = app.getHttpAdapter().getInstance() as FastifyInstance;
  fastify.addHook('onRoute', ({ method, url }) => {
    for (const verb of [method].flat()) routes.push(`${verb} ${url}`);
  });
  await app.init();
  // Fastify finishes its routes' hooks when ready; supertest serves the raw server without Fastify's listen.
  await fastify.ready();
  const dataSource = app.get(DataSource);
  return {
    app,
    http: app.getHttpServer() as Server,
    config,
    dataSource,
    logs: captured.logs,
    routes,
    async createTenant(name = 'test-tenant') {
      const issued = await app.get(TenantsService).createTenant(cliActor(), name);
      captured.issuedSecrets.push(issued.apiKey);
      return { ...issued, headers: tenantHeaders(issued.tenantId, issued.apiKey) };
    },
    trackSecret(secret) {
      captured.issuedSecrets.push(secret);
    },
    async withExpectedErrors(work) {
      const from = captured.logs.length;
      expectingErrors += 1;
      try {
        await work();
      } finally {
        expectingErrors -= 1;
      }
      return captured.logs
        .slice(from)
        .map((line) => JSON.parse(line) as { level: number; msg: string; res?: unknown })
        .filter((entry) => entry.level >= 50 && !entry.res)
        .map((entry) => entry.msg);
    },
    async close() {
      try {
        await expectNoSecretsLeaked(captured, dataSource, config.openingKeys);
      } finally {
        await app.close();
        await database.drop();
        // An RSA generation still under way (a pool refill, a scheduled successor's key) holds the generator's IPC
        // channel open until it ends: jest's worker could not exit after the last file, and would be forced to.
        await eventually(
          'no RSA generation under way once the app has closed',
          () => {
            const { running, waiting } = rsaGenerationCounts();
            return running + waiting === 0;
          },
          { withinMs: 120_000, everyMs: 50 },
        );
      }
    },
  };
}

/** The envelope every response must carry. */
export function expectEnvelope(res: request.Response, status: number, success = status < 400): void {
  expect({ status: res.status, success: res.body?.success }).toEqual({ status, success });
  expect(typeof res.body.message).toBe('string');
  expect(res.headers['x-request-id']).toEqual(expect.any(String));
  if (!success) {
    expect(res.body.data).toBeNull();
    expect(res.body.code).toMatch(/^[A-Z]+(?:_[A-Z]+)*$/);
    expect(res.body.requestId).toBe(res.headers['x-request-id']);
  }
}
