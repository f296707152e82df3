import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsBoolean, IsInt, Max, Min } from 'class-validator';
import { Optional } from '../../common/dto-decorators';

/** On generate and rotate: a self-signed X.509 certificate for RSA, EC and EdDSA keys, as FusionAuth and Keycloak give. */
export class CertificateOptionsDto {
  @ApiPropertyOptional({ description: 'Also make a self-signed X.509 certificate (RSA, EC, EdDSA); published as `x5c` and `x5t#S256`' })
  @Optional()
  @IsBoolean({ message: 'certificate must be true or false' })
  certificate?: boolean;

  @ApiPropertyOptional({ minimum: 1, maximum: 3650, default: 365 })
  @Optional()
  @IsInt({ message: 'certificateValidityDays must be an integer' })
  @Min(1, { message: 'certificateValidityDays must be 1 to 3650' })
  @Max(3650, { message: 'certificateValidityDays must be 1 to 3650' })
  certificateValidityDays?: number;
}
