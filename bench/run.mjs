// `npm run bench`: Tessera against node-oidc-provider and a bare Express
// baseline, each server its own process, loaded by autocannon from another
// process, in alternating rounds; then Redis memory per token and the
// effect of 1M stored tokens. Prints a markdown report (progress goes to
// stderr). See bench/lib/options.mjs for the options.
import { existsSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { parseOptions, selected, USAGE } from './lib/options.mjs';
import { connect, deletePrefix } from './lib/redis.mjs';
import { loadNow, machineInfo } from './lib/machine.mjs';
import { ADMIN_SECRET, RATE_LIMIT, startTessera } from './lib/tessera.mjs';
import { accessToken, refreshTokens, seedTessera } from './lib/seed.mjs';
import { NEEDS_ACCESS_TOKEN, serversFor } from './lib/scenarios.mjs';
import { startOthers, stopAll } from './lib/contenders.mjs';
import { log, pairsOf, runRounds } from './lib/load.mjs';
import { issueTargets, otherRatios, renderIssueTargets, renderMachine, renderMemory, renderTable, renderTargets, summarize, targets } from './lib/report.mjs';
import { measureFixedRate, renderFixedRate } from './lib/fixed-rate.mjs';
import { measureDurableWrites, renderDurable } from './lib/durable.mjs';
import { measureMemory } from './lib/memory.mjs';
import { measureScale, renderScale } from './lib/scale.mjs';
import { profileScenarios } from './lib/profile.mjs';
import { measureAuthCosts, renderAuthCosts } from './lib/auth-costs.mjs';

let options;
try {
  options = parseOptions(process.argv.slice(2));
} catch (err) {
  process.stderr.write(`bench: ${err.message}\n\n${USAGE}\n`);
  process.exit(2);
}
if (options.help) {
  process.stdout.write(`${USAGE}\n`);
  process.exit(0);
}
if (!existsSync('dist/main.js')) {
  process.stderr.write('bench: dist/main.js is missing: run `npm run build` first (npm run bench does)\n');
  process.exit(2);
}

const started = Date.now();
const runId = `${Date.now().toString(36)}${randomBytes(2).toString('hex')}`;
const redisUrl = process.env.REDIS_URL || 'redis://127.0.0.1:6379';
const redis = connect(redisUrl);
try {
  await redis.connect();
  await redis.ping();
} catch (err) {
  process.stderr.write(`bench: Redis is not reachable at ${redisUrl.replace(/\/\/[^@]*@/, '//***@')} (${err.message}); start one or set REDIS_URL\n`);
  process.exit(1);
}

const ctx = {
  options, runId, redis, redisUrl,
  prefix: `tessera-bench:${runId}:`,
  dir: path.resolve('.bench', `run-${runId}`),
  servers: {}, seed: null, refreshPool: [], accessToken: null, oidcAuth: null,
  /** Stops what a phase started outside `servers` (the WAIT phase's redis-servers and Tesseras), also on Ctrl-C. */
  cleanups: new Set(),
  async topUpRefreshPool() {
    const want = options.connections + 8;
    if (ctx.refreshPool.length >= want) return;
    const n = want - ctx.refreshPool.length;
    ctx.refreshPool.push(...await refreshTokens(ctx.servers.tessera.url, ctx.seed, n));
    log(`minted ${n} refresh token(s) through the login form and code exchange`);
  },
  async freshAccessToken() {
    if (ctx.servers.tessera) ctx.accessToken = await accessToken(ctx.servers.tessera.url, ctx.seed);
  },
};
const tesseraOptions = { redisUrl, prefix: ctx.prefix, keysDir: path.join(ctx.dir, 'keys'), workers: options.workers };

let cleaning = null;
function cleanup() {
  cleaning ??= (async () => {
    await stopAll(ctx);
    await Promise.all([...ctx.cleanups].map((stop) => stop().catch(() => undefined)));
    const n = await deletePrefix(redis, ctx.prefix).catch(() => 0);
    log(`deleted ${n} Redis keys under ${ctx.prefix}`);
    redis.disconnect();
    await rm(ctx.dir, { recursive: true, force: true });
  })();
  return cleaning;
}
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => { log(`${signal}: cleaning up`); void cleanup().finally(() => process.exit(130)); });
}

let exitCode = 0;
try {
  await mkdir(ctx.dir, { recursive: true });
  const machine = await machineInfo(redis);
  const chosen = selected(options);
  const needed = serversFor(chosen.scenarios);
  if (chosen.rate) needed.add('oidc');

  log(`run ${runId}: Redis prefix ${ctx.prefix}`);
  ctx.servers.tessera = await startTessera(tesseraOptions);
  ctx.seed = await seedTessera(ctx.servers.tessera.url, ADMIN_SECRET);

  const report = [];
  const settings = `Tessera: \`node dist/main.js\`${options.workers > 1 ? ` with TESSERA_WORKERS=${options.workers}` : ''}, Redis store, EdDSA, TESSERA_LOG_LEVEL=warn, rate limits ${RATE_LIMIT} ` +
    `(counters on, never reached), audit log on, NODE_ENV=production. autocannon: ${options.connections} connections, ` +
    `${options.duration} s per round, ${options.rounds} round(s), ${options.warmup} s warm-up per contender; req/s and latencies are medians of the rounds, ratios the medians of the per-round ratios. ` +
    'CPU µs/req: the server process (and its workers) CPU time, user + system from /proc/<pid>/stat, over each round, per request served; ' +
    'load generator CPU µs/req: the load runner process\'s own (autocannon; for the chained refresh rotations and the "tessera (lean client)" issuance they are compared with, bench/lean-runner.mjs, a keep-alive client that writes only the body per request); Redis CPU µs/req: the Redis server\'s own (INFO cpu, used_cpu_user + used_cpu_sys) over each round, per request (node-oidc-provider keeps its state in memory: its column is Redis idling).';

  if (options.profile) {
    report.push(`## Tessera CPU profiles\n\n${settings}\n\nMachine: ${renderMachine(machine)}\n`);
    // One process: --cpu-prof in a cluster would write one profile per worker.
    report.push(await profileScenarios(ctx, chosen.scenarios, { ...tesseraOptions, workers: 1, port: ctx.servers.tessera.port }));
  } else {
    await startOthers(ctx, needed);
    let summary = {};
    if (chosen.scenarios.length) {
      const results = await runRounds(ctx, pairsOf(chosen.scenarios), {
        rounds: options.rounds, duration: options.duration, warmup: options.warmup,
        beforeRound: chosen.scenarios.some((s) => NEEDS_ACCESS_TOKEN.includes(s)) ? ctx.freshAccessToken : undefined,
      });
      summary = summarize(results);
    }
    const fixed = chosen.rate ? await measureFixedRate(ctx, { rate: options.rate, duration: options.duration, rounds: options.rounds, warmup: options.warmup, log }) : null;
    const memory = chosen.memory ? await measureMemory({ redis, url: redisUrl, prefix: ctx.prefix, n: options.memoryN, log }) : null;
    const scale = chosen.scale ? await measureScale(ctx, { n: options.scaleN, log }) : null;
    const auth = chosen.auth ? await measureAuthCosts(ctx, { n: options.authN, log }) : null;
    const durable = chosen.durable ? await measureDurableWrites(ctx, { n: options.durableN, rounds: options.rounds, log }) : null;
    machine.loadEnd = loadNow();
    const table = issueTargets({ summary, fixed, memory, scale, options });
    const goals = targets(summary);
    const failed = [
      ...Object.values(summary).flatMap((s) => Object.entries(s)),
      ...Object.entries(fixed?.summary ?? {}).map(([id, r]) => [`${id} at a fixed rate`, r]),
    ].filter(([, r]) => r.errors > 0);

    report.push(`## Benchmark\n\nMachine: ${renderMachine(machine)}\n\n${settings}\n`);
    if (Object.keys(summary).length) report.push(renderTable(summary));
    if (failed.length) report.push(`\n**WARNING: ${failed.length} contender(s) had failed requests (non-2xx, errors or timeouts); their numbers are not comparable.**`);
    report.push(`\n### Targets\n\n${renderIssueTargets(table)}`);
    if (goals.length) report.push(`\nOther targets:\n\n${renderTargets(goals)}`);
    if (fixed) report.push(`\n### Fixed rate (open loop)\n\n${renderFixedRate(fixed)}`);
    const others = otherRatios(summary);
    if (others) report.push(`\nOther ratios:\n\n${others}`);
    if (memory) report.push(`\n### Redis memory\n\n${renderMemory(memory)}\n\n(${memory.note})`);
    if (scale) report.push(`\n### Scale: ${scale.n.toLocaleString('en')} live refresh tokens and ${scale.n.toLocaleString('en')} revoked ids (seeded in ${scale.seedSeconds.toFixed(0)} s) against none, side by side\n\n${renderScale(scale)}`);
    if (auth) report.push(`\n### Authentication costs (default password-hash cost)\n\n${renderAuthCosts(auth)}`);
    if (durable) report.push(`\n### Durable writes: the cost of WAIT\n\n${renderDurable(durable)}`);
    const elapsed = (Date.now() - started) / 1000;
    report.push(`\nTotal time of this run: ${elapsed.toFixed(0)} s (after the build).`);

    if (options.json) {
      const file = options.json === true ? path.resolve('.bench', `results-${new Date().toISOString().replace(/[:.]/g, '-')}.json`) : path.resolve(options.json);
      await mkdir(path.dirname(file), { recursive: true });
      await writeFile(file, `${JSON.stringify({ version: 2, machine, options, settings, summary, targets: table, otherTargets: goals, fixedRate: fixed, memory, scale, auth, durable, elapsedSeconds: elapsed }, null, 2)}\n`);
      log(`wrote ${file}`);
    }
    if (failed.length) exitCode = 1;
  }
  process.stdout.write(`${report.join('\n')}\n`);
} catch (err) {
  process.stderr.write(`bench: ${err.stack ?? err}\n`);
  exitCode = 1;
} finally {
  await cleanup();
}
process.exit(exitCode);
