import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { TenantsModule } from '../tenants/tenants.module';
import { WebhooksModule } from '../webhooks/webhooks.module';
import { TenantKeyEntity } from './entities/tenant-key.entity';
import { JwksRoutes } from './jwks/jwks.routes';
import { KeySigningService } from './signing/key-signing.service';
import { RsaKeyPool } from './material/rsa-key-pool';
import { TenantKeysController } from './tenant-keys.controller';
import { TenantKeysRepository } from './tenant-keys.repository';
import { TenantKeysService } from './tenant-keys.service';
import { TrustedKeys } from './trusted-keys';
import { KeyWrites } from './key-writes';
import { KeyCustody } from './material/key-custody';
import { KeyCertificatesService } from './certificates/key-certificates.service';
import { KeyLifecycle } from './lifecycle/key-lifecycle';
import { KeyLifecycleScheduler } from './lifecycle/key-lifecycle.scheduler';

@Module({
  imports: [TypeOrmModule.forFeature([TenantKeyEntity]), TenantsModule, WebhooksModule],
  controllers: [TenantKeysController],
  providers: [
    JwksRoutes,
    TenantKeysService,
    TenantKeysRepository,
    KeySigningService,
    RsaKeyPool,
    TrustedKeys,
    KeyWrites,
    KeyLifecycle,
    KeyLifecycleScheduler,
    KeyCertificatesService,
    KeyCustody,
  ],
  // TenantKeysService and KeySigningService: for the FusionAuth mount, which translates to them.
  exports: [TrustedKeys, RsaKeyPool, TenantKeysService, KeySigningService],
})
export class TenantKeysModule {}
