import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import request from 'supertest';
import { apiKeyPrefix } from '../src/tenants/api-key-secret';
import { cleanEnv, runCli } from './support/processes';
import { createTestDatabase } from './support/test-database';
import { expectEnvelope, startTestApp, tenantHeaders, type TestApp } from './support/test-app';
import { eventually } from './support/eventually';

describe('the CLI (npm run cli)', () => {
  let testApp: TestApp;
  let env: Record<string, string>;

  beforeAll(async () => {
    testApp = await startTestApp();
    env = { DATABASE_URL: testApp.config.databaseUrl, KEY_ENCRYPTION_KEY: testApp.config.sealingKey.toString('base64') };
  });
  afterAll(() => testApp.close());

  it('tenant:create --json prints one JSON object whose API key works at once', async () => {
    const result = runCli(['tenant:create', '--name', 'acme', '--json'], env);
    expect(result.status).toBe(0);
    const lines = result.stdout.trim().split('\n');
    expect(lines).toHaveLength(1);
    const created = JSON.parse(lines[0]);
    expect(created).toEqual({ tenantId: expect.any(String), apiKeyId: expect.any(String), apiKey: expect.stringMatching(/^ks_/) });
    expectEnvelope(await request(testApp.http).get('/key').set(tenantHeaders(created.tenantId, created.apiKey)), 200);
    const [tenant] = await testApp.dataSource.query('SELECT name FROM tenants WHERE id = $1', [created.tenantId]);
    expect(tenant.name).toBe('acme');
  });

  it('npm run --silent cli -- tenant:create --name acme --json, as the README writes it, prints one JSON object and nothing else', async () => {
    // --silent keeps npm's own "> key-service@0.1.0 cli" header off standard output.
    const result = spawnSync('npm run --silent cli -- tenant:create --name acme --json', {
      shell: true,
      cwd: join(__dirname, '..'),
      env: cleanEnv(env),
      encoding: 'utf8',
      timeout: 120_000,
    });
    expect({ status: result.status, stderr: result.stderr }).toEqual({ status: 0, stderr: '' });
    const created = JSON.parse(result.stdout);
    expect(created).toEqual({ tenantId: expect.any(String), apiKeyId: expect.any(String), apiKey: expect.stringMatching(/^ks_/) });
    expectEnvelope(await request(testApp.http).get('/key').set(tenantHeaders(created.tenantId, created.apiKey)), 200);
  });

  it('apikey:create adds a key; apikey:revoke stops it at once and leaves the others', async () => {
    const tenant = JSON.parse(runCli(['tenant:create', '--name', 'rotating', '--json'], env).stdout);
    const second = runCli(['apikey:create', '--tenant', tenant.tenantId], env);
    expect(second.status).toBe(0);
    const apiKey = second.stdout.match(/API key:\s+(ks_\S+)/)![1];
    const apiKeyId = second.stdout.match(/api key id:\s+(\S+)/)![1];
    expect(second.stdout).toContain('shown only now');
    expectEnvelope(await request(testApp.http).get('/key').set(tenantHeaders(tenant.tenantId, apiKey)), 200);

    const revoked = runCli(['apikey:revoke', '--id', apiKeyId, '--json'], env);
    expect(revoked.status).toBe(0);
    expect(JSON.parse(revoked.stdout)).toEqual({ apiKeyId, revoked: true });
    expectEnvelope(await request(testApp.http).get('/key').set(tenantHeaders(tenant.tenantId, apiKey)), 401);
    expectEnvelope(await request(testApp.http).get('/key').set(tenantHeaders(tenant.tenantId, tenant.apiKey)), 200);
    expect(runCli(['apikey:revoke', '--id', apiKeyId], env).status).toBe(1);
  });

  it.each([
    [['tenant:create'], '--name is required', 2],
    [['apikey:create'], '--tenant is required', 2],
    [['apikey:list'], '--tenant is required', 2],
    [['apikey:revoke'], '--id is required', 2],
    [['apikey:create', '--tenant', 'acme'], '--tenant must be a UUID', 2],
    [['apikey:create', '--tenant', '5b0e8c1e-3c55-4a6f-9f0e-6b3f7f1f2a10', '--scopes', 'keys:all'], '--scopes must be a comma-separated list of', 2],
    [['apikey:create', '--tenant', '5b0e8c1e-3c55-4a6f-9f0e-6b3f7f1f2a10', '--sign-keys', 'Not An Alias'], '--sign-keys must be', 2],
    [['apikey:create', '--tenant', '5b0e8c1e-3c55-4a6f-9f0e-6b3f7f1f2a10', '--expires', '2001-01-01T00:00:00Z'], '--expires must be a future', 2],
    [['tenant:delete'], 'unknown command "tenant:delete"', 2],
    [['tenant:create', '--nme', 'x'], "Unknown option '--nme'", 2],
    [['tenant:list', '--tenant', '5b0e8c1e-3c55-4a6f-9f0e-6b3f7f1f2a10'], 'tenant:list takes no --tenant', 2],
    [['apikey:create', '--tenant', '5b0e8c1e-3c55-4a6f-9f0e-6b3f7f1f2a10'], 'No tenant 5b0e8c1e-3c55-4a6f-9f0e-6b3f7f1f2a10', 1],
    [['apikey:list', '--tenant', '5b0e8c1e-3c55-4a6f-9f0e-6b3f7f1f2a10'], 'No tenant 5b0e8c1e-3c55-4a6f-9f0e-6b3f7f1f2a10', 1],
  ])('%j fails with a one-line error, no stack: "%s", exit code %d', (args, message, status) => {
    const result = runCli(args, env);
    expect(result.status).toBe(status);
    expect(result.stderr.trim().split('\n')).toEqual([expect.stringContaining(message)]);
  });

  it('prints its usage: on standard output with --help (exit 0), on standard error without a command (exit 2)', () => {
    const help = runCli(['--help'], env);
    expect({ status: help.status, stderr: help.stderr }).toEqual({ status: 0, stderr: '' });
    expect(help.stdout).toMatch(/^Usage: npm run cli -- <command>/);
    const bare = runCli([], env);
    expect({ status: bare.status, stdout: bare.stdout, stderr: bare.stderr }).toEqual({ status: 2, stdout: '', stderr: help.stdout });
  });

  it('with --json, standard output is one JSON object even while migrations run and log (to standard error)', async () => {
    const fresh = await createTestDatabase();
    try {
      const result = runCli(['migration:run', '--json'], { ...env, DATABASE_URL: fresh.url });
      expect(result.status).toBe(0);
      expect(JSON.parse(result.stdout)).toEqual({
        migrated: true,
        applied: expect.arrayContaining(['InitialSchema1763800000000', 'ApiKeyLastUsed1764500000000']),
      });
      const listed = runCli(['tenant:list', '--json'], { ...env, DATABASE_URL: fresh.url });
      expect(JSON.parse(listed.stdout)).toEqual({ tenants: [] });
    } finally {
      await fresh.drop();
    }
  });

  it('logs as the service does, in pino JSON lines, on standard error', async () => {
    const fresh = await createTestDatabase();
    try {
      // A command on a fresh database applies the migrations first, and says so in the log.
      const result = runCli(['tenant:list', '--json'], { ...env, DATABASE_URL: fresh.url });
      expect(result.status).toBe(0);
      expect(JSON.parse(result.stdout)).toEqual({ tenants: [] });
      const lines = result.stderr.trim().split('\n');
      expect(lines.map((line) => JSON.parse(line) as object)).toEqual([
        expect.objectContaining({
          level: 30,
          time: expect.any(Number),
          context: 'CLI',
          msg: expect.stringMatching(/^Applied \d+ pending migrations$/),
        }),
      ]);
    } finally {
      await fresh.drop();
    }
  });

  it('kek:rotate and its usage name the variable that holds the key-encryption key, here KEY_ENCRYPTION_KEY', () => {
    const rotated = runCli(['kek:rotate'], env);
    expect(rotated.status).toBe(0);
    expect(rotated.stdout).toBe('0 secrets re-sealed (private keys, HMAC and webhook secrets); all are under KEY_ENCRYPTION_KEY.\n');
    const help = runCli(['--help'], env).stdout;
    const kekRotate = help.slice(help.indexOf('  kek:rotate'), help.indexOf('  hsm:orphans')).replace(/\s+/g, ' ');
    expect(kekRotate).toContain('under what seals now: KEY_ENCRYPTION_KEY;');
    expect(help).not.toContain('KEY_ENCRYPTION_KEYS');
  });

  it('tenant:list and apikey:list show ids, names, prefixes, scopes and when a key was last used, never a secret', async () => {
    const tenant = JSON.parse(runCli(['tenant:create', '--name', 'listed', '--json'], env).stdout);
    const expires = new Date(Date.now() + 86_400_000).toISOString();
    const grant = ['--name', 'signer', '--scopes', 'keys:sign,keys:verify', '--sign-keys', 'login', '--expires', expires];
    const second = JSON.parse(runCli(['apikey:create', '--tenant', tenant.tenantId, ...grant, '--json'], env).stdout);
    expectEnvelope(await request(testApp.http).get('/key').set(tenantHeaders(tenant.tenantId, tenant.apiKey)), 200);

    const tenants = JSON.parse(runCli(['tenant:list', '--json'], env).stdout).tenants;
    expect(tenants).toContainEqual({ id: tenant.tenantId, name: 'listed', createdAt: expect.any(String), activeApiKeys: 2 });

    // lastUsedAt is written off the request path: wait for it.
    const listApiKeys = () => JSON.parse(runCli(['apikey:list', '--tenant', tenant.tenantId, '--json'], env).stdout);
    const { value: listed } = await eventually('lastUsedAt recorded', () => {
      const answer = listApiKeys();
      return answer.apiKeys[0].lastUsedAt ? answer : undefined;
    });
    expect(listed).toEqual({
      tenantId: tenant.tenantId,
      apiKeys: [
        {
          id: tenant.apiKeyId,
          name: null,
          prefix: apiKeyPrefix(tenant.apiKey),
          scopes: ['keys:read', 'keys:write', 'keys:sign', 'keys:verify', 'audit:read', 'api-keys:manage', 'webhooks:manage'],
          signKeys: null,
          expiresAt: null,
          createdAt: expect.any(String),
          lastUsedAt: expect.any(String),
          revokedAt: null,
        },
        {
          id: second.apiKeyId,
          name: 'signer',
          prefix: apiKeyPrefix(second.apiKey),
          scopes: ['keys:sign', 'keys:verify'],
          signKeys: ['login'],
          expiresAt: expires,
          createdAt: expect.any(String),
          lastUsedAt: null,
          revokedAt: null,
        },
      ],
    });
    const text = runCli(['apikey:list', '--tenant', tenant.tenantId], env).stdout;
    expect(text.split('\n')[0]).toMatch(/^API KEY ID\s+NAME\s+PREFIX\s+SCOPES\s+CREATED\s+LAST USED\s+EXPIRES\s+REVOKED$/);
    expect(text).toContain(tenant.apiKeyId);
    for (const secret of [tenant.apiKey, second.apiKey]) expect(text + JSON.stringify(listed)).not.toContain(secret);
  });

  it('says in one line, without the URL or a stack, that the database cannot be reached', () => {
    const result = runCli(['tenant:create', '--name', 'x'], {
      DATABASE_URL: 'postgres://user:hunter2@127.0.0.1:1/x',
      KEY_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
    });
    expect(result.status).toBe(1);
    expect(result.stderr.trim().split('\n')).toEqual([
      expect.stringMatching(/^Error: cannot reach the database \(.*ECONNREFUSED.*\); check DATABASE_URL/),
    ]);
    expect(result.stderr).not.toContain('hunter2');
  });

  it('refuses to run on a bad configuration, one line per problem', () => {
    const result = runCli(['migration:run'], { DATABASE_URL: 'postgres://localhost/x' });
    expect(result.status).toBe(1);
    expect(result.stderr.trim()).toBe(
      'Configuration error: KEY_ENCRYPTION_KEY is required when DATABASE_URL is set (32 random bytes in base64: openssl rand -base64 32)',
    );
  });

  it('audit:prune deletes the events older than --days in batches, keeps the rest, and records itself', async () => {
    const tenant = JSON.parse(runCli(['tenant:create', '--name', 'pruned', '--json'], env).stdout);
    for (let i = 0; i < 5; i += 1) {
      expectEnvelope(
        await request(testApp.http)
          .post('/key/generate')
          .set(tenantHeaders(tenant.tenantId, tenant.apiKey))
          .send({ algorithm: 'ES256', name: `k${i}` }),
        200,
      );
    }
    const events = async () =>
      await testApp.dataSource.query<{ id: string; action: string }[]>('SELECT id, action FROM audit_events WHERE tenant_id = $1 ORDER BY id', [
        tenant.tenantId,
      ]);
    const all = await events();
    expect(all).toHaveLength(6); // the tenant's first API key, then five keys
    // The four oldest are 400 days old; the newest two stay as they are.
    const old = all.slice(0, 4).map((event) => event.id);
    await testApp.dataSource.query(`UPDATE audit_events SET at = now() - interval '400 days' WHERE id = ANY($1::bigint[])`, [old]);

    const result = runCli(['audit:prune', '--days', '365', '--batch', '3', '--json'], env);
    expect(result.status).toBe(0);
    const { deleted } = JSON.parse(result.stdout);
    expect(deleted).toBe(4); // every other event in this database is recent
    expect((await events()).map((event) => event.id)).toEqual(all.slice(4).map((event) => event.id));
    const [recorded] = await testApp.dataSource.query(
      "SELECT actor_type, tenant_id, detail FROM audit_events WHERE action = 'audit.prune' ORDER BY id DESC LIMIT 1",
    );
    expect(recorded).toEqual({ actor_type: 'cli', tenant_id: null, detail: { days: 365, deleted } });
    expect(runCli(['audit:prune', '--days', '365'], env).stdout.trim()).toBe('0 audit events older than 365 days deleted.');
  });

  it.each([
    [[], '--days is required'],
    [['--days', '0'], '--days must be a whole number from 1 to 36500'],
    [['--days', '1.5'], '--days must be a whole number from 1 to 36500'],
    [['--days', 'forever'], '--days must be a whole number from 1 to 36500'],
  ])('audit:prune %j asks for --days in one line', (args, message) => {
    const result = runCli(['audit:prune', ...args], env);
    expect(result.status).toBe(2);
    expect(result.stderr.trim()).toBe(`Error: ${message} (npm run cli -- --help for usage)`);
  });

  it('migration:run applies nothing twice', () => {
    const result = runCli(['migration:run'], env);
    expect(result.status).toBe(0);
    expect(result.stdout).toContain('Migrations are up to date.');
  });
});
