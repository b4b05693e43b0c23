/**
 * Usage counts wait in memory until the next flush (TESSERA_USAGE_FLUSH_INTERVAL);
 * on the real server process a SIGTERM writes what waits before the store
 * closes, so a clean stop loses no counts.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { ensureBuilt } from '../support/build.js';
import { startServer } from '../support/process.js';
import { testRedisPrefix, testRedisUrl } from '../support/redis.js';
import { deleteKeysUnder } from '../store/redis-keys.js';

const ADMIN_SECRET = 'usage-shutdown-admin-secret-0123456789';
const BASIC = `Basic ${Buffer.from(`tessera-admin:${ADMIN_SECRET}`).toString('base64')}`;

let dir: string;
let redis: Redis;
const prefix = testRedisPrefix('usage-stop');
beforeAll(async () => {
  await ensureBuilt('dist/main.js');
  dir = await mkdtemp(path.join(os.tmpdir(), 'tessera-usage-stop-'));
  redis = new Redis(testRedisUrl(), { maxRetriesPerRequest: 1 });
}, 180_000);
afterAll(async () => {
  await deleteKeysUnder(redis, prefix);
  await redis.quit();
  await rm(dir, { recursive: true, force: true });
});

test('SIGTERM writes the usage counts that wait for the next flush', async () => {
  const server = await startServer({
    TESSERA_KEYS_DIR: path.join(dir, 'keys'), TESSERA_BOOTSTRAP_ADMIN_SECRET: ADMIN_SECRET,
    REDIS_URL: testRedisUrl(), TESSERA_REDIS_PREFIX: prefix, TESSERA_USAGE_FLUSH_INTERVAL: '60000',
  });
  let stopped = false;
  try {
    const post = (p: string, body: string) => fetch(`${server.url}${p}`, {
      method: 'POST', headers: { Authorization: BASIC, 'Content-Type': 'application/x-www-form-urlencoded' }, body,
    });
    const issued = await post('/oauth/token', 'grant_type=client_credentials');
    expect(issued.status).toBe(200);
    const token = ((await issued.json()) as { access_token: string }).access_token;
    const jti = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()).jti as string;
    for (let i = 0; i < 3; i++) {
      const res = await post('/oauth/introspect', `token=${token}&route=${encodeURIComponent('GET /orders')}`);
      expect(res.status).toBe(200);
      expect(((await res.json()) as { active: boolean }).active).toBe(true);
    }
    // A minute to the next flush: nothing written yet.
    expect(await redis.exists(`${prefix}usage:access_token:${jti}`)).toBe(0);
    expect(await server.stop()).toBe(0);
    stopped = true;
    expect(await redis.hget(`${prefix}usage:access_token:${jti}`, 'r:GET /orders')).toBe('3');
  } finally {
    if (!stopped) await server.stop();
  }
});
