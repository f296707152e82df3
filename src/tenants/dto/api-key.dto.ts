import { ApiProperty, ApiPropertyOptional, OmitType } from '@nestjs/swagger';
import { ArrayMaxSize, ArrayMinSize, IsArray, IsDateString, IsIn, IsString, ValidateBy } from 'class-validator';
import { IsKeyName, Optional } from '../../common/dto-decorators';
import { isSignKey } from '../../common/key-names';
import { API_KEY_SCOPES, type ApiKeyScope } from '../../common/route-access';

export class CreateApiKeyDto {
  @IsKeyName()
  name: string;

  @ApiProperty({ enum: API_KEY_SCOPES, isArray: true, example: ['keys:sign'], description: 'What the key may do; at most what the caller holds' })
  @IsArray({ message: 'scopes must be an array' })
  @ArrayMinSize(1, { message: 'scopes must name at least one scope' })
  @IsIn(API_KEY_SCOPES, { each: true, message: `scopes must be among ${API_KEY_SCOPES.join(', ')}` })
  scopes: ApiKeyScope[];

  @ApiPropertyOptional({ type: [String], description: 'Key ids or aliases it may sign with; absent: any (within the caller’s own limit)' })
  @Optional()
  @IsArray({ message: 'signKeys must be an array' })
  @ArrayMinSize(1, { message: 'signKeys must name at least one key' })
  @ArrayMaxSize(100, { message: 'signKeys must name at most 100 keys' })
  @IsString({ each: true, message: 'signKeys must be key ids or aliases' })
  @ValidateBy({ name: 'isSignKey', validator: { validate: isSignKey } }, { each: true, message: 'signKeys must be key ids or aliases' })
  signKeys?: string[];

  @ApiPropertyOptional({ format: 'date-time', description: 'After this the key is refused like a revoked one; absent: never' })
  @Optional()
  @IsDateString({ strict: true }, { message: 'expiresAt must be an ISO 8601 date-time' })
  expiresAt?: string;
}

/** An API key as shown: never its secret, nor the secret's hash. */
export class ApiKeyView {
  @ApiProperty({ format: 'uuid' })
  id: string;

  @ApiProperty({ type: String, nullable: true })
  name: string | null;

  @ApiProperty({ description: 'The first characters of the secret, to recognise it' })
  prefix: string;

  @ApiProperty({ enum: API_KEY_SCOPES, isArray: true })
  scopes: string[];

  @ApiProperty({ type: [String], nullable: true })
  signKeys: string[] | null;

  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  expiresAt: string | null;

  @ApiProperty({ format: 'date-time' })
  createdAt: string;

  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  lastUsedAt: string | null;

  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  revokedAt: string | null;
}

export class IssuedApiKeyView extends ApiKeyView {
  @ApiProperty({ description: 'The secret, shown only now: send it as `Authorization: Basic <apiKey>`' })
  apiKey: string;
}

/** The calling API key (`GET /api-keys/current`): what it may do, for which tenant; never revoked, or it could not ask. */
export class CurrentApiKeyView extends OmitType(ApiKeyView, ['revokedAt'] as const) {
  @ApiProperty({ format: 'uuid' })
  tenantId: string;
}
