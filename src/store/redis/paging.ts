/**
 * Cursor paging over a sorted set of ids (all scores 0, so ZRANGE BYLEX
 * orders them by UTF-8 bytes) whose records are JSON strings, possibly in
 * other slots than the index (cross-slot.ts reads them).
 */
import { decodeCursor, encodeCursor } from '../cursor.js';
import type { Page, PageRequest } from '../store.js';
import { guarded, type RedisClient } from './connection.js';
import { mgetAnySlot } from './cross-slot.js';

export async function pageByLex<T>(redis: RedisClient, indexKey: string, recordKey: (id: string) => string, page: PageRequest): Promise<Page<T>> {
  const after = page.cursor === undefined ? undefined : decodeCursor(page.cursor);
  // '(' makes the bound exclusive; one id more than asked for tells whether another page exists.
  const min = after === undefined ? '-' : `(${after}`;
  const ids = await guarded(() => redis.zrange(indexKey, min, '+', 'BYLEX', 'LIMIT', 0, page.limit + 1));
  const pageIds = ids.slice(0, page.limit);
  const jsons = await guarded(() => mgetAnySlot(redis, pageIds.map(recordKey)));
  // A record deleted between the two reads (or whose create is half done) is simply left out of the page.
  const items = jsons.filter((json): json is string => json !== null).map((json) => JSON.parse(json) as T);
  const last = pageIds[pageIds.length - 1];
  return { items, next_cursor: ids.length > page.limit && last !== undefined ? encodeCursor(last) : null };
}
