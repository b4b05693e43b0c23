/**
 * The server process turns V8's allocation-site pretenuring off for itself
 * (src/gc-tuning.ts). Seen from outside with V8's own trace: a child that
 * keeps every object of one literal site alive makes V8 digest that site's
 * feedback after its young collections (the trace prints a `pretenuring:`
 * line each time); after tuneGarbageCollection() it digests none. The
 * first case shows that the trace and the allocation pattern work on the
 * Node running the tests, so the second can fail.
 */
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { ensureBuilt } from '../support/build.js';
import { runToExit } from '../support/process.js';

const TUNING = pathToFileURL(path.resolve('dist/gc-tuning.js')).href;

/** Objects from one literal site, all kept: the case pretenuring is made for. */
const childSource = (tuned: boolean): string => `
import { tuneGarbageCollection } from ${JSON.stringify(TUNING)};
${tuned ? 'tuneGarbageCollection();' : ''}
function make(i) { return { a: i, b: i + 1, c: null }; }
const keep = [];
for (let i = 0; i < 3e6; i++) keep.push(make(i));
process.stderr.write('kept ' + keep.length + '\\n');
`;

/** The child run with V8's pretenuring trace: its exit code, the trace's lines and its stderr. */
async function pretenuringTrace(tuned: boolean): Promise<{ code: number | null; lines: string[]; stderr: string }> {
  const { code, stdout, stderr } = await runToExit({}, 50_000, ['--trace-pretenuring-statistics', '--input-type=module', '-e', childSource(tuned)]);
  return { code, lines: `${stdout}\n${stderr}`.split('\n').filter((l) => l.includes('pretenuring:')), stderr };
}

beforeAll(() => ensureBuilt('dist/gc-tuning.js'), 180_000);

test('without the tuning, V8 digests the pretenuring feedback of a site whose objects all survive', async () => {
  const { code, lines, stderr } = await pretenuringTrace(false);
  expect(code).toBe(0);
  expect(stderr).toContain('kept 3000000');
  expect(lines.length).toBeGreaterThan(0);
  expect(lines.some((l) => /AllocationSite\(.*\(created, found, ratio\)/.test(l))).toBe(true);
}, 60_000);

test('after tuneGarbageCollection(), V8 makes no pretenuring decision at all', async () => {
  const { code, lines, stderr } = await pretenuringTrace(true);
  expect(code).toBe(0);
  expect(stderr).toContain('kept 3000000');
  expect(lines).toEqual([]);
}, 60_000);
