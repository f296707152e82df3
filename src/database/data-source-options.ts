import { type DynamicModule, Global, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import type { DataSourceOptions } from 'typeorm';
import { TenantChangeSignal } from './tenant-changes';
import { InitialSchema1763800000000 } from '../../migrations/1763800000000-initial-schema';
import { KeyLifecycle1763900000000 } from '../../migrations/1763900000000-key-lifecycle';
import { UserKeyTypes1764000000000 } from '../../migrations/1764000000000-user-key-types';
import { KeyCertificates1764100000000 } from '../../migrations/1764100000000-key-certificates';
import { KeyPageIndex1764200000000 } from '../../migrations/1764200000000-key-page-index';
import { AuditEvents1764300000000 } from '../../migrations/1764300000000-audit-events';
import { OneKeyOneKid1764400000000 } from '../../migrations/1764400000000-one-key-one-kid';
import { ApiKeyLastUsed1764500000000 } from '../../migrations/1764500000000-api-key-last-used';
import { KeyLifecyclePolicies1764600000000 } from '../../migrations/1764600000000-key-lifecycle-policies';
import { LeastPrivilege1764700000000 } from '../../migrations/1764700000000-least-privilege';
import { ApiKeyScopesExplicit1764710000000 } from '../../migrations/1764710000000-api-key-scopes-explicit';
import { Webhooks1764800000000 } from '../../migrations/1764800000000-webhooks';
import { WebhookSecretsCertificateWarningsDeliveryOrder1764900000000 } from '../../migrations/1764900000000-webhook-secrets-certificate-warnings-delivery-order';
import { HsmCustody1765000000000 } from '../../migrations/1765000000000-hsm-custody';
import { SuccessorPublicationClaim1765200000000 } from '../../migrations/1765200000000-successor-publication-claim';
import { FairWebhookDeliveries1765250000000 } from '../../migrations/1765250000000-fair-webhook-deliveries';
import { RetiredKeysIndex1765260000000 } from '../../migrations/1765260000000-retired-keys-index';
import { SigningPolicyWithoutNulls1765400000000 } from '../../migrations/1765400000000-signing-policy-without-nulls';

export const MIGRATIONS = [
  InitialSchema1763800000000,
  KeyLifecycle1763900000000,
  UserKeyTypes1764000000000,
  KeyCertificates1764100000000,
  KeyPageIndex1764200000000,
  AuditEvents1764300000000,
  OneKeyOneKid1764400000000,
  ApiKeyLastUsed1764500000000,
  KeyLifecyclePolicies1764600000000,
  LeastPrivilege1764700000000,
  ApiKeyScopesExplicit1764710000000,
  Webhooks1764800000000,
  WebhookSecretsCertificateWarningsDeliveryOrder1764900000000,
  HsmCustody1765000000000,
  SuccessorPublicationClaim1765200000000,
  FairWebhookDeliveries1765250000000,
  RetiredKeysIndex1765260000000,
  SigningPolicyWithoutNulls1765400000000,
];

/** The one TypeORM configuration, shared by the service, the CLI and the tests. The schema changes only through migrations. */
export function dataSourceOptions(url: string, runMigrations = true): DataSourceOptions {
  return {
    type: 'postgres',
    url,
    migrations: MIGRATIONS,
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
 * TypeORM for the service and the CLI, and the change signal beside it; each feature registers its
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
      providers: [TenantChangeSignal],
      exports: [TenantChangeSignal],
    };
  }
}
