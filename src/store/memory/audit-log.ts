/** The audit log in memory: an array in id order, trimmed by age on append, like the Redis Stream. */
import { matchesAudit, type AuditLog, type AuditQuery, type AuditRecord } from '../audit-records.js';
import type { Page } from '../store.js';

function compareStreamIds(a: string, b: string): number {
  const [am = 0, as = 0] = a.split('-').map(Number);
  const [bm = 0, bs = 0] = b.split('-').map(Number);
  return am - bm || as - bs;
}

export class MemoryAuditLog implements AuditLog {
  readonly #entries: AuditRecord[] = [];
  #lastMs = 0;
  #seq = 0;

  constructor(private readonly assertOpen: () => void) {}

  async append(entry: Omit<AuditRecord, 'id'>, nowMs: number, retentionMs: number): Promise<string> {
    this.assertOpen();
    // Stream ids never go backwards, even if the clock does.
    const ms = Math.max(Math.floor(nowMs), this.#lastMs);
    this.#seq = ms === this.#lastMs ? this.#seq + 1 : 0;
    this.#lastMs = ms;
    const id = `${ms}-${this.#seq}`;
    this.#entries.push({ id, ...structuredClone(entry) });
    const cutoff = nowMs - retentionMs;
    let drop = 0;
    while (drop < this.#entries.length && Number(this.#entries[drop]!.id.split('-')[0]) < cutoff) drop++;
    if (drop) this.#entries.splice(0, drop);
    return id;
  }

  async query(q: AuditQuery): Promise<Page<AuditRecord>> {
    this.assertOpen();
    const inRange = (r: AuditRecord) => {
      const ms = Number(r.id.split('-')[0]);
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
