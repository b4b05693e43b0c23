/**
 * The Redis store's in-process caches (src/store/redis/record-cache.ts) of
 * clients and of users and roles, on one Redis and on a Cluster: two stores
 * on one prefix stand for two instances. A change through one is seen by the
 * other at once; a change written behind Tessera's back (no announcement) is
 * not, which shows the record came from the cache; without its subscription
 * a store reads Redis.
 */
import type { RedisClient } from '../../src/store/redis/connection.js';
import type { RecordCache } from '../../src/store/redis/record-cache.js';
import type { RedisStore } from '../../src/store/redis-store.js';
import type { RoleRecord } from '../../src/store/store.js';
import { sampleClient, sleep } from './store-contract.js';
import { sampleUser } from './users-contract.js';

export interface CacheFixture {
  /** Two stores on one prefix (two instances), connection name `name`. */
  open(name: string): Promise<[RedisStore, RedisStore]>;
  /** A plain connection to the same Redis, for writes behind the stores' backs. */
  raw(): RedisClient;
  /** Closes the connections named `name` (a subscriber: `<connection name>-client-changes` or `-user-changes`). */
  killSubscriber(name: string): Promise<void>;
  cleanup(store: RedisStore): Promise<void>;
}

async function until(check: () => boolean | Promise<boolean>, ms = 3_000): Promise<void> {
  const start = Date.now();
  while (!(await check())) {
    if (Date.now() - start > ms) throw new Error('timed out');
    await sleep(10);
  }
}

/**
 * Reads through `read` until `cache` keeps `key`. The announcement of a
 * write just made through the other store may reach this one after its
 * first read, which then rightly does not keep what it read (the read may
 * predate the change); a test that then writes behind the store's back must
 * start from a kept copy.
 */
async function keptBy(cache: RecordCache, key: string, read: () => Promise<unknown>): Promise<void> {
  await until(async () => {
    await read();
    return cache.peek(key) !== undefined;
  }, 1_000);
}

export function describeRecordCaches(name: string, fixture: () => CacheFixture): void {
  describeClientCache(name, fixture);
  describeUserCache(name, fixture);
}

function describeClientCache(name: string, fixture: () => CacheFixture): void {
  describe(`client cache: ${name}`, () => {
    let a: RedisStore;
    let b: RedisStore;
    let f: CacheFixture;
    const connection = `tessera-cache-test-${Math.random().toString(36).slice(2, 8)}`;

    beforeEach(async () => {
      f = fixture();
      [a, b] = await f.open(connection);
      await until(() => a.clients.cache.live && b.clients.cache.live);
    });
    afterEach(async () => {
      await f.cleanup(a);
      await Promise.all([a.close(), b.close()]);
    });

    const behindTheBack = async (id: string, scopes: string[]) => {
      const key = a.keys.client(id);
      const record = JSON.parse((await f.raw().get(key))!);
      await f.raw().set(key, JSON.stringify({ ...record, scopes }));
    };

    test('a read is served from the cache until the record changes through a store', async () => {
      const id = `cached-${connection}`;
      await a.clients.create(sampleClient(id, { scopes: ['a', 'b'] }));
      expect((await b.clients.get(id))?.scopes).toEqual(['a', 'b']);
      await keptBy(b.clients.cache, id, () => b.clients.get(id));
      await behindTheBack(id, ['a']);
      expect((await b.clients.get(id))?.scopes).toEqual(['a', 'b']);
      const current = (await a.clients.get(id))!;
      await a.clients.replace({ ...current, scopes: ['c'] });
      await until(async () => (await b.clients.get(id))?.scopes[0] === 'c', 1_000);
    });

    test('a delete and a secret swap reach the other store within a second; unknown ids are not cached', async () => {
      const id = `deleted-${connection}`;
      expect(await b.clients.get(id)).toBeNull();
      await a.clients.create(sampleClient(id, { secret_hash: 'h1' }));
      expect((await b.clients.get(id))?.secret_hash).toBe('h1');
      expect(await a.clients.replaceSecretHash(id, 'h1', 'h2')).toBe(true);
      await until(async () => (await b.clients.get(id))?.secret_hash === 'h2', 1_000);
      expect(await a.clients.delete(id)).toBe(true);
      await until(async () => (await b.clients.get(id)) === null, 1_000);
    });

    test('the writing store never serves its own old copy', async () => {
      const id = `own-${connection}`;
      await a.clients.create(sampleClient(id, { scopes: ['x'] }));
      expect((await a.clients.get(id))?.scopes).toEqual(['x']);
      await a.clients.replace({ ...(await a.clients.get(id))!, scopes: ['y'] });
      expect((await a.clients.get(id))?.scopes).toEqual(['y']);
    });

    test('without its subscription a store does not use the cache, and uses it again once resubscribed', async () => {
      const id = `outage-${connection}`;
      await a.clients.create(sampleClient(id, { scopes: ['a', 'b'] }));
      expect((await b.clients.get(id))?.scopes).toEqual(['a', 'b']);
      const lost = b.clients.cache.outages;
      await f.killSubscriber(`${connection}-client-changes`);
      await until(() => b.clients.cache.outages > lost);
      await behindTheBack(id, ['a']);
      expect((await b.clients.get(id))?.scopes).toEqual(['a']);
      await until(() => b.clients.cache.live);
      expect((await b.clients.get(id))?.scopes).toEqual(['a']);
      await behindTheBack(id, ['b']);
      expect((await b.clients.get(id))?.scopes).toEqual(['a']);
    });
  });
}

const role = (name: string, scopes: string[]): RoleRecord => ({ name, scopes, created_at: '2024-01-01T00:00:00.000Z', updated_at: '2024-01-01T00:00:00.000Z' });

function describeUserCache(name: string, fixture: () => CacheFixture): void {
  describe(`user and role cache: ${name}`, () => {
    let a: RedisStore;
    let b: RedisStore;
    let f: CacheFixture;
    const connection = `tessera-cache-test-${Math.random().toString(36).slice(2, 8)}`;

    beforeEach(async () => {
      f = fixture();
      [a, b] = await f.open(connection);
      await until(() => a.users.cache.live && b.users.cache.live);
    });
    afterEach(async () => {
      await f.cleanup(a);
      await Promise.all([a.close(), b.close()]);
    });

    /** Rewrites the user's record in Redis without an announcement. */
    const userBehindTheBack = async (id: string, change: Record<string, unknown>) => {
      const key = a.keys.user(id);
      const record = JSON.parse((await f.raw().get(key))!);
      await f.raw().set(key, JSON.stringify({ ...record, ...change }));
    };
    const roleBehindTheBack = async (name: string, scopes: string[]) => {
      await f.raw().hset(a.keys.roles, name, JSON.stringify(role(name, scopes)));
    };
    const newUser = async (tag: string) => {
      const id = `usr_${tag}_${connection}`;
      expect(await a.users.create(sampleUser(id, `${tag}-${connection}`))).toBe('created');
      return id;
    };

    test('a user is served from the cache until it changes through a store: disabled, tokens revoked, roles changed', async () => {
      const id = await newUser('cached');
      expect((await b.users.get(id))?.disabled).toBe(false);
      await keptBy(b.users.cache, `u:${id}`, () => b.users.get(id));
      await userBehindTheBack(id, { roles: ['other'] });
      expect((await b.users.get(id))?.roles).toEqual(['reader']);
      const current = (await a.users.get(id))!;
      expect(await a.users.replace({ ...current, disabled: true })).toBe('replaced');
      await until(async () => (await b.users.get(id))?.disabled === true, 1_000);
      expect(await a.users.replace({ ...current, disabled: true, tokens_revoked_at: '2025-01-01T00:00:00.000Z' })).toBe('replaced');
      await until(async () => (await b.users.get(id))?.tokens_revoked_at === '2025-01-01T00:00:00.000Z', 1_000);
      expect(await a.users.replace({ ...current, roles: ['writer'] })).toBe('replaced');
      await until(async () => (await b.users.get(id))?.roles[0] === 'writer', 1_000);
    });

    test('a delete and a password swap reach the other store within a second; unknown ids are not cached', async () => {
      const id = `usr_unknown_${connection}`;
      expect(await b.users.get(id)).toBeNull();
      await a.users.create(sampleUser(id, `unknown-${connection}`, { password_hash: 'h1' }));
      expect((await b.users.get(id))?.password_hash).toBe('h1');
      expect(await a.users.replacePasswordHash(id, 'h1', 'h2')).toBe(true);
      await until(async () => (await b.users.get(id))?.password_hash === 'h2', 1_000);
      expect(await a.users.delete(id)).toBe(true);
      await until(async () => (await b.users.get(id)) === null, 1_000);
      expect(await b.users.getByUsername(`unknown-${connection}`)).toBeNull();
    });

    test('the writing store never serves its own old copy of a user or a role', async () => {
      const id = await newUser('own');
      expect((await a.users.get(id))?.disabled).toBe(false);
      await a.users.replace({ ...(await a.users.get(id))!, disabled: true });
      expect((await a.users.get(id))?.disabled).toBe(true);
      const roleName = `own-${connection}`;
      await a.roles.put(role(roleName, ['x']));
      expect((await a.roles.getMany([roleName])).map((r) => r.scopes)).toEqual([['x']]);
      await a.roles.put(role(roleName, ['y']));
      expect((await a.roles.getMany([roleName])).map((r) => r.scopes)).toEqual([['y']]);
      expect(await a.roles.delete(roleName)).toBe(true);
      expect(await a.roles.getMany([roleName])).toEqual([]);
    });

    test('roles are served from the cache (one or many, in the order asked) until one changes or goes through a store', async () => {
      const [r1, r2, gone] = ['r1', 'r2', 'gone'].map((r) => `${r}-${connection}`) as [string, string, string];
      await a.roles.put(role(r1, ['a']));
      await a.roles.put(role(r2, ['b']));
      expect((await b.roles.getMany([r2, gone, r1])).map((r) => r.name)).toEqual([r2, r1]);
      await keptBy(b.roles.cache, `r:${r1}`, () => b.roles.getMany([r2, gone, r1]));
      await keptBy(b.roles.cache, `r:${r2}`, () => b.roles.getMany([r2, gone, r1]));
      await roleBehindTheBack(r1, ['a', 'extra']);
      await roleBehindTheBack(gone, ['c']);
      // r1 and r2 from the cache; `gone` was unknown, so it was not cached and is read now.
      expect((await b.roles.getMany([r1, r2, gone])).map((r) => r.scopes)).toEqual([['a'], ['b'], ['c']]);
      expect((await b.roles.get(r1))?.scopes).toEqual(['a']);
      await a.roles.put(role(r1, ['d']));
      await until(async () => (await b.roles.getMany([r1]))[0]?.scopes[0] === 'd', 1_000);
      expect(await a.roles.delete(r2)).toBe(true);
      await until(async () => (await b.roles.getMany([r2])).length === 0, 1_000);
      await until(async () => (await b.roles.get(r2)) === null, 1_000);
    });

    test('users.cached and roles.cachedMany answer what the cache holds, with no promise and a copy each; undefined for anything it does not hold', async () => {
      const id = await newUser('sync');
      const [r1, r2, gone] = ['r1', 'r2', 'gone'].map((r) => `sync-${r}-${connection}`) as [string, string, string];
      await a.roles.put(role(r1, ['a']));
      await a.roles.put(role(r2, ['b']));
      expect(b.users.cached(id)).toBeUndefined();
      expect(b.roles.cachedMany([r1])).toBeUndefined();
      await keptBy(b.users.cache, `u:${id}`, () => b.users.get(id));
      await keptBy(b.roles.cache, `r:${r1}`, () => b.roles.getMany([r1]));
      await keptBy(b.roles.cache, `r:${r2}`, () => b.roles.getMany([r2]));
      await userBehindTheBack(id, { disabled: true });
      await roleBehindTheBack(r1, ['a', 'extra']);
      // From the cache: the changes behind its back are not seen.
      expect(b.users.cached(id)).toMatchObject({ id, disabled: false, roles: ['reader'] });
      b.users.cached(id)!.roles.push('admin');
      expect(b.users.cached(id)!.roles).toEqual(['reader']);
      expect(b.roles.cachedMany([r2, r1])!.map((r) => [r.name, r.scopes])).toEqual([[r2, ['b']], [r1, ['a']]]);
      expect(b.roles.cachedMany([])).toEqual([]);
      // A role that does not exist is never held, so a list naming one is left to getMany().
      expect(b.roles.cachedMany([r1, gone])).toBeUndefined();
      expect(b.users.cached(`usr_none_${connection}`)).toBeUndefined();
      // A change through a store drops the copy; so does losing the subscription.
      expect(await a.users.delete(id)).toBe(true);
      await until(() => b.users.cached(id) === undefined, 1_000);
      const lost = b.users.cache.outages;
      await f.killSubscriber(`${connection}-user-changes`);
      await until(() => b.users.cache.outages > lost);
      expect(b.roles.cachedMany([r2])).toBeUndefined();
    });

    test('without its subscription a store reads users and roles from Redis, and caches them again once resubscribed', async () => {
      const id = await newUser('outage');
      const roleName = `outage-${connection}`;
      await a.roles.put(role(roleName, ['a']));
      expect((await b.users.get(id))?.disabled).toBe(false);
      expect((await b.roles.getMany([roleName]))[0]?.scopes).toEqual(['a']);
      const lost = b.users.cache.outages;
      await f.killSubscriber(`${connection}-user-changes`);
      await until(() => b.users.cache.outages > lost);
      await userBehindTheBack(id, { disabled: true });
      await roleBehindTheBack(roleName, ['b']);
      expect((await b.users.get(id))?.disabled).toBe(true);
      expect((await b.roles.getMany([roleName]))[0]?.scopes).toEqual(['b']);
      await until(() => b.users.cache.live);
      expect((await b.users.get(id))?.disabled).toBe(true);
      expect((await b.roles.getMany([roleName]))[0]?.scopes).toEqual(['b']);
      await userBehindTheBack(id, { disabled: false });
      await roleBehindTheBack(roleName, ['c']);
      expect((await b.users.get(id))?.disabled).toBe(true);
      expect((await b.roles.getMany([roleName]))[0]?.scopes).toEqual(['b']);
    });
  });
}

/** `CLIENT KILL ID` for every connection named `name` on `nodes`. */
export async function killByName(nodes: readonly RedisClient[], name: string): Promise<void> {
  for (const node of nodes) {
    const list = (await node.client('LIST')) as string;
    for (const line of list.split('\n')) {
      const id = /(?:^| )id=(\d+)/.exec(line)?.[1];
      if (id && line.includes(` name=${name} `)) await node.client('KILL', 'ID', id).catch(() => 0);
    }
  }
}
