import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { ApiKeyEntity } from './api-key.entity';
import { ApiKeysController } from './api-keys.controller';
import { ApiKeysService } from './api-keys.service';
import { TenantCacheService } from './tenant-cache.service';
import { TenantEntity } from './tenant.entity';
import { WebhooksModule } from '../webhooks/webhooks.module';
import { TenantsRepository } from './tenants.repository';
import { TenantsService } from './tenants.service';

@Module({
  imports: [TypeOrmModule.forFeature([TenantEntity, ApiKeyEntity]), WebhooksModule],
  controllers: [ApiKeysController],
  providers: [TenantsRepository, TenantsService, TenantCacheService, ApiKeysService],
  exports: [TenantsService, TenantCacheService],
})
export class TenantsModule {}
