import { type DynamicModule, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AuditModule } from '../audit/audit.module';
import type { RuntimeConfig } from '../config/config';
import { ConfigModule } from '../config/config.module';
import { DatabaseModule } from '../database/database.module';
import { TenantKeyEntity } from '../tenant-keys/entities/tenant-key.entity';
import { KeyEncryptionRotation } from '../tenant-keys/material/kek-rotation';
import { KeyCustody } from '../tenant-keys/material/key-custody';
import { TenantKeysRepository } from '../tenant-keys/tenant-keys.repository';
import { TenantsModule } from '../tenants/tenants.module';
import { HsmModule } from '../hsm/hsm.module';
import { APP_SEALED_COLUMNS } from '../sealed-columns';
import { SealingModule } from '../sealing/sealing.module';
import type { Pkcs11Token } from '../hsm/pkcs11-token';

/**
 * What the CLI's commands need, wired as the service wires it: tenants and API keys, the audit trail, KEK
 * rotation, the HSM's key pairs and the keys that name them. No HTTP, no bootstrap tenant, no RSA pool.
 * Migrations run by the CLI itself (it reports them).
 */
@Module({})
export class CliModule {
  static forRoot(config: RuntimeConfig, hsm: Pkcs11Token | null): DynamicModule {
    return {
      module: CliModule,
      imports: [
        ConfigModule.forRoot(config),
        HsmModule.forRoot(hsm),
        SealingModule.forRoot(APP_SEALED_COLUMNS),
        DatabaseModule.forRoot(config.databaseUrl, { runMigrations: false, retryAttempts: 0 }),
        TypeOrmModule.forFeature([TenantKeyEntity]),
        AuditModule,
        TenantsModule,
      ],
      providers: [KeyEncryptionRotation, KeyCustody, TenantKeysRepository],
    };
  }
}
