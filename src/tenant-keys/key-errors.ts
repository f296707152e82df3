import { HttpStatus } from '@nestjs/common';
import { DomainError, NotFoundError } from '../common/domain-error';

/** Also what another tenant's key id answers: a tenant cannot tell the two apart. */
export class KeyNotFoundError extends NotFoundError {
  constructor() {
    super('KEY_NOT_FOUND', 'Key not found');
  }
}

export class KeyIdTakenError extends DomainError {
  constructor() {
    super('KEY_ID_TAKEN', HttpStatus.CONFLICT, 'A key with this id already exists');
  }
}

/** The key exists but cannot do that in its state: a retiring key signing, a public-only key signing, rotating a non-active key. */
export class KeyNotActiveError extends DomainError {
  constructor(message: string) {
    super('KEY_NOT_ACTIVE', HttpStatus.CONFLICT, message);
  }
}

/** Import of key material the tenant already holds: one kid must name one key, or verifiers cannot tell them apart. */
export class KeyMaterialExistsError extends DomainError {
  constructor(holderId?: string) {
    super(
      'KEY_MATERIAL_EXISTS',
      HttpStatus.CONFLICT,
      holderId ? `The tenant already holds this key as key ${holderId}` : 'The tenant already holds this key (it was just changed: try again)',
    );
  }
}
