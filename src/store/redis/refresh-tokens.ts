/**
 * Refresh-token families in Redis. Layout (under the store's prefix; names in keys.ts):
 *   `rf:${family}`  hash {c: client id, u: user id, s: scopes (space-separated),
 *                   a: auth_time (s), t: created (ms), e: end (ms), l: live token
 *                   hash, r: '1' once revoked, n: access tokens added so far,
 *                   x<i>: "jti expires_at" of the i-th, the newest 50 kept,
 *                   k: the DPoP key thumbprint a public client's family is bound to}
 *   `rt:${hash}`    hash {f: family, s: scopes, c: created (ms)}: which family a token
 *                   belongs to, written once, before the family names it live; a
 *                   consumed token keeps only f (and u, when an earlier version consumed it)
 *   `rt-g:{<family key>}`  "<consumed hash> <successor hash> <sealed successor>" of
 *                   the family's last rotation, PX the grace window (then gone)
 *   `uf:${user}`    sorted set of the user's family ids scored by family end (ms): their sessions;
 *                   ended members leave when a family starts or the list is read, and the key
 *                   expires with the user's last family
 * A token is live while its family is not revoked, not ended, and names it
 * in `l`; every other token of the family is consumed. So the one atomic
 * step of a rotation touches the family's keys only (the family and its
 * grace key share a slot: the grace key's hash tag is the family key's
 * name), which is what lets it run on Redis Cluster; the token record
 * lives in its own slot and is read first. Everything expires at the
 * family's absolute end (PEXPIREAT), so a family cleans itself up, and
 * token records stay until then, so reuse is detected for the family's
 * whole life.
 *
 * Memory: every field of a family is short (a value over Redis's
 * hash-max-listpack-value, 64 bytes, would turn the hash into a hashtable,
 * about three times the size), and the access-token ids live in the family
 * hash rather than a key of their own: two keys per live token.
 */
import type {
  FamilyAccessToken, RefreshFamilyRecord, RefreshSession, RefreshTokenRecord, RefreshTokenRepository, RotationOutcome,
} from '../store.js';
import { guarded, repliesOf, type RedisClient } from './connection.js';
import { defineScript, type RedisContext } from './context.js';

/** Access-token ids a family keeps (the newest), revoked with it. */
const FAMILY_ACCESS_TOKENS = 50;

/** A family's fields in the order familyOf() reads them, then its live token hash. */
const FAMILY_FIELDS = ['c', 'u', 's', 'a', 't', 'e', 'r', 'k', 'l'] as const;

// Lua shared by the scripts: the family's fields in the order familyOf() reads
// them, and its access-token entries, newest first.
const FAMILY_LUA = `
local function family(fkey)
  return redis.call('HMGET', fkey, 'c', 'u', 's', 'a', 't', 'e', 'r', 'k')
end
local function access_tokens(fkey)
  local n = tonumber(redis.call('HGET', fkey, 'n') or '0')
  local out = {}
  for i = n, math.max(1, n - ${FAMILY_ACCESS_TOKENS - 1}), -1 do
    local v = redis.call('HGET', fkey, 'x' .. i)
    if v then out[#out + 1] = v end
  end
  return out
end
`;

// KEYS: rf:<family>, its grace key. ARGV: client, presented hash, successor
// hash, sealed successor, now, grace ms. The caller has checked that the
// presented token belongs to the family and written the successor's record.
// One step, so twenty concurrent refreshes of one token see one 'rotated' and
// the rest 'grace' (or 'reuse' with no grace). Answers {outcome, family fields (8), ...}.
const ROTATE = `${FAMILY_LUA}
local fam = family(KEYS[1])
if not fam[1] or fam[7] == '1' or tonumber(fam[6]) <= tonumber(ARGV[5]) then return {'invalid'} end
if fam[1] ~= ARGV[1] then return {'wrong_client'} end
local live = redis.call('HGET', KEYS[1], 'l')
if live == ARGV[2] then
  redis.call('HSET', KEYS[1], 'l', ARGV[3])
  if tonumber(ARGV[6]) > 0 then
    redis.call('SET', KEYS[2], ARGV[2] .. ' ' .. ARGV[3] .. ' ' .. ARGV[4], 'PX', ARGV[6])
  end
  return {'rotated', unpack(fam)}
end
local g = redis.call('GET', KEYS[2])
if g then
  local a = string.find(g, ' ', 1, true)
  local b = a and string.find(g, ' ', a + 1, true)
  -- Only while the successor is still the live token: once it has been used
  -- the grace is over, and presenting its predecessor is reuse (RFC 9700 §4.14.2).
  if b and string.sub(g, 1, a - 1) == ARGV[2] and string.sub(g, a + 1, b - 1) == live then
    return {'grace', fam[1], fam[2], fam[3], fam[4], fam[5], fam[6], '', fam[8] or '', string.sub(g, b + 1)}
  end
end
redis.call('HSET', KEYS[1], 'r', '1')
return {'reuse', fam[1], fam[2], fam[3], fam[4], fam[5], fam[6], '', fam[8] or '', unpack(access_tokens(KEYS[1]))}`;

// KEYS: rf:<family>. Its live token stops being live with the family.
const REVOKE = `${FAMILY_LUA}
if redis.call('EXISTS', KEYS[1]) == 0 then return false end
redis.call('HSET', KEYS[1], 'r', '1')
return access_tokens(KEYS[1])`;

// KEYS: uf:<user>. ARGV: family id, family end, now. One key, so it can sit
// in another hash slot than the family's.
const INDEX = `
redis.call('ZADD', KEYS[1], ARGV[2], ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[3])
local last = redis.call('ZRANGE', KEYS[1], -1, -1, 'WITHSCORES')
redis.call('PEXPIREAT', KEYS[1], last[2])
return 1`;

// KEYS: rf:<family>. ARGV: "jti exp". Entry i replaces nothing; entry i - 50 goes.
// 0 for a family that is gone or revoked: the revocation did not list this token.
const ADD_AT = `
if redis.call('HEXISTS', KEYS[1], 'e') == 0 or redis.call('HGET', KEYS[1], 'r') == '1' then return 0 end
local n = redis.call('HINCRBY', KEYS[1], 'n', 1)
redis.call('HSET', KEYS[1], 'x' .. n, ARGV[1])
if n > ${FAMILY_ACCESS_TOKENS} then redis.call('HDEL', KEYS[1], 'x' .. (n - ${FAMILY_ACCESS_TOKENS})) end
return 1`;

type Field = string | null;

interface Scripts {
  tesseraRotate(family: string, grace: string, ...args: string[]): Promise<Field[]>;
  tesseraRevokeFamily(family: string): Promise<string[] | null>;
  tesseraAddFamilyToken(family: string, entry: string): Promise<number>;
  tesseraIndexFamily(userFamilies: string, familyId: string, end: string, now: string): Promise<number>;
}

function parseAccessTokens(entries: readonly Field[]): FamilyAccessToken[] {
  return entries.filter((e): e is string => typeof e === 'string').map((e) => {
    const [jti, exp] = e.split(' ');
    return { jti: jti!, expires_at: Number(exp) };
  });
}

/** The family from its fields as FAMILY_LUA's family() reads them (c, u, s, a, t, e, r, k); null when it is gone. */
function familyOf(familyId: Field | undefined, fields: readonly Field[]): RefreshFamilyRecord | null {
  const [c, u, s, a, t, e, , k] = fields;
  if (!familyId || !c || !e) return null;
  return {
    family_id: familyId,
    client_id: c,
    user_id: u ?? '',
    scopes: s ? s.split(' ') : [],
    auth_time: Number(a),
    created_at: Number(t),
    expires_at: Number(e),
    ...(k ? { jkt: k } : {}),
  };
}

export class RedisRefreshTokenRepository implements RefreshTokenRepository {
  readonly #redis: RedisClient & Scripts;

  constructor(private readonly ctx: RedisContext) {
    defineScript(ctx, 'tesseraRotate', 2, ROTATE);
    defineScript(ctx, 'tesseraRevokeFamily', 1, REVOKE);
    defineScript(ctx, 'tesseraAddFamilyToken', 1, ADD_AT);
    defineScript(ctx, 'tesseraIndexFamily', 1, INDEX);
    this.#redis = ctx.redis as RedisClient & Scripts;
  }

  #family(id: string): string { return this.ctx.keys.refreshFamily(id); }
  #token(hash: string): string { return this.ctx.keys.refreshToken(hash); }
  #userFamilies(userId: string): string { return this.ctx.keys.refreshFamiliesOfUser(userId); }

  /** Writes a token's record (its family, scopes and creation time), expiring with the family (at `end`, ms). */
  async #writeToken(client: RedisClient, token: RefreshTokenRecord, familyId: string, end: number): Promise<void> {
    const key = this.#token(token.token_hash);
    repliesOf(await client.multi()
      .hset(key, 'f', familyId, 's', token.scopes.join(' '), 'c', String(token.created_at))
      .pexpireat(key, end)
      .exec());
  }

  async createFamily(family: RefreshFamilyRecord, first: RefreshTokenRecord): Promise<void> {
    const end = Math.ceil(family.expires_at);
    // Three keys in three slots, written together: the caller hands the token
    // out only once all three are written, so a failed one leaves nothing
    // usable. An indexed family that does not exist yet is skipped by
    // listFamilies; a token record whose family does not name it is not live.
    const indexed = guarded(() => this.#redis.tesseraIndexFamily(this.#userFamilies(family.user_id), family.family_id, String(end), String(family.created_at)));
    const recorded = guarded(() => this.#writeToken(this.#redis, first, family.family_id, end));
    const created = guarded(async () => repliesOf(await
      this.#redis
        .multi()
        .hset(
          this.#family(family.family_id),
          'c', family.client_id, 'u', family.user_id, 's', family.scopes.join(' '), 'a', String(family.auth_time),
          't', String(family.created_at), 'e', String(end), 'l', first.token_hash,
          ...(family.jkt ? ['k', family.jkt] : []),
        )
        .pexpireat(this.#family(family.family_id), end)
        .exec(),
    ));
    await Promise.all([indexed, recorded, created]);
  }

  async get(tokenHash: string, nowMs: number): Promise<{ token: RefreshTokenRecord; family: RefreshFamilyRecord } | null> {
    // Two reads, keys built here: the token's record, then its family (another slot on a Cluster).
    const [f, s, c] = await guarded(() => this.#redis.hmget(this.#token(tokenHash), 'f', 's', 'c'));
    if (!f) return null;
    const fields = await guarded(() => this.#redis.hmget(this.#family(f), ...FAMILY_FIELDS));
    const family = familyOf(f, fields);
    if (!family || fields[6] === '1' || family.expires_at <= nowMs || fields[8] !== tokenHash) return null;
    return { token: { token_hash: tokenHash, family_id: family.family_id, scopes: s ? s.split(' ') : [], created_at: Number(c) }, family };
  }

  async rotate(args: { tokenHash: string; clientId: string; successor: RefreshTokenRecord; successorSealed: string; nowMs: number; graceMs: number }): Promise<RotationOutcome> {
    // Which family the presented token belongs to, and when it ends (its record
    // expires with it): the record says; the caller's guess is not trusted.
    const presented = this.#token(args.tokenHash);
    const [familyId, ttl] = await guarded(async () => repliesOf(await this.#redis.pipeline().hget(presented, 'f').pttl(presented).exec())) as [Field, number];
    if (!familyId || ttl <= 0) return { outcome: 'invalid' };
    const end = Date.now() + ttl;
    const familyKey = this.#family(familyId);
    const answer = await this.ctx.durable.write(familyKey, async (c) => {
      // The successor's record first: once the family names it live, it must be found.
      // Until then it is not live, and if the rotation does not happen it is never handed out.
      await this.#writeToken(c, args.successor, familyId, end);
      return (c as RedisClient & Scripts).tesseraRotate(
        familyKey, this.ctx.keys.refreshGrace(familyKey), args.clientId, args.tokenHash, args.successor.token_hash,
        args.successorSealed, String(args.nowMs), String(Math.max(0, Math.floor(args.graceMs))),
      );
    });
    // {outcome, c, u, s, a, t, e, r, k, ...rest}
    const [outcome, ...after] = answer;
    const family = familyOf(familyId, after.slice(0, 8));
    const rest = after.slice(8);
    if (outcome === 'rotated') {
      // The consumed record needs only its family from now on (reuse detection); best effort, it expires anyway.
      this.#redis.hdel(this.#token(args.tokenHash), 's', 'c').catch(() => undefined);
    } else {
      this.#redis.del(this.#token(args.successor.token_hash)).catch(() => undefined);
    }
    switch (outcome) {
      case 'rotated': return { outcome, family: family! };
      case 'grace': return { outcome, family: family!, successor_sealed: rest[0]! };
      case 'reuse': return { outcome, family: family!, access_tokens: parseAccessTokens(rest) };
      case 'wrong_client': return { outcome };
      default: return { outcome: 'invalid' };
    }
  }

  async revokeFamily(familyId: string): Promise<FamilyAccessToken[] | null> {
    const entries = await this.ctx.durable.write(this.#family(familyId), (c) => (c as RedisClient & Scripts).tesseraRevokeFamily(this.#family(familyId)));
    return entries === null ? null : parseAccessTokens(entries);
  }

  async addAccessToken(familyId: string, token: FamilyAccessToken): Promise<boolean> {
    return (await guarded(() => this.#redis.tesseraAddFamilyToken(this.#family(familyId), `${token.jti} ${token.expires_at}`))) === 1;
  }

  async listFamilies(userId: string, nowMs: number, limit: number): Promise<RefreshSession[]> {
    const index = this.#userFamilies(userId);
    // One key, so one pipeline (a failed command inside it is an outage like any other: 503).
    const [, ids] = await guarded(async () => repliesOf(await
      this.#redis.pipeline()
        .zremrangebyscore(index, '-inf', String(nowMs))
        .zrange(index, '+inf', `(${nowMs}`, 'BYSCORE', 'REV', 'LIMIT', 0, limit)
        .exec(),
    )) as [number, string[]];
    const sessions = await this.#sessions(ids, nowMs);
    // Revoked families stay in the index until they end; leave them out of it now.
    const gone = ids.filter((_, i) => sessions[i] === null);
    if (gone.length) await guarded(() => this.#redis.zrem(index, ...gone));
    return sessions.filter((s): s is RefreshSession => s !== null).sort((a, b) => b.family.created_at - a.family.created_at);
  }

  async getFamily(familyId: string, nowMs: number): Promise<RefreshSession | null> {
    const [session] = await this.#sessions([familyId], nowMs);
    return session ?? null;
  }

  /**
   * The live families among `ids` (null in place of the others), in two
   * round trips: the family hashes, then the created time of each
   * live token, which is when the family was last refreshed. Keys are built
   * here from what was read, never inside a script.
   */
  async #sessions(ids: readonly string[], nowMs: number): Promise<Array<RefreshSession | null>> {
    if (ids.length === 0) return [];
    // One command per family, sent together: families are in different slots on a Cluster.
    const families = await guarded(() => Promise.all(ids.map((id) => this.#redis.hmget(this.#family(id), ...FAMILY_FIELDS)))) as Field[][];
    const live = ids.map((id, i) => {
      const fields = families[i]!;
      const family = familyOf(id, fields);
      return family && fields[6] !== '1' && family.expires_at > nowMs && fields[8] ? { family, liveHash: fields[8] } : null;
    });
    if (!live.some(Boolean)) return live.map(() => null);
    const created = await guarded(() => Promise.all(live.filter((l) => l !== null).map((l) => this.#redis.hget(this.#token(l.liveHash), 'c')))) as Field[];
    let next = 0;
    return live.map((l) => {
      if (!l) return null;
      const at = Number(created[next++] ?? 0);
      return { family: l.family, last_refreshed_at: at > l.family.created_at ? at : null };
    });
  }
}
