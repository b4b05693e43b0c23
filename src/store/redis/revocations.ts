/**
 * The revocation list in Redis: one key per revoked token id,
 * `revoked:<jti>`, that Redis itself deletes once no validator would accept
 * the token anyway (SET ... PXAT its exp plus the largest clock tolerance),
 * so the list never outgrows the set of live tokens and needs no sweeping. Per-user cut-offs are `cutoff:<user>`
 * (epoch ms). A token's entries and its user's cut-off are read in one round
 * trip (one MGET, or one per slot on a Cluster).
 *
 * Both also go to the revocation feed, a sharded stream (sharded-stream.ts:
 * `revfeed:{<shard tag>}`, and the single `revfeed` of earlier versions read
 * as one more shard). The entry and the feed record are two writes, in
 * different slots on a Cluster: both are made (in parallel) before the
 * caller is answered, both confirmed by a replica when there is one, and a
 * failure of either answers 503 so that the caller repeats the revocation
 * (which is safe: an entry is set again, a feed record appears twice).
 *
 * Feed order: the entries one instance appends are in the order it made
 * them; entries of different instances are merged by stream id. Nothing is
 * skipped by a cursor, and a verifier needs no order: it takes the union of
 * revoked ids and the latest cut-off per user.
 */
import { STREAM_SHARDS } from './keys.js';
import type { RevocationFeedEntry, RevocationList } from '../store.js';
import { REVOCATION_MARGIN_MS } from '../../core/tokens/clock-tolerance.js';
import { guarded } from './connection.js';
import type { RedisContext } from './context.js';
import { ShardedStream } from './sharded-stream.js';

export class RedisRevocationList implements RevocationList {
  readonly #feed: ShardedStream;

  constructor(
    private readonly ctx: RedisContext,
    private readonly now: () => number = Date.now,
  ) {
    const shards = Array.from({ length: STREAM_SHARDS }, (_, i) => ctx.keys.revocationFeedShard(i));
    this.#feed = new ShardedStream(ctx.redis, ctx.durable, shards, ctx.clustered ? null : ctx.keys.legacyRevocationFeed);
  }

  async add(jti: string, expiresAtMs: number): Promise<void> {
    // Kept past exp while a validator's clock tolerance could still accept the token.
    const until = expiresAtMs + REVOCATION_MARGIN_MS;
    // A token no validator accepts any more needs no entry (and PXAT in the
    // past would only create a key for Redis to delete again).
    if (until <= this.now()) return;
    // PXAT takes an integer; rounding up never ends a revocation early.
    const at = Math.ceil(expiresAtMs);
    const key = this.ctx.keys.revoked(jti);
    await Promise.all([
      this.ctx.durable.write(key, (c) => c.set(key, '1', 'PXAT', Math.ceil(until))),
      this.#feed.append(['k', 'token', 'r', jti, 'a', String(at)], undefined, { durable: true }),
    ]);
  }

  async setUserCutoff(userId: string, atMs: number): Promise<void> {
    // No TTL: a cut-off must outlive every token issued before it; it goes with the user.
    const at = String(Math.ceil(atMs));
    const key = this.ctx.keys.userCutoff(userId);
    await Promise.all([
      this.ctx.durable.write(key, (c) => c.set(key, at)),
      this.#feed.append(['k', 'cutoff', 'r', userId, 'a', at], undefined, { durable: true }),
    ]);
  }

  async deleteUserCutoff(userId: string): Promise<void> {
    await guarded(() => this.ctx.redis.del(this.ctx.keys.userCutoff(userId)));
  }

  status(jti: string, userId: string | null, alsoIds: readonly string[] = []): Promise<{ revoked: boolean; userCutoffMs: number | null }> {
    const keys = [jti, ...alsoIds].map((id) => this.ctx.keys.revoked(id));
    // With the other plain reads of this tick (at introspection, the caller's
    // failed-authentication count): one MGET (read-batch.ts), a token without
    // a user (client_credentials) included.
    return guarded(() => this.ctx.reads.mget(userId === null ? keys : [...keys, this.ctx.keys.userCutoff(userId)])).then((values) => {
      const revoked = values.slice(0, keys.length).some((v) => v !== null);
      const cutoff = userId === null ? null : values[keys.length];
      return { revoked, userCutoffMs: cutoff === null || cutoff === undefined ? null : Number(cutoff) };
    });
  }

  async feed(after: string | undefined, limit: number): Promise<{ entries: RevocationFeedEntry[]; last: string | null; more: boolean }> {
    const page = await this.#feed.readAfter(after, limit);
    const entries = page.entries.map(({ id, fields: f }) => {
      const field = (name: string) => f[f.indexOf(name) + 1] ?? '';
      return { id, kind: field('k') === 'cutoff' ? 'cutoff' as const : 'token' as const, ref: field('r'), at: Number(field('a')) };
    });
    // Nothing read from the start yet: no cursor to hand out.
    const last = after === undefined && entries.length === 0 ? null : page.cursor;
    return { entries, last, more: page.more };
  }

  async trimFeed(beforeMs: number): Promise<void> {
    await this.#feed.trimBefore(beforeMs);
  }

  async has(jti: string): Promise<boolean> {
    const count = await guarded(() => this.ctx.redis.exists(this.ctx.keys.revoked(jti)));
    return count === 1;
  }
}
