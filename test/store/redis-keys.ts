/** Test helpers to look at and remove one prefix's keys (never FLUSHALL/FLUSHDB: the Redis may be shared). */
import type { Redis } from 'ioredis';

/** Escapes glob metacharacters, so a prefix is matched literally by SCAN MATCH. */
export function globEscape(text: string): string {
  return text.replace(/[*?[\]\\]/g, (c) => `\\${c}`);
}

export async function scanKeys(redis: Redis, pattern: string): Promise<string[]> {
  const keys: string[] = [];
  let cursor = '0';
  do {
    const [next, batch] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 500);
    cursor = next;
    keys.push(...batch);
  } while (cursor !== '0');
  return [...new Set(keys)].sort();
}

export async function deleteKeysUnder(redis: Redis, prefix: string): Promise<void> {
  const keys = await scanKeys(redis, `${globEscape(prefix)}*`);
  if (keys.length > 0) await redis.unlink(...keys);
}
