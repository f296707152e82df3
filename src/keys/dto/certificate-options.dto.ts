import { IsBoolean, IsInt, IsOptional, Max, Min } from 'class-validator';

/** On generate and rotate: a self-signed X.509 certificate for RSA and EC keys, as FusionAuth and Keycloak give. */
export class CertificateOptionsDto {
  @IsOptional()
  @IsBoolean({ message: 'certificate must be true or false' })
  certificate?: boolean;

  @IsOptional()
  @IsInt({ message: 'certificateValidityDays must be an integer' })
  @Min(1, { message: 'certificateValidityDays must be 1 to 3650' })
  @Max(3650, { message: 'certificateValidityDays must be 1 to 3650' })
  certificateValidityDays?: number;
}
