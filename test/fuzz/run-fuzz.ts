/**
 * `npm run fuzz [-- --inputs N --seed S --concurrency C]`: the full fuzzing
 * run (100 000 inputs by default, a new seed each time unless given),
 * bundled and started by scripts/fuzz.mjs. Prints the summary; exits 1 on
 * any 5xx, stack trace, transport error, or a server no longer ready.
 */
import { formatSummary, fuzzPassed, runFuzz } from './fuzz-engine.js';
import { ENDPOINTS, type Endpoint } from './fuzz-inputs.js';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const v = i >= 0 ? Number(process.argv[i + 1]) : NaN;
  return Number.isSafeInteger(v) && v >= 0 ? v : fallback;
}

const inputs = arg('inputs', 100_000);
const seed = arg('seed', Math.floor(Math.random() * 2 ** 31));
const concurrency = arg('concurrency', 32);
const onlyAt = process.argv.indexOf('--only');
const only = onlyAt >= 0 ? (process.argv[onlyAt + 1] ?? '').split(',').filter((e): e is Endpoint => (ENDPOINTS as readonly string[]).includes(e)) : undefined;
process.stdout.write(`fuzz: ${inputs} inputs, seed ${seed}, ${concurrency} at a time\n`);
const summary = await runFuzz({
  inputs, seed, concurrency, ...(only?.length ? { only } : {}),
  onProgress: (done, total) => process.stdout.write(`  ${done}/${total}\n`),
});
process.stdout.write(`${formatSummary(summary)}\n`);
process.exit(fuzzPassed(summary) ? 0 : 1);
