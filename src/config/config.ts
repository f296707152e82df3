import { existsSync } from 'node:fs';
import { resolve } from 'node:path';

/** The service's configuration, read once from the environment and validated at start. */
export interface AppConfig {
  port: number;
  /** Set: that PostgreSQL server. Unset: the embedded PostgreSQL in `dataDir`. */
  databaseUrl: string | undefined;
  dataDir: string;
  embeddedPostgresPort: number;
  /** 32 bytes each, newest first: the first seals, all open. Empty only before the embedded default has been provisioned. */
  keyEncryptionKeys: Buffer[];
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
  /** How many pre-generated RSA key pairs to keep ready, per modulus length; empty: no pool. */
  rsaPoolSizes: Map<number, number>;
  /**
   * Requests per credential (API key or user) and window, for calls that change keys or credentials (`writes`)
   * and for sign, verify and reads (`reads`); undefined: no limit.
   */
  rateLimits: Record<RateLimitKind, RateLimit | undefined>;
  /** Whether every `POST /key/:id/sign` writes an audit row too (changes always do). */
  auditSign: boolean;
  logLevel: LogLevel;
  /** Whether the service applies pending migrations at start (off when a one-shot migration step does it). */
  runMigrations: boolean;
  /** Set: `/metrics` answers only `Authorization: Bearer <token>`. Unset: `/metrics` is public like `/health`. */
  metricsToken: string | undefined;
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

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
export const MIN_API_KEY_LENGTH = 24;
export const DEFAULT_RSA_POOL_SIZES = '2048:4,3072:1,4096:1';
export const DEFAULT_RATE_LIMIT_WRITES = '600/60';
/** A signing service is sized by its CPU, not by a quota: reads are not limited unless an operator says so. */
export const DEFAULT_RATE_LIMIT_READS = 'off';
/** The longest `exp` a signed token may get: ten years. */
export const MAX_TOKEN_LIFETIME_SECONDS = 10 * 365 * 24 * 60 * 60;

/** Loads `.env` from the working directory if there is one; the real environment wins. */
export function loadDotEnv(path = '.env'): void {
  if (existsSync(path)) process.loadEnvFile(path);
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): AppConfig {
  const problems: string[] = [];
  const value = (name: string) => {
    const raw = env[name]?.trim();
    return raw === '' ? undefined : raw;
  };
  const port = (name: string, fallback: number) => {
    const raw = value(name);
    if (raw === undefined) return fallback;
    const parsed = Number(raw);
    if (!Number.isInteger(parsed) || parsed < 1 || parsed > 65535) {
      problems.push(`${name} must be a port number from 1 to 65535, got "${raw}"`);
    }
    return parsed;
  };

  const nonNegativeInteger = (name: string, fallback: number) => {
    const raw = value(name);
    if (raw === undefined) return fallback;
    const parsed = Number(raw);
    if (!Number.isInteger(parsed) || parsed < 0) problems.push(`${name} must be a whole number of seconds, got "${raw}"`);
    return parsed;
  };

  const wholeCount = (name: string, fallback: number) => {
    const raw = value(name);
    if (raw === undefined) return fallback;
    const parsed = Number(raw);
    if (!Number.isInteger(parsed) || parsed < 1) problems.push(`${name} must be a whole number of 1 or more, got "${raw}"`);
    return parsed;
  };

  const positiveInteger = (name: string, fallback: number, max: number) => {
    const raw = value(name);
    if (raw === undefined) return fallback;
    const parsed = Number(raw);
    if (!Number.isInteger(parsed) || parsed < 1 || parsed > max) problems.push(`${name} must be a whole number of seconds from 1 to ${max}, got "${raw}"`);
    return parsed;
  };

  const corsOrigins = (value('CORS_ORIGINS') ?? '').split(',').map((origin) => origin.trim()).filter(Boolean);
  for (const origin of corsOrigins) {
    if (!URL.canParse(origin) || new URL(origin).origin !== origin) {
      problems.push(`CORS_ORIGINS must be a comma-separated list of origins like https://admin.example.com (scheme, host, port; no path), got "${origin}"`);
      break;
    }
  }

  const rsaPoolSizes = new Map<number, number>();
  const poolSpec = value('RSA_POOL_SIZES') ?? DEFAULT_RSA_POOL_SIZES;
  if (poolSpec !== 'off') {
    for (const entry of poolSpec.split(',')) {
      const [length, count] = entry.split(':').map((part) => Number(part.trim()));
      if (![2048, 3072, 4096].includes(length) || !Number.isInteger(count) || count < 0 || count > 64) {
        problems.push(`RSA_POOL_SIZES must be "off" or a list like 2048:4,3072:1 (lengths 2048, 3072, 4096; 0 to 64 each), got "${poolSpec}"`);
        break;
      }
      if (count > 0) rsaPoolSizes.set(length, count);
    }
  }

  const rateLimit = (name: string, spec: string): RateLimit | undefined => {
    if (spec === 'off') return undefined;
    const [limit, windowSeconds] = spec.split('/').map(Number);
    if (!Number.isInteger(limit) || limit < 1 || !Number.isInteger(windowSeconds) || windowSeconds < 1) {
      problems.push(`${name} must be "off" or requests/seconds per credential, like 600/60, got "${spec}"`);
    }
    return { limit, windowSeconds };
  };
  // RATE_LIMIT, from before reads and writes were told apart, is the writes limit.
  if (value('RATE_LIMIT') !== undefined && value('RATE_LIMIT_WRITES') !== undefined) problems.push('Set RATE_LIMIT_WRITES or RATE_LIMIT (its older name), not both');
  const writesName = value('RATE_LIMIT_WRITES') === undefined && value('RATE_LIMIT') !== undefined ? 'RATE_LIMIT' : 'RATE_LIMIT_WRITES';
  const rateLimits = {
    writes: rateLimit(writesName, value(writesName) ?? DEFAULT_RATE_LIMIT_WRITES),
    reads: rateLimit('RATE_LIMIT_READS', value('RATE_LIMIT_READS') ?? DEFAULT_RATE_LIMIT_READS),
  };

  const boolean = (name: string, fallback: boolean) => {
    const raw = value(name);
    if (raw === undefined) return fallback;
    if (raw !== 'true' && raw !== 'false') problems.push(`${name} must be true or false, got "${raw}"`);
    return raw === 'true';
  };

  const logLevel = (value('LOG_LEVEL') ?? 'info').toLowerCase() as LogLevel;
  if (!LOG_LEVELS.includes(logLevel)) problems.push(`LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}, got "${value('LOG_LEVEL')}"`);

  const databaseUrl = value('DATABASE_URL');
  if (databaseUrl && !/^postgres(ql)?:\/\//.test(databaseUrl)) {
    problems.push('DATABASE_URL must be a postgres:// or postgresql:// URL');
  }

  // KEY_ENCRYPTION_KEYS (newest first, comma-separated) for rotation; KEY_ENCRYPTION_KEY for one key.
  const keyEncryptionKeys: Buffer[] = [];
  const single = value('KEY_ENCRYPTION_KEY');
  const several = value('KEY_ENCRYPTION_KEYS');
  if (single !== undefined && several !== undefined) problems.push('Set KEY_ENCRYPTION_KEY or KEY_ENCRYPTION_KEYS, not both');
  const kekName = several !== undefined ? 'KEY_ENCRYPTION_KEYS' : 'KEY_ENCRYPTION_KEY';
  for (const kek of (several ?? single)?.split(',').map((part) => part.trim()) ?? []) {
    const bytes = Buffer.from(kek, 'base64');
    if (bytes.length !== 32 || !/^[A-Za-z0-9+/]+={0,2}$/.test(kek)) {
      problems.push(`${kekName} must be 32 random bytes in base64${several !== undefined ? ' each, newest first, comma-separated' : ''} (try: openssl rand -base64 32)`);
      break;
    }
    keyEncryptionKeys.push(bytes);
  }
  if (keyEncryptionKeys.length === 0 && databaseUrl && !problems.some((problem) => problem.startsWith(kekName))) {
    problems.push(
      'KEY_ENCRYPTION_KEY is required when DATABASE_URL is set (32 random bytes in base64: openssl rand -base64 32)',
    );
  }

  const bootstrapTenantId = value('BOOTSTRAP_TENANT_ID');
  const bootstrapApiKey = value('BOOTSTRAP_API_KEY');
  if ((bootstrapTenantId === undefined) !== (bootstrapApiKey === undefined)) {
    problems.push('BOOTSTRAP_TENANT_ID and BOOTSTRAP_API_KEY must be set together');
  }
  if (bootstrapTenantId !== undefined && !UUID.test(bootstrapTenantId)) {
    problems.push('BOOTSTRAP_TENANT_ID must be a UUID');
  }
  if (bootstrapApiKey !== undefined && bootstrapApiKey.length < MIN_API_KEY_LENGTH) {
    problems.push(`BOOTSTRAP_API_KEY must be at least ${MIN_API_KEY_LENGTH} characters of high-entropy secret`);
  }

  const metricsToken = value('METRICS_TOKEN');
  if (metricsToken !== undefined && (metricsToken.length < MIN_API_KEY_LENGTH || /\s/.test(metricsToken))) {
    problems.push(`METRICS_TOKEN must be at least ${MIN_API_KEY_LENGTH} characters of high-entropy secret, without spaces`);
  }

  const jwksUrl = value('OAUTH_JWKS_URL');
  const issuer = value('OAUTH_ISSUER');
  if (jwksUrl !== undefined && !URL.canParse(jwksUrl)) problems.push('OAUTH_JWKS_URL must be a URL');
  if (jwksUrl !== undefined && issuer === undefined) problems.push('OAUTH_ISSUER is required with OAUTH_JWKS_URL');
  if (jwksUrl === undefined && issuer !== undefined) problems.push('OAUTH_JWKS_URL is required with OAUTH_ISSUER');

  const config: AppConfig = {
    port: port('PORT', 3000),
    databaseUrl,
    dataDir: resolve(value('DATA_DIR') ?? './.data'),
    embeddedPostgresPort: port('EMBEDDED_POSTGRES_PORT', 54329),
    keyEncryptionKeys,
    bootstrap:
      bootstrapTenantId && bootstrapApiKey
        ? { tenantId: bootstrapTenantId.toLowerCase(), apiKey: bootstrapApiKey }
        : undefined,
    oauth: jwksUrl && issuer ? { jwksUrl, issuer, audience: value('OAUTH_AUDIENCE') } : undefined,
    jwksMaxAgeSeconds: nonNegativeInteger('JWKS_MAX_AGE', 300),
    defaultTokenLifetimeSeconds: positiveInteger('DEFAULT_TOKEN_LIFETIME_SECONDS', 3600, MAX_TOKEN_LIFETIME_SECONDS),
    corsOrigins,
    rsaPoolSizes,
    cacheMaxEntries: wholeCount('CACHE_MAX_ENTRIES', 50_000),
    rateLimits,
    auditSign: boolean('AUDIT_SIGN', false),
    runMigrations: boolean('RUN_MIGRATIONS', true),
    metricsToken,
    logLevel,
  };
  if (problems.length > 0) throw new ConfigError(problems);
  return config;
}

/** Injection token for the validated AppConfig. */
export const APP_CONFIG = Symbol('APP_CONFIG');

/** The configuration once the runtime has settled a database URL and the key-encryption keys. */
export type RuntimeConfig = AppConfig & {
  databaseUrl: string;
  /** The newest key-encryption key: what seals. */
  keyEncryptionKey: Buffer;
  embeddedDatabase: boolean;
};
