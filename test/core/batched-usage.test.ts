/**
 * Usage counts off the read path: uses are merged in memory and written in
 * one tally per key at each flush (the timer's, a full batch's, a read's or
 * close's), in memory and in a real Redis alike; a failing store fails no
 * caller, and what is not counted is counted as dropped.
 */
import { Redis } from 'ioredis';
import { BatchedUsage, UsageFlusher, type UsageDropReason } from '../../src/core/usage/batched-usage.js';
import { MemoryStore } from '../../src/store/memory-store.js';
import { connectRedisStore } from '../../src/store/redis-store.js';
import type { Store } from '../../src/store/store.js';
import { MAX_ROUTES, OTHER_ROUTES, type UsageRepository, type UsageTally } from '../../src/store/usage-records.js';
import { testRedisPrefix, testRedisUrl } from '../support/redis.js';
import { deleteKeysUnder } from '../store/redis-keys.js';
import { sleep } from '../store/store-contract.js';

/** The real repository, with each tally it is given noted. */
function counted(inner: UsageRepository): { repo: UsageRepository; adds: Array<[string, UsageTally]> } {
  const adds: Array<[string, UsageTally]> = [];
  return {
    adds,
    repo: {
      record: (key, use, exp) => inner.record(key, use, exp),
      add: (key, tally) => { adds.push([key, structuredClone(tally)]); return inner.add(key, tally); },
      get: (key) => inner.get(key),
    },
  };
}

function drops(): { onDropped: (n: number, r: UsageDropReason) => void; dropped: Record<UsageDropReason, number> } {
  const dropped = { full: 0, failed: 0 };
  return { dropped, onDropped: (n, r) => { dropped[r] += n; } };
}

let admin: Redis;
const prefixes: string[] = [];
beforeAll(() => { admin = new Redis(testRedisUrl(), { maxRetriesPerRequest: 1 }); });
afterAll(async () => {
  await deleteKeysUnder(admin, ...prefixes);
  await admin.quit();
});

const stores: Array<[string, () => Promise<Store>]> = [
  ['memory', async () => new MemoryStore()],
  ['Redis', async () => {
    const prefix = testRedisPrefix('batched-usage');
    prefixes.push(prefix);
    return connectRedisStore({ url: testRedisUrl(), prefix });
  }],
];

describe.each(stores)('batched usage over the %s store', (_name, open) => {
  let store: Store;
  beforeEach(async () => { store = await open(); });
  afterEach(async () => { await store.close(); });

  test('counts reach the store at the flush, not before; a thousand uses of one key are one write', async () => {
    const { repo, adds } = counted(store.usage);
    const usage = new BatchedUsage(repo, { intervalMs: 60_000 });
    const exp = Date.now() + 60_000;
    for (let i = 0; i < 1000; i++) {
      await usage.record('access_token:j1', { route: i % 4 === 0 ? 'POST /orders' : 'GET /orders', ip: `192.0.2.${i % 200}`, atMs: 1000 + i, scopes: ['orders:read'] }, exp);
    }
    await usage.record('client:svc', { route: 'GET /orders', ip: '192.0.2.1', atMs: 500, scopes: ['orders:read'] }, exp);
    await usage.record('client:svc', { route: 'GET /orders', ip: '192.0.2.2', atMs: 700, scopes: ['orders:write'] }, exp);
    expect(await store.usage.get('access_token:j1')).toBeNull();
    expect(adds).toEqual([]);

    await usage.flush();
    expect(adds.map(([key]) => key).sort()).toEqual(['access_token:j1', 'client:svc']);
    expect(await store.usage.get('access_token:j1')).toEqual({
      last_used_at: 1999, last_used_ip: '192.0.2.199', routes: { 'GET /orders': 750, 'POST /orders': 250 }, scopes: { 'orders:read': 1999 },
    });
    expect(await store.usage.get('client:svc')).toEqual({
      last_used_at: 700, last_used_ip: '192.0.2.2', routes: { 'GET /orders': 2 }, scopes: { 'orders:read': 500, 'orders:write': 700 },
    });
    // Nothing waits: a second flush writes nothing.
    await usage.flush();
    expect(adds).toHaveLength(2);
    await usage.close();
  });

  test('a read through it flushes first, so this instance sees every use it counted', async () => {
    const usage = new BatchedUsage(store.usage, { intervalMs: 60_000 });
    const exp = Date.now() + 60_000;
    await usage.record('api_token:tok_1', { route: 'GET /a', ip: '::1', atMs: 10 }, exp);
    await usage.record('api_token:tok_1', { route: 'GET /a', ip: '::1', atMs: 20 }, exp);
    expect((await usage.get('api_token:tok_1'))?.routes).toEqual({ 'GET /a': 2 });
    await usage.close();
  });

  test(`merged uses keep the bound of ${MAX_ROUTES} routes per key`, async () => {
    const usage = new BatchedUsage(store.usage, { intervalMs: 60_000 });
    const exp = Date.now() + 60_000;
    for (let i = 0; i < MAX_ROUTES + 10; i++) await usage.record('k', { route: `GET /r${i}`, ip: '::1', atMs: i }, exp);
    const u = (await usage.get('k'))!;
    expect(Object.keys(u.routes)).toHaveLength(MAX_ROUTES + 1);
    expect(u.routes[OTHER_ROUTES]).toBe(10);
    await usage.close();
  });

  test('close writes what waits: a clean stop loses no counts', async () => {
    const usage = new BatchedUsage(store.usage, { intervalMs: 60_000 });
    await usage.record('access_token:j2', { route: 'GET /x', ip: '::1', atMs: Date.now() }, Date.now() + 60_000);
    await usage.close();
    expect((await store.usage.get('access_token:j2'))?.routes).toEqual({ 'GET /x': 1 });
  });

  test('the timer flushes on its own', async () => {
    const usage = new BatchedUsage(store.usage, { intervalMs: 20 });
    await usage.record('access_token:j3', { route: 'GET /x', ip: '::1', atMs: Date.now() }, Date.now() + 60_000);
    let found = null;
    for (let i = 0; i < 250 && found === null; i++) {
      await sleep(20);
      found = await store.usage.get('access_token:j3');
    }
    expect(found?.routes).toEqual({ 'GET /x': 1 });
    await usage.close();
  });

  test('bounded: past maxKeys a new key\'s use is dropped and counted; known keys still merge; flushAtKeys starts a flush', async () => {
    const { repo, adds } = counted(store.usage);
    const { dropped, onDropped } = drops();
    // A store that takes its time: the flush that 3 keys start is still under way while more uses come.
    let release!: () => void;
    const gate = new Promise<void>((r) => { release = r; });
    const slow: UsageRepository = { ...repo, add: async (key, tally) => { await gate; return repo.add(key, tally); } };
    const usage = new BatchedUsage(slow, { intervalMs: 60_000, flushAtKeys: 3, maxKeys: 4, onDropped });
    const exp = Date.now() + 60_000;
    const use = (key: string) => usage.record(key, { route: 'GET /', ip: '::1', atMs: Date.now() }, exp);
    await use('a');
    await use('b');
    await use('c'); // three wait: a flush starts, and takes them
    for (const key of ['d', 'e', 'f', 'g', 'h']) await use(key); // d, e, f, g wait (f starts a flush that queues); h is one too many
    await use('d'); // a key that waits still merges
    expect(dropped).toEqual({ full: 1, failed: 0 });
    release();
    await usage.flush();
    expect(adds.map(([k]) => k).sort()).toEqual(['a', 'b', 'c', 'd', 'e', 'f', 'g']);
    expect((await store.usage.get('d'))?.routes).toEqual({ 'GET /': 2 });
    expect(await store.usage.get('h')).toBeNull();
    await usage.close();
  });
});

test('a failing store fails no caller: the failure is reported and its uses counted as dropped', async () => {
  const store = new MemoryStore();
  const failures: unknown[] = [];
  const { dropped, onDropped } = drops();
  const usage = new BatchedUsage(store.usage, { intervalMs: 60_000, onDropped, onFailure: (err) => failures.push(err) });
  await store.close(); // every call of a closed store throws
  const exp = Date.now() + 60_000;
  await expect(usage.record('access_token:j', { route: 'GET /', ip: '::1', atMs: Date.now() }, exp)).resolves.toBeUndefined();
  await usage.record('access_token:j', { route: 'GET /', ip: '::1', atMs: Date.now() }, exp);
  await usage.record('client:svc', { route: 'GET /', ip: '::1', atMs: Date.now() }, exp);
  await expect(usage.flush()).resolves.toBeUndefined();
  expect(failures).toHaveLength(2);
  expect(dropped).toEqual({ full: 0, failed: 3 });
  await expect(usage.close()).resolves.toBeUndefined();
});

test('flushes asked for while one is under way join the next one, which writes everything counted before them', async () => {
  const store = new MemoryStore();
  let writes = 0;
  const flusher = new UsageFlusher(async (key, tally) => { writes++; await sleep(20); await store.usage.add(key, tally); }, { intervalMs: 60_000 });
  const exp = Date.now() + 60_000;
  flusher.note('a', { route: 'GET /', ip: '::1', atMs: 1 }, exp);
  const first = flusher.flush();
  await Promise.resolve(); // the first flush has taken what waited and is writing it
  flusher.note('a', { route: 'GET /', ip: '::1', atMs: 2 }, exp);
  const second = flusher.flush();
  const third = flusher.flush();
  expect(third).toBe(second);
  await Promise.all([first, second]);
  expect(writes).toBe(2);
  expect((await store.usage.get('a'))?.routes).toEqual({ 'GET /': 2 });
  await flusher.close();
  await store.close();
});
