/**
 * Clients in Redis (names in keys.ts):
 *   `client:<id>`  string, the record as JSON
 *   `clients`      sorted set of ids, all scores 0, so ZRANGE BYLEX pages
 *                  through them in id (UTF-8 byte) order
 * The record and the index are in different slots on a Cluster, so they are
 * written one after the other, in the order that never lists a missing
 * client as present: the index entry before the record on create, after it
 * on delete. A listing skips an id whose record is gone; an index entry left
 * by a crash between the two steps is skipped the same way and removed by
 * the next delete of that id.
 *
 * Reads go through an in-process cache (record-cache.ts); every change
 * publishes the client's id on `clients:changed` in the same MULTI as the
 * write, so every instance drops its copy at once. A cached record is
 * parsed once and copied for each read (parsed-records.ts).
 */
import type { ClientRecord, ClientRepository, Page, PageRequest } from '../store.js';
import { guarded, type RedisClient } from './connection.js';
import type { RedisContext } from './context.js';
import { announcedAfter, announcedWrite, RecordCache } from './record-cache.js';
import { pageByLex } from './paging.js';
import { defineJsonFieldSwap, swapJsonField } from './json-field.js';
import { ParsedRecords } from './parsed-records.js';

/** Default of TESSERA_CLIENT_CACHE_TTL, ms. */
export const DEFAULT_CLIENT_CACHE_TTL_MS = 30_000;

export class RedisClientRepository implements ClientRepository {
  readonly cache: RecordCache;
  readonly #parsed = new ParsedRecords<ClientRecord>(10_000);

  constructor(private readonly ctx: RedisContext, cacheTtlMs = DEFAULT_CLIENT_CACHE_TTL_MS) {
    defineJsonFieldSwap(ctx);
    this.cache = new RecordCache(ctx.redis, ctx.keys.clientsChannel, cacheTtlMs, 'client-changes');
  }

  /** A durable write of the record with the announcement of the change (record-cache.ts). */
  #announced<T>(clientId: string, write: (tx: ReturnType<RedisClient['multi']>) => void): Promise<T> {
    return announcedWrite<T>(this.ctx, this.cache, clientId, this.#record(clientId), write);
  }

  #record(clientId: string): string {
    return this.ctx.keys.client(clientId);
  }

  async create(client: ClientRecord): Promise<boolean> {
    const id = client.client_id;
    const key = this.#record(id);
    await guarded(() => this.ctx.redis.zadd(this.ctx.keys.clientIndex, 0, id));
    // NX: nil when the id is taken; the index entry was there already for the existing client.
    const created = await this.ctx.durable.write(key, (c) => c.set(key, JSON.stringify(client), 'NX'));
    return created === 'OK';
  }

  async replace(client: ClientRecord): Promise<boolean> {
    // XX: only when it exists, so a replace racing a delete never resurrects the client.
    const key = this.#record(client.client_id);
    const answer = await this.#announced<string | null>(client.client_id, (tx) => tx.set(key, JSON.stringify(client), 'XX'));
    return answer === 'OK';
  }

  get(clientId: string): Promise<ClientRecord | null> {
    // A cached record (the token and introspection endpoints read one or two
    // per request) is answered with no async step of its own.
    const hit = this.cache.peek(clientId);
    if (hit !== undefined) {
      try {
        return Promise.resolve(this.#parsed.read(clientId, hit));
      } catch (err) {
        return Promise.reject(err);
      }
    }
    return this.cache.get(clientId, () => guarded(() => this.ctx.redis.get(this.#record(clientId)))).then((json) => this.#parsed.read(clientId, json));
  }

  cached(clientId: string): ClientRecord | null | undefined {
    return this.#parsed.peeked(this.cache, clientId, clientId);
  }

  list(page: PageRequest): Promise<Page<ClientRecord>> {
    return pageByLex<ClientRecord>(this.ctx.redis, this.ctx.keys.clientIndex, (id) => this.#record(id), page);
  }

  replaceSecretHash(clientId: string, expected: string, next: string): Promise<boolean> {
    // Announced after the swap (a script of its own): the other instances re-read the record.
    return announcedAfter(this.ctx, this.cache, clientId, this.#record(clientId),
      () => swapJsonField(this.ctx, this.#record(clientId), 'secret_hash', expected, next), (swapped) => swapped);
  }

  async delete(clientId: string): Promise<boolean> {
    const key = this.#record(clientId);
    const removed = await this.#announced<number>(clientId, (tx) => tx.del(key));
    // Also when the record was already gone, so a stray index entry heals.
    await guarded(() => this.ctx.redis.zrem(this.ctx.keys.clientIndex, clientId));
    return removed === 1;
  }
}
