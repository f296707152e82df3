import { DomainError } from '../common/domain-error';

/** Also what another tenant's key id answers: a tenant cannot tell the two apart. */
export class KeyNotFoundError extends DomainError {
  constructor() {
    super('KEY_NOT_FOUND', 'Key not found');
  }
}

export class KeyIdTakenError extends DomainError {
  constructor() {
    super('KEY_ID_TAKEN', 'A key with this id already exists');
  }
}

/** The key exists but cannot do that in its state: a retiring key signing, a public-only key signing, rotating a non-active key. */
export class KeyNotActiveError extends DomainError {
  constructor(message: string) {
    super('KEY_NOT_ACTIVE', message);
  }
}

/** Import of key material the tenant already holds, under whatever kid: one key material, one key. */
export class KeyMaterialExistsError extends DomainError {
  constructor(holderId?: string) {
    super(
      'KEY_MATERIAL_EXISTS',
      holderId ? `The tenant already holds this key as key ${holderId}` : 'The tenant already holds this key (it was just changed: try again)',
    );
  }
}

/** An import whose kid another key of the tenant has: verifiers find a key by its kid, so one kid names one key. */
export class KidTakenError extends DomainError {
  constructor(kid: string, holderId?: string) {
    super(
      'KID_TAKEN',
      holderId
        ? `Key ${holderId} of the tenant already has the kid ${kid}`
        : `Another key of the tenant has the kid ${kid} (it was just changed: try again)`,
    );
  }
}

/** A token sent to verify that fails: the reason says which check. */
export class TokenRejectedError extends DomainError {
  constructor(reason: string) {
    super('TOKEN_REJECTED', `Token rejected: ${reason}`);
  }
}

/** Another key of the tenant carries this alias. */
export class AliasTakenError extends DomainError {
  constructor(alias: string) {
    super('ALIAS_TAKEN', `Another key of the tenant has the alias ${alias}`);
  }
}

/** The key's leaf certificate has expired: relying parties that check x5c would refuse what it signs. */
export class CertificateExpiredError extends DomainError {
  constructor(expiredAt: Date) {
    super('CERTIFICATE_EXPIRED', `The key's certificate expired at ${expiredAt.toISOString()}: attach a new one, or rotate the key`);
  }
}

/** The tenant holds as many keys as MAX_KEYS_PER_TENANT allows (twice as many for a rotation). */
export class KeyLimitError extends DomainError {
  constructor(limit: number, { rotation }: { rotation: boolean }) {
    super(
      'KEY_LIMIT_REACHED',
      rotation
        ? `The tenant holds ${2 * limit} keys in use, twice MAX_KEYS_PER_TENANT (${limit}): the most a rotation may reach. Wait for retiring keys to retire, or delete keys first`
        : `The tenant holds ${limit} keys in use, the most MAX_KEYS_PER_TENANT (${limit}) allows (retired keys are not counted): delete keys it no longer needs first`,
    );
  }
}
