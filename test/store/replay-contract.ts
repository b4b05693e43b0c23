/** One-time identifiers and server secrets: behaviour every Store must have (memory and a real Redis). */
import type { Store } from '../../src/store/store.js';
import { sleep } from './store-contract.js';

export function describeReplayContract<S extends Store>(name: string, makeStore: () => Promise<S>, cleanup?: (s: S) => Promise<void>): void {
  describe(`Replay cache contract: ${name}`, () => {
    let store: S;
    beforeEach(async () => { store = await makeStore(); });
    afterEach(async () => { await cleanup?.(store); await store.close(); });

    test('a key is claimed once: the first claim wins, later ones are refused while it lives', async () => {
      const until = Date.now() + 60_000;
      await expect(store.replay.claim('client_assertion:svc:j1', until)).resolves.toBe(true);
      await expect(store.replay.claim('client_assertion:svc:j1', until)).resolves.toBe(false);
      await expect(store.replay.claim('client_assertion:svc:j1', until + 60_000)).resolves.toBe(false);
      // Another key, even one differing only in its namespace, is its own.
      await expect(store.replay.claim('client_assertion:other:j1', until)).resolves.toBe(true);
      await expect(store.replay.claim('dpop:j1', until)).resolves.toBe(true);
    });

    test('twenty concurrent claims of one key: exactly one wins', async () => {
      const until = Date.now() + 60_000;
      const results = await Promise.all(Array.from({ length: 20 }, () => store.replay.claim('federation:race', until)));
      expect(results.filter(Boolean)).toHaveLength(1);
    });

    test('a claim is forgotten once its time is over', async () => {
      await expect(store.replay.claim('short', Date.now() + 150)).resolves.toBe(true);
      await expect(store.replay.claim('short', Date.now() + 150)).resolves.toBe(false);
      await sleep(250);
      await expect(store.replay.claim('short', Date.now() + 60_000)).resolves.toBe(true);
    });

    test('a claim whose time is already over is granted and not remembered', async () => {
      await expect(store.replay.claim('past', Date.now() - 1)).resolves.toBe(true);
      await expect(store.replay.claim('past', Date.now() + 60_000)).resolves.toBe(true);
    });

    test('keys of any length and characters are claimed exactly', async () => {
      const long = `dpop:${'x'.repeat(5000)}`;
      const odd = 'federation:https://issuer.example/\n\u0000"é*?[]';
      await expect(store.replay.claim(long, Date.now() + 60_000)).resolves.toBe(true);
      await expect(store.replay.claim(long, Date.now() + 60_000)).resolves.toBe(false);
      await expect(store.replay.claim(odd, Date.now() + 60_000)).resolves.toBe(true);
      await expect(store.replay.claim(odd, Date.now() + 60_000)).resolves.toBe(false);
    });

    test('a server secret is created once and then always the same', async () => {
      await expect(store.secrets.getOrCreate('dpop-nonce', 'first')).resolves.toBe('first');
      await expect(store.secrets.getOrCreate('dpop-nonce', 'second')).resolves.toBe('first');
      await expect(store.secrets.getOrCreate('other', 'third')).resolves.toBe('third');
    });

    test('concurrent creators of a secret all get the same one', async () => {
      const got = await Promise.all(Array.from({ length: 10 }, (_, i) => store.secrets.getOrCreate('race', `candidate-${i}`)));
      expect(new Set(got).size).toBe(1);
    });
  });
}
