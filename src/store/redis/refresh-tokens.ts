/**
 * Refresh-token families in Redis. Layout (under the store's prefix):
 *   `rf:${family}`     hash {j: family JSON, c: client id, e: end (ms), l: live token hash, r: '1' once revoked}
 *   `rt:${hash}`       hash {f: family, s: scopes, c: created (ms), u: consumed at (ms), absent while live}
 *   `rt-g:${hash}`     the sealed successor of a consumed token, PX the grace window (then gone)
 *   `rf-at:${family}`  list of "jti expires_at" of the family's newest 50 access tokens
 * Everything expires at the family's absolute end (PEXPIREAT), so a family
 * cleans itself up. Consumed records stay until then, so reuse is detected
 * for the family's whole life.
 *
 * The scripts build family keys from the token record (the family is not
 * known before the record is read), so they need one Redis primary (or
 * Sentinel), not Redis Cluster.
 */
import type { Redis } from 'ioredis';
import type { FamilyAccessToken, RefreshFamilyRecord, RefreshTokenRecord, RefreshTokenRepository, RotationOutcome } from '../store.js';
import { guarded } from './connection.js';

// KEYS: rt:<presented>. ARGV: prefix, client, successor hash, successor scopes,
// successor created, sealed successor, now, grace ms. One step, so twenty
// concurrent refreshes of one token see one 'rotated' and the rest 'grace'
// (or 'reuse' with no grace).
const ROTATE = `
local t = redis.call('HMGET', KEYS[1], 'f', 'u')
local fid = t[1]
if not fid then return {'invalid'} end
local fkey = ARGV[1] .. 'rf:' .. fid
local fam = redis.call('HMGET', fkey, 'j', 'r', 'c', 'e')
if not fam[1] or fam[2] == '1' or tonumber(fam[4]) <= tonumber(ARGV[7]) then return {'invalid'} end
if fam[3] ~= ARGV[2] then return {'wrong_client'} end
if not t[2] then
  redis.call('HSET', KEYS[1], 'u', ARGV[7])
  redis.call('HDEL', KEYS[1], 's', 'c')
  if tonumber(ARGV[8]) > 0 then
    redis.call('SET', ARGV[1] .. 'rt-g:' .. string.sub(KEYS[1], string.len(ARGV[1]) + 4), ARGV[6], 'PX', ARGV[8])
  end
  local skey = ARGV[1] .. 'rt:' .. ARGV[3]
  redis.call('HSET', skey, 'f', fid, 's', ARGV[4], 'c', ARGV[5])
  redis.call('PEXPIREAT', skey, fam[4])
  redis.call('HSET', fkey, 'l', ARGV[3])
  return {'rotated', fam[1]}
end
if tonumber(ARGV[7]) - tonumber(t[2]) <= tonumber(ARGV[8]) then
  local sealed = redis.call('GET', ARGV[1] .. 'rt-g:' .. string.sub(KEYS[1], string.len(ARGV[1]) + 4))
  if sealed then return {'grace', fam[1], sealed} end
end
redis.call('HSET', fkey, 'r', '1')
local live = redis.call('HGET', fkey, 'l')
if live then redis.call('DEL', ARGV[1] .. 'rt:' .. live) end
return {'reuse', fam[1], unpack(redis.call('LRANGE', ARGV[1] .. 'rf-at:' .. fid, 0, -1))}`;

// KEYS: rt:<hash>. ARGV: prefix. The token record and its family in one round
// trip: {family id, scopes, created, family JSON, revoked flag}, or nil when
// the token is unknown or consumed.
const GET = `
local t = redis.call('HMGET', KEYS[1], 'f', 's', 'c', 'u')
if not t[1] or t[4] then return false end
local fam = redis.call('HMGET', ARGV[1] .. 'rf:' .. t[1], 'j', 'r')
return {t[1], t[2] or '', t[3] or '0', fam[1] or '', fam[2] or ''}`;

// KEYS: rf:<family>, rf-at:<family>. ARGV: prefix.
const REVOKE = `
if redis.call('EXISTS', KEYS[1]) == 0 then return false end
redis.call('HSET', KEYS[1], 'r', '1')
local live = redis.call('HGET', KEYS[1], 'l')
if live then redis.call('DEL', ARGV[1] .. 'rt:' .. live) end
return redis.call('LRANGE', KEYS[2], 0, -1)`;

// KEYS: rf:<family>, rf-at:<family>. ARGV: "jti exp".
const ADD_AT = `
local e = redis.call('HGET', KEYS[1], 'e')
if not e then return 0 end
redis.call('LPUSH', KEYS[2], ARGV[1])
redis.call('LTRIM', KEYS[2], 0, 49)
redis.call('PEXPIREAT', KEYS[2], e)
return 1`;

interface Scripts {
  tesseraGetRefresh(token: string, prefix: string): Promise<[string, string, string, string, string] | null>;
  tesseraRotate(token: string, ...args: string[]): Promise<string[]>;
  tesseraRevokeFamily(family: string, list: string, prefix: string): Promise<string[] | null>;
  tesseraAddFamilyToken(family: string, list: string, entry: string): Promise<number>;
}

function parseAccessTokens(entries: readonly string[]): FamilyAccessToken[] {
  return entries.map((e) => {
    const [jti, exp] = e.split(' ');
    return { jti: jti!, expires_at: Number(exp) };
  });
}

export class RedisRefreshTokenRepository implements RefreshTokenRepository {
  readonly #redis: Redis & Scripts;

  constructor(redis: Redis, private readonly prefix: string) {
    redis.defineCommand('tesseraGetRefresh', { numberOfKeys: 1, lua: GET });
    redis.defineCommand('tesseraRotate', { numberOfKeys: 1, lua: ROTATE });
    redis.defineCommand('tesseraRevokeFamily', { numberOfKeys: 2, lua: REVOKE });
    redis.defineCommand('tesseraAddFamilyToken', { numberOfKeys: 2, lua: ADD_AT });
    this.#redis = redis as Redis & Scripts;
  }

  #family(id: string): string { return `${this.prefix}rf:${id}`; }
  #token(hash: string): string { return `${this.prefix}rt:${hash}`; }
  #accessTokens(id: string): string { return `${this.prefix}rf-at:${id}`; }

  async createFamily(family: RefreshFamilyRecord, first: RefreshTokenRecord): Promise<void> {
    const end = Math.ceil(family.expires_at);
    await guarded(() =>
      this.#redis
        .multi()
        .hset(this.#family(family.family_id), 'j', JSON.stringify(family), 'c', family.client_id, 'e', String(end), 'l', first.token_hash)
        .pexpireat(this.#family(family.family_id), end)
        .hset(this.#token(first.token_hash), 'f', family.family_id, 's', first.scopes.join(' '), 'c', String(first.created_at))
        .pexpireat(this.#token(first.token_hash), end)
        .exec(),
    );
  }

  async get(tokenHash: string, nowMs: number): Promise<{ token: RefreshTokenRecord; family: RefreshFamilyRecord } | null> {
    const found = await guarded(() => this.#redis.tesseraGetRefresh(this.#token(tokenHash), this.prefix));
    if (!found) return null;
    const [f, s, c, j, r] = found;
    if (!j || r === '1') return null;
    const family = JSON.parse(j) as RefreshFamilyRecord;
    if (family.expires_at <= nowMs) return null;
    return { token: { token_hash: tokenHash, family_id: f, scopes: s ? s.split(' ') : [], created_at: Number(c) }, family };
  }

  async rotate(args: { tokenHash: string; clientId: string; successor: RefreshTokenRecord; successorSealed: string; nowMs: number; graceMs: number }): Promise<RotationOutcome> {
    const answer = await guarded(() =>
      this.#redis.tesseraRotate(
        this.#token(args.tokenHash), this.prefix, args.clientId, args.successor.token_hash, args.successor.scopes.join(' '),
        String(args.successor.created_at), args.successorSealed, String(args.nowMs), String(Math.max(0, Math.floor(args.graceMs))),
      ),
    );
    const [outcome, familyJson, ...rest] = answer;
    const family = familyJson ? (JSON.parse(familyJson) as RefreshFamilyRecord) : null;
    switch (outcome) {
      case 'rotated': return { outcome, family: family! };
      case 'grace': return { outcome, family: family!, successor_sealed: rest[0]! };
      case 'reuse': return { outcome, family: family!, access_tokens: parseAccessTokens(rest) };
      case 'wrong_client': return { outcome };
      default: return { outcome: 'invalid' };
    }
  }

  async revokeFamily(familyId: string): Promise<FamilyAccessToken[] | null> {
    const entries = await guarded(() => this.#redis.tesseraRevokeFamily(this.#family(familyId), this.#accessTokens(familyId), this.prefix));
    return entries === null ? null : parseAccessTokens(entries);
  }

  async addAccessToken(familyId: string, token: FamilyAccessToken): Promise<void> {
    await guarded(() => this.#redis.tesseraAddFamilyToken(this.#family(familyId), this.#accessTokens(familyId), `${token.jti} ${token.expires_at}`));
  }
}
