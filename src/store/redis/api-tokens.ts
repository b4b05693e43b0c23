/**
 * API tokens in Redis. Layout (under the store's prefix):
 *   `tsp:${id}`          hash {j: record JSON, c: created (ms), lu: last used (ms), li: last IP}; PEXPIREAT purge_at
 *   `tsp-h:${hash}`      token id, for the current or previous secret with that SHA-256; PEXPIREAT purge_at
 *   `tsp-ids`            sorted set of every id (scores 0) for id-ordered paging
 *   `tsp-u:${user}`      the same, per owner
 *   `tsp-purge`          sorted set "id user" scored by purge time, so the two indexes above forget purged ids
 *   `tsp-exp`            sorted set of the ids not revoked, scored by expiry (ZCOUNT for the expiring-soon gauge)
 *   `tsp-k:${parent}`    set of the ids created through that token; expires with the last of them
 * Usage (lu/li) lives beside the JSON so that recording a use is one HSET
 * and never races a rotation or revocation, which are compare-and-set on
 * the record's version. Like refresh tokens, the scripts build some keys
 * from record data, so this needs one Redis primary (or Sentinel), not Cluster.
 */
import type { Redis } from 'ioredis';
import { decodeCursor, encodeCursor } from '../cursor.js';
import type { ApiTokenCensus, ApiTokenRecord, ApiTokenRepository } from '../api-token-records.js';
import type { Page, PageRequest } from '../store.js';
import { guarded } from './connection.js';

// KEYS: record, hash index, ids, user ids, purge, expiry. ARGV: json, id, expires at ('' if revoked), purge at, purge member, now, prefix, created at,
// parent id ('' when none).
const CREATE = `
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
if not redis.call('SET', KEYS[2], ARGV[2], 'NX', 'PXAT', ARGV[4]) then return 0 end
redis.call('HSET', KEYS[1], 'j', ARGV[1], 'c', ARGV[8])
redis.call('PEXPIREAT', KEYS[1], ARGV[4])
redis.call('ZADD', KEYS[3], 0, ARGV[2])
redis.call('ZADD', KEYS[4], 0, ARGV[2])
redis.call('ZADD', KEYS[5], ARGV[4], ARGV[5])
if ARGV[3] ~= '' then redis.call('ZADD', KEYS[6], ARGV[3], ARGV[2]) end
if ARGV[9] ~= '' then
  local kids = ARGV[7] .. 'tsp-k:' .. ARGV[9]
  redis.call('SADD', kids, ARGV[2])
  local left = redis.call('PTTL', kids)
  if left < 0 or tonumber(ARGV[6]) + left < tonumber(ARGV[4]) then redis.call('PEXPIREAT', kids, ARGV[4]) end
end
-- Bounded clean-up: ids of purged records leave the paging indexes.
for _, m in ipairs(redis.call('ZRANGEBYSCORE', KEYS[5], '-inf', ARGV[6], 'LIMIT', 0, 100)) do
  local sp = string.find(m, ' ', 1, true)
  local id = string.sub(m, 1, sp - 1)
  redis.call('ZREM', KEYS[3], id)
  redis.call('ZREM', ARGV[7] .. 'tsp-u:' .. string.sub(m, sp + 1), id)
  redis.call('ZREM', KEYS[6], id)
  redis.call('ZREM', KEYS[5], m)
end
return 1`;

/** Active ids read per round trip by census(). */
const CENSUS_BATCH = 1000;

// KEYS: hash index. ARGV: prefix.
const FIND = `
local id = redis.call('GET', KEYS[1])
if not id then return false end
return redis.call('HMGET', ARGV[1] .. 'tsp:' .. id, 'j', 'lu', 'li')`;

// KEYS: record, purge, expiry, then the hash index keys to delete (old current and previous).
// ARGV: expected version, json, purge at, purge member, n of index entries to set, then (key, id, expiry) triples,
// then the token's expiry ('' once revoked: it leaves the expiry index), then its id.
const UPDATE = `
local j = redis.call('HGET', KEYS[1], 'j')
if not j then return 'missing' end
if tostring(cjson.decode(j).version) ~= ARGV[1] then return 'conflict' end
for i = 4, #KEYS do redis.call('DEL', KEYS[i]) end
local n = tonumber(ARGV[5])
for i = 0, n - 1 do
  redis.call('SET', ARGV[6 + i * 3], ARGV[7 + i * 3], 'PXAT', ARGV[8 + i * 3])
end
if ARGV[6 + n * 3] == '' then
  redis.call('ZREM', KEYS[3], ARGV[7 + n * 3])
else
  redis.call('ZADD', KEYS[3], ARGV[6 + n * 3], ARGV[7 + n * 3])
end
redis.call('HSET', KEYS[1], 'j', ARGV[2])
redis.call('PEXPIREAT', KEYS[1], ARGV[3])
redis.call('ZADD', KEYS[2], ARGV[3], ARGV[4])
return 'updated'`;

// KEYS: record. ARGV: at, ip. Only an existing record: HSET alone would recreate a purged one with no expiry.
const TOUCH = `
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('HSET', KEYS[1], 'lu', ARGV[1], 'li', ARGV[2])
return 1`;

interface Scripts {
  tesseraCreateApiToken(...args: string[]): Promise<number>;
  tesseraFindApiToken(index: string, prefix: string): Promise<Array<string | null> | null>;
  tesseraUpdateApiToken(numKeys: number, ...args: string[]): Promise<string>;
  tesseraTouchApiToken(record: string, at: string, ip: string): Promise<number>;
}

function fromHash([j, lu, li]: Array<string | null>): ApiTokenRecord | null {
  if (!j) return null;
  const record = JSON.parse(j) as ApiTokenRecord;
  record.last_used_at = lu ? Number(lu) : null;
  record.last_used_ip = li ?? null;
  return record;
}

export class RedisApiTokenRepository implements ApiTokenRepository {
  readonly #redis: Redis & Scripts;

  constructor(redis: Redis, private readonly prefix: string) {
    redis.defineCommand('tesseraCreateApiToken', { numberOfKeys: 6, lua: CREATE });
    redis.defineCommand('tesseraFindApiToken', { numberOfKeys: 1, lua: FIND });
    // Variable key count: passed as the first argument.
    redis.defineCommand('tesseraUpdateApiToken', { lua: UPDATE });
    redis.defineCommand('tesseraTouchApiToken', { numberOfKeys: 1, lua: TOUCH });
    this.#redis = redis as Redis & Scripts;
  }

  #record(id: string): string { return `${this.prefix}tsp:${id}`; }
  #hash(hash: string): string { return `${this.prefix}tsp-h:${hash}`; }
  #userIds(userId: string): string { return `${this.prefix}tsp-u:${userId}`; }
  get #ids(): string { return `${this.prefix}tsp-ids`; }
  get #purge(): string { return `${this.prefix}tsp-purge`; }
  get #expiry(): string { return `${this.prefix}tsp-exp`; }

  /** The stored JSON leaves out what touch() owns. */
  #json(r: ApiTokenRecord): string {
    const { last_used_at: _at, last_used_ip: _ip, ...rest } = r;
    return JSON.stringify(rest);
  }

  async create(token: ApiTokenRecord, nowMs: number): Promise<boolean> {
    const ok = await guarded(() =>
      this.#redis.tesseraCreateApiToken(
        this.#record(token.id), this.#hash(token.secret_hash), this.#ids, this.#userIds(token.user_id), this.#purge, this.#expiry,
        this.#json(token), token.id, token.revoked_at === null ? String(token.expires_at) : '', String(Math.ceil(token.purge_at)),
        `${token.id} ${token.user_id}`, String(nowMs), this.prefix, String(token.created_at), token.parent_id ?? '',
      ),
    );
    return ok === 1;
  }

  async get(id: string): Promise<ApiTokenRecord | null> {
    return fromHash(await guarded(() => this.#redis.hmget(this.#record(id), 'j', 'lu', 'li')));
  }

  async findByHash(secretHash: string): Promise<ApiTokenRecord | null> {
    const fields = await guarded(() => this.#redis.tesseraFindApiToken(this.#hash(secretHash), this.prefix));
    return fields ? fromHash(fields) : null;
  }

  async update(next: ApiTokenRecord, expectedVersion: number): Promise<'updated' | 'conflict' | 'missing'> {
    const current = await this.get(next.id);
    if (!current) return 'missing';
    const keep = [next.secret_hash, next.previous_secret_hash].filter((h): h is string => h !== null);
    const drop = [current.secret_hash, current.previous_secret_hash].filter((h): h is string => h !== null && !keep.includes(h)).map((h) => this.#hash(h));
    const set = keep.flatMap((h) => [this.#hash(h), next.id, String(Math.ceil(next.purge_at))]);
    const keys = [this.#record(next.id), this.#purge, this.#expiry, ...drop];
    const answer = await guarded(() =>
      this.#redis.tesseraUpdateApiToken(
        keys.length, ...keys, String(expectedVersion), this.#json(next), String(Math.ceil(next.purge_at)),
        `${next.id} ${next.user_id}`, String(set.length / 3), ...set,
        next.revoked_at === null ? String(next.expires_at) : '', next.id,
      ),
    );
    return answer as 'updated' | 'conflict' | 'missing';
  }

  async touch(id: string, atMs: number, ip: string): Promise<void> {
    await guarded(() => this.#redis.tesseraTouchApiToken(this.#record(id), String(atMs), ip));
  }

  async list(filter: { userId?: string | undefined }, page: PageRequest): Promise<Page<ApiTokenRecord>> {
    const after = page.cursor === undefined ? undefined : decodeCursor(page.cursor);
    const index = filter.userId === undefined ? this.#ids : this.#userIds(filter.userId);
    // '(' makes the bound exclusive; one id more than asked for tells whether another page exists.
    const ids = await guarded(() => this.#redis.zrange(index, after === undefined ? '-' : `(${after}`, '+', 'BYLEX', 'LIMIT', 0, page.limit + 1));
    const pageIds = ids.slice(0, page.limit);
    const pipeline = this.#redis.pipeline();
    for (const id of pageIds) pipeline.hmget(this.#record(id), 'j', 'lu', 'li');
    const replies = pageIds.length === 0 ? [] : await guarded(() => this.#replies(pipeline));
    const items: ApiTokenRecord[] = [];
    for (const fields of replies) {
      // A record purged but not yet forgotten by the index is left out.
      const record = fromHash(fields);
      if (record) items.push(record);
    }
    const last = pageIds[pageIds.length - 1];
    return { items, next_cursor: ids.length > page.limit && last !== undefined ? encodeCursor(last) : null };
  }

  async census(nowMs: number, expiringUntilMs: number, unusedSinceMs: number): Promise<ApiTokenCensus> {
    const [active, expiring] = await guarded(() => Promise.all([
      this.#redis.zcount(this.#expiry, `(${nowMs}`, '+inf'),
      this.#redis.zcount(this.#expiry, `(${nowMs}`, String(expiringUntilMs)),
    ]));
    let unused = 0;
    // Walk the active ids in batches: when each was last used, else when it was created.
    for (let offset = 0; ; offset += CENSUS_BATCH) {
      const ids = await guarded(() => this.#redis.zrangebyscore(this.#expiry, `(${nowMs}`, '+inf', 'LIMIT', offset, CENSUS_BATCH));
      if (ids.length === 0) break;
      const seen = await guarded(async () => {
        const pipeline = this.#redis.pipeline();
        for (const id of ids) pipeline.hmget(this.#record(id), 'lu', 'c', 'j');
        return this.#replies(pipeline);
      });
      for (const [lu, c, j] of seen) {
        // Records written before `c` existed: the JSON says when.
        const at = lu ? Number(lu) : c ? Number(c) : j ? (JSON.parse(j) as ApiTokenRecord).created_at : null;
        if (at !== null && at <= unusedSinceMs) unused++;
      }
      if (ids.length < CENSUS_BATCH) break;
    }
    return { active, expiring, unused };
  }

  async #replies(pipeline: ReturnType<Redis['pipeline']>): Promise<Array<Array<string | null>>> {
    // A failed command inside the pipeline is an outage like any other: 503, never a 500.
    const all = (await pipeline.exec()) ?? [];
    const failed = all.find(([err]) => err);
    if (failed) throw failed[0];
    return all.map(([, fields]) => fields as Array<string | null>);
  }

  async expiringBetween(afterMs: number, untilMs: number, limit: number): Promise<{ items: ApiTokenRecord[]; next: number | null }> {
    const page = await guarded(() => this.#redis.zrange(this.#expiry, `(${afterMs}`, String(untilMs), 'BYSCORE', 'LIMIT', 0, limit, 'WITHSCORES'));
    const ids: string[] = [];
    let last: string | undefined;
    for (let i = 0; i < page.length; i += 2) { ids.push(page[i]!); last = page[i + 1]; }
    let next: number | null = null;
    if (ids.length === limit && last !== undefined) {
      // Every token sharing the last expiry comes along, so that the next page can start strictly after it.
      const ties = await guarded(() => this.#redis.zrange(this.#expiry, last!, last!, 'BYSCORE'));
      for (const id of ties) if (!ids.includes(id)) ids.push(id);
      const after = await guarded(() => this.#redis.zrange(this.#expiry, `(${last}`, String(untilMs), 'BYSCORE', 'LIMIT', 0, 1));
      next = after.length > 0 ? Number(last) : null;
    }
    const records = await guarded(() => Promise.all(ids.map((id) => this.#redis.hmget(this.#record(id), 'j', 'lu', 'li'))));
    const items = records.map(fromHash).filter((r): r is ApiTokenRecord => r !== null && r.revoked_at === null);
    return { items, next };
  }

  async children(parentId: string): Promise<string[]> {
    return guarded(() => this.#redis.smembers(`${this.prefix}tsp-k:${parentId}`));
  }

  async countExpiring(nowMs: number, untilMs: number): Promise<number> {
    // '(' excludes tokens expiring exactly now (already expired); revoked ones left the index.
    return guarded(() => this.#redis.zcount(this.#expiry, `(${nowMs}`, String(untilMs)));
  }
}
