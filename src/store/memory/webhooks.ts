/** Webhook endpoints and the delivery queue in memory, behaving like src/store/redis/webhooks.ts. */
import { compareIds, decodeCursor, encodeCursor } from '../cursor.js';
import type { Page, PageRequest } from '../store.js';
import type { WebhookDeliveryRecord, WebhookEndpointRecord, WebhookRepository } from '../webhook-records.js';

export class MemoryWebhookRepository implements WebhookRepository {
  readonly #endpoints = new Map<string, WebhookEndpointRecord>();
  readonly #deliveries = new Map<string, WebhookDeliveryRecord>();
  /** Pending delivery id → when it may next be claimed (its due time, or the end of its lease). */
  readonly #queue = new Map<string, number>();
  /** Dead delivery id → until when it is kept. */
  readonly #dead = new Map<string, number>();

  constructor(private readonly assertOpen: () => void, private readonly now: () => number) {}

  async createEndpoint(endpoint: WebhookEndpointRecord): Promise<boolean> {
    this.assertOpen();
    if (this.#endpoints.has(endpoint.id)) return false;
    this.#endpoints.set(endpoint.id, structuredClone(endpoint));
    return true;
  }

  async getEndpoint(id: string): Promise<WebhookEndpointRecord | null> {
    this.assertOpen();
    const e = this.#endpoints.get(id);
    return e ? structuredClone(e) : null;
  }

  async replaceEndpoint(endpoint: WebhookEndpointRecord): Promise<boolean> {
    this.assertOpen();
    if (!this.#endpoints.has(endpoint.id)) return false;
    this.#endpoints.set(endpoint.id, structuredClone(endpoint));
    return true;
  }

  async deleteEndpoint(id: string): Promise<boolean> {
    this.assertOpen();
    return this.#endpoints.delete(id);
  }

  async listEndpoints(page: PageRequest): Promise<Page<WebhookEndpointRecord>> {
    const after = page.cursor === undefined ? undefined : decodeCursor(page.cursor);
    this.assertOpen();
    return pageOf([...this.#endpoints.keys()], after, page.limit, (id) => this.#endpoints.get(id));
  }

  async countEndpoints(): Promise<number> {
    this.assertOpen();
    return this.#endpoints.size;
  }

  async enqueue(deliveries: readonly WebhookDeliveryRecord[]): Promise<void> {
    this.assertOpen();
    for (const d of deliveries) {
      this.#deliveries.set(d.id, structuredClone(d));
      this.#queue.set(d.id, d.next_attempt_at);
    }
  }

  async claim(nowMs: number, limit: number, leaseMs: number): Promise<WebhookDeliveryRecord[]> {
    this.assertOpen();
    const due = [...this.#queue].filter(([, at]) => at <= nowMs)
      .sort(([a, x], [b, y]) => x - y || compareIds(a, b))
      .slice(0, limit);
    const claimed: WebhookDeliveryRecord[] = [];
    for (const [id] of due) {
      const d = this.#deliveries.get(id);
      if (!d) {
        this.#queue.delete(id);
        continue;
      }
      this.#queue.set(id, nowMs + leaseMs);
      claimed.push(structuredClone(d));
    }
    return claimed;
  }

  async retry(delivery: WebhookDeliveryRecord): Promise<boolean> {
    this.assertOpen();
    if (!this.#queue.has(delivery.id) || !this.#deliveries.has(delivery.id)) return false;
    this.#deliveries.set(delivery.id, structuredClone(delivery));
    this.#queue.set(delivery.id, delivery.next_attempt_at);
    return true;
  }

  async delivered(id: string): Promise<void> {
    this.assertOpen();
    this.#queue.delete(id);
    this.#deliveries.delete(id);
  }

  async deadLetter(delivery: WebhookDeliveryRecord, keepUntilMs: number): Promise<void> {
    this.assertOpen();
    this.#queue.delete(delivery.id);
    this.#deliveries.set(delivery.id, structuredClone({ ...delivery, state: 'dead' }));
    this.#dead.set(delivery.id, keepUntilMs);
  }

  async getDelivery(id: string): Promise<WebhookDeliveryRecord | null> {
    this.assertOpen();
    if (!this.#liveDead(id) && !this.#queue.has(id)) return null;
    const d = this.#deliveries.get(id);
    return d ? structuredClone(d) : null;
  }

  async listDead(filter: { endpointId?: string | undefined }, page: PageRequest): Promise<Page<WebhookDeliveryRecord>> {
    const after = page.cursor === undefined ? undefined : decodeCursor(page.cursor);
    this.assertOpen();
    const ids = [...this.#dead.keys()].filter((id) => this.#liveDead(id)
      && (filter.endpointId === undefined || this.#deliveries.get(id)?.endpoint_id === filter.endpointId));
    return pageOf(ids, after, page.limit, (id) => this.#deliveries.get(id));
  }

  async redeliver(id: string, nowMs: number): Promise<WebhookDeliveryRecord | null> {
    this.assertOpen();
    const d = this.#liveDead(id) ? this.#deliveries.get(id) : undefined;
    if (!d) return null;
    const again: WebhookDeliveryRecord = { ...d, state: 'pending', attempts: 0, next_attempt_at: nowMs };
    this.#dead.delete(id);
    this.#deliveries.set(id, again);
    this.#queue.set(id, nowMs);
    return structuredClone(again);
  }

  async counts(): Promise<{ pending: number; dead: number }> {
    this.assertOpen();
    return { pending: this.#queue.size, dead: [...this.#dead.keys()].filter((id) => this.#liveDead(id)).length };
  }

  /** Whether `id` is a dead letter still kept; drops it once its retention has passed (as Redis expires it). */
  #liveDead(id: string): boolean {
    const until = this.#dead.get(id);
    if (until === undefined) return false;
    if (until > this.now()) return true;
    this.#dead.delete(id);
    this.#deliveries.delete(id);
    return false;
  }

  /** Drops dead letters past their retention; returns how many. */
  sweep(): number {
    let removed = 0;
    for (const id of [...this.#dead.keys()]) if (!this.#liveDead(id)) removed++;
    return removed;
  }
}

function pageOf<T>(ids: string[], after: string | undefined, limit: number, get: (id: string) => T | undefined): Page<T> {
  const sorted = ids.sort(compareIds).filter((id) => after === undefined || compareIds(id, after) > 0);
  const pageIds = sorted.slice(0, limit);
  const last = pageIds[pageIds.length - 1];
  return {
    items: pageIds.map((id) => get(id)).filter((x): x is T => x !== undefined).map((x) => structuredClone(x)),
    next_cursor: sorted.length > limit && last !== undefined ? encodeCursor(last) : null,
  };
}
