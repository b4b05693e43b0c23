/** Rate-limit counters in memory: the GCRA TAT per key, expiring like the Redis key. */
import { gcra, gcraRefund, type PeekThenTake, type RateLimiter, type RateLimitOutcome, type RateLimitRule, type RateLimitTake } from '../rate-limit-records.js';
import { ExpiringMap } from './expiring-map.js';

export class MemoryRateLimiter implements RateLimiter {
  readonly map: ExpiringMap<number>;

  constructor(private readonly assertOpen: () => void, now: () => number) {
    this.map = new ExpiringMap(now);
  }

  peek(key: string, rule: RateLimitRule, nowMs: number): Promise<RateLimitOutcome>;
  peek(key: string, rule: RateLimitRule, nowMs: number, then: RateLimitTake): Promise<PeekThenTake>;
  async peek(key: string, rule: RateLimitRule, nowMs: number, then?: RateLimitTake): Promise<RateLimitOutcome | PeekThenTake> {
    this.assertOpen();
    const peeked = gcra(this.map.get(key) ?? null, rule, nowMs).outcome;
    if (!then) return peeked;
    return { peeked, taken: peeked.allowed ? this.#take(then.key, then.rule, nowMs) : null };
  }

  async take(key: string, rule: RateLimitRule, nowMs: number): Promise<RateLimitOutcome> {
    this.assertOpen();
    return this.#take(key, rule, nowMs);
  }

  #take(key: string, rule: RateLimitRule, nowMs: number): RateLimitOutcome {
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
