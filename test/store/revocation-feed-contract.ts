/** The revocation feed: behaviour every Store must have (memory and a real Redis). */
import { InvalidRequestError } from '../../src/core/errors.js';
import type { Store } from '../../src/store/store.js';
import { sleep } from './store-contract.js';
import { REVOCATION_MARGIN_MS } from '../../src/core/tokens/clock-tolerance.js';

export function describeRevocationFeedContract<S extends Store>(name: string, makeStore: () => Promise<S>, cleanup?: (s: S) => Promise<void>): void {
  describe(`Revocation feed contract: ${name}`, () => {
    let store: S;
    beforeEach(async () => { store = await makeStore(); });
    afterEach(async () => { await cleanup?.(store); await store.close(); });

    test('every revocation and cut-off is in the feed, in the order one store made them, and a cursor resumes after it', async () => {
      const exp = Date.now() + 60_000;
      await store.revocations.add('jti-1', exp);
      await store.revocations.setUserCutoff('usr_1', 1_700_000_000_000);
      await store.revocations.add('api_token:tok_1', exp);
      await store.revocations.add('beyond-every-tolerance', Date.now() - REVOCATION_MARGIN_MS - 1);
      const all = await store.revocations.feed(undefined, 10);
      expect(all.entries.map(({ kind, ref, at }) => ({ kind, ref, at }))).toEqual([
        { kind: 'token', ref: 'jti-1', at: Math.ceil(exp) },
        { kind: 'cutoff', ref: 'usr_1', at: 1_700_000_000_000 },
        { kind: 'token', ref: 'api_token:tok_1', at: Math.ceil(exp) },
      ]);
      expect(all.more).toBe(false);
      expect(new Set(all.entries.map((e) => e.id)).size).toBe(3);
      expect(all.last).not.toBeNull();
      const page = await store.revocations.feed(undefined, 2);
      expect(page).toMatchObject({ more: true });
      const rest = await store.revocations.feed(page.last!, 2);
      expect(rest.entries.map((e) => e.ref)).toEqual(['api_token:tok_1']);
      expect(await store.revocations.feed(rest.last!, 2)).toEqual({ entries: [], last: rest.last, more: false });
      // Resuming from the end sees what is appended later, and only that.
      await store.revocations.add('jti-2', exp);
      expect((await store.revocations.feed(rest.last!, 10)).entries.map((e) => e.ref)).toEqual(['jti-2']);
    });

    test('an empty feed has no cursor yet; a cursor the store cannot read is refused', async () => {
      expect(await store.revocations.feed(undefined, 10)).toEqual({ entries: [], last: null, more: false });
      await expect(store.revocations.feed('1.2.3', 10)).rejects.toBeInstanceOf(InvalidRequestError);
    });

    test('trimming drops what was appended before the horizon', async () => {
      await store.revocations.add('old', Date.now() + 60_000);
      await sleep(20);
      const horizon = Date.now();
      await sleep(5);
      await store.revocations.add('new', Date.now() + 60_000);
      await store.revocations.trimFeed(horizon);
      const refs = (await store.revocations.feed(undefined, 10)).entries.map((e) => e.ref);
      // Redis trims approximately (MINID ~, whole macro nodes); memory exactly.
      expect(refs).toContain('new');
      if (store.kind === 'memory') expect(refs).toEqual(['new']);
    });
  });
}
