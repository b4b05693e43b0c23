/**
 * Rate-limit counters in Redis: `rl:<key>` (keys.ts) holds the GCRA
 * theoretical arrival time (ms) and expires when the allowance is full again,
 * so idle keys vanish on their own. One Lua script per check, so several
 * Tessera instances (or verifiers) sharing a Redis share one limit.
 */
import { gcra, type PeekThenTake, type RateLimiter, type RateLimitOutcome, type RateLimitRule, type RateLimitTake } from '../rate-limit-records.js';
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

// KEYS: the counter peeked at, the counter taken from. ARGV: now ms, the
// peeked rule's period and interval ms, the taken rule's period and interval
// ms. The peek is gcra() in rate-limit-records.ts reading the first counter;
// only when it allows is the second taken, as GCRA_TAKE_SCRIPT does. Returns
// {peek allowed, the peeked TAT or ''} and, after an allowed peek, {taken, TAT}.
export const PEEK_THEN_TAKE_SCRIPT = `
local now = tonumber(ARGV[1])
local seen = redis.call('GET', KEYS[1])
local ptat = tonumber(seen or now)
if ptat < now then ptat = now end
if ptat + tonumber(ARGV[3]) - tonumber(ARGV[2]) > now then return {0, seen or ''} end
local period = tonumber(ARGV[4])
local interval = tonumber(ARGV[5])
local tat = tonumber(redis.call('GET', KEYS[2]) or now)
if tat < now then tat = now end
local nxt = tat + interval
if nxt - period > now then return {1, seen or '', 0, tostring(tat)} end
redis.call('SET', KEYS[2], tostring(nxt), 'PXAT', math.ceil(nxt))
return {1, seen or '', 1, tostring(nxt)}`;

/** take()'s outcome from the script's answer (allowed, and the TAT it left or found). */
function takeOutcome(ok: number, tatText: string, rule: RateLimitRule, nowMs: number): RateLimitOutcome {
  const period = rule.perSeconds * 1000;
  const interval = period / rule.requests;
  const tat = Number(tatText);
  if (ok === 1) {
    return { allowed: true, remaining: Math.floor((period - (tat - nowMs)) / interval), resetSeconds: Math.ceil((tat - nowMs) / 1000), retryAfterSeconds: 0 };
  }
  return { allowed: false, remaining: 0, resetSeconds: Math.ceil((tat - nowMs) / 1000), retryAfterSeconds: Math.ceil((tat + interval - period - nowMs) / 1000) };
}

/** PEEK_THEN_TAKE_SCRIPT's answer. */
export type PeekThenTakeReply = [number, string] | [number, string, number, string];

/** PEEK_THEN_TAKE_SCRIPT's keys and arguments: peek at `peeked`, then take from `taken`. */
export function peekThenTakeArgs(ctx: RedisContext, peeked: RateLimitTake, taken: RateLimitTake, nowMs: number): { keys: [string, string]; argv: string[] } {
  const peekPeriod = peeked.rule.perSeconds * 1000;
  const period = taken.rule.perSeconds * 1000;
  return {
    keys: [ctx.keys.rateLimit(peeked.key), ctx.keys.rateLimit(taken.key)],
    argv: [String(nowMs), String(peekPeriod), String(peekPeriod / peeked.rule.requests), String(period), String(period / taken.rule.requests)],
  };
}

/** PeekThenTake from PEEK_THEN_TAKE_SCRIPT's answer. */
export function peekThenTakeOutcome(reply: PeekThenTakeReply, rule: RateLimitRule, then: RateLimitTake, nowMs: number): PeekThenTake {
  const seen = reply[1];
  const peeked = gcra(seen === '' ? null : Number(seen), rule, nowMs).outcome;
  // The script's peek is gcra()'s arithmetic on the same numbers, so it refused exactly when `peeked` is refused.
  if (reply[0] !== 1 || reply.length < 4) return { peeked, taken: null };
  return { peeked, taken: takeOutcome(reply[2]!, reply[3]!, then.rule, nowMs) };
}

interface Scripts {
  tesseraRateLimit(key: string, now: string, period: string, interval: string): Promise<[number, string]>;
  tesseraRateLimitPeekThenTake(
    peeked: string, taken: string, now: string, peekPeriod: string, peekInterval: string, period: string, interval: string,
  ): Promise<PeekThenTakeReply>;
  tesseraRateLimitRefund(key: string, now: string, interval: string): Promise<number>;
}

export class RedisRateLimiter implements RateLimiter {
  readonly #redis: RedisClient & Scripts;

  constructor(private readonly ctx: RedisContext) {
    defineScript(ctx, 'tesseraRateLimit', 1, GCRA_TAKE_SCRIPT);
    defineScript(ctx, 'tesseraRateLimitRefund', 1, GCRA_REFUND_SCRIPT);
    defineScript(ctx, 'tesseraRateLimitPeekThenTake', 2, PEEK_THEN_TAKE_SCRIPT);
    this.#redis = ctx.redis as RedisClient & Scripts;
  }

  peek(key: string, rule: RateLimitRule, nowMs: number): Promise<RateLimitOutcome>;
  peek(key: string, rule: RateLimitRule, nowMs: number, then: RateLimitTake): Promise<PeekThenTake>;
  peek(key: string, rule: RateLimitRule, nowMs: number, then?: RateLimitTake): Promise<RateLimitOutcome | PeekThenTake> {
    if (then) return this.ctx.clustered ? this.#peekThenTakeApart(key, rule, nowMs, then) : this.#peekThenTake(key, rule, nowMs, then);
    // With the other plain reads of its tick (read-batch.ts): a peek read a moment later is as good a peek.
    return guarded(() => this.ctx.reads.mget([this.ctx.keys.rateLimit(key)]))
      .then(([tat]) => gcra(tat === null || tat === undefined ? null : Number(tat), rule, nowMs).outcome);
  }

  /** One script: the two counters are on the one server. */
  async #peekThenTake(key: string, rule: RateLimitRule, nowMs: number, then: RateLimitTake): Promise<PeekThenTake> {
    const { keys, argv } = peekThenTakeArgs(this.ctx, { key, rule }, then, nowMs);
    const reply = await guarded(() => this.#redis.tesseraRateLimitPeekThenTake(keys[0], keys[1], ...(argv as [string, string, string, string, string])));
    return peekThenTakeOutcome(reply, rule, then, nowMs);
  }

  /**
   * On a Cluster the counters are in different slots: the peek and the take
   * are sent together, and a take the peek refused is given back, so
   * nothing stays taken.
   */
  async #peekThenTakeApart(key: string, rule: RateLimitRule, nowMs: number, then: RateLimitTake): Promise<PeekThenTake> {
    const taking = this.take(then.key, then.rule, nowMs);
    taking.catch(() => undefined);
    const peeked = await this.peek(key, rule, nowMs);
    const taken = await taking;
    if (peeked.allowed) return { peeked, taken };
    if (taken.allowed) await this.refund(then.key, then.rule, nowMs);
    return { peeked, taken: null };
  }

  async take(key: string, rule: RateLimitRule, nowMs: number): Promise<RateLimitOutcome> {
    const period = rule.perSeconds * 1000;
    const interval = period / rule.requests;
    const [ok, tatText] = await guarded(() => this.#redis.tesseraRateLimit(this.ctx.keys.rateLimit(key), String(nowMs), String(period), String(interval)));
    return takeOutcome(ok, tatText, rule, nowMs);
  }

  async refund(key: string, rule: RateLimitRule, nowMs: number): Promise<void> {
    const interval = (rule.perSeconds * 1000) / rule.requests;
    await guarded(() => this.#redis.tesseraRateLimitRefund(this.ctx.keys.rateLimit(key), String(nowMs), String(interval)));
  }
}
