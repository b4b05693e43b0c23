/**
 * Webhook endpoints and the delivery queue in Redis. Layout (names in
 * keys.ts; every key carries the hash tag `{wh}`, so the queue's scripts,
 * which move a delivery between the queue and the dead-letter indexes, are
 * on one slot of a Cluster: webhook traffic is small):
 *   `whe:{wh}:<id>`            endpoint JSON
 *   `whe-ids:{wh}`             sorted set of endpoint ids (scores 0), for id-ordered paging
 *   `whd:{wh}:<id>`            delivery JSON; a dead letter's expires at the end of its retention
 *   `whd-q:{wh}`               sorted set of pending delivery ids, scored by when they may next be claimed
 *   `whd-dead:{wh}`            sorted set of dead-letter ids (scores 0: delivery ids sort by creation)
 *   `whd-dead:{wh}:<endpoint>` the same, per endpoint
 * The dead-letter indexes expire with the longest-kept dead letter they hold.
 * Every script gets all its keys in KEYS and touches the queue's own keys
 * only; ids of dead letters whose record has expired are forgotten by the
 * indexes lazily, a bounded number at a time, outside any script.
 */
import { decodeCursor, encodeCursor } from '../cursor.js';
import type { Page, PageRequest } from '../store.js';
import type { WebhookDeliveryRecord, WebhookEndpointRecord, WebhookRepository } from '../webhook-records.js';
import { guarded, type RedisClient } from './connection.js';
import { defineScript, type RedisContext } from './context.js';

// KEYS: endpoint, ids. ARGV: json, id.
const CREATE_ENDPOINT = `
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('SET', KEYS[1], ARGV[1])
redis.call('ZADD', KEYS[2], 0, ARGV[2])
return 1`;

// KEYS: queue. ARGV: now, limit, lease end. Claimed ids move to the end of their lease.
const CLAIM = `
local ids = redis.call('ZRANGE', KEYS[1], '-inf', ARGV[1], 'BYSCORE', 'LIMIT', 0, tonumber(ARGV[2]))
for _, id in ipairs(ids) do redis.call('ZADD', KEYS[1], 'XX', ARGV[3], id) end
return ids`;

// KEYS: queue, delivery. ARGV: id, json, due. Only a delivery still queued (not delivered, dead or gone meanwhile).
const RETRY = `
if not redis.call('ZSCORE', KEYS[1], ARGV[1]) or redis.call('EXISTS', KEYS[2]) == 0 then return 0 end
redis.call('SET', KEYS[2], ARGV[2])
redis.call('ZADD', KEYS[1], ARGV[3], ARGV[1])
return 1`;

// KEYS: queue, dead, dead of the endpoint, delivery. ARGV: id, json, keep until.
const DEAD_LETTER = `
redis.call('ZREM', KEYS[1], ARGV[1])
redis.call('SET', KEYS[4], ARGV[2], 'PXAT', ARGV[3])
redis.call('ZADD', KEYS[2], 0, ARGV[1])
redis.call('ZADD', KEYS[3], 0, ARGV[1])
-- The indexes live as long as the longest-kept dead letter they hold (never shortened).
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
for i = 2, 3 do
  local ttl = redis.call('PTTL', KEYS[i])
  if ttl < 0 or now + ttl < tonumber(ARGV[3]) then redis.call('PEXPIREAT', KEYS[i], ARGV[3]) end
end
return 1`;

// KEYS: queue, dead, dead of the endpoint, delivery. ARGV: id, json, due. Once only: the first caller takes it off the list.
const REDELIVER = `
if redis.call('ZREM', KEYS[2], ARGV[1]) == 0 then return 0 end
redis.call('ZREM', KEYS[3], ARGV[1])
if redis.call('EXISTS', KEYS[4]) == 0 then return 0 end
redis.call('SET', KEYS[4], ARGV[2])
redis.call('ZADD', KEYS[1], ARGV[3], ARGV[1])
return 1`;

/** How many of the oldest dead-letter ids one call checks for an expired record. */
const PRUNE_BATCH = 100;

interface Scripts {
  tesseraWebhookCreateEndpoint(endpoint: string, ids: string, json: string, id: string): Promise<number>;
  tesseraWebhookClaim(queue: string, now: string, limit: string, leaseEnd: string): Promise<string[]>;
  tesseraWebhookRetry(queue: string, delivery: string, id: string, json: string, due: string): Promise<number>;
  tesseraWebhookDeadLetter(queue: string, dead: string, deadOfEndpoint: string, delivery: string, id: string, json: string, keepUntil: string): Promise<number>;
  tesseraWebhookRedeliver(queue: string, dead: string, deadOfEndpoint: string, delivery: string, id: string, json: string, due: string): Promise<number>;
}

const parse = <T>(json: string | null): T | null => (json === null ? null : (JSON.parse(json) as T));

export class RedisWebhookRepository implements WebhookRepository {
  readonly #redis: RedisClient & Scripts;

  constructor(private readonly ctx: RedisContext) {
    defineScript(ctx, 'tesseraWebhookCreateEndpoint', 2, CREATE_ENDPOINT);
    defineScript(ctx, 'tesseraWebhookClaim', 1, CLAIM);
    defineScript(ctx, 'tesseraWebhookRetry', 2, RETRY);
    defineScript(ctx, 'tesseraWebhookDeadLetter', 4, DEAD_LETTER);
    defineScript(ctx, 'tesseraWebhookRedeliver', 4, REDELIVER);
    this.#redis = ctx.redis as RedisClient & Scripts;
  }

  #endpoint(id: string): string { return this.ctx.keys.webhookEndpoint(id); }
  get #endpointIds(): string { return this.ctx.keys.webhookEndpointIndex; }
  #delivery(id: string): string { return this.ctx.keys.webhookDelivery(id); }
  get #queue(): string { return this.ctx.keys.webhookQueue; }
  get #dead(): string { return this.ctx.keys.webhookDeadLetters; }
  #deadOf(endpointId: string): string { return this.ctx.keys.webhookDeadLettersOf(endpointId); }

  async createEndpoint(endpoint: WebhookEndpointRecord): Promise<boolean> {
    const ok = await guarded(() => this.#redis.tesseraWebhookCreateEndpoint(this.#endpoint(endpoint.id), this.#endpointIds, JSON.stringify(endpoint), endpoint.id));
    return ok === 1;
  }

  async getEndpoint(id: string): Promise<WebhookEndpointRecord | null> {
    return parse(await guarded(() => this.#redis.get(this.#endpoint(id))));
  }

  async replaceEndpoint(endpoint: WebhookEndpointRecord): Promise<boolean> {
    const ok = await guarded(() => this.#redis.set(this.#endpoint(endpoint.id), JSON.stringify(endpoint), 'XX'));
    return ok === 'OK';
  }

  async deleteEndpoint(id: string): Promise<boolean> {
    const replies = await guarded(() => this.#redis.multi().del(this.#endpoint(id)).zrem(this.#endpointIds, id).exec());
    return Number(replies?.[0]?.[1] ?? 0) === 1;
  }

  async listEndpoints(page: PageRequest): Promise<Page<WebhookEndpointRecord>> {
    return this.#lexPage(this.#endpointIds, page, (id) => this.#endpoint(id));
  }

  async countEndpoints(): Promise<number> {
    return guarded(() => this.#redis.zcard(this.#endpointIds));
  }

  async enqueue(deliveries: readonly WebhookDeliveryRecord[]): Promise<void> {
    if (deliveries.length === 0) return;
    const tx = this.#redis.multi();
    for (const d of deliveries) tx.set(this.#delivery(d.id), JSON.stringify(d)).zadd(this.#queue, d.next_attempt_at, d.id);
    await guarded(async () => {
      const replies = await tx.exec();
      const failed = replies?.find(([err]) => err);
      if (failed) throw failed[0];
    });
  }

  async claim(nowMs: number, limit: number, leaseMs: number): Promise<WebhookDeliveryRecord[]> {
    const ids = await guarded(() => this.#redis.tesseraWebhookClaim(this.#queue, String(nowMs), String(limit), String(nowMs + leaseMs)));
    if (ids.length === 0) return [];
    const records = await guarded(() => this.#redis.mget(ids.map((id) => this.#delivery(id))));
    const claimed: WebhookDeliveryRecord[] = [];
    const gone: string[] = [];
    ids.forEach((id, i) => {
      const d = parse<WebhookDeliveryRecord>(records[i] ?? null);
      if (d) claimed.push(d);
      else gone.push(id);
    });
    if (gone.length) await guarded(() => this.#redis.zrem(this.#queue, ...gone));
    return claimed;
  }

  async retry(delivery: WebhookDeliveryRecord): Promise<boolean> {
    const ok = await guarded(() => this.#redis.tesseraWebhookRetry(
      this.#queue, this.#delivery(delivery.id), delivery.id, JSON.stringify(delivery), String(delivery.next_attempt_at),
    ));
    return ok === 1;
  }

  async delivered(id: string): Promise<void> {
    await guarded(() => this.#redis.multi().zrem(this.#queue, id).del(this.#delivery(id)).exec());
  }

  async deadLetter(delivery: WebhookDeliveryRecord, keepUntilMs: number): Promise<void> {
    await guarded(() => this.#redis.tesseraWebhookDeadLetter(
      this.#queue, this.#dead, this.#deadOf(delivery.endpoint_id), this.#delivery(delivery.id),
      delivery.id, JSON.stringify({ ...delivery, state: 'dead' }), String(Math.ceil(keepUntilMs)),
    ));
  }

  async getDelivery(id: string): Promise<WebhookDeliveryRecord | null> {
    return parse(await guarded(() => this.#redis.get(this.#delivery(id))));
  }

  async listDead(filter: { endpointId?: string | undefined }, page: PageRequest): Promise<Page<WebhookDeliveryRecord>> {
    const index = filter.endpointId === undefined ? this.#dead : this.#deadOf(filter.endpointId);
    return this.#lexPage(index, page, (id) => this.#delivery(id), (gone) => this.#forgetDead(gone, index));
  }

  async redeliver(id: string, nowMs: number): Promise<WebhookDeliveryRecord | null> {
    const current = await this.getDelivery(id);
    if (!current || current.state !== 'dead') return null;
    const again: WebhookDeliveryRecord = { ...current, state: 'pending', attempts: 0, next_attempt_at: nowMs };
    const ok = await guarded(() => this.#redis.tesseraWebhookRedeliver(
      this.#queue, this.#dead, this.#deadOf(current.endpoint_id), this.#delivery(id), id, JSON.stringify(again), String(nowMs),
    ));
    return ok === 1 ? again : null;
  }

  async counts(): Promise<{ pending: number; dead: number }> {
    // The oldest dead letters expire first: forgetting those keeps the count close without a scan.
    const oldest = await guarded(() => this.#redis.zrange(this.#dead, 0, PRUNE_BATCH - 1));
    if (oldest.length) {
      const exists = await guarded(() => Promise.all(oldest.map((id) => this.#redis.exists(this.#delivery(id)))));
      await this.#forgetDead(oldest.filter((_, i) => exists[i] === 0));
    }
    const [pending, dead] = await guarded(() => Promise.all([this.#redis.zcard(this.#queue), this.#redis.zcard(this.#dead)]));
    return { pending, dead };
  }

  /**
   * Dead-letter ids whose record expired leave the global index and `also`
   * (the per-endpoint one being read). Their endpoint is no longer known
   * from the record, so a per-endpoint index forgets them when it is read.
   */
  async #forgetDead(ids: string[], also?: string): Promise<void> {
    if (ids.length === 0) return;
    const tx = this.#redis.multi().zrem(this.#dead, ...ids);
    if (also !== undefined && also !== this.#dead) tx.zrem(also, ...ids);
    await guarded(() => tx.exec());
  }

  async #lexPage<T>(index: string, page: PageRequest, key: (id: string) => string, onGone?: (ids: string[]) => Promise<void>): Promise<Page<T>> {
    const after = page.cursor === undefined ? undefined : decodeCursor(page.cursor);
    // '(' makes the bound exclusive; one id more than asked for tells whether another page exists.
    const ids = await guarded(() => this.#redis.zrange(index, after === undefined ? '-' : `(${after}`, '+', 'BYLEX', 'LIMIT', 0, page.limit + 1));
    const pageIds = ids.slice(0, page.limit);
    const values = pageIds.length ? await guarded(() => this.#redis.mget(pageIds.map(key))) : [];
    const items: T[] = [];
    const gone: string[] = [];
    pageIds.forEach((id, i) => {
      const v = parse<T>(values[i] ?? null);
      if (v) items.push(v);
      else gone.push(id);
    });
    if (gone.length && onGone) await onGone(gone);
    const last = pageIds[pageIds.length - 1];
    return { items, next_cursor: ids.length > page.limit && last !== undefined ? encodeCursor(last) : null };
  }
}
