/**
 * The revocation list in Redis: one key per revoked token id,
 * `${prefix}revoked:${jti}`, that Redis itself deletes when the token would
 * have expired anyway (SET ... PXAT), so the list never outgrows the set of
 * live tokens and needs no sweeping. Per-user cut-offs are `${prefix}cutoff:${user}`
 * (epoch ms), read with the jti in one MGET.
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

  #cutoff(userId: string): string {
    return `${this.prefix}cutoff:${userId}`;
  }

  async setUserCutoff(userId: string, atMs: number): Promise<void> {
    // No TTL: a cut-off must outlive every token issued before it; it goes with the user.
    await guarded(() => this.redis.set(this.#cutoff(userId), String(Math.ceil(atMs))));
  }

  async deleteUserCutoff(userId: string): Promise<void> {
    await guarded(() => this.redis.del(this.#cutoff(userId)));
  }

  async status(jti: string, userId: string | null, alsoIds: readonly string[] = []): Promise<{ revoked: boolean; userCutoffMs: number | null }> {
    const keys = [jti, ...alsoIds].map((id) => this.#key(id));
    if (userId === null && keys.length === 1) return { revoked: await this.has(jti), userCutoffMs: null };
    const values = await guarded(() => this.redis.mget(...keys, ...(userId === null ? [] : [this.#cutoff(userId)])));
    const revoked = values.slice(0, keys.length).some((v) => v !== null);
    const cutoff = userId === null ? null : values[keys.length];
    return { revoked, userCutoffMs: cutoff === null || cutoff === undefined ? null : Number(cutoff) };
  }

  async has(jti: string): Promise<boolean> {
    const count = await guarded(() => this.redis.exists(this.#key(jti)));
    return count === 1;
  }
}
