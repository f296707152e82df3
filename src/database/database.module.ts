import { join } from 'node:path';
import { type DynamicModule, Global, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import type { DataSourceOptions } from 'typeorm';
import { TenantChangeListener } from './tenant-changes';

/**
 * Every file in migrations/, found when the data source starts: its .ts files under ts-jest and ts-node, its compiled
 * .js files in dist/ (the build puts migrations/ beside src/). A new migration needs no registering.
 */
const MIGRATIONS = join(__dirname, '..', '..', 'migrations', '*.{js,ts}');

/** The one TypeORM configuration, shared by the service, the CLI and the tests. The schema changes only through migrations. */
export function dataSourceOptions(url: string, runMigrations = true): DataSourceOptions {
  return {
    type: 'postgres',
    url,
    migrations: [MIGRATIONS],
    migrationsRun: runMigrations,
    migrationsTransactionMode: 'all',
    synchronize: false,
    // Query logging stays off: failed statements would print their parameters.
    logging: ['migration'],
    extra: {
      max: 10,
      // Fail fast when the database is away, so callers get a 503 rather than a hang.
      connectionTimeoutMillis: 5_000,
      statement_timeout: 15_000,
    },
  };
}

/**
 * TypeORM for the service and the CLI, and the change listener beside it; each feature registers its
 * entities (`TypeOrmModule.forFeature`). The service retries a database that is still starting; the CLI fails
 * at once (retryAttempts 0).
 */
@Global()
@Module({})
export class DatabaseModule {
  static forRoot(url: string, { runMigrations, retryAttempts }: { runMigrations: boolean; retryAttempts: number }): DynamicModule {
    return {
      module: DatabaseModule,
      imports: [TypeOrmModule.forRoot({ ...dataSourceOptions(url, runMigrations), autoLoadEntities: true, retryAttempts, retryDelay: 1_000 })],
      providers: [TenantChangeListener],
      exports: [TenantChangeListener],
    };
  }
}
