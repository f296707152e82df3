import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { EntityManager, Repository } from 'typeorm';
import { lockCount } from '../database/count-lock';
import { UserKeyEntity } from './entities/user-key.entity';

/** Every query is scoped by the owner: the issuer that vouched for the user, and the user's id there. */
@Injectable()
export class UserKeysRepository {
  constructor(@InjectRepository(UserKeyEntity) private readonly keys: Repository<UserKeyEntity>) {}

  listByOwner(issuer: string, ownerId: string): Promise<UserKeyEntity[]> {
    return this.keys.find({ where: { issuer, ownerId }, order: { createdAt: 'ASC', id: 'ASC' } });
  }

  /** The owner's keys, counted under a lock that the owner's other key creations wait for until this transaction ends. */
  async countLocked(manager: EntityManager, issuer: string, ownerId: string): Promise<number> {
    await lockCount(manager, 'user-keys', `${issuer}\n${ownerId}`);
    return manager.countBy(UserKeyEntity, { issuer, ownerId });
  }

  /** The writes run in the caller's transaction, so that the audit row commits with them. */
  async delete(manager: EntityManager, issuer: string, ownerId: string, id: string): Promise<boolean> {
    return ((await manager.delete(UserKeyEntity, { issuer, ownerId, id })).affected ?? 0) > 0;
  }

  async insert(manager: EntityManager, key: Omit<UserKeyEntity, 'createdAt'>): Promise<UserKeyEntity> {
    const result = await manager.insert(UserKeyEntity, key);
    return manager.create(UserKeyEntity, { ...key, ...result.generatedMaps[0] });
  }
}
