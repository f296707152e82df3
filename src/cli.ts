import 'reflect-metadata';
import { parseArgs } from 'node:util';
import { ConsoleLogger, Logger, type LogLevel } from '@nestjs/common';
import { Presets, SingleBar } from 'cli-progress';
import { NestFactory } from '@nestjs/core';
import { DataSource } from 'typeorm';
import { isUUID } from 'class-validator';
import { AuditTrail, cliActor } from './audit/audit-trail';
import { CliModule } from './cli.module';
import { KeyCustody } from './tenant-keys/material/key-custody';
import { openHsm } from './hsm/hsm.module';
import { ConfigError, loadConfig, loadDotEnv } from './config/config';
import { KeyEncryptionRotation, type RotationProgress } from './tenant-keys/material/kek-rotation';
import { isDatabaseUnavailable } from './database/database-errors';
import { prepareRuntime, type Runtime } from './runtime';
import { TenantsService, type ApiKeyGrant } from './tenants/tenants.service';
import { API_KEY_SCOPES, type ApiKeyScope } from './common/route-access';
import { isSignKey } from './common/key-names';

const USAGE = `Usage: npm run cli -- <command> [options]

  tenant:create --name <name> [--json]     create a tenant and its first API key (shown once)
  tenant:list [--json]                     list tenants: id, name, created, active API keys
  apikey:create --tenant <id> [--name <name>] [--scopes <a,b>] [--sign-keys <id|alias,...>] [--expires <date-time>] [--json]
                                           create another API key for a tenant (shown once); by default every
                                           scope (${API_KEY_SCOPES.join(', ')}), any key, no expiry
  apikey:list --tenant <id> [--json]       list a tenant's API keys: id, prefix, created, last used,
                                           revoked (never the secret)
  apikey:revoke --id <api key id> [--json] revoke an API key at once
  migration:run [--json]                   apply pending database migrations
  kek:rotate [--batch <n>] [--json]        re-seal every stored secret (private keys, HMAC and webhook
                                           secrets) under what seals now: the newest KEY_ENCRYPTION_KEYS key,
                                           or the HSM's PKCS11_KEK_LABEL key; resumable, safe while the
                                           service runs
  hsm:orphans [--destroy] [--grace <s>] [--json]
                                           key pairs in the HSM that no key names (seen twice, --grace
                                           seconds apart, default 60); --destroy destroys them
  audit:prune --days <n> [--batch <n>] [--json]
                                           delete audit events older than n days, in batches
                                           (the pruning is itself recorded); for a daily cron job

With --json, a command that succeeds prints exactly one JSON object on standard output; logs, progress
and errors go to standard error.
Exit codes: 0 done, 1 failed, 2 bad usage. The CLI uses the service's configuration (.env and the environment).`;

const COMMANDS = [
  'tenant:create',
  'tenant:list',
  'apikey:create',
  'apikey:list',
  'apikey:revoke',
  'migration:run',
  'kek:rotate',
  'audit:prune',
  'hsm:orphans',
];

/** Wrong words on the command line: exit code 2, as for any command-line tool. */
class UsageError extends Error {}

/**
 * Nest's console logger, on standard error: standard output is for the command's result alone. Colours only
 * on a terminal.
 */
class StderrLogger extends ConsoleLogger {
  constructor() {
    super({ colors: Boolean(process.stderr.isTTY) });
  }

  protected override printMessages(messages: unknown[], context?: string, logLevel?: LogLevel): void {
    super.printMessages(messages, context, logLevel, 'stderr');
  }
}

/**
 * Progress of a long operation on stderr: a bar on a terminal, a line per step otherwise (CI logs, pipes),
 * so that stdout keeps only the result.
 */
function progressReporter(verb: string) {
  if (!process.stderr.isTTY) {
    return {
      update: ({ resealed, remaining }: RotationProgress) => void process.stderr.write(`  ${verb} ${resealed}, ${remaining} to go\n`),
      stop: () => undefined,
    };
  }
  const bar = new SingleBar(
    { stream: process.stderr, format: `  ${verb} {bar} {value}/{total} ({percentage}%) eta {eta}s`, hideCursor: true },
    Presets.shades_classic,
  );
  let started = false;
  return {
    update: ({ resealed, remaining }: RotationProgress) => {
      if (!started) bar.start(resealed + remaining, resealed);
      started = true;
      bar.setTotal(resealed + remaining);
      bar.update(resealed);
    },
    stop: () => bar.stop(),
  };
}

function required(value: string | undefined, option: string): string {
  if (value === undefined || value.trim() === '') throw new UsageError(`${option} is required`);
  return value.trim();
}

function requiredUuid(value: string | undefined, option: string): string {
  const uuid = required(value, option);
  if (!isUUID(uuid, 'all')) throw new UsageError(`${option} must be a UUID`);
  return uuid.toLowerCase();
}

function wholeNumber(value: string, option: string, max: number): number {
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 1 || parsed > max) throw new UsageError(`${option} must be a whole number from 1 to ${max}`);
  return parsed;
}

/** `apikey:create`'s options: a name, scopes (all by default), the keys it may sign with, an expiry. */
function apiKeyGrant(values: { name?: string; scopes?: string; 'sign-keys'?: string; expires?: string }): ApiKeyGrant {
  const list = (value: string) =>
    value
      .split(',')
      .map((item) => item.trim())
      .filter(Boolean);
  const scopes = values.scopes === undefined ? undefined : list(values.scopes);
  const unknown = scopes?.find((scope) => !(API_KEY_SCOPES as readonly string[]).includes(scope));
  if (scopes?.length === 0 || unknown !== undefined) throw new UsageError(`--scopes must be a comma-separated list of ${API_KEY_SCOPES.join(', ')}`);
  const signKeys = values['sign-keys'] === undefined ? null : list(values['sign-keys']).map((key) => key.toLowerCase());
  if (signKeys?.length === 0 || signKeys?.some((key) => !isSignKey(key)))
    throw new UsageError('--sign-keys must be a comma-separated list of key ids or aliases');
  const expiresAt = values.expires === undefined ? null : new Date(values.expires);
  if (expiresAt && (Number.isNaN(expiresAt.getTime()) || expiresAt.getTime() <= Date.now()))
    throw new UsageError('--expires must be a future ISO 8601 date-time, like 2027-01-31T00:00:00Z');
  if (values.name !== undefined && (values.name.trim() === '' || values.name.length > 255))
    throw new UsageError('--name must be 1 to 255 characters');
  return { name: values.name?.trim() ?? null, scopes: scopes as ApiKeyScope[] | undefined, signKeys, expiresAt };
}

/** A table for people: one row per line, columns padded. */
function table(header: string[], rows: string[][]): string {
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => row[column].length)));
  return [header, ...rows]
    .map((row) =>
      row
        .map((cell, column) => cell.padEnd(widths[column]))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

const when = (date: Date | null) => date?.toISOString() ?? '-';

const logger = new Logger('CLI');

async function run(argv: string[]): Promise<void> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        name: { type: 'string' },
        scopes: { type: 'string' },
        'sign-keys': { type: 'string' },
        expires: { type: 'string' },
        tenant: { type: 'string' },
        id: { type: 'string' },
        batch: { type: 'string', default: '200' },
        days: { type: 'string' },
        destroy: { type: 'boolean', default: false },
        grace: { type: 'string', default: '60' },
        json: { type: 'boolean', default: false },
        help: { type: 'boolean', default: false },
      },
    });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const { positionals, values } = parsed;
  const [command] = positionals;
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  if (!command) {
    process.stderr.write(`${USAGE}\n`);
    process.exitCode = 2;
    return;
  }
  if (!COMMANDS.includes(command)) throw new UsageError(`unknown command "${command}"`);
  const name = command === 'tenant:create' ? required(values.name, '--name') : undefined;
  if (name !== undefined && name.length > 255) throw new UsageError('--name must be 1 to 255 characters');
  const tenantId = ['apikey:create', 'apikey:list'].includes(command) ? requiredUuid(values.tenant, '--tenant') : undefined;
  const apiKeyId = command === 'apikey:revoke' ? requiredUuid(values.id, '--id') : undefined;
  const grant = command === 'apikey:create' ? apiKeyGrant(values) : undefined;
  const days = command === 'audit:prune' ? wholeNumber(required(values.days, '--days'), '--days', 36_500) : undefined;
  const batchSize = wholeNumber(values.batch, '--batch', 10_000);
  const graceSeconds = values.grace === '0' ? 0 : wholeNumber(values.grace, '--grace', 3_600);

  // A database the CLI starts runs in a session of its own: interrupted, the CLI stops it before leaving
  // (interrupted while it starts, the next start adopts it). 128 + the signal's number, as shells report it.
  let runtime: Runtime | undefined;
  for (const [signal, code] of [
    ['SIGINT', 130],
    ['SIGTERM', 143],
  ] as const) {
    process.once(signal, () => void (runtime?.stop() ?? Promise.resolve()).finally(() => process.exit(code)));
  }
  runtime = await prepareRuntime(loadConfig());
  // Built silently: what stops it (a database out of reach) is reported below in one line, not as Nest's
  // retries and stacks, and abortOnError off leaves that to us rather than an exit inside Nest.
  const context = await Promise.resolve()
    .then(() =>
      NestFactory.createApplicationContext(CliModule.forRoot(runtime.config, openHsm(runtime.config)), { abortOnError: false, logger: false }),
    )
    .catch(async (error: unknown) => {
      await runtime?.stop();
      throw error;
    });
  Logger.overrideLogger(new StderrLogger());
  try {
    // Every command first applies pending migrations, as the service does at start.
    const applied = (await context.get(DataSource).runMigrations({ transaction: 'all' })).map((migration) => migration.name);
    if (applied.length > 0 && command !== 'migration:run') logger.log(`Applied ${applied.length} pending migrations`);
    const tenants = context.get(TenantsService);
    const print = (json: object, text: string) => process.stdout.write(values.json ? `${JSON.stringify(json)}\n` : `${text}\n`);
    switch (command) {
      case 'tenant:create': {
        const issued = await tenants.createTenant(cliActor(), name!);
        print(
          { tenantId: issued.tenantId, apiKeyId: issued.apiKeyId, apiKey: issued.apiKey },
          `Tenant "${name}" created.\n  tenant id:  ${issued.tenantId}\n  api key id: ${issued.apiKeyId}\n  API key:    ${issued.apiKey}\nThe API key is shown only now.`,
        );
        break;
      }
      case 'apikey:create': {
        const issued = await tenants.createApiKey(cliActor(), tenantId!, grant);
        print(
          { tenantId: issued.tenantId, apiKeyId: issued.apiKeyId, apiKey: issued.apiKey },
          `API key created for tenant ${issued.tenantId}.\n  api key id: ${issued.apiKeyId}\n  API key:    ${issued.apiKey}\nThe API key is shown only now.`,
        );
        break;
      }
      case 'tenant:list': {
        const tenantList = await tenants.listTenants();
        print(
          { tenants: tenantList },
          table(
            ['TENANT ID', 'NAME', 'CREATED', 'ACTIVE API KEYS'],
            tenantList.map((t) => [t.id, t.name, when(t.createdAt), String(t.activeApiKeys)]),
          ),
        );
        break;
      }
      case 'apikey:list': {
        const apiKeys = await tenants.listApiKeys(tenantId!);
        print(
          { tenantId, apiKeys },
          table(
            ['API KEY ID', 'NAME', 'PREFIX', 'SCOPES', 'CREATED', 'LAST USED', 'EXPIRES', 'REVOKED'],
            apiKeys.map((k) => [
              k.id,
              k.name ?? '-',
              k.prefix,
              k.scopes.join(','),
              when(k.createdAt),
              when(k.lastUsedAt),
              when(k.expiresAt),
              when(k.revokedAt),
            ]),
          ),
        );
        break;
      }
      case 'apikey:revoke':
        await tenants.revokeApiKey(cliActor(), apiKeyId!);
        print({ apiKeyId, revoked: true }, `API key ${apiKeyId} revoked.`);
        break;
      case 'migration:run':
        print(
          { migrated: true, applied },
          applied.length > 0
            ? `Applied ${applied.length} migrations: ${applied.join(', ')}. Migrations are up to date.`
            : 'Migrations are up to date.',
        );
        break;
      case 'kek:rotate': {
        const progress = values.json ? undefined : progressReporter('re-sealed');
        const result = await context.get(KeyEncryptionRotation).run(batchSize, progress?.update);
        progress?.stop();
        print(
          result,
          result.remaining === 0
            ? `${result.resealed} secrets re-sealed (private keys, HMAC and webhook secrets); all are under the newest key-encryption key. Older keys may now be removed from KEY_ENCRYPTION_KEYS.`
            : `${result.resealed} secrets re-sealed; ${result.remaining} were busy and remain: run kek:rotate again.`,
        );
        if (result.remaining > 0) process.exitCode = 1;
        break;
      }
      case 'hsm:orphans': {
        if (!runtime.config.pkcs11) throw new Error('hsm:orphans needs an HSM: PKCS11_MODULE, PKCS11_TOKEN_LABEL and PKCS11_PIN');
        const stored = async () =>
          new Set(
            (await context.get(DataSource).query<{ hsm_label: string }[]>('SELECT hsm_label FROM tenant_keys WHERE hsm_label IS NOT NULL')).map(
              (row) => row.hsm_label,
            ),
          );
        const orphans = await context.get(KeyCustody).orphans(stored, { graceSeconds, destroy: values.destroy });
        const verb = values.destroy ? 'destroyed' : 'found';
        print(
          { orphans, destroyed: values.destroy },
          orphans.length === 0 ? 'No orphaned key pairs in the HSM.' : `${orphans.length} orphaned key pairs ${verb}:\n${orphans.join('\n')}`,
        );
        break;
      }
      case 'audit:prune': {
        const deleted = await context.get(AuditTrail).prune(cliActor(), days!, batchSize);
        print({ days, deleted }, `${deleted} audit events older than ${days} days deleted.`);
        break;
      }
    }
  } finally {
    await context.close();
    await runtime.stop();
  }
}

// Whatever a library prints with console.log goes to standard error too: standard output is the result's.
console.log = console.error;
Logger.overrideLogger(new StderrLogger());
loadDotEnv();
run(process.argv.slice(2)).catch((error: unknown) => {
  if (error instanceof ConfigError) {
    for (const problem of error.problems) process.stderr.write(`Configuration error: ${problem}\n`);
  } else if (error instanceof UsageError) {
    process.stderr.write(`Error: ${error.message} (npm run cli -- --help for usage)\n`);
    process.exit(2);
  } else if (isDatabaseUnavailable(error)) {
    // Never the URL itself: it may hold a password.
    process.stderr.write(`Error: cannot reach the database (${(error as Error).message}); check DATABASE_URL and that PostgreSQL is running\n`);
  } else {
    process.stderr.write(`Error: ${error instanceof Error ? error.message : String(error)}\n`);
  }
  process.exit(1);
});
