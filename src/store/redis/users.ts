/**
 * Users and roles in Redis (names in keys.ts):
 *   `user:<id>`   the record as JSON
 *   `usernames`   hash username -> id: the unique index (a claim on a name)
 *   `users`       sorted set of ids, scores 0, for id-ordered paging
 *   `roles`       hash name -> role JSON (roles are few)
 * The record, the claim and the id index are in different slots on a
 * Cluster, so they are separate steps, in an order that keeps usernames
 * unique whatever interleaves or crashes:
 * - the record is written first (and listed), then its name is claimed
 *   (HSETNX); a create that loses the claim to another user removes its
 *   record again;
 * - a claim counts only while its owner's record exists and has that
 *   username: getByUsername checks the record, and a claim whose owner's
 *   record says otherwise (left by a crash between two steps) is taken over
 *   by the next user who asks for the name (compare-and-set, so two racing
 *   takeovers cannot both win);
 * - renames claim the new name before releasing the old one, deletes
 *   release the claim after the record is gone.
 *
 * Users and roles are read through an in-process cache (record-cache.ts),
 * so that a refresh-token rotation does not read its user and the user's
 * roles from Redis each time: every change of a user record (disable, roles,
 * tokens revoked, password, rename, delete) publishes `u:<id>`, and every
 * change of a role `r:<name>`, on `users:changed` with the write, and every
 * instance drops its copy when the message arrives. Writes read the record
 * they change from Redis, never from the cache. A record read is parsed
 * once and copied for each read (parsed-records.ts), like a client's.
 */
import { compareIds } from '../cursor.js';
import type { Page, PageRequest, RoleRecord, RoleRepository, UserRecord, UserRepository } from '../store.js';
import { guarded, type RedisClient } from './connection.js';
import { announcedAfter, announcedWrite, type RecordCache } from './record-cache.js';
import { defineScript, type RedisContext } from './context.js';
import { pageByLex } from './paging.js';
import { ParsedRecords } from './parsed-records.js';
import { defineJsonFieldSwap, swapJsonField } from './json-field.js';

// KEYS: usernames. ARGV: name, id. Releases the name only if this user holds it.
const RELEASE = `
if redis.call('HGET', KEYS[1], ARGV[1]) == ARGV[2] then return redis.call('HDEL', KEYS[1], ARGV[1]) end
return 0`;

// KEYS: usernames. ARGV: name, the owner found stale, new id. Takes the name only if the stale owner still holds it.
const TAKE_OVER = `
if redis.call('HGET', KEYS[1], ARGV[1]) ~= ARGV[2] then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[3])
return 1`;

interface UserScripts {
  tesseraReleaseUsername(names: string, name: string, id: string): Promise<number>;
  tesseraTakeOverUsername(names: string, name: string, staleOwner: string, id: string): Promise<number>;
}

/** Attempts at claiming a name whose claim keeps changing hands under us. */
const CLAIM_ATTEMPTS = 5;

/** Default of TESSERA_USER_CACHE_TTL, ms. */
export const DEFAULT_USER_CACHE_TTL_MS = 30_000;

/** A user's and a role's key in the cache and in the announcements of their changes. */
const userEntry = (id: string): string => `u:${id}`;
const roleEntry = (name: string): string => `r:${name}`;

export class RedisUserRepository implements UserRepository {
  readonly #redis: RedisClient & UserScripts;
  readonly #parsed = new ParsedRecords<UserRecord>(10_000);

  constructor(private readonly ctx: RedisContext, readonly cache: RecordCache) {
    defineScript(ctx, 'tesseraReleaseUsername', 1, RELEASE);
    defineScript(ctx, 'tesseraTakeOverUsername', 1, TAKE_OVER);
    defineJsonFieldSwap(ctx);
    this.#redis = ctx.redis as RedisClient & UserScripts;
  }

  #record(id: string): string { return this.ctx.keys.user(id); }

  async create(user: UserRecord): Promise<'created' | 'id_taken' | 'username_taken'> {
    const key = this.#record(user.id);
    const written = await this.ctx.durable.write(key, (c) => c.set(key, JSON.stringify(user), 'NX'));
    if (written !== 'OK') return 'id_taken';
    // Listed before the claim: a create cut short by an outage leaves a user an admin can see and fix.
    await guarded(() => this.ctx.redis.zadd(this.ctx.keys.userIndex, 0, user.id));
    if (!(await this.#claim(user.username, user.id))) {
      // Announced: another instance may have read the record meanwhile.
      await announcedWrite(this.ctx, this.cache, userEntry(user.id), key, (tx) => tx.del(key));
      await guarded(() => this.ctx.redis.zrem(this.ctx.keys.userIndex, user.id));
      return 'username_taken';
    }
    return 'created';
  }

  async replace(user: UserRecord): Promise<'replaced' | 'missing' | 'username_taken'> {
    const current = await this.#load(user.id);
    if (!current) return 'missing';
    const renamed = current.username !== user.username;
    if (renamed && !(await this.#claim(user.username, user.id))) return 'username_taken';
    const key = this.#record(user.id);
    // XX: a replace racing a delete never resurrects the user.
    const written = await announcedWrite<string | null>(this.ctx, this.cache, userEntry(user.id), key, (tx) => tx.set(key, JSON.stringify(user), 'XX'));
    if (written !== 'OK') {
      if (renamed) await this.#release(user.username, user.id);
      return 'missing';
    }
    if (renamed) await this.#release(current.username, user.id);
    return 'replaced';
  }

  get(id: string): Promise<UserRecord | null> {
    // A cached record (a refresh reads its user) is answered with no async step of its own, like a client's.
    const hit = this.cached(id);
    if (hit !== undefined) return Promise.resolve(hit);
    return this.cache.get(userEntry(id), () => guarded(() => this.ctx.redis.get(this.#record(id)))).then((json) => this.#parsed.read(id, json));
  }

  cached(id: string): UserRecord | undefined {
    return this.#parsed.peeked(this.cache, userEntry(id), id);
  }

  /** From Redis, not the cache: what a write decides on. */
  async #load(id: string): Promise<UserRecord | null> {
    const json = await guarded(() => this.ctx.redis.get(this.#record(id)));
    return json === null ? null : (JSON.parse(json) as UserRecord);
  }

  async getByUsername(username: string): Promise<UserRecord | null> {
    const id = await guarded(() => this.ctx.redis.hget(this.ctx.keys.usernames, username));
    if (id === null) return null;
    const user = await this.get(id);
    // A claim whose owner was renamed or deleted by a half-finished step names nobody.
    return user?.username === username ? user : null;
  }

  list(page: PageRequest): Promise<Page<UserRecord>> {
    return pageByLex<UserRecord>(this.ctx.redis, this.ctx.keys.userIndex, (id) => this.#record(id), page);
  }

  async delete(id: string): Promise<boolean> {
    const current = await this.#load(id);
    const key = this.#record(id);
    const removed = await announcedWrite<number>(this.ctx, this.cache, userEntry(id), key, (tx) => tx.del(key));
    // Also when the record was already gone, so a stray index entry heals.
    await guarded(() => this.ctx.redis.zrem(this.ctx.keys.userIndex, id));
    if (current) await this.#release(current.username, id);
    return removed === 1;
  }

  /** Claims `name` for `id`; false when another existing user has it. */
  async #claim(name: string, id: string): Promise<boolean> {
    const names = this.ctx.keys.usernames;
    for (let attempt = 0; attempt < CLAIM_ATTEMPTS; attempt++) {
      if ((await guarded(() => this.ctx.redis.hsetnx(names, name, id))) === 1) return true;
      const owner = await guarded(() => this.ctx.redis.hget(names, name));
      if (owner === id) return true;
      if (owner === null) continue;
      const holder = await this.#load(owner);
      if (holder?.username === name) return false;
      if ((await guarded(() => this.#redis.tesseraTakeOverUsername(names, name, owner, id))) === 1) return true;
    }
    return false;
  }

  async #release(name: string, id: string): Promise<void> {
    await guarded(() => this.#redis.tesseraReleaseUsername(this.ctx.keys.usernames, name, id));
  }

  replacePasswordHash(id: string, expected: string, next: string): Promise<boolean> {
    return announcedAfter(this.ctx, this.cache, userEntry(id), this.#record(id),
      () => swapJsonField(this.ctx, this.#record(id), 'password_hash', expected, next), (swapped) => swapped);
  }
}

export class RedisRoleRepository implements RoleRepository {
  readonly #parsed = new ParsedRecords<RoleRecord>(10_000);

  constructor(private readonly ctx: RedisContext, readonly cache: RecordCache) {}

  get #key(): string { return this.ctx.keys.roles; }

  async put(role: RoleRecord): Promise<'created' | 'updated'> {
    const added = await announcedWrite<number>(this.ctx, this.cache, roleEntry(role.name), this.#key, (tx) => tx.hset(this.#key, role.name, JSON.stringify(role)));
    return added === 1 ? 'created' : 'updated';
  }

  async get(name: string): Promise<RoleRecord | null> {
    return this.#parsed.read(name, await this.cache.get(roleEntry(name), () => guarded(() => this.ctx.redis.hget(this.#key, name))));
  }

  cachedMany(names: readonly string[]): RoleRecord[] | undefined {
    const out: RoleRecord[] = [];
    for (const name of names) {
      const role = this.#parsed.peeked(this.cache, roleEntry(name), name);
      if (role === undefined) return undefined;
      out.push(role);
    }
    return out;
  }

  /** The roles that exist among `names`, in their order: cached ones from the cache, the others by one HMGET. */
  async getMany(names: readonly string[]): Promise<RoleRecord[]> {
    if (names.length === 0) return [];
    const jsons: Array<string | null | undefined> = names.map((n) => this.cache.peek(roleEntry(n)));
    const missing = names.filter((_, i) => jsons[i] === undefined);
    if (missing.length) {
      const generation = this.cache.generation;
      const read = await guarded(() => this.ctx.redis.hmget(this.#key, ...missing));
      let at = 0;
      for (let i = 0; i < names.length; i++) {
        if (jsons[i] !== undefined) continue;
        const json = read[at++] ?? null;
        jsons[i] = json;
        if (json !== null) this.cache.fill(roleEntry(names[i]!), json, generation);
      }
    }
    const out: RoleRecord[] = [];
    for (let i = 0; i < names.length; i++) {
      const role = this.#parsed.read(names[i]!, jsons[i] ?? null);
      if (role) out.push(role);
    }
    return out;
  }

  async list(): Promise<RoleRecord[]> {
    const all = await guarded(() => this.ctx.redis.hvals(this.#key));
    return all.map((j) => JSON.parse(j) as RoleRecord).sort((a, b) => compareIds(a.name, b.name));
  }

  async delete(name: string): Promise<boolean> {
    return (await announcedWrite<number>(this.ctx, this.cache, roleEntry(name), this.#key, (tx) => tx.hdel(this.#key, name))) === 1;
  }
}
