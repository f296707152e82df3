import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { KeysModule } from '../keys/keys.module';
import { TenantsModule } from '../tenants/tenants.module';
import { AccessTokenService } from './access-token.service';
import { AuthGuard } from './auth.guard';
import { HeaderAuthService } from './header-auth.service';

@Module({
  imports: [TenantsModule, KeysModule],
  providers: [HeaderAuthService, AccessTokenService, { provide: APP_GUARD, useClass: AuthGuard }],
})
export class AuthModule {}
