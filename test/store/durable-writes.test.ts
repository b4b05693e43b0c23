/**
 * A security-critical write goes through the durable connection, followed
 * by a WAIT while a replica must confirm it; with none online (or WAIT
 * missing, or a policy that never waits) nothing waits.
 */
import type { RedisClient } from '../../src/store/redis/connection.js';
import { DurableWrites } from '../../src/store/redis/durable-writes.js';

const replication = (online: number) =>
  ['# Replication', 'role:master', `connected_slaves:${online}`,
    ...Array.from({ length: online }, (_, i) => `slave${i}:ip=10.0.0.${i + 2},port=6379,state=online,offset=1,lag=0`)].join('\r\n');

/** A connection that records the WAITs it is sent and answers INFO with `online` replicas. */
function fakeConnection(state: { online: number; acked?: number; waitError?: Error }) {
  const waits: number[] = [];
  const client = {
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
  const durable = fakeConnection(state);
  const warnings: string[] = [];
  const writes = new DurableWrites(durable.client, { replicas, timeoutMs: 100 }, (m) => warnings.push(m));
  const used: unknown[] = [];
  const write = () => writes.write('k', async (c) => {
    used.push(c);
    return 'OK';
  });
  return { writes, write, used, durable, warnings };
}

test('with a replica online, the write goes through the durable connection and a WAIT follows it', async () => {
  const t = setUp({ online: 1 });
  try {
    await t.writes.refresh();
    await expect(t.write()).resolves.toBe('OK');
    expect(t.used).toEqual([t.durable.client]);
    expect(t.durable.waits).toEqual([1]);
  } finally {
    t.writes.close();
  }
});

test('with no replica online, nothing waits; once one is, the next write waits for it', async () => {
  const state = { online: 0 };
  const t = setUp(state);
  try {
    await t.writes.refresh();
    await t.write();
    expect(t.used).toEqual([t.durable.client]);
    expect(t.durable.waits).toEqual([]);
    state.online = 1;
    await t.writes.refresh();
    await t.write();
    expect(t.durable.waits).toEqual([1]);
  } finally {
    t.writes.close();
  }
});

test('a write no replica confirmed in time is refused, and the next ones do not wait once none is online', async () => {
  const state = { online: 1, acked: 0 };
  const t = setUp(state);
  try {
    await t.writes.refresh();
    state.online = 0;
    await expect(t.write()).rejects.toThrow(/not confirmed by a replica/);
    await t.writes.refresh();
    await expect(t.write()).resolves.toBe('OK');
    // The one WAIT was for the refused write.
    expect(t.durable.waits).toEqual([1]);
  } finally {
    t.writes.close();
  }
});

test('once WAIT is known to be missing, it is said once and not asked again', async () => {
  const t = setUp({ online: 1, waitError: new Error("ERR unknown command 'WAIT'") });
  try {
    await t.writes.refresh();
    await t.write();
    await t.write();
    expect(t.warnings).toHaveLength(1);
    expect(t.used).toHaveLength(2);
  } finally {
    t.writes.close();
  }
});

test('a policy that never waits writes through the one connection it is given', async () => {
  const durable = fakeConnection({ online: 1 });
  const writes = new DurableWrites(durable.client, { replicas: 0, timeoutMs: 100 });
  let used: unknown = null;
  await writes.write('k', async (c) => { used = c; });
  expect(used).toBe(durable.client);
  expect(durable.waits).toEqual([]);
});
