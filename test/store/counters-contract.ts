/** Hourly event counters: behaviour every Store must have (run on memory and a real Redis). */
import { HOUR_MS, hourOf } from '../../src/store/counter-records.js';
import type { Store } from '../../src/store/store.js';
import { sleep } from './store-contract.js';

export function describeCountersContract<S extends Store>(name: string, makeStore: () => Promise<S>, cleanup?: (s: S) => Promise<void>): void {
  describe(`Event counters contract: ${name}`, () => {
    let store: S;
    beforeEach(async () => { store = await makeStore(); });
    afterEach(async () => { await cleanup?.(store); await store.close(); });

    test('adds up per hour and counter; every hour of a range is answered, oldest first', async () => {
      const now = Date.now();
      const h = hourOf(now);
      const keep = now + 60_000;
      await store.counters.add(h, { 'token.issued': 2, 'login.failed': 1 }, keep);
      await Promise.all([store.counters.add(h, { 'token.issued': 3 }, keep), store.counters.add(h, { 'token.issued': 5 }, keep)]);
      await store.counters.add(h - 2 * HOUR_MS, { 'token.issued': 7 }, keep);
      expect(await store.counters.hours(h - 3 * HOUR_MS, h)).toEqual([
        { hour: h - 3 * HOUR_MS, counts: {} },
        { hour: h - 2 * HOUR_MS, counts: { 'token.issued': 7 } },
        { hour: h - HOUR_MS, counts: {} },
        { hour: h, counts: { 'token.issued': 10, 'login.failed': 1 } },
      ]);
      expect(await store.counters.hours(h + HOUR_MS, h)).toEqual([]);
    });

    test('an hour is gone once kept long enough; a later add with a shorter keep does not cut it short', async () => {
      const h = hourOf(Date.now()) - 10 * HOUR_MS;
      await store.counters.add(h, { a: 1 }, Date.now() + 300);
      await store.counters.add(h + HOUR_MS, { a: 1 }, Date.now() + 60_000);
      await store.counters.add(h + HOUR_MS, { a: 1 }, Date.now() + 100);
      await sleep(450);
      expect(await store.counters.hours(h, h + HOUR_MS)).toEqual([{ hour: h, counts: {} }, { hour: h + HOUR_MS, counts: { a: 2 } }]);
    });
  });
}
