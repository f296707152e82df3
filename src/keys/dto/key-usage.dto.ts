import { IsInt, IsObject, IsOptional, IsString, Max, MaxLength, Min } from 'class-validator';
import { CertificateOptionsDto } from './certificate-options.dto';

const TEN_YEARS_SECONDS = 10 * 365 * 24 * 60 * 60;

export class SignTokenDto {
  @IsObject({ message: 'payload must be a JSON object' })
  payload: Record<string, unknown>;

  @IsOptional()
  @IsObject({ message: 'header must be a JSON object' })
  header?: Record<string, unknown>;

  @IsOptional()
  @IsInt({ message: 'expiresIn must be an integer number of seconds' })
  @Min(1, { message: 'expiresIn must be at least 1 second' })
  @Max(TEN_YEARS_SECONDS, { message: 'expiresIn must be at most ten years' })
  expiresIn?: number;
}

export class VerifyTokenDto {
  @IsString({ message: 'token must be a string' })
  @MaxLength(64 * 1024, { message: 'token must be at most 65536 characters' })
  token: string;
}

export class RotateKeyDto extends CertificateOptionsDto {
  @IsOptional()
  @IsInt({ message: 'gracePeriodSeconds must be an integer' })
  @Min(0, { message: 'gracePeriodSeconds must be 0 or more' })
  @Max(TEN_YEARS_SECONDS, { message: 'gracePeriodSeconds must be at most ten years' })
  gracePeriodSeconds?: number;
}
