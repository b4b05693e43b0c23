/**
 * The revocation list in Redis: one key per revoked token id,
 * `${prefix}revoked:${jti}`, that Redis itself deletes when the token would
 * have expired anyway (SET ... PXAT), so the list never outgrows the set of
 * live tokens and needs no sweeping.
 */
import type { Redis } from 'ioredis';
import type { RevocationList } from '../store.js';
import { guarded } from './connection.js';

export class RedisRevocationList implements RevocationList {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    private readonly now: () => number = Date.now,
  ) {}

  #key(jti: string): string {
    return `${this.prefix}revoked:${jti}`;
  }

  async add(jti: string, expiresAtMs: number): Promise<void> {
    // An already expired token needs no entry (and PXAT in the past would
    // only create a key for Redis to delete again).
    if (expiresAtMs <= this.now()) return;
    // PXAT takes an integer; rounding up never ends a revocation early.
    const at = Math.ceil(expiresAtMs);
    await guarded(() => this.redis.set(this.#key(jti), '1', 'PXAT', at));
  }

  async has(jti: string): Promise<boolean> {
    const count = await guarded(() => this.redis.exists(this.#key(jti)));
    return count === 1;
  }
}
