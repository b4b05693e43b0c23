// `node bench/redis-costs.mjs [--n 200] [--memory 5000]`: what each operation
// costs Redis, the inputs of docs/scaling.md. Runs on a redis-server of its
// own (a free loopback port, a temp dir, a replica attached), so that INFO
// commandstats and the network byte counters see nothing but this run:
//   - commands and bytes per operation (CONFIG RESETSTAT, N operations one
//     after the other through Tessera's HTTP API, then INFO commandstats and
//     INFO stats deltas / N; commands run inside scripts are counted too);
//   - memory per live refresh token and API token (bench/lib/memory.mjs),
//     per revocation entry and per audit event (MEMORY USAGE deltas);
//   - the cost of WAIT: revocation latency with TESSERA_REDIS_WAIT_REPLICAS
//     1 against 0, the replica on the same machine.
// Needs dist/ (npm run build) and redis-server on the PATH. Prints JSON.
import { spawn } from 'node:child_process';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { mkdtemp, rm } from 'node:fs/promises';
import { randomUUID } from 'node:crypto';
import { pathToFileURL } from 'node:url';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { freePort } from './lib/procs.mjs';
import { basic, FORM, refreshTokens, seedTessera, SCOPE } from './lib/seed.mjs';
import { measureMemory } from './lib/memory.mjs';
import { redisCpuMs } from './lib/redis.mjs';

const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const N = arg('n', 200);
const MEMORY_N = arg('memory', 5000);
const ADMIN_SECRET = 'redis-costs-admin-secret-0123456789';
const EXCHANGE = 'urn:ietf:params:oauth:grant-type:token-exchange';
const API_TOKEN_TYPE = 'urn:tessera:params:oauth:token-type:api_token';
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const dist = (p) => import(pathToFileURL(path.resolve('dist', p)).href);
const log = (m) => process.stderr.write(`redis-costs: ${m}\n`);

function redisServer(port, dir, extra = []) {
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'no',
    '--dbfilename', `dump-${port}.rdb`, ...extra], { stdio: 'ignore' });
  return child;
}

async function until(what, check, timeoutMs = 20_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check().catch(() => false)) return;
    if (Date.now() > deadline) throw new Error(`${what} within ${timeoutMs} ms`);
    await sleep(100);
  }
}

const IGNORED = new Set(['info', 'config', 'config|resetstat', 'ping', 'client', 'hello', 'select', 'memory', 'scan', 'xlen', 'replconf', 'psync', 'command']);

function commandStats(text) {
  const out = {};
  for (const m of text.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) if (!IGNORED.has(m[1])) out[m[1]] = Number(m[2]);
  return out;
}
const statOf = (text, name) => Number(new RegExp(`^${name}:(\\d+)`, 'm').exec(text)?.[1] ?? 0);

const dir = await mkdtemp(path.join(os.tmpdir(), 'tessera-redis-costs-'));
const [primaryPort, replicaPort] = [await freePort(), await freePort()];
const procs = [redisServer(primaryPort, dir), redisServer(replicaPort, dir, ['--replicaof', '127.0.0.1', String(primaryPort)])];
const url = `redis://127.0.0.1:${primaryPort}`;
// Interrupted: stop the redis-servers and remove the temp dir all the same.
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, () => {
    for (const p of procs) p.kill('SIGTERM');
    rm(dir, { recursive: true, force: true }).finally(() => process.exit(130));
  });
}
const redis = new Redis(url);
redis.on('error', () => undefined);
let closers = [];
try {
  const replica = new Redis(`redis://127.0.0.1:${replicaPort}`);
  replica.on('error', () => undefined);
  await until('the replica did not sync', async () => /master_link_status:up/.test(await replica.info('replication')));
  replica.disconnect();
  const { loadConfig } = await dist('config/config.js');
  const { createTessera } = await dist('server.js');
  const { createStore } = await dist('store/create-store.js');

  /** Tessera in-process (its HTTP server on a loopback port) with `wait` replicas. */
  async function tessera(prefix, waitReplicas) {
    const keysDir = await mkdtemp(path.join(dir, 'keys-'));
    const config = loadConfig({
      TESSERA_KEYS_DIR: keysDir, TESSERA_BOOTSTRAP_ADMIN_SECRET: ADMIN_SECRET, TESSERA_KEYS_POLL_INTERVAL: '0', TESSERA_LOG_LEVEL: 'silent',
      TESSERA_PASSWORD_HASH_COST: '10', REDIS_URL: url, TESSERA_REDIS_PREFIX: prefix, TESSERA_SIGNING_ALG: 'EdDSA',
      TESSERA_RATE_LIMIT_CLIENT: '9999999/1', TESSERA_RATE_LIMIT_API_TOKEN: '9999999/1', TESSERA_RATE_LIMIT_AUTH_FAILURES: '9999999/1',
      TESSERA_REDIS_WAIT_REPLICAS: String(waitReplicas),
    });
    const store = await createStore({ redisUrl: url, prefix, wait: config.redisWait });
    const t = await createTessera(config, { issuer: 'http://tessera.test', logger: pino({ level: 'silent' }), store, background: false });
    const server = http.createServer(t.app);
    await new Promise((r) => server.listen(0, '127.0.0.1', r));
    const base = `http://127.0.0.1:${server.address().port}`;
    const close = async () => { server.close(); await t.close(); };
    closers.push(close);
    return { base, close, t };
  }

  async function post(base, route, auth, params, expected = 200) {
    const res = await fetch(`${base}${route}`, { method: 'POST', headers: { Authorization: auth, 'Content-Type': FORM }, body: new URLSearchParams(params).toString() });
    const text = await res.text();
    if (res.status !== expected) throw new Error(`${route}: ${res.status} ${text.slice(0, 200)}`);
    return text ? JSON.parse(text) : null;
  }

  /** Redis's own CPU while nothing is asked of it (its timers, the replica link), ms per ms. */
  async function idleCpuRate() {
    const before = await redisCpuMs(redis);
    const t0 = Date.now();
    await sleep(3_000);
    return ((await redisCpuMs(redis)) - before) / (Date.now() - t0);
  }
  let idleRate = 0;

  /**
   * Commands (by name), network bytes and Redis CPU per operation over `n`
   * runs of `op(i)`, `parallel` at a time (latencies are per operation). The
   * Redis CPU of the same time spent idle is subtracted.
   */
  async function measure(name, n, op, parallel = 1) {
    await sleep(300);
    await redis.config('RESETSTAT');
    const cpuBefore = await redisCpuMs(redis);
    const started = process.hrtime.bigint();
    const t0 = Date.now();
    const latencies = [];
    let next = 0;
    await Promise.all(Array.from({ length: parallel }, async (_, lane) => {
      while (next < n) {
        const i = next++;
        const begun = process.hrtime.bigint();
        await op(i, lane);
        latencies.push(Number(process.hrtime.bigint() - begun) / 1e6);
      }
    }));
    const elapsedMs = Number(process.hrtime.bigint() - started) / 1e6;
    await sleep(300); // audit appends and other writes that finish after the answer
    const cpuMs = Math.max(0, (await redisCpuMs(redis)) - cpuBefore - idleRate * (Date.now() - t0));
    const stats = commandStats(await redis.info('commandstats'));
    const net = await redis.info('stats');
    const total = Object.values(stats).reduce((a, b) => a + b, 0);
    latencies.sort((a, b) => a - b);
    const result = {
      operation: name, n,
      commandsPerOp: +(total / n).toFixed(2),
      byCommand: Object.fromEntries(Object.entries(stats).sort((a, b) => b[1] - a[1]).map(([k, v]) => [k, +(v / n).toFixed(2)])),
      bytesInPerOp: Math.round(statOf(net, 'total_net_input_bytes') / n),
      bytesOutPerOp: Math.round(statOf(net, 'total_net_output_bytes') / n),
      // Redis CPU (user + system) per operation beyond its idle rate, µs; includes feeding the replica.
      redisCpuUsPerOp: Math.round((cpuMs * 1000) / n),
      parallel, opsPerSecond: Math.round(n / (elapsedMs / 1000)), p50Ms: +latencies[Math.floor(n / 2)].toFixed(2),
    };
    log(`${name}: ${JSON.stringify(result)}`);
    return result;
  }

  async function memoryOf(pattern) {
    let cursor = '0';
    let bytes = 0;
    let entries = 0;
    let count = 0;
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
      cursor = next;
      for (const k of keys) {
        count++;
        bytes += Number(await redis.memory('USAGE', k, 'SAMPLES', '0') ?? 0);
        if ((await redis.type(k)) === 'stream') entries += await redis.xlen(k);
      }
    } while (cursor !== '0');
    return { bytes, entries, keys: count };
  }

  // --- Commands and bytes per operation (WAIT on: a replica is attached, as in production).
  const prefix = `costs:${randomUUID().slice(0, 8)}:`;
  const { base } = await tessera(prefix, 1);
  const seed = await seedTessera(base, ADMIN_SECRET);
  const cc = () => post(base, '/oauth/token', seed.auth, { grant_type: 'client_credentials', scope: SCOPE });
  for (let i = 0; i < 5; i++) await cc(); // warm: scripts loaded, client cached
  const refreshPool = await refreshTokens(base, seed, 8, 1);
  idleRate = await idleCpuRate();
  log(`idle Redis CPU: ${(idleRate * 1000).toFixed(1)} ms per s`);
  const ops = [];
  ops.push(await measure('client_credentials issuance', N, cc, 8));
  // Eight chains: each presents the token it just received.
  const chains = [...refreshPool];
  ops.push(await measure('refresh_token rotation', N, async (_, lane) => { chains[lane] = (await post(base, '/oauth/token', seed.auth, { grant_type: 'refresh_token', refresh_token: chains[lane] })).refresh_token; }, 8));
  const tokens = [];
  for (let i = 0; i < N; i++) tokens.push((await cc()).access_token);
  ops.push(await measure('introspection of a JWT access token', N, (i) => post(base, '/oauth/introspect', seed.auth, { token: tokens[i] }), 8));
  ops.push(await measure('introspection of an API token', N, () => post(base, '/oauth/introspect', seed.auth, { token: seed.apiToken }), 8));
  ops.push(await measure('API-token exchange (RFC 8693)', N, () => post(base, '/oauth/token', seed.auth, { grant_type: EXCHANGE, subject_token: seed.apiToken, subject_token_type: API_TOKEN_TYPE }), 8));
  const streams = async () => ({ feed: await memoryOf(`${prefix}revfeed*`), audit: await memoryOf(`${prefix}audit*`) });
  // The same operation with WAIT off (a second Tessera, TESSERA_REDIS_WAIT_REPLICAS=0), in alternating rounds so that drift hits both.
  const prefix0 = `costs0:${randomUUID().slice(0, 8)}:`;
  const noWait = await tessera(prefix0, 0);
  const seed0 = await seedTessera(noWait.base, ADMIN_SECRET);
  const tokens0 = [];
  for (let i = 0; i < N; i++) tokens0.push((await post(noWait.base, '/oauth/token', seed0.auth, { grant_type: 'client_credentials', scope: SCOPE })).access_token);
  const before = await streams();
  const ROUNDS = 4;
  const per = Math.floor(N / ROUNDS);
  const waitRounds = { on: [], off: [] };
  for (let r = 0; r < ROUNDS; r++) {
    waitRounds.on.push(await measure(`revocation of an access token (RFC 7009), WAIT for 1 replica, round ${r + 1}`, per, (i) => post(base, '/oauth/revoke', seed.auth, { token: tokens[r * per + i] })));
    waitRounds.off.push(await measure(`revocation of an access token (RFC 7009), WAIT off, round ${r + 1}`, per, (i) => post(noWait.base, '/oauth/revoke', seed0.auth, { token: tokens0[r * per + i] })));
  }
  const after = await streams();
  const revokedKeys = await memoryOf(`${prefix}revoked:*`);
  ops.push(...waitRounds.on.slice(0, 1), ...waitRounds.off.slice(0, 1));
  const waitCost = {
    p50MsOn: waitRounds.on.map((x) => x.p50Ms), p50MsOff: waitRounds.off.map((x) => x.p50Ms),
    opsPerSecondOn: waitRounds.on.map((x) => x.opsPerSecond), opsPerSecondOff: waitRounds.off.map((x) => x.opsPerSecond),
  };

  // --- Memory per token kind.
  const memory = await measureMemory({ redis, url, prefix: `costs-mem:${randomUUID().slice(0, 8)}:`, n: MEMORY_N, log });
  const revocationEntry = {
    revokedKeyBytes: Math.round(revokedKeys.bytes / Math.max(1, revokedKeys.keys)),
    feedBytesPerEntry: Math.round((after.feed.bytes - before.feed.bytes) / Math.max(1, after.feed.entries - before.feed.entries)),
  };
  const auditEvent = { bytesPerEvent: Math.round((after.audit.bytes - before.audit.bytes) / Math.max(1, after.audit.entries - before.audit.entries)), events: after.audit.entries - before.audit.entries };
  const info = await redis.info('server');
  process.stdout.write(`${JSON.stringify({
    redis: /redis_version:(\S+)/.exec(info)?.[1], node: process.version, at: new Date().toISOString(), n: N,
    operations: ops, waitCost, memory: {
      refreshToken: { bytesPerToken: Math.round(memory.refresh.bytesPerToken), memoryUsagePerToken: Math.round(memory.refresh.memoryUsagePerToken), consumedRecordBytes: Math.round(memory.refresh.consumedRecordBytes) },
      apiToken: Object.fromEntries(Object.entries(memory.apiToken).filter(([, v]) => typeof v === 'number').map(([k, v]) => [k, Math.round(v)])),
      revocationEntry, auditEvent,
    },
  }, null, 2)}\n`);
} finally {
  for (const c of closers) await c().catch(() => undefined);
  redis.disconnect();
  for (const p of procs) p.kill('SIGTERM');
  await Promise.all(procs.map((p) => new Promise((r) => (p.exitCode !== null ? r() : p.once('exit', r)))));
  await rm(dir, { recursive: true, force: true });
}
process.exit(0);
