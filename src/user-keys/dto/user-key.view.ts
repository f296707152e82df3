import { createPublicKey } from 'node:crypto';
import type { JWK } from 'jose';
import { formatUserPublicKey, type UserKeyFormat } from '../../crypto/user-key-formats';
import type { UserKeyEntity } from '../entities/user-key.entity';

export interface UserKeyView {
  id: string;
  name: string;
  publicKey: string | JWK;
  keyType: string;
  curve: string | null;
  ownerId: string;
  createdAt: string;
}

export function toUserKeyView(key: UserKeyEntity, format: UserKeyFormat): UserKeyView {
  return {
    id: key.id,
    name: key.name,
    publicKey: formatUserPublicKey(createPublicKey(key.publicKeyPem), format),
    keyType: key.keyType,
    curve: key.curve,
    ownerId: key.ownerId,
    createdAt: key.createdAt.toISOString(),
  };
}
