/**
 * The console's admin operations in a real headless Chromium, each checked
 * on screen and then where it takes effect (the store, the token endpoint,
 * the admin API), so a button that does nothing fails the test:
 *   - clients: create (the secret shown once, and it works; the list shows
 *     the client at once), edit name and scopes, delete (refused until
 *     confirmed);
 *   - users: create (the password given works), change roles, disable;
 *   - sessions: a user's console session, listed on their page and revoked
 *     there; its refresh token is then refused at /oauth/token;
 *   - audit log: the live tail shows an event that happens after the page is
 *     opened; the export downloads the filtered events as NDJSON.
 * Pages not walked by console-browser.test.ts are screenshot and checked by
 * axe-core the same way (test/support/console-browser.ts).
 */
import { readFile } from 'node:fs/promises';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { startListeningHarness, type Harness } from '../support/harness.js';
import { expectClean, go, heading, onlyRows, openConsole, shoot, signIn, startConsoleBrowser, type Watch } from '../support/console-browser.js';
import { consoleCode } from '../support/console-sign-in.js';
import { postForm } from '../support/token-calls.js';

let h: Harness & { url: string };
let browser: Browser;
let adminId: string;
let carolId: string;

beforeAll(async () => {
  browser = await startConsoleBrowser();
  h = await startListeningHarness();
  await h.ctx.users.putRole('admin', ['tessera:admin', 'tessera:tokens']);
  await h.ctx.users.putRole('member', ['tessera:tokens', 'orders:read']);
  await h.ctx.users.putRole('reader', ['reports:read']);
  adminId = (await h.ctx.users.create({ username: 'grace', password: 'grace-password-1', roles: ['admin'] })).id;
  carolId = (await h.ctx.users.create({ username: 'carol', password: 'carol-password-1', roles: ['member'] })).id;
}, 300_000);

afterAll(async () => {
  await browser?.close();
  await h?.stop();
});

/** The admin API as a script would call it, with the bootstrap admin client's token. */
async function adminApi(path: string): Promise<Response> {
  return fetch(`${h.url}${path}`, { headers: { Authorization: `Bearer ${await h.adminToken()}` } });
}

/** A client's token request, with its secret in HTTP Basic. */
const clientToken = (id: string, secret: string, form: Record<string, string>) => postForm(`${h.url}/oauth/token`, { id, secret }, { grant_type: 'client_credentials', ...form });

/** Runs `walk` on a page signed in as the admin, then checks nothing went wrong in it. */
async function asAdmin(walk: (page: Page, watch: Watch) => Promise<void>): Promise<void> {
  const { context, page, watch } = await openConsole(browser, h.url);
  try {
    await signIn(page, h.url, 'grace', 'grace-password-1', 'Overview');
    await walk(page, watch);
    expectClean(watch);
  } finally {
    await context.close();
  }
}

test('an admin creates a client and sees its secret once, edits its name and scopes, and deletes it only once confirmed', async () => {
  await asAdmin(async (page) => {
    await go(page, '/clients', 'Clients');
    await page.locator('details.create summary').click();
    await page.getByLabel('Name', { exact: true }).fill('Billing worker');
    await page.getByLabel('Client id', { exact: true }).fill('billing-worker');
    await page.getByLabel('Scopes', { exact: true }).fill('orders:read');
    await page.getByRole('button', { name: 'Create client' }).click();
    await page.locator('.notice-ok', { hasText: 'Created Billing worker (billing-worker).' }).waitFor();
    await page.locator('.secret-box', { hasText: 'shown only once' }).waitFor();
    const secret = (await page.locator('.secret-box [data-secret]').textContent())!;
    await shoot(page, 'client-created');

    // Created as filled in, and the secret shown is the client's.
    expect(await h.ctx.store.clients.get('billing-worker')).toMatchObject({ name: 'Billing worker', scopes: ['orders:read'], grant_types: ['client_credentials'], public: false });
    expect((await clientToken('billing-worker', secret, { scope: 'orders:read' })).status).toBe(200);

    // The list shows it at once, the secret still on screen.
    await page.locator('main tbody tr', { hasText: 'billing-worker' }).filter({ hasText: 'Billing worker' }).waitFor();
    expect(await page.locator('.secret-box [data-secret]').textContent()).toBe(secret);

    // Its page: renamed and given another scope.
    await page.getByRole('link', { name: 'Open its page' }).click();
    await heading(page, 'Billing worker');
    await page.getByLabel('Name', { exact: true }).fill('Billing worker (EU)');
    await page.getByLabel('Scopes', { exact: true }).fill('orders:read orders:write');
    await page.getByRole('button', { name: 'Save changes' }).click();
    await page.locator('.notice-ok', { hasText: 'Saved.' }).waitFor();
    // Its heading names it as saved.
    await heading(page, 'Billing worker (EU)');
    expect(await h.ctx.store.clients.get('billing-worker')).toMatchObject({ name: 'Billing worker (EU)', scopes: ['orders:read', 'orders:write'] });
    expect(await clientToken('billing-worker', secret, { scope: 'orders:write' })).toMatchObject({ status: 200, body: { scope: 'orders:write' } });
    // The list shows the new name.
    await go(page, '/clients', 'Clients');
    await page.locator('main tbody tr', { hasText: 'billing-worker' }).filter({ hasText: 'Billing worker (EU)' }).waitFor();

    // Deleted: not without the confirmation box, then with it.
    await go(page, '/clients/billing-worker', 'Billing worker (EU)');
    await page.getByRole('button', { name: 'Delete client' }).click();
    await page.locator('.form-out [role="alert"]', { hasText: 'Tick the box to confirm.' }).waitFor();
    expect(await h.ctx.store.clients.get('billing-worker')).not.toBeNull();
    await page.getByLabel('Yes, delete billing-worker: its tokens stop working').check();
    await page.getByRole('button', { name: 'Delete client' }).click();
    // Back on the list, rendered with the heading: without it.
    await heading(page, 'Clients');
    expect(await page.locator('main tbody tr', { hasText: 'billing-worker' }).count()).toBe(0);
    expect(await h.ctx.store.clients.get('billing-worker')).toBeNull();
    expect(await clientToken('billing-worker', secret, {})).toMatchObject({ status: 401, body: { error: 'invalid_client' } });
    // Each change audited with the admin as actor.
    const types = h.audit.events.filter((e) => e.subject === 'billing-worker' && e.type.startsWith('client.')).map((e) => [e.type, e.actor]);
    expect(types).toEqual([
      ['client.created', { type: 'user', id: adminId }],
      ['client.updated', { type: 'user', id: adminId }],
      ['client.deleted', { type: 'user', id: adminId }],
    ]);
  });
}, 300_000);

test('an admin creates a user, changes their roles and disables them', async () => {
  await asAdmin(async (page) => {
    await go(page, '/users', 'Users and roles');
    await page.locator('details.create summary', { hasText: 'Create a user' }).click();
    await page.getByLabel('Username', { exact: true }).fill('dora');
    await page.getByLabel('Password', { exact: true }).fill('dora-password-1');
    await page.getByRole('textbox', { name: 'Roles', exact: true }).fill('member');
    await page.getByRole('button', { name: 'Create user' }).click();
    // The new user's page.
    await heading(page, 'dora');
    const dora = await h.ctx.users.resolve('dora');
    expect(dora).toMatchObject({ username: 'dora', roles: ['member'], disabled: false });
    expect(await page.locator('.props code').first().textContent()).toBe(dora.id);
    // With the password typed in the form: she can sign in.
    expect((await consoleCode(h.url, 'dora', 'dora-password-1', 'tessera:tokens')).code).not.toBe('');

    await page.getByRole('textbox', { name: 'Roles', exact: true }).fill('member reader');
    await page.getByRole('button', { name: 'Save roles' }).click();
    await page.locator('.props .tags li', { hasText: 'reader' }).waitFor();
    expect((await h.ctx.users.get(dora.id)).roles).toEqual(['member', 'reader']);

    await page.getByRole('button', { name: 'Disable user' }).click();
    await page.getByRole('button', { name: 'Enable user' }).waitFor();
    expect(await page.locator('.props .badge').innerText()).toBe('disabled');
    expect(await h.ctx.users.get(dora.id)).toMatchObject({ roles: ['member', 'reader'], disabled: true });
    // A disabled user is refused sign-in.
    await expect(h.ctx.login.authenticate('dora', 'dora-password-1', '127.0.0.1')).rejects.toThrow();
    await shoot(page, 'user-disabled');

    // The list says so too.
    await go(page, '/users', 'Users and roles');
    const row = await page.locator('main tbody tr', { hasText: 'dora' }).innerText();
    expect(row).toMatch(/member\s+reader/);
    expect(row).toContain('disabled');
    expect(h.audit.events.filter((e) => e.subject === dora.id && e.type.startsWith('user.')).map((e) => [e.type, e.actor])).toEqual([
      ['user.created', { type: 'user', id: adminId }],
      ['user.updated', { type: 'user', id: adminId }],
      ['user.updated', { type: 'user', id: adminId }],
    ]);
  });
}, 300_000);

test('an admin sees a user\'s console session on their page and revokes it: its refresh token is then refused', async () => {
  // Carol signs in to the console in a browser of her own: a session (a refresh family) of tessera-console.
  let carol: { context: BrowserContext; page: Page; watch: Watch } | undefined;
  try {
    carol = await openConsole(browser, h.url, 'phone');
    await signIn(carol.page, h.url, 'carol', 'carol-password-1', 'Your API tokens');
    const cookie = (await carol.context.cookies()).find((c) => c.name === 'tessera_console');
    expect(cookie?.httpOnly).toBe(true);
    const sessionsOfCarol = async () => ((await (await adminApi(`/admin/v1/users/${carolId}/sessions`)).json()) as { items: Array<{ id: string; client_id: string }> }).items;
    const [session] = await sessionsOfCarol();
    expect(session).toMatchObject({ client_id: 'tessera-console' });

    await asAdmin(async (page) => {
      await go(page, `/users/${carolId}`, 'carol');
      const row = page.locator('main tbody tr', { hasText: 'tessera-console' });
      expect(await row.count()).toBe(1);
      expect(await row.innerText()).toContain('tessera:tokens');
      await shoot(page, 'user-sessions');
      await row.getByRole('button', { name: 'Revoke' }).click();
      await page.locator('main .notice', { hasText: 'No live sessions.' }).waitFor();
    });

    expect(await sessionsOfCarol()).toEqual([]);
    // RFC 6749 §6 / RFC 7009 §2.1: the family is revoked, its refresh token is refused.
    const res = await fetch(`${h.url}/oauth/token`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'refresh_token', client_id: 'tessera-console', refresh_token: cookie!.value }),
    });
    expect({ status: res.status, error: ((await res.json()) as { error?: string }).error }).toEqual({ status: 400, error: 'invalid_grant' });
    expect(h.audit.events.filter((e) => e.type === 'session.revoked')).toEqual([
      { type: 'session.revoked', actor: { type: 'user', id: adminId }, subject: carolId, token_id: session!.id, client_id: 'tessera-console' },
    ]);
    // And her console finds itself signed out.
    await carol.page.reload();
    await heading(carol.page, 'Sign in');
    expectClean(carol.watch);
  } finally {
    await carol?.context.close();
  }
}, 300_000);

test('the audit log\'s live tail shows an event that happens after it is opened, and the export downloads the filtered events', async () => {
  await asAdmin(async (page) => {
    await go(page, '/audit', 'Audit log');
    await page.getByLabel('Live tail').check();
    await page.locator('.tail-status', { hasText: 'Live: on.' }).waitFor();
    expect(await page.locator('main tbody tr', { hasText: 'tail-probe' }).count()).toBe(0);
    // Happens now, elsewhere: a script creates a client.
    await h.createClient({ client_id: 'tail-probe', name: 'Tail probe' });
    // Within a poll or two, on top.
    await page.locator('main tbody tr').first().filter({ hasText: 'tail-probe' }).filter({ hasText: 'client.created' }).waitFor({ timeout: 15_000 });
    await page.locator('.tail-status', { hasText: /new/ }).waitFor();
    await shoot(page, 'audit-tail');
    await page.getByLabel('Live tail').uncheck();

    // The export of the filtered events: the same lines the API exports.
    await page.getByLabel('Type').fill('client.created');
    await page.getByRole('button', { name: 'Apply' }).click();
    await page.waitForURL(/type=client\.created/);
    await onlyRows(page, 'client.created');
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Export (NDJSON)' }).click()]);
    expect(download.suggestedFilename()).toBe('tessera-audit.jsonl');
    const text = await readFile((await download.path())!, 'utf8');
    const events = text.trim().split('\n').map((line) => JSON.parse(line) as { type: string; subject: string });
    expect(events.map((e) => e.type)).toEqual(events.map(() => 'client.created'));
    expect(events.map((e) => e.subject)).toContain('tail-probe');
    expect(text).toBe(await (await adminApi('/admin/v1/audit/export?type=client.created')).text());
    await page.locator('.tail-status', { hasText: 'Export downloaded.' }).waitFor();
  });
}, 300_000);
