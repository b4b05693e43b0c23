/**
 * Short-lived records of the login flow in Redis (under the prefix):
 *   `attempts:${key}`   hash {c: failures, l: last failure ms}, expires windowMs after the last
 *   `authreq:${id}`     a pending authorization request, JSON, PXAT its expiry
 *   `code:${hash}`      an authorization code, JSON, PXAT its expiry (60 s)
 *   `code-used:${hash}` the marker a consumed code leaves, with what it issued
 */
import type { Redis } from 'ioredis';
import type {
  AttemptCounter, AttemptWindow, AuthorizationCodeRecord, AuthorizationCodeRepository, AuthorizationRequestRecord,
  AuthorizationRequestRepository, CodeConsumption, CodeIssuance,
} from '../store.js';
import { guarded } from './connection.js';

// KEYS: counter. ARGV: now, windowMs.
const HIT = `
local c = redis.call('HINCRBY', KEYS[1], 'c', 1)
redis.call('HSET', KEYS[1], 'l', ARGV[1])
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return c`;

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
  tesseraConsumeCode(code: string, used: string, windowMs: string): Promise<string[]>;
}

export class RedisAttemptCounter implements AttemptCounter {
  readonly #redis: Redis & Scripts;
  constructor(redis: Redis, private readonly prefix: string) {
    redis.defineCommand('tesseraHitAttempt', { numberOfKeys: 1, lua: HIT });
    this.#redis = redis as Redis & Scripts;
  }
  #key(key: string): string { return `${this.prefix}attempts:${key}`; }

  async hit(key: string, nowMs: number, windowMs: number): Promise<AttemptWindow> {
    const count = await guarded(() => this.#redis.tesseraHitAttempt(this.#key(key), String(nowMs), String(Math.ceil(windowMs))));
    return { count, lastAt: nowMs };
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
  constructor(private readonly redis: Redis, private readonly prefix: string, private readonly now: () => number = Date.now) {}
  #key(id: string): string { return `${this.prefix}authreq:${id}`; }

  async put(request: AuthorizationRequestRecord): Promise<void> {
    if (request.expires_at <= this.now()) return;
    await guarded(() => this.redis.set(this.#key(request.id), JSON.stringify(request), 'PXAT', Math.ceil(request.expires_at)));
  }

  async get(id: string): Promise<AuthorizationRequestRecord | null> {
    const json = await guarded(() => this.redis.get(this.#key(id)));
    return json === null ? null : (JSON.parse(json) as AuthorizationRequestRecord);
  }

  async delete(id: string): Promise<void> {
    await guarded(() => this.redis.del(this.#key(id)));
  }
}

export class RedisAuthorizationCodes implements AuthorizationCodeRepository {
  readonly #redis: Redis & Scripts;
  constructor(redis: Redis, private readonly prefix: string, private readonly now: () => number = Date.now) {
    redis.defineCommand('tesseraConsumeCode', { numberOfKeys: 2, lua: CONSUME });
    this.#redis = redis as Redis & Scripts;
  }
  #code(hash: string): string { return `${this.prefix}code:${hash}`; }
  #used(hash: string): string { return `${this.prefix}code-used:${hash}`; }

  async save(code: AuthorizationCodeRecord): Promise<void> {
    if (code.expires_at <= this.now()) return;
    await guarded(() => this.#redis.set(this.#code(code.code_hash), JSON.stringify(code), 'PXAT', Math.ceil(code.expires_at)));
  }

  async consume(codeHash: string, nowMs: number, replayWindowMs: number): Promise<CodeConsumption> {
    const [status, value] = await guarded(() =>
      this.#redis.tesseraConsumeCode(this.#code(codeHash), this.#used(codeHash), String(Math.max(1, Math.ceil(replayWindowMs)))),
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
