import { HttpStatus } from '@nestjs/common';
import { DomainError } from '../common/domain-error';

/** The codes `/key` and the JWKS answer with, besides the common ones. */
export const TENANT_KEY_ERROR_CODES = [
  'KEY_NOT_FOUND',
  'KEY_ID_TAKEN',
  'KEY_NOT_ACTIVE',
  'KEY_MATERIAL_EXISTS',
  'ALIAS_TAKEN',
  'CERTIFICATE_EXPIRED',
  'TOKEN_REJECTED',
  'KEY_LIMIT_REACHED',
] as const;
export type TenantKeyErrorCode = (typeof TENANT_KEY_ERROR_CODES)[number];

/** Also what another tenant's key id answers: a tenant cannot tell the two apart. */
export class KeyNotFoundError extends DomainError<TenantKeyErrorCode> {
  constructor() {
    super('KEY_NOT_FOUND', HttpStatus.NOT_FOUND, 'Key not found');
  }
}

export class KeyIdTakenError extends DomainError<TenantKeyErrorCode> {
  constructor() {
    super('KEY_ID_TAKEN', HttpStatus.CONFLICT, 'A key with this id already exists');
  }
}

/** The key exists but cannot do that in its state: a retiring key signing, a public-only key signing, rotating a non-active key. */
export class KeyNotActiveError extends DomainError<TenantKeyErrorCode> {
  constructor(message: string) {
    super('KEY_NOT_ACTIVE', HttpStatus.CONFLICT, message);
  }
}

/** Import of key material the tenant already holds: one kid must name one key, or verifiers cannot tell them apart. */
export class KeyMaterialExistsError extends DomainError<TenantKeyErrorCode> {
  constructor(holderId?: string) {
    super(
      'KEY_MATERIAL_EXISTS',
      HttpStatus.CONFLICT,
      holderId ? `The tenant already holds this key as key ${holderId}` : 'The tenant already holds this key (it was just changed: try again)',
    );
  }
}

/** A token sent to verify that fails: the reason says which check. */
export class TokenRejectedError extends DomainError<TenantKeyErrorCode> {
  constructor(reason: string) {
    super('TOKEN_REJECTED', HttpStatus.BAD_REQUEST, `Token rejected: ${reason}`);
  }
}

/** Another key of the tenant carries this alias. */
export class AliasTakenError extends DomainError<TenantKeyErrorCode> {
  constructor(alias: string) {
    super('ALIAS_TAKEN', HttpStatus.CONFLICT, `Another key of the tenant has the alias ${alias}`);
  }
}

/** The key's leaf certificate has expired: relying parties that check x5c would refuse what it signs. */
export class CertificateExpiredError extends DomainError<TenantKeyErrorCode> {
  constructor(expiredAt: Date) {
    super(
      'CERTIFICATE_EXPIRED',
      HttpStatus.CONFLICT,
      `The key's certificate expired at ${expiredAt.toISOString()}: attach a new one, or rotate the key`,
    );
  }
}

/** The tenant holds as many keys as MAX_KEYS_PER_TENANT allows (twice as many for a rotation). */
export class KeyLimitError extends DomainError<TenantKeyErrorCode> {
  constructor(limit: number, { rotation }: { rotation: boolean }) {
    super(
      'KEY_LIMIT_REACHED',
      HttpStatus.CONFLICT,
      rotation
        ? `The tenant holds ${2 * limit} keys, twice MAX_KEYS_PER_TENANT (${limit}): the most a rotation may reach. Delete retired keys first`
        : `The tenant holds ${limit} keys, the most MAX_KEYS_PER_TENANT (${limit}) allows, retired ones counted until deleted: delete keys it no longer needs first`,
    );
  }
}
