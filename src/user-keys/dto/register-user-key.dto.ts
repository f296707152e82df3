import { IsIn, IsOptional } from 'class-validator';
import { IsKeyName } from '../../common/dto-decorators';
import { USER_KEY_CURVES, USER_KEY_FORMATS, type UserKeyCurve, type UserKeyFormat } from '../../crypto/user-key-formats';

export class RegisterUserKeyDto {
  @IsKeyName()
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
