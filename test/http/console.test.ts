/**
 * The console's server side: its built-in client, its pages and assets with
 * the console's headers on every answer, and its session endpoints (code
 * exchange into an HttpOnly cookie, rotation, sign-out with revocation,
 * CSRF refusals). The pages themselves are driven in Chromium by
 * test/interop/console-browser.test.ts.
 */
import request from 'supertest';
import { startHarness, startListeningHarness, type Harness } from '../support/harness.js';
import { ensureBuilt } from '../support/build.js';
import { consoleCode } from '../support/console-sign-in.js';
import { CONSOLE_CSP } from '../../src/http/console/console-headers.js';

let h: Harness & { url: string };

beforeAll(async () => {
  await ensureBuilt('dist/console/index.html', 'dist/console/assets/console.js');
  h = await startListeningHarness();
  await h.ctx.users.putRole('admin', ['tessera:admin', 'tessera:tokens']);
  await h.ctx.users.putRole('member', ['tessera:tokens']);
  await h.ctx.users.create({ username: 'ada', password: 'ada-password-1', roles: ['admin'] });
  await h.ctx.users.create({ username: 'bob', password: 'bob-password-1', roles: ['member'] });
});
afterAll(async () => { await h?.stop(); });

function expectConsoleHeaders(res: request.Response): void {
  expect(res.headers['content-security-policy']).toBe(CONSOLE_CSP);
  expect(res.headers['x-content-type-options']).toBe('nosniff');
  expect(res.headers['referrer-policy']).toBe('no-referrer');
  expect(res.headers['x-frame-options']).toBe('DENY');
}

/** Signs in through the login form and redeems the code the way the console's script does. */
async function signIn(username: string, password: string): Promise<{ access: string; scope: string; cookie: string; setCookie: string }> {
  const res = await request(h.app).post('/console/session').set('X-Tessera-Console', '1').set('Origin', h.url)
    .send(await consoleCode(h.url, username, password));
  expect(res.status).toBe(200);
  expectConsoleHeaders(res);
  const setCookie = (res.headers['set-cookie'] as unknown as string[])[0]!;
  return { access: res.body.access_token, scope: res.body.scope, cookie: setCookie.split(';')[0]!, setCookie };
}

describe('the built-in client', () => {
  test('tessera-console is a public client whose only redirect URI is the console callback under the issuer', async () => {
    const client = await h.ctx.store.clients.get('tessera-console');
    expect(client).toMatchObject({
      public: true, token_endpoint_auth_method: 'none', grant_types: ['authorization_code', 'refresh_token'],
      scopes: ['tessera:admin', 'tessera:tokens', 'offline_access'], redirect_uris: [`${h.url}/console/callback`], third_party: false,
    });
  });

  test('the first admin client is still created: the console client does not count as a way in', async () => {
    expect(await h.ctx.store.clients.get('tessera-admin')).not.toBeNull();
  });

  test('TESSERA_CONSOLE=false: no client, and /console is a 404', async () => {
    const off = await startHarness({ env: { TESSERA_CONSOLE: 'false' } });
    try {
      expect(await off.ctx.store.clients.get('tessera-console')).toBeNull();
      const res = await request(off.app).get('/console');
      expect(res.status).toBe(404);
      expect(res.headers['content-security-policy']).not.toBe(CONSOLE_CSP);
    } finally {
      await off.stop();
    }
  });
});

describe('pages and assets', () => {
  test.each(['/console', '/console/callback'])('GET %s: the page, naming its own script and stylesheet, with the console headers', async (path) => {
    const res = await request(h.app).get(path);
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(res.headers['cache-control']).toBe('no-store');
    expectConsoleHeaders(res);
    expect(res.text).toContain('<script type="module" src="/console/assets/console.js"></script>');
    expect(res.text).toContain('<link rel="stylesheet" href="/console/assets/console.css">');
    // Nothing inline: no script body, no style element, no style attribute.
    expect(res.text).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>|<style|\sstyle=/i);
  });

  test('the assets, typed, with the console headers; an unknown one is a 404 with them too', async () => {
    const js = await request(h.app).get('/console/assets/console.js');
    expect(js.status).toBe(200);
    expect(js.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(js.headers['cache-control']).toBe('no-cache');
    expectConsoleHeaders(js);
    const css = await request(h.app).get('/console/assets/console.css');
    expect(css.status).toBe(200);
    expect(css.headers['content-type']).toBe('text/css; charset=utf-8');
    expectConsoleHeaders(css);
    const missing = await request(h.app).get('/console/assets/nope.js');
    expect(missing.status).toBe(404);
    expectConsoleHeaders(missing);
    const traversal = await request(h.app).get('/console/assets/..%2F..%2Fpackage.json');
    expect(traversal.status).toBe(404);
  });

  test('other methods are 405 with the console headers', async () => {
    const res = await request(h.app).post('/console');
    expect(res.status).toBe(405);
    expect(res.headers.allow).toBe('GET');
    expectConsoleHeaders(res);
  });
});

describe('the session endpoints', () => {
  test('an admin signs in: the access token in the answer, the refresh token only in an HttpOnly SameSite=Strict cookie', async () => {
    const s = await signIn('ada', 'ada-password-1');
    expect(s.scope).toBe('tessera:admin tessera:tokens offline_access');
    expect(s.setCookie).toMatch(/^tessera_console=[^;]+; Path=\/console\/session; HttpOnly; SameSite=Strict$/);
    const overview = await request(h.app).get('/admin/v1/overview').set('Authorization', `Bearer ${s.access}`);
    expect(overview.status).toBe(200);
  });

  test('a plain user gets no admin scope: /v1/me works, the admin API answers 403', async () => {
    const s = await signIn('bob', 'bob-password-1');
    expect(s.scope).toBe('tessera:tokens offline_access');
    const me = await request(h.app).get('/v1/me').set('Authorization', `Bearer ${s.access}`);
    expect(me.status).toBe(200);
    expect(me.body.username).toBe('bob');
    const admin = await request(h.app).get('/admin/v1/api-tokens').set('Authorization', `Bearer ${s.access}`);
    expect(admin.status).toBe(403);
  });

  test("through the console a user creates tokens within their roles, not only within the console token's scopes", async () => {
    await h.ctx.users.putRole('member', ['tessera:tokens', 'orders:read']);
    const s = await signIn('bob', 'bob-password-1');
    const create = (scopes: string[]) => request(h.app).post('/v1/me/api-tokens').set('Authorization', `Bearer ${s.access}`).send({ name: `t-${scopes.join('-')}`, scopes });
    const ok = await create(['orders:read']);
    expect(ok.status).toBe(201);
    expect(ok.body.scopes).toEqual(['orders:read']);
    const refused = await create(['orders:write']);
    expect(refused.status).toBe(400);
    expect(refused.body.error_description).toBe("the owner's roles do not allow: orders:write");
  });

  test('refresh rotates the cookie; a second tab replaying the old one within the grace window gets the same successor; a refused one clears the cookie', async () => {
    const s = await signIn('ada', 'ada-password-1');
    const r1 = await request(h.app).post('/console/session/refresh').set('X-Tessera-Console', '1').set('Cookie', s.cookie);
    expect(r1.status).toBe(200);
    expect(r1.body.access_token).toEqual(expect.any(String));
    const next = (r1.headers['set-cookie'] as unknown as string[])[0]!.split(';')[0]!;
    expect(next).not.toBe(s.cookie);
    const replay = await request(h.app).post('/console/session/refresh').set('X-Tessera-Console', '1').set('Cookie', s.cookie);
    expect(replay.status).toBe(200);
    expect((replay.headers['set-cookie'] as unknown as string[])[0]!.split(';')[0]).toBe(next);
    const bogus = await request(h.app).post('/console/session/refresh').set('X-Tessera-Console', '1').set('Cookie', 'tessera_console=tsr_not-a-token');
    expect(bogus.status).toBe(400);
    expect(bogus.body.error).toBe('invalid_grant');
    expect((bogus.headers['set-cookie'] as unknown as string[])[0]).toMatch(/^tessera_console=; Path=\/console\/session; Expires=Thu, 01 Jan 1970/);
  });

  test('sign-out revokes the refresh token and clears the cookie', async () => {
    const s = await signIn('ada', 'ada-password-1');
    const out = await request(h.app).delete('/console/session').set('X-Tessera-Console', '1').set('Cookie', s.cookie);
    expect(out.status).toBe(204);
    expectConsoleHeaders(out);
    expect((out.headers['set-cookie'] as unknown as string[])[0]).toMatch(/^tessera_console=; Path=\/console\/session;/);
    expect(h.audit.events.some((e) => e.type === 'token.revoked' && e.client_id === 'tessera-console' && (e.detail as { kind?: string }).kind === 'refresh_token')).toBe(true);
    const after = await request(h.app).post('/console/session/refresh').set('X-Tessera-Console', '1').set('Cookie', s.cookie);
    expect(after.status).toBe(400);
    expect(after.body.error).toBe('invalid_grant');
    // And again without any cookie: still a 204.
    expect((await request(h.app).delete('/console/session').set('X-Tessera-Console', '1')).status).toBe(204);
  });

  test('CSRF: without the header, or from another origin, nothing happens', async () => {
    const s = await signIn('ada', 'ada-password-1');
    const noHeader = await request(h.app).post('/console/session/refresh').set('Cookie', s.cookie);
    expect(noHeader.status).toBe(400);
    expect(noHeader.body).toEqual({ error: 'invalid_request', error_description: 'the header X-Tessera-Console: 1 is required' });
    expectConsoleHeaders(noHeader);
    const foreign = await request(h.app).delete('/console/session').set('X-Tessera-Console', '1').set('Origin', 'https://evil.example').set('Cookie', s.cookie);
    expect(foreign.status).toBe(400);
    expect(foreign.body.error_description).toBe('the request comes from another origin');
    // The session survived both.
    expect((await request(h.app).post('/console/session/refresh').set('X-Tessera-Console', '1').set('Cookie', s.cookie)).status).toBe(200);
  });

  test('a malformed body, a wrong verifier and no session are 400s', async () => {
    const bad = await request(h.app).post('/console/session').set('X-Tessera-Console', '1').send({ code: 'x' });
    expect(bad.status).toBe(400);
    expect(bad.body.error).toBe('invalid_request');
    const wrong = await request(h.app).post('/console/session').set('X-Tessera-Console', '1').send({ code: 'not-a-code', code_verifier: 'v'.repeat(43) });
    expect(wrong.status).toBe(400);
    expect(wrong.body.error).toBe('invalid_grant');
    const none = await request(h.app).post('/console/session/refresh').set('X-Tessera-Console', '1');
    expect(none.status).toBe(400);
    expect(none.body).toEqual({ error: 'invalid_grant', error_description: 'no console session' });
  });
});
