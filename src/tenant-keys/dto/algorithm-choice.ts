import { applyDecorators } from '@nestjs/common';
import { ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsIn, IsInt } from 'class-validator';
import { Optional } from '../../common/dto-decorators';
import { algorithmSpec, SIGNING_ALGORITHMS, type SigningAlgorithm } from '../../crypto/algorithms';

/** The source document's short forms. */
const SHORT_FORMS: Record<string, SigningAlgorithm> = { RS: 'RS256', ES: 'ES256' };

export function isSigningAlgorithm(value: unknown): value is SigningAlgorithm {
  return SIGNING_ALGORITHMS.includes(value as SigningAlgorithm);
}

/** The 400 message for a length the algorithm does not have (generate's `length`, a successor's). */
export function lengthMessage(field: string, algorithm: SigningAlgorithm): string {
  return `${field} must be ${algorithmSpec(algorithm).lengths.join(', ')} for ${algorithm}`;
}

/** An algorithm as a request names it (the short forms `RS` and `ES` too); the message names `field`. */
export const IsSigningAlgorithm = (field: string) =>
  applyDecorators(
    Transform(({ value }: { value: unknown }) => (typeof value === 'string' && SHORT_FORMS[value]) || value),
    IsIn(SIGNING_ALGORITHMS, { message: `${field} must be one of ${SIGNING_ALGORITHMS.join(', ')}` }),
  );

/**
 * A successor's `algorithm` and `length` (a rotation's, a rotation policy's): left out, the key's own. Checked
 * against the key by the service (successorSpec), which alone knows it.
 */
export const IsSuccessorAlgorithm = (field: string) =>
  applyDecorators(
    ApiPropertyOptional({
      enum: SIGNING_ALGORITHMS,
      example: 'ES256',
      description:
        "The successor's algorithm (also `RS`, `ES`); left out, the key's own. Asymmetric and HMAC keys do not succeed one another (400): an HMAC key has no JWKS entry",
    }),
    Optional(),
    IsSigningAlgorithm(field),
  );

export const IsSuccessorLength = (field: string) =>
  applyDecorators(
    ApiPropertyOptional({
      example: 3072,
      description:
        "The successor's length, as generate takes it (RSA 2048, 3072, 4096); left out, the key's own if its algorithm allows it, else the algorithm's default",
    }),
    Optional(),
    IsInt({ message: `${field} must be an integer` }),
  );
