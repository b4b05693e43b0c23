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

/** Redis's CPU time so far, ms: used_cpu_sys + used_cpu_user of INFO cpu (the whole process, every thread). */
export async function redisCpuMs(redis) {
  const text = await redis.info('cpu');
  return 1000 * (Number(/^used_cpu_sys:([\d.]+)/m.exec(text)?.[1] ?? 0) + Number(/^used_cpu_user:([\d.]+)/m.exec(text)?.[1] ?? 0));
}

const glob = (s) => s.replace(/[*?[\]\\]/g, (c) => `\\${c}`);

/** Calls `each` with every batch of keys under `prefix` (SCAN), in turn. */
async function scanPrefix(redis, prefix, each) {
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${glob(prefix)}*`, 'COUNT', 5000);
    cursor = next;
    if (keys.length) await each(keys);
  } while (cursor !== '0');
}

/** Deletes every key under `prefix`; returns how many. */
export async function deletePrefix(redis, prefix) {
  let n = 0;
  await scanPrefix(redis, prefix, async (keys) => { n += await redis.unlink(...keys); });
  return n;
}
