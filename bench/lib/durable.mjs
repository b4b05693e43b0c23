// The cost of WAIT for security-critical writes (src/store/redis/durable-writes.ts):
// a Redis primary and one replica of the bench's own on loopback ports, two
// Tessera processes on that primary, one acknowledging a revocation only
// once the replica has it (TESSERA_REDIS_WAIT_REPLICAS=1, the default) and
// one not waiting (=0); access tokens revoked (RFC 7009) one at a time and
// 16 at a time, in alternating rounds. The replica is on the same machine,
// so this is the floor of WAIT's cost: a replica elsewhere adds its
// network round trip to every acknowledgement (shared by the writes that
// complete while one WAIT is in flight).
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { Redis } from 'ioredis';
import { freePort } from './procs.mjs';
import { ADMIN_SECRET, startTessera } from './tessera.mjs';
import { AUDIENCE, FORM, SCOPE, seedTessera } from './seed.mjs';
import { cpuBetween, cpuTimes } from './cpu.mjs';
import { parallelFor } from './memory.mjs';
import { redisServer, until } from './redis-servers.mjs';
import { median } from './median.mjs';

const CONCURRENCY = [1, 16];

const pct = (xs, p) => {
  const s = Float64Array.from(xs).sort();
  return s.length ? s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)] : null;
};
async function post(url, auth, body) {
  const res = await fetch(url, { method: 'POST', headers: { Authorization: auth, 'Content-Type': FORM }, body });
  const text = await res.text();
  return { status: res.status, text };
}

/** `n` access tokens of the bench client, then each revoked, `concurrency` at a time; latencies of the revocations only. */
async function revokeRound(server, seed, n, concurrency) {
  const tokens = new Array(n);
  const ccBody = new URLSearchParams({ grant_type: 'client_credentials', scope: SCOPE, resource: AUDIENCE }).toString();
  await parallelFor(n, 16, async (i) => {
    const r = await post(`${server.url}/oauth/token`, seed.auth, ccBody);
    if (r.status !== 200) throw new Error(`token request: ${r.status} ${r.text.slice(0, 200)}`);
    tokens[i] = JSON.parse(r.text).access_token;
  });
  const latencies = [];
  let failed = 0;
  const cpuBefore = cpuTimes(server.pid);
  const started = process.hrtime.bigint();
  await parallelFor(n, concurrency, async (i) => {
    const t = process.hrtime.bigint();
    const r = await post(`${server.url}/oauth/revoke`, seed.auth, `token=${tokens[i]}&token_type_hint=access_token`);
    latencies.push(Number(process.hrtime.bigint() - t) / 1e6);
    if (r.status !== 200) failed++;
  });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const cpuUs = cpuBetween(cpuBefore, cpuTimes(server.pid));
  return { rps: n / seconds, p50: pct(latencies, 50), p99: pct(latencies, 99), failed, cpuPerRequest: cpuUs === null ? null : cpuUs / n };
}

export async function measureDurableWrites(ctx, { n, rounds, log }) {
  const dir = path.join(ctx.dir, 'durable');
  const [primaryPort, replicaPort] = [await freePort(), await freePort()];
  await mkdir(path.join(dir, 'primary'), { recursive: true });
  await mkdir(path.join(dir, 'replica'), { recursive: true });
  const primary = redisServer(primaryPort, path.join(dir, 'primary'));
  const replica = redisServer(replicaPort, path.join(dir, 'replica'), ['--replicaof', '127.0.0.1', String(primaryPort)]);
  const check = new Redis(primaryPort, '127.0.0.1', { lazyConnect: true, maxRetriesPerRequest: 1 });
  check.on('error', () => undefined);
  const servers = [];
  const stop = async () => {
    await Promise.all(servers.map((s) => s.stop().catch(() => undefined)));
    check.disconnect();
    await replica.stop();
    await primary.stop();
  };
  ctx.cleanups?.add(stop);
  try {
    await until('the bench primary', async () => { await check.connect().catch(() => undefined); return (await check.ping()) === 'PONG'; });
    await until('the replica online', async () => /slave0:[^\n]*state=online/.test(await check.info('replication')));
    const url = `redis://127.0.0.1:${primaryPort}`;
    const settings = [
      { id: 'WAIT for 1 replica', env: { TESSERA_REDIS_WAIT_REPLICAS: '1' } },
      { id: 'no WAIT', env: { TESSERA_REDIS_WAIT_REPLICAS: '0' } },
    ];
    for (const [i, s] of settings.entries()) {
      const server = await startTessera({
        name: `tessera (${s.id})`, redisUrl: url, prefix: `tessera-bench-durable-${i}:`, keysDir: path.join(dir, `keys-${i}`), env: s.env,
      });
      servers.push(server);
      s.server = server;
      s.seed = await seedTessera(server.url, ADMIN_SECRET);
    }
    log(`durable writes: primary 127.0.0.1:${primaryPort} with a replica on ${replicaPort}; ${n} revocations per round and setting`);
    const runs = {};
    for (let r = 1; r <= rounds; r++) {
      for (const concurrency of CONCURRENCY) {
        for (const s of settings) {
          const run = await revokeRound(s.server, s.seed, n, concurrency);
          ((runs[s.id] ??= {})[concurrency] ??= []).push(run);
          log(`durable writes: round ${r}/${rounds} ${s.id.padEnd(18)} c=${String(concurrency).padEnd(2)} ${run.rps.toFixed(0)} revocations/s  ` +
            `p50 ${run.p50.toFixed(2)} ms  p99 ${run.p99.toFixed(2)} ms${run.failed ? `  FAILED ${run.failed}` : ''}`);
        }
      }
    }
    const rows = [];
    for (const concurrency of CONCURRENCY) {
      for (const s of settings) {
        const list = runs[s.id][concurrency];
        rows.push({
          setting: s.id, concurrency, rps: median(list.map((x) => x.rps)), p50: median(list.map((x) => x.p50)), p99: median(list.map((x) => x.p99)),
          cpuPerRequest: median(list.map((x) => x.cpuPerRequest)), failed: list.reduce((k, x) => k + x.failed, 0),
          rpsRounds: list.map((x) => Math.round(x.rps)),
        });
      }
    }
    const ratio = (c) => {
      const [w, no] = settings.map((s) => rows.find((x) => x.setting === s.id && x.concurrency === c));
      return { concurrency: c, rps: w.rps / no.rps, p50AddedMs: w.p50 - no.p50 };
    };
    return { n, rounds, rows, ratios: CONCURRENCY.map(ratio) };
  } finally {
    ctx.cleanups?.delete(stop);
    await stop();
  }
}

export function renderDurable(d) {
  const f = (v, k = 2) => (v === null || v === undefined ? '-' : v.toFixed(k));
  const lines = [
    `Access-token revocations (RFC 7009) on a Redis primary with one replica on this machine; ${d.n} per round, ${d.rounds} round(s), medians.`,
    '',
    '| setting | concurrency | revocations/s | p50 ms | p99 ms | CPU µs/req | failed | per round |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |',
    ...d.rows.map((r) => `| ${r.setting} | ${r.concurrency} | ${f(r.rps, 0)} | ${f(r.p50)} | ${f(r.p99)} | ${f(r.cpuPerRequest, 0)} | ${r.failed} | ${r.rpsRounds.join(', ')} |`),
    '',
    ...d.ratios.map((x) => `- concurrency ${x.concurrency}: with WAIT ${f(x.rps)}× the revocations/s without; p50 ${x.p50AddedMs >= 0 ? '+' : ''}${f(x.p50AddedMs)} ms`),
  ];
  return lines.join('\n');
}
