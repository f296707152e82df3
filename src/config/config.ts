import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { isUUID } from 'class-validator';
import { EnvReader } from './env-reader';

/** The service's configuration, read once from the environment and validated at start. */
export interface AppConfig {
  port: number;
  /** Set: that PostgreSQL server. Unset: the embedded PostgreSQL in `dataDir`. */
  databaseUrl: string | undefined;
  dataDir: string;
  embeddedPostgresPort: number;
  /** 32 bytes each, newest first: the first seals, all open. Empty only before the embedded default has been provisioned. */
  openingKeys: Buffer[];
  /** The variable `openingKeys` come from, for messages to name; undefined: neither is set (the embedded default). */
  openingKeysVariable: 'KEY_ENCRYPTION_KEYS' | 'KEY_ENCRYPTION_KEY' | undefined;
  bootstrap: { tenantId: string; apiKey: string } | undefined;
  oauth: { jwksUrl: string; issuer: string; audience: string | undefined } | undefined;
  /** Seconds JWKS responses may be cached by clients and proxies. */
  jwksMaxAgeSeconds: number;
  /** Seconds until `exp` for a token signed without `expiresIn` (`expiresIn: null` signs one without `exp`). */
  defaultTokenLifetimeSeconds: number;
  /** Origins whose browsers may call the admin and user APIs; the JWKS is open to every origin regardless. */
  corsOrigins: string[];
  /** Entries the per-tenant caches hold at most, across tenants (JWKS bodies, keys opened for signing, verified API keys). */
  cacheMaxEntries: number;
  /** Entries one tenant holds at most in those caches, so that no tenant can push the others out. */
  cacheMaxEntriesPerTenant: number;
  /**
   * Seconds between two heartbeats of the LISTEN connection that hears changes (TenantChangeListener); the caches are
   * trusted only while one came back within twice that, which bounds how long a change can go unseen when the
   * connection dies silently.
   */
  cacheHeartbeatSeconds: number;
  /** How many pre-generated RSA key pairs to keep ready, per modulus length; empty: no pool. */
  rsaPoolSizes: Map<number, number>;
  /**
   * Requests per credential (API key or user) and window, for calls that change keys or credentials (`writes`)
   * and for sign, verify and reads (`reads`); undefined: no limit.
   */
  rateLimits: Record<RateLimitKind, RateLimit | undefined>;
  /** Seconds between two runs of the key lifecycle scheduler (pre-publish, activate, retire, delete) in each instance. */
  lifecycleTickSeconds: number;
  /** The shortest wait `POST /key/:id/schedule-deletion` accepts before a key is deleted. */
  deletionMinWindowSeconds: number;
  /** Seconds between a failed webhook delivery and its next try, one per retry; then the delivery is failed. */
  webhookRetrySeconds: number[];
  /** Whether webhook URLs may be http and resolve to loopback, private or link-local addresses (tests, private networks). */
  webhookAllowPrivateUrls: boolean;
  /** A subscription whose deliveries have all failed for this long (no success since its first failure) is disabled. */
  webhookDisableAfterSeconds: number;
  /** Delivered and failed deliveries older than this many days are deleted (their log, GET …/deliveries, ends there). */
  webhookDeliveryRetentionDays: number;
  /**
   * What one tenant or user may hold: keys per tenant (every status, HSM keys too), API keys per tenant that can
   * still be used, public keys per `/keys` user. A create beyond them is a 409.
   */
  limits: Limits;
  /** Whether every `POST /key/:id/sign` writes an audit row too (changes always do). */
  auditSign: boolean;
  logLevel: LogLevel;
  /** Whether the service applies pending migrations at start (off when a one-shot migration step does it). */
  runMigrations: boolean;
  /** Set: `/metrics` answers only `Authorization: Bearer <token>`. Unset: `/metrics` is public like `/health`. */
  metricsToken: string | undefined;
  /** A PKCS#11 token (an HSM) for `custody: "hsm"` keys and, with a KEK label, for sealing; null without one. */
  pkcs11: Pkcs11Settings | null;
}

export interface Pkcs11Settings {
  /** The path of the vendor's PKCS#11 library. */
  module: string;
  tokenLabel: string;
  pin: string;
  /** The AES-256 key in the token that seals software private keys (envelope encryption); null: the environment's keys seal. */
  kekLabel: string | null;
  /** With a KEK label: whether it seals new records (false: the environment's key seals, the HSM's only opens). */
  kekSeals: boolean;
}

export interface Limits {
  /** Keys in use (not retired); rotations may reach twice as many. */
  keysPerTenant: number;
  /** Retired keys kept as history; past it, the oldest are deleted. */
  retiredKeysPerTenant: number;
  apiKeysPerTenant: number;
  keysPerUser: number;
  /** Keys of all the users a tenant's own keys vouch for (`tenant:<id>`): a tenant mints tokens for any `sub`. */
  userKeysPerTenant: number;
}

export type RateLimitKind = 'reads' | 'writes';
export interface RateLimit {
  limit: number;
  windowSeconds: number;
}

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
}

export const MIN_API_KEY_LENGTH = 24;
export const DEFAULT_RSA_POOL_SIZES = '2048:4,3072:1,4096:1';
export const DEFAULT_RATE_LIMIT_WRITES = '600/60';
/** A signing service is sized by its CPU, not by a quota: reads are not limited unless an operator says so. */
export const DEFAULT_RATE_LIMIT_READS = 'off';
/** The longest `exp` a signed token may get: ten years. */
export const MAX_TOKEN_LIFETIME_SECONDS = 10 * 365 * 24 * 60 * 60;
const RSA_POOL_LENGTHS = [2048, 3072, 4096];

/**
 * Every environment variable the configuration reads, and the only names it may read (EnvReader is typed with them):
 * `.env.example`, the README's configuration table and `docker-compose.yml` are checked against this list
 * (env-variables.spec.ts).
 */
export const ENV_VARIABLES = [
  'PORT',
  'DATABASE_URL',
  'DATA_DIR',
  'EMBEDDED_POSTGRES_PORT',
  'KEY_ENCRYPTION_KEY',
  'KEY_ENCRYPTION_KEYS',
  'BOOTSTRAP_TENANT_ID',
  'BOOTSTRAP_API_KEY',
  'OAUTH_JWKS_URL',
  'OAUTH_ISSUER',
  'OAUTH_AUDIENCE',
  'JWKS_MAX_AGE',
  'DEFAULT_TOKEN_LIFETIME_SECONDS',
  'CORS_ORIGINS',
  'CACHE_MAX_ENTRIES',
  'CACHE_MAX_ENTRIES_PER_TENANT',
  'CACHE_HEARTBEAT_SECONDS',
  'RSA_POOL_SIZES',
  'RATE_LIMIT_WRITES',
  'RATE_LIMIT',
  'RATE_LIMIT_READS',
  'MAX_KEYS_PER_TENANT',
  'MAX_RETIRED_KEYS_PER_TENANT',
  'MAX_API_KEYS_PER_TENANT',
  'MAX_KEYS_PER_USER',
  'MAX_USER_KEYS_PER_TENANT',
  'AUDIT_SIGN',
  'LIFECYCLE_TICK_SECONDS',
  'DELETION_MIN_WINDOW_SECONDS',
  'WEBHOOK_RETRY_SECONDS',
  'WEBHOOK_ALLOW_PRIVATE_URLS',
  'WEBHOOK_DISABLE_AFTER_SECONDS',
  'WEBHOOK_DELIVERY_RETENTION_DAYS',
  'LOG_LEVEL',
  'RUN_MIGRATIONS',
  'METRICS_TOKEN',
  'PKCS11_MODULE',
  'PKCS11_TOKEN_LABEL',
  'PKCS11_PIN',
  'PKCS11_PIN_FILE',
  'PKCS11_KEK_LABEL',
  'PKCS11_KEK_SEALS',
] as const;
export type EnvVariable = (typeof ENV_VARIABLES)[number];
type Reader = EnvReader<EnvVariable>;

/** Loads `.env` from the working directory if there is one; the real environment wins. */
export function loadDotEnv(path = '.env'): void {
  if (existsSync(path)) process.loadEnvFile(path);
}

/** The configuration the environment describes, every problem reported at once (ConfigError). */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): AppConfig {
  const read = new EnvReader<EnvVariable>(env);
  const databaseUrl = read.string('DATABASE_URL');
  if (databaseUrl && !/^postgres(ql)?:\/\//.test(databaseUrl)) read.problem('DATABASE_URL must be a postgres:// or postgresql:// URL');

  const config: AppConfig = {
    port: read.integer('PORT', 3000, { min: 1, max: 65535, as: 'a port number' }),
    databaseUrl,
    dataDir: resolve(read.string('DATA_DIR') ?? './.data'),
    embeddedPostgresPort: read.integer('EMBEDDED_POSTGRES_PORT', 54329, { min: 1, max: 65535, as: 'a port number' }),
    ...keyEncryptionKeys(read, databaseUrl),
    bootstrap: bootstrapTenant(read),
    oauth: oauthProvider(read),
    jwksMaxAgeSeconds: read.integer('JWKS_MAX_AGE', 300, { min: 0, as: 'a whole number of seconds' }),
    defaultTokenLifetimeSeconds: read.integer('DEFAULT_TOKEN_LIFETIME_SECONDS', 3600, {
      min: 1,
      max: MAX_TOKEN_LIFETIME_SECONDS,
      as: 'a whole number of seconds',
    }),
    corsOrigins: corsOrigins(read),
    rsaPoolSizes: rsaPoolSizes(read),
    cacheMaxEntries: read.integer('CACHE_MAX_ENTRIES', 50_000, { min: 1, as: 'a whole number' }),
    cacheMaxEntriesPerTenant: read.integer('CACHE_MAX_ENTRIES_PER_TENANT', 5_000, { min: 1, as: 'a whole number' }),
    cacheHeartbeatSeconds: read.integer('CACHE_HEARTBEAT_SECONDS', 5, { min: 1, max: 3600, as: 'a whole number of seconds' }),
    rateLimits: rateLimits(read),
    lifecycleTickSeconds: read.integer('LIFECYCLE_TICK_SECONDS', 30, { min: 1, max: 3600, as: 'a whole number of seconds' }),
    deletionMinWindowSeconds: read.integer('DELETION_MIN_WINDOW_SECONDS', 7 * 24 * 60 * 60, { min: 0, as: 'a whole number of seconds' }),
    webhookRetrySeconds: webhookRetrySeconds(read),
    webhookAllowPrivateUrls: read.boolean('WEBHOOK_ALLOW_PRIVATE_URLS', false),
    webhookDeliveryRetentionDays: read.integer('WEBHOOK_DELIVERY_RETENTION_DAYS', 30, { min: 1, max: 3650, as: 'a whole number of days' }),
    webhookDisableAfterSeconds: read.integer('WEBHOOK_DISABLE_AFTER_SECONDS', 5 * 24 * 60 * 60, { min: 1, as: 'a whole number of seconds' }),
    limits: {
      keysPerTenant: read.integer('MAX_KEYS_PER_TENANT', 1000, { min: 1, as: 'a whole number' }),
      retiredKeysPerTenant: read.integer('MAX_RETIRED_KEYS_PER_TENANT', 1000, { min: 0, as: 'a whole number' }),
      apiKeysPerTenant: read.integer('MAX_API_KEYS_PER_TENANT', 100, { min: 1, as: 'a whole number' }),
      keysPerUser: read.integer('MAX_KEYS_PER_USER', 100, { min: 1, as: 'a whole number' }),
      userKeysPerTenant: read.integer('MAX_USER_KEYS_PER_TENANT', 100_000, { min: 1, as: 'a whole number' }),
    },
    auditSign: read.boolean('AUDIT_SIGN', false),
    runMigrations: read.boolean('RUN_MIGRATIONS', true),
    metricsToken: secret(read, 'METRICS_TOKEN'),
    pkcs11: pkcs11Settings(read),
    logLevel: read.oneOf('LOG_LEVEL', LOG_LEVELS, 'info'),
  };
  if (read.problems.length > 0) throw new ConfigError(read.problems);
  return config;
}

/** KEY_ENCRYPTION_KEYS (newest first, comma-separated) for rotation, or KEY_ENCRYPTION_KEY for one key. */
function keyEncryptionKeys(read: Reader, databaseUrl: string | undefined): Pick<AppConfig, 'openingKeys' | 'openingKeysVariable'> {
  const several = read.string('KEY_ENCRYPTION_KEYS');
  if (read.string('KEY_ENCRYPTION_KEY') !== undefined && several !== undefined)
    read.problem('Set KEY_ENCRYPTION_KEY or KEY_ENCRYPTION_KEYS, not both');
  const name = several !== undefined ? 'KEY_ENCRYPTION_KEYS' : 'KEY_ENCRYPTION_KEY';
  const variable = read.string(name) === undefined ? undefined : name;
  const keys: Buffer[] = [];
  for (const encoded of read.list(name)) {
    const bytes = Buffer.from(encoded, 'base64');
    if (bytes.length !== 32 || !/^[A-Za-z0-9+/]+={0,2}$/.test(encoded)) {
      read.problem(
        `${name} must be 32 random bytes in base64${several !== undefined ? ' each, newest first, comma-separated' : ''} (try: openssl rand -base64 32)`,
      );
      return { openingKeys: [], openingKeysVariable: variable };
    }
    keys.push(bytes);
  }
  if (keys.length === 0 && databaseUrl && variable === undefined) {
    read.problem('KEY_ENCRYPTION_KEY is required when DATABASE_URL is set (32 random bytes in base64: openssl rand -base64 32)');
  }
  return { openingKeys: keys, openingKeysVariable: variable };
}

function bootstrapTenant(read: Reader): AppConfig['bootstrap'] {
  const tenantId = read.string('BOOTSTRAP_TENANT_ID');
  const apiKey = secret(read, 'BOOTSTRAP_API_KEY');
  if ((tenantId === undefined) !== (apiKey === undefined)) read.problem('BOOTSTRAP_TENANT_ID and BOOTSTRAP_API_KEY must be set together');
  if (tenantId !== undefined && !isUUID(tenantId, 'all')) read.problem('BOOTSTRAP_TENANT_ID must be a UUID');
  return tenantId && apiKey ? { tenantId: tenantId.toLowerCase(), apiKey } : undefined;
}

/** A secret an operator chooses (bootstrap API key, metrics token): long enough to be one, without spaces. */
function secret(read: Reader, name: EnvVariable): string | undefined {
  const value = read.string(name);
  if (value !== undefined && (value.length < MIN_API_KEY_LENGTH || /\s/.test(value))) {
    read.problem(`${name} must be at least ${MIN_API_KEY_LENGTH} characters of high-entropy secret, without spaces`);
  }
  return value;
}

/** PKCS11_MODULE, PKCS11_TOKEN_LABEL and a PIN (PKCS11_PIN or PKCS11_PIN_FILE), all or none; never echoing the PIN. */
function pkcs11Settings(read: Reader): Pkcs11Settings | null {
  const module = read.string('PKCS11_MODULE');
  const tokenLabel = read.string('PKCS11_TOKEN_LABEL');
  const pinFile = read.string('PKCS11_PIN_FILE');
  let pin = read.string('PKCS11_PIN');
  const kekLabel = read.string('PKCS11_KEK_LABEL') ?? null;
  if (module === undefined && tokenLabel === undefined && pin === undefined && pinFile === undefined && kekLabel === null) return null;
  if (module === undefined) read.problem('PKCS11_MODULE (the path of the PKCS#11 library) is required with the other PKCS11_ settings');
  if (tokenLabel === undefined) read.problem('PKCS11_TOKEN_LABEL is required with PKCS11_MODULE');
  if (pin !== undefined && pinFile !== undefined) read.problem('Set PKCS11_PIN or PKCS11_PIN_FILE, not both');
  if (pin === undefined && pinFile !== undefined) {
    try {
      pin = readFileSync(pinFile, 'utf8').trim();
      if (pin === '') read.problem(`PKCS11_PIN_FILE ${pinFile} is empty`);
    } catch (error) {
      read.problem(`PKCS11_PIN_FILE ${pinFile} cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
    }
  }
  if (pin === undefined && pinFile === undefined) read.problem('PKCS11_PIN or PKCS11_PIN_FILE is required with PKCS11_MODULE');
  const kekSeals = read.boolean('PKCS11_KEK_SEALS', true);
  return module && tokenLabel && pin ? { module, tokenLabel, pin, kekLabel, kekSeals } : null;
}

function oauthProvider(read: Reader): AppConfig['oauth'] {
  const jwksUrl = read.string('OAUTH_JWKS_URL');
  const issuer = read.string('OAUTH_ISSUER');
  if (jwksUrl !== undefined && !URL.canParse(jwksUrl)) read.problem('OAUTH_JWKS_URL must be a URL');
  if (jwksUrl !== undefined && issuer === undefined) read.problem('OAUTH_ISSUER is required with OAUTH_JWKS_URL');
  if (jwksUrl === undefined && issuer !== undefined) read.problem('OAUTH_JWKS_URL is required with OAUTH_ISSUER');
  return jwksUrl && issuer ? { jwksUrl, issuer, audience: read.string('OAUTH_AUDIENCE') } : undefined;
}

function corsOrigins(read: Reader): string[] {
  const origins = read.list('CORS_ORIGINS');
  const bad = origins.find((origin) => !URL.canParse(origin) || new URL(origin).origin !== origin);
  if (bad !== undefined) {
    read.problem(`CORS_ORIGINS must be a comma-separated list of origins like https://admin.example.com (scheme, host, port; no path), got "${bad}"`);
  }
  return origins;
}

function rsaPoolSizes(read: Reader): Map<number, number> {
  const spec = read.string('RSA_POOL_SIZES') ?? DEFAULT_RSA_POOL_SIZES;
  const sizes = new Map<number, number>();
  if (spec === 'off') return sizes;
  for (const entry of spec.split(',')) {
    const [length, count] = entry.split(':').map((part) => Number(part.trim()));
    if (!RSA_POOL_LENGTHS.includes(length) || !Number.isInteger(count) || count < 0 || count > 64) {
      read.problem(`RSA_POOL_SIZES must be "off" or a list like 2048:4,3072:1 (lengths 2048, 3072, 4096; 0 to 64 each), got "${spec}"`);
      break;
    }
    if (count > 0) sizes.set(length, count);
  }
  return sizes;
}

function webhookRetrySeconds(read: Reader): number[] {
  const raw = read.string('WEBHOOK_RETRY_SECONDS') ?? '5,30,120,600,3600,21600,86400';
  const delays = raw.split(',').map((part) => Number(part.trim()));
  if (delays.length > 20 || delays.some((delay) => !Number.isInteger(delay) || delay < 1 || delay > 7 * 86_400)) {
    read.problem(`WEBHOOK_RETRY_SECONDS must be a comma-separated list of up to 20 whole numbers of seconds (1 to 604800), got "${raw}"`);
  }
  return delays;
}

/** RATE_LIMIT_WRITES and RATE_LIMIT_READS; RATE_LIMIT, from before the two were told apart, is the writes limit. */
function rateLimits(read: Reader): AppConfig['rateLimits'] {
  if (read.string('RATE_LIMIT') !== undefined && read.string('RATE_LIMIT_WRITES') !== undefined) {
    read.problem('Set RATE_LIMIT_WRITES or RATE_LIMIT (its older name), not both');
  }
  const writes = read.string('RATE_LIMIT_WRITES') === undefined && read.string('RATE_LIMIT') !== undefined ? 'RATE_LIMIT' : 'RATE_LIMIT_WRITES';
  const limit = (name: string, spec: string): RateLimit | undefined => {
    if (spec === 'off') return undefined;
    const [count, windowSeconds] = spec.split('/').map(Number);
    if (!Number.isInteger(count) || count < 1 || !Number.isInteger(windowSeconds) || windowSeconds < 1) {
      read.problem(`${name} must be "off" or requests/seconds per credential, like 600/60, got "${spec}"`);
    }
    return { limit: count, windowSeconds };
  };
  return {
    writes: limit(writes, read.string(writes) ?? DEFAULT_RATE_LIMIT_WRITES),
    reads: limit('RATE_LIMIT_READS', read.string('RATE_LIMIT_READS') ?? DEFAULT_RATE_LIMIT_READS),
  };
}

/** Injection token for the validated AppConfig. */
export const APP_CONFIG = Symbol('APP_CONFIG');

/** The configuration once the runtime has settled a database URL and the key-encryption keys. */
export type RuntimeConfig = AppConfig & {
  databaseUrl: string;
  /** The newest key-encryption key: what seals. The others (`openingKeys`) only open. */
  sealingKey: Buffer;
  embeddedDatabase: boolean;
};

/**
 * The one way to a RuntimeConfig (the service and the CLI through prepareRuntime, the OpenAPI writer, the tests):
 * the loaded configuration with its database and its key-encryption keys settled.
 */
export function settleConfig(
  config: AppConfig,
  {
    databaseUrl,
    openingKeys = config.openingKeys,
    embeddedDatabase = false,
  }: { databaseUrl: string; openingKeys?: Buffer[]; embeddedDatabase?: boolean },
): RuntimeConfig {
  return { ...config, databaseUrl, openingKeys, sealingKey: openingKeys[0], embeddedDatabase };
}
