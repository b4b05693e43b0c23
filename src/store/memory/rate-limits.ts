/** Rate-limit counters in memory: the GCRA TAT per key, expiring like the Redis key. */
import { gcra, type RateLimiter, type RateLimitOutcome, type RateLimitRule } from '../rate-limit-records.js';
import { ExpiringMap } from './expiring-map.js';

export class MemoryRateLimiter implements RateLimiter {
  readonly map: ExpiringMap<number>;

  constructor(private readonly assertOpen: () => void, now: () => number) {
    this.map = new ExpiringMap(now);
  }

  async peek(key: string, rule: RateLimitRule, nowMs: number): Promise<RateLimitOutcome> {
    this.assertOpen();
    return gcra(this.map.get(key) ?? null, rule, nowMs).outcome;
  }

  async take(key: string, rule: RateLimitRule, nowMs: number): Promise<RateLimitOutcome> {
    this.assertOpen();
    const { outcome, newTatMs } = gcra(this.map.get(key) ?? null, rule, nowMs);
    if (newTatMs !== null) this.map.set(key, newTatMs, Math.ceil(newTatMs));
    return outcome;
  }
}
