import { Module } from '@nestjs/common';
import { TenantKeysModule } from '../tenant-keys/tenant-keys.module';
import { TenantsModule } from '../tenants/tenants.module';
import { FusionAuthJwtController } from './fusionauth-jwt.controller';
import { FusionAuthKeysController } from './fusionauth-keys.controller';
import { FusionAuthNotFound } from './fusionauth-not-found';

/** FusionAuth's key and JWT APIs under `/api`, translated to the services behind `/key`. */
@Module({
  imports: [TenantKeysModule, TenantsModule],
  controllers: [FusionAuthKeysController, FusionAuthJwtController],
  providers: [FusionAuthNotFound],
})
export class FusionAuthModule {}
