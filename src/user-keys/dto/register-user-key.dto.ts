import { IsIn, IsOptional, IsString, Length } from 'class-validator';
import { Trim } from '../../common/dto-transforms';
import { USER_KEY_CURVES, USER_KEY_FORMATS, type UserKeyCurve, type UserKeyFormat } from '../../crypto/user-key-formats';

export class RegisterUserKeyDto {
  @Trim()
  @IsString({ message: 'name must be a string' })
  @Length(1, 255, { message: 'name must be 1 to 255 characters' })
  name: string;

  @IsOptional()
  @IsIn(USER_KEY_CURVES, { message: `curve must be one of ${USER_KEY_CURVES.join(', ')}` })
  curve: UserKeyCurve = 'P-256';

  @IsOptional()
  @IsIn(USER_KEY_FORMATS, { message: `format must be one of ${USER_KEY_FORMATS.join(', ')}` })
  format: UserKeyFormat = 'hex';
}

/** `GET /keys?format=`: the public keys in the same formats as registration (hex by default, as the source shows). */
export class ListUserKeysQueryDto {
  @IsOptional()
  @IsIn(USER_KEY_FORMATS, { message: `format must be one of ${USER_KEY_FORMATS.join(', ')}` })
  format: UserKeyFormat = 'hex';
}
