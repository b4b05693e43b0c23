/** Trust policies in memory, ordered and paged like src/store/redis/trust-policies.ts. */
import { compareIds, decodeCursor, encodeCursor } from '../cursor.js';
import type { Page, PageRequest } from '../store.js';
import type { TrustPolicyRecord, TrustPolicyRepository } from '../trust-policy-records.js';

export class MemoryTrustPolicyRepository implements TrustPolicyRepository {
  readonly #records = new Map<string, TrustPolicyRecord>();

  constructor(private readonly assertOpen: () => void) {}

  async create(policy: TrustPolicyRecord): Promise<boolean> {
    this.assertOpen();
    if (this.#records.has(policy.id)) return false;
    this.#records.set(policy.id, structuredClone(policy));
    return true;
  }

  async replace(policy: TrustPolicyRecord): Promise<boolean> {
    this.assertOpen();
    if (!this.#records.has(policy.id)) return false;
    this.#records.set(policy.id, structuredClone(policy));
    return true;
  }

  async get(id: string): Promise<TrustPolicyRecord | null> {
    this.assertOpen();
    const record = this.#records.get(id);
    return record === undefined ? null : structuredClone(record);
  }

  async list(page: PageRequest): Promise<Page<TrustPolicyRecord>> {
    const after = page.cursor === undefined ? undefined : decodeCursor(page.cursor);
    this.assertOpen();
    // Policies are few (tens): sorting on each call is cheaper than keeping an index.
    const ids = this.#sortedIds().filter((id) => after === undefined || compareIds(id, after) > 0);
    const pageIds = ids.slice(0, page.limit);
    const last = pageIds[pageIds.length - 1];
    return {
      items: pageIds.map((id) => structuredClone(this.#records.get(id)!)),
      next_cursor: ids.length > page.limit && last !== undefined ? encodeCursor(last) : null,
    };
  }

  async listByIssuer(issuer: string): Promise<TrustPolicyRecord[]> {
    this.assertOpen();
    return this.#sortedIds().map((id) => this.#records.get(id)!).filter((p) => p.issuer === issuer).map((p) => structuredClone(p));
  }

  async delete(id: string): Promise<boolean> {
    this.assertOpen();
    return this.#records.delete(id);
  }

  #sortedIds(): string[] {
    return [...this.#records.keys()].sort(compareIds);
  }
}
