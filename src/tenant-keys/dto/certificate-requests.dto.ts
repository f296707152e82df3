import { applyDecorators } from '@nestjs/common';
import { WrappedBody } from '../../common/validation';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ArrayMaxSize, ArrayMinSize, IsArray, IsString, Length, Matches, MaxLength } from 'class-validator';
import { NoNulCharacters, Optional, Trim } from '../../common/dto-decorators';

/** A CA-issued chain as a request gives it (attach, import): PEM certificates, leaf first, at most 10 of 16 KiB each. */
export const CertificateChain = () =>
  applyDecorators(
    IsArray({ message: 'certificateChain must be an array of PEM certificates' }),
    ArrayMinSize(1, { message: 'certificateChain must hold at least the leaf certificate' }),
    ArrayMaxSize(10, { message: 'certificateChain must hold at most 10 certificates' }),
    IsString({ each: true, message: 'certificateChain must be an array of PEM certificates' }),
    MaxLength(16 * 1024, { each: true, message: 'each certificate must be at most 16384 characters' }),
  );

/** The subject of a certificate signing request. */
@WrappedBody('key')
export class CertificateRequestDto {
  @ApiProperty({ example: 'login.example.com', maxLength: 64 })
  @Trim()
  @IsString({ message: 'commonName must be a string' })
  @Length(1, 64, { message: 'commonName must be 1 to 64 characters' })
  @NoNulCharacters('commonName')
  commonName: string;

  @ApiPropertyOptional({ example: 'Example Ltd', maxLength: 64 })
  @Optional()
  @IsString({ message: 'organization must be a string' })
  @Length(1, 64, { message: 'organization must be 1 to 64 characters' })
  @NoNulCharacters('organization')
  organization?: string;

  @ApiPropertyOptional({ example: 'Identity', maxLength: 64 })
  @Optional()
  @IsString({ message: 'organizationalUnit must be a string' })
  @Length(1, 64, { message: 'organizationalUnit must be 1 to 64 characters' })
  @NoNulCharacters('organizationalUnit')
  organizationalUnit?: string;

  @ApiPropertyOptional({ example: 'NL', description: 'ISO 3166 two-letter code' })
  @Optional()
  @Matches(/^[A-Z]{2}$/, { message: 'country must be a two-letter ISO 3166 code, like NL' })
  country?: string;

  @ApiPropertyOptional({ example: 'Noord-Holland', maxLength: 128 })
  @Optional()
  @IsString({ message: 'state must be a string' })
  @Length(1, 128, { message: 'state must be 1 to 128 characters' })
  @NoNulCharacters('state')
  state?: string;

  @ApiPropertyOptional({ example: 'Amsterdam', maxLength: 128 })
  @Optional()
  @IsString({ message: 'locality must be a string' })
  @Length(1, 128, { message: 'locality must be 1 to 128 characters' })
  @NoNulCharacters('locality')
  locality?: string;
}

export class CertificateSigningRequestView {
  @ApiProperty({ description: 'PKCS#10, PEM, signed by the key' })
  csr: string;
}

/** A CA-issued chain for the key, leaf first. */
@WrappedBody('key')
export class AttachCertificateDto {
  @ApiProperty({ type: [String], description: 'PEM certificates, leaf first, each signed by the next' })
  @CertificateChain()
  certificateChain: string[];
}
