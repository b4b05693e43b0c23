/**
 * `--limit`, `--cursor` and `--all` for the admin API's list endpoints, which
 * answer `{items, next_cursor}` pages (next_cursor null on the last one).
 */
import { Command, Option } from 'commander';
import { ApiError } from './cli-errors.js';
import { integer } from './cli-support.js';

/** The server's largest page. */
export const MAX_PAGE = 200;

export interface PagingOptions {
  limit?: number;
  cursor?: string;
  all?: boolean;
}

export interface Page<T> {
  items: T[];
  next_cursor: string | null;
}

export function withPaging(cmd: Command, what: string, cursorHelp = 'the next_cursor of the previous page'): Command {
  return cmd
    .option('--limit <n>', `page size, 1 to ${MAX_PAGE} (server default 50)`, integer(1, MAX_PAGE, what))
    .addOption(new Option('--cursor <cursor>', cursorHelp).conflicts('all'))
    .option('--all', 'follow next_cursor to the end and print every page as one list');
}

/** One page, or with --all every page joined into one (whose next_cursor is null, as on a last page). */
export async function fetchPages<T>(o: PagingOptions, get: (q: { limit?: number; cursor?: string }) => Promise<Page<T>>): Promise<Page<T>> {
  if (!o.all) return get({ limit: o.limit, cursor: o.cursor });
  const items: T[] = [];
  const seen = new Set<string>();
  let cursor: string | undefined;
  do {
    const page = await get({ limit: o.limit ?? MAX_PAGE, cursor });
    items.push(...page.items);
    cursor = page.next_cursor ?? undefined;
    // A server answering a cursor it already gave would loop forever.
    if (cursor !== undefined && seen.has(cursor)) throw new ApiError('invalid_response', 'the server answered the same next_cursor twice');
    if (cursor !== undefined) seen.add(cursor);
  } while (cursor !== undefined);
  return { items, next_cursor: null };
}

/** A page for people: its table (or what to say when it is empty), then how to get the next one. */
export function pageLines<T>(page: Page<T>, table: (items: T[]) => string[], empty: string, emptyPage = 'Nothing in this page.'): string[] {
  const lines = page.items.length > 0 ? table(page.items) : [page.next_cursor ? emptyPage : empty];
  if (page.next_cursor) lines.push('', `More: add --cursor ${page.next_cursor}`);
  return lines;
}
