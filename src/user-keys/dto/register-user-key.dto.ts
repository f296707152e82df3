import { IsIn, IsObject, IsOptional, IsString, MaxLength } from 'class-validator';
import type { JWK } from 'jose';
import { IsKeyName } from '../../common/dto-decorators';
import {
  USER_KEY_CURVES, USER_KEY_FORMATS, USER_KEY_TYPES, type UserKeyCurve, type UserKeyFormat, type UserKeyType,
} from '../../crypto/user-key-formats';

const KEY_TYPE_MESSAGE = `keyType must be one of ${USER_KEY_TYPES.join(', ')}`;
const CURVE_MESSAGE = `curve must be one of ${USER_KEY_CURVES.join(', ')}`;
const FORMAT_MESSAGE = `format must be one of ${USER_KEY_FORMATS.join(', ')}`;

export class RegisterUserKeyDto {
  @IsKeyName()
  name: string;

  @IsOptional()
  @IsIn(USER_KEY_TYPES, { message: KEY_TYPE_MESSAGE })
  keyType: UserKeyType = 'ecdsa';

  /** ecdsa only; P-256 by default. */
  @IsOptional()
  @IsIn(USER_KEY_CURVES, { message: CURVE_MESSAGE })
  curve?: UserKeyCurve;

  @IsOptional()
  @IsIn(USER_KEY_FORMATS, { message: FORMAT_MESSAGE })
  format: UserKeyFormat = 'hex';
}

/** A public key the user made themselves, in hex, PEM or JWK. */
export class ImportUserKeyDto {
  @IsKeyName()
  name: string;

  @IsOptional()
  @IsIn(USER_KEY_TYPES, { message: KEY_TYPE_MESSAGE })
  keyType?: UserKeyType;

  @IsOptional()
  @IsIn(USER_KEY_CURVES, { message: CURVE_MESSAGE })
  curve?: UserKeyCurve;

  @IsOptional()
  @IsString({ message: 'publicKey must be a hex or PEM string' })
  @MaxLength(16 * 1024, { message: 'publicKey must be at most 16384 characters' })
  publicKey?: string;

  @IsOptional()
  @IsObject({ message: 'jwk must be a JSON object' })
  jwk?: JWK;

  @IsOptional()
  @IsIn(USER_KEY_FORMATS, { message: FORMAT_MESSAGE })
  format: UserKeyFormat = 'hex';
}

/** `GET /keys?format=`: the public keys in the same formats as registration (hex by default, as the source shows). */
export class ListUserKeysQueryDto {
  @IsOptional()
  @IsIn(USER_KEY_FORMATS, { message: FORMAT_MESSAGE })
  format: UserKeyFormat = 'hex';
}
