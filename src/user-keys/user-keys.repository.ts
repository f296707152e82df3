import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { Repository } from 'typeorm';
import { UserKeyEntity } from './entities/user-key.entity';

/** Every query is scoped by the owner: the issuer that vouched for the user, and the user's id there. */
@Injectable()
export class UserKeysRepository {
  constructor(@InjectRepository(UserKeyEntity) private readonly keys: Repository<UserKeyEntity>) {}

  listByOwner(issuer: string, ownerId: string): Promise<UserKeyEntity[]> {
    return this.keys.find({ where: { issuer, ownerId }, order: { createdAt: 'ASC', id: 'ASC' } });
  }

  async delete(issuer: string, ownerId: string, id: string): Promise<boolean> {
    return ((await this.keys.delete({ issuer, ownerId, id })).affected ?? 0) > 0;
  }

  async insert(key: Omit<UserKeyEntity, 'createdAt'>): Promise<UserKeyEntity> {
    const result = await this.keys.insert(key);
    return this.keys.create({ ...key, ...result.generatedMaps[0] });
  }
}
