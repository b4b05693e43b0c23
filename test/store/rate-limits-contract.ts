/** Rate-limit counters: behaviour every Store must have (memory and a real Redis). */
import type { Store } from '../../src/store/store.js';
import { sleep } from './store-contract.js';

export function describeRateLimitsContract<S extends Store>(name: string, makeStore: () => Promise<S>, cleanup?: (s: S) => Promise<void>): void {
  describe(`Rate limits contract: ${name}`, () => {
    let store: S;
    beforeEach(async () => { store = await makeStore(); });
    afterEach(async () => { await cleanup?.(store); await store.close(); });

    test('N requests in a burst pass, the N+1th is refused with how long to wait', async () => {
      const now = Date.now();
      const rule = { requests: 3, perSeconds: 60 };
      const seen = [];
      for (let i = 0; i < 4; i++) seen.push(await store.rateLimits.take('k', rule, now));
      expect(seen.map((o) => [o.allowed, o.remaining])).toEqual([[true, 2], [true, 1], [true, 0], [false, 0]]);
      expect(seen[2]!.resetSeconds).toBe(60);
      expect(seen[3]).toEqual({ allowed: false, remaining: 0, resetSeconds: 60, retryAfterSeconds: 20 });
    });

    test('peek tells what take would answer and changes nothing', async () => {
      const rule = { requests: 1, perSeconds: 60 };
      const t = Date.now();
      expect((await store.rateLimits.peek('p', rule, t)).allowed).toBe(true);
      expect((await store.rateLimits.peek('p', rule, t)).allowed).toBe(true);
      await store.rateLimits.take('p', rule, t);
      expect(await store.rateLimits.peek('p', rule, t)).toEqual({ allowed: false, remaining: 0, resetSeconds: 60, retryAfterSeconds: 60 });
    });

    test('peek with a take: the other counter is taken from only while the peeked one is within its allowance', async () => {
      const guard = { requests: 2, perSeconds: 60 };
      const rule = { requests: 3, perSeconds: 60 };
      const t = Date.now();
      const first = await store.rateLimits.peek('guard', guard, t, { key: 'taken', rule });
      expect(first).toEqual({ peeked: await store.rateLimits.peek('guard', guard, t), taken: { allowed: true, remaining: 2, resetSeconds: 20, retryAfterSeconds: 0 } });
      // The peek itself counts nothing.
      expect(await store.rateLimits.peek('guard', guard, t)).toEqual({ allowed: true, remaining: 1, resetSeconds: 30, retryAfterSeconds: 0 });
      await store.rateLimits.take('guard', guard, t);
      await store.rateLimits.take('guard', guard, t);
      const refused = await store.rateLimits.peek('guard', guard, t, { key: 'taken', rule });
      expect(refused).toEqual({ peeked: { allowed: false, remaining: 0, resetSeconds: 60, retryAfterSeconds: 30 }, taken: null });
      // Nothing was taken by the refused one: two requests are left.
      expect(await store.rateLimits.take('taken', rule, t)).toMatchObject({ allowed: true, remaining: 1 });
      expect(await store.rateLimits.take('taken', rule, t)).toMatchObject({ allowed: true, remaining: 0 });
      // Past the taken counter's own allowance, the take is refused like take() refuses it.
      await store.rateLimits.refund('guard', guard, t);
      expect(await store.rateLimits.peek('guard', guard, t, { key: 'taken', rule })).toEqual({
        peeked: { allowed: true, remaining: 0, resetSeconds: 60, retryAfterSeconds: 0 },
        taken: { allowed: false, remaining: 0, resetSeconds: 60, retryAfterSeconds: 20 },
      });
    });

    test('the allowance refills at requests/perSeconds', async () => {
      const rule = { requests: 2, perSeconds: 60 };
      const t = Date.now();
      await store.rateLimits.take('k', rule, t);
      await store.rateLimits.take('k', rule, t);
      expect((await store.rateLimits.take('k', rule, t + 29_999)).allowed).toBe(false);
      expect(await store.rateLimits.take('k', rule, t + 30_000)).toMatchObject({ allowed: true, remaining: 0 });
    });

    test('keys are independent; a refused request does not use up allowance', async () => {
      const rule = { requests: 1, perSeconds: 60 };
      const t = Date.now();
      expect((await store.rateLimits.take('a', rule, t)).allowed).toBe(true);
      for (let i = 0; i < 5; i++) expect((await store.rateLimits.take('a', rule, t)).allowed).toBe(false);
      expect((await store.rateLimits.take('b', rule, t)).allowed).toBe(true);
      expect((await store.rateLimits.take('a', rule, t + 60_000)).allowed).toBe(true);
    });

    test('refund gives one request back; a refund with nothing taken, or of a full allowance, changes nothing', async () => {
      const rule = { requests: 2, perSeconds: 60 };
      const t = Date.now();
      await store.rateLimits.take('r', rule, t);
      await store.rateLimits.take('r', rule, t);
      expect((await store.rateLimits.peek('r', rule, t)).allowed).toBe(false);
      await store.rateLimits.refund('r', rule, t);
      expect(await store.rateLimits.take('r', rule, t)).toMatchObject({ allowed: true, remaining: 0 });
      await store.rateLimits.refund('r', rule, t);
      await store.rateLimits.refund('r', rule, t);
      await store.rateLimits.refund('r', rule, t);
      // Never more than the allowance: two in a burst, not three.
      expect((await store.rateLimits.take('r', rule, t)).remaining).toBe(1);
      expect((await store.rateLimits.take('r', rule, t)).remaining).toBe(0);
      expect((await store.rateLimits.take('r', rule, t)).allowed).toBe(false);
      await store.rateLimits.refund('never-taken', rule, t);
      expect((await store.rateLimits.peek('never-taken', rule, t)).remaining).toBe(1);
    });

    test('a counter expires by itself once its allowance is full again', async () => {
      const rule = { requests: 10, perSeconds: 1 };
      await store.rateLimits.take('short', rule, Date.now());
      await sleep(250);
      // After 100 ms the key is gone: a fresh burst of 10 is allowed.
      const results = [];
      for (let i = 0; i < 10; i++) results.push((await store.rateLimits.take('short', rule, Date.now())).allowed);
      expect(results.every(Boolean)).toBe(true);
    });
  });
}
