/** Background jobs' leases and marks: behaviour every Store must have (memory and a real Redis). */
import type { Store } from '../../src/store/store.js';
import { sleep } from './store-contract.js';

export function describeJobsContract<S extends Store>(name: string, makeStore: () => Promise<S>, cleanup?: (s: S) => Promise<void>): void {
  describe(`Job state contract: ${name}`, () => {
    let store: S;
    beforeEach(async () => { store = await makeStore(); });
    afterEach(async () => { await cleanup?.(store); await store.close(); });

    test('a lease is held by one holder until it expires or is released; its holder may extend it', async () => {
      const now = Date.now();
      await expect(store.jobs.acquireLease('hygiene', 'a', now + 200)).resolves.toBe(true);
      await expect(store.jobs.acquireLease('hygiene', 'b', now + 60_000)).resolves.toBe(false);
      await expect(store.jobs.acquireLease('hygiene', 'a', now + 300)).resolves.toBe(true);
      await expect(store.jobs.acquireLease('other', 'b', now + 60_000)).resolves.toBe(true);
      await store.jobs.releaseLease('hygiene', 'b');
      await expect(store.jobs.acquireLease('hygiene', 'b', now + 60_000)).resolves.toBe(false);
      await sleep(400);
      await expect(store.jobs.acquireLease('hygiene', 'b', Date.now() + 60_000)).resolves.toBe(true);
      await store.jobs.releaseLease('hygiene', 'b');
      await expect(store.jobs.acquireLease('hygiene', 'a', Date.now() + 60_000)).resolves.toBe(true);
    });

    test('concurrent acquirers: exactly one gets the lease', async () => {
      const until = Date.now() + 60_000;
      const got = await Promise.all(Array.from({ length: 10 }, (_, i) => store.jobs.acquireLease('race', `h${i}`, until)));
      expect(got.filter(Boolean)).toHaveLength(1);
    });

    test('markOnce sets a mark once and answers the first value after; marks expire; setMark overwrites', async () => {
      const now = Date.now();
      await expect(store.jobs.markOnce('warned:tok_a:604800', '1000', now + 200)).resolves.toBeNull();
      await expect(store.jobs.markOnce('warned:tok_a:604800', '2000', now + 60_000)).resolves.toBe('1000');
      await expect(store.jobs.getMark('warned:tok_a:604800')).resolves.toBe('1000');
      await expect(store.jobs.getMark('warned:tok_b:604800')).resolves.toBeNull();
      const once = await Promise.all(Array.from({ length: 10 }, (_, i) => store.jobs.markOnce('race', String(i), now + 60_000)));
      expect(once.filter((v) => v === null)).toHaveLength(1);
      await store.jobs.setMark('cursor', 'tok_b', now + 60_000);
      await store.jobs.setMark('cursor', 'tok_c', now + 60_000);
      await expect(store.jobs.getMark('cursor')).resolves.toBe('tok_c');
      await sleep(300);
      await expect(store.jobs.getMark('warned:tok_a:604800')).resolves.toBeNull();
      await expect(store.jobs.markOnce('warned:tok_a:604800', '3000', Date.now() + 60_000)).resolves.toBeNull();
    });
  });
}
