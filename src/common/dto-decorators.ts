import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { applyDecorators } from '@nestjs/common';
import { Transform } from 'class-transformer';
import { IsOptional, IsString, Length, Matches, MaxLength, ValidateIf } from 'class-validator';

/**
 * An optional field: left out, it is not checked; null is checked like any other value, so the field's own
 * validators refuse it with a 400 naming it (class-validator's IsOptional lets null through unchecked, to fail
 * deeper: a NOT NULL column, a method of null).
 */
export const Optional = () => ValidateIf((_object, value) => value !== undefined);

/** An optional field whose null the contract gives a meaning (it removes, or means none): null is not checked either. */
export const OptionalOrNull = () => IsOptional();

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
