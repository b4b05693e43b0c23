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
import type { Page, PeekThenTake, StepLimits } from '../store.js';
import { guarded, storeErrorOf, type RedisClient } from './connection.js';
import { defineScript, type RedisContext } from './context.js';
import { STREAM_SHARDS } from './keys.js';
import { PEEK_THEN_TAKE_SCRIPT, peekThenTakeArgs, peekThenTakeOutcome, type PeekThenTakeReply } from './rate-limits.js';
import { ShardedStream } from './sharded-stream.js';

// KEYS: the counter peeked at, the counter taken from (PEEK_THEN_TAKE_SCRIPT),
// the shard appended to. ARGV: PEEK_THEN_TAKE_SCRIPT's five, the MINID
// bound, then the entry's fields. The XADD only when both counters allow,
// as append() sends it; an entry Redis refuses answers its error in its
// place (redis.pcall: the counters taken stand, as after a failed append()).
const APPEND_LIMITED = `
local function limits(KEYS, ARGV)
${PEEK_THEN_TAKE_SCRIPT}
end
local counted = limits({KEYS[1], KEYS[2]}, {ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5]})
if counted[1] ~= 1 or counted[3] ~= 1 then return {counted, false} end
return {counted, redis.pcall('XADD', KEYS[3], 'MINID', '~', ARGV[6], '*', unpack(ARGV, 7))}`;

/** An entry's stream fields: the whole record as JSON in `e` (query() reads it back). */
const fieldsOf = (entry: Omit<AuditRecord, 'id'>): string[] => ['e', JSON.stringify(entry)];

interface Scripts {
  tesseraAuditAppendLimited(peeked: string, taken: string, shard: string, ...args: string[]): Promise<[PeekThenTakeReply, string | Error | null]>;
}

export class RedisAuditLog implements AuditLog {
  readonly #stream: ShardedStream;

  constructor(private readonly ctx: RedisContext) {
    const shards = Array.from({ length: STREAM_SHARDS }, (_, i) => ctx.keys.auditShard(i));
    this.#stream = new ShardedStream(ctx.redis, ctx.durable, shards, ctx.clustered ? null : ctx.keys.legacyAudit);
    if (!ctx.clustered) {
      defineScript(ctx, 'tesseraAuditAppendLimited', 3, APPEND_LIMITED);
      this.appendLimited = (limits, entry, nowMs, retentionMs) => this.#appendLimited(limits, entry, nowMs, retentionMs);
    }
  }

  /** See AuditLog.appendLimited: set in the constructor, on one Redis only (the counters and the shard are in different slots on a Cluster). */
  readonly appendLimited?: (limits: StepLimits, entry: Omit<AuditRecord, 'id'>, nowMs: number, retentionMs: number) => Promise<{ limits: PeekThenTake; id: string | Error | null }>;

  async #appendLimited(limits: StepLimits, entry: Omit<AuditRecord, 'id'>, nowMs: number, retentionMs: number): Promise<{ limits: PeekThenTake; id: string | Error | null }> {
    const counters = peekThenTakeArgs(this.ctx, limits.peek, limits.take, limits.nowMs);
    const minMs = Math.max(0, Math.floor(nowMs - retentionMs));
    const redis = this.ctx.redis as RedisClient & Scripts;
    const [counted, added] = await guarded(() =>
      redis.tesseraAuditAppendLimited(counters.keys[0], counters.keys[1], this.#stream.appendKey, ...counters.argv, String(minMs), ...fieldsOf(entry)));
    const outcome = peekThenTakeOutcome(counted, limits.peek.rule, limits.take, limits.nowMs);
    if (typeof added === 'string') return { limits: outcome, id: this.#stream.appendedInScript(added, minMs) };
    return { limits: outcome, id: added instanceof Error ? storeErrorOf(added) as Error : null };
  }

  async fingerprintKey(candidate: string): Promise<string> {
    const key = this.ctx.keys.auditFingerprintKey;
    // NX: the first instance's key wins; no TTL, fingerprints stay comparable for the log's whole retention.
    await this.ctx.durable.write(key, (c) => c.set(key, candidate, 'NX'));
    return (await guarded(() => this.ctx.redis.get(key))) ?? candidate;
  }

  async append(entry: Omit<AuditRecord, 'id'>, nowMs: number, retentionMs: number, options: { durable?: boolean } = {}): Promise<string> {
    return (await this.#stream.append(fieldsOf(entry), nowMs - retentionMs, { durable: options.durable === true })).id;
  }

  appendLater(entry: Omit<AuditRecord, 'id'>, nowMs: number, retentionMs: number, settled: (err: unknown) => void): void {
    this.#stream.appendLater(fieldsOf(entry), nowMs - retentionMs, settled);
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
