import { randomBytes } from 'node:crypto';

/** The Redis of this test run; global-setup guarantees it answers. */
export function testRedisUrl(): string {
  const url = process.env.TEST_REDIS_URL;
  if (!url) throw new Error('TEST_REDIS_URL is not set: run the tests with `npm test` (jest global setup finds Redis).');
  return url;
}

/** A key prefix of its own for one suite or test, under this run's prefix, so parallel suites never collide. */
export function testRedisPrefix(label: string): string {
  const run = process.env.TEST_REDIS_PREFIX ?? 'tessera-test:';
  return `${run}${label}:${randomBytes(3).toString('hex')}:`;
}
