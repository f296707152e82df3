import { ApiPropertyOptional } from '@nestjs/swagger';
import { FreeFormJson } from '../../common/validation';
import { IsIn, IsObject, IsString, MaxLength } from 'class-validator';
import type { JWK } from 'jose';
import { IsKeyName, Optional, OptionalQuery } from '../../common/dto-decorators';
import {
  USER_KEY_CURVES,
  USER_KEY_FORMATS,
  USER_KEY_PARAMETER_SETS,
  USER_KEY_TYPES,
  type UserKeyCurve,
  type UserKeyFormat,
  type UserKeyParameterSet,
  type UserKeyType,
} from '../../crypto/user-key-formats';

const KEY_TYPE_MESSAGE = `keyType must be one of ${USER_KEY_TYPES.join(', ')}`;
const CURVE_MESSAGE = `curve must be one of ${USER_KEY_CURVES.join(', ')}`;
const PARAMETER_SET_MESSAGE = `parameterSet must be one of ${USER_KEY_PARAMETER_SETS.join(', ')}`;
const FORMAT_MESSAGE = `format must be one of ${USER_KEY_FORMATS.join(', ')}`;

export class RegisterUserKeyDto {
  @IsKeyName()
  name: string;

  @ApiPropertyOptional({ enum: USER_KEY_TYPES, default: 'ecdsa' })
  @Optional()
  @IsIn(USER_KEY_TYPES, { message: KEY_TYPE_MESSAGE })
  keyType: UserKeyType = 'ecdsa';

  /** ecdsa only; P-256 by default. */
  @ApiPropertyOptional({ enum: USER_KEY_CURVES, default: 'P-256', description: 'ecdsa only' })
  @Optional()
  @IsIn(USER_KEY_CURVES, { message: CURVE_MESSAGE })
  curve?: UserKeyCurve;

  /** ml-dsa only; 65 (ML-DSA-65) by default. */
  @ApiPropertyOptional({ type: Number, enum: USER_KEY_PARAMETER_SETS, default: 65, description: 'ml-dsa only: ML-DSA-44, -65 or -87' })
  @Optional()
  @IsIn(USER_KEY_PARAMETER_SETS, { message: PARAMETER_SET_MESSAGE })
  parameterSet?: UserKeyParameterSet;

  @ApiPropertyOptional({ enum: USER_KEY_FORMATS, default: 'hex', description: 'How both keys are written in the answer' })
  @Optional()
  @IsIn(USER_KEY_FORMATS, { message: FORMAT_MESSAGE })
  format: UserKeyFormat = 'hex';
}

/** A public key the user made themselves, in hex, PEM or JWK. */
export class ImportUserKeyDto {
  @IsKeyName()
  name: string;

  @ApiPropertyOptional({ enum: USER_KEY_TYPES, description: 'Inferred from the key when absent' })
  @Optional()
  @IsIn(USER_KEY_TYPES, { message: KEY_TYPE_MESSAGE })
  keyType?: UserKeyType;

  @ApiPropertyOptional({ enum: USER_KEY_CURVES, description: 'For a hex point, which curve it is on' })
  @Optional()
  @IsIn(USER_KEY_CURVES, { message: CURVE_MESSAGE })
  curve?: UserKeyCurve;

  @ApiPropertyOptional({ type: Number, enum: USER_KEY_PARAMETER_SETS, description: 'For an ml-dsa key, which parameter set it must be' })
  @Optional()
  @IsIn(USER_KEY_PARAMETER_SETS, { message: PARAMETER_SET_MESSAGE })
  parameterSet?: UserKeyParameterSet;

  @ApiPropertyOptional({ description: 'Hex (uncompressed point; ml-dsa: the encoded key) or SPKI PEM' })
  @Optional()
  @IsString({ message: 'publicKey must be a hex or PEM string' })
  @MaxLength(16 * 1024, { message: 'publicKey must be at most 16384 characters' })
  publicKey?: string;

  @ApiPropertyOptional({ type: 'object', additionalProperties: true, description: 'A public JWK (ml-dsa: AKP with alg and pub)' })
  @Optional()
  @FreeFormJson()
  @IsObject({ message: 'jwk must be a JSON object' })
  jwk?: JWK;

  @ApiPropertyOptional({ enum: USER_KEY_FORMATS, default: 'hex', description: 'How the key is written in the answer' })
  @Optional()
  @IsIn(USER_KEY_FORMATS, { message: FORMAT_MESSAGE })
  format: UserKeyFormat = 'hex';
}

/** `GET /keys?format=`: the public keys in the same formats as registration (hex by default, as the source shows). */
export class ListUserKeysQueryDto {
  @ApiPropertyOptional({ enum: USER_KEY_FORMATS, default: 'hex' })
  @OptionalQuery()
  @IsIn(USER_KEY_FORMATS, { message: FORMAT_MESSAGE })
  format: UserKeyFormat = 'hex';
}
