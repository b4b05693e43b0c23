/** API-token usage baselines in memory: the rules as a function (src/core/suspicious/baseline-rules.ts), the Redis script's model. */
import type { Baseline, BaselineRepository, BaselineRules, Finding, Observation } from '../baseline-records.js';
import { emptyBaseline, observeUse, type BaselineState } from '../../core/suspicious/baseline-rules.js';
import { ExpiringMap } from './expiring-map.js';

export class MemoryBaselines implements BaselineRepository {
  readonly map: ExpiringMap<BaselineState>;

  constructor(private readonly assertOpen: () => void, now: () => number) {
    this.map = new ExpiringMap(now);
  }

  async observe(tokenId: string, use: Observation, rules: BaselineRules, expiresAtMs: number): Promise<Finding[]> {
    this.assertOpen();
    const state = this.map.get(tokenId) ?? emptyBaseline();
    const findings = observeUse(state, use, rules);
    this.map.set(tokenId, state, Math.max(expiresAtMs, this.map.expiresAt(tokenId) ?? 0));
    return findings;
  }

  async get(tokenId: string): Promise<Baseline | null> {
    this.assertOpen();
    const s = this.map.get(tokenId);
    return s ? { first_use: s.f, last_use: s.l, uses: s.u, networks: { ...s.n }, usual_per_hour: s.r } : null;
  }
}
