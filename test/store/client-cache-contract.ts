/**
 * The Redis store's in-process client cache (src/store/redis/client-cache.ts),
 * on one Redis and on a Cluster: two stores on one prefix stand for two
 * instances. A change through one is seen by the other at once; a change
 * written behind Tessera's back (no announcement) is not, which shows the
 * record came from the cache; without its subscription a store reads Redis.
 */
import type { RedisClient } from '../../src/store/redis/connection.js';
import type { RedisStore } from '../../src/store/redis-store.js';
import { sampleClient, sleep } from './store-contract.js';

export interface CacheFixture {
  /** Two stores on one prefix (two instances), connection name `name`. */
  open(name: string): Promise<[RedisStore, RedisStore]>;
  /** A plain connection to the same Redis, for writes behind the stores' backs. */
  raw(): RedisClient;
  /** Closes the connections of the subscriber named `<name>-client-changes`. */
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

export function describeClientCache(name: string, fixture: () => CacheFixture): void {
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
      await f.killSubscriber(connection);
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
