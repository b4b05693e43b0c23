// The benchmark's own Redis connection: version, memory, and clean-up of
// exactly the keys under its prefix (SCAN + UNLINK; never FLUSHALL/FLUSHDB).
import { Redis } from 'ioredis';

export function connect(url) {
  const redis = new Redis(url, { maxRetriesPerRequest: 1, connectTimeout: 3000, lazyConnect: true, connectionName: 'tessera-bench' });
  redis.on('error', () => undefined);
  return redis;
}

export async function redisVersion(redis) {
  return /^redis_version:(\S+)/m.exec(await redis.info('server'))?.[1] ?? 'unknown';
}

export async function usedMemory(redis) {
  return Number(/^used_memory:(\d+)/m.exec(await redis.info('memory'))?.[1]);
}

const glob = (s) => s.replace(/[*?[\]\\]/g, (c) => `\\${c}`);

/** How many keys are under `prefix` (SCAN). */
export async function countKeys(redis, prefix) {
  let cursor = '0';
  let n = 0;
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${glob(prefix)}*`, 'COUNT', 5000);
    cursor = next;
    n += keys.length;
  } while (cursor !== '0');
  return n;
}

/** Deletes every key under `prefix`; returns how many. */
export async function deletePrefix(redis, prefix) {
  let cursor = '0';
  let n = 0;
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${glob(prefix)}*`, 'COUNT', 5000);
    cursor = next;
    if (keys.length) n += await redis.unlink(...keys);
  } while (cursor !== '0');
  return n;
}
