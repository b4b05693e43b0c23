import type { ChildProcess } from 'node:child_process';
import { Redis } from 'ioredis';

/** Deletes this run's keys only (never FLUSHALL/FLUSHDB), then stops a Redis the run started. */
export default async function globalTeardown(globalConfig?: { watch?: boolean; watchAll?: boolean }): Promise<void> {
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
  // In watch mode the watcher keeps the process alive on purpose.
  if (!globalConfig?.watch && !globalConfig?.watchAll) failInsteadOfHanging();
}

/**
 * With one worker (two cores) every suite runs in this process, so a timer,
 * server or socket that a failed test left open keeps it alive after the
 * summary, and CI would wait out its whole limit for a run that already
 * failed. Past a grace period the run ends, as a failure: whatever kept it
 * alive is a leak, even after tests that passed. The timer is unref'd, so a
 * run with nothing left open exits as it always did.
 */
function failInsteadOfHanging(graceMs = 10_000): void {
  setTimeout(() => {
    console.error(`The test run was still kept alive ${graceMs / 1000} s after it ended (a timer, server or socket left open): `
      + 'failing instead of hanging. `npm test -- --detectOpenHandles <file>` finds what is open.');
    process.exit(1);
  }, graceMs).unref();
}
