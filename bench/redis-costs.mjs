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

  /** Commands (by name) and network bytes per operation over `n` sequential runs of `op(i)`. */
  async function measure(name, n, op) {
    await sleep(300);
    await redis.config('RESETSTAT');
    const started = process.hrtime.bigint();
    const latencies = [];
    for (let i = 0; i < n; i++) {
      const t0 = process.hrtime.bigint();
      await op(i);
      latencies.push(Number(process.hrtime.bigint() - t0) / 1e6);
    }
    const elapsedMs = Number(process.hrtime.bigint() - started) / 1e6;
    await sleep(300); // audit appends and other writes that finish after the answer
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
      meanMs: +(elapsedMs / n).toFixed(2), p50Ms: +latencies[Math.floor(n / 2)].toFixed(2),
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
  const refreshPool = await refreshTokens(base, seed, 4);
  const ops = [];
  ops.push(await measure('client_credentials issuance', N, cc));
  let rt = refreshPool[0];
  ops.push(await measure('refresh_token rotation', N, async () => { rt = (await post(base, '/oauth/token', seed.auth, { grant_type: 'refresh_token', refresh_token: rt })).refresh_token; }));
  const tokens = [];
  for (let i = 0; i < N; i++) tokens.push((await cc()).access_token);
  ops.push(await measure('introspection of a JWT access token', N, (i) => post(base, '/oauth/introspect', seed.auth, { token: tokens[i] })));
  ops.push(await measure('introspection of an API token', N, () => post(base, '/oauth/introspect', seed.auth, { token: seed.apiToken })));
  ops.push(await measure('API-token exchange (RFC 8693)', N, () => post(base, '/oauth/token', seed.auth, { grant_type: EXCHANGE, subject_token: seed.apiToken, subject_token_type: API_TOKEN_TYPE })));
  const streams = async () => ({ feed: await memoryOf(`${prefix}revfeed*`), audit: await memoryOf(`${prefix}audit*`) });
  const before = await streams();
  ops.push(await measure('revocation of an access token (RFC 7009), WAIT for 1 replica', N, (i) => post(base, '/oauth/revoke', seed.auth, { token: tokens[i] })));
  const after = await streams();
  const revokedKeys = await memoryOf(`${prefix}revoked:*`);

  // --- WAIT off, same operation, for its cost.
  const prefix0 = `costs0:${randomUUID().slice(0, 8)}:`;
  const noWait = await tessera(prefix0, 0);
  const seed0 = await seedTessera(noWait.base, ADMIN_SECRET);
  const tokens0 = [];
  for (let i = 0; i < N; i++) tokens0.push((await post(noWait.base, '/oauth/token', seed0.auth, { grant_type: 'client_credentials', scope: SCOPE })).access_token);
  ops.push(await measure('revocation of an access token (RFC 7009), WAIT off', N, (i) => post(noWait.base, '/oauth/revoke', seed0.auth, { token: tokens0[i] })));

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
    operations: ops, memory: {
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
