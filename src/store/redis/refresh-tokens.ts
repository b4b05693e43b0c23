/**
 * Refresh-token families in Redis: one hash per family, nothing per token.
 * Layout (under the store's prefix; names in keys.ts):
 *   `rf:{<family>}` hash {c: client id, u: user id, s: scopes (space-separated),
 *                   m: '<created ms> <end - created ms> <created s - auth_time>' (base 36;
 *                   earlier versions, and times that are not integers: a: auth_time (s),
 *                   t: created (ms), e: end (ms)), l: the live token's hash (liveHash()),
 *                   lc: when the live token was made (ms; absent while it is the first),
 *                   ls: the live token's scopes (absent while they are the family's),
 *                   r: '1' once revoked, k: the DPoP key thumbprint a public client's
 *                   family is bound to, n: access tokens added so far (absent while
 *                   at most one), <i> (x<i> in families of earlier versions): the i-th's
 *                   jti and expiry (see FAMILY_LUA), the newest 50 kept}
 *   (<family> is the family id's 22-character form, compactId())
 *   `rg:{<family>}` "<consumed hash> <successor hash> <kept successor>" after a
 *                   rotation, PX the grace window (then gone)
 *   `uf:<user>`     string: the user's sessions, ` <family>:<end>` each (the family
 *                   id's 22-character form, its end in seconds, base 36; see INDEX_LUA);
 *                   ended and revoked entries leave by a rewrite, and the key expires
 *                   with the user's last family. (A sorted set in earlier versions,
 *                   turned into the string the first time it is touched.)
 * The family hash expires at the family's absolute end (PEXPIREAT).
 *
 * Reuse detection without a record per consumed token: a token names its
 * family (tokens/refresh-tokens.ts derives the family id from a secret part
 * all of the family's tokens share), so any token of a live family that is
 * not its live token, and not the one just rotated within the grace window,
 * is reuse and revokes the family, for the family's whole life.
 *
 * Cluster: the family and its grace entry share the family's hash tag, and
 * every script takes both in KEYS, so a rotation is one atomic step on one
 * node; the user's index is a key of its own, written in a step of its own.
 *
 * Memory: every field is short (a value over Redis's
 * hash-max-listpack-value, 64 bytes, would turn the hash into a hashtable,
 * about three times the size; what gives the successor back within the
 * grace window lives in the grace entry, which expires within seconds).
 *
 * Families and sessions indexes written by the previous version (times in
 * a/t/e, x<i> fields, a 128-bit live hash, a sorted-set index) are read and
 * rotated as they are. Older layouts (`rf:<family>` without a tag, a
 * `rt:<hash>` record per token) are not read: their refresh tokens are
 * refused as invalid_grant and their sessions are no longer listed (README,
 * "Refresh tokens").
 */
import type {
  FamilyAccessToken, PeekThenTake, RefreshFamilyRecord, RefreshSession, RefreshTokenRecord, RefreshTokenRepository, RotateArgs, RotationLimits,
  RotationOutcome,
} from '../store.js';
import { compactId, isUuid, uuidOf } from './compact-id.js';
import { guarded, type RedisClient } from './connection.js';
import { defineScript, type RedisContext } from './context.js';
import { PEEK_THEN_TAKE_SCRIPT, peekThenTakeArgs, peekThenTakeOutcome, type PeekThenTakeReply } from './rate-limits.js';

/** Access-token ids a family keeps (the newest), revoked with it. */
const FAMILY_ACCESS_TOKENS = 50;

/** The sessions index is rewritten (pruned) once it reaches this length, or twice its length after the last rewrite. */
const INDEX_MIN_PRUNE_AT = 4096;

/**
 * The fields of a family read by get() and listings, familyFields() giving
 * them in this order: the ones familyOf() reads (c, u, s, a, t, e, r, k, m),
 * then the live token's hash, created time and scopes (l, lc, ls). The
 * earlier versions' time fields (a, t, e), which a family of this version
 * lacks, are asked for only when `m` is absent: each field a hash lacks costs
 * Redis a scan of the whole hash (up to FAMILY_ACCESS_TOKENS entries).
 */
const CURRENT_FIELDS = ['c', 'u', 's', 'r', 'k', 'm', 'l', 'lc', 'ls'] as const;

// Lua shared by the scripts.
// Integers in base 36 (times and counts in fewer bytes), either way, signed.
const BASE36_LUA = `
local DIGITS = '0123456789abcdefghijklmnopqrstuvwxyz'
local function n36(s)
  if string.sub(s, 1, 1) == '-' then return -tonumber(string.sub(s, 2), 36) end
  return tonumber(s, 36)
end
local function b36(n)
  if n < 0 then return '-' .. b36(-n) end
  local s = ''
  repeat
    local r = n % 36
    s = string.sub(DIGITS, r + 1, r + 1) .. s
    n = (n - r) / 36
  until n == 0
  return s
end
`;

// A family's times: from `m` ('<created> <end - created> <created s - auth_time>',
// ms and s, base 36) or, in a family written by an earlier version, from its
// `t` and `e` fields; and the prefix of its access-token fields ('' for
// `1`, `2`, ... or 'x' for the earlier `x1`, `x2`, ...).
// An access-token entry: '<jti, 22 characters><expiry - family created, ms, base 36>'
// for a UUID jti, else '<jti> <expiry ms>'.
const FAMILY_LUA = `
${BASE36_LUA}local function times(t, e, m)
  if m then
    local a, b = string.match(m, '^(%S+) (%S+)')
    local created = n36(a)
    return created, created + n36(b), ''
  end
  if not t or not e then return nil, nil, 'x' end
  return tonumber(t), tonumber(e), 'x'
end
local function count(fkey, pre)
  local n = redis.call('HGET', fkey, 'n')
  if n then return tonumber(n) end
  -- 'n' is written from the second entry on.
  return redis.call('HEXISTS', fkey, pre .. '1')
end
local function access_tokens(fkey, pre)
  local n = count(fkey, pre)
  local out = {}
  for i = n, math.max(1, n - ${FAMILY_ACCESS_TOKENS - 1}), -1 do
    local v = redis.call('HGET', fkey, pre .. i)
    if v then out[#out + 1] = v end
  end
  return out
end
-- The fields that record an access token as the family's (n + 1)-th (n: the count
-- so far), appended to set (HSET arguments); the field that falls out of the
-- newest ${FAMILY_ACCESS_TOKENS}, or nil. jti: its 22-character form, or the jti as it is
-- followed by a space, or '' for none.
local function access_token_fields(set, pre, n, created, jti, exp)
  if jti == '' then return nil end
  local entry
  if string.find(jti, ' ', 1, true) then entry = jti .. exp else entry = jti .. b36(tonumber(exp) - created) end
  n = n + 1
  set[#set + 1] = pre .. n
  set[#set + 1] = entry
  if n > 1 then
    set[#set + 1] = 'n'
    set[#set + 1] = n
  end
  if n > ${FAMILY_ACCESS_TOKENS} then return pre .. (n - ${FAMILY_ACCESS_TOKENS}) end
  return nil
end
local function add_access_token(fkey, pre, n, created, jti, exp)
  local set = {}
  local drop = access_token_fields(set, pre, n, created, jti, exp)
  if #set > 0 then redis.call('HSET', fkey, unpack(set)) end
  if drop then redis.call('HDEL', fkey, drop) end
end
-- A live token's hash as kept (liveHash()) against a presented one: a hash kept at 96 bits matches on its first 16 characters.
local function same(live, presented)
  return live == presented or (#live == 16 and #presented == 22 and live == string.sub(presented, 1, 16))
end
`;

// KEYS: rf:{family}, rg:{family}. ARGV: client, presented hash, successor hash
// (as kept), successor scopes, successor created, kept successor, now, grace
// ms, access token jti (atJti(), or ''), its expiry (ms), '1' when the caller
// has the family's fields already, the checks (RotationChecks): '' none (the
// caller read the family and checked; ARGV[4] are the successor's scopes), 'a'
// (ARGV[4] are the scopes asked, which must be in the family's grant, RFC 6749
// §6) or 'l' (none asked: the live token's), and the key thumbprint the
// request proved ('' none; RFC 9449 §5: a bound family needs its key). One
// step, so twenty concurrent refreshes of one token see one 'rotated' and the
// rest 'grace' (or 'reuse' with no grace), on one Redis as on a Cluster (both
// keys in one slot).
// Answers {outcome, family fields (c, u, s, a, t, e, r, k, m), ...}; {'rotated'}
// alone when the caller has the fields (they never change after the family
// starts); with checks, 'rotated' ends with the successor's scopes.
const ROTATE = `${FAMILY_LUA}
-- A field the hash lacks costs Redis a scan of the whole hash (a listpack of
-- up to ${FAMILY_ACCESS_TOKENS} access tokens and the family's fields): the
-- earlier versions' time fields (a, t, e) are asked for only when 'm' is
-- absent, and the first access token only when 'n' is.
local f = redis.call('HMGET', KEYS[1], 'c', 'u', 's', 'r', 'k', 'm', 'l', 'n', 'ls')
local old = f[6] and {} or redis.call('HMGET', KEYS[1], 'a', 't', 'e')
-- c, u, s, a, t, e, r, k, m, l, n, ls
local fam = {f[1], f[2], f[3], old[1], old[2], old[3], f[4], f[5], f[6], f[7], f[8], f[9]}
local created, ends, pre = times(fam[5], fam[6], fam[9])
if not fam[1] or not ends or fam[7] == '1' or ends <= tonumber(ARGV[7]) then return {'invalid'} end
if fam[1] ~= ARGV[1] then return {'wrong_client'} end
local head = {fam[1], fam[2], fam[3], fam[4] or '', fam[5] or '', fam[6] or '', '', fam[8] or '', fam[9] or ''}
-- Access tokens so far ('n' is written from the second on).
local n = tonumber(fam[11]) or redis.call('HEXISTS', KEYS[1], pre .. '1')
if fam[10] and same(fam[10], ARGV[2]) then
  local scopes = ARGV[4]
  if ARGV[12] == 'a' or ARGV[12] == 'l' then
    if fam[8] and fam[8] ~= ARGV[13] then return {'key_bound'} end
    if ARGV[12] == 'l' then
      scopes = fam[12] or fam[3] or ''
    else
      local granted = {}
      for g in string.gmatch(fam[3] or '', '%S+') do granted[g] = true end
      for a in string.gmatch(scopes, '%S+') do
        if not granted[a] then return {'scope_outside', unpack(head)} end
      end
    end
  end
  -- One HSET: the live token, its time and scopes, and the access token.
  local set = {'l', ARGV[3], 'lc', ARGV[5]}
  if scopes ~= fam[3] then
    set[#set + 1] = 'ls'
    set[#set + 1] = scopes
  elseif fam[12] then
    redis.call('HDEL', KEYS[1], 'ls')
  end
  local drop = access_token_fields(set, pre, n, created, ARGV[9], ARGV[10])
  redis.call('HSET', KEYS[1], unpack(set))
  if drop then redis.call('HDEL', KEYS[1], drop) end
  if tonumber(ARGV[8]) > 0 then
    redis.call('SET', KEYS[2], ARGV[2] .. ' ' .. ARGV[3] .. ' ' .. ARGV[6], 'PX', ARGV[8])
  else
    redis.call('DEL', KEYS[2])
  end
  if ARGV[11] == '1' then return {'rotated'} end
  local out = {'rotated', unpack(head)}
  if ARGV[12] == 'a' or ARGV[12] == 'l' then out[#out + 1] = scopes end
  return out
end
local g = redis.call('GET', KEYS[2])
if g then
  local a = string.find(g, ' ', 1, true)
  local b = a and string.find(g, ' ', a + 1, true)
  -- Only while the successor is still the live token: once it has been used
  -- the grace is over, and presenting its predecessor is reuse (RFC 9700 §4.14.2).
  if b and string.sub(g, 1, a - 1) == ARGV[2] and string.sub(g, a + 1, b - 1) == fam[10] then
    add_access_token(KEYS[1], pre, n, created, ARGV[9], ARGV[10])
    head[#head + 1] = string.sub(g, b + 1)
    return {'grace', unpack(head)}
  end
end
redis.call('HSET', KEYS[1], 'r', '1')
redis.call('DEL', KEYS[2])
local out = {'reuse', unpack(head)}
for _, v in ipairs(access_tokens(KEYS[1], pre)) do out[#out + 1] = v end
return out`;

// KEYS: the counter peeked at, the counter taken from (PEEK_THEN_TAKE_SCRIPT),
// rf:{family}, rg:{family}. ARGV: the counters' five, then ROTATE's. ROTATE
// runs only when the peek allowed and the take was allowed, all in one step:
// a refresh by a client already proved in the process costs one command.
// Answers {the counters' answer, ROTATE's answer or false}. Only on one Redis:
// on a Cluster the counters and the family are in different slots.
const ROTATE_LIMITED = `
local function limits(KEYS, ARGV)
${PEEK_THEN_TAKE_SCRIPT}
end
local function rotate(KEYS, ARGV)
${ROTATE}
end
local counted = limits({KEYS[1], KEYS[2]}, {ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5]})
if counted[1] ~= 1 or counted[3] ~= 1 then return {counted, false} end
return {counted, rotate({KEYS[3], KEYS[4]}, {unpack(ARGV, 6)})}`;

// KEYS: rf:{family}, rg:{family}. Answers {t, m, access-token entries...} (what parseAccessTokens needs), or nil.
const REVOKE = `${FAMILY_LUA}
local fam = redis.call('HMGET', KEYS[1], 't', 'e', 'm')
local created, ends, pre = times(fam[1], fam[2], fam[3])
if not ends then return false end
redis.call('HSET', KEYS[1], 'r', '1')
redis.call('DEL', KEYS[2])
local out = {fam[1] or '', fam[3] or ''}
for _, v in ipairs(access_tokens(KEYS[1], pre)) do out[#out + 1] = v end
return out`;

// KEYS: rf:{family}. ARGV: access token jti (atJti()), its expiry (ms).
// 0 for a family that is gone or revoked: the revocation did not list this token.
const ADD_AT = `${FAMILY_LUA}
-- t and e (earlier versions' times) only when 'm' is absent, as in ROTATE.
local fam = redis.call('HMGET', KEYS[1], 'm', 'r')
local old = fam[1] and {} or redis.call('HMGET', KEYS[1], 't', 'e')
local created, ends, pre = times(old[1], old[2], fam[1])
if not ends or fam[2] == '1' then return 0 end
add_access_token(KEYS[1], pre, count(KEYS[1], pre), created, ARGV[1], ARGV[2])
return 1`;

// The user's sessions index (`uf:<user>`): one string, `<prune at>` then
// ` <family>:<end>` per family (<family> as entryId() writes it, <end> the
// family's end in seconds, rounded up, base 36): about 30 bytes a family,
// where a sorted set of 100,000 members costs about 136 (its skiplist and
// dict). Appended to when a family starts; entries of ended families (and of
// revoked ones, which a listing names) are dropped by a rewrite when the
// string has reached <prune at> (twice its length after the last rewrite, so
// rewrites cost O(1) per family over time) and when a listing finds some.
// The sorted set of earlier versions (family ids scored by end ms) is turned
// into this form the first time the key is touched.
const INDEX_LUA = `
local MIN_PRUNE_AT = ${INDEX_MIN_PRUNE_AT}
${BASE36_LUA}local function rewrite(key, entries)
  if #entries == 0 then
    redis.call('DEL', key)
    return
  end
  local body = table.concat(entries)
  redis.call('SET', key, string.format('%d', math.max(MIN_PRUNE_AT, 2 * #body)) .. body, 'KEEPTTL')
end
-- Keeps the entries of families that have not ended by now (s) and are not in gone (a set of ids).
local function prune(key, now, gone)
  local kept, seen = {}, {}
  for id, e in string.gmatch(redis.call('GET', key) or '', ' ([^ :]+):(%w+)') do
    if not gone[id] and not seen[id] and tonumber(e, 36) > now then
      seen[id] = true
      kept[#kept + 1] = ' ' .. id .. ':' .. e
    end
  end
  rewrite(key, kept)
end
-- The earlier sorted set (members: family ids, scores: end ms) as the string; false when nothing is left.
local function from_sorted_set(key, now_ms)
  local m = redis.call('ZRANGE', key, '(' .. now_ms, '+inf', 'BYSCORE', 'WITHSCORES')
  local entries = {}
  for i = 1, #m, 2 do
    local id = m[i]
    if not string.find(id, '[ :%%]') then
      if not string.match(id, '^%x%x%x%x%x%x%x%x%-%x%x%x%x%-%x%x%x%x%-%x%x%x%x%-%x%x%x%x%x%x%x%x%x%x%x%x$') then id = '=' .. id end
      entries[#entries + 1] = ' ' .. id .. ':' .. b36(math.ceil(tonumber(m[i + 1]) / 1000))
    end
  end
  if #entries == 0 then
    redis.call('DEL', key)
    return false
  end
  local pttl = redis.call('PTTL', key)
  redis.call('DEL', key)
  local body = table.concat(entries)
  redis.call('SET', key, string.format('%d', math.max(MIN_PRUNE_AT, 2 * #body)) .. body)
  if pttl > 0 then redis.call('PEXPIRE', key, pttl) end
  return true
end
local function kind(key, now_ms)
  local t = redis.call('TYPE', key)['ok']
  if t == 'zset' then return from_sorted_set(key, now_ms) and 'string' or 'none' end
  return t
end
`;

// KEYS: uf:<user>. ARGV: entry (' <family>:<end>'), family end (ms), now (ms), now (s).
// One key, so it can sit in another hash slot than the family's.
const INDEX = `${INDEX_LUA}
local t = kind(KEYS[1], ARGV[3])
if t ~= 'string' then
  if t ~= 'none' then return redis.error_reply('WRONGTYPE sessions index') end
  redis.call('SET', KEYS[1], string.format('%d', MIN_PRUNE_AT) .. ARGV[1], 'PXAT', ARGV[2])
  return 1
end
local len = redis.call('APPEND', KEYS[1], ARGV[1])
-- The index expires with the user's last family.
local pttl = redis.call('PTTL', KEYS[1])
if pttl < 0 or tonumber(ARGV[3]) + pttl < tonumber(ARGV[2]) then redis.call('PEXPIREAT', KEYS[1], ARGV[2]) end
local at = tonumber(string.match(redis.call('GETRANGE', KEYS[1], 0, 15), '^(%d+)'))
if not at or len >= at then prune(KEYS[1], tonumber(ARGV[4]), {}) end
return 1`;

// KEYS: uf:<user>. ARGV: now (ms). The index's string (after turning an earlier sorted set into it), or false.
const READ_INDEX = `${INDEX_LUA}
if kind(KEYS[1], ARGV[1]) ~= 'string' then return false end
return redis.call('GET', KEYS[1])`;

// KEYS: uf:<user>. ARGV: now (s), then the ids of families a listing found gone (revoked or ended).
const UNINDEX = `${INDEX_LUA}
if redis.call('TYPE', KEYS[1])['ok'] ~= 'string' then return 0 end
local gone = {}
for i = 2, #ARGV do gone[ARGV[i]] = true end
prune(KEYS[1], tonumber(ARGV[1]), gone)
return 1`;

type Field = string | null;

interface Scripts {
  tesseraRotateFamily(family: string, grace: string, ...args: string[]): Promise<Field[]>;
  tesseraRotateLimited(peeked: string, taken: string, family: string, grace: string, ...args: string[]): Promise<[PeekThenTakeReply, Field[] | null]>;
  tesseraRevokeFamily(family: string, grace: string): Promise<string[] | null>;
  tesseraAddFamilyToken(family: string, jti: string, expiresAt: string): Promise<number>;
  tesseraIndexFamily(userFamilies: string, entry: string, end: string, nowMs: string, nowS: string): Promise<number>;
  tesseraReadSessions(userFamilies: string, nowMs: string): Promise<string | null>;
  tesseraPruneSessions(userFamilies: string, nowS: string, ...gone: string[]): Promise<number>;
}

/** A family as the sessions index names it: a UUID in its 22-character form, anything else `=` and URI-encoded (no space or colon). */
function entryId(id: string): string {
  const compact = compactId(id);
  return compact !== id ? compact : `=${encodeURIComponent(id)}`;
}

/** The family id of an index entry: the 22-character form, the whole UUID (as an earlier sorted set held it), or `=` and URI-encoded. */
function familyOfEntry(entry: string): string | null {
  try {
    if (entry.startsWith('=')) return decodeURIComponent(entry.slice(1));
  } catch {
    return null;
  }
  if (isUuid(entry)) return entry;
  return /^[A-Za-z0-9_-]{22}$/.test(entry) ? uuidOf(entry) : null;
}

/** The index entries (` <family>:<end s, base 36>`) of families not ended by `nowMs`: id and end (s), each family once. */
function indexEntries(index: string | null, nowMs: number): Array<{ entry: string; id: string; end: number }> {
  const out = new Map<string, { entry: string; id: string; end: number }>();
  if (!index) return [];
  for (const m of index.matchAll(/ ([^ :]+):([0-9a-z]+)/g)) {
    const end = Number.parseInt(m[2]!, 36);
    const id = familyOfEntry(m[1]!);
    if (id !== null && end * 1000 > nowMs && !out.has(id)) out.set(id, { entry: m[1]!, id, end });
  }
  return [...out.values()];
}

/**
 * An access token's jti as the scripts take it: a UUID in its 22-character
 * form (the script appends the expiry relative to the family's start, base
 * 36: about 27 bytes instead of 50), anything else followed by a space (the
 * script appends the expiry in ms).
 */
function atJti(token: FamilyAccessToken): string {
  const compact = compactId(token.jti);
  return compact !== token.jti ? compact : `${token.jti} `;
}

/**
 * Access-token entries: `<jti> <expiry ms>`; `~<jti, 22 characters>.<expiry
 * ms, base 36>` (earlier versions); `<jti, 22 characters><expiry - family
 * start, ms, base 36>`.
 */
function parseAccessTokens(entries: readonly Field[], familyCreated: number): FamilyAccessToken[] {
  return entries.filter((e): e is string => typeof e === 'string').map((e) => {
    const space = e.lastIndexOf(' ');
    if (space >= 0) return { jti: e.slice(0, space), expires_at: Number(e.slice(space + 1)) };
    if (e.startsWith('~')) {
      const [jti, exp] = e.slice(1).split('.');
      return { jti: uuidOf(jti!), expires_at: Number.parseInt(exp!, 36) };
    }
    return { jti: uuidOf(e.slice(0, 22)), expires_at: familyCreated + Number.parseInt(e.slice(22), 36) };
  });
}

/** `m`: '<created ms> <end - created ms> <created s - auth_time>', base 36; null when a value is not an integer (then `a`, `t`, `e` are written). */
function packedTimes(family: RefreshFamilyRecord, end: number): string | null {
  const values = [family.created_at, end - family.created_at, Math.floor(family.created_at / 1000) - family.auth_time];
  return values.every((v) => Number.isSafeInteger(v)) ? values.map((v) => v.toString(36)).join(' ') : null;
}

/** The family's start, end and auth_time from `m`, or from `t`, `e`, `a` (earlier versions and non-integer times). */
function timesOf(a: Field, t: Field, e: Field, m: Field): { created: number; end: number; authTime: number } | null {
  if (m) {
    const [created, length, auth] = m.split(' ').map((v) => Number.parseInt(v, 36));
    return { created: created!, end: created! + length!, authTime: Math.floor(created! / 1000) - auth! };
  }
  return t && e ? { created: Number(t), end: Number(e), authTime: Number(a) } : null;
}

/**
 * A live token's hash as kept: a SHA-256-based hash in its 22-character
 * form (128 bits, tokens/refresh-tokens.ts) by its first 16 (96 bits), which
 * saves 6 bytes a family; anything else as it is. Presented tokens still
 * come with 22 characters and match on their first 16 (same() in the
 * scripts); a family written by an earlier version keeps its 22 until its
 * next rotation. 96 bits are far beyond reach: the hash is never shown, a
 * token is about 190 random bits, and a holder of an old token of the family
 * who guesses wrong has the family revoked at once.
 */
function liveHash(hash: string): string {
  return /^[A-Za-z0-9_-]{22}$/.test(hash) ? hash.slice(0, 16) : hash;
}

function sameHash(kept: string, presented: string): boolean {
  return kept === presented || (kept.length === 16 && presented.length === 22 && presented.startsWith(kept));
}

/**
 * The family from its fields in familyFields() order (c, u, s, a, t, e, r, k, m),
 * starting at `at` (a script's answer has its outcome first); null when it
 * is gone. Read by index, not sliced: every rotation parses one.
 */
function familyOf(familyId: string, fields: readonly Field[], at = 0): RefreshFamilyRecord | null {
  const c = fields[at];
  const times = c ? timesOf(fields[at + 3] ?? null, fields[at + 4] ?? null, fields[at + 5] ?? null, fields[at + 8] ?? null) : null;
  if (!c || !times) return null;
  const s = fields[at + 2];
  const family: RefreshFamilyRecord = {
    family_id: familyId,
    client_id: c,
    user_id: fields[at + 1] ?? '',
    scopes: s ? s.split(' ') : [],
    auth_time: times.authTime,
    created_at: times.created,
    expires_at: times.end,
  };
  const k = fields[at + 7];
  if (k) family.jkt = k;
  return family;
}

/** A live family and its live token from familyFields(); null when the family is gone, revoked or ended. */
function liveOf(familyId: string, fields: readonly Field[], nowMs: number): { family: RefreshFamilyRecord; live: RefreshTokenRecord } | null {
  const family = familyOf(familyId, fields);
  if (!family || fields[6] === '1' || family.expires_at <= nowMs || !fields[9]) return null;
  const [, , , , , , , , , l, lc, ls] = fields;
  return {
    family,
    live: { token_hash: l!, family_id: familyId, scopes: ls ? ls.split(' ') : ls === '' ? [] : family.scopes, created_at: lc ? Number(lc) : family.created_at },
  };
}

/** rotate()'s outcome from the script's answer: {outcome, c, u, s, a, t, e, r, k, m, ...rest}, or {'rotated'} when the family is `known`. */
function rotationOutcome(familyId: string, answer: readonly Field[], known: RefreshFamilyRecord | null): RotationOutcome {
  const outcome = answer[0];
  if (known && answer.length === 1 && outcome === 'rotated') return { outcome: 'rotated', family: known };
  const found = familyOf(familyId, answer, 1);
  // What follows the family's nine fields.
  const rest = answer[10];
  switch (outcome) {
    case 'rotated': return answer.length > 10 ? { outcome, family: found!, scopes: rest ? rest.split(' ') : [] } : { outcome, family: found! };
    case 'grace': return { outcome, family: found!, successor_sealed: rest! };
    case 'reuse': return { outcome, family: found!, access_tokens: parseAccessTokens(answer.slice(10), found!.created_at) };
    case 'scope_outside': return { outcome, family: found! };
    case 'wrong_client': case 'key_bound': return { outcome };
    default: return { outcome: 'invalid' };
  }
}

export class RedisRefreshTokenRepository implements RefreshTokenRepository {
  readonly #redis: RedisClient & Scripts;

  constructor(private readonly ctx: RedisContext) {
    defineScript(ctx, 'tesseraRotateFamily', 2, ROTATE);
    if (!ctx.clustered) {
      defineScript(ctx, 'tesseraRotateLimited', 4, ROTATE_LIMITED);
      this.rotateLimited = (limits, args) => this.#rotateLimited(limits, args);
    }
    defineScript(ctx, 'tesseraRevokeFamily', 2, REVOKE);
    defineScript(ctx, 'tesseraAddFamilyToken', 1, ADD_AT);
    defineScript(ctx, 'tesseraIndexFamily', 1, INDEX);
    defineScript(ctx, 'tesseraReadSessions', 1, READ_INDEX);
    defineScript(ctx, 'tesseraPruneSessions', 1, UNINDEX);
    this.#redis = ctx.redis as RedisClient & Scripts;
  }

  // Family ids (UUIDs) appear in key names in their 22-character form.
  #family(id: string): string { return this.ctx.keys.refreshFamily(compactId(id)); }
  #grace(id: string): string { return this.ctx.keys.refreshGrace(compactId(id)); }
  #userFamilies(userId: string): string { return this.ctx.keys.refreshFamiliesOfUser(userId); }

  async createFamily(family: RefreshFamilyRecord, first: RefreshTokenRecord): Promise<void> {
    const end = Math.ceil(family.expires_at);
    const scopes = family.scopes.join(' ');
    const firstScopes = first.scopes.join(' ');
    // The user's index is written first (the same round trip: one connection
    // keeps the order): an indexed family that does not exist yet is skipped
    // by listFamilies, while a family missing from the index could not be
    // seen or ended on its own.
    const entry = ` ${entryId(family.family_id)}:${Math.ceil(end / 1000).toString(36)}`;
    const now = family.created_at;
    const indexed = guarded(() =>
      this.#redis.tesseraIndexFamily(this.#userFamilies(family.user_id), entry, String(end), String(now), String(Math.floor(now / 1000))));
    const key = this.#family(family.family_id);
    const times = packedTimes(family, end);
    const created = guarded(() =>
      this.#redis
        .multi()
        .hset(
          key,
          'c', family.client_id, 'u', family.user_id, 's', scopes,
          ...(times !== null ? ['m', times] : ['a', String(family.auth_time), 't', String(family.created_at), 'e', String(end)]),
          'l', liveHash(first.token_hash),
          ...(first.created_at !== family.created_at ? ['lc', String(first.created_at)] : []),
          ...(firstScopes !== scopes ? ['ls', firstScopes] : []),
          ...(family.jkt ? ['k', family.jkt] : []),
        )
        .pexpireat(key, end)
        .exec(),
    );
    await Promise.all([indexed, created]);
  }

  /** A family's fields in the order above (c, u, s, a, t, e, r, k, m, l, lc, ls): a, t and e read only for a family without `m` (an earlier version's). */
  async #familyFields(familyId: string): Promise<Field[]> {
    const key = this.#family(familyId);
    const [c, u, s, r, k, m, l, lc, ls] = await this.#redis.hmget(key, ...CURRENT_FIELDS);
    // Those fields never change once the family is written: read apart, they still belong to it (gone meanwhile: null, the family is gone).
    const [a, t, e] = c && !m ? await this.#redis.hmget(key, 'a', 't', 'e') : [null, null, null];
    return [c ?? null, u ?? null, s ?? null, a ?? null, t ?? null, e ?? null, r ?? null, k ?? null, m ?? null, l ?? null, lc ?? null, ls ?? null];
  }

  async get(familyId: string, tokenHash: string, nowMs: number): Promise<{ token: RefreshTokenRecord; family: RefreshFamilyRecord } | null> {
    const fields = await guarded(() => this.#familyFields(familyId));
    const found = liveOf(familyId, fields, nowMs);
    // Any other token of the family is not live (the caller compares nothing secret: hashes only).
    if (!found || !sameHash(found.live.token_hash, tokenHash)) return null;
    return { token: { ...found.live, token_hash: tokenHash }, family: found.family };
  }

  async rotate(args: RotateArgs): Promise<RotationOutcome> {
    const { keys, argv, known } = this.#rotation(args);
    const answer = await this.ctx.durable.write(keys[0], (c) => (c as RedisClient & Scripts).tesseraRotateFamily(keys[0], keys[1], ...argv));
    return rotationOutcome(args.familyId, answer, known);
  }

  /** See RefreshTokenRepository.rotateLimited: set in the constructor, on one Redis only (the counters and the family are in different slots). */
  readonly rotateLimited?: (limits: RotationLimits, args: RotateArgs) => Promise<{ limits: PeekThenTake; rotation: RotationOutcome | null }>;

  async #rotateLimited(limits: RotationLimits, args: RotateArgs): Promise<{ limits: PeekThenTake; rotation: RotationOutcome | null }> {
    const { keys, argv, known } = this.#rotation(args);
    const counters = peekThenTakeArgs(this.ctx, limits.peek, limits.take, limits.nowMs);
    const [counted, answer] = await this.ctx.durable.write(keys[0], (c) =>
      (c as RedisClient & Scripts).tesseraRotateLimited(counters.keys[0], counters.keys[1], keys[0], keys[1], ...counters.argv, ...argv));
    const outcome = peekThenTakeOutcome(counted, limits.peek.rule, limits.take, limits.nowMs);
    return { limits: outcome, rotation: answer ? rotationOutcome(args.familyId, answer, known) : null };
  }

  /** The rotation script's keys and arguments (see ROTATE). */
  #rotation(args: RotateArgs): { keys: [string, string]; argv: string[]; known: RefreshFamilyRecord | null } {
    const checks = args.checks ?? null;
    // With checks the script answers the successor's scopes, so the family is read back.
    const known = !checks && args.known?.family_id === args.familyId ? args.known : null;
    // The family id's key form, made once for both keys.
    const compact = compactId(args.familyId);
    const at = args.accessToken ? [atJti(args.accessToken), String(Math.ceil(args.accessToken.expires_at))] : ['', ''];
    const scopes = checks ? (checks.asked ?? []).join(' ') : args.successor.scopes.join(' ');
    return {
      keys: [this.ctx.keys.refreshFamily(compact), this.ctx.keys.refreshGrace(compact)],
      argv: [
        args.clientId, args.tokenHash, liveHash(args.successor.token_hash), scopes,
        String(args.successor.created_at), args.successorSealed, String(args.nowMs), String(Math.max(0, Math.floor(args.graceMs))), ...at,
        known ? '1' : '', checks ? (checks.asked ? 'a' : 'l') : '', checks?.jkt ?? '',
      ],
      known,
    };
  }

  async revokeFamily(familyId: string): Promise<FamilyAccessToken[] | null> {
    const family = this.#family(familyId);
    const entries = await this.ctx.durable.write(family, (c) => (c as RedisClient & Scripts).tesseraRevokeFamily(family, this.#grace(familyId)));
    if (entries === null) return null;
    // {t, m, ...entries}
    const [t, m, ...rest] = entries;
    return parseAccessTokens(rest, timesOf(null, t || null, '0', m || null)?.created ?? 0);
  }

  async addAccessToken(familyId: string, token: FamilyAccessToken): Promise<boolean> {
    return (await guarded(() => this.#redis.tesseraAddFamilyToken(this.#family(familyId), atJti(token), String(Math.ceil(token.expires_at))))) === 1;
  }

  async listFamilies(userId: string, nowMs: number, limit: number): Promise<RefreshSession[]> {
    const index = this.#userFamilies(userId);
    const raw = await guarded(() => this.#redis.tesseraReadSessions(index, String(nowMs)));
    // The families that end last (the newest, with one lifetime) first; at most `limit`.
    const all = indexEntries(raw, nowMs);
    const entries = all.sort((a, b) => b.end - a.end).slice(0, limit);
    const sessions = await this.#sessions(entries.map((e) => e.id), nowMs);
    // Revoked families stay in the index until they end; leave them out of it now, with ended ones.
    const gone = entries.filter((_, i) => sessions[i] === null).map((e) => e.entry);
    const ended = raw !== null && (raw.match(/ /g)?.length ?? 0) > all.length;
    if (gone.length || ended) await guarded(() => this.#redis.tesseraPruneSessions(index, String(Math.floor(nowMs / 1000)), ...gone));
    return sessions.filter((s): s is RefreshSession => s !== null).sort((a, b) => b.family.created_at - a.family.created_at);
  }

  async getFamily(familyId: string, nowMs: number): Promise<RefreshSession | null> {
    const [session] = await this.#sessions([familyId], nowMs);
    return session ?? null;
  }

  /** The live families among `ids` (null in place of the others): one HMGET each (two for an earlier version's), sent together (families are in different slots on a Cluster). */
  async #sessions(ids: readonly string[], nowMs: number): Promise<Array<RefreshSession | null>> {
    if (ids.length === 0) return [];
    const families = await guarded(() => Promise.all(ids.map((id) => this.#familyFields(id))));
    return ids.map((id, i) => {
      const found = liveOf(id, families[i]!, nowMs);
      if (!found) return null;
      const at = found.live.created_at;
      return { family: found.family, last_refreshed_at: at > found.family.created_at ? at : null };
    });
  }
}
