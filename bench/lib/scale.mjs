// Scale: Tessera's issuance (client_credentials, refresh rotation) and the
// verifier's throughput on a store holding N live refresh-token families and
// N revoked token ids besides the bench's seed, against a store holding only
// the seed, side by side (measureScale below).
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
// more shard: the feed is read only by verifiers polling
// /oauth/revocations, which no measured scenario does).
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
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { cpuBetween, cpuTimes } from './cpu.mjs';
import { runOnce } from './load.mjs';
import { freePort, startProcess } from './procs.mjs';
import { connect, redisVersion, usedMemory } from './redis.mjs';
import { redisServer, until } from './redis-servers.mjs';
import { SCENARIOS } from './scenarios.mjs';
import { AUDIENCE, accessToken, refreshTokens, seedTessera } from './seed.mjs';
import { ADMIN_SECRET, startTessera } from './tessera.mjs';
import { median } from './median.mjs';

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

/** Settings the two stores must share with each other (and, to measure what the other phases see, with the machine's Redis). */
const COMPARED_SETTINGS = ['save', 'appendonly', 'hz', 'dynamic-hz', 'maxmemory', 'maxmemory-policy', 'io-threads', 'activedefrag', 'lazyfree-lazy-server-del', 'lazyfree-lazy-expire'];

async function settingsOf(redis) {
  const out = {};
  for (const name of COMPARED_SETTINGS) {
    try {
      const [, value] = await redis.config('GET', name);
      out[name] = value ?? null;
    } catch {
      out[name] = null; // CONFIG renamed or refused: not comparable
    }
  }
  return out;
}

/** Redis's own count of the time it spent in commands since CONFIG RESETSTAT: calls, µs, µs per call (all commands, and the busiest five). */
async function commandStats(redis) {
  const text = await redis.info('commandstats');
  const list = [...text.matchAll(/^cmdstat_(\S+):calls=(\d+),usec=(\d+)/gm)].map((m) => ({ command: m[1], calls: Number(m[2]), usec: Number(m[3]) }));
  const calls = list.reduce((k, c) => k + c.calls, 0);
  const usec = list.reduce((k, c) => k + c.usec, 0);
  const top = list.sort((a, b) => b.usec - a.usec).slice(0, 5).map((c) => ({ ...c, usecPerCall: c.usec / c.calls }));
  return { calls, usec, usecPerCall: calls ? usec / calls : null, top };
}

/**
 * One store per arm, identical but for the data: a redis-server of the
 * bench's own (bench/lib/redis-servers.mjs, the same binary and settings
 * for both), a Tessera on it (as the other phases run it), the bench's
 * seed written through its API, and a verifier resource server reading its
 * revocations.
 */
async function startArm(ctx, id, dir, arms) {
  const arm = { id, servers: {}, stops: [] };
  // Stoppable from the start: what did start is stopped if a later step fails.
  arm.stop = async () => { for (const stop of arm.stops.reverse()) await stop().catch(() => undefined); };
  arms.push(arm);
  await mkdir(path.join(dir, `redis-${id}`), { recursive: true });
  arm.port = await freePort();
  arm.redisServer = redisServer(arm.port, path.join(dir, `redis-${id}`));
  arm.stops.push(() => arm.redisServer.stop());
  arm.url = `redis://127.0.0.1:${arm.port}`;
  arm.redis = connect(arm.url);
  arm.stops.push(async () => arm.redis.disconnect());
  await until(`the ${id} store's redis-server`, async () => { await arm.redis.connect().catch(() => undefined); return (await arm.redis.ping()) === 'PONG'; });
  arm.servers.tessera = await startTessera({
    name: `tessera (${id})`, redisUrl: arm.url, prefix: ctx.prefix, keysDir: path.join(dir, `keys-${id}`), workers: ctx.options.workers,
  });
  arm.stops.push(() => arm.servers.tessera.stop());
  arm.seed = await seedTessera(arm.servers.tessera.url, ADMIN_SECRET);
  arm.servers.verifier = await startProcess({
    name: `verifier-resource (${id})`, script: path.resolve('bench/servers/verifier-resource.mjs'),
    env: { NODE_ENV: 'production', PORT: '0', TESSERA_ISSUER: arm.servers.tessera.url, AUDIENCE, REDIS_URL: arm.url, TESSERA_REDIS_PREFIX: ctx.prefix },
  });
  arm.stops.push(() => arm.servers.verifier.stop());
  // What runOnce and the scenarios read (bench/lib/load.mjs, scenarios.mjs), for this arm's servers.
  arm.ctx = {
    options: ctx.options, dir: ctx.dir, servers: arm.servers, seed: arm.seed, refreshPool: [], accessToken: null,
    async topUpRefreshPool() {
      const want = ctx.options.connections + 8;
      if (arm.ctx.refreshPool.length >= want) return;
      arm.ctx.refreshPool.push(...await refreshTokens(arm.servers.tessera.url, arm.seed, want - arm.ctx.refreshPool.length));
    },
    async freshAccessToken() { arm.ctx.accessToken = await accessToken(arm.servers.tessera.url, arm.seed); },
  };
  return arm;
}

/**
 * Side by side: two stores, one holding N live refresh-token families and N
 * revoked ids besides the bench's seed, the other only the seed; each with
 * its own Tessera and verifier. Every round runs each scenario on both, one
 * after the other, the order swapped every round; a pair's ratio is full /
 * empty of the same scenario in the same round, so that the machine's
 * drift between rounds cancels. Besides req/s, each run's CPU per request
 * of the server and of its redis-server, and Redis's own time per command
 * (INFO commandstats) over the rounds: a cost of the stored keys shows
 * there whatever the machine's other load does to the rates.
 */
export async function measureScale(ctx, { n, log }) {
  const o = ctx.options;
  const dir = path.join(ctx.dir, 'scale');
  const arms = [];
  const stop = async () => { await Promise.all(arms.map((a) => a.stop())); };
  ctx.cleanups?.add(stop);
  try {
    for (const id of ['empty', 'full']) await startArm(ctx, id, dir, arms);
    const [empty, full] = arms;
    const settings = await Promise.all([ctx.redis, empty.redis, full.redis].map(settingsOf));
    const differs = (a, b) => COMPARED_SETTINGS.filter((k) => a[k] !== b[k]);
    if (differs(settings[1], settings[2]).length) throw new Error(`the two stores' settings differ: ${differs(settings[1], settings[2]).join(', ')}`);
    const version = await redisVersion(full.redis);
    const unlikeMachine = differs(settings[0], settings[1]);
    log(`scale: two stores, redis-server ${version} on ports ${empty.port} (empty) and ${full.port} (full), ` +
      `${unlikeMachine.length ? `settings unlike the machine's Redis: ${unlikeMachine.map((k) => `${k} ${settings[1][k]} (machine ${settings[0][k]})`).join(', ')}` : "settings as the machine's Redis"}`);
    log(`scale: writing ${n.toLocaleString('en')} refresh-token families and ${n.toLocaleString('en')} revoked ids into the full store`);
    const keysSeed = await full.redis.dbsize();
    const seeded = await seedBulk({ redis: full.redis, url: full.url, prefix: ctx.prefix, n, clientId: full.seed.clientId, userId: full.seed.userId, log });
    const keys = { empty: await empty.redis.dbsize(), full: await full.redis.dbsize() };
    const memory = { empty: await usedMemory(empty.redis), full: await usedMemory(full.redis) };
    log(`scale: seeded in ${seeded.seconds.toFixed(1)} s (keys: ${keysSeed.toLocaleString('en')} before, ${keys.full.toLocaleString('en')} after; the empty store ${keys.empty.toLocaleString('en')}); ` +
      `a family key (fields ${seeded.check.fields}) written by the store: ${seeded.check.storeFamilyBytes} B, by the bulk script: ${seeded.check.bulkFamilyBytes} B`);

    const pairs = ['cc', 'refresh', 'verify'].map((scenario) => ({ scenario, contender: SCENARIOS[scenario].contenders.find((c) => ['tessera', 'verifier'].includes(c.server)) }));
    const measured = async (arm, contender, seconds) => {
      const before = cpuTimes(arm.redisServer.pid);
      const run = await runOnce(arm.ctx, contender, seconds);
      const us = cpuBetween(before, cpuTimes(arm.redisServer.pid));
      run.redisCpuPerRequest = us === null || !run.total ? null : us / run.total;
      return run;
    };
    if (o.warmup > 0) {
      for (const arm of arms) {
        await arm.ctx.freshAccessToken();
        for (const { scenario, contender } of pairs) {
          log(`scale: warm-up ${scenario} ${arm.id} (${o.warmup} s)`);
          await measured(arm, contender, o.warmup);
        }
      }
    }
    await Promise.all(arms.map((a) => a.redis.config('RESETSTAT')));
    const runs = {};
    // An even number of rounds, so that each store runs first in as many pairs as
    // the other (in one run of three rounds the verifier read lower on whichever
    // store ran second, in all three pairs).
    const rounds = o.rounds + (o.rounds % 2);
    for (let r = 1; r <= rounds; r++) {
      await Promise.all(arms.map((a) => a.ctx.freshAccessToken()));
      for (const { scenario, contender } of pairs) {
        // Swapped every round: neither store always runs first after the other's load.
        for (const arm of r % 2 ? [empty, full] : [full, empty]) {
          const run = await measured(arm, contender, o.duration);
          ((runs[scenario] ??= { empty: [], full: [] })[arm.id]).push(run);
          const bad = run.non2xx + run.errors + run.timeouts + run.badBodies;
          log(`scale: round ${r}/${rounds} ${scenario.padEnd(8)} ${arm.id.padEnd(5)} ${run.rps.toFixed(0).padStart(6)} req/s  p99 ${run.p99} ms  ` +
            `CPU ${run.cpuPerRequest?.toFixed(0) ?? '-'} µs/req, its Redis ${run.redisCpuPerRequest?.toFixed(0) ?? '-'} µs/req${bad ? `  ERRORS ${bad} ${JSON.stringify(run.statusCodes)}` : ''}`);
        }
      }
    }
    const redisTime = { empty: await commandStats(empty.redis), full: await commandStats(full.redis) };
    const rows = pairs.map(({ scenario, contender }) => {
      const side = (list) => ({
        rps: median(list.map((x) => x.rps)), p99: median(list.map((x) => x.p99)), rounds: list.map((x) => Math.round(x.rps)),
        errors: list.reduce((k, x) => k + x.non2xx + x.errors + x.timeouts + x.badBodies, 0),
        cpuPerRequest: median(list.map((x) => x.cpuPerRequest)), redisCpuPerRequest: median(list.map((x) => x.redisCpuPerRequest)),
      });
      const e = side(runs[scenario].empty);
      const f = side(runs[scenario].full);
      const ratios = runs[scenario].full.map((x, i) => x.rps / runs[scenario].empty[i].rps);
      return { scenario, contender: contender.id, empty: e, full: f, ratios, ratio: median(ratios), low: Math.min(...ratios), high: Math.max(...ratios) };
    });
    return { n, rounds, duration: o.duration, redisVersion: version, settings: settings[1], unlikeMachine, seedSeconds: seeded.seconds, layoutCheck: seeded.check, keys, memory, redisTime, rows };
  } finally {
    ctx.cleanups?.delete(stop);
    await stop();
  }
}

export function renderScale(scale) {
  if (!scale) return '';
  const f = (v, d = 0) => (v === null || v === undefined ? '-' : v.toFixed(d));
  const mb = (b) => `${(b / 1048576).toFixed(0)} MB`;
  const lines = [
    `Two redis-servers ${scale.redisVersion} of the bench's own (${COMPARED_SETTINGS.filter((k) => scale.settings[k] !== null).map((k) => `${k} ${JSON.stringify(scale.settings[k])}`).join(', ')}` +
      `${scale.unlikeMachine.length ? `; unlike the machine's Redis in ${scale.unlikeMachine.join(', ')}` : "; as the machine's Redis"}), ` +
      `each with its own Tessera and verifier; one holds ${scale.n.toLocaleString('en')} live refresh-token families and ${scale.n.toLocaleString('en')} revoked ids besides the bench's seed ` +
      `(${scale.keys.full.toLocaleString('en')} keys, ${mb(scale.memory.full)} used), the other only the seed (${scale.keys.empty.toLocaleString('en')} keys, ${mb(scale.memory.empty)}). ` +
      `${scale.rounds} round(s) of ${scale.duration} s; in each, every scenario runs on both stores one after the other, the order swapped every round. ` +
      'A pair is one scenario in one round: its ratio is full / empty; the row takes the median of the pairs.',
    '',
    '| scenario | contender | empty: req/s per round | full: req/s per round | full / empty per pair | median (range) | CPU µs/req empty / full | its Redis µs/req empty / full | errors |',
    '| --- | --- | --- | --- | --- | ---: | ---: | ---: | ---: |',
  ];
  for (const r of scale.rows) {
    lines.push(`| ${r.scenario} | ${r.contender} | ${r.empty.rounds.join(', ')} | ${r.full.rounds.join(', ')} | ${r.ratios.map((x) => x.toFixed(2)).join(', ')} | ` +
      `${f(r.ratio, 2)}× (${f(r.low, 2)}-${f(r.high, 2)}) | ${f(r.empty.cpuPerRequest)} / ${f(r.full.cpuPerRequest)} | ${f(r.empty.redisCpuPerRequest)} / ${f(r.full.redisCpuPerRequest)} | ${r.empty.errors + r.full.errors} |`);
  }
  const t = scale.redisTime;
  const top = (x) => x.top.map((c) => `${c.command} ${c.usecPerCall.toFixed(2)}`).join(', ');
  lines.push('', `Redis's own time per command over the rounds (INFO commandstats): empty ${f(t.empty.usecPerCall, 2)} µs over ${t.empty.calls.toLocaleString('en')} calls ` +
    `(${top(t.empty)}), full ${f(t.full.usecPerCall, 2)} µs over ${t.full.calls.toLocaleString('en')} calls (${top(t.full)}).`);
  return lines.join('\n');
}
