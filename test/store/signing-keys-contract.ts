/** Signing-key records (TESSERA_KEYS_STORAGE=store): behaviour every Store must have (memory, a real Redis, a Cluster). */
import type { Store } from '../../src/store/store.js';
import { sleep } from './store-contract.js';

export function describeSigningKeysContract<S extends Store>(name: string, makeStore: () => Promise<S>, cleanup?: (s: S) => Promise<void>): void {
  describe(`Signing keys contract: ${name}`, () => {
    let store: S;
    beforeEach(async () => { store = await makeStore(); });
    afterEach(async () => { await cleanup?.(store); await store.close(); });

    test('records are written and removed only by the lock holder, and every change moves the version', async () => {
      const keys = store.signingKeys;
      expect(await keys.load()).toEqual({ version: '0', records: new Map() });
      await expect(keys.put('k1', 'sealed-1', 'nobody')).resolves.toBe(false);
      await expect(keys.acquireLock('a', Date.now() + 60_000)).resolves.toBe(true);
      await expect(keys.acquireLock('b', Date.now() + 60_000)).resolves.toBe(false);
      await expect(keys.put('k1', 'sealed-1', 'b')).resolves.toBe(false);
      await expect(keys.put('k1', 'sealed-1', 'a')).resolves.toBe(true);
      await expect(keys.put('k2', 'sealed-2', 'a')).resolves.toBe(true);
      const v2 = await keys.version();
      expect(await keys.load()).toEqual({ version: v2, records: new Map([['k1', 'sealed-1'], ['k2', 'sealed-2']]) });
      await expect(keys.remove('k1', 'b')).resolves.toBe(false);
      await expect(keys.remove('k1', 'a')).resolves.toBe(true);
      expect(await keys.version()).not.toBe(v2);
      expect((await keys.load()).records).toEqual(new Map([['k2', 'sealed-2']]));
      await keys.releaseLock('b');
      await expect(keys.acquireLock('b', Date.now() + 60_000)).resolves.toBe(false);
      await keys.releaseLock('a');
      await expect(keys.acquireLock('b', Date.now() + 60_000)).resolves.toBe(true);
      await expect(keys.put('k3', 'sealed-3', 'a')).resolves.toBe(false);
    });

    test('a lock runs out at its expiry, and then fences its old holder out', async () => {
      const keys = store.signingKeys;
      await expect(keys.acquireLock('a', Date.now() + 150)).resolves.toBe(true);
      await sleep(300);
      await expect(keys.acquireLock('b', Date.now() + 60_000)).resolves.toBe(true);
      await expect(keys.put('k1', 'sealed', 'a')).resolves.toBe(false);
    });

    test('concurrent lockers: exactly one gets the lock', async () => {
      const until = Date.now() + 60_000;
      const got = await Promise.all(Array.from({ length: 10 }, (_, i) => store.signingKeys.acquireLock(`h${i}`, until)));
      expect(got.filter(Boolean)).toHaveLength(1);
    });

    test('the salt is set once: later candidates get the first one', async () => {
      await expect(store.signingKeys.salt('first')).resolves.toBe('first');
      await expect(store.signingKeys.salt('second')).resolves.toBe('first');
    });

    test('an announcement reaches a watcher; a stopped watcher hears nothing more', async () => {
      let heard = 0;
      const stop = await store.signingKeys.watch(() => { heard++; });
      // A watcher may be called once when its subscription is confirmed: count from there.
      await sleep(300);
      const before = heard;
      await store.signingKeys.announce();
      for (let i = 0; i < 50 && heard === before; i++) await sleep(20);
      expect(heard).toBe(before + 1);
      await stop();
      await store.signingKeys.announce();
      await sleep(200);
      expect(heard).toBe(before + 1);
    });
  });
}
