// Open-loop latency: client_credentials at a fixed rate (default 1,000
// req/s) for Tessera and node-oidc-provider, in alternating rounds, each
// round a bench/rate-runner.mjs process; p50/p99/p99.9 from when each
// request was due, the server's CPU per request, and how long the server
// waited for a CPU (a tail that the machine, not the server, causes).
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { runNode } from './procs.mjs';
import { SCENARIOS } from './scenarios.mjs';
import { cpuBetween, cpuTimes, runQueueWaits } from './cpu.mjs';
import { withCpu } from './load.mjs';
import { median } from './median.mjs';

const RUNNER = path.resolve('bench/rate-runner.mjs');
const CONTENDERS = ['tessera', 'oidc-provider'];
let specCount = 0;

async function runAtRate(ctx, contender, rate, seconds) {
  const server = ctx.servers[contender.server];
  if (!server) throw new Error(`no ${contender.server} server is running`);
  const file = path.join(ctx.dir, `rate-${++specCount}.json`);
  await writeFile(file, JSON.stringify({ url: server.url, rate, duration: seconds, ...contender.spec(ctx) }));
  const cpuBefore = cpuTimes(server.pid);
  const waitBefore = runQueueWaits(server.pid);
  const result = JSON.parse((await runNode(RUNNER, [file], { timeoutMs: (seconds + 60) * 1000 })).trim().split('\n').pop());
  // cpuBetween only subtracts per-pid counters; here they are ns, not µs.
  const waited = cpuBetween(waitBefore, runQueueWaits(server.pid));
  return { ...withCpu(result, cpuBetween(cpuBefore, cpuTimes(server.pid))), serverRunQueueMs: waited === null ? null : waited / 1e6 };
}

export async function measureFixedRate(ctx, { rate, duration, rounds, warmup, log }) {
  const contenders = SCENARIOS.cc.contenders.filter((c) => CONTENDERS.includes(c.id));
  if (warmup > 0) {
    for (const c of contenders) {
      log(`fixed rate: warm-up ${c.id} (${warmup} s at ${rate} req/s)`);
      await runAtRate(ctx, c, rate, warmup);
    }
  }
  const runs = {};
  for (let r = 1; r <= rounds; r++) {
    for (const c of contenders) {
      const run = await runAtRate(ctx, c, rate, duration);
      (runs[c.id] ??= []).push(run);
      const bad = run.errors + run.non2xx;
      log(`fixed rate: round ${r}/${rounds} ${c.id.padEnd(14)} ${run.achievedRate.toFixed(0)} req/s sent  p50 ${run.p50?.toFixed(2)} ms  ` +
        `p99 ${run.p99?.toFixed(2)} ms  p99.9 ${run.p999?.toFixed(2)} ms  CPU ${run.cpuPerRequest?.toFixed(0) ?? '-'} µs/req  ` +
        `(send lag p99 ${run.sendLagP99?.toFixed(2)} ms; generator ${run.generator?.cpuPerRequest?.toFixed(0) ?? '-'} µs/req, ` +
        `${run.maxConnections ?? '-'} connections, GC max ${run.generator?.gcMaxMs?.toFixed(1) ?? '-'} ms; ` +
        `waiting for a CPU: server ${run.serverRunQueueMs?.toFixed(0) ?? '-'} ms, generator ${run.generator?.runQueueMs?.toFixed(0) ?? '-'} ms, ` +
        `machine CPU pressure ${run.machineCpuPressure === null || run.machineCpuPressure === undefined ? '-' : `${(run.machineCpuPressure * 100).toFixed(0)}%`})${bad ? `  ERRORS ${bad} ${JSON.stringify(run.statusCodes)}` : ''}`);
    }
  }
  const summary = {};
  for (const [id, list] of Object.entries(runs)) {
    summary[id] = {
      rate, p50: median(list.map((r) => r.p50)), p99: median(list.map((r) => r.p99)), p999: median(list.map((r) => r.p999)),
      max: Math.max(...list.map((r) => r.max ?? 0)), requests: list.reduce((n, r) => n + r.total, 0),
      errors: list.reduce((n, r) => n + r.errors + r.non2xx, 0), cpuPerRequest: median(list.map((r) => r.cpuPerRequest)),
      sendLagP99: median(list.map((r) => r.sendLagP99)), p99Rounds: list.map((r) => r.p99),
      generatorCpuPerRequest: median(list.map((r) => r.generator?.cpuPerRequest)),
      serverRunQueueMs: median(list.map((r) => r.serverRunQueueMs)), machineCpuPressure: median(list.map((r) => r.machineCpuPressure)),
    };
  }
  return { rate, duration, rounds, summary };
}

const ms = (v) => (v === null || v === undefined ? '-' : v.toFixed(2));

export function renderFixedRate(fixed) {
  const lines = [
    `client_credentials at ${fixed.rate.toLocaleString('en')} req/s, open loop (bench/rate-runner.mjs): latency from when each request was due; medians of ${fixed.rounds} round(s) of ${fixed.duration} s.`,
    '',
    '| contender | p50 ms | p99 ms | p99.9 ms | max ms | CPU µs/req | errors | p99 per round | generator send lag p99 ms | generator CPU µs/req | server waiting for a CPU, ms per round | machine CPU pressure |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- | ---: | ---: | ---: | ---: |',
  ];
  for (const [id, s] of Object.entries(fixed.summary)) {
    lines.push(`| ${id} | ${ms(s.p50)} | ${ms(s.p99)} | ${ms(s.p999)} | ${ms(s.max)} | ${s.cpuPerRequest === null ? '-' : s.cpuPerRequest.toFixed(0)} | ` +
      `${s.errors ? `**${s.errors} FAILED**` : 0} | ${s.p99Rounds.map(ms).join(', ')} | ${ms(s.sendLagP99)} | ` +
      `${s.generatorCpuPerRequest == null ? '-' : s.generatorCpuPerRequest.toFixed(0)} | ${s.serverRunQueueMs == null ? '-' : s.serverRunQueueMs.toFixed(0)} | ` +
      `${s.machineCpuPressure == null ? '-' : `${(s.machineCpuPressure * 100).toFixed(0)}%`} |`);
  }
  return lines.join('\n');
}
