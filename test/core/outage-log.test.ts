/** The outage log on its own: a probe the test answers, a logger writing to memory, short intervals. */
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { bestEffort, OutageLog, type OutageLogOptions } from '../../src/core/outage-log.js';
import { StoreUnavailableError } from '../../src/core/errors.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** `options` replace the probe, clock and intervals below. */
function setup(options: Partial<OutageLogOptions> = {}) {
  const lines: Array<Record<string, unknown>> = [];
  const logger = pino({ level: 'info' }, new Writable({ write(chunk, _enc, done) { lines.push(JSON.parse(String(chunk))); done(); } }));
  const state = { up: false };
  const log = new OutageLog(logger, { probe: async () => { if (!state.up) throw new Error('down'); }, summaryEveryMs: 100, probeEveryMs: 20, ...options });
  const down = new StoreUnavailableError('the store is temporarily unavailable', { cause: new Error('connect ECONNREFUSED 127.0.0.1:6390') });
  const msgs = () => lines.map((l) => l.msg);
  async function until(check: () => boolean): Promise<void> {
    for (let i = 0; i < 250 && !check(); i++) await sleep(20);
    expect(check()).toBe(true);
  }
  return { lines, msgs, log, down, state, until };
}

test('one error line when failures start, whatever their number; a summary with counts while they last; one line when the store is back', async () => {
  const { lines, msgs, log, down, state, until } = setup();
  for (let i = 0; i < 1000; i++) log.refused(down, i % 2 ? 'POST /oauth/token' : 'POST /oauth/introspect');
  log.skipped(down, 'audit');
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatchObject({ level: 50, cause: 'connect ECONNREFUSED 127.0.0.1:6390' });
  await until(() => msgs().includes('the store is still failing'));
  expect(lines.find((l) => l.msg === 'the store is still failing')).toMatchObject({
    level: 40, refused: 1000, refused_by_route: { 'POST /oauth/token': 500, 'POST /oauth/introspect': 500 }, skipped_writes: { audit: 1 },
  });
  state.up = true;
  await until(() => msgs().includes('the store is back'));
  expect(lines.at(-1)).toMatchObject({ level: 30, refused: 1000, lasted_ms: expect.any(Number) });
  expect(log.active).toBe(false);
  // A new failure is a new outage, with its own first line.
  log.refused(down, 'POST /oauth/token');
  expect(msgs().filter((m) => String(m).startsWith('the store is failing'))).toHaveLength(2);
  log.close();
});

test('a store that answers PING but keeps failing writes (full) is not taken for recovered while the failures go on', async () => {
  const { msgs, log, down, state, until } = setup();
  state.up = true;
  const failing = setInterval(() => log.skipped(down, 'usage'), 5);
  try {
    await sleep(300);
    expect(msgs()).not.toContain('the store is back');
    expect(log.active).toBe(true);
  } finally {
    clearInterval(failing);
  }
  await until(() => msgs().includes('the store is back'));
  log.close();
});

test('a tick that comes late is measured from the previous probe, so a failure between the two still holds the outage open', async () => {
  let clock = 0;
  let probes = 0;
  const { lines, log, down }: ReturnType<typeof setup> = setup({
    now: () => clock,
    summaryEveryMs: 60_000,
    // The first probe answers, and then, before the next tick, a write fails
    // at 10 ms and the event loop stalls until 100 ms: the next tick is 80 ms late.
    probe: async () => {
      probes++;
      if (probes === 1) {
        clock = 10;
        log.skipped(down, 'usage');
        clock = 100;
      }
    },
  });
  log.skipped(down, 'usage');
  for (let i = 0; i < 250 && log.active; i++) await sleep(20);
  // Probe 2 (at 100 ms) sees the failure at 10 ms, after probe 1 began (0 ms):
  // still failing. Probe 3 sees none since probe 2 began: back.
  expect(probes).toBe(3);
  expect(lines.map((l) => l.msg)).toEqual([expect.stringMatching(/^the store is failing/), 'the store is back']);
  expect(lines[1]).toMatchObject({ skipped_writes: { usage: 2 }, lasted_ms: 100 });
});

test('bestEffort reports a failed write and never throws it; a write that works reports nothing', async () => {
  const seen: string[] = [];
  const failures = { skipped: (_err: unknown, what: string) => { seen.push(what); } };
  await expect(bestEffort(Promise.reject(new Error('OOM command not allowed')), 'usage', failures)).resolves.toBeUndefined();
  await expect(bestEffort(Promise.resolve('ok'), 'usage', failures)).resolves.toBeUndefined();
  expect(seen).toEqual(['usage']);
});
