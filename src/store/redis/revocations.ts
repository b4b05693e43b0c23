/**
 * The revocation list in Redis: one key per revoked token id,
 * `${prefix}revoked:${jti}`, that Redis itself deletes once no validator
 * would accept the token anyway (SET ... PXAT its exp plus the largest clock
 * tolerance), so the list never outgrows the set of live tokens and needs
 * no sweeping. Per-user cut-offs are `${prefix}cutoff:${user}`
 * (epoch ms), read with the jti in one MGET. Both also go, in the same
 * MULTI, to the stream `${prefix}revfeed` that the revocation feed serves.
 */
import type { Redis } from 'ioredis';
import type { RevocationFeedEntry, RevocationList } from '../store.js';
import { REVOCATION_MARGIN_MS } from '../../core/tokens/clock-tolerance.js';

/** A hard bound on the feed whatever the trimming does (entries are ~100 bytes). */
const FEED_MAX_LEN = '1000000';
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
    // Kept past exp while a validator's clock tolerance could still accept the token.
    const until = expiresAtMs + REVOCATION_MARGIN_MS;
    // A token no validator accepts any more needs no entry (and PXAT in the
    // past would only create a key for Redis to delete again).
    if (until <= this.now()) return;
    // PXAT takes an integer; rounding up never ends a revocation early.
    const at = Math.ceil(expiresAtMs);
    await guarded(() => this.redis.multi()
      .set(this.#key(jti), '1', 'PXAT', Math.ceil(until))
      .xadd(this.#feed, 'MAXLEN', '~', FEED_MAX_LEN, '*', 'k', 'token', 'r', jti, 'a', String(at))
      .exec());
  }

  #cutoff(userId: string): string {
    return `${this.prefix}cutoff:${userId}`;
  }

  async setUserCutoff(userId: string, atMs: number): Promise<void> {
    // No TTL: a cut-off must outlive every token issued before it; it goes with the user.
    const at = String(Math.ceil(atMs));
    await guarded(() => this.redis.multi()
      .set(this.#cutoff(userId), at)
      .xadd(this.#feed, 'MAXLEN', '~', FEED_MAX_LEN, '*', 'k', 'cutoff', 'r', userId, 'a', at)
      .exec());
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

  get #feed(): string {
    return `${this.prefix}revfeed`;
  }

  async feed(after: string | undefined, limit: number): Promise<{ entries: RevocationFeedEntry[]; last: string | null; more: boolean }> {
    const rows = await guarded(() => this.redis.xrange(this.#feed, after === undefined ? '-' : `(${after}`, '+', 'COUNT', limit + 1));
    const entries = rows.slice(0, limit).map(([id, f]) => {
      const field = (name: string) => f[f.indexOf(name) + 1] ?? '';
      return { id, kind: field('k') === 'cutoff' ? 'cutoff' as const : 'token' as const, ref: field('r'), at: Number(field('a')) };
    });
    return { entries, last: entries.at(-1)?.id ?? after ?? null, more: rows.length > limit };
  }

  async trimFeed(beforeMs: number): Promise<void> {
    await guarded(() => this.redis.xtrim(this.#feed, 'MINID', '~', String(Math.max(0, Math.floor(beforeMs)))));
  }

  async has(jti: string): Promise<boolean> {
    const count = await guarded(() => this.redis.exists(this.#key(jti)));
    return count === 1;
  }
}
