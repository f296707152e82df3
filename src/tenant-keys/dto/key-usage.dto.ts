import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsInt, IsObject, IsString, Max, MaxLength, Min } from 'class-validator';
import { Optional, OptionalOrNull } from '../../common/dto-decorators';
import { FreeFormJson, WrappedBody } from '../../common/validation';
import { MAX_TOKEN_LIFETIME_SECONDS } from '../../config/config';
import type { SigningAlgorithm } from '../../crypto/algorithms';
import { IsSuccessorAlgorithm, IsSuccessorLength } from './algorithm-choice';
import { CertificateOptionsDto } from './certificate-options.dto';
import { IsRotationPolicy, RotationPolicyDto } from './key-lifecycle.dto';

@WrappedBody('key')
export class SignTokenDto {
  @ApiProperty({
    type: 'object',
    additionalProperties: true,
    example: { sub: 'user-42' },
    description: 'The claims; `iat` is set, `iss` from the key unless given',
  })
  @FreeFormJson()
  @IsObject({ message: 'payload must be a JSON object' })
  payload: Record<string, unknown>;

  @ApiPropertyOptional({
    type: 'object',
    properties: { typ: { type: 'string', example: 'at+jwt' }, cty: { type: 'string' } },
    additionalProperties: false,
    description: "`typ` (default `JWT`) and `cty`; any other parameter is a 400 naming it: `alg`, `kid` and the rest are the service's to set",
  })
  @Optional()
  @FreeFormJson()
  @IsObject({ message: 'header must be a JSON object' })
  header?: Record<string, unknown>;

  @ApiPropertyOptional({
    type: Number,
    nullable: true,
    minimum: 1,
    example: 3600,
    description:
      'Seconds until `exp`. Left out: `DEFAULT_TOKEN_LIFETIME_SECONDS` (3600 unless configured), unless the payload sets `exp` itself. `null`: a token without `exp`, which never expires',
  })
  @OptionalOrNull()
  @IsInt({ message: 'expiresIn must be an integer number of seconds' })
  @Min(1, { message: 'expiresIn must be at least 1 second' })
  @Max(MAX_TOKEN_LIFETIME_SECONDS, { message: 'expiresIn must be at most ten years' })
  expiresIn?: number | null;
}

@WrappedBody('key')
export class VerifyTokenDto {
  @ApiProperty({ description: "A compact JWS signed by one of the tenant's keys (found by `kid`)" })
  @IsString({ message: 'token must be a string' })
  @MaxLength(64 * 1024, { message: 'token must be at most 65536 characters' })
  token: string;
}

/** How long a rotated key keeps verifying when the rotation does not say. */
export const DEFAULT_GRACE_PERIOD_SECONDS = 24 * 60 * 60;

@WrappedBody('key')
export class RotateKeyDto extends CertificateOptionsDto {
  @ApiPropertyOptional({
    minimum: 0,
    default: DEFAULT_GRACE_PERIOD_SECONDS,
    description: 'How long the old key keeps verifying; 0 retires it at once',
  })
  @Optional()
  @IsInt({ message: 'gracePeriodSeconds must be an integer' })
  @Min(0, { message: 'gracePeriodSeconds must be 0 or more' })
  @Max(MAX_TOKEN_LIFETIME_SECONDS, { message: 'gracePeriodSeconds must be at most ten years' })
  gracePeriodSeconds?: number;

  @IsRotationPolicy()
  rotationPolicy?: RotationPolicyDto | null;

  @IsSuccessorAlgorithm('algorithm')
  algorithm?: SigningAlgorithm;

  @IsSuccessorLength('length')
  length?: number;
}
