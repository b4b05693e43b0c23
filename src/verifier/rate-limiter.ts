/**
 * Rate limits counted in Tessera's own Redis with Tessera's own GCRA script
 * and key layout (imported from src/store/redis/rate-limits.ts, keys
 * `rl:<policy>:<id>` in keys.ts), so every verifier sharing the Redis shares
 * one limit, and an API token's requests here and its exchanges at Tessera
 * draw on the same `api_token` counter.
 */
import { unavailable } from './bearer-errors.js';
import type { RateLimitRule, TesseraRedis } from './options.js';
import { RedisKeys } from '../store/redis/keys.js';
import { GCRA_TAKE_SCRIPT } from '../store/redis/rate-limits.js';

// The server's own script (src/store/redis/rate-limits.ts), so one counter means one behaviour.
const TAKE = GCRA_TAKE_SCRIPT;

/** The draft-ietf-httpapi-ratelimit-headers policy names: Tessera's `api_token`, and ours per access token. */
export type PolicyName = 'api_token' | 'access_token';

export interface RateLimitOutcome {
  allowed: boolean;
  /** Requests still allowed now (the draft's `r`). */
  remaining: number;
  /** Seconds until the whole quota is back (the draft's `t`). */
  resetSeconds: number;
  /** Seconds until the next request would pass; 0 when allowed. */
  retryAfterSeconds: number;
}

export interface AppliedLimit {
  policy: PolicyName;
  rule: RateLimitRule;
  outcome: RateLimitOutcome;
}

interface Scripts {
  tesseraRateLimit(key: string, now: string, period: string, interval: string): Promise<[number, string]>;
}

export class RedisRateLimiter {
  readonly #redis: TesseraRedis & Scripts;
  readonly #keys: RedisKeys;

  constructor(
    redis: TesseraRedis,
    prefix: string,
    private readonly onError: (err: unknown) => void,
    private readonly nowMs: () => number = Date.now,
  ) {
    // The same command name as the server's, so a client shared with an in-process Tessera defines it once.
    redis.defineCommand('tesseraRateLimit', { numberOfKeys: 1, lua: TAKE });
    this.#redis = redis as TesseraRedis & Scripts;
    this.#keys = new RedisKeys(prefix);
  }

  /** Takes one request from `policy:id` under `rule`, atomically. */
  async take(policy: PolicyName, id: string, rule: RateLimitRule): Promise<AppliedLimit> {
    const now = this.nowMs();
    const period = rule.perSeconds * 1000;
    const interval = period / rule.requests;
    let ok: number;
    let tatText: string;
    try {
      [ok, tatText] = await this.#redis.tesseraRateLimit(this.#keys.rateLimit(`${policy}:${id}`), String(now), String(period), String(interval));
    } catch (err) {
      this.onError(err);
      throw unavailable('the rate limit could not be checked; retry shortly');
    }
    const tat = Number(tatText);
    const outcome: RateLimitOutcome = ok === 1
      ? { allowed: true, remaining: Math.floor((period - (tat - now)) / interval), resetSeconds: Math.ceil((tat - now) / 1000), retryAfterSeconds: 0 }
      : { allowed: false, remaining: 0, resetSeconds: Math.ceil((tat - now) / 1000), retryAfterSeconds: Math.ceil((tat + interval - period - now) / 1000) };
    return { policy, rule, outcome };
  }
}

/** draft-ietf-httpapi-ratelimit-headers, as Tessera sends them (src/http/rate-limit-headers.ts). */
export function rateLimitHeaders(limits: readonly AppliedLimit[]): Record<string, string> {
  if (!limits.length) return {};
  return {
    'RateLimit-Policy': limits.map((l) => `"${l.policy}";q=${l.rule.requests};w=${l.rule.perSeconds}`).join(', '),
    RateLimit: limits.map((l) => `"${l.policy}";r=${l.outcome.remaining};t=${l.outcome.resetSeconds}`).join(', '),
  };
}
