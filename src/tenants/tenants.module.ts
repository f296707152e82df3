import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { ApiKeyEntity } from './api-key.entity';
import { TenantCacheService } from './tenant-cache.service';
import { TenantEntity } from './tenant.entity';
import { TenantsService } from './tenants.service';

@Module({
  imports: [TypeOrmModule.forFeature([TenantEntity, ApiKeyEntity])],
  providers: [TenantsService, TenantCacheService],
  exports: [TenantsService, TenantCacheService],
})
export class TenantsModule {}
