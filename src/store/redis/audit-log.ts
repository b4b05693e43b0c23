/**
 * The audit log as a Redis Stream, `${prefix}audit`: XADD with MINID trims
 * entries past the retention in the same command (approximately, `~`, so
 * trimming stays O(1) amortised), and the stream ids order and page it.
 * Time filters become the id range; the other filters are applied while
 * reading, a bounded number of entries per call. `${prefix}audit-fingerprint-key`
 * holds the key of the fingerprints some events carry instead of what was claimed.
 */
import type { Redis } from 'ioredis';
import { matchesAudit, type AuditLog, type AuditQuery, type AuditRecord } from '../audit-records.js';
import type { Page } from '../store.js';
import { guarded } from './connection.js';

const BATCH = 200;

export class RedisAuditLog implements AuditLog {
  constructor(private readonly redis: Redis, private readonly prefix: string) {}

  get #key(): string { return `${this.prefix}audit`; }

  async fingerprintKey(candidate: string): Promise<string> {
    const key = `${this.prefix}audit-fingerprint-key`;
    // NX: the first instance's key wins; no TTL, fingerprints stay comparable for the log's whole retention.
    await guarded(() => this.redis.set(key, candidate, 'NX'));
    return (await guarded(() => this.redis.get(key))) ?? candidate;
  }

  async append(entry: Omit<AuditRecord, 'id'>, nowMs: number, retentionMs: number): Promise<string> {
    const minId = String(Math.max(0, Math.floor(nowMs - retentionMs)));
    const id = await guarded(() => this.redis.xadd(this.#key, 'MINID', '~', minId, '*', 'e', JSON.stringify(entry)));
    return id as string;
  }

  async query(q: AuditQuery): Promise<Page<AuditRecord>> {
    const asc = q.order === 'asc';
    // Inclusive time bounds as stream ids; a cursor is exclusive ('(' needs Redis 6.2).
    let low = q.filter.since !== undefined ? String(q.filter.since) : '-';
    let high = q.filter.until !== undefined ? `(${q.filter.until}` : '+';
    if (q.after !== undefined) {
      if (asc) low = `(${q.after}`;
      else high = `(${q.after}`;
    }
    const items: AuditRecord[] = [];
    let read = 0;
    let last: string | undefined;
    while (read < q.scanLimit) {
      const count = Math.min(BATCH, q.scanLimit - read);
      const batch = await guarded(() => (asc
        ? this.redis.xrange(this.#key, low, high, 'COUNT', count)
        : this.redis.xrevrange(this.#key, high, low, 'COUNT', count)));
      for (const [id, fields] of batch) {
        read++;
        last = id;
        const record = { id, ...(JSON.parse(fields[1] ?? '{}') as Omit<AuditRecord, 'id'>) };
        if (matchesAudit(record, q.filter)) items.push(record);
        if (items.length === q.limit) return { items, next_cursor: id };
      }
      if (batch.length < count) return { items, next_cursor: null };
      if (asc) low = `(${last}`;
      else high = `(${last}`;
    }
    return { items, next_cursor: last ?? null };
  }
}
