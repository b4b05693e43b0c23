/**
 * What an API-token list asks for beyond paging: filters (status, expiring,
 * unused, a search) and an order. The store pages by id only, so filters run
 * over its pages and a sorted list is sorted here, with a keyset cursor (the
 * last item's sort value and id) so a token added or removed meanwhile never
 * shifts a page.
 */
import type { ApiTokenRecord } from '../../store/store.js';
import { decodeCursor, encodeCursor } from '../../store/cursor.js';
import { InvalidRequestError } from '../errors.js';
import type { ApiTokenListFilter } from './api-token-input.js';
import { apiTokenStatus } from './api-token-view.js';

export type ApiTokenSort = NonNullable<ApiTokenListFilter['sort']>;
type SortValue = number | string | null;

/** Whether a token passes every filter given, at `now`. */
export function apiTokenMatcher(filter: ApiTokenListFilter, now: number): (t: ApiTokenRecord) => boolean {
  const q = filter.q?.toLowerCase();
  return (t) => {
    const status = apiTokenStatus(t, now);
    const active = status === 'active';
    if (filter.active !== undefined && active !== filter.active) return false;
    if (filter.status !== undefined && status !== filter.status) return false;
    if (filter.expiring_within !== undefined && !(active && t.expires_at <= now + filter.expiring_within * 1000)) return false;
    if (filter.unused_for !== undefined && (t.last_used_at ?? t.created_at) > now - filter.unused_for * 1000) return false;
    // The search: part of the name or description, any case, or the exact id.
    if (q !== undefined && t.id !== filter.q && !t.name.toLowerCase().includes(q) && !(t.description ?? '').toLowerCase().includes(q)) return false;
    return true;
  };
}

function sortValue(t: ApiTokenRecord, sort: ApiTokenSort): SortValue {
  switch (sort) {
    case 'name': return t.name.toLowerCase();
    case 'created_at': return t.created_at;
    case 'expires_at': return t.expires_at;
    case 'last_used_at': return t.last_used_at;
  }
}

/** Ascending by value (never used = earliest), then by id: a total order. */
function compare(a: [SortValue, string], b: [SortValue, string]): number {
  const [va, ia] = a;
  const [vb, ib] = b;
  if (va !== vb) {
    if (va === null) return -1;
    if (vb === null) return 1;
    return va < vb ? -1 : 1;
  }
  return ia < ib ? -1 : ia > ib ? 1 : 0;
}

export interface SortedPage { items: ApiTokenRecord[]; next_cursor: string | null }

/** One page of `tokens` (already filtered) in the asked order, after the cursor. */
export function sortedPage(tokens: readonly ApiTokenRecord[], sort: ApiTokenSort, order: 'asc' | 'desc', limit: number, cursor: string | undefined): SortedPage {
  const sign = order === 'asc' ? 1 : -1;
  const keyed = tokens.map((t) => ({ t, key: [sortValue(t, sort), t.id] as [SortValue, string] }));
  keyed.sort((a, b) => sign * compare(a.key, b.key));
  const after = cursor === undefined ? undefined : readCursor(cursor, sort, order);
  const rest = after === undefined ? keyed : keyed.filter((k) => sign * compare(k.key, after) > 0);
  const page = rest.slice(0, limit);
  const last = page[page.length - 1];
  return {
    items: page.map((k) => k.t),
    next_cursor: rest.length > limit && last ? encodeCursor(JSON.stringify([sort, order, ...last.key])) : null,
  };
}

function readCursor(cursor: string, sort: ApiTokenSort, order: string): [SortValue, string] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(decodeCursor(cursor));
  } catch {
    throw new InvalidRequestError('cursor is not valid');
  }
  if (!Array.isArray(parsed) || parsed.length !== 4 || parsed[0] !== sort || parsed[1] !== order || typeof parsed[3] !== 'string'
    || !(parsed[2] === null || typeof parsed[2] === 'number' || typeof parsed[2] === 'string')) {
    throw new InvalidRequestError('cursor is not valid for this sort and order');
  }
  return [parsed[2] as SortValue, parsed[3]];
}
