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
