/**
 * The whole login flow in a real headless Chromium: authorize, log in,
 * consent, code, token, refresh. Chromium from test/support/browser.ts,
 * driven by playwright-core.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createHash, randomBytes } from 'node:crypto';
import type { Browser } from 'playwright-core';
import { launchBrowser } from '../support/browser.js';
import { startListeningHarness, type Harness } from '../support/harness.js';

let h: (Harness & { url: string }) | undefined;
let browser: Browser | undefined;
let app: http.Server | undefined;
let redirectUri: string;

beforeAll(async () => {
  // The browser first: when it cannot start, the suite fails now, with what to install.
  browser = await launchBrowser();
  const harness = (h = await startListeningHarness());
  // The client app's redirect target: a page that says the login came back.
  const back = (app = http.createServer((_req, res) => { res.writeHead(200, { 'Content-Type': 'text/html' }); res.end('<!doctype html><title>back</title><p>Signed in</p>'); }));
  await new Promise<void>((r) => back.listen(0, '127.0.0.1', r));
  redirectUri = `http://127.0.0.1:${(back.address() as AddressInfo).port}/callback`;
  await harness.ctx.users.putRole('reader', ['orders:read']);
  await harness.ctx.users.create({ username: 'bruno', password: 'bruno-password', roles: ['reader'] });
  await harness.ctx.clients.create({
    client_id: 'partner-app', public: true, third_party: true, redirect_uris: [redirectUri],
    grant_types: ['authorization_code', 'refresh_token'], scopes: ['orders:read', 'offline_access'],
  });
});

// Closes only what started, so a failed start ends the suite at once instead of hanging here.
afterAll(async () => {
  await browser?.close();
  const started = app;
  if (started?.listening) await new Promise((r) => started.close(r));
  await h?.stop();
});

test('a person logs in, consents, and the app gets tokens it can refresh', async () => {
  const verifier = randomBytes(32).toString('base64url');
  const challenge = createHash('sha256').update(verifier).digest('base64url');
  const state = randomBytes(8).toString('hex');
  const { url } = h!;
  const authorize = new URL(`${url}/oauth/authorize`);
  authorize.search = new URLSearchParams({
    response_type: 'code', client_id: 'partner-app', redirect_uri: redirectUri, scope: 'orders:read offline_access',
    state, code_challenge: challenge, code_challenge_method: 'S256',
  }).toString();

  const context = await browser!.newContext({ viewport: { width: 390, height: 844 } });
  const page = await context.newPage();
  const cspViolations: string[] = [];
  page.on('console', (m) => { if (/Content Security Policy/i.test(m.text())) cspViolations.push(m.text()); });

  await page.goto(authorize.href);
  await page.fill('input[name="username"]', 'bruno');
  await page.fill('input[name="password"]', 'bruno-password');
  await page.screenshot({ path: 'test-results/login-page.png', fullPage: true }).catch(() => undefined);
  await Promise.all([page.waitForLoadState('load'), page.locator('form button[type="submit"], form input[type="submit"]').first().click()]);

  // Third-party client: the consent page lists the scopes in words.
  const consentText = await page.locator('body').innerText();
  expect(consentText).toMatch(/partner-app/);
  expect(consentText).toMatch(/orders:read/);
  await page.screenshot({ path: 'test-results/consent-page.png', fullPage: true }).catch(() => undefined);
  await Promise.all([
    page.waitForURL((u) => u.href.startsWith(redirectUri)),
    page.locator('button[value="approve"], button[value="allow"], button[value="yes"]').first().click(),
  ]);

  const back = new URL(page.url());
  expect(back.searchParams.get('state')).toBe(state);
  expect(back.searchParams.get('iss')).toBe(url);
  const code = back.searchParams.get('code');
  expect(code).toBeTruthy();
  expect(cspViolations).toEqual([]);
  await context.close();

  const token = await fetch(`${url}/oauth/token`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'authorization_code', code: code!, redirect_uri: redirectUri, code_verifier: verifier, client_id: 'partner-app' }),
  });
  expect(token.status).toBe(200);
  const tokens = (await token.json()) as { access_token: string; refresh_token: string; scope: string };
  expect(tokens.scope).toBe('orders:read offline_access');

  const refreshed = await fetch(`${url}/oauth/token`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: tokens.refresh_token, client_id: 'partner-app' }),
  });
  expect(refreshed.status).toBe(200);
  expect(((await refreshed.json()) as { refresh_token: string }).refresh_token).not.toBe(tokens.refresh_token);
});
