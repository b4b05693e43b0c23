/**
 * Which connection a security-critical write goes through: the durable one,
 * followed by a WAIT, while a replica must confirm it; the main one, with
 * no WAIT, while none must (none online, or WAIT missing).
 */
import type { RedisClient } from '../../src/store/redis/connection.js';
import { DurableWrites } from '../../src/store/redis/durable-writes.js';

const replication = (online: number) =>
  ['# Replication', 'role:master', `connected_slaves:${online}`,
    ...Array.from({ length: online }, (_, i) => `slave${i}:ip=10.0.0.${i + 2},port=6379,state=online,offset=1,lag=0`)].join('\r\n');

/** A connection that records the WAITs it is sent and answers INFO with `online` replicas. */
function fakeConnection(name: string, state: { online: number; acked?: number; waitError?: Error }) {
  const waits: number[] = [];
  const client = {
    name,
    on: () => client,
    info: async () => replication(state.online),
    wait: async (n: number) => {
      if (state.waitError) throw state.waitError;
      waits.push(n);
      return state.acked ?? n;
    },
  };
  return { client: client as unknown as RedisClient, waits };
}

function setUp(state: { online: number; acked?: number; waitError?: Error }, replicas = 1) {
  const durable = fakeConnection('durable', state);
  const main = fakeConnection('main', state);
  const warnings: string[] = [];
  const writes = new DurableWrites(durable.client, { replicas, timeoutMs: 100 }, (m) => warnings.push(m), main.client);
  const used: string[] = [];
  const write = () => writes.write('k', async (c) => {
    used.push((c as unknown as { name: string }).name);
    return 'OK';
  });
  return { writes, write, used, durable, main, warnings };
}

test('with a replica online, the write goes through the durable connection and a WAIT follows it', async () => {
  const t = setUp({ online: 1 });
  try {
    await t.writes.refresh();
    await expect(t.write()).resolves.toBe('OK');
    expect(t.used).toEqual(['durable']);
    expect(t.durable.waits).toEqual([1]);
    expect(t.main.waits).toEqual([]);
  } finally {
    t.writes.close();
  }
});

test('with no replica online, the write goes through the main connection and nothing waits', async () => {
  const state = { online: 0 };
  const t = setUp(state);
  try {
    await t.writes.refresh();
    await t.write();
    expect(t.used).toEqual(['main']);
    expect(t.durable.waits).toEqual([]);
    expect(t.main.waits).toEqual([]);
    // A replica comes online: the next write is confirmed again, on the durable connection.
    state.online = 1;
    await t.writes.refresh();
    await t.write();
    expect(t.used).toEqual(['main', 'durable']);
    expect(t.durable.waits).toEqual([1]);
  } finally {
    t.writes.close();
  }
});

test('a write no replica confirmed in time is refused, and the next ones go through the main connection once none is online', async () => {
  const state = { online: 1, acked: 0 };
  const t = setUp(state);
  try {
    await t.writes.refresh();
    state.online = 0;
    await expect(t.write()).rejects.toThrow(/not confirmed by a replica/);
    expect(t.used).toEqual(['durable']);
    await t.writes.refresh();
    await expect(t.write()).resolves.toBe('OK');
    expect(t.used).toEqual(['durable', 'main']);
  } finally {
    t.writes.close();
  }
});

test('once WAIT is known to be missing, writes go through the main connection', async () => {
  const t = setUp({ online: 1, waitError: new Error("ERR unknown command 'WAIT'") });
  try {
    await t.writes.refresh();
    await t.write();
    expect(t.warnings).toHaveLength(1);
    await t.write();
    expect(t.used).toEqual(['durable', 'main']);
  } finally {
    t.writes.close();
  }
});

test('a policy that never waits writes through the one connection it is given', async () => {
  const durable = fakeConnection('only', { online: 1 });
  const writes = new DurableWrites(durable.client, { replicas: 0, timeoutMs: 100 });
  let used: unknown = null;
  await writes.write('k', async (c) => { used = c; });
  expect(used).toBe(durable.client);
  expect(durable.waits).toEqual([]);
});
