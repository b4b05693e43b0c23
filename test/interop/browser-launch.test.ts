/**
 * Starting the browser tests' Chromium (test/support/browser.ts): a Chromium
 * that crashes while starting is started again, one that keeps crashing fails
 * the launch after the last attempt, and any other failure (an exit code, a
 * timeout) is not retried.
 * Each case runs a wrapper script in place of Chromium that counts its starts.
 */
import { jest } from '@jest/globals';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { chromiumPath, crashSignal, launchBrowser, LAUNCH_ATTEMPTS } from '../support/browser.js';

let dir: string;
let realChromium: string;
let browser: Browser | undefined;

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'tessera-launch-'));
  realChromium = await chromiumPath();
});
afterEach(async () => {
  await browser?.close();
  browser = undefined;
  jest.restoreAllMocks();
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A stand-in for Chromium: appends a line to the file $STARTS on each start, then runs `body`. */
async function wrapper(name: string, body: string): Promise<{ exe: string; starts: () => Promise<number> }> {
  const exe = path.join(dir, name);
  const counter = path.join(dir, `${name}.starts`);
  await writeFile(exe, `#!/bin/sh\nSTARTS="${counter}"\necho start >> "$STARTS"\n${body}\n`, { mode: 0o755 });
  return { exe, starts: async () => (await readFile(counter, 'utf8').catch(() => '')).split('\n').filter(Boolean).length };
}

test('a Chromium that crashes on its first start is started again, and the browser it gives works', async () => {
  const { exe, starts } = await wrapper(
    'crash-once',
    `if [ "$(wc -l < "$STARTS")" -eq 1 ]; then kill -SEGV $$; fi\nexec "${realChromium}" "$@"`,
  );
  const written: string[] = [];
  jest.spyOn(process.stderr, 'write').mockImplementation((chunk) => { written.push(String(chunk)); return true; });
  browser = await launchBrowser({ executablePath: exe });
  const page = await browser.newPage();
  await page.setContent('<p id="x">started</p>');
  expect(await page.textContent('#x')).toBe('started');
  expect(await starts()).toBe(2);
  expect(written).toEqual([`Chromium was ended by SIGSEGV while starting (attempt 1 of ${LAUNCH_ATTEMPTS}); starting it again\n`]);
}, 60_000);

test('a Chromium that crashes on every start fails the launch after the last attempt, naming the signal', async () => {
  const { exe, starts } = await wrapper('crash-always', 'kill -SEGV $$');
  jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
  const failure = await launchBrowser({ executablePath: exe }).then(() => null, (err: unknown) => err);
  expect(crashSignal(failure)).toBe('SIGSEGV');
  expect(await starts()).toBe(LAUNCH_ATTEMPTS);
}, 60_000);

test('a Chromium that exits with an error is not started again', async () => {
  const { exe, starts } = await wrapper('exits-1', 'echo "libnss3.so: cannot open shared object file" >&2\nexit 1');
  const failure = await launchBrowser({ executablePath: exe }).then(() => null, (err: unknown) => err);
  expect(failure).toBeInstanceOf(Error);
  expect(crashSignal(failure)).toBeNull();
  expect((failure as Error).message).toContain('exitCode=1');
  expect(await starts()).toBe(1);
});

test('a Chromium that does not start in time is not started again', async () => {
  const { exe, starts } = await wrapper('hangs', 'exec sleep 30');
  const failure = await launchBrowser({ executablePath: exe, timeout: 2_000 }).then(() => null, (err: unknown) => err);
  expect((failure as Error).message).toContain('Timeout 2000ms exceeded');
  expect(crashSignal(failure)).toBeNull();
  expect(await starts()).toBe(1);
});
