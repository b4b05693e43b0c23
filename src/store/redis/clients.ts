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
 * Reads go through an in-process cache (client-cache.ts); every change
 * publishes the client's id on `clients:changed` in the same MULTI as the
 * write, so every instance drops its copy at once.
 */
import type { ClientRecord, ClientRepository, Page, PageRequest } from '../store.js';
import { guarded, repliesOf, type RedisClient } from './connection.js';
import type { RedisContext } from './context.js';
import { ClientCache } from './client-cache.js';
import { pageByLex } from './paging.js';
import { defineJsonFieldSwap, swapJsonField } from './json-field.js';

/** Default of TESSERA_CLIENT_CACHE_TTL, ms. */
export const DEFAULT_CLIENT_CACHE_TTL_MS = 30_000;

export class RedisClientRepository implements ClientRepository {
  readonly cache: ClientCache;

  constructor(private readonly ctx: RedisContext, cacheTtlMs = DEFAULT_CLIENT_CACHE_TTL_MS) {
    defineJsonFieldSwap(ctx);
    this.cache = new ClientCache(ctx.redis, ctx.keys.clientsChannel, cacheTtlMs);
  }

  /**
   * A durable write of the record with the announcement of the change in the
   * same MULTI (the PUBLISH has no key, so on a Cluster the transaction goes
   * to the record's node and Redis spreads the message to every node). The
   * copy here is dropped before and after, so this instance never serves
   * the old record once the write is acknowledged.
   */
  async #announced<T>(clientId: string, write: (tx: ReturnType<RedisClient['multi']>) => void): Promise<T> {
    const key = this.#record(clientId);
    this.cache.invalidate(clientId);
    try {
      const replies = await this.ctx.durable.write(key, async (c) => {
        const tx = c.multi();
        write(tx);
        return repliesOf(await tx.publish(this.ctx.keys.clientsChannel, clientId).exec());
      });
      return replies[0] as T;
    } finally {
      this.cache.invalidate(clientId);
    }
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
    return this.cache.get(clientId, () => guarded(() => this.ctx.redis.get(this.#record(clientId))));
  }

  list(page: PageRequest): Promise<Page<ClientRecord>> {
    return pageByLex<ClientRecord>(this.ctx.redis, this.ctx.keys.clientIndex, (id) => this.#record(id), page);
  }

  async replaceSecretHash(clientId: string, expected: string, next: string): Promise<boolean> {
    this.cache.invalidate(clientId);
    try {
      const swapped = await swapJsonField(this.ctx, this.#record(clientId), 'secret_hash', expected, next);
      // Announced after the swap (a script of its own): the other instances re-read the record.
      if (swapped) await this.ctx.durable.write(this.#record(clientId), (c) => c.publish(this.ctx.keys.clientsChannel, clientId));
      return swapped;
    } finally {
      this.cache.invalidate(clientId);
    }
  }

  async delete(clientId: string): Promise<boolean> {
    const key = this.#record(clientId);
    const removed = await this.#announced<number>(clientId, (tx) => tx.del(key));
    // Also when the record was already gone, so a stray index entry heals.
    await guarded(() => this.ctx.redis.zrem(this.ctx.keys.clientIndex, clientId));
    return removed === 1;
  }
}
