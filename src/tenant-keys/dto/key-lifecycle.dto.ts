import { WrappedBody } from '../../common/validation';
import { applyDecorators } from '@nestjs/common';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { ArrayMaxSize, IsArray, IsInt, IsObject, IsString, Length, Matches, Max, Min, ValidateNested } from 'class-validator';
import { Optional, OptionalOrNull } from '../../common/dto-decorators';
import { ALIAS, ALIAS_MESSAGE } from '../../common/key-names';
import { MAX_TOKEN_LIFETIME_SECONDS } from '../../config/config';
import type { SigningAlgorithm } from '../../crypto/algorithms';
import { IsSuccessorAlgorithm, IsSuccessorLength } from './algorithm-choice';

/** A claim name: any characters but spaces and controls, as JWT allows (`sub`, `https://example.com/roles`). */
const CLAIM_NAME = /^[^\s\p{Cc}]{1,256}$/u;

/** A whole number of seconds from 1 to ten years, named in its message. */
const IsPeriod = (field: string, description: string) =>
  applyDecorators(
    ApiProperty({ minimum: 1, maximum: MAX_TOKEN_LIFETIME_SECONDS, description }),
    IsInt({ message: `${field} must be a whole number of seconds` }),
    Min(1, { message: `${field} must be at least 1` }),
    Max(MAX_TOKEN_LIFETIME_SECONDS, { message: `${field} must be at most ten years` }),
  );

/** Rotation on its own, and what the successors are (`algorithm`, `length`); the bounds that depend on the service's JWKS_MAX_AGE are checked by the service. */
export class RotationPolicyDto {
  @IsPeriod('rotationPolicy.rotateEverySeconds', 'How long each key signs before its successor takes over')
  rotateEverySeconds: number;

  @IsPeriod(
    'rotationPolicy.prePublishSeconds',
    'How long before that the successor is in the JWKS: at least JWKS_MAX_AGE, less than rotateEverySeconds',
  )
  prePublishSeconds: number;

  @IsPeriod(
    'rotationPolicy.retireAfterSeconds',
    'How long the old key keeps verifying after it stops signing; also the longest token lifetime it signs',
  )
  retireAfterSeconds: number;

  @IsSuccessorAlgorithm('rotationPolicy.algorithm')
  algorithm?: SigningAlgorithm;

  @IsSuccessorLength('rotationPolicy.length')
  length?: number;
}

/** `alias` and `rotationPolicy` as generate, import, rotate and PUT take them; `null` removes (PUT) or means none. */
export const IsAlias = () =>
  applyDecorators(
    ApiPropertyOptional({
      type: String,
      nullable: true,
      pattern: ALIAS.source,
      example: 'login-tokens',
      description: 'A name unique in the tenant that follows rotations: sign with `/key/alias/{alias}/sign`. null removes it.',
    }),
    OptionalOrNull(),
    Matches(ALIAS, { message: ALIAS_MESSAGE }),
  );

export const IsRotationPolicy = () =>
  applyDecorators(
    ApiPropertyOptional({ type: RotationPolicyDto, nullable: true, description: 'Rotate on a schedule; null removes the policy' }),
    OptionalOrNull(),
    IsObject({ message: 'rotationPolicy must be an object' }),
    ValidateNested(),
    Type(() => RotationPolicyDto),
  );

@WrappedBody('key')
export class ScheduleDeletionDto {
  @ApiPropertyOptional({
    minimum: 0,
    default: 30 * 24 * 60 * 60,
    description: 'Seconds until the key is deleted; at least DELETION_MIN_WINDOW_SECONDS',
  })
  @Optional()
  @IsInt({ message: 'afterSeconds must be a whole number of seconds' })
  @Min(0, { message: 'afterSeconds must be 0 or more' })
  @Max(MAX_TOKEN_LIFETIME_SECONDS, { message: 'afterSeconds must be at most ten years' })
  afterSeconds?: number;
}

/** The wait of a scheduled deletion when the request does not say. */
export const DEFAULT_DELETION_SECONDS = 30 * 24 * 60 * 60;

/** What a key will sign; every rule optional (a rule sent as null is left out: no rule). */
export class SigningPolicyDto {
  @ApiPropertyOptional({ type: [String], description: 'The only `aud` values its tokens may carry (one is then required)' })
  @Optional()
  @IsArray({ message: 'signingPolicy.allowedAudiences must be an array of strings' })
  @ArrayMaxSize(50, { message: 'signingPolicy.allowedAudiences must hold at most 50 audiences' })
  @IsString({ each: true, message: 'signingPolicy.allowedAudiences must be an array of strings' })
  @Length(1, 1024, { each: true, message: 'each audience must be 1 to 1024 characters' })
  allowedAudiences?: string[];

  @ApiPropertyOptional({ type: [String], example: ['sub', 'https://example.com/roles'], description: 'Claims every token must carry' })
  @Optional()
  @IsArray({ message: 'signingPolicy.requiredClaims must be an array of claim names' })
  @ArrayMaxSize(50, { message: 'signingPolicy.requiredClaims must hold at most 50 claims' })
  @Matches(CLAIM_NAME, {
    each: true,
    message: 'signingPolicy.requiredClaims must be claim names: 1 to 256 characters without spaces (a namespaced URL is one)',
  })
  requiredClaims?: string[];

  @ApiPropertyOptional({ type: [String], example: ['admin'], description: 'Claims no token may carry' })
  @Optional()
  @IsArray({ message: 'signingPolicy.forbiddenClaims must be an array of claim names' })
  @ArrayMaxSize(50, { message: 'signingPolicy.forbiddenClaims must hold at most 50 claims' })
  @Matches(CLAIM_NAME, {
    each: true,
    message: 'signingPolicy.forbiddenClaims must be claim names: 1 to 256 characters without spaces (a namespaced URL is one)',
  })
  forbiddenClaims?: string[];

  @ApiPropertyOptional({ minimum: 1, description: 'The longest lifetime of a token it signs (tokens without exp are refused)' })
  @Optional()
  @IsInt({ message: 'signingPolicy.maxExpiresInSeconds must be a whole number of seconds' })
  @Min(1, { message: 'signingPolicy.maxExpiresInSeconds must be at least 1' })
  @Max(MAX_TOKEN_LIFETIME_SECONDS, { message: 'signingPolicy.maxExpiresInSeconds must be at most ten years' })
  maxExpiresInSeconds?: number;

  @ApiPropertyOptional({ example: 'https://auth.example.com', description: 'The only `iss` its tokens may carry (set when absent)' })
  @Optional()
  @IsString({ message: 'signingPolicy.fixedIssuer must be a string' })
  @Length(1, 1024, { message: 'signingPolicy.fixedIssuer must be 1 to 1024 characters' })
  fixedIssuer?: string;
}

export const IsSigningPolicy = () =>
  applyDecorators(
    ApiPropertyOptional({ type: SigningPolicyDto, nullable: true, description: 'What the key will sign; null removes the policy' }),
    OptionalOrNull(),
    IsObject({ message: 'signingPolicy must be an object' }),
    ValidateNested(),
    Type(() => SigningPolicyDto),
  );
