/**
 * The browser for browser tests: a headless Chromium driven by playwright-core.
 *
 *   import type { Browser } from 'playwright-core';
 *   import { launchBrowser } from '../support/browser.js';
 *
 *   let browser: Browser | undefined;
 *   beforeAll(async () => { browser = await launchBrowser(); });
 *   afterAll(async () => { await browser?.close(); });
 *
 * `launchBrowser()` rejects within LAUNCH_TIMEOUT_MS when no Chromium can be
 * had or it does not start, with a message saying what to install: the suite
 * fails, it is never skipped. A Chromium that a signal ends while it starts (a
 * crash) is started again, up to LAUNCH_ATTEMPTS times in all, each within
 * LAUNCH_TIMEOUT_MS. `chromiumPath()` gives the executable alone, for another
 * driver.
 *
 * The run's global setup finds or provides Chromium once (CHROMIUM_PATH, PATH,
 * the @sparticuz/chromium dev dependency's binary, then Debian's chromium with
 * apt-get when root: see chromium.mjs) and hands the result to the workers in
 * TEST_CHROMIUM_PATH, or what went wrong in TEST_CHROMIUM_ERROR.
 */
import { chromium, type Browser, type LaunchOptions } from 'playwright-core';
import { findOrProvideChromium } from './chromium.mjs';

export const LAUNCH_TIMEOUT_MS = 20_000;

/**
 * Headless on any machine, as root too; no calls out of the machine (its
 * network is closed: background networking would only pile up refused
 * connections).
 */
export const CHROMIUM_ARGS = [
  '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
];

export async function chromiumPath(): Promise<string> {
  if (process.env.TEST_CHROMIUM_ERROR) throw new Error(process.env.TEST_CHROMIUM_ERROR);
  if (process.env.TEST_CHROMIUM_PATH) return process.env.TEST_CHROMIUM_PATH;
  // Run without the project's global setup: find it here.
  const found = await findOrProvideChromium();
  process.env.TEST_CHROMIUM_PATH = found.path;
  return found.path;
}

/**
 * How many times a Chromium that dies of a signal while starting is started
 * again. Chromium has crashed (SIGSEGV) during start-up on a loaded CI machine
 * once in many runs, and did not in 190 launches here under load; a second
 * start is what a person would do, and a Chromium that keeps crashing still
 * fails the suite after the last attempt.
 */
export const LAUNCH_ATTEMPTS = 3;

/**
 * The signal that ended Chromium during a failed launch, from playwright's
 * call log; null for any other failure: an exit code, or a timeout (its call
 * log ends at the launch, with no exit in it).
 */
export function crashSignal(err: unknown): string | null {
  const message = err instanceof Error ? err.message : String(err);
  return /process did exit: exitCode=null, signal=(SIG[A-Z0-9]+)/.exec(message)?.[1] ?? null;
}

export async function launchBrowser(options: LaunchOptions = {}): Promise<Browser> {
  const launchOptions: LaunchOptions = {
    executablePath: await chromiumPath(),
    timeout: LAUNCH_TIMEOUT_MS,
    ...options,
    args: [...CHROMIUM_ARGS, ...(options.args ?? [])],
  };
  for (let attempt = 1; ; attempt++) {
    try {
      return await chromium.launch(launchOptions);
    } catch (err) {
      const signal = crashSignal(err);
      // Only a crash is started again: a missing library, a wrong path or a timeout would fail the same way.
      if (signal === null || attempt >= LAUNCH_ATTEMPTS) throw err;
      process.stderr.write(`Chromium was ended by ${signal} while starting (attempt ${attempt} of ${LAUNCH_ATTEMPTS}); starting it again\n`);
    }
  }
}
