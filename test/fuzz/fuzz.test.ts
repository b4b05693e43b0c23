/**
 * The short fuzzing run of `npm test`: a few thousand generated requests to
 * the token, introspection, revocation, authorization and admin endpoints
 * (test/fuzz/fuzz-inputs.ts), with a fixed seed so that a failure can be
 * replayed (`npm run fuzz -- --inputs 2000 --seed 20261203`). `npm run fuzz`
 * runs 100 000 with a new seed each time.
 */
import { formatSummary, runFuzz } from './fuzz-engine.js';
import { ENDPOINTS } from './fuzz-inputs.js';

const SEED = 20261203;
const INPUTS = 2000;

test(`${INPUTS} generated requests: no 5xx, no stack trace, every one answered, and the server still ready`, async () => {
  const summary = await runFuzz({ inputs: INPUTS, seed: SEED, concurrency: 16 });
  const report = formatSummary(summary);
  expect({ serverErrors: summary.serverErrors, stackTraces: summary.stackTraces, transportErrors: summary.transportErrors, errorLogLines: summary.errorLogLines })
    .toEqual({ serverErrors: [], stackTraces: [], transportErrors: [], errorLogLines: [] });
  expect(summary.readyzAfter).toBe(200);
  expect(summary.inputs).toBe(INPUTS);
  // Every endpoint got its share, and the inputs reached past the first refusals (some succeed, some are refused for what they say).
  for (const endpoint of ENDPOINTS) expect(summary.perEndpoint[endpoint]).toBeGreaterThan(INPUTS / 10);
  expect(summary.statuses['200']).toBeGreaterThan(0);
  expect(Object.keys(summary.statuses).length).toBeGreaterThanOrEqual(6);
  expect(report).toContain(`fuzz: ${INPUTS} inputs, seed ${SEED}`);
}, 300_000);
