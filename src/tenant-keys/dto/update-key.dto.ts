import { IsKeyName } from '../../common/dto-decorators';
import { IsAlias, IsRotationPolicy, IsSigningPolicy, RotationPolicyDto, SigningPolicyDto } from './key-lifecycle.dto';

/** `PUT /key/:id`: any of the name, the alias and the rotation policy (null removes the last two). */
export class UpdateKeyDto {
  @IsKeyName({ optional: true })
  name?: string;

  @IsAlias()
  alias?: string | null;

  @IsRotationPolicy()
  rotationPolicy?: RotationPolicyDto | null;

  @IsSigningPolicy()
  signingPolicy?: SigningPolicyDto | null;
}
