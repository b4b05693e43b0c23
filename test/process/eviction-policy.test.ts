/**
 * A Redis that may evict keys, against real server processes and a
 * redis-server of the test's own (whose policy the test sets: never the
 * shared Redis's): refused at start with exit 2 and the reason unless
 * TESSERA_REDIS_ALLOW_EVICTION says otherwise; a change while running is
 * reported on /readyz and in /metrics.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { runToExit, startServer } from '../support/process.js';
import { startOwnRedis, type OwnRedis } from '../support/redis-server.js';

let dir: string;
let redis: OwnRedis;
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'tessera-eviction-'));
  redis = await startOwnRedis();
});
afterAll(async () => {
  await redis?.destroy();
  await rm(dir, { recursive: true, force: true });
});

const env = (extra: Record<string, string> = {}) => ({
  REDIS_URL: redis.url, TESSERA_REDIS_PREFIX: 'tessera-eviction:', TESSERA_KEYS_DIR: path.join(dir, 'keys'),
  TESSERA_BOOTSTRAP_ADMIN_SECRET: 'eviction-test-admin-secret-0123', ...extra,
});
const policy = (p: string) => redis.client().config('SET', 'maxmemory-policy', p);

test('on a Redis with maxmemory-policy allkeys-lru the server does not start: exit 2 with the reason, nothing written', async () => {
  await policy('allkeys-lru');
  const { code, stdout, stderr } = await runToExit(env());
  expect(code).toBe(2);
  expect(stdout).toBe('');
  expect(stderr.trim().split('\n')).toEqual([
    'tessera: Redis has maxmemory-policy allkeys-lru: under memory pressure it deletes keys, and a deleted revocation brings a revoked token back. '
      + 'Set it to noeviction (CONFIG SET maxmemory-policy noeviction, and in redis.conf), or set TESSERA_REDIS_ALLOW_EVICTION=true to start anyway',
  ]);
  expect(await redis.client().keys('tessera-eviction:*')).toEqual([]);
});

test('with TESSERA_REDIS_ALLOW_EVICTION=true it starts, says so once, and stays ready', async () => {
  await policy('volatile-lru');
  const server = await startServer(env({ TESSERA_REDIS_ALLOW_EVICTION: 'true' }), 30_000);
  try {
    const warned = server.stdout().split('\n').filter((l) => l.includes('may evict keys'));
    expect(warned).toHaveLength(1);
    expect(JSON.parse(warned[0]!)).toMatchObject({ level: 'warn', maxmemory_policy: 'volatile-lru' });
    expect((await fetch(`${server.url}/readyz`)).status).toBe(200);
  } finally {
    expect(await server.stop()).toBe(0);
  }
});

test('a policy changed while the server runs makes /readyz 503 with store "evicting" and shows in /metrics, until it is changed back', async () => {
  await policy('noeviction');
  const server = await startServer(env(), 30_000);
  try {
    const ready = async () => { const r = await fetch(`${server.url}/readyz`); return { status: r.status, body: await r.json() }; };
    const gauge = async () => (await (await fetch(`${server.url}/metrics`)).text()).split('\n').filter((l) => l.startsWith('tessera_store_evicts_keys'));
    expect(await ready()).toEqual({ status: 200, body: { status: 'ready', store: 'redis', checks: { store: 'ok', keys: 'ok' } } });
    expect(await gauge()).toEqual(['tessera_store_evicts_keys{policy="noeviction"} 0']);
    await policy('allkeys-random');
    expect(await ready()).toEqual({ status: 503, body: { status: 'unavailable', store: 'redis', checks: { store: 'evicting', keys: 'ok' } } });
    expect(await gauge()).toEqual(['tessera_store_evicts_keys{policy="allkeys-random"} 1']);
    await policy('noeviction');
    expect((await ready()).status).toBe(200);
  } finally {
    expect(await server.stop()).toBe(0);
  }
});
