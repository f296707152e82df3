import { createPublicKey } from 'node:crypto';
import type { JWK } from 'jose';
import { formatUserPublicKey, type UserKeyCurve, type UserKeyFormat } from '../../crypto/user-key-formats';
import type { UserKeyEntity } from '../entities/user-key.entity';

export interface UserKeyView {
  id: string;
  name: string;
  publicKey: string | JWK;
  keyType: string;
  curve: string;
  ownerId: string;
  createdAt: string;
}

export function toUserKeyView(key: UserKeyEntity, format: UserKeyFormat): UserKeyView {
  const publicKey = formatUserPublicKey(createPublicKey(key.publicKeyPem), key.curve as UserKeyCurve, format);
  return {
    id: key.id,
    name: key.name,
    publicKey,
    keyType: key.keyType,
    curve: key.curve,
    ownerId: key.ownerId,
    createdAt: key.createdAt.toISOString(),
  };
}
