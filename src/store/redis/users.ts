/**
 * Users and roles in Redis. Layout (under the store's prefix):
 *   `user:${id}`   the record as JSON
 *   `usernames`    hash username → id (the unique index)
 *   `users`        sorted set of ids, scores 0, for id-ordered paging
 *   `roles`        hash name → role JSON (roles are few)
 * A record and its index entries change together in one Lua script, so the
 * index never disagrees with the records.
 */
import type { Redis } from 'ioredis';
import { compareIds } from '../cursor.js';
import type { Page, PageRequest, RoleRecord, RoleRepository, UserRecord, UserRepository } from '../store.js';
import { guarded } from './connection.js';
import { pageByLex } from './paging.js';
import { defineJsonFieldSwap, swapJsonField } from './json-field.js';

// KEYS: record, usernames, users. ARGV: json, id, username.
const CREATE = `
if redis.call('EXISTS', KEYS[1]) == 1 then return 'id_taken' end
if redis.call('HEXISTS', KEYS[2], ARGV[3]) == 1 then return 'username_taken' end
redis.call('SET', KEYS[1], ARGV[1])
redis.call('HSET', KEYS[2], ARGV[3], ARGV[2])
redis.call('ZADD', KEYS[3], 0, ARGV[2])
return 'created'`;

// KEYS: record, usernames. ARGV: json, id, username. A changed username moves its index entry.
const REPLACE = `
local current = redis.call('GET', KEYS[1])
if not current then return 'missing' end
local old = cjson.decode(current).username
if old ~= ARGV[3] then
  local owner = redis.call('HGET', KEYS[2], ARGV[3])
  if owner and owner ~= ARGV[2] then return 'username_taken' end
  if redis.call('HGET', KEYS[2], old) == ARGV[2] then redis.call('HDEL', KEYS[2], old) end
  redis.call('HSET', KEYS[2], ARGV[3], ARGV[2])
end
redis.call('SET', KEYS[1], ARGV[1])
return 'replaced'`;

// KEYS: record, usernames, users. ARGV: id.
const DELETE = `
local current = redis.call('GET', KEYS[1])
redis.call('ZREM', KEYS[3], ARGV[1])
if not current then return 0 end
local name = cjson.decode(current).username
if redis.call('HGET', KEYS[2], name) == ARGV[1] then redis.call('HDEL', KEYS[2], name) end
redis.call('DEL', KEYS[1])
return 1`;

interface UserScripts {
  tesseraCreateUser(record: string, names: string, ids: string, json: string, id: string, username: string): Promise<string>;
  tesseraReplaceUser(record: string, names: string, json: string, id: string, username: string): Promise<string>;
  tesseraDeleteUser(record: string, names: string, ids: string, id: string): Promise<number>;
}

export class RedisUserRepository implements UserRepository {
  readonly #redis: Redis & UserScripts;

  constructor(redis: Redis, private readonly prefix: string) {
    redis.defineCommand('tesseraCreateUser', { numberOfKeys: 3, lua: CREATE });
    redis.defineCommand('tesseraReplaceUser', { numberOfKeys: 2, lua: REPLACE });
    redis.defineCommand('tesseraDeleteUser', { numberOfKeys: 3, lua: DELETE });
    defineJsonFieldSwap(redis);
    this.#redis = redis as Redis & UserScripts;
  }

  #record(id: string): string { return `${this.prefix}user:${id}`; }
  get #names(): string { return `${this.prefix}usernames`; }
  get #ids(): string { return `${this.prefix}users`; }

  async create(user: UserRecord): Promise<'created' | 'id_taken' | 'username_taken'> {
    return (await guarded(() =>
      this.#redis.tesseraCreateUser(this.#record(user.id), this.#names, this.#ids, JSON.stringify(user), user.id, user.username),
    )) as 'created' | 'id_taken' | 'username_taken';
  }

  async replace(user: UserRecord): Promise<'replaced' | 'missing' | 'username_taken'> {
    return (await guarded(() =>
      this.#redis.tesseraReplaceUser(this.#record(user.id), this.#names, JSON.stringify(user), user.id, user.username),
    )) as 'replaced' | 'missing' | 'username_taken';
  }

  async get(id: string): Promise<UserRecord | null> {
    const json = await guarded(() => this.#redis.get(this.#record(id)));
    return json === null ? null : (JSON.parse(json) as UserRecord);
  }

  async getByUsername(username: string): Promise<UserRecord | null> {
    const id = await guarded(() => this.#redis.hget(this.#names, username));
    return id === null ? null : this.get(id);
  }

  list(page: PageRequest): Promise<Page<UserRecord>> {
    return pageByLex<UserRecord>(this.#redis, this.#ids, (id) => this.#record(id), page);
  }

  async delete(id: string): Promise<boolean> {
    return (await guarded(() => this.#redis.tesseraDeleteUser(this.#record(id), this.#names, this.#ids, id))) === 1;
  }

  async replacePasswordHash(id: string, expected: string, next: string): Promise<boolean> {
    return swapJsonField(this.#redis, this.#record(id), 'password_hash', expected, next);
  }
}

export class RedisRoleRepository implements RoleRepository {
  constructor(private readonly redis: Redis, private readonly prefix: string) {}

  get #key(): string { return `${this.prefix}roles`; }

  async put(role: RoleRecord): Promise<'created' | 'updated'> {
    const added = await guarded(() => this.redis.hset(this.#key, role.name, JSON.stringify(role)));
    return added === 1 ? 'created' : 'updated';
  }

  async get(name: string): Promise<RoleRecord | null> {
    const json = await guarded(() => this.redis.hget(this.#key, name));
    return json === null ? null : (JSON.parse(json) as RoleRecord);
  }

  async getMany(names: readonly string[]): Promise<RoleRecord[]> {
    if (names.length === 0) return [];
    const jsons = await guarded(() => this.redis.hmget(this.#key, ...names));
    return jsons.filter((j): j is string => j !== null).map((j) => JSON.parse(j) as RoleRecord);
  }

  async list(): Promise<RoleRecord[]> {
    const all = await guarded(() => this.redis.hvals(this.#key));
    return all.map((j) => JSON.parse(j) as RoleRecord).sort((a, b) => compareIds(a.name, b.name));
  }

  async delete(name: string): Promise<boolean> {
    return (await guarded(() => this.redis.hdel(this.#key, name))) === 1;
  }
}
