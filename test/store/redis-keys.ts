/** Test helpers to look at and remove one prefix's keys (never FLUSHALL/FLUSHDB: the Redis may be shared). */
import type { Redis } from 'ioredis';

/**
 * SCAN batch size. The test Redis may hold millions of other keys (a
 * benchmark's, another project's): each SCAN call walks COUNT slots whatever
 * MATCH filters, so a small COUNT turns one cleanup into thousands of round
 * trips.
 */
const SCAN_COUNT = 10_000;

/** Escapes glob metacharacters, so a prefix is matched literally by SCAN MATCH. */
export function globEscape(text: string): string {
  return text.replace(/[*?[\]\\]/g, (c) => `\\${c}`);
}

export async function scanKeys(redis: Redis, pattern: string): Promise<string[]> {
  const keys: string[] = [];
  let cursor = '0';
  do {
    const [next, batch] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', SCAN_COUNT);
    cursor = next;
    keys.push(...batch);
  } while (cursor !== '0');
  return [...new Set(keys)].sort();
}

/** Longest common leading string of the prefixes: one SCAN then serves them all. */
function commonStart(prefixes: string[]): string {
  let start = prefixes[0] ?? '';
  for (const p of prefixes) while (!p.startsWith(start)) start = start.slice(0, -1);
  return start;
}

/** Deletes every key under any of the prefixes, in one walk of the keyspace. */
export async function deleteKeysUnder(redis: Redis, ...prefixes: string[]): Promise<void> {
  if (prefixes.length === 0) return;
  const candidates = await scanKeys(redis, `${globEscape(commonStart(prefixes))}*`);
  const keys = candidates.filter((k) => prefixes.some((p) => k.startsWith(p)));
  for (let i = 0; i < keys.length; i += 1000) await redis.unlink(...keys.slice(i, i + 1000));
}
