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
 * fails, it is never skipped. `chromiumPath()` gives the executable alone, for
 * another driver.
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

export async function launchBrowser(options: LaunchOptions = {}): Promise<Browser> {
  return chromium.launch({
    executablePath: await chromiumPath(),
    timeout: LAUNCH_TIMEOUT_MS,
    ...options,
    args: [...CHROMIUM_ARGS, ...(options.args ?? [])],
  });
}
