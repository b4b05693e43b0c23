/**
 * Background jobs' leases and marks in Redis: `job-lease:<name>` and
 * `job-mark:<key>` (keys.ts), plain strings with PXAT expiries. Each script
 * touches one key, passed in KEYS.
 */
import type { JobStateRepository } from '../job-records.js';
import { guarded, type RedisClient } from './connection.js';
import { defineScript, type RedisContext } from './context.js';
import { ACQUIRE_LEASE, RELEASE_LEASE } from './lease-scripts.js';

// KEYS: mark. ARGV: value, expires at. The value already there, or false when this call set it.
const MARK_ONCE = `
local v = redis.call('GET', KEYS[1])
if v then return v end
redis.call('SET', KEYS[1], ARGV[1], 'PXAT', ARGV[2])
return false`;

interface Scripts {
  tesseraJobAcquire(lease: string, holder: string, until: string): Promise<number>;
  tesseraJobRelease(lease: string, holder: string): Promise<number>;
  tesseraJobMarkOnce(mark: string, value: string, expiresAt: string): Promise<string | null>;
}

export class RedisJobState implements JobStateRepository {
  readonly #redis: RedisClient & Scripts;

  constructor(private readonly ctx: RedisContext) {
    defineScript(ctx, 'tesseraJobAcquire', 1, ACQUIRE_LEASE);
    defineScript(ctx, 'tesseraJobRelease', 1, RELEASE_LEASE);
    defineScript(ctx, 'tesseraJobMarkOnce', 1, MARK_ONCE);
    this.#redis = ctx.redis as RedisClient & Scripts;
  }

  #lease(name: string): string { return this.ctx.keys.jobLease(name); }
  #mark(key: string): string { return this.ctx.keys.jobMark(key); }

  async acquireLease(name: string, holder: string, untilMs: number): Promise<boolean> {
    return (await guarded(() => this.#redis.tesseraJobAcquire(this.#lease(name), holder, String(Math.ceil(untilMs))))) === 1;
  }

  async releaseLease(name: string, holder: string): Promise<void> {
    await guarded(() => this.#redis.tesseraJobRelease(this.#lease(name), holder));
  }

  async markOnce(key: string, value: string, expiresAtMs: number): Promise<string | null> {
    return guarded(() => this.#redis.tesseraJobMarkOnce(this.#mark(key), value, String(Math.ceil(expiresAtMs))));
  }

  async getMark(key: string): Promise<string | null> {
    return guarded(() => this.#redis.get(this.#mark(key)));
  }

  async setMark(key: string, value: string, expiresAtMs: number): Promise<void> {
    await guarded(() => this.#redis.set(this.#mark(key), value, 'PXAT', Math.ceil(expiresAtMs)));
  }
}
