/** API tokens in memory, with the same observable behaviour as Redis (src/store/redis/api-tokens.ts). */
import { compareIds, decodeCursor, encodeCursor } from '../cursor.js';
import type { ApiTokenCensus, ApiTokenRecord, ApiTokenRepository } from '../api-token-records.js';
import type { Page, PageRequest } from '../store.js';
import { ExpiringMap } from './expiring-map.js';

export class MemoryApiTokenRepository implements ApiTokenRepository {
  readonly #records = new Map<string, ApiTokenRecord>();
  /** secret hash → token id, until the record is purged. */
  readonly byHash: ExpiringMap<string>;
  /** parent id → the ids created through it. */
  readonly #children = new Map<string, Set<string>>();

  constructor(private readonly assertOpen: () => void, private readonly now: () => number) {
    this.byHash = new ExpiringMap(now);
  }

  /** The live record, or undefined once purged (checked on read, as Redis expires keys). */
  #live(id: string): ApiTokenRecord | undefined {
    const r = this.#records.get(id);
    if (r && r.purge_at <= this.now()) {
      this.#records.delete(id);
      return undefined;
    }
    return r;
  }

  #index(r: ApiTokenRecord): void {
    this.byHash.set(r.secret_hash, r.id, r.purge_at);
    if (r.previous_secret_hash !== null) this.byHash.set(r.previous_secret_hash, r.id, r.purge_at);
  }

  async create(token: ApiTokenRecord): Promise<boolean> {
    this.assertOpen();
    if (this.#live(token.id) || this.byHash.get(token.secret_hash) !== undefined) return false;
    this.#records.set(token.id, structuredClone(token));
    this.#index(token);
    if (token.parent_id) this.#children.set(token.parent_id, (this.#children.get(token.parent_id) ?? new Set()).add(token.id));
    return true;
  }

  async children(parentId: string): Promise<string[]> {
    this.assertOpen();
    const ids = [...(this.#children.get(parentId) ?? [])].filter((id) => this.#live(id));
    if (ids.length === 0) this.#children.delete(parentId);
    return ids;
  }

  async get(id: string): Promise<ApiTokenRecord | null> {
    this.assertOpen();
    const r = this.#live(id);
    return r ? structuredClone(r) : null;
  }

  async findByHash(secretHash: string): Promise<ApiTokenRecord | null> {
    this.assertOpen();
    const id = this.byHash.get(secretHash);
    return id === undefined ? null : this.get(id);
  }

  async update(next: ApiTokenRecord, expectedVersion: number): Promise<'updated' | 'conflict' | 'missing'> {
    this.assertOpen();
    const current = this.#live(next.id);
    if (!current) return 'missing';
    if (current.version !== expectedVersion) return 'conflict';
    for (const h of [current.secret_hash, current.previous_secret_hash]) {
      if (h !== null && this.byHash.get(h) === next.id) this.byHash.delete(h);
    }
    // The usage fields belong to touch(): keep what it wrote.
    this.#records.set(next.id, { ...structuredClone(next), last_used_at: current.last_used_at, last_used_ip: current.last_used_ip });
    this.#index(next);
    return 'updated';
  }

  async touch(id: string, atMs: number, ip: string): Promise<void> {
    this.assertOpen();
    const r = this.#live(id);
    if (!r) return;
    r.last_used_at = atMs;
    r.last_used_ip = ip;
  }

  async list(filter: { userId?: string | undefined }, page: PageRequest): Promise<Page<ApiTokenRecord>> {
    const after = page.cursor === undefined ? undefined : decodeCursor(page.cursor);
    this.assertOpen();
    const ids = [...this.#records.keys()]
      .filter((id) => this.#live(id) && (filter.userId === undefined || this.#records.get(id)!.user_id === filter.userId))
      .sort(compareIds)
      .filter((id) => after === undefined || compareIds(id, after) > 0);
    const pageIds = ids.slice(0, page.limit);
    const last = pageIds[pageIds.length - 1];
    return {
      items: pageIds.map((id) => structuredClone(this.#records.get(id)!)),
      next_cursor: ids.length > page.limit && last !== undefined ? encodeCursor(last) : null,
    };
  }

  /**
   * A pass over this process's records, with no I/O: the memory store is the
   * single-process development store (Redis keeps an expiry index instead),
   * and /metrics asks at most once a minute.
   */
  async countExpiring(nowMs: number, untilMs: number): Promise<number> {
    this.assertOpen();
    let n = 0;
    for (const r of this.#records.values()) {
      if (r.revoked_at === null && r.purge_at > nowMs && r.expires_at > nowMs && r.expires_at <= untilMs) n++;
    }
    return n;
  }

  async census(nowMs: number, expiringUntilMs: number, unusedSinceMs: number): Promise<ApiTokenCensus> {
    this.assertOpen();
    const c = { active: 0, expiring: 0, unused: 0 };
    for (const r of this.#records.values()) {
      if (r.revoked_at !== null || r.purge_at <= nowMs || r.expires_at <= nowMs) continue;
      c.active++;
      if (r.expires_at <= expiringUntilMs) c.expiring++;
      if ((r.last_used_at ?? r.created_at) <= unusedSinceMs) c.unused++;
    }
    return c;
  }

  async expiringBetween(afterMs: number, untilMs: number, limit: number): Promise<{ items: ApiTokenRecord[]; next: number | null }> {
    this.assertOpen();
    const all = [...this.#records.keys()]
      .map((id) => this.#live(id))
      .filter((r): r is ApiTokenRecord => r !== undefined && r.revoked_at === null && r.expires_at > afterMs && r.expires_at <= untilMs)
      .sort((a, b) => a.expires_at - b.expires_at || compareIds(a.id, b.id));
    if (all.length <= limit) return { items: all.map((r) => structuredClone(r)), next: null };
    const last = all[limit - 1]!.expires_at;
    const items = all.filter((r, i) => i < limit || r.expires_at === last);
    return { items: items.map((r) => structuredClone(r)), next: items.length < all.length ? last : null };
  }

  /** Drops purged records and expired hash entries; returns how many. */
  sweep(): number {
    let removed = this.byHash.sweep();
    for (const id of [...this.#records.keys()]) if (!this.#live(id)) removed++;
    return removed;
  }
}
