import { HttpStatus } from '@nestjs/common';
import { DomainError } from '../common/domain-error';

/** The codes `/keys` answers with, besides the common ones. */
export const USER_KEY_ERROR_CODES = ['USER_KEY_NOT_FOUND', 'USER_KEY_LIMIT_REACHED'] as const;
export type UserKeyErrorCode = (typeof USER_KEY_ERROR_CODES)[number];

/** Also what another user's key id answers. */
export class UserKeyNotFoundError extends DomainError<UserKeyErrorCode> {
  constructor() {
    super('USER_KEY_NOT_FOUND', HttpStatus.NOT_FOUND, 'Key not found');
  }
}

/** The user holds as many keys as MAX_KEYS_PER_USER allows. */
export class UserKeyLimitError extends DomainError<UserKeyErrorCode> {
  constructor(limit: number) {
    super(
      'USER_KEY_LIMIT_REACHED',
      HttpStatus.CONFLICT,
      `The user holds ${limit} keys, the most MAX_KEYS_PER_USER (${limit}) allows: delete one first`,
    );
  }
}
