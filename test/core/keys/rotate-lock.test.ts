/** The keys dir's rotation lock: a caller that cannot get it in time is told to retry (503), never given a 500. */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { BusyError } from '../../../src/core/errors.js';
import { LOCK_FILE, withRotateLock } from '../../../src/core/keys/rotate-lock.js';
import { toErrorAnswer } from '../../../src/http/error-response.js';

let dir: string;
beforeEach(async () => { dir = await mkdtemp(path.join(os.tmpdir(), 'tessera-lock-')); });
afterEach(async () => { await rm(dir, { recursive: true, force: true }); });

test('waiting past the limit for a lock another rotation holds is a BusyError, answered 503 temporarily_unavailable with Retry-After', async () => {
  await writeFile(path.join(dir, LOCK_FILE), 'another-host:1:abc\n');
  let ran = false;
  const err = await withRotateLock(dir, async () => { ran = true; }, 150).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(BusyError);
  expect(ran).toBe(false);
  expect(toErrorAnswer(err)).toEqual({
    status: 503,
    headers: { 'Cache-Control': 'no-store', Pragma: 'no-cache', 'Retry-After': '1' },
    body: { error: 'temporarily_unavailable', error_description: 'another key rotation is in progress; retry shortly' },
  });
});

test('rotations queued in one process each get the lock in turn', async () => {
  const order: number[] = [];
  await Promise.all([1, 2, 3].map((n) => withRotateLock(dir, async () => {
    order.push(n);
    await new Promise((r) => setTimeout(r, 20));
    order.push(-n);
  })));
  // Never two inside at once: each entry is followed by its own exit.
  for (let i = 0; i < order.length; i += 2) expect(order[i + 1]).toBe(-order[i]!);
});
