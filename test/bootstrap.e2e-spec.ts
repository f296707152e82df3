import { randomBytes, randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execSync } from 'node:child_process';
import request from 'supertest';
import { startEmbeddedPostgres } from '../src/database/embedded-postgres';
import { apiKeyPrefix } from '../src/tenants/api-key-secret';
import { TenantBootstrap } from '../src/tenants/tenant-bootstrap';
import { freePort } from '../tools/free-port';
import { runCli, startService } from './support/processes';
import { expectEnvelope, startTestApp, tenantHeaders } from './support/test-app';

describe('BOOTSTRAP_TENANT_ID and BOOTSTRAP_API_KEY', () => {
  it('make sure that tenant and key exist, on every start', async () => {
    const tenantId = randomUUID();
    const apiKey = randomBytes(32).toString('base64url');
    const testApp = await startTestApp({ BOOTSTRAP_TENANT_ID: tenantId, BOOTSTRAP_API_KEY: apiKey });
    try {
      expectEnvelope(await request(testApp.http).get('/key').set(tenantHeaders(tenantId, apiKey)), 200);
      // A second start runs the same bootstrap again: still one tenant, one key.
      await testApp.app.get(TenantBootstrap).onApplicationBootstrap();
      const [{ count }] = await testApp.dataSource.query('SELECT count(*)::int AS count FROM api_keys WHERE tenant_id = $1', [tenantId]);
      expect(count).toBe(1);
      const [{ tenants }] = await testApp.dataSource.query('SELECT count(*)::int AS tenants FROM tenants');
      expect(tenants).toBe(1);
    } finally {
      await testApp.close();
    }
  });
});

describe('npm start on a fresh machine (embedded PostgreSQL, no configuration)', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'keyservice-first-start-'));
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  /** PostgreSQL server processes still running on this data directory. */
  function postgresProcessesOf(dir: string): string {
    const lines = execSync('ps -eo args', { encoding: 'utf8' }).split('\n');
    return lines.filter((line) => line.includes('postgres') && line.includes(`-D ${join(dir, 'pg')}`)).join('\n');
  }

  it('prints a default tenant and API key once, serves them, and stops cleanly on SIGTERM', async () => {
    const env = { DATA_DIR: dataDir, PORT: String(await freePort()), EMBEDDED_POSTGRES_PORT: String(await freePort()) };
    const first = startService(env);
    const [, tenantId, apiKey] = await first.waitFor(/export TENANT_ID=(\S+) API_KEY=(\S+)/, 60_000);
    const [, apiKeyId] = first.output().match(/API key id:\s+(\S+)/)!;
    await first.waitFor(/listening on/);
    const url = `http://127.0.0.1:${env.PORT}`;
    const generated = await request(url).post('/key/generate').set(tenantHeaders(tenantId, apiKey)).send({ algorithm: 'ES256', name: 'first' });
    expectEnvelope(generated, 200);
    expect(first.output()).toMatch(/KEY_ENCRYPTION_KEY is not set: generated one into/);
    expect(statSync(join(dataDir, 'key-encryption-key')).mode & 0o777).toBe(0o600);
    const apiKeys = runCli(['apikey:list', '--tenant', tenantId, '--json'], env);
    expect(JSON.parse(apiKeys.stdout).apiKeys).toEqual([expect.objectContaining({ id: apiKeyId, prefix: apiKeyPrefix(apiKey) })]);

    first.child.kill('SIGTERM');
    expect(await first.exited).toBe(0);
    expect(postgresProcessesOf(dataDir)).toBe('');

    // Second start: same data, same key-encryption key, no new tenant printed.
    const second = startService(env);
    await second.waitFor(/listening on/, 60_000);
    expect(second.output()).not.toContain('API_KEY=');
    const listed = await request(url).get('/key').set(tenantHeaders(tenantId, apiKey));
    expect(listed.body.data.map((k: { id: string }) => k.id)).toEqual([generated.body.data.id]);
    second.child.kill('SIGTERM');
    expect(await second.exited).toBe(0);
    expect(postgresProcessesOf(dataDir)).toBe('');
    expect(existsSync(join(dataDir, 'pg', 'postmaster.pid'))).toBe(false);
    expect(readFileSync(join(dataDir, 'key-encryption-key'), 'utf8').trim()).toHaveLength(44);
  });

  it("a terminal's Ctrl-C reaches the service alone: it closes, then stops the database, quietly; the CLI beside it uses that database", async () => {
    const env = { DATA_DIR: dataDir, PORT: String(await freePort()), EMBEDDED_POSTGRES_PORT: String(await freePort()) };
    const service = startService(env, undefined, { ownProcessGroup: true });
    await service.waitFor(/listening on/, 60_000);

    const listed = runCli(['tenant:list', '--json'], env);
    expect(listed.status).toBe(0);
    expect(JSON.parse(listed.stdout).tenants).toEqual([expect.objectContaining({ name: 'default', activeApiKeys: 1 })]);
    expect(listed.stderr).toContain('Using the embedded PostgreSQL that another process (the service) runs');
    expect(listed.stderr).not.toContain('started');

    // What a terminal does on Ctrl-C: SIGINT to every process of the foreground process group.
    process.kill(-service.child.pid!, 'SIGINT');
    expect(await service.exited).toBe(0);
    expect(postgresProcessesOf(dataDir)).toBe('');
    expect(service.output()).toContain('SIGINT received: closing');
    expect(service.output()).not.toMatch(/WARN|ERROR|terminat|Connection/i);
  });

  it('refuses to start with DATABASE_URL and no KEY_ENCRYPTION_KEY, saying why', async () => {
    const service = startService({ DATABASE_URL: 'postgres://127.0.0.1:1/none', PORT: String(await freePort()) });
    expect(await service.exited).toBe(1);
    expect(service.output().trim()).toBe(
      'Configuration error: KEY_ENCRYPTION_KEY is required when DATABASE_URL is set (32 random bytes in base64: openssl rand -base64 32)',
    );
  });
});

describe('the embedded PostgreSQL', () => {
  it('is stopped by whoever started it; one whose starter is gone is adopted and stopped by the next', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'keyservice-owner-'));
    try {
      const first = await startEmbeddedPostgres(dataDir, await freePort());
      expect(first.started).toBe(true);
      const beside = await startEmbeddedPostgres(dataDir, await freePort());
      expect(beside.started).toBe(false);
      // As if the starter had been killed: its pid names no process.
      writeFileSync(join(dataDir, 'postgres-owner.pid'), '999999999');
      const adopted = await startEmbeddedPostgres(dataDir, await freePort());
      expect({ started: adopted.started, url: adopted.url }).toEqual({ started: true, url: first.url });
      await adopted.stop();
      expect(existsSync(join(dataDir, 'pg', 'postmaster.pid'))).toBe(false);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
