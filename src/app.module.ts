import { type DynamicModule, Module } from '@nestjs/common';
import { APP_FILTER, APP_PIPE } from '@nestjs/core';
import { TerminusModule } from '@nestjs/terminus';
import { AuditModule } from './audit/audit.module';
import { AuthModule } from './auth/auth.module';
import { ConsoleModule } from './console/console.module';
import { EnvelopeExceptionFilter } from './common/exception.filter';
import { createValidationPipe } from './common/validation';
import type { RuntimeConfig } from './config/config';
import { ConfigModule } from './config/config.module';
import { DatabaseModule } from './database/database.module';
import { FusionAuthModule } from './fusionauth/fusionauth.module';
import { HealthController } from './health/health.controller';
import { HsmModule } from './hsm/hsm.module';
import { APP_SEALED_COLUMNS } from './sealed-columns';
import { SealingModule } from './sealing/sealing.module';
import type { Pkcs11Token } from './hsm/pkcs11-token';
import { TenantKeysModule } from './tenant-keys/tenant-keys.module';
import { MetricsModule } from './metrics/metrics.module';
import { TenantBootstrap } from './tenants/tenant-bootstrap';
import { TenantsModule } from './tenants/tenants.module';
import { UserKeysModule } from './user-keys/user-keys.module';
import { WebhookDeliveryModule } from './webhooks/delivery/webhook-delivery.module';

@Module({})
export class AppModule {
  static forRoot(config: RuntimeConfig, hsm: Pkcs11Token | null): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ConfigModule.forRoot(config),
        HsmModule.forRoot(hsm),
        SealingModule.forRoot(APP_SEALED_COLUMNS),
        DatabaseModule.forRoot(config.databaseUrl, { runMigrations: config.runMigrations, retryAttempts: 3 }),
        AuditModule,
        TenantsModule,
        AuthModule,
        TenantKeysModule,
        FusionAuthModule,
        UserKeysModule,
        MetricsModule,
        WebhookDeliveryModule,
        ConsoleModule,
        // Terminus logs nothing itself: a failed probe is its 503, and the database error is logged where it happens.
        TerminusModule.forRoot({ logger: false }),
      ],
      controllers: [HealthController],
      providers: [
        TenantBootstrap,
        { provide: APP_FILTER, useClass: EnvelopeExceptionFilter },
        { provide: APP_PIPE, useFactory: createValidationPipe },
      ],
    };
  }
}
