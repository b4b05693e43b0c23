/**
 * Plain reads of one tick go out as one MGET (read-batch.ts): each caller
 * gets its own keys' values in its own order, a failure reaches every
 * caller of that MGET, and reads of different ticks are different MGETs.
 */
import { ReadBatch, type MgetClient } from '../../src/store/redis/read-batch.js';

/** An MGET over a map, recording each call's keys. */
function fakeRedis(values: Record<string, string>, fail = false): MgetClient & { calls: string[][] } {
  const calls: string[][] = [];
  return {
    calls,
    mget: async (...keys: string[]) => {
      calls.push(keys);
      if (fail) throw new Error('connection lost');
      return keys.map((k) => values[k] ?? null);
    },
  };
}

test('reads made in the same tick are one MGET, each caller answered with its own keys in its order', async () => {
  const redis = fakeRedis({ a: '1', b: '2', c: '3' });
  const batch = new ReadBatch(redis);
  const [first, second, third] = await Promise.all([batch.mget(['c', 'a']), batch.mget(['missing']), batch.mget(['b', 'c', 'x'])]);
  expect(redis.calls).toEqual([['c', 'a', 'missing', 'b', 'c', 'x']]);
  expect(first).toEqual(['3', '1']);
  expect(second).toEqual([null]);
  expect(third).toEqual(['2', '3', null]);
});

test('reads of different ticks are different MGETs', async () => {
  const redis = fakeRedis({ a: '1', b: '2' });
  const batch = new ReadBatch(redis);
  expect(await batch.mget(['a'])).toEqual(['1']);
  expect(await batch.mget(['b'])).toEqual(['2']);
  expect(redis.calls).toEqual([['a'], ['b']]);
});

test('an MGET that fails fails every read in it, and the next tick reads again', async () => {
  const failing = fakeRedis({}, true);
  const batch = new ReadBatch(failing);
  const results = await Promise.allSettled([batch.mget(['a']), batch.mget(['b', 'c'])]);
  expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
  expect(failing.calls).toEqual([['a', 'b', 'c']]);
  await expect(batch.mget(['d'])).rejects.toThrow('connection lost');
  expect(failing.calls).toHaveLength(2);
});

test('a connection that throws instead of rejecting fails the reads, not the process', async () => {
  const batch = new ReadBatch({ mget: () => { throw new Error('closed'); } });
  await expect(batch.mget(['a'])).rejects.toThrow('closed');
});

test('no keys: no command', async () => {
  const redis = fakeRedis({});
  const batch = new ReadBatch(redis);
  expect(await batch.mget([])).toEqual([]);
  await new Promise((resolve) => setImmediate(resolve));
  expect(redis.calls).toEqual([]);
});
