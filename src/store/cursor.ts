/**
 * Page cursors of the store: base64url of the last client_id of a page.
 * Opaque to callers, so the encoding may change without an API change.
 */
import { InvalidRequestError } from '../core/errors.js';

export function encodeCursor(lastId: string): string {
  return Buffer.from(lastId, 'utf8').toString('base64url');
}

/**
 * Node's base64 decoder silently skips characters it does not know, so a
 * cursor is accepted only when it re-encodes to itself: that rejects stray
 * characters, padding, non-canonical trailing bits and ids that are not
 * valid UTF-8 (they would decode to U+FFFD and re-encode differently).
 */
export function decodeCursor(cursor: string): string {
  if (/^[A-Za-z0-9_-]+$/.test(cursor)) {
    const id = Buffer.from(cursor, 'base64url').toString('utf8');
    if (id.length > 0 && encodeCursor(id) === cursor) return id;
  }
  throw new InvalidRequestError('cursor is not valid');
}

/**
 * The order of client ids everywhere: UTF-8 byte order, which is what Redis
 * uses for a sorted set's lexicographic ranges. Plain `<` on JS strings
 * compares UTF-16 code units and would sort astral characters (emoji) before
 * U+E000..U+FFFF, so the memory store would page differently from Redis.
 */
export function compareIds(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}
