/**
 * Rate-limit counters in Redis: `rl:<key>` (keys.ts) holds the GCRA
 * theoretical arrival time (ms) and expires when the allowance is full again,
 * so idle keys vanish on their own. One Lua script per check, so several
 * Tessera instances (or verifiers) sharing a Redis share one limit.
 */
import { gcra, type RateLimiter, type RateLimitOutcome, type RateLimitRule } from '../rate-limit-records.js';
import { guarded, type RedisClient } from './connection.js';
import { defineScript, type RedisContext } from './context.js';

// KEYS: counter. ARGV: now ms, period ms, interval ms. Same arithmetic as gcra() in rate-limit-records.ts.
// Exported: @tessera-auth/server/verifier runs this same script, so verifiers and the server share one counter and one behaviour.
export const GCRA_TAKE_SCRIPT = `
local now = tonumber(ARGV[1])
local period = tonumber(ARGV[2])
local interval = tonumber(ARGV[3])
local tat = tonumber(redis.call('GET', KEYS[1]) or now)
if tat < now then tat = now end
local nxt = tat + interval
local allow_at = nxt - period
if allow_at > now then return {0, tostring(tat)} end
redis.call('SET', KEYS[1], tostring(nxt), 'PXAT', math.ceil(nxt))
return {1, tostring(nxt)}`;

// KEYS: counter. ARGV: now ms, interval ms. Same arithmetic as gcraRefund() in rate-limit-records.ts.
const GCRA_REFUND_SCRIPT = `
local tat = tonumber(redis.call('GET', KEYS[1]))
if not tat then return 0 end
local back = tat - tonumber(ARGV[2])
if back > tonumber(ARGV[1]) then
  redis.call('SET', KEYS[1], tostring(back), 'PXAT', math.ceil(back))
else
  redis.call('DEL', KEYS[1])
end
return 1`;

interface Scripts {
  tesseraRateLimit(key: string, now: string, period: string, interval: string): Promise<[number, string]>;
  tesseraRateLimitRefund(key: string, now: string, interval: string): Promise<number>;
}

export class RedisRateLimiter implements RateLimiter {
  readonly #redis: RedisClient & Scripts;

  constructor(private readonly ctx: RedisContext) {
    defineScript(ctx, 'tesseraRateLimit', 1, GCRA_TAKE_SCRIPT);
    defineScript(ctx, 'tesseraRateLimitRefund', 1, GCRA_REFUND_SCRIPT);
    this.#redis = ctx.redis as RedisClient & Scripts;
  }

  async peek(key: string, rule: RateLimitRule, nowMs: number): Promise<RateLimitOutcome> {
    const tat = await guarded(() => this.#redis.get(this.ctx.keys.rateLimit(key)));
    return gcra(tat === null ? null : Number(tat), rule, nowMs).outcome;
  }

  async take(key: string, rule: RateLimitRule, nowMs: number): Promise<RateLimitOutcome> {
    const period = rule.perSeconds * 1000;
    const interval = period / rule.requests;
    const [ok, tatText] = await guarded(() => this.#redis.tesseraRateLimit(this.ctx.keys.rateLimit(key), String(nowMs), String(period), String(interval)));
    const tat = Number(tatText);
    if (ok === 1) {
      return { allowed: true, remaining: Math.floor((period - (tat - nowMs)) / interval), resetSeconds: Math.ceil((tat - nowMs) / 1000), retryAfterSeconds: 0 };
    }
    return { allowed: false, remaining: 0, resetSeconds: Math.ceil((tat - nowMs) / 1000), retryAfterSeconds: Math.ceil((tat + interval - period - nowMs) / 1000) };
  }

  async refund(key: string, rule: RateLimitRule, nowMs: number): Promise<void> {
    const interval = (rule.perSeconds * 1000) / rule.requests;
    await guarded(() => this.#redis.tesseraRateLimitRefund(this.ctx.keys.rateLimit(key), String(nowMs), String(interval)));
  }
}
