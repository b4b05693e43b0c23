// `--profile`: Tessera under one scenario's load at a time, started with
// `node --cpu-prof`, then stopped so that V8 writes the profile; prints the
// top functions by self time for each (bench/profile-top.mjs).
import { mkdir, readdir, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { startTessera } from './tessera.mjs';
import { runOnce, log } from './load.mjs';
import { NEEDS_ACCESS_TOKEN, SCENARIOS } from './scenarios.mjs';
import { renderTop, topOfProfile } from '../profile-top.mjs';

export async function profileScenarios(ctx, scenarios, tesseraOptions) {
  const root = path.resolve('.bench/profiles');
  await mkdir(root, { recursive: true });
  const sections = [];
  for (const name of scenarios) {
    const contender = SCENARIOS[name].contenders.find((c) => c.server === 'tessera');
    if (!contender) continue;
    const dir = path.join(root, `tmp-${ctx.runId}-${name}`);
    await ctx.servers.tessera?.stop();
    const spawned = Date.now();
    ctx.servers.tessera = await startTessera({ ...tesseraOptions, profileDir: dir });
    if (name === 'refresh') await ctx.topUpRefreshPool();
    // Without one the load would send `token=undefined`: a profile of the inactive answer, not of the scenario.
    if (NEEDS_ACCESS_TOKEN.includes(name)) await ctx.freshAccessToken();
    log(`profile ${name}: ${ctx.options.warmup + ctx.options.duration} s of load (the first ${ctx.options.warmup} s and the start-up are left out of the summary)`);
    // Start-up, seeding and the warm-up are not what the profile is for.
    const skipMs = Date.now() - spawned + ctx.options.warmup * 1000;
    const run = await runOnce(ctx, contender, ctx.options.warmup + ctx.options.duration);
    await ctx.servers.tessera.stop();
    delete ctx.servers.tessera;
    const [file] = (await readdir(dir)).filter((f) => f.endsWith('.cpuprofile'));
    if (!file) throw new Error(`no .cpuprofile written in ${dir}`);
    const target = path.join(root, `${name}-${ctx.runId}.cpuprofile`);
    await rename(path.join(dir, file), target);
    await rm(dir, { recursive: true, force: true });
    const bad = run.non2xx + run.errors + run.timeouts + run.badBodies;
    sections.push(`### ${SCENARIOS[name].title} (${run.rps.toFixed(0)} req/s under the profiler${bad ? `, ${bad} FAILED` : ''})\n\n` +
      `${renderTop(topOfProfile(target, 25, skipMs), path.relative(process.cwd(), target))}`);
  }
  return sections.join('\n\n');
}
