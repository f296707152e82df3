import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { UserKeyEntity } from './entities/user-key.entity';
import { UserKeysController } from './user-keys.controller';
import { UserKeysRepository } from './user-keys.repository';
import { UserKeysService } from './user-keys.service';

@Module({
  imports: [TypeOrmModule.forFeature([UserKeyEntity])],
  controllers: [UserKeysController],
  providers: [UserKeysService, UserKeysRepository],
})
export class UserKeysModule {}
