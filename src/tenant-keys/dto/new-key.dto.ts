import { IsKeyIssuer, IsKeyName } from '../../common/dto-decorators';
import { IsAlias, IsRotationPolicy, IsSigningPolicy, RotationPolicyDto, SigningPolicyDto } from './key-lifecycle.dto';

/** What generate and import share: the new key's name, issuer, alias and rotation policy. */
export class NewKeyDto {
  @IsKeyName()
  name: string;

  @IsKeyIssuer()
  issuer?: string;

  @IsAlias()
  alias?: string | null;

  @IsRotationPolicy()
  rotationPolicy?: RotationPolicyDto | null;

  @IsSigningPolicy()
  signingPolicy?: SigningPolicyDto | null;
}
