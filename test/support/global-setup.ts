import { randomBytes } from 'node:crypto';
import { findOrStartRedis } from './redis-server.js';

/**
 * Runs once before all suites. Workers inherit process.env, so every suite
 * sees the Redis URL and this run's own key prefix.
 */
export default async function globalSetup(): Promise<void> {
  const redis = await findOrStartRedis();
  process.env.TEST_REDIS_URL = redis.url;
  process.env.TEST_REDIS_PREFIX = `tessera-test:${process.pid}-${randomBytes(4).toString('hex')}:`;
  (globalThis as Record<string, unknown>).__TESSERA_TEST_REDIS_CHILD__ = redis.child;
  // eslint-disable-next-line no-console
  console.log(`\nTest Redis: ${redis.url}${redis.child ? ' (started for this run)' : ''}, key prefix ${process.env.TEST_REDIS_PREFIX}`);
}
