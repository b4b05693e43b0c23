/**
 * Driving the web console in a real headless Chromium (test/support/browser.ts,
 * playwright-core), for the console's browser tests:
 *
 *   const browser = await startConsoleBrowser();        // built console, Chromium, artifacts dir
 *   const { context, page, watch } = await openConsole(browser, h.url);
 *   await signIn(page, h.url, 'ada', 'ada-password-1', 'Overview');
 *   await go(page, '/clients', 'Clients');
 *   await shoot(page, 'clients');                       // screenshots + axe-core
 *   expectClean(watch);                                 // no CSP violation, dialog, page error, unprotected answer
 *
 * Screenshots go to test-results/console/*.png (light and dark, desktop and
 * phone width); axe-core fails the test on any serious or critical violation.
 */
import { mkdir, readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { launchBrowser } from './browser.js';
import { ensureBuilt } from './build.js';
import { CONSOLE_CSP } from '../../src/http/console/console-headers.js';

// The page's globals, for the functions evaluated in it (tests compile without the DOM library).
declare const location: { hash: string };
declare const window: object;
declare const document: { querySelector(s: string): unknown; querySelectorAll(s: string): ArrayLike<{ textContent: string | null }> };

export const ARTIFACTS = 'test-results/console';
export const SIZES = { desktop: { width: 1280, height: 800 }, phone: { width: 390, height: 844 } } as const;

/** What went wrong in the page while a test walked it. */
export interface Watch { csp: string[]; dialogs: string[]; unprotected: string[]; errors: string[] }

/** Chromium, once the console is built and the artifacts directory exists. */
export async function startConsoleBrowser(): Promise<Browser> {
  const browser = await launchBrowser();
  await ensureBuilt('dist/console/index.html', 'dist/console/assets/console.js');
  await mkdir(ARTIFACTS, { recursive: true });
  return browser;
}

/** A fresh context (its own cookies: its own session) and page, watched for CSP violations, dialogs, page errors and /console answers without the CSP. */
export async function openConsole(browser: Browser, url: string, size: keyof typeof SIZES = 'desktop'): Promise<{ context: BrowserContext; page: Page; watch: Watch }> {
  const context = await browser.newContext({ viewport: SIZES[size] });
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: url });
  const page = await context.newPage();
  const watch: Watch = { csp: [], dialogs: [], unprotected: [], errors: [] };
  page.on('console', (m) => { if (/Content Security Policy|Trusted Type/i.test(m.text())) watch.csp.push(m.text()); });
  page.on('pageerror', (e) => watch.errors.push(String(e)));
  page.on('dialog', (d) => { watch.dialogs.push(d.message()); void d.dismiss(); });
  page.on('response', (r) => {
    const at = new URL(r.url());
    if (at.pathname.startsWith('/console') && r.headers()['content-security-policy'] !== CONSOLE_CSP) watch.unprotected.push(`${r.status()} ${at.pathname}`);
  });
  return { context, page, watch };
}

/** Waits for the page's main heading. */
export async function heading(page: Page, text: string | RegExp): Promise<void> {
  await page.locator('main h1', { hasText: text }).waitFor({ timeout: 15_000 });
}

/** The console's sign-in: its button, Tessera's login page, back to the console on `landing`. */
export async function signIn(page: Page, url: string, username: string, password: string, landing: string): Promise<void> {
  await page.goto(`${url}/console`);
  await heading(page, 'Sign in');
  await Promise.all([page.waitForURL(/\/oauth\/authorize/), page.getByRole('button', { name: 'Sign in with Tessera' }).click()]);
  await page.fill('input[name="username"]', username);
  await page.fill('input[name="password"]', password);
  await Promise.all([page.waitForURL(/\/console#/), page.locator('form button[type="submit"]').first().click()]);
  await heading(page, landing);
}

/** Goes to a console view by its fragment and waits until it is rendered. */
export async function go(page: Page, hash: string, title: string | RegExp): Promise<void> {
  await page.evaluate((target) => { location.hash = target; }, hash);
  await heading(page, title);
  await page.waitForFunction(() => !document.querySelector('main[aria-busy]'));
}

/**
 * Waits until the page's table shows the list a filter asked for: at least
 * one row (exactly `count` when given), every one containing `text`. A
 * filter's URL changes before its list is rendered: this waits for the list.
 */
export async function onlyRows(page: Page, text: string, count?: number): Promise<void> {
  await page.waitForFunction(([wanted, n]) => {
    const rows = Array.from(document.querySelectorAll('main table tbody tr'));
    return rows.length > 0 && (n === null || rows.length === n) && rows.every((r) => (r.textContent ?? '').includes(wanted));
  }, [text, count ?? null] as const);
}

let axeSource: Promise<string> | undefined;

/** axe-core in the page (evaluated through the DevTools protocol, which the page's CSP does not govern). */
export async function axe(page: Page, name: string): Promise<void> {
  axeSource ??= readFile(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
  if (!(await page.evaluate(() => 'axe' in window))) await page.evaluate(await axeSource);
  const violations = await page.evaluate(async () => {
    const w = window as unknown as { axe: { run(ctx: unknown, o: unknown): Promise<{ violations: Array<{ id: string; impact: string; help: string; nodes: Array<{ target: unknown }> }> }> } };
    const result = await w.axe.run(document, { resultTypes: ['violations'] });
    return result.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, targets: v.nodes.slice(0, 3).map((n) => JSON.stringify(n.target)) }));
  });
  const bad = violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  expect({ page: name, violations: bad }).toEqual({ page: name, violations: [] });
}

/** Screenshots in light and dark at desktop and phone width, axe in both themes. */
export async function shoot(page: Page, name: string): Promise<void> {
  const start = page.viewportSize()!;
  for (const scheme of ['light', 'dark'] as const) {
    await page.emulateMedia({ colorScheme: scheme });
    await axe(page, `${name} (${scheme})`);
    for (const [size, viewport] of Object.entries(SIZES)) {
      await page.setViewportSize(viewport);
      await page.screenshot({ path: `${ARTIFACTS}/${name}-${scheme}-${size}.png`, fullPage: true });
    }
  }
  await page.setViewportSize(start);
  await page.emulateMedia({ colorScheme: 'light' });
}

export function expectClean(watch: Watch): void {
  expect(watch).toEqual({ csp: [], dialogs: [], unprotected: [], errors: [] });
}
