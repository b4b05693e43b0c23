// Scale: Tessera's issuance (client_credentials, refresh rotation) and the
// verifier's throughput on the run's store as seeded, then again with N live
// refresh-token families and N revoked token ids added under the same prefix.
// The bulk write runs as a Lua script in Redis (chunks of 2,000, so no call
// blocks Redis for long) issuing exactly the commands and key layout of the
// Redis store: src/store/redis/refresh-tokens.ts createFamily (rf:, rt:) plus
// the one access-token id addAccessToken leaves (fields n and x1 of rf:), and
// src/store/redis/revocations.ts add (revoked:, and the revfeed stream).
// Token hashes are random 64-hex strings (what SHA-256 of an unknown token
// looks like). A few families and revocations are also written through the
// store's own methods and read back after the bulk write, and their key
// sizes are compared with the bulk ones.
import { randomBytes, randomUUID } from 'node:crypto';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { pairsOf, runRounds } from './load.mjs';
import { summarize } from './report.mjs';

const dist = (p) => import(pathToFileURL(path.resolve('dist', p)).href);
const CHUNK = 2000;

// ARGV: prefix, from, count, seed, now, end, client, user, authTime, revokedUntil, accessExp
const BULK = `
local p, from, count, seed = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3]), ARGV[4]
local now, fin, client, user, authTime, revokedUntil, accessExp = ARGV[5], ARGV[6], ARGV[7], ARGV[8], ARGV[9], ARGV[10], ARGV[11]
local function uuid(h)
  return string.sub(h, 1, 8) .. '-' .. string.sub(h, 9, 12) .. '-4' .. string.sub(h, 14, 16) .. '-a' .. string.sub(h, 18, 20) .. '-' .. string.sub(h, 21, 32)
end
for i = from, from + count - 1 do
  local hash = redis.sha1hex(seed .. ':a:' .. i) .. string.sub(redis.sha1hex(seed .. ':b:' .. i), 1, 24)
  local fid = uuid(redis.sha1hex(seed .. ':f:' .. i))
  local rf = p .. 'rf:' .. fid
  redis.call('HSET', rf, 'c', client, 'u', user, 's', 'orders:read offline_access', 'a', authTime, 't', now, 'e', fin, 'l', hash,
    'n', 1, 'x1', uuid(redis.sha1hex(seed .. ':t:' .. i)) .. ' ' .. accessExp)
  redis.call('PEXPIREAT', rf, fin)
  local rt = p .. 'rt:' .. hash
  redis.call('HSET', rt, 'f', fid, 's', 'orders:read offline_access', 'c', now)
  redis.call('PEXPIREAT', rt, fin)
  local jti = uuid(redis.sha1hex(seed .. ':j:' .. i))
  redis.call('SET', p .. 'revoked:' .. jti, '1', 'PXAT', revokedUntil)
  redis.call('XADD', p .. 'revfeed', 'MAXLEN', '~', '1000000', '*', 'k', 'token', 'r', jti, 'a', revokedUntil)
end
return count`;

// The same keys again, from the same seed: deleted (ARGV: prefix, from, count, seed).
const BULK_DELETE = `
local p, from, count, seed = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3]), ARGV[4]
local function uuid(h)
  return string.sub(h, 1, 8) .. '-' .. string.sub(h, 9, 12) .. '-4' .. string.sub(h, 14, 16) .. '-a' .. string.sub(h, 18, 20) .. '-' .. string.sub(h, 21, 32)
end
local n = 0
for i = from, from + count - 1 do
  local hash = redis.sha1hex(seed .. ':a:' .. i) .. string.sub(redis.sha1hex(seed .. ':b:' .. i), 1, 24)
  local fid = uuid(redis.sha1hex(seed .. ':f:' .. i))
  n = n + redis.call('UNLINK', p .. 'rf:' .. fid, p .. 'rt:' .. hash, p .. 'revoked:' .. uuid(redis.sha1hex(seed .. ':j:' .. i)))
end
return n`;

/** Removes what seedBulk wrote (and the revocation feed, which only it filled in this run). */
export async function deleteBulk({ redis, prefix, n, seed }) {
  let deleted = 0;
  for (let from = 0; from < n; from += CHUNK) deleted += await redis.eval(BULK_DELETE, 0, prefix, String(from), String(Math.min(CHUNK, n - from)), seed);
  return deleted + await redis.unlink(`${prefix}revfeed`);
}

export async function seedBulk({ redis, url, prefix, n, clientId, userId, log }) {
  const now = Date.now();
  const end = now + 2_592_000_000; // TESSERA_REFRESH_TOKEN_TTL default, 30 days
  const revokedUntil = now + 3_600_000; // past the run; a real entry lives until its token's exp
  const { connectRedisStore } = await dist('store/redis-store.js');
  const { RefreshTokenService } = await dist('core/tokens/refresh-tokens.js');
  const store = await connectRedisStore({ url, prefix });
  const refresh = new RefreshTokenService(store, 2_592_000, 10_000);
  try {
    // Through the store first: these must still be found among the bulk.
    const real = [];
    for (let i = 0; i < 3; i++) {
      const { token, family } = await refresh.startFamily({ clientId, userId, scopes: ['orders:read', 'offline_access'], authTime: Math.floor(now / 1000) });
      await store.refreshTokens.addAccessToken(family.family_id, { jti: randomUUID(), expires_at: now + 600_000 });
      const jti = randomUUID();
      await store.revocations.add(jti, revokedUntil);
      real.push({ token, family, jti });
    }
    const seed = randomBytes(8).toString('hex');
    const started = Date.now();
    for (let from = 0; from < n; from += CHUNK) {
      await redis.eval(BULK, 0, prefix, String(from), String(Math.min(CHUNK, n - from)), seed, String(now), String(end), clientId, userId,
        String(Math.floor(now / 1000)), String(revokedUntil), String(now + 600_000));
      if ((from + CHUNK) % 200_000 < CHUNK) log(`scale: seeded ${Math.min(n, from + CHUNK).toLocaleString('en')} / ${n.toLocaleString('en')}`);
    }
    const seconds = (Date.now() - started) / 1000;
    for (const r of real) {
      if (!(await refresh.lookup(r.token))) throw new Error('a refresh token written by the store is no longer found after the bulk write');
      if (!(await store.revocations.has(r.jti))) throw new Error('a revoked id written by the store is no longer found after the bulk write');
    }
    // Same layout, same size: compare a store-written family with a bulk one.
    const [, [bulkRf]] = await redis.scan('0', 'MATCH', `${prefix}rf:*`, 'COUNT', 1000);
    const sizes = async (key) => Number(await redis.memory('USAGE', key, 'SAMPLES', '0'));
    const check = { storeFamilyBytes: await sizes(`${prefix}rf:${real[0].family.family_id}`), bulkFamilyBytes: bulkRf ? await sizes(bulkRf) : null };
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
  const seeded = await seedBulk({ redis: ctx.redis, url: ctx.redisUrl, prefix: ctx.prefix, n, clientId: ctx.seed.clientId, userId: ctx.seed.userId, log });
  log(`scale: seeded in ${seeded.seconds.toFixed(1)} s; a family key written by the store: ${seeded.check.storeFamilyBytes} B, by the bulk script: ${seeded.check.bulkFamilyBytes} B`);
  const full = summarize(await runRounds(ctx, pairs, { ...rounds, label: `scale (+${n.toLocaleString('en')}): ` }));
  const t = Date.now();
  const deleted = await deleteBulk({ redis: ctx.redis, prefix: ctx.prefix, n, seed: seeded.seed });
  log(`scale: deleted the ${deleted.toLocaleString('en')} bulk keys in ${((Date.now() - t) / 1000).toFixed(1)} s`);
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
