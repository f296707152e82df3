import { ValidationFailedError } from './domain-error';
import { Page } from './response-envelope';

/** An opaque cursor: the parts that name a position in a list, joined and base64url-encoded. */
export function encodeCursor(...parts: string[]): string {
  return Buffer.from(parts.join('|')).toString('base64url');
}

/** The parts of a cursor made by encodeCursor; a 400 naming `cursor` when it is not one (or `valid` refuses them). */
export function decodeCursor(cursor: string, valid: (parts: string[]) => boolean): string[] {
  const parts = Buffer.from(cursor, 'base64url').toString('utf8').split('|');
  if (!valid(parts)) throw new ValidationFailedError([{ field: 'cursor', message: 'cursor must be a cursor from a previous page' }]);
  return parts;
}

/** The position a cursor of one increasing number names (an identity column): a 400 naming `cursor` otherwise. */
export function decodeSequenceCursor(cursor: string): string {
  return decodeCursor(cursor, ([sequence]) => /^[1-9][0-9]{0,17}$/.test(sequence))[0];
}

/**
 * Keyset paging: the query was asked for one row more than `limit`, which tells whether there is a next page
 * without a count; the next page starts after the last row shown.
 */
export function pageOf<Row, View>(rows: Row[], limit: number, view: (row: Row) => View, cursorAfter: (last: Row) => string): Page<View> {
  const items = rows.slice(0, limit);
  const nextCursor = rows.length > limit && items.length > 0 ? cursorAfter(items[items.length - 1]) : null;
  return new Page(items.map(view), { limit, nextCursor });
}
