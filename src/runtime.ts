import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Logger } from '@nestjs/common';
import { settleConfig, type AppConfig, type RuntimeConfig } from './config/config';
import { startEmbeddedPostgres } from './database/embedded-postgres';

export interface Runtime {
  config: RuntimeConfig;
  stop(): Promise<void>;
}

/**
 * Settles what the configuration left to defaults: without DATABASE_URL, starts the embedded
 * PostgreSQL and, without KEY_ENCRYPTION_KEY, generates one once into DATA_DIR.
 */
export async function prepareRuntime(config: AppConfig, logger = new Logger('Runtime')): Promise<Runtime> {
  if (config.databaseUrl) {
    return { config: settleConfig(config, { databaseUrl: config.databaseUrl }), stop: () => Promise.resolve() };
  }
  const openingKeys = config.openingKeys.length > 0 ? config.openingKeys : [readOrCreateKeyEncryptionKey(config.dataDir, logger)];
  const database = await startEmbeddedPostgres(config.dataDir, config.embeddedPostgresPort);
  logger.log(
    database.started
      ? `Embedded PostgreSQL started in ${join(config.dataDir, 'pg')}`
      : `Using the embedded PostgreSQL that another process (the service) runs in ${join(config.dataDir, 'pg')}`,
  );
  return {
    config: settleConfig(config, { databaseUrl: database.url, openingKeys, embeddedDatabase: true }),
    stop: () => database.stop(),
  };
}

/** Where the embedded default keeps the key-encryption key it generated, when neither variable sets one. */
export const generatedKeyEncryptionKeyPath = (dataDir: string) => join(dataDir, 'key-encryption-key');

function readOrCreateKeyEncryptionKey(dataDir: string, logger: Logger): Buffer {
  const path = generatedKeyEncryptionKeyPath(dataDir);
  if (existsSync(path)) return Buffer.from(readFileSync(path, 'utf8').trim(), 'base64');
  mkdirSync(dataDir, { recursive: true, mode: 0o755 });
  const key = randomBytes(32);
  writeFileSync(path, `${key.toString('base64')}\n`, { mode: 0o600 });
  logger.warn(`KEY_ENCRYPTION_KEY is not set: generated one into ${path}. Back it up: without it, stored private keys cannot be read.`);
  return key;
}
