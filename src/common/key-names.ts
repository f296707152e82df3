import { isUUID } from 'class-validator';
import { ValidationFailedError } from './domain-error';

/** What an alias may be: 1 to 64 characters of a-z, 0-9, `.`, `_` and `-`. */
export const ALIAS = /^[a-z0-9._-]{1,64}$/;
export const ALIAS_MESSAGE = 'alias must be 1 to 64 characters of a-z, 0-9, ".", "_" and "-"';

/** What an imported key's kid may be: 1 to 64 printable ASCII characters, no whitespace (the column is varchar(64)). */
export const KID = /^[\x21-\x7e]{1,64}$/;
export const KID_MESSAGE = 'kid must be 1 to 64 printable ASCII characters without whitespace';

/** An alias from a path: the same rule as in bodies, a 400 naming it otherwise. */
export function validAlias(alias: string): string {
  if (!ALIAS.test(alias)) throw new ValidationFailedError([{ field: 'alias', message: ALIAS_MESSAGE }]);
  return alias;
}

/** How an API key names a key it may sign with: its id, or its alias. */
export function isSignKey(value: unknown): boolean {
  return typeof value === 'string' && (isUUID(value, 'all') || ALIAS.test(value));
}
