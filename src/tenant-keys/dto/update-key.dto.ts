import { WrappedBody } from '../../common/validation';
import { OmitType } from '@nestjs/swagger';
import { IsKeyName, Optional } from '../../common/dto-decorators';
import { NonEmptyBody } from '../../common/validation';
import { NewKeyDto } from './new-key.dto';

/**
 * `PUT /key/:id`: any of the name, the alias, the rotation policy and the signing policy (null removes the last three;
 * a null name is left out, so a body of nulls changes nothing). A body that names none of them is refused.
 */
@NonEmptyBody('body must set name, alias, rotationPolicy or signingPolicy')
@WrappedBody('key')
export class UpdateKeyDto extends OmitType(NewKeyDto, ['name', 'issuer'] as const) {
  @Optional()
  @IsKeyName()
  name?: string;
}
