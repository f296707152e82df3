import { applyDecorators, type Type } from '@nestjs/common';
import { ApiExtraModels, ApiOkResponse, ApiProperty, ApiPropertyOptional, ApiResponse, getSchemaPath } from '@nestjs/swagger';
import { Allow, IsIn, IsInt, IsObject, IsString, IsUUID, Matches, Max, MaxLength, Min } from 'class-validator';
import { Optional, OptionalOrNull, OptionalQuery } from '../common/dto-decorators';
import { FreeFormJson } from '../common/validation';
import { ORDER_BY } from './fusionauth-key';

/** FusionAuth's `KeyType`s, ours too. */
const KEY_TYPES = ['EC', 'HMAC', 'OKP', 'RSA'];

/** FusionAuth's `CertificateInformation`, for the OpenAPI document. */
class FusionAuthCertificateInformationDoc {
  @ApiProperty() issuer: string;
  @ApiProperty() subject: string;
  @ApiProperty() serialNumber: string;
  @ApiProperty({ description: 'Epoch milliseconds' }) validFrom: number;
  @ApiProperty({ description: 'Epoch milliseconds' }) validTo: number;
  @ApiProperty() md5Fingerprint: string;
  @ApiProperty() sha1Fingerprint: string;
  @ApiProperty() sha256Fingerprint: string;
  @ApiProperty() sha1Thumbprint: string;
  @ApiProperty() sha256Thumbprint: string;
}

/** FusionAuth's `Key` as answered (toFusionAuthKey): never `privateKey` nor `secret`; members without a value left out. */
export class FusionAuthKeyDoc {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty() name: string;
  @ApiProperty({ example: 'RS256', description: "FusionAuth's names: `Ed25519` for EdDSA; PS256, PS384 and PS512 as well" }) algorithm: string;
  @ApiProperty({ enum: ['RSA', 'EC', 'OKP', 'HMAC', 'AKP'], description: 'AKP: ML-DSA, which FusionAuth lacks, shown as such' }) type: string;
  @ApiProperty() length: number;
  @ApiProperty() kid: string;
  @ApiProperty() hasPrivateKey: boolean;
  @ApiPropertyOptional() issuer?: string;
  @ApiPropertyOptional({ description: 'SPKI PEM' }) publicKey?: string;
  @ApiPropertyOptional({ description: 'The X.509 certificate, PEM (the leaf of an attached chain)' }) certificate?: string;
  @ApiPropertyOptional({ type: FusionAuthCertificateInformationDoc }) certificateInformation?: FusionAuthCertificateInformationDoc;
  @ApiPropertyOptional({ description: "The certificate's expiry, epoch milliseconds" }) expirationInstant?: number;
  @ApiProperty({ description: 'Epoch milliseconds' }) insertInstant: number;
  @ApiProperty({ description: 'Epoch milliseconds' }) lastUpdateInstant: number;
}

/**
 * What the mount reads of a `Key` sent to it, per operation; any other member (a retrieved Key echoed back) is ignored.
 * An optional member sent as null is the same as one left out.
 */
class FusionAuthGenerateKeyDoc {
  @ApiProperty({ example: 'signing' }) name: string;
  @ApiProperty({ example: 'RS256', description: '`Ed25519` or `EdDSA` for EdDSA' }) algorithm: string;
  @ApiPropertyOptional({ type: 'integer', nullable: true, description: 'RSA modulus bits (2048, 3072, 4096) or HMAC key bits' }) length?: number;
  @ApiPropertyOptional({ type: String, nullable: true }) issuer?: string;
  @ApiPropertyOptional({
    type: 'integer',
    nullable: true,
    description: "The self-signed certificate's expiry, epoch milliseconds (a year by default)",
  })
  expirationInstant?: number;
}

class FusionAuthImportKeyDoc {
  @ApiProperty({ example: 'signing' }) name: string;
  @ApiPropertyOptional({ type: String, nullable: true, example: 'RS256', description: 'Inferred from the key when left out; `Ed25519` for EdDSA' })
  algorithm?: string;
  @ApiPropertyOptional({ type: String, nullable: true }) issuer?: string;
  @ApiPropertyOptional({ type: String, nullable: true, description: 'SPKI or PKCS#1 PEM' }) publicKey?: string;
  @ApiPropertyOptional({ type: String, nullable: true, description: 'Unencrypted PEM; sealed at rest, never answered' }) privateKey?: string;
  @ApiPropertyOptional({ type: String, nullable: true, description: 'An X.509 certificate, PEM: its public key is imported' }) certificate?: string;
  @ApiPropertyOptional({ type: String, nullable: true, description: 'An HMAC secret: standard base64 as FusionAuth writes it, or base64url' })
  secret?: string;
  @ApiPropertyOptional({ type: String, nullable: true, description: 'The kid to keep (else the RFC 7638 thumbprint)' }) kid?: string;
}

class FusionAuthUpdateKeyDoc {
  @ApiProperty({ example: 'signing', description: 'The new name: the only member read' }) name: string;
}

/** FusionAuth's `KeyRequest`, `{ key }`: what generate, import and update share; `key` is read per operation (fusionauth-requests.ts). */
abstract class FusionAuthKeyRequestDto {
  @ApiProperty({ type: 'object', additionalProperties: true })
  @FreeFormJson()
  @IsObject({ message: 'key must be a JSON object' })
  key: Record<string, unknown>;
}

export class FusionAuthGenerateKeyRequestDto extends FusionAuthKeyRequestDto {
  @ApiProperty({ type: FusionAuthGenerateKeyDoc })
  override key: Record<string, unknown>;
}

export class FusionAuthImportKeyRequestDto extends FusionAuthKeyRequestDto {
  @ApiProperty({ type: FusionAuthImportKeyDoc })
  override key: Record<string, unknown>;
}

export class FusionAuthUpdateKeyRequestDto extends FusionAuthKeyRequestDto {
  @ApiProperty({ type: FusionAuthUpdateKeyDoc })
  override key: Record<string, unknown>;
}

/** FusionAuth's `KeySearchCriteria`. */
export class FusionAuthKeySearchDto {
  @ApiPropertyOptional({ example: 'RS256', description: "FusionAuth's name, exactly" })
  @Optional()
  @IsString({ message: 'algorithm must be a string' })
  @MaxLength(32, { message: 'algorithm must be at most 32 characters' })
  algorithm?: string;

  @ApiPropertyOptional({ example: 'sign*', description: 'Without regard to case; `*` stands for any characters, a name without one matches within' })
  @Optional()
  @IsString({ message: 'name must be a string' })
  @MaxLength(255, { message: 'name must be at most 255 characters' })
  name?: string;

  @ApiPropertyOptional({ enum: KEY_TYPES })
  @Optional()
  @IsIn(KEY_TYPES, { message: `type must be one of ${KEY_TYPES.join(', ')}` })
  type?: string;

  @ApiPropertyOptional({ default: 25, minimum: 1, maximum: 500 })
  @Optional()
  @IsInt({ message: 'numberOfResults must be an integer' })
  @Min(1, { message: 'numberOfResults must be 1 to 500' })
  @Max(500, { message: 'numberOfResults must be 1 to 500' })
  numberOfResults?: number;

  @ApiPropertyOptional({ default: 0, minimum: 0 })
  @Optional()
  @IsInt({ message: 'startRow must be an integer' })
  @Min(0, { message: 'startRow must be 0 or more' })
  startRow?: number;

  @ApiPropertyOptional({
    default: 'name ASC',
    example: 'insertInstant DESC',
    description: 'algorithm, expiration, id, insertInstant, name or type; ASC or DESC',
  })
  @Optional()
  @IsString({ message: 'orderBy must be a string' })
  @Matches(ORDER_BY, { message: 'orderBy must be algorithm, expiration, id, insertInstant, name or type, then ASC or DESC' })
  orderBy?: string;
}

/**
 * `GET /api/key/search`'s query (FusionAuth's searchKeysByParameters): the criteria as text, checked as the body's
 * once read. FusionAuth's client sends a parameter it was not given as the text `undefined`: that is left out.
 */
export class FusionAuthKeySearchQueryDto {
  @ApiPropertyOptional({ example: 'RS256' }) @OptionalQuery() @IsString({ message: 'algorithm must be given once' }) algorithm?: string;
  @ApiPropertyOptional({ example: 'sign*' }) @OptionalQuery() @IsString({ message: 'name must be given once' }) name?: string;
  @ApiPropertyOptional({ enum: KEY_TYPES }) @OptionalQuery() @IsString({ message: 'type must be given once' }) type?: string;
  @ApiPropertyOptional({ type: 'integer', default: 25 })
  @OptionalQuery()
  @IsString({ message: 'numberOfResults must be given once' })
  numberOfResults?: string;
  @ApiPropertyOptional({ type: 'integer', default: 0 }) @OptionalQuery() @IsString({ message: 'startRow must be given once' }) startRow?: string;
  @ApiPropertyOptional({ example: 'insertInstant DESC' }) @OptionalQuery() @IsString({ message: 'orderBy must be given once' }) orderBy?: string;
}

/** FusionAuth's `KeySearchRequest`: `{ search }`. */
export class FusionAuthKeySearchRequestDto {
  @ApiProperty({ type: FusionAuthKeySearchDto })
  @FreeFormJson()
  @IsObject({ message: 'search must be a JSON object' })
  search: Record<string, unknown>;
}

/** FusionAuth's `JWTVendRequest`. */
export class FusionAuthVendRequestDto {
  @ApiPropertyOptional({ type: 'object', additionalProperties: true, example: { sub: 'user-42' } })
  @Optional()
  @FreeFormJson()
  @IsObject({ message: 'claims must be a JSON object' })
  claims?: Record<string, unknown>;

  @ApiProperty({ format: 'uuid', description: 'The key to sign with: required here (no tenant has a default signing key)' })
  // Required, but refused in FusionAuth's words (`[missing]keyId`) by the route rather than here.
  @OptionalOrNull()
  @IsUUID('all', { message: 'keyId must be the id (UUID) of a key' })
  keyId?: string;

  @ApiPropertyOptional({
    type: Number,
    nullable: true,
    example: 3600,
    description: 'Seconds until `exp` (DEFAULT_TOKEN_LIFETIME_SECONDS when left out)',
  })
  @Allow()
  timeToLiveInSeconds?: unknown;
}

export class FusionAuthKeyResponseDoc {
  @ApiProperty({ type: FusionAuthKeyDoc }) key: FusionAuthKeyDoc;
}

export class FusionAuthKeysResponseDoc {
  @ApiProperty({ type: [FusionAuthKeyDoc] }) keys: FusionAuthKeyDoc[];
}

export class FusionAuthKeySearchResponseDoc {
  @ApiProperty({ type: [FusionAuthKeyDoc] }) keys: FusionAuthKeyDoc[];
  @ApiProperty({ description: 'How many keys match, all pages together' }) total: number;
}

export class FusionAuthVendResponseDoc {
  @ApiProperty({ description: 'The signed JWT' }) token: string;
}

export class FusionAuthPublicKeyResponseDoc {
  @ApiPropertyOptional({ description: 'With `kid`: its public key, PEM' }) publicKey?: string;
  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: { type: 'string' },
    description: 'Without `kid`: every published public key, PEM, by kid',
  })
  publicKeys?: Record<string, string>;
}

class FusionAuthErrorDoc {
  @ApiProperty({ example: '[missing]key.algorithm' }) code: string;
  @ApiProperty() message: string;
}

/** FusionAuth's `Errors`, what its clients read as `exception`. */
export class FusionAuthErrorsDoc {
  @ApiProperty({ type: 'object', additionalProperties: { type: 'array', items: { $ref: getSchemaPath(FusionAuthErrorDoc) } } })
  fieldErrors: Record<string, FusionAuthErrorDoc[]>;

  @ApiProperty({ type: [FusionAuthErrorDoc] }) generalErrors: FusionAuthErrorDoc[];
}

const FUSIONAUTH_ERROR_DESCRIPTIONS = {
  400: "FusionAuth's `Errors`: `fieldErrors` (`[missing]key.algorithm`, `[duplicate]keyId`, ...) and `generalErrors` (`[invalid]` for malformed JSON)",
  401: 'No body: a missing or wrong API key, one lacking the scope, or an X-FusionAuth-TenantId of another tenant',
  404: 'No body: no such key (or tenant)',
  413: "Body over 100 KB, in FusionAuth's `Errors`",
  415: "Body is not application/json, in FusionAuth's `Errors`",
  429: 'No body: rate limit reached; see Retry-After',
  500: 'No body: an internal error (logged with the request id)',
  503: "Database unavailable, in FusionAuth's `Errors`: try again shortly",
} as const;
type FusionAuthErrorStatus = keyof typeof FUSIONAUTH_ERROR_DESCRIPTIONS;
/** The statuses answered with no body at all. */
const BODILESS_STATUSES: FusionAuthErrorStatus[] = [401, 404, 429, 500];

/** A route of the FusionAuth mount: its answer (not in the envelope), and its errors in FusionAuth's shape (500 and 503 on every route). */
export function ApiFusionAuthAnswers(model: Type | null, ...statuses: FusionAuthErrorStatus[]) {
  return applyDecorators(
    ApiExtraModels(FusionAuthErrorsDoc, FusionAuthErrorDoc),
    model ? ApiOkResponse({ type: model }) : ApiOkResponse({ description: 'No body' }),
    ...[...statuses, 500, 503].map((status) =>
      BODILESS_STATUSES.includes(status as FusionAuthErrorStatus)
        ? ApiResponse({ status, description: FUSIONAUTH_ERROR_DESCRIPTIONS[status as FusionAuthErrorStatus] })
        : ApiResponse({ status, description: FUSIONAUTH_ERROR_DESCRIPTIONS[status as FusionAuthErrorStatus], type: FusionAuthErrorsDoc }),
    ),
  );
}

/** `GET /api/jwt/public-key`'s query. */
export class FusionAuthPublicKeyQueryDto {
  @ApiPropertyOptional({ description: 'One key, by kid: `publicKey`; without it, all of them: `publicKeys` by kid' })
  @OptionalQuery()
  @IsString({ message: 'kid must be a string' })
  @MaxLength(64, { message: 'kid must be at most 64 characters' })
  kid?: string;
}
