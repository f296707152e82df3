import { Module } from '@nestjs/common';
import { TenantBootstrap } from './tenant-bootstrap';
import { TenantCacheService } from './tenant-cache.service';
import { TenantsService } from './tenants.service';

@Module({ providers: [TenantsService, TenantBootstrap, TenantCacheService], exports: [TenantsService, TenantCacheService] })
export class TenantsModule {}
