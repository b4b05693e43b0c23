// Scale: Tessera's issuance (client_credentials, refresh rotation) and the
// verifier's throughput on the run's store as seeded, then again with N live
// refresh-token families and N revoked token ids added under the same prefix.
// The bulk write runs as a Lua script in Redis (chunks of 2,000, so no call
// blocks Redis for long) writing exactly the keys and fields of the Redis
// store (src/store/redis/refresh-tokens.ts, key names from keys.ts) for a
// live family with one access token: createFamily's `rf:{<family, 22
// characters>}` hash (c, u, s, m: the packed times, l: the live token's hash
// as kept, 16 characters) and PEXPIREAT, plus the field `1` that
// addAccessToken's script adds (the access token's jti, 22 characters, and
// its expiry after the family's start, base 36); and, per revoked id, what
// src/store/redis/revocations.ts add writes (`revoked:<jti>`, and a feed
// record, here in the single `revfeed` stream the store still reads as one
// more shard, so that removing it cannot touch the records the run's own
// revocations put in the sharded feed).
// The user's sessions index (`uf:<user>`) is not written: every bulk family
// belongs to the one bench user, so it would be a single string of 1M
// entries (about 30 MB) that no request of the measured scenarios reads,
// whereas a deployment spreads its families over many users' small strings;
// what the index costs per family is the memory phase's to measure.
// Token hashes and ids are derived from sha1 of a per-run seed (random-looking,
// like the SHA-256 and UUIDs the store writes). A few families and
// revocations are also written through the store's own methods and read back
// after the bulk write, and one of those families is compared with a bulk
// one: the same fields, and their key sizes printed side by side.
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { pairsOf, runRounds } from './load.mjs';
import { countKeys } from './redis.mjs';
import { summarize } from './report.mjs';

const dist = (p) => import(pathToFileURL(path.resolve('dist', p)).href);
const CHUNK = 2000;

// Lua shared by both scripts: ids from the seed. hex32: 32 hex digits laid out
// as a version-4 UUID; b64: 32 hex digits (16 bytes) as 22 base64url characters,
// the form in which refresh-tokens.ts puts UUIDs in key names and fields.
const IDS_LUA = `
local B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'
local function hex32(h)
  return string.sub(h, 1, 12) .. '4' .. string.sub(h, 14, 16) .. 'a' .. string.sub(h, 18, 32)
end
local function b64(h)
  local out = {}
  for i = 1, 30, 3 do
    local v = tonumber(string.sub(h, i, i + 2), 16)
    local a, b = math.floor(v / 64), v % 64
    out[#out + 1] = string.sub(B64, a + 1, a + 1) .. string.sub(B64, b + 1, b + 1)
  end
  local v = tonumber(string.sub(h, 31, 32), 16)
  local a, b = math.floor(v / 4), (v % 4) * 16
  out[#out + 1] = string.sub(B64, a + 1, a + 1) .. string.sub(B64, b + 1, b + 1)
  return table.concat(out)
end
local function uuid(h)
  local x = hex32(h)
  return string.sub(x, 1, 8) .. '-' .. string.sub(x, 9, 12) .. '-' .. string.sub(x, 13, 16) .. '-' .. string.sub(x, 17, 20) .. '-' .. string.sub(x, 21, 32)
end
local function family(seed, i) return b64(hex32(redis.sha1hex(seed .. ':f:' .. i))) end
local function revoked(seed, i) return uuid(redis.sha1hex(seed .. ':j:' .. i)) end
`;

// ARGV: prefix, from, count, seed, end (ms), client, user, m (the packed times),
// access-token expiry after the family's start (ms, base 36), revokedUntil.
const BULK = `${IDS_LUA}
local p, from, count, seed = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3]), ARGV[4]
local fin, client, user, m, atExp, revokedUntil = ARGV[5], ARGV[6], ARGV[7], ARGV[8], ARGV[9], ARGV[10]
for i = from, from + count - 1 do
  local rf = p .. 'rf:{' .. family(seed, i) .. '}'
  local live = string.sub(b64(redis.sha1hex(seed .. ':a:' .. i)), 1, 16)
  local at = b64(hex32(redis.sha1hex(seed .. ':t:' .. i))) .. atExp
  redis.call('HSET', rf, 'c', client, 'u', user, 's', 'orders:read offline_access', 'm', m, 'l', live, '1', at)
  redis.call('PEXPIREAT', rf, fin)
  local jti = revoked(seed, i)
  redis.call('SET', p .. 'revoked:' .. jti, '1', 'PXAT', revokedUntil)
  redis.call('XADD', p .. 'revfeed', 'MAXLEN', '~', '1000000', '*', 'k', 'token', 'r', jti, 'a', revokedUntil)
end
return count`;

// The same keys again, from the same seed: deleted (ARGV: prefix, from, count, seed).
const BULK_DELETE = `${IDS_LUA}
local p, from, count, seed = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3]), ARGV[4]
local n = 0
for i = from, from + count - 1 do
  n = n + redis.call('UNLINK', p .. 'rf:{' .. family(seed, i) .. '}', p .. 'revoked:' .. revoked(seed, i))
end
return n`;

/** The bulk script's family i as a UUID, computed here as the script does (sha1, version-4 layout). */
function bulkFamilyId(seed, i) {
  const h = createHash('sha1').update(`${seed}:f:${i}`).digest('hex');
  const x = `${h.slice(0, 12)}4${h.slice(13, 16)}a${h.slice(17, 32)}`;
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20, 32)}`;
}

/** A family's key: its UUID in the 22-character form (compactId in refresh-tokens.ts). */
function familyKey(prefix, familyId) {
  return `${prefix}rf:{${Buffer.from(familyId.replace(/-/g, ''), 'hex').toString('base64url')}}`;
}

/** Removes what seedBulk wrote (and the legacy revocation feed, which only it filled in this run). */
export async function deleteBulk({ redis, prefix, n, seed }) {
  let deleted = 0;
  for (let from = 0; from < n; from += CHUNK) deleted += await redis.eval(BULK_DELETE, 0, prefix, String(from), String(Math.min(CHUNK, n - from)), seed);
  return deleted + await redis.unlink(`${prefix}revfeed`);
}

export async function seedBulk({ redis, url, prefix, n, clientId, userId, log }) {
  const now = Date.now();
  const end = now + 2_592_000_000; // TESSERA_REFRESH_TOKEN_TTL default, 30 days
  const revokedUntil = now + 3_600_000; // past the run; a real entry lives until its token's exp
  const accessExp = now + 600_000;
  const { connectRedisStore } = await dist('store/redis-store.js');
  const { RefreshTokenService } = await dist('core/tokens/refresh-tokens.js');
  const store = await connectRedisStore({ url, prefix });
  const refresh = new RefreshTokenService(store, 2_592_000, 10_000);
  try {
    // Through the store first: these must still be found among the bulk.
    const real = [];
    for (let i = 0; i < 3; i++) {
      const { token, family } = await refresh.startFamily({ clientId, userId, scopes: ['orders:read', 'offline_access'], authTime: Math.floor(now / 1000) });
      await store.refreshTokens.addAccessToken(family.family_id, { jti: randomUUID(), expires_at: accessExp });
      const jti = randomUUID();
      await store.revocations.add(jti, revokedUntil);
      real.push({ token, family, jti });
    }
    const seed = randomBytes(8).toString('hex');
    // What createFamily packs into m: created, end - created (ms), created (s) - auth_time, base 36.
    const m = [now, end - now, 0].map((v) => v.toString(36)).join(' ');
    const started = Date.now();
    for (let from = 0; from < n; from += CHUNK) {
      await redis.eval(BULK, 0, prefix, String(from), String(Math.min(CHUNK, n - from)), seed, String(end), clientId, userId, m,
        (accessExp - now).toString(36), String(revokedUntil));
      if ((from + CHUNK) % 200_000 < CHUNK) log(`scale: seeded ${Math.min(n, from + CHUNK).toLocaleString('en')} / ${n.toLocaleString('en')}`);
    }
    const seconds = (Date.now() - started) / 1000;
    for (const r of real) {
      if (!(await refresh.lookup(r.token))) throw new Error('a refresh token written by the store is no longer found after the bulk write');
      if (!(await store.revocations.has(r.jti))) throw new Error('a revoked id written by the store is no longer found after the bulk write');
    }
    // Same layout, same size: compare a store-written family with a bulk one.
    const storeKey = familyKey(prefix, real[0].family.family_id);
    const bulkKey = familyKey(prefix, bulkFamilyId(seed, 0));
    const fields = async (key) => (await redis.hkeys(key)).sort().join(',');
    const [storeFields, bulkFields] = [await fields(storeKey), await fields(bulkKey)];
    if (!storeFields || storeFields !== bulkFields) {
      throw new Error(`the bulk family's fields (${bulkFields || 'none'}) are not those the store writes (${storeFields || 'none'})`);
    }
    // And the store reads a bulk family as a live session of the bench user, ending when the store's do.
    const session = await store.refreshTokens.getFamily(bulkFamilyId(seed, 0), Date.now());
    if (session?.family.client_id !== clientId || session.family.user_id !== userId || session.family.expires_at !== end) {
      throw new Error('the store does not read a bulk family as a live family of the bench user');
    }
    const size = async (key) => Number(await redis.memory('USAGE', key, 'SAMPLES', '0'));
    const check = { fields: storeFields, storeFamilyBytes: await size(storeKey), bulkFamilyBytes: await size(bulkKey) };
    return { seconds, check, seed };
  } finally {
    await store.close();
  }
}

/**
 * Empty, full, empty again (A-B-A): the bulk write and its removal take a
 * minute, so the phases cannot alternate round by round; comparing the full
 * store with the mean of the phases before and after it cancels linear drift.
 */
export async function measureScale(ctx, { n, log }) {
  const pairs = pairsOf(['cc', 'refresh', 'verify']).filter((p) => ['tessera', 'verifier'].includes(p.contender.server));
  const o = ctx.options;
  const rounds = { rounds: o.rounds, duration: o.duration, warmup: 0, beforeRound: ctx.freshAccessToken };
  const before = summarize(await runRounds(ctx, pairs, { ...rounds, label: 'scale (before): ' }));
  log(`scale: writing ${n.toLocaleString('en')} refresh-token families and ${n.toLocaleString('en')} revoked ids`);
  // Keys under the run's prefix right before and after the bulk write and its removal (the rounds in between add their own).
  const keysBefore = await countKeys(ctx.redis, ctx.prefix);
  const seeded = await seedBulk({ redis: ctx.redis, url: ctx.redisUrl, prefix: ctx.prefix, n, clientId: ctx.seed.clientId, userId: ctx.seed.userId, log });
  const keysSeeded = await countKeys(ctx.redis, ctx.prefix);
  log(`scale: seeded in ${seeded.seconds.toFixed(1)} s (keys under the prefix: ${keysBefore.toLocaleString('en')} before, ${keysSeeded.toLocaleString('en')} after); ` +
    `a family key (fields ${seeded.check.fields}) written by the store: ${seeded.check.storeFamilyBytes} B, by the bulk script: ${seeded.check.bulkFamilyBytes} B`);
  const full = summarize(await runRounds(ctx, pairs, { ...rounds, label: `scale (+${n.toLocaleString('en')}): ` }));
  const keysFull = await countKeys(ctx.redis, ctx.prefix);
  const t = Date.now();
  const deleted = await deleteBulk({ redis: ctx.redis, prefix: ctx.prefix, n, seed: seeded.seed });
  const keysAfter = await countKeys(ctx.redis, ctx.prefix);
  log(`scale: deleted the ${deleted.toLocaleString('en')} bulk keys in ${((Date.now() - t) / 1000).toFixed(1)} s (keys under the prefix: ${keysFull.toLocaleString('en')} before, ${keysAfter.toLocaleString('en')} after)`);
  const after = summarize(await runRounds(ctx, pairs, { ...rounds, label: 'scale (after): ' }));
  const rows = [];
  for (const { scenario, contender } of pairs) {
    const [b, f, a] = [before, full, after].map((x) => x[scenario][contender.id]);
    const empty = { rps: (b.rps + a.rps) / 2, errors: b.errors + a.errors };
    rows.push({ scenario, contender: contender.id, before: b, full: f, after: a, empty, ratio: f.rps / empty.rps });
  }
  return { n, seedSeconds: seeded.seconds, layoutCheck: seeded.check, rows };
}

export function renderScale(scale) {
  if (!scale) return '';
  const lines = [
    '| scenario | contender | empty before: req/s (p99 ms) | full: req/s (p99 ms) | empty after: req/s (p99 ms) | errors | full / mean(empty) |',
    '| --- | --- | ---: | ---: | ---: | ---: | ---: |',
  ];
  const cell = (r) => `${r.rps.toFixed(0)} (${r.p99})`;
  for (const r of scale.rows) {
    lines.push(`| ${r.scenario} | ${r.contender} | ${cell(r.before)} | ${cell(r.full)} | ${cell(r.after)} | ${r.before.errors + r.full.errors + r.after.errors} | ${r.ratio.toFixed(2)}× |`);
  }
  return lines.join('\n');
}
