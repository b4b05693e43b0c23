/**
 * API tokens in Redis (names in keys.ts):
 *   `tsp:<id>`         hash {j: record JSON, c: created (ms), lu: last used (ms), li: last IP}; PEXPIREAT purge_at
 *   `tsp-h:<hash>`     token id, for the current or previous secret with that SHA-256; PEXPIREAT purge_at
 *   `tsp-ids`          sorted set of every id (scores 0) for id-ordered paging
 *   `tsp-u:<user>`     the same, per owner
 *   `tsp-purge`        sorted set "id user" scored by purge time, so the indexes above forget purged ids
 *   `tsp-exp`          sorted set of the ids not revoked, scored by expiry (ZCOUNT for the expiring-soon gauge)
 *   `tsp-k:<parent>`   set of the ids created through that token; expires with the last of them
 *
 * The record is the truth; every other key is an index, in a slot of its
 * own on a Cluster, written in a separate step and checked against the
 * record when read: a secret-hash entry counts only if the record it names
 * has that hash as its current or previous secret, and a listing skips ids
 * whose record is gone. So an index entry left behind by a crash or an
 * outage between two steps can never make a token work or show a wrong one.
 * Changes to the record are compare-and-set on its version, in one script
 * on its one key. Usage (lu/li) lives beside the JSON so that recording a
 * use is one HSET and never races a rotation or revocation.
 *
 * Finding a token by its secret takes two reads (the hash entry, then the
 * record): the record's key cannot be derived from the secret, and a script
 * may not build it from what it read.
 */
import { decodeCursor, encodeCursor } from '../cursor.js';
import type { ApiTokenCensus, ApiTokenRecord, ApiTokenRepository } from '../api-token-records.js';
import type { Page, PageRequest } from '../store.js';
import { guarded, type RedisClient } from './connection.js';
import { defineScript, type RedisContext } from './context.js';

// KEYS: record. ARGV: json, purge at, created at. Only a new id.
const CREATE = `
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], 'j', ARGV[1], 'c', ARGV[3])
redis.call('PEXPIREAT', KEYS[1], ARGV[2])
return 1`;

// KEYS: record. ARGV: expected version, json, purge at.
const UPDATE = `
local j = redis.call('HGET', KEYS[1], 'j')
if not j then return 'missing' end
if tostring(cjson.decode(j).version) ~= ARGV[1] then return 'conflict' end
redis.call('HSET', KEYS[1], 'j', ARGV[2])
redis.call('PEXPIREAT', KEYS[1], ARGV[3])
return 'updated'`;

// KEYS: record. ARGV: at, ip. Only an existing record: HSET alone would recreate a purged one with no expiry.
const TOUCH = `
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('HSET', KEYS[1], 'lu', ARGV[1], 'li', ARGV[2])
return 1`;

// KEYS: a parent's children. ARGV: child id, the child's purge at, now. The set lives as long as its longest-kept child.
const ADD_CHILD = `
redis.call('SADD', KEYS[1], ARGV[1])
local left = redis.call('PTTL', KEYS[1])
if left < 0 or tonumber(ARGV[3]) + left < tonumber(ARGV[2]) then redis.call('PEXPIREAT', KEYS[1], ARGV[2]) end
return 1`;

// KEYS: secret-hash entry. ARGV: id. Deletes it only while it still names this token.
const DROP_HASH = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`;

interface Scripts {
  tesseraCreateApiToken(record: string, json: string, purgeAt: string, createdAt: string): Promise<number>;
  tesseraUpdateApiToken(record: string, version: string, json: string, purgeAt: string): Promise<string>;
  tesseraTouchApiToken(record: string, at: string, ip: string): Promise<number>;
  tesseraDropApiTokenHash(entry: string, id: string): Promise<number>;
  tesseraAddApiTokenChild(children: string, id: string, purgeAt: string, now: string): Promise<number>;
}

/** Purged ids removed from the indexes per create (bounded work per call). */
const PURGE_BATCH = 100;
/** Active ids read per round trip by census(). */
const CENSUS_BATCH = 1000;

function fromHash([j, lu, li]: Array<string | null>): ApiTokenRecord | null {
  if (!j) return null;
  const record = JSON.parse(j) as ApiTokenRecord;
  record.last_used_at = lu ? Number(lu) : null;
  record.last_used_ip = li ?? null;
  return record;
}

export class RedisApiTokenRepository implements ApiTokenRepository {
  readonly #redis: RedisClient & Scripts;

  constructor(private readonly ctx: RedisContext) {
    defineScript(ctx, 'tesseraCreateApiToken', 1, CREATE);
    defineScript(ctx, 'tesseraUpdateApiToken', 1, UPDATE);
    defineScript(ctx, 'tesseraTouchApiToken', 1, TOUCH);
    defineScript(ctx, 'tesseraDropApiTokenHash', 1, DROP_HASH);
    defineScript(ctx, 'tesseraAddApiTokenChild', 1, ADD_CHILD);
    this.#redis = ctx.redis as RedisClient & Scripts;
  }

  get #k() { return this.ctx.keys; }

  /** The stored JSON leaves out what touch() owns. */
  #json(r: ApiTokenRecord): string {
    const { last_used_at: _at, last_used_ip: _ip, ...rest } = r;
    return JSON.stringify(rest);
  }

  async create(token: ApiTokenRecord, nowMs: number): Promise<boolean> {
    const purgeAt = String(Math.ceil(token.purge_at));
    const entry = this.#k.apiTokenSecret(token.secret_hash);
    // The secret's entry first (NX: a hash is never shared), then the record: the entry alone finds nothing.
    const indexed = await guarded(() => this.ctx.redis.set(entry, token.id, 'PXAT', purgeAt, 'NX'));
    if (indexed !== 'OK') return false;
    if (token.parent_id) {
      // Listed among its parent's children before it exists, so that revoking the parent can never miss it
      // (an id listed for a record that was never made is revoked as nothing).
      const children = this.#k.apiTokenChildren(token.parent_id);
      await this.ctx.durable.write(children, (c) => (c as RedisClient & Scripts).tesseraAddApiTokenChild(children, token.id, purgeAt, String(nowMs)));
    }
    const record = this.#k.apiToken(token.id);
    const created = await this.ctx.durable.write(record, (c) =>
      (c as RedisClient & Scripts).tesseraCreateApiToken(record, this.#json(token), purgeAt, String(token.created_at)));
    if (created !== 1) {
      await guarded(() => this.#redis.tesseraDropApiTokenHash(entry, token.id));
      return false;
    }
    await guarded(() => Promise.all([
      this.ctx.redis.zadd(this.#k.apiTokenIndex, 0, token.id),
      this.ctx.redis.zadd(this.#k.apiTokensOfUser(token.user_id), 0, token.id),
      this.ctx.redis.zadd(this.#k.apiTokenPurgeQueue, purgeAt, `${token.id} ${token.user_id}`),
      ...(token.revoked_at === null ? [this.ctx.redis.zadd(this.#k.apiTokenExpiry, String(token.expires_at), token.id)] : []),
    ]));
    await this.#forgetPurged(nowMs);
    return true;
  }

  /** Ids whose records Redis has expired leave the indexes, a bounded batch at a time. */
  async #forgetPurged(nowMs: number): Promise<void> {
    const due = await guarded(() => this.ctx.redis.zrangebyscore(this.#k.apiTokenPurgeQueue, '-inf', String(nowMs), 'LIMIT', 0, PURGE_BATCH));
    if (due.length === 0) return;
    await guarded(() => Promise.all(due.flatMap((member) => {
      const space = member.indexOf(' ');
      const id = member.slice(0, space);
      return [
        this.ctx.redis.zrem(this.#k.apiTokenIndex, id),
        this.ctx.redis.zrem(this.#k.apiTokensOfUser(member.slice(space + 1)), id),
        this.ctx.redis.zrem(this.#k.apiTokenExpiry, id),
      ];
    })));
    // Last, so that an outage part-way leaves the members to be tried again.
    await guarded(() => this.ctx.redis.zrem(this.#k.apiTokenPurgeQueue, ...due));
  }

  async get(id: string): Promise<ApiTokenRecord | null> {
    return fromHash(await guarded(() => this.ctx.redis.hmget(this.#k.apiToken(id), 'j', 'lu', 'li')));
  }

  async findByHash(secretHash: string): Promise<ApiTokenRecord | null> {
    const id = await guarded(() => this.ctx.redis.get(this.#k.apiTokenSecret(secretHash)));
    if (id === null) return null;
    const record = await this.get(id);
    // An entry left behind by a change cut short names a token whose secret is no longer this one.
    return record && (record.secret_hash === secretHash || record.previous_secret_hash === secretHash) ? record : null;
  }

  async update(next: ApiTokenRecord, expectedVersion: number): Promise<'updated' | 'conflict' | 'missing'> {
    const current = await this.get(next.id);
    if (!current) return 'missing';
    const purgeAt = String(Math.ceil(next.purge_at));
    const keep = [next.secret_hash, next.previous_secret_hash].filter((h): h is string => h !== null);
    const drop = [current.secret_hash, current.previous_secret_hash].filter((h): h is string => h !== null && !keep.includes(h));
    // New and kept secrets are indexed before the record names them, so a new secret works as soon as the answer is out.
    await guarded(() => Promise.all(keep.map((h) => this.ctx.redis.set(this.#k.apiTokenSecret(h), next.id, 'PXAT', purgeAt))));
    const record = this.#k.apiToken(next.id);
    const answer = await this.ctx.durable.write(record, (c) =>
      (c as RedisClient & Scripts).tesseraUpdateApiToken(record, String(expectedVersion), this.#json(next), purgeAt)) as 'updated' | 'conflict' | 'missing';
    if (answer !== 'updated') return answer;
    await guarded(() => Promise.all([
      ...drop.map((h) => this.#redis.tesseraDropApiTokenHash(this.#k.apiTokenSecret(h), next.id)),
      this.ctx.redis.zadd(this.#k.apiTokenPurgeQueue, purgeAt, `${next.id} ${next.user_id}`),
      next.revoked_at === null
        ? this.ctx.redis.zadd(this.#k.apiTokenExpiry, String(next.expires_at), next.id)
        : this.ctx.redis.zrem(this.#k.apiTokenExpiry, next.id),
    ]));
    return 'updated';
  }

  async touch(id: string, atMs: number, ip: string): Promise<void> {
    await guarded(() => this.#redis.tesseraTouchApiToken(this.#k.apiToken(id), String(atMs), ip));
  }

  async list(filter: { userId?: string | undefined }, page: PageRequest): Promise<Page<ApiTokenRecord>> {
    const after = page.cursor === undefined ? undefined : decodeCursor(page.cursor);
    const index = filter.userId === undefined ? this.#k.apiTokenIndex : this.#k.apiTokensOfUser(filter.userId);
    // '(' makes the bound exclusive; one id more than asked for tells whether another page exists.
    const ids = await guarded(() => this.ctx.redis.zrange(index, after === undefined ? '-' : `(${after}`, '+', 'BYLEX', 'LIMIT', 0, page.limit + 1));
    const pageIds = ids.slice(0, page.limit);
    // One read per record, all sent at once (records are in other slots than the index on a Cluster).
    const replies = await guarded(() => Promise.all(pageIds.map((id) => this.ctx.redis.hmget(this.#k.apiToken(id), 'j', 'lu', 'li'))));
    // A record purged but not yet forgotten by the index is left out.
    const items = replies.map(fromHash).filter((r): r is ApiTokenRecord => r !== null);
    const last = pageIds[pageIds.length - 1];
    return { items, next_cursor: ids.length > page.limit && last !== undefined ? encodeCursor(last) : null };
  }

  async census(nowMs: number, expiringUntilMs: number, unusedSinceMs: number): Promise<ApiTokenCensus> {
    const [active, expiring] = await guarded(() => Promise.all([
      this.ctx.redis.zcount(this.#k.apiTokenExpiry, `(${nowMs}`, '+inf'),
      this.ctx.redis.zcount(this.#k.apiTokenExpiry, `(${nowMs}`, String(expiringUntilMs)),
    ]));
    let unused = 0;
    // Walk the active ids in batches: when each was last used, else when it was created.
    for (let offset = 0; ; offset += CENSUS_BATCH) {
      const ids = await guarded(() => this.ctx.redis.zrangebyscore(this.#k.apiTokenExpiry, `(${nowMs}`, '+inf', 'LIMIT', offset, CENSUS_BATCH));
      if (ids.length === 0) break;
      // One read per record, all sent at once (records are in other slots than the index on a Cluster).
      const seen = await guarded(() => Promise.all(ids.map((id) => this.ctx.redis.hmget(this.#k.apiToken(id), 'lu', 'c', 'j'))));
      for (const [lu, c, j] of seen) {
        // Records written before `c` existed: the JSON says when.
        const at = lu ? Number(lu) : c ? Number(c) : j ? (JSON.parse(j) as ApiTokenRecord).created_at : null;
        if (at !== null && at <= unusedSinceMs) unused++;
      }
      if (ids.length < CENSUS_BATCH) break;
    }
    return { active, expiring, unused };
  }

  async expiringBetween(afterMs: number, untilMs: number, limit: number): Promise<{ items: ApiTokenRecord[]; next: number | null }> {
    const expiry = this.#k.apiTokenExpiry;
    const page = await guarded(() => this.ctx.redis.zrange(expiry, `(${afterMs}`, String(untilMs), 'BYSCORE', 'LIMIT', 0, limit, 'WITHSCORES'));
    const ids: string[] = [];
    let last: string | undefined;
    for (let i = 0; i < page.length; i += 2) { ids.push(page[i]!); last = page[i + 1]; }
    let next: number | null = null;
    if (ids.length === limit && last !== undefined) {
      // Every token sharing the last expiry comes along, so that the next page can start strictly after it.
      const ties = await guarded(() => this.ctx.redis.zrange(expiry, last!, last!, 'BYSCORE'));
      for (const id of ties) if (!ids.includes(id)) ids.push(id);
      const after = await guarded(() => this.ctx.redis.zrange(expiry, `(${last}`, String(untilMs), 'BYSCORE', 'LIMIT', 0, 1));
      next = after.length > 0 ? Number(last) : null;
    }
    const records = await guarded(() => Promise.all(ids.map((id) => this.ctx.redis.hmget(this.#k.apiToken(id), 'j', 'lu', 'li'))));
    const items = records.map(fromHash).filter((r): r is ApiTokenRecord => r !== null && r.revoked_at === null);
    return { items, next };
  }

  async children(parentId: string): Promise<string[]> {
    return guarded(() => this.ctx.redis.smembers(this.#k.apiTokenChildren(parentId)));
  }

  async countExpiring(nowMs: number, untilMs: number): Promise<number> {
    // '(' excludes tokens expiring exactly now (already expired); revoked ones left the index.
    return guarded(() => this.ctx.redis.zcount(this.#k.apiTokenExpiry, `(${nowMs}`, String(untilMs)));
  }
}
