/**
 * API-token usage baselines (suspicious use): behaviour every Store must
 * have. The memory store runs the rules as a function, Redis as a script:
 * each scenario here runs on both and must find the same things.
 */
import type { BaselineRules, Finding, Store } from '../../src/store/store.js';
import { MAX_NETWORKS } from '../../src/store/baseline-records.js';
import { sleep } from './store-contract.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
export const RULES: BaselineRules = { learningUses: 5, learningMs: DAY, dormancyMs: 30 * DAY, rateFactor: 10, rateFloor: 20, rateWeight: 0.2 };
/** An hour boundary, so that scenarios know which uses share an hour. */
const T0 = Math.floor(Date.now() / HOUR) * HOUR + 365 * DAY;

export function describeBaselinesContract<S extends Store>(name: string, makeStore: () => Promise<S>, cleanup?: (s: S) => Promise<void>): void {
  describe(`Baselines contract: ${name}`, () => {
    let store: S;
    beforeEach(async () => { store = await makeStore(); });
    afterEach(async () => { await cleanup?.(store); await store.close(); });

    const use = (id: string, atMs: number, network: string | null = '198.51.100.0/24', createdAtMs = T0) =>
      store.baselines.observe(id, { atMs, network, createdAtMs }, RULES, T0 + 400 * DAY);
    /** Six uses over two days from one network, a few an hour: a learned baseline with a usual rate of 2 an hour. */
    const learn = async (id: string) => {
      for (const at of [T0, T0 + 60_000, T0 + HOUR, T0 + HOUR + 60_000, T0 + 2 * DAY, T0 + 2 * DAY + 60_000]) expect(await use(id, at)).toEqual([]);
    };

    test('learns quietly: new networks before the baseline has learned are not findings', async () => {
      expect(await use('tok_a', T0, '203.0.113.0/24')).toEqual([]);
      expect(await use('tok_a', T0 + 1000, '2001:db8:1::/48')).toEqual([]);
      expect(await store.baselines.get('tok_a')).toEqual({
        first_use: T0, last_use: T0 + 1000, uses: 2, networks: { '203.0.113.0/24': T0, '2001:db8:1::/48': T0 + 1000 }, usual_per_hour: 0,
      });
      expect(await store.baselines.get('tok_none')).toBeNull();
    });

    test('new_network once learned, reported once; the networks kept are bounded, the least recently seen forgotten', async () => {
      await learn('tok_n');
      const later = T0 + 3 * DAY;
      expect(await use('tok_n', later, '192.0.2.0/24')).toEqual([{ reason: 'new_network', network: '192.0.2.0/24' }]);
      expect(await use('tok_n', later + 1, '192.0.2.0/24')).toEqual([]);
      // An unknown address skips the rule.
      expect(await use('tok_n', later + 2, null)).toEqual([]);
      for (let i = 0; i < MAX_NETWORKS; i++) await use('tok_n', later + 10 + i, `10.0.${i}.0/24`);
      const nets = Object.keys((await store.baselines.get('tok_n'))!.networks);
      expect(nets).toHaveLength(MAX_NETWORKS);
      expect(nets).not.toContain('198.51.100.0/24');
      expect(await use('tok_n', later + 100, '198.51.100.0/24')).toEqual([{ reason: 'new_network', network: '198.51.100.0/24' }]);
    });

    test('rate: far above the usual rate per hour of use, once per hour, and never below the floor', async () => {
      await learn('tok_r');
      const hour = T0 + 5 * DAY;
      const found: Finding[][] = [];
      for (let i = 0; i < 25; i++) found.push(await use('tok_r', hour + i * 1000));
      // Usual rate 2 an hour: 10 × 2 = 20, and the floor is 20: the 21st use in the hour is the finding.
      expect(found.findIndex((f) => f.length > 0)).toBe(20);
      expect(found[20]).toEqual([{ reason: 'rate', uses_this_hour: 21, usual_per_hour: 2 }]);
      expect(found.slice(21).flat()).toEqual([]);
      // The next hour starts over; the busy hour raised the usual rate.
      expect(await use('tok_r', hour + HOUR)).toEqual([]);
      expect((await store.baselines.get('tok_r'))!.usual_per_hour).toBeCloseTo(0.8 * 2 + 0.2 * 25, 6);
    });

    test('dormant: the first use after a long quiet (counted from the creation for a first use), once', async () => {
      expect(await use('tok_d', T0 + 31 * DAY, '198.51.100.0/24', T0)).toEqual([{ reason: 'dormant', dormant_for_ms: 31 * DAY }]);
      expect(await use('tok_d', T0 + 31 * DAY + 1)).toEqual([]);
      await learn('tok_e');
      const late = T0 + 2 * DAY + 60_000 + 40 * DAY;
      expect(await use('tok_e', late, '192.0.2.0/24')).toEqual([
        { reason: 'dormant', dormant_for_ms: 40 * DAY }, { reason: 'new_network', network: '192.0.2.0/24' },
      ]);
    });

    test('concurrent uses are all counted and a finding is made once', async () => {
      await learn('tok_c');
      const at = T0 + 9 * DAY;
      const all = await Promise.all(Array.from({ length: 10 }, (_, i) => use('tok_c', at + i, '192.0.2.0/24')));
      expect(all.flat()).toEqual([{ reason: 'new_network', network: '192.0.2.0/24' }]);
      expect((await store.baselines.get('tok_c'))!.uses).toBe(16);
    });

    test('a baseline expires with its token; a later observation never shortens it', async () => {
      const now = Date.now();
      await store.baselines.observe('tok_x', { atMs: now, network: null, createdAtMs: now }, RULES, now + 60_000);
      await store.baselines.observe('tok_x', { atMs: now, network: null, createdAtMs: now }, RULES, now + 100);
      await store.baselines.observe('tok_y', { atMs: now, network: null, createdAtMs: now }, RULES, now + 150);
      await sleep(250);
      expect(await store.baselines.get('tok_x')).not.toBeNull();
      expect(await store.baselines.get('tok_y')).toBeNull();
    });
  });
}
