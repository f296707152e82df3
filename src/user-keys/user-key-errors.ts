import { DomainError } from '../common/domain-error';

/** Also what another user's key id answers. */
export class UserKeyNotFoundError extends DomainError {
  constructor() {
    super('USER_KEY_NOT_FOUND', 'Key not found');
  }
}

/** The user holds as many keys as MAX_KEYS_PER_USER allows, or the users of its tenant as MAX_USER_KEYS_PER_TENANT. */
export class UserKeyLimitError extends DomainError {
  constructor(variable: 'MAX_KEYS_PER_USER' | 'MAX_USER_KEYS_PER_TENANT', limit: number) {
    super(
      'USER_KEY_LIMIT_REACHED',
      variable === 'MAX_KEYS_PER_USER'
        ? `The user holds ${limit} keys, the most MAX_KEYS_PER_USER (${limit}) allows: delete one first`
        : `The users of this tenant hold ${limit} keys, the most MAX_USER_KEYS_PER_TENANT (${limit}) allows`,
    );
  }
}
