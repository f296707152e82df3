import 'reflect-metadata';
import { parseArgs } from 'node:util';
import { Presets, SingleBar } from 'cli-progress';
import { DataSource } from 'typeorm';
import { isUUID } from 'class-validator';
import { AuditTrail, cliActor } from './audit/audit-trail';
import { ConfigError, loadConfig, loadDotEnv } from './config/config';
import { dataSourceOptions } from './database/data-source-options';
import { rotateKeyEncryption, type RotationProgress } from './keys/kek-rotation';
import { isDatabaseUnavailable } from './database/database-errors';
import { prepareRuntime } from './runtime';
import { TenantsService } from './tenants/tenants.service';

const USAGE = `Usage: npm run cli -- <command> [options]

  tenant:create --name <name> [--json]     create a tenant and its first API key (shown once)
  apikey:create --tenant <id> [--json]     create another API key for a tenant (shown once)
  apikey:revoke --id <api key id> [--json] revoke an API key at once
  migration:run                            apply pending database migrations
  kek:rotate [--batch <n>] [--json]        re-seal every stored private key under the newest
                                           key-encryption key (KEY_ENCRYPTION_KEYS, newest first);
                                           resumable, safe while the service runs
  audit:prune --days <n> [--batch <n>] [--json]
                                           delete audit events older than n days, in batches
                                           (the pruning is itself recorded); for a daily cron job

The CLI uses the service's configuration (.env and the environment).`;

class UsageError extends Error {}

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
  const bar = new SingleBar({ stream: process.stderr, format: `  ${verb} {bar} {value}/{total} ({percentage}%) eta {eta}s`, hideCursor: true }, Presets.shades_classic);
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

function requireUuid(value: string | undefined, option: string): string {
  if (!value || !isUUID(value, 'all')) throw new UsageError(`${option} must be a UUID`);
  return value.toLowerCase();
}

async function run(argv: string[]): Promise<void> {
  const { positionals, values } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      name: { type: 'string' },
      tenant: { type: 'string' },
      id: { type: 'string' },
      batch: { type: 'string', default: '200' },
      days: { type: 'string' },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  });
  const [command] = positionals;
  if (values.help || !command) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  if (!['tenant:create', 'apikey:create', 'apikey:revoke', 'migration:run', 'kek:rotate', 'audit:prune'].includes(command)) {
    throw new UsageError(`unknown command "${command}"`);
  }
  const name = values.name?.trim();
  if (command === 'tenant:create' && (!name || name.length > 255)) throw new UsageError('--name is required (1 to 255 characters)');
  const tenantId = command === 'apikey:create' ? requireUuid(values.tenant, '--tenant') : undefined;
  const apiKeyId = command === 'apikey:revoke' ? requireUuid(values.id, '--id') : undefined;
  const days = command === 'audit:prune' ? Number(values.days) : undefined;
  if (days !== undefined && (!Number.isInteger(days) || days < 1 || days > 36_500)) throw new UsageError('--days must be a whole number from 1 to 36500');
  const batchSize = Number(values.batch);
  if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > 10_000) throw new UsageError('--batch must be a whole number from 1 to 10000');

  const runtime = await prepareRuntime(loadConfig());
  const dataSource = new DataSource(dataSourceOptions(runtime.config.databaseUrl));
  try {
    await dataSource.initialize(); // runs pending migrations
    const audit = new AuditTrail(dataSource);
    const tenants = new TenantsService(dataSource, audit);
    const print = (json: object, text: string) =>
      process.stdout.write(values.json ? `${JSON.stringify(json)}\n` : `${text}\n`);
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
        const issued = await tenants.createApiKey(cliActor(), tenantId!);
        print(
          { tenantId: issued.tenantId, apiKeyId: issued.apiKeyId, apiKey: issued.apiKey },
          `API key created for tenant ${issued.tenantId}.\n  api key id: ${issued.apiKeyId}\n  API key:    ${issued.apiKey}\nThe API key is shown only now.`,
        );
        break;
      }
      case 'apikey:revoke':
        await tenants.revokeApiKey(cliActor(), apiKeyId!);
        print({ apiKeyId, revoked: true }, `API key ${apiKeyId} revoked.`);
        break;
      case 'migration:run':
        print({ migrated: true }, 'Migrations are up to date.');
        break;
      case 'kek:rotate': {
        const progress = values.json ? undefined : progressReporter('re-sealed');
        const result = await rotateKeyEncryption(dataSource, runtime.config.keyEncryptionKeys, batchSize, progress?.update);
        progress?.stop();
        print(
          result,
          result.remaining === 0
            ? `${result.resealed} private keys re-sealed; all are under the newest key-encryption key. Older keys may now be removed from KEY_ENCRYPTION_KEYS.`
            : `${result.resealed} private keys re-sealed; ${result.remaining} were busy and remain: run kek:rotate again.`,
        );
        if (result.remaining > 0) process.exitCode = 1;
        break;
      }
      case 'audit:prune': {
        const deleted = await audit.prune(cliActor(), days!, batchSize);
        print({ days, deleted }, `${deleted} audit events older than ${days} days deleted.`);
        break;
      }
    }
  } finally {
    if (dataSource.isInitialized) await dataSource.destroy();
    await runtime.stop();
  }
}

loadDotEnv();
run(process.argv.slice(2)).catch((error: unknown) => {
  if (error instanceof ConfigError) {
    for (const problem of error.problems) process.stderr.write(`Configuration error: ${problem}\n`);
  } else if (error instanceof UsageError || (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
    process.stderr.write(`Error: ${(error as Error).message} (npm run cli -- --help for usage)\n`);
  } else if (isDatabaseUnavailable(error)) {
    // Never the URL itself: it may hold a password.
    process.stderr.write(`Error: cannot reach the database (${(error as Error).message}); check DATABASE_URL and that PostgreSQL is running\n`);
  } else {
    process.stderr.write(`Error: ${error instanceof Error ? error.message : String(error)}\n`);
  }
  process.exit(1);
});
