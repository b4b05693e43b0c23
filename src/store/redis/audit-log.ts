/**
 * The audit log as sharded Redis Streams (sharded-stream.ts; keys
 * `audit:{<shard tag>}`, and the single `audit` stream of earlier versions
 * read as one more shard until trimming empties it). Each instance appends
 * to its own shard with MINID trimming of entries past the retention in the
 * same XADD (approximately, `~`, O(1) amortised); every shard is trimmed at
 * least once a minute by whichever instance appends.
 *
 * Order: an instance's own events are in the order it recorded them; events
 * of different instances are merged by id (node clock milliseconds, then
 * sequence, then shard). Time filters become id ranges; the other filters
 * are applied while reading, a bounded number of entries per call.
 * `audit-fingerprint-key` holds the key of the fingerprints some events
 * carry instead of what was claimed.
 */
import { matchesAudit, type AuditLog, type AuditQuery, type AuditRecord } from '../audit-records.js';
import type { Page } from '../store.js';
import { guarded } from './connection.js';
import type { RedisContext } from './context.js';
import { STREAM_SHARDS } from './keys.js';
import { ShardedStream } from './sharded-stream.js';

export class RedisAuditLog implements AuditLog {
  readonly #stream: ShardedStream;

  constructor(private readonly ctx: RedisContext) {
    const shards = Array.from({ length: STREAM_SHARDS }, (_, i) => ctx.keys.auditShard(i));
    this.#stream = new ShardedStream(ctx.redis, ctx.durable, shards, ctx.clustered ? null : ctx.keys.legacyAudit);
  }

  async fingerprintKey(candidate: string): Promise<string> {
    const key = this.ctx.keys.auditFingerprintKey;
    // NX: the first instance's key wins; no TTL, fingerprints stay comparable for the log's whole retention.
    await this.ctx.durable.write(key, (c) => c.set(key, candidate, 'NX'));
    return (await guarded(() => this.ctx.redis.get(key))) ?? candidate;
  }

  async append(entry: Omit<AuditRecord, 'id'>, nowMs: number, retentionMs: number, options: { durable?: boolean } = {}): Promise<string> {
    return (await this.#stream.append(['e', JSON.stringify(entry)], nowMs - retentionMs, { durable: options.durable === true })).id;
  }

  async query(q: AuditQuery): Promise<Page<AuditRecord>> {
    const items: AuditRecord[] = [];
    let read = 0;
    let last: string | undefined;
    let next: string | null = null;
    await this.#stream.range(
      { order: q.order, sinceMs: q.filter.since, untilMs: q.filter.until, after: q.after, firstBatch: Math.min(q.limit + 1, q.scanLimit) },
      ({ id, fields }) => {
        read++;
        last = id;
        const record = { id, ...(JSON.parse(fields[1] ?? '{}') as Omit<AuditRecord, 'id'>) };
        if (matchesAudit(record, q.filter)) items.push(record);
        if (items.length === q.limit || read === q.scanLimit) {
          next = last;
          return false;
        }
        return true;
      },
    );
    return { items, next_cursor: next };
  }
}
