import { MiddlewareConsumer, Module, NestModule } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { TenantKeyEntity } from './entities/tenant-key.entity';
import { unwrapFusionAuthKeyBody } from './fusionauth-body.middleware';
import { TenantKeysController } from './tenant-keys.controller';
import { TenantKeysRepository } from './tenant-keys.repository';
import { TenantKeysService } from './tenant-keys.service';

@Module({
  imports: [TypeOrmModule.forFeature([TenantKeyEntity])],
  controllers: [TenantKeysController],
  providers: [TenantKeysService, TenantKeysRepository],
})
export class KeysModule implements NestModule {
  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(unwrapFusionAuthKeyBody).forRoutes(TenantKeysController);
  }
}
