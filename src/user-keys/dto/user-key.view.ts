import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import type { JWK } from 'jose';
import type { KeyObject } from 'node:crypto';
import { runtimeSupportsMlDsa } from '../../crypto/ml-dsa-runtime';
import { storedPublicKey } from '../../crypto/stored-public-keys';
import {
  formatStoredMlDsaPublicKey,
  formatUserPublicKey,
  USER_KEY_PARAMETER_SETS,
  USER_KEY_TYPES,
  userKeyKind,
  type UserKeyFormat,
} from '../../crypto/user-key-formats';
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

  @ApiPropertyOptional({ type: Number, enum: USER_KEY_PARAMETER_SETS, description: 'ml-dsa keys only: ML-DSA-44, -65 or -87' })
  parameterSet?: number;

  @ApiProperty({ description: 'The `sub` of the access token that registered it' })
  ownerId: string;

  @ApiProperty({ format: 'date-time' })
  createdAt: string;
}

/** The one answer that carries a private key: registration. */
export class RegisteredUserKeyView extends UserKeyView {
  @ApiProperty({
    oneOf: [{ type: 'string' }, { type: 'object', additionalProperties: true }],
    description: 'Shown this once, never stored: hex scalar (ml-dsa: the 32-byte seed), PKCS#8 PEM or JWK',
  })
  privateKey: string | JWK;
}

export function toUserKeyView(key: UserKeyEntity, format: UserKeyFormat): UserKeyView {
  // An ML-DSA key stored by a newer Node is still listed on a runtime that cannot parse it, read from its bytes.
  const shown =
    key.keyType === 'ml-dsa' && !runtimeSupportsMlDsa()
      ? formatStoredMlDsaPublicKey(key.publicKeyPem, format)
      : parsedView(storedPublicKey(key.publicKeyPem), key.keyType, format);
  // The parameter set is the key's own; other key types keep their answer as it was, without the field.
  const parameterSet = key.keyType === 'ml-dsa' ? { parameterSet: shown.parameterSet } : {};
  return {
    id: key.id,
    name: key.name,
    publicKey: shown.publicKey,
    keyType: key.keyType,
    curve: key.curve,
    ...parameterSet,
    ownerId: key.ownerId,
    createdAt: key.createdAt.toISOString(),
  };
}

function parsedView(publicKey: KeyObject, keyType: string, format: UserKeyFormat) {
  return { publicKey: formatUserPublicKey(publicKey, format), parameterSet: keyType === 'ml-dsa' ? userKeyKind(publicKey).parameterSet : undefined };
}
