/**
 * Clients in Redis. Layout (every key under the store's prefix):
 *   `${prefix}client:${id}`  string, the record as JSON
 *   `${prefix}clients`       sorted set of ids, all scores 0, so ZRANGE BYLEX
 *                            pages through them in id (UTF-8 byte) order
 * The record and its index entry are written and removed together by Lua
 * scripts, so a listing never shows a missing client or misses a present one.
 */
import type { Redis } from 'ioredis';
import type { ClientRecord, ClientRepository, Page, PageRequest } from '../store.js';
import { guarded } from './connection.js';
import { pageByLex } from './paging.js';
import { defineJsonFieldSwap, swapJsonField } from './json-field.js';

// KEYS[1] the record, KEYS[2] the index; ARGV[1] the JSON, ARGV[2] the id.
// SET NX answers nil (false in Lua) when the id is taken; then nothing is written.
const CREATE_CLIENT_LUA = `
if redis.call('SET', KEYS[1], ARGV[1], 'NX') then
  redis.call('ZADD', KEYS[2], 0, ARGV[2])
  return 1
end
return 0`;

// KEYS[1] the record, KEYS[2] the index; ARGV[1] the id. ZREM runs even when
// the record is gone, so a stray index entry (left by hand-editing) heals.
const DELETE_CLIENT_LUA = `
local removed = redis.call('DEL', KEYS[1])
redis.call('ZREM', KEYS[2], ARGV[1])
return removed`;

/** The connection with the scripts registered (defineCommand: EVALSHA, falling back to EVAL on NOSCRIPT). */
interface ClientScripts {
  tesseraCreateClient(recordKey: string, indexKey: string, json: string, id: string): Promise<number>;
  tesseraDeleteClient(recordKey: string, indexKey: string, id: string): Promise<number>;
}

export class RedisClientRepository implements ClientRepository {
  readonly #redis: Redis & ClientScripts;
  readonly #indexKey: string;

  constructor(
    redis: Redis,
    private readonly prefix: string,
  ) {
    redis.defineCommand('tesseraCreateClient', { numberOfKeys: 2, lua: CREATE_CLIENT_LUA });
    redis.defineCommand('tesseraDeleteClient', { numberOfKeys: 2, lua: DELETE_CLIENT_LUA });
    defineJsonFieldSwap(redis);
    this.#redis = redis as Redis & ClientScripts;
    this.#indexKey = `${prefix}clients`;
  }

  #recordKey(clientId: string): string {
    return `${this.prefix}client:${clientId}`;
  }

  async create(client: ClientRecord): Promise<boolean> {
    const id = client.client_id;
    const created = await guarded(() =>
      this.#redis.tesseraCreateClient(this.#recordKey(id), this.#indexKey, JSON.stringify(client), id),
    );
    return created === 1;
  }

  async replace(client: ClientRecord): Promise<boolean> {
    // XX: only when it exists, so a replace racing a delete never resurrects the client.
    const answer = await guarded(() => this.#redis.set(this.#recordKey(client.client_id), JSON.stringify(client), 'XX'));
    return answer === 'OK';
  }

  async get(clientId: string): Promise<ClientRecord | null> {
    const json = await guarded(() => this.#redis.get(this.#recordKey(clientId)));
    return json === null ? null : parseRecord(json);
  }

  list(page: PageRequest): Promise<Page<ClientRecord>> {
    return pageByLex<ClientRecord>(this.#redis, this.#indexKey, (id) => this.#recordKey(id), page);
  }

  async replaceSecretHash(clientId: string, expected: string, next: string): Promise<boolean> {
    return swapJsonField(this.#redis, this.#recordKey(clientId), 'secret_hash', expected, next);
  }

  async delete(clientId: string): Promise<boolean> {
    const removed = await guarded(() => this.#redis.tesseraDeleteClient(this.#recordKey(clientId), this.#indexKey, clientId));
    return removed === 1;
  }
}

function parseRecord(json: string): ClientRecord {
  return JSON.parse(json) as ClientRecord;
}
