/** The store metrics wrapper: every repository call is timed under its own operation, the ones answered from the process's cache with no promise too. */
import { Counter, Registry } from 'prom-client';
import { BoundHistogram } from '../../src/core/metrics/bound-histogram.js';
import { instrumentStore } from '../../src/store/instrumented-store.js';
import { MemoryStore } from '../../src/store/memory-store.js';
import { MemoryUserRepository } from '../../src/store/memory/users.js';
import type { Store, UserRecord } from '../../src/store/store.js';
import { sampleUser } from './users-contract.js';

/** A user repository with a cache of its own, as the Redis store's is (UserRepository.cached). */
class CachingUsers extends MemoryUserRepository {
  readonly held = new Map<string, UserRecord>();
  cached(id: string): UserRecord | undefined {
    return this.held.get(id);
  }
}

/** `prepare`: changes to the raw store made before it is wrapped (the wrapper takes each method once). */
function instrumented(prepare?: (raw: MemoryStore) => void) {
  const registry = new Registry();
  const duration = new BoundHistogram({ name: 'op_seconds', help: 'h', labelNames: ['operation'], buckets: [0.001, 0.01, 0.1, 1], registers: [registry] });
  const errors = new Counter({ name: 'op_errors', help: 'h', labelNames: ['operation'], registers: [registry] });
  const raw = new MemoryStore();
  const users = new CachingUsers(() => undefined);
  (raw as { users: Store['users'] }).users = users;
  prepare?.(raw);
  const store = instrumentStore(raw, { duration, errors });
  /** The value of `series` for `operation` in the registry's exposition (0 when absent). */
  const reading = (series: string) => async (operation: string): Promise<number> => {
    const line = (await registry.metrics()).split('\n').find((l) => l.startsWith(`${series}{operation="${operation}"} `));
    return line === undefined ? 0 : Number(line.split(' ')[1]);
  };
  const count = reading('op_seconds_count');
  const failed = reading('op_errors');
  return { raw, users, store, count, failed };
}

test('a cached read (users.cached) answers its record itself, not a promise, and is counted under its own operation', async () => {
  const { users, store, count, raw } = instrumented();
  const user = sampleUser('usr_1', 'one');
  users.held.set(user.id, user);
  expect(store.users.cached?.('usr_1')).toBe(user);
  expect(store.users.cached?.('usr_2')).toBeUndefined();
  expect(await count('users.cached')).toBe(2);
  expect(await count('users.get')).toBe(0);
  await raw.close();
});

test('a call that returns a promise is counted once it settles', async () => {
  const { store, count, raw } = instrumented();
  const pending = store.users.get('usr_1');
  expect(await count('users.get')).toBe(0);
  expect(await pending).toBeNull();
  expect(await count('users.get')).toBe(1);
  await raw.close();
});

test('a call that answers through its callback (audit.appendLater) is counted when it calls back, and counted as failed when it calls back with an error', async () => {
  const { store, count, failed, raw } = instrumented();
  const entry = {
    time: new Date().toISOString(), type: 't', actor: null, subject: null, token_id: null, client_id: null, ip: null, user_agent: null, request_id: null, route: null, detail: {},
  };
  const appendLater = () => new Promise<unknown>((resolve) => store.audit.appendLater(entry, Date.now(), 60_000, resolve));
  const first = appendLater();
  expect(await count('audit.appendLater')).toBe(0);
  expect(await first).toBeNull();
  expect(await count('audit.appendLater')).toBe(1);
  expect(await failed('audit.appendLater')).toBe(0);

  const refusal = new Error('refused');
  raw.audit.append = async () => { throw refusal; };
  expect(await appendLater()).toBe(refusal);
  expect(await count('audit.appendLater')).toBe(2);
  expect(await failed('audit.appendLater')).toBe(1);
  await raw.close();
});

test('a callback method that throws before sending anything is counted as failed and the error reaches the caller', async () => {
  const refusal = new TypeError('Converting circular structure to JSON');
  const { store, count, failed, raw } = instrumented((r) => { r.audit.appendLater = () => { throw refusal; }; });
  const entry = {
    time: new Date().toISOString(), type: 't', actor: null, subject: null, token_id: null, client_id: null, ip: null, user_agent: null, request_id: null, route: null, detail: {},
  };
  const called: unknown[] = [];
  expect(() => store.audit.appendLater(entry, Date.now(), 60_000, (err) => called.push(err))).toThrow(refusal);
  expect(called).toEqual([]);
  expect(await count('audit.appendLater')).toBe(1);
  expect(await failed('audit.appendLater')).toBe(1);
  await raw.close();
});
