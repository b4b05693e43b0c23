/** Rate-limit counters in memory: the GCRA TAT per key, expiring like the Redis key. */
import { gcra, gcraRefund, type RateLimiter, type RateLimitOutcome, type RateLimitRule } from '../rate-limit-records.js';
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

  async refund(key: string, rule: RateLimitRule, nowMs: number): Promise<void> {
    this.assertOpen();
    const back = gcraRefund(this.map.get(key) ?? null, rule, nowMs);
    if (back === null) this.map.delete(key);
    else this.map.set(key, back, Math.ceil(back));
  }
}
