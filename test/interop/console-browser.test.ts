/**
 * The web console in a real headless Chromium (test/support/browser.ts,
 * driven by playwright-core), as its users walk it:
 *   - an admin signs in, creates an API token, copies its secret, finds it
 *     by search, opens it, revokes it with a reason and finds the revocation
 *     in the audit log, then visits every other page;
 *   - a plain user signs in, creates and revokes a token of their own, and
 *     is refused the admin pages.
 * Every page is screenshot in light and dark, at desktop and phone width
 * (test-results/console/*.png), and checked by axe-core (no serious or
 * critical violation): test/support/console-browser.ts. Every /console answer the browser gets carries the
 * console's CSP; no CSP violation is reported; names made of HTML show as
 * text and run nothing.
 */
import type { Browser, Page } from 'playwright-core';
import { startListeningHarness, type Harness } from '../support/harness.js';
import { expectClean, go, heading, onlyRows, openConsole, shoot, signIn as signInAt, startConsoleBrowser, type SIZES } from '../support/console-browser.js';

// The page's globals, for the functions evaluated in it (tests compile without the DOM library).
declare const location: { hash: string };
declare const document: { querySelectorAll(s: string): { length: number }; documentElement: { dataset: Record<string, string | undefined> }; cookie: string };
declare const navigator: { clipboard: { readText(): Promise<string> } };
declare const localStorage: Record<string, string>;
declare const sessionStorage: Record<string, string>;

const XSS_CLIENT = '<script>alert(1)</script>';
const XSS_TOKEN = '<img src=x onerror=alert(2)>';

let h: Harness & { url: string };
let browser: Browser;
let bobId: string;

beforeAll(async () => {
  browser = await startConsoleBrowser();
  h = await startListeningHarness();
  await h.ctx.users.putRole('admin', ['tessera:admin', 'tessera:tokens']);
  await h.ctx.users.putRole('member', ['tessera:tokens', 'orders:read']);
  await h.ctx.users.create({ username: 'ada', password: 'ada-password-1', roles: ['admin'] });
  bobId = (await h.ctx.users.create({ username: 'bob', password: 'bob-password-1', roles: ['member'] })).id;
  // Names made of HTML, through the admin API as anyone could.
  const admin = await h.adminToken();
  const post = (path: string, body: unknown) => fetch(`${h.url}${path}`, {
    method: 'POST', headers: { Authorization: `Bearer ${admin}`, 'Content-Type': 'application/json' }, body: JSON.stringify(body),
  });
  expect((await post('/admin/v1/clients', { client_id: 'html-named', name: XSS_CLIENT, scopes: ['orders:read'] })).status).toBe(201);
  expect((await post('/admin/v1/api-tokens', { user: 'bob', name: XSS_TOKEN, scopes: ['orders:read'] })).status).toBe(201);
}, 300_000);

afterAll(async () => {
  await browser?.close();
  await h?.stop();
});

const open = (size: keyof typeof SIZES = 'desktop') => openConsole(browser, h.url, size);
const signIn = (page: Page, username: string, password: string, landing: string) => signInAt(page, h.url, username, password, landing);

test('an admin creates an API token, copies its secret, finds it, revokes it with a reason, finds the revocation in the audit log, and visits every page', async () => {
  const { context, page, watch } = await open();
  try {
    await signIn(page, 'ada', 'ada-password-1', 'Overview');
    await page.locator('.stats').waitFor();
    await page.locator('svg.chart').waitFor();
    await shoot(page, 'overview');

    // Create, with the secret shown once and copied by its button.
    const name = `ci-deploy-${Date.now().toString(36)}`;
    await go(page, '/tokens', 'API tokens');
    await page.locator('details.create summary').click();
    await page.getByLabel('Owner', { exact: true }).first().fill('ada');
    await page.getByLabel('Name', { exact: true }).fill(name);
    await page.getByLabel('Scopes', { exact: true }).fill('tessera:tokens');
    await page.getByLabel('IP allowlist').fill('127.0.0.0/8');
    await page.getByRole('button', { name: 'Create token' }).click();
    const secret = (await page.locator('[data-secret]').textContent({ timeout: 15_000 }))!;
    expect(secret.length).toBeGreaterThan(30);
    await page.locator('.secret-box', { hasText: 'shown only once' }).waitFor();
    await page.getByRole('button', { name: 'Copy' }).click();
    await page.locator('.copy-status', { hasText: 'Copied' }).waitFor();
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(secret);
    await shoot(page, 'token-created');
    // The table shows the new token at once: no reload, no filter.
    await page.locator('main table tbody tr', { hasText: name }).waitFor({ timeout: 10_000 });

    // The secret works: a resource server introspects it on two routes (its usage per route).
    const rs = await h.createClient({ client_id: 'orders-api', name: 'Orders API' });
    for (const route of ['GET /orders', 'GET /orders', 'POST /orders']) {
      const res = await fetch(`${h.url}/oauth/introspect`, {
        method: 'POST',
        headers: { Authorization: `Basic ${Buffer.from(`${rs.client_id}:${rs.client_secret}`).toString('base64')}`, 'Content-Type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ token: secret, route }),
      });
      expect(((await res.json()) as { active: boolean }).active).toBe(true);
    }

    // Found by search: one row, with its owner, scopes, allowlist and status.
    await page.getByLabel('Search').fill(name);
    await page.getByRole('button', { name: 'Apply' }).click();
    await page.waitForURL(new RegExp(`q=${name}`));
    // Once the filtered list is shown: one row, this token's.
    await onlyRows(page, name, 1);
    const row = await page.locator('main table tbody tr').innerText();
    for (const text of [name, 'ada', 'tessera:tokens', 'user usr_', '127.0.0.0/8', 'active', '127.0.0.1']) expect(row).toContain(text);
    await shoot(page, 'tokens');

    // Its page, then revoked with a reason.
    await page.getByRole('link', { name }).click();
    await heading(page, name);
    await page.getByRole('heading', { name: 'Usage per route' }).waitFor();
    await page.getByRole('heading', { name: 'Audit trail' }).waitFor();
    // Its usage per route: a chart, and the same numbers as a table.
    await page.locator('svg.chart-rank').waitFor();
    expect(await page.locator('figure table tbody').innerText()).toMatch(/GET \/orders\s+2\s+POST \/orders\s+1/);
    const id = (await page.locator('.props dd code').first().textContent())!;
    expect(id).toMatch(/^tok_/);
    await shoot(page, 'token-detail');
    await page.getByLabel('Reason').fill('leaked in a CI log');
    await page.getByRole('button', { name: 'Revoke token' }).click();
    await page.locator('.props .badge', { hasText: 'revoked' }).waitFor();
    expect(await page.locator('.props').innerText()).toContain('leaked in a CI log');

    // The revocation in the audit log, filtered by type.
    await go(page, '/audit', 'Audit log');
    await page.getByLabel('Type').fill('api_token.revoked');
    await page.getByRole('button', { name: 'Apply' }).click();
    await page.waitForURL(/type=api_token\.revoked/);
    // Once the filtered list is shown: every row of that type.
    await onlyRows(page, 'api_token.revoked');
    const event = page.locator('main table tbody tr', { hasText: id });
    const text = await event.innerText();
    // Who did it: the admin herself, not the console's client.
    expect(text).toContain('leaked in a CI log');
    expect(text).toMatch(/user usr_/);
    await shoot(page, 'audit');

    // A client named with HTML is text, and runs nothing.
    await go(page, '/clients', 'Clients');
    await page.locator('main td', { hasText: XSS_CLIENT }).waitFor();
    expect(await page.locator('main script, main img').count()).toBe(0);
    await shoot(page, 'clients');
    await go(page, '/clients/html-named', XSS_CLIENT);
    await shoot(page, 'client-detail');
    // Its secret rotated: the new one shown once.
    await page.getByRole('button', { name: 'Rotate secret' }).click();
    await page.locator('.secret-box [data-secret]').waitFor();

    // And the token named with HTML, in the admin's table.
    await go(page, '/tokens?owner=bob', 'API tokens');
    await page.locator('main td a', { hasText: XSS_TOKEN }).waitFor();

    await go(page, '/users', 'Users and roles');
    await shoot(page, 'users');
    await go(page, `/users/${bobId}`, 'bob');
    await shoot(page, 'user-detail');
    await go(page, '/keys', 'Signing keys');
    await page.locator('main .badge', { hasText: 'active' }).waitFor();
    await shoot(page, 'keys');
    const activeBefore = await page.locator('main tr', { hasText: 'active' }).locator('code').innerText();
    await page.getByRole('button', { name: 'Rotate keys' }).click();
    await page.locator('.notice-ok', { hasText: 'Rotated' }).waitFor();
    await page.waitForFunction((before) => {
      const rows = [...(document.querySelectorAll('main tbody tr') as unknown as Array<{ textContent: string }>)];
      return rows.some((r) => r.textContent.includes(before) && r.textContent.includes('retired'));
    }, activeBefore);

    // The theme switch overrides the system's preference.
    await page.getByLabel('Theme').selectOption('dark');
    expect(await page.evaluate(() => document.documentElement.dataset.theme)).toBe('dark');
    await page.getByLabel('Theme').selectOption('system');

    // Sign-out revokes the session: a reload finds none.
    await page.getByRole('button', { name: 'Sign out' }).click();
    await heading(page, 'Sign in');
    await shoot(page, 'sign-in');
    await page.reload();
    await heading(page, 'Sign in');
    // Nothing of the session in the page's storage: only the display preference.
    expect(await page.evaluate(() => ({ local: { ...localStorage }, session: { ...sessionStorage } }))).toEqual({ local: { 'tessera-console-theme': 'system' }, session: {} });
    expect(await page.evaluate(() => document.cookie)).toBe('');
    expectClean(watch);
  } finally {
    await context.close();
  }
}, 300_000);

test('a plain user manages only their own tokens and is refused the admin pages', async () => {
  const { context, page, watch } = await open('phone');
  try {
    await signIn(page, 'bob', 'bob-password-1', 'Your API tokens');
    // No admin pages in the navigation.
    expect(await page.locator('nav a').allInnerTexts()).toEqual(['API tokens']);
    // Their own token named with HTML shows as text.
    await page.locator('main td a', { hasText: XSS_TOKEN }).waitFor();
    expect(await page.locator('main img').count()).toBe(0);
    await shoot(page, 'my-tokens');

    await page.locator('details.create summary').click();
    expect(await page.getByLabel('Owner', { exact: true }).count()).toBe(0);
    await page.getByLabel('Name', { exact: true }).fill('laptop');
    // Beyond what the user's roles give: refused, and said so.
    await page.getByLabel('Scopes', { exact: true }).fill('orders:write');
    await page.getByRole('button', { name: 'Create token' }).click();
    await page.locator('.form-out [role="alert"]', { hasText: 'orders:write' }).waitFor();
    // Within them (not only within the console token's own scopes): created, the secret shown once.
    await page.getByLabel('Scopes', { exact: true }).fill('orders:read');
    await page.getByRole('button', { name: 'Create token' }).click();
    await page.locator('[data-secret]').waitFor();
    await page.locator('main table tbody tr', { hasText: 'laptop' }).waitFor({ timeout: 10_000 });
    await page.getByRole('link', { name: 'Open its page' }).click();
    await heading(page, 'laptop');
    // No audit trail for a plain user: that is the admin API.
    expect(await page.getByRole('heading', { name: 'Audit trail' }).count()).toBe(0);
    await shoot(page, 'my-token-detail');
    // Rotated with an hour's grace: the new secret once, and until when the old one works.
    await page.getByLabel('Old secret keeps working for').selectOption('3600');
    await page.getByRole('button', { name: 'Rotate secret' }).click();
    await page.locator('.notice-ok', { hasText: 'The old secret works until' }).waitFor();
    await page.locator('[data-secret]').waitFor();
    await page.getByLabel('Reason').fill('lost the laptop');
    await page.getByRole('button', { name: 'Revoke token' }).click();
    await page.locator('.props .badge', { hasText: 'revoked' }).waitFor();
    const mine = await h.ctx.store.apiTokens.list({ userId: bobId }, { limit: 50 });
    expect(mine.items.find((t) => t.name === 'laptop')).toMatchObject({ revocation_reason: 'lost the laptop' });

    // The admin pages: not allowed, whether typed in or linked.
    for (const [hash, name] of [['/clients', 'not-allowed'], ['/audit', ''], ['/users', ''], ['/keys', '']] as const) {
      await go(page, hash, 'Not allowed');
      if (name) await shoot(page, name);
    }
    // The overview is an admin page: a plain user's home is their tokens.
    await page.evaluate(() => { location.hash = '/'; });
    await heading(page, 'Your API tokens');
    expectClean(watch);
  } finally {
    await context.close();
  }
}, 300_000);
