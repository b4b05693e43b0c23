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
 */
import type { ClientRecord, ClientRepository, Page, PageRequest } from '../store.js';
import { guarded } from './connection.js';
import type { RedisContext } from './context.js';
import { pageByLex } from './paging.js';
import { defineJsonFieldSwap, swapJsonField } from './json-field.js';

export class RedisClientRepository implements ClientRepository {
  constructor(private readonly ctx: RedisContext) {
    defineJsonFieldSwap(ctx);
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
    const answer = await this.ctx.durable.write(key, (c) => c.set(key, JSON.stringify(client), 'XX'));
    return answer === 'OK';
  }

  async get(clientId: string): Promise<ClientRecord | null> {
    const json = await guarded(() => this.ctx.redis.get(this.#record(clientId)));
    return json === null ? null : (JSON.parse(json) as ClientRecord);
  }

  list(page: PageRequest): Promise<Page<ClientRecord>> {
    return pageByLex<ClientRecord>(this.ctx.redis, this.ctx.keys.clientIndex, (id) => this.#record(id), page);
  }

  async replaceSecretHash(clientId: string, expected: string, next: string): Promise<boolean> {
    return swapJsonField(this.ctx, this.#record(clientId), 'secret_hash', expected, next);
  }

  async delete(clientId: string): Promise<boolean> {
    const key = this.#record(clientId);
    const removed = await this.ctx.durable.write(key, (c) => c.del(key));
    // Also when the record was already gone, so a stray index entry heals.
    await guarded(() => this.ctx.redis.zrem(this.ctx.keys.clientIndex, clientId));
    return removed === 1;
  }
}
