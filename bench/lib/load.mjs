// Runs the load: one load-runner process (lean-runner for the contenders
// that name it: the chained refresh rotations and what they are compared
// with) per (round, scenario, contender),
// every round going through all of them in the same order (A, B, C, A, B, C,
// ...), so that drift on a shared machine hits every contender alike.
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { runNode } from './procs.mjs';
import { SCENARIOS } from './scenarios.mjs';
import { cpuBetween, cpuTimes } from './cpu.mjs';
import { redisCpuMs } from './redis.mjs';

const RUNNER = path.resolve('bench/load-runner.mjs');
const LEAN_RUNNER = path.resolve('bench/lean-runner.mjs');
let specCount = 0;

/** One run of `seconds` against one contender; keeps the refresh-token pool up to date. */
export async function runOnce(ctx, contender, seconds) {
  const server = ctx.servers[contender.server];
  if (!server) throw new Error(`no ${contender.server} server is running (started: ${Object.keys(ctx.servers).join(", ")})`);
  const spec = { url: server.url, connections: ctx.options.connections, duration: seconds, ...contender.spec(ctx) };
  if (spec.chain) await ctx.topUpRefreshPool();
  const file = path.join(ctx.dir, `spec-${++specCount}.json`);
  await writeFile(file, JSON.stringify({ ...spec, chain: spec.chain ? { tokens: ctx.refreshPool } : undefined }));
  const redisBefore = await redisCpuUs(ctx.redis);
  const cpuBefore = cpuTimes(server.pid);
  const result = JSON.parse((await runNode(contender.runner === 'lean' ? LEAN_RUNNER : RUNNER, [file], { timeoutMs: (seconds + 60) * 1000 })).trim().split('\n').pop());
  withCpu(result, cpuBetween(cpuBefore, cpuTimes(server.pid)));
  const redisAfter = await redisCpuUs(ctx.redis);
  // A contender that does not use Redis (node-oidc-provider's in-memory adapter) shows Redis's idle cost.
  result.redisCpuPerRequest = redisBefore === null || redisAfter === null || !result.total ? null : (redisAfter - redisBefore) / result.total;
  if (spec.chain) ctx.refreshPool = result.tokens;
  delete result.tokens;
  return result;
}

/**
 * Redis's CPU time so far, µs (redisCpuMs): on the bench's 2 cores, what
 * Redis spends on a request is CPU the server does not get. null when there
 * is no connection or INFO fails.
 */
async function redisCpuUs(redis) {
  if (!redis) return null;
  try {
    return 1000 * await redisCpuMs(redis);
  } catch {
    return null;
  }
}

/**
 * The server's CPU time over the run (the load runner's start and end
 * included, when the server idles) per request served: what a request costs
 * the server, whatever the machine's other load does to its rate.
 */
export function withCpu(result, cpuUs) {
  result.cpuUs = cpuUs;
  result.cpuPerRequest = cpuUs === null || !result.total ? null : cpuUs / result.total;
  // The load generator's own CPU per request: on a machine it shares with the server, a heavier one leaves the server less.
  result.generatorCpuPerRequest = typeof result.runnerCpuUs === 'number' && result.total ? result.runnerCpuUs / result.total : null;
  return result;
}

/** The pairs of a set of scenarios, in the order each round runs them. */
export function pairsOf(names) {
  return names.flatMap((s) => SCENARIOS[s].contenders.map((c) => ({ scenario: s, contender: c })));
}

/**
 * Warm-up (discarded) then `rounds` rounds; returns {scenario: {contender id: [run, ...]}}.
 * `beforeRound` runs before each round (e.g. a fresh access token for the verifier).
 */
export async function runRounds(ctx, pairs, { rounds, duration, warmup, label = '', beforeRound }) {
  const results = {};
  if (warmup > 0) {
    await beforeRound?.();
    for (const { scenario, contender } of pairs) {
      log(`${label}warm-up ${scenario} ${contender.id} (${warmup} s)`);
      await runOnce(ctx, contender, warmup);
    }
  }
  for (let r = 1; r <= rounds; r++) {
    await beforeRound?.();
    for (const { scenario, contender } of pairs) {
      const run = await runOnce(ctx, contender, duration);
      ((results[scenario] ??= {})[contender.id] ??= []).push(run);
      const bad = run.non2xx + run.errors + run.timeouts + run.badBodies;
      const cpu = run.cpuPerRequest === null ? '' : `  CPU ${run.cpuPerRequest.toFixed(0)} µs/req (generator ${run.generatorCpuPerRequest?.toFixed(0) ?? '-'}, Redis ${run.redisCpuPerRequest?.toFixed(0) ?? '-'})`;
      log(`${label}round ${r}/${rounds} ${scenario.padEnd(10)} ${contender.id.padEnd(17)} ${run.rps.toFixed(0).padStart(6)} req/s  p50 ${run.p50} ms  p99 ${run.p99} ms${cpu}${bad ? `  ERRORS ${bad} ${JSON.stringify(run.statusCodes)}` : ''}`);
    }
  }
  return results;
}

export function log(line) {
  process.stderr.write(`[bench ${process.uptime().toFixed(0).padStart(4)} s] ${line}\n`);
}
