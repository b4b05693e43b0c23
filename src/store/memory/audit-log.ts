/** The audit log in memory: an array in id order, trimmed by age on append, like the Redis Stream. */
import { matchesAudit, type AuditLog, type AuditQuery, type AuditRecord } from '../audit-records.js';
import type { Page } from '../store.js';
import { compareStreamIds, StreamIds, streamIdMs } from './stream-ids.js';

export class MemoryAuditLog implements AuditLog {
  readonly #entries: AuditRecord[] = [];
  readonly #ids = new StreamIds();
  #fingerprintKey: string | null = null;

  constructor(private readonly assertOpen: () => void) {}

  async append(entry: Omit<AuditRecord, 'id'>, nowMs: number, retentionMs: number): Promise<string> {
    this.assertOpen();
    const id = this.#ids.next(nowMs);
    this.#entries.push({ id, ...structuredClone(entry) });
    const cutoff = nowMs - retentionMs;
    let drop = 0;
    while (drop < this.#entries.length && streamIdMs(this.#entries[drop]!.id) < cutoff) drop++;
    if (drop) this.#entries.splice(0, drop);
    return id;
  }

  appendLater(entry: Omit<AuditRecord, 'id'>, nowMs: number, retentionMs: number, settled: (err: unknown) => void): void {
    // this.append, so that a test's stand-in for append() is what fails here too.
    this.append(entry, nowMs, retentionMs).then(() => settled(null), settled);
  }

  async fingerprintKey(candidate: string): Promise<string> {
    this.assertOpen();
    this.#fingerprintKey ??= candidate;
    return this.#fingerprintKey;
  }

  async query(q: AuditQuery): Promise<Page<AuditRecord>> {
    this.assertOpen();
    const inRange = (r: AuditRecord) => {
      const ms = streamIdMs(r.id);
      if (q.filter.since !== undefined && ms < q.filter.since) return false;
      if (q.filter.until !== undefined && ms >= q.filter.until) return false;
      if (q.after === undefined) return true;
      const c = compareStreamIds(r.id, q.after);
      return q.order === 'asc' ? c > 0 : c < 0;
    };
    const ordered = q.order === 'asc' ? this.#entries : [...this.#entries].reverse();
    const candidates = ordered.filter(inRange);
    const items: AuditRecord[] = [];
    let read = 0;
    for (const r of candidates) {
      if (read === q.scanLimit) return { items, next_cursor: candidates[read - 1]!.id };
      read++;
      if (matchesAudit(r, q.filter)) items.push(structuredClone(r));
      if (items.length === q.limit) return { items, next_cursor: read < candidates.length ? r.id : null };
    }
    return { items, next_cursor: null };
  }
}
