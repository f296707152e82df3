import { ApiPropertyOptional } from '@nestjs/swagger';
import { FreeFormJson, WrappedBody } from '../../common/validation';
import { IsIn, IsObject, IsString, IsUUID, Matches, MaxLength } from 'class-validator';
import { Optional } from '../../common/dto-decorators';
import { KID, KID_MESSAGE } from '../../common/key-names';
import type { JWK } from 'jose';
import { SIGNING_ALGORITHMS, type SigningAlgorithm } from '../../crypto/algorithms';
import { CertificateChain } from './certificate-requests.dto';
import { NewKeyDto } from './new-key.dto';

const MAX_KEY_TEXT = 16 * 1024;

/** A key made elsewhere: PEM (public, private or both), a JWK, or an HMAC secret. */
@WrappedBody('key')
export class ImportKeyDto extends NewKeyDto {
  @ApiPropertyOptional({
    enum: SIGNING_ALGORITHMS,
    description: 'Inferred when absent: RS256, ES by curve, EdDSA, ML-DSA by parameter set, HS256; ML-DSA needs Node.js 24.7 or later',
  })
  @Optional()
  @IsIn(SIGNING_ALGORITHMS, { message: `algorithm must be one of ${SIGNING_ALGORITHMS.join(', ')}` })
  algorithm?: SigningAlgorithm;

  @ApiPropertyOptional({ description: 'SPKI or PKCS#1 PEM' })
  @Optional()
  @IsString({ message: 'publicKey must be a PEM string' })
  @MaxLength(MAX_KEY_TEXT, { message: `publicKey must be at most ${MAX_KEY_TEXT} characters` })
  publicKey?: string;

  @ApiPropertyOptional({ description: 'PKCS#8, PKCS#1 or SEC1 PEM, unencrypted; sealed at rest and never shown again' })
  @Optional()
  @IsString({ message: 'privateKey must be a PEM string' })
  @MaxLength(MAX_KEY_TEXT, { message: `privateKey must be at most ${MAX_KEY_TEXT} characters` })
  privateKey?: string;

  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: true,
    description: 'A public or private JWK (an AKP key with its alg, with or without priv)',
  })
  @Optional()
  @FreeFormJson()
  @IsObject({ message: 'jwk must be a JSON object' })
  jwk?: JWK;

  @ApiPropertyOptional({ description: 'An HMAC secret, base64url' })
  @Optional()
  @IsString({ message: 'secret must be a base64url string' })
  @MaxLength(1024, { message: 'secret must be at most 1024 characters' })
  secret?: string;

  @ApiPropertyOptional({
    pattern: KID.source,
    example: 'keycloak-2024-01',
    description:
      "The JWK `kid` to give the key (its JWKS entry, the header of the tokens it signs, `/key/verify`'s lookup), unique among the tenant's keys that are not retired. Default: a `jwk`'s own `kid`, else the RFC 7638 thumbprint (random for an HMAC secret)",
  })
  @Optional()
  @IsString({ message: KID_MESSAGE })
  @Matches(KID, { message: KID_MESSAGE })
  kid?: string;

  @ApiPropertyOptional({
    type: [String],
    description:
      "The key's X.509 certificate, PEM, leaf first with its CA chain if any, as `PUT /key/{id}/certificate` takes it: checked and published as `x5c`",
  })
  @Optional()
  @CertificateChain()
  certificateChain?: string[];

  @ApiPropertyOptional({ format: 'uuid', description: 'The id to give the key (the same as the path id of `/key/import/{id}`)' })
  @Optional()
  @IsUUID('all', { message: 'uuid must be a UUID' })
  uuid?: string;
}
