import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { applyDecorators } from '@nestjs/common';
import { Transform } from 'class-transformer';
import { IsOptional, IsString, Length, Matches, MaxLength } from 'class-validator';

/**
 * An optional field whose null the contract gives no meaning: null is the same as leaving it out (many serializers,
 * Jackson's and System.Text.Json's among them, send null for a field left unset), so the field is not set at all
 * (the validation pipe sets no undefined) and keeps its default. Documented as nullable.
 */
export const Optional = () =>
  applyDecorators(
    ApiPropertyOptional({ nullable: true }),
    Transform(({ value }: { value: unknown }) => (value === null ? undefined : value)),
    IsOptional(),
  );

/** An optional field whose null the contract gives a meaning (it removes, or means none): null reaches the service. */
export const OptionalOrNull = () => IsOptional();

/** An optional query parameter: query values are text, never null, so only leaving it out is documented. */
export const OptionalQuery = () => IsOptional();

/** Trims strings and leaves anything else for the validators to refuse. */
export const Trim = () => Transform(({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim() : value));

/** PostgreSQL text cannot hold NUL: refused at the edge as a 400 instead of failing in the database. */
export const NoNulCharacters = (field: string) =>
  // eslint-disable-next-line no-control-regex -- NUL is the character refused.
  Matches(/^[^\u0000]*$/, { message: `${field} must not contain NUL characters` });

/** A key's `name`: a string of 1 to 255 characters after trimming. */
export const IsKeyName = () =>
  applyDecorators(
    ApiProperty({ minLength: 1, maxLength: 255, example: 'tokens' }),
    Trim(),
    IsString({ message: 'name must be a string' }),
    Length(1, 255, { message: 'name must be 1 to 255 characters' }),
    NoNulCharacters('name'),
  );

/** A key's optional `issuer`: a string of at most 1,024 characters. */
export const IsKeyIssuer = () =>
  applyDecorators(
    ApiPropertyOptional({
      maxLength: 1024,
      example: 'https://auth.example.com',
      description: 'The `iss` of tokens it signs, unless the payload has one',
    }),
    Optional(),
    IsString({ message: 'issuer must be a string' }),
    MaxLength(1024, { message: 'issuer must be at most 1024 characters' }),
    NoNulCharacters('issuer'),
  );
