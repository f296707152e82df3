import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { TenantKeysModule } from '../tenant-keys/tenant-keys.module';
import { TenantsModule } from '../tenants/tenants.module';
import { AccessTokenService } from './access-token.service';
import { AuthGuard } from './auth.guard';
import { HeaderAuthService } from './header-auth.service';
import { RateLimitGuard, RateLimitModule } from './rate-limit';

@Module({
  imports: [TenantsModule, TenantKeysModule, RateLimitModule],
  // In this order: the rate limit counts per credential, which the AuthGuard finds.
  providers: [HeaderAuthService, AccessTokenService, { provide: APP_GUARD, useClass: AuthGuard }, { provide: APP_GUARD, useClass: RateLimitGuard }],
})
export class AuthModule {}
