import { Module } from '@nestjs/common';
import { TenantBootstrap } from './tenant-bootstrap';
import { TenantsService } from './tenants.service';

@Module({ providers: [TenantsService, TenantBootstrap], exports: [TenantsService] })
export class TenantsModule {}
