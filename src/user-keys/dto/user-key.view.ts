import { ApiProperty } from '@nestjs/swagger';
import type { JWK } from 'jose';
import { storedPublicKey } from '../../crypto/stored-public-keys';
import { formatUserPublicKey, USER_KEY_TYPES, type UserKeyFormat } from '../../crypto/user-key-formats';
import type { UserKeyEntity } from '../entities/user-key.entity';

export class UserKeyView {
  @ApiProperty({ format: 'uuid' })
  id: string;

  @ApiProperty({ example: 'phone' })
  name: string;

  @ApiProperty({
    oneOf: [{ type: 'string' }, { type: 'object', additionalProperties: true }],
    description: 'Hex point, SPKI PEM or JWK, as `format` asks',
  })
  publicKey: string | JWK;

  @ApiProperty({ enum: USER_KEY_TYPES, example: 'ecdsa' })
  keyType: string;

  @ApiProperty({ type: String, nullable: true, example: 'P-256' })
  curve: string | null;

  @ApiProperty({ description: 'The `sub` of the access token that registered it' })
  ownerId: string;

  @ApiProperty({ format: 'date-time' })
  createdAt: string;
}

/** The one answer that carries a private key: registration. */
export class RegisteredUserKeyView extends UserKeyView {
  @ApiProperty({
    oneOf: [{ type: 'string' }, { type: 'object', additionalProperties: true }],
    description: 'Shown this once, never stored: hex scalar, PKCS#8 PEM or JWK',
  })
  privateKey: string | JWK;
}

export function toUserKeyView(key: UserKeyEntity, format: UserKeyFormat): UserKeyView {
  return {
    id: key.id,
    name: key.name,
    publicKey: formatUserPublicKey(storedPublicKey(key.publicKeyPem), format),
    keyType: key.keyType,
    curve: key.curve,
    ownerId: key.ownerId,
    createdAt: key.createdAt.toISOString(),
  };
}
