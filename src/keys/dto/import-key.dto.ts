import { IsIn, IsObject, IsOptional, IsString, IsUUID, MaxLength } from 'class-validator';
import type { JWK } from 'jose';
import { IsKeyIssuer, IsKeyName } from '../../common/dto-decorators';
import { SIGNING_ALGORITHMS, type SigningAlgorithm } from '../../crypto/signing-keys';

const MAX_KEY_TEXT = 16 * 1024;

/** A key made elsewhere: PEM (public, private or both), a JWK, or an HMAC secret. */
export class ImportKeyDto {
  @IsKeyName()
  name: string;

  @IsKeyIssuer()
  issuer?: string;

  @IsOptional()
  @IsIn(SIGNING_ALGORITHMS, { message: `algorithm must be one of ${SIGNING_ALGORITHMS.join(', ')}` })
  algorithm?: SigningAlgorithm;

  @IsOptional()
  @IsString({ message: 'publicKey must be a PEM string' })
  @MaxLength(MAX_KEY_TEXT, { message: `publicKey must be at most ${MAX_KEY_TEXT} characters` })
  publicKey?: string;

  @IsOptional()
  @IsString({ message: 'privateKey must be a PEM string' })
  @MaxLength(MAX_KEY_TEXT, { message: `privateKey must be at most ${MAX_KEY_TEXT} characters` })
  privateKey?: string;

  @IsOptional()
  @IsObject({ message: 'jwk must be a JSON object' })
  jwk?: JWK;

  @IsOptional()
  @IsString({ message: 'secret must be a base64url string' })
  @MaxLength(1024, { message: 'secret must be at most 1024 characters' })
  secret?: string;

  @IsOptional()
  @IsUUID('all', { message: 'uuid must be a UUID' })
  uuid?: string;
}
