/**
 * Short-lived records of the login flow in Redis (names in keys.ts):
 *   `attempts:<key>`      hash {c: failures, l: last failure ms}, expires windowMs after the last
 *   `authreq:<id>`        a pending authorization request, JSON, PXAT its expiry
 *   `code:{<hash>}`       an authorization code, JSON, PXAT its expiry (60 s)
 *   `code-used:{<hash>}`  the marker a consumed code leaves, with what it issued
 * A code and its marker share a hash tag: consuming one leaves the other in
 * one script, in one slot. (Codes written by an earlier version, under
 * `code:<hash>`, are not found: a login in flight across the upgrade starts
 * again; they were 60 s long.)
 */
import type {
  AttemptCounter, AttemptRule, AttemptWindow, AuthorizationCodeRecord, AuthorizationCodeRepository, AuthorizationRequestRecord,
  AuthorizationRequestRepository, CodeConsumption, CodeIssuance,
} from '../store.js';
import { guarded, type RedisClient } from './connection.js';
import { defineScript, type RedisContext } from './context.js';

// KEYS: counter. ARGV: now, windowMs.
const HIT = `
local c = redis.call('HINCRBY', KEYS[1], 'c', 1)
redis.call('HSET', KEYS[1], 'l', ARGV[1])
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return c`;

// KEYS: counter. ARGV: now, threshold, base pause ms, max pause ms, windowMs.
// The pause is attemptPause() of user-records.ts; checking it and counting
// the attempt are one step, so parallel attempts each see the ones before.
const RESERVE = `
local now = tonumber(ARGV[1])
local c = tonumber(redis.call('HGET', KEYS[1], 'c') or '0')
local l = tonumber(redis.call('HGET', KEYS[1], 'l') or '0')
local threshold = tonumber(ARGV[2])
if c >= threshold and l > 0 then
  local pause = math.min(tonumber(ARGV[4]), tonumber(ARGV[3]) * 2 ^ math.min(30, c - threshold))
  if l + pause > now then return l + pause - now end
end
redis.call('HSET', KEYS[1], 'c', c + 1, 'l', ARGV[1])
redis.call('PEXPIRE', KEYS[1], ARGV[5])
return 0`;

// KEYS: counter.
const RELEASE = `
local c = tonumber(redis.call('HGET', KEYS[1], 'c') or '0')
if c > 0 then redis.call('HINCRBY', KEYS[1], 'c', -1) end
return 0`;

// KEYS: code, used marker. ARGV: replayWindowMs. Taking the code and leaving
// the marker is one step, so two requests can never both get the code.
const CONSUME = `
local v = redis.call('GET', KEYS[1])
if v then
  redis.call('DEL', KEYS[1])
  redis.call('SET', KEYS[2], '{}', 'PX', ARGV[1])
  return {'consumed', v}
end
local u = redis.call('GET', KEYS[2])
if u then return {'replayed', u} end
return {'unknown'}`;

interface Scripts {
  tesseraHitAttempt(key: string, now: string, windowMs: string): Promise<number>;
  tesseraReserveAttempt(key: string, now: string, threshold: string, baseMs: string, maxMs: string, windowMs: string): Promise<number>;
  tesseraReleaseAttempt(key: string): Promise<number>;
  tesseraConsumeCode(code: string, used: string, windowMs: string): Promise<string[]>;
}

export class RedisAttemptCounter implements AttemptCounter {
  readonly #redis: RedisClient & Scripts;
  constructor(private readonly ctx: RedisContext) {
    defineScript(ctx, 'tesseraHitAttempt', 1, HIT);
    defineScript(ctx, 'tesseraReserveAttempt', 1, RESERVE);
    defineScript(ctx, 'tesseraReleaseAttempt', 1, RELEASE);
    this.#redis = ctx.redis as RedisClient & Scripts;
  }
  #key(key: string): string { return this.ctx.keys.loginAttempts(key); }

  async hit(key: string, nowMs: number, windowMs: number): Promise<AttemptWindow> {
    const count = await guarded(() => this.#redis.tesseraHitAttempt(this.#key(key), String(nowMs), String(Math.ceil(windowMs))));
    return { count, lastAt: nowMs };
  }

  async reserve(key: string, nowMs: number, rule: AttemptRule): Promise<{ allowed: boolean; retryAfterMs: number }> {
    const wait = await guarded(() => this.#redis.tesseraReserveAttempt(
      this.#key(key), String(nowMs), String(rule.threshold), String(rule.basePauseMs), String(rule.maxPauseMs), String(Math.ceil(rule.windowMs)),
    ));
    return wait > 0 ? { allowed: false, retryAfterMs: wait } : { allowed: true, retryAfterMs: 0 };
  }

  async release(key: string): Promise<void> {
    await guarded(() => this.#redis.tesseraReleaseAttempt(this.#key(key)));
  }

  async get(key: string): Promise<AttemptWindow> {
    const [c, l] = await guarded(() => this.#redis.hmget(this.#key(key), 'c', 'l'));
    return { count: c ? Number(c) : 0, lastAt: l ? Number(l) : null };
  }

  async reset(key: string): Promise<void> {
    await guarded(() => this.#redis.del(this.#key(key)));
  }
}

export class RedisAuthorizationRequests implements AuthorizationRequestRepository {
  constructor(private readonly ctx: RedisContext, private readonly now: () => number = Date.now) {}
  #key(id: string): string { return this.ctx.keys.authorizationRequest(id); }

  async put(request: AuthorizationRequestRecord): Promise<void> {
    if (request.expires_at <= this.now()) return;
    await guarded(() => this.ctx.redis.set(this.#key(request.id), JSON.stringify(request), 'PXAT', Math.ceil(request.expires_at)));
  }

  async get(id: string): Promise<AuthorizationRequestRecord | null> {
    const json = await guarded(() => this.ctx.redis.get(this.#key(id)));
    return json === null ? null : (JSON.parse(json) as AuthorizationRequestRecord);
  }

  async delete(id: string): Promise<void> {
    await guarded(() => this.ctx.redis.del(this.#key(id)));
  }
}

export class RedisAuthorizationCodes implements AuthorizationCodeRepository {
  readonly #redis: RedisClient & Scripts;
  constructor(private readonly ctx: RedisContext, private readonly now: () => number = Date.now) {
    defineScript(ctx, 'tesseraConsumeCode', 2, CONSUME);
    this.#redis = ctx.redis as RedisClient & Scripts;
  }
  #code(hash: string): string { return this.ctx.keys.code(hash); }
  #used(hash: string): string { return this.ctx.keys.codeUsed(hash); }

  async save(code: AuthorizationCodeRecord): Promise<void> {
    if (code.expires_at <= this.now()) return;
    await guarded(() => this.#redis.set(this.#code(code.code_hash), JSON.stringify(code), 'PXAT', Math.ceil(code.expires_at)));
  }

  async consume(codeHash: string, nowMs: number, replayWindowMs: number): Promise<CodeConsumption> {
    // Durable: a use lost in a failover would let the code be redeemed twice (RFC 6749 §4.1.2).
    const [status, value] = await this.ctx.durable.write(this.#code(codeHash), (c) =>
      (c as RedisClient & Scripts).tesseraConsumeCode(this.#code(codeHash), this.#used(codeHash), String(Math.max(1, Math.ceil(replayWindowMs)))),
    );
    if (status === 'consumed') {
      const code = JSON.parse(value!) as AuthorizationCodeRecord;
      // PXAT already removes expired codes; this guards the last millisecond.
      return code.expires_at > nowMs ? { status: 'consumed', code } : { status: 'unknown' };
    }
    if (status === 'replayed') {
      const issued = JSON.parse(value!) as Partial<CodeIssuance>;
      return { status: 'replayed', issued: issued.access_token_jti ? (issued as CodeIssuance) : null };
    }
    return { status: 'unknown' };
  }

  async recordIssuance(codeHash: string, issued: CodeIssuance): Promise<void> {
    await guarded(() => this.#redis.set(this.#used(codeHash), JSON.stringify(issued), 'KEEPTTL', 'XX'));
  }
}
