import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { ConfigError, loadConfig, settleConfig } from './config';

const KEK = randomBytes(32).toString('base64');

function problemsOf(env: NodeJS.ProcessEnv): string[] {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return [];
}

describe('loadConfig', () => {
  it('defaults to port 3000 and the embedded database in ./.data', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({ port: 3000, databaseUrl: undefined, openingKeys: [], oauth: undefined, bootstrap: undefined });
    expect(config.dataDir).toMatch(/\/\.data$/);
  });

  it('reads every variable', () => {
    const tenantId = '5b0e8c1e-3c55-4a6f-9f0e-6b3f7f1f2a10';
    const config = loadConfig({
      PORT: '8080',
      DATABASE_URL: 'postgres://u:p@db:5432/keys',
      KEY_ENCRYPTION_KEY: KEK,
      BOOTSTRAP_TENANT_ID: tenantId,
      BOOTSTRAP_API_KEY: 'k'.repeat(32),
      OAUTH_JWKS_URL: 'https://id.example/jwks',
      OAUTH_ISSUER: 'https://id.example',
      OAUTH_AUDIENCE: 'keys',
    });
    expect(config).toMatchObject({
      port: 8080,
      databaseUrl: 'postgres://u:p@db:5432/keys',
      bootstrap: { tenantId, apiKey: 'k'.repeat(32) },
      oauth: { jwksUrl: 'https://id.example/jwks', issuer: 'https://id.example', audience: 'keys' },
    });
    expect(config.openingKeys).toEqual([Buffer.from(KEK, 'base64')]);
  });

  it('reads KEY_ENCRYPTION_KEYS newest first, and refuses it beside KEY_ENCRYPTION_KEY or with a bad entry', () => {
    const older = Buffer.alloc(32, 7).toString('base64');
    expect(loadConfig({ DATABASE_URL: 'postgres://db/keys', KEY_ENCRYPTION_KEYS: `${KEK}, ${older}` }).openingKeys).toEqual([
      Buffer.from(KEK, 'base64'),
      Buffer.from(older, 'base64'),
    ]);
    expect(problemsOf({ KEY_ENCRYPTION_KEYS: KEK, KEY_ENCRYPTION_KEY: KEK })).toEqual(['Set KEY_ENCRYPTION_KEY or KEY_ENCRYPTION_KEYS, not both']);
    expect(problemsOf({ KEY_ENCRYPTION_KEYS: `${KEK},short` })).toEqual([
      expect.stringContaining('KEY_ENCRYPTION_KEYS must be 32 random bytes in base64 each'),
    ]);
  });

  it('reads RATE_LIMIT_WRITES (600/60 by default) and RATE_LIMIT_READS (off by default) as requests/seconds or off', () => {
    expect(loadConfig({}).rateLimits).toEqual({ writes: { limit: 600, windowSeconds: 60 }, reads: undefined });
    expect(loadConfig({ RATE_LIMIT_WRITES: '5/1', RATE_LIMIT_READS: '100/10' }).rateLimits).toEqual({
      writes: { limit: 5, windowSeconds: 1 },
      reads: { limit: 100, windowSeconds: 10 },
    });
    expect(loadConfig({ RATE_LIMIT_WRITES: 'off' }).rateLimits.writes).toBeUndefined();
    for (const bad of ['600', '0/60', '10/0', 'many/60', '1.5/60']) {
      expect(problemsOf({ RATE_LIMIT_READS: bad })).toEqual([
        `RATE_LIMIT_READS must be "off" or requests/seconds per credential, like 600/60, got "${bad}"`,
      ]);
    }
  });

  it('reads RATE_LIMIT, the older name, as the writes limit, and refuses it beside RATE_LIMIT_WRITES', () => {
    expect(loadConfig({ RATE_LIMIT: '5/1' }).rateLimits).toEqual({ writes: { limit: 5, windowSeconds: 1 }, reads: undefined });
    expect(loadConfig({ RATE_LIMIT: 'off' }).rateLimits.writes).toBeUndefined();
    expect(problemsOf({ RATE_LIMIT: 'x' })).toEqual(['RATE_LIMIT must be "off" or requests/seconds per credential, like 600/60, got "x"']);
    expect(problemsOf({ RATE_LIMIT: '5/1', RATE_LIMIT_WRITES: '5/1' })).toEqual(['Set RATE_LIMIT_WRITES or RATE_LIMIT (its older name), not both']);
  });

  it('reads AUDIT_SIGN as true or false, false by default', () => {
    expect(loadConfig({}).auditSign).toBe(false);
    expect(loadConfig({ AUDIT_SIGN: 'true' }).auditSign).toBe(true);
    expect(problemsOf({ AUDIT_SIGN: 'yes' })).toEqual(['AUDIT_SIGN must be true or false, got "yes"']);
  });

  it('reads RUN_MIGRATIONS, true by default', () => {
    expect(loadConfig({}).runMigrations).toBe(true);
    expect(loadConfig({ RUN_MIGRATIONS: 'false' }).runMigrations).toBe(false);
    expect(problemsOf({ RUN_MIGRATIONS: '0' })).toEqual(['RUN_MIGRATIONS must be true or false, got "0"']);
  });

  it('reads METRICS_TOKEN, unset by default, and refuses a short one without echoing it', () => {
    expect(loadConfig({}).metricsToken).toBeUndefined();
    expect(loadConfig({ METRICS_TOKEN: 'm'.repeat(32) }).metricsToken).toBe('m'.repeat(32));
    const problems = problemsOf({ METRICS_TOKEN: 'short-secret' });
    expect(problems).toEqual(['METRICS_TOKEN must be at least 24 characters of high-entropy secret, without spaces']);
    expect(problems.join()).not.toContain('short-secret');
  });

  it('reads CORS_ORIGINS as a list of origins, none by default', () => {
    expect(loadConfig({}).corsOrigins).toEqual([]);
    expect(loadConfig({ CORS_ORIGINS: 'https://admin.example.com, http://localhost:5173' }).corsOrigins).toEqual([
      'https://admin.example.com',
      'http://localhost:5173',
    ]);
    expect(problemsOf({ CORS_ORIGINS: 'https://admin.example.com/path' })).toEqual([
      'CORS_ORIGINS must be a comma-separated list of origins like https://admin.example.com (scheme, host, port; no path), got "https://admin.example.com/path"',
    ]);
  });

  it('reads DEFAULT_TOKEN_LIFETIME_SECONDS, 3600 by default, at most ten years', () => {
    expect(loadConfig({}).defaultTokenLifetimeSeconds).toBe(3600);
    expect(loadConfig({ DEFAULT_TOKEN_LIFETIME_SECONDS: '300' }).defaultTokenLifetimeSeconds).toBe(300);
    expect(problemsOf({ DEFAULT_TOKEN_LIFETIME_SECONDS: '0' })).toEqual([
      'DEFAULT_TOKEN_LIFETIME_SECONDS must be a whole number of seconds from 1 to 315360000, got "0"',
    ]);
  });

  it('reads CACHE_MAX_ENTRIES, 50,000 by default', () => {
    expect(loadConfig({}).cacheMaxEntries).toBe(50_000);
    expect(loadConfig({ CACHE_MAX_ENTRIES: '100' }).cacheMaxEntries).toBe(100);
    expect(problemsOf({ CACHE_MAX_ENTRIES: '0' })).toEqual(['CACHE_MAX_ENTRIES must be a whole number of 1 or more, got "0"']);
  });

  it('reads CACHE_MAX_ENTRIES_PER_TENANT, 5,000 by default', () => {
    expect(loadConfig({}).cacheMaxEntriesPerTenant).toBe(5_000);
    expect(loadConfig({ CACHE_MAX_ENTRIES_PER_TENANT: '100' }).cacheMaxEntriesPerTenant).toBe(100);
    expect(problemsOf({ CACHE_MAX_ENTRIES_PER_TENANT: '0' })).toEqual(['CACHE_MAX_ENTRIES_PER_TENANT must be a whole number of 1 or more, got "0"']);
  });

  it('reads CACHE_HEARTBEAT_SECONDS, 5 by default', () => {
    expect(loadConfig({}).cacheHeartbeatSeconds).toBe(5);
    expect(loadConfig({ CACHE_HEARTBEAT_SECONDS: '1' }).cacheHeartbeatSeconds).toBe(1);
    expect(problemsOf({ CACHE_HEARTBEAT_SECONDS: '0' })).toEqual([
      'CACHE_HEARTBEAT_SECONDS must be a whole number of seconds from 1 to 3600, got "0"',
    ]);
  });

  it('reads MAX_KEYS_PER_TENANT, MAX_API_KEYS_PER_TENANT and MAX_KEYS_PER_USER: 1000, 100 and 100 by default', () => {
    expect(loadConfig({}).limits).toEqual({
      keysPerTenant: 1000,
      retiredKeysPerTenant: 1000,
      apiKeysPerTenant: 100,
      keysPerUser: 100,
      userKeysPerTenant: 100_000,
    });
    expect(
      loadConfig({ MAX_KEYS_PER_TENANT: '5', MAX_RETIRED_KEYS_PER_TENANT: '0', MAX_API_KEYS_PER_TENANT: '2', MAX_KEYS_PER_USER: '3' }).limits,
    ).toEqual({
      keysPerTenant: 5,
      retiredKeysPerTenant: 0,
      apiKeysPerTenant: 2,
      keysPerUser: 3,
      userKeysPerTenant: 100_000,
    });
    expect(problemsOf({ MAX_KEYS_PER_TENANT: '0' })).toEqual(['MAX_KEYS_PER_TENANT must be a whole number of 1 or more, got "0"']);
  });

  it('reads LOG_LEVEL, info by default', () => {
    expect(loadConfig({}).logLevel).toBe('info');
    expect(loadConfig({ LOG_LEVEL: 'DEBUG' }).logLevel).toBe('debug');
    expect(problemsOf({ LOG_LEVEL: 'loud' })).toEqual(['LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent, got "loud"']);
  });

  it('reads the lifecycle and webhook timings, each with its default and its bounds', () => {
    expect(loadConfig({})).toMatchObject({
      jwksMaxAgeSeconds: 300,
      lifecycleTickSeconds: 30,
      deletionMinWindowSeconds: 7 * 24 * 60 * 60,
      webhookRetrySeconds: [5, 30, 120, 600, 3600, 21600, 86400],
      webhookAllowPrivateUrls: false,
      webhookDeliveryRetentionDays: 30,
      webhookDisableAfterSeconds: 5 * 24 * 60 * 60,
    });
    expect(
      loadConfig({
        JWKS_MAX_AGE: '0',
        LIFECYCLE_TICK_SECONDS: '1',
        DELETION_MIN_WINDOW_SECONDS: '0',
        WEBHOOK_RETRY_SECONDS: '1, 2',
        WEBHOOK_ALLOW_PRIVATE_URLS: 'true',
        WEBHOOK_DELIVERY_RETENTION_DAYS: '1',
        WEBHOOK_DISABLE_AFTER_SECONDS: '60',
      }),
    ).toMatchObject({
      jwksMaxAgeSeconds: 0,
      lifecycleTickSeconds: 1,
      deletionMinWindowSeconds: 0,
      webhookRetrySeconds: [1, 2],
      webhookAllowPrivateUrls: true,
      webhookDeliveryRetentionDays: 1,
      webhookDisableAfterSeconds: 60,
    });
    expect(problemsOf({ JWKS_MAX_AGE: '-1', LIFECYCLE_TICK_SECONDS: '3601', WEBHOOK_DELIVERY_RETENTION_DAYS: '0' })).toEqual([
      'JWKS_MAX_AGE must be a whole number of seconds of 0 or more, got "-1"',
      'LIFECYCLE_TICK_SECONDS must be a whole number of seconds from 1 to 3600, got "3601"',
      'WEBHOOK_DELIVERY_RETENTION_DAYS must be a whole number of days from 1 to 3650, got "0"',
    ]);
    for (const bad of ['0', '5,x', '604801', Array.from({ length: 21 }, () => '1').join(',')]) {
      expect(problemsOf({ WEBHOOK_RETRY_SECONDS: bad })).toEqual([
        `WEBHOOK_RETRY_SECONDS must be a comma-separated list of up to 20 whole numbers of seconds (1 to 604800), got "${bad}"`,
      ]);
    }
  });

  it('reads the PKCS#11 settings all or none, the PIN from PKCS11_PIN or a file, never echoing it', () => {
    const token = { PKCS11_MODULE: '/usr/lib/softhsm/libsofthsm2.so', PKCS11_TOKEN_LABEL: 'keys' };
    expect(loadConfig({}).pkcs11).toBeNull();
    expect(loadConfig({ ...token, PKCS11_PIN: '1234' }).pkcs11).toEqual({
      module: '/usr/lib/softhsm/libsofthsm2.so',
      tokenLabel: 'keys',
      pin: '1234',
      kekLabel: null,
      kekSeals: true,
    });
    expect(loadConfig({ ...token, PKCS11_PIN: '1234', PKCS11_KEK_LABEL: 'kek', PKCS11_KEK_SEALS: 'false' }).pkcs11).toMatchObject({
      kekLabel: 'kek',
      kekSeals: false,
    });
    const pinFile = join(mkdtempSync(join(tmpdir(), 'config-spec-')), 'pin');
    writeFileSync(pinFile, '98765\n');
    expect(loadConfig({ ...token, PKCS11_PIN_FILE: pinFile }).pkcs11?.pin).toBe('98765');

    expect(problemsOf({ PKCS11_KEK_LABEL: 'kek' })).toEqual([
      'PKCS11_MODULE (the path of the PKCS#11 library) is required with the other PKCS11_ settings',
      'PKCS11_TOKEN_LABEL is required with PKCS11_MODULE',
      'PKCS11_PIN or PKCS11_PIN_FILE is required with PKCS11_MODULE',
    ]);
    const both = problemsOf({ ...token, PKCS11_PIN: 'secret-pin', PKCS11_PIN_FILE: pinFile });
    expect(both).toEqual(['Set PKCS11_PIN or PKCS11_PIN_FILE, not both']);
    expect(problemsOf({ ...token, PKCS11_PIN_FILE: `${pinFile}.missing` })).toEqual([`PKCS11_PIN_FILE ${pinFile}.missing cannot be read (ENOENT)`]);
    writeFileSync(pinFile, '  \n');
    expect(problemsOf({ ...token, PKCS11_PIN_FILE: pinFile })).toEqual([`PKCS11_PIN_FILE ${pinFile} is empty`]);
    expect(both.join()).not.toContain('secret-pin');
    rmSync(dirname(pinFile), { recursive: true, force: true });
  });

  it('reads BOOTSTRAP_TENANT_ID in lower case, EMBEDDED_POSTGRES_PORT, DATA_DIR and a postgresql:// URL', () => {
    const config = loadConfig({
      BOOTSTRAP_TENANT_ID: '5B0E8C1E-3C55-4A6F-9F0E-6B3F7F1F2A10',
      BOOTSTRAP_API_KEY: 'k'.repeat(32),
      EMBEDDED_POSTGRES_PORT: '6543',
      DATA_DIR: '/var/lib/keys',
      DATABASE_URL: 'postgresql://db/keys',
      KEY_ENCRYPTION_KEY: KEK,
    });
    expect(config).toMatchObject({
      bootstrap: { tenantId: '5b0e8c1e-3c55-4a6f-9f0e-6b3f7f1f2a10' },
      embeddedPostgresPort: 6543,
      dataDir: '/var/lib/keys',
      databaseUrl: 'postgresql://db/keys',
    });
    expect(loadConfig({}).embeddedPostgresPort).toBe(54329);
    expect(problemsOf({ OAUTH_ISSUER: 'https://id.example' })).toEqual(['OAUTH_JWKS_URL is required with OAUTH_ISSUER']);
  });

  it('settles the runtime configuration: the first key seals, all open', () => {
    const older = Buffer.alloc(32, 7);
    const loaded = loadConfig({ KEY_ENCRYPTION_KEYS: `${KEK},${older.toString('base64')}` });
    const settled = settleConfig(loaded, { databaseUrl: 'postgres://db/keys' });
    expect(settled).toMatchObject({ databaseUrl: 'postgres://db/keys', embeddedDatabase: false, openingKeys: loaded.openingKeys });
    expect(settled.sealingKey).toEqual(Buffer.from(KEK, 'base64'));
    const embedded = settleConfig(loadConfig({}), { databaseUrl: 'postgres://localhost/keys', openingKeys: [older], embeddedDatabase: true });
    expect(embedded).toMatchObject({ sealingKey: older, openingKeys: [older], embeddedDatabase: true });
  });

  it('refuses DATABASE_URL without KEY_ENCRYPTION_KEY, saying why', () => {
    expect(problemsOf({ DATABASE_URL: 'postgres://db/keys' })).toEqual([
      expect.stringContaining('KEY_ENCRYPTION_KEY is required when DATABASE_URL is set'),
    ]);
  });

  it('lists every problem, one line each', () => {
    const problems = problemsOf({
      PORT: 'eighty',
      KEY_ENCRYPTION_KEY: 'short',
      BOOTSTRAP_TENANT_ID: 'acme',
      OAUTH_JWKS_URL: 'not a url',
      DATABASE_URL: 'mysql://x',
    });
    expect(problems).toEqual(
      expect.arrayContaining([
        'PORT must be a port number from 1 to 65535, got "eighty"',
        'DATABASE_URL must be a postgres:// or postgresql:// URL',
        expect.stringMatching(/^KEY_ENCRYPTION_KEY must be 32 random bytes/),
        'BOOTSTRAP_TENANT_ID and BOOTSTRAP_API_KEY must be set together',
        'BOOTSTRAP_TENANT_ID must be a UUID',
        'OAUTH_JWKS_URL must be a URL',
        'OAUTH_ISSUER is required with OAUTH_JWKS_URL',
      ]),
    );
    expect(problems).toHaveLength(7);
    for (const problem of problems) expect(problem).not.toContain('\n');
  });

  it('wants OAUTH_ISSUER with OAUTH_JWKS_URL and a long enough bootstrap key', () => {
    expect(problemsOf({ OAUTH_JWKS_URL: 'https://id.example/jwks' })).toEqual(['OAUTH_ISSUER is required with OAUTH_JWKS_URL']);
    expect(problemsOf({ BOOTSTRAP_TENANT_ID: '5b0e8c1e-3c55-4a6f-9f0e-6b3f7f1f2a10', BOOTSTRAP_API_KEY: 'short' })).toEqual([
      expect.stringContaining('BOOTSTRAP_API_KEY must be at least 24 characters'),
    ]);
  });

  it('reads RSA_POOL_SIZES: a default pool, "off", or lengths with counts', () => {
    expect([...loadConfig({}).rsaPoolSizes]).toEqual([
      [2048, 4],
      [3072, 1],
      [4096, 1],
    ]);
    expect(loadConfig({ RSA_POOL_SIZES: 'off' }).rsaPoolSizes.size).toBe(0);
    expect([...loadConfig({ RSA_POOL_SIZES: '4096:2, 2048:0' }).rsaPoolSizes]).toEqual([[4096, 2]]);
    expect(problemsOf({ RSA_POOL_SIZES: '1024:3' })).toEqual([expect.stringContaining('RSA_POOL_SIZES must be')]);
  });
});
