import type { ChildProcess } from 'node:child_process';
import { Redis } from 'ioredis';

/** Deletes this run's keys only (never FLUSHALL/FLUSHDB), then stops a Redis the run started. */
export default async function globalTeardown(): Promise<void> {
  const url = process.env.TEST_REDIS_URL;
  const prefix = process.env.TEST_REDIS_PREFIX;
  if (url && prefix) {
    const client = new Redis(url, { maxRetriesPerRequest: 1 });
    try {
      let cursor = '0';
      do {
        const [next, keys] = await client.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 10_000);
        cursor = next;
        if (keys.length) await client.unlink(...keys);
      } while (cursor !== '0');
    } finally {
      client.disconnect();
    }
  }
  const child = (globalThis as Record<string, unknown>).__TESSERA_TEST_REDIS_CHILD__ as ChildProcess | null | undefined;
  child?.kill('SIGTERM');
}
