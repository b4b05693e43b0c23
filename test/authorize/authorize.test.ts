/**
 * GET /oauth/authorize and the login and consent forms: every outcome,
 * every answer checked against openapi.yaml.
 */
import request from 'supertest';
import { startHarness, type Harness, ISSUER, decodeJwt } from '../support/harness.js';
import { expectDocumented as hit, unexercised } from '../support/openapi.js';
import { authorizeQuery, callback, openLogin, pkce, postConsent, postLogin, REDIRECT } from './flow.js';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
  await h.ctx.users.putRole('reader', ['orders:read']);
  await h.ctx.users.create({ username: 'alice', password: 'alice-password', roles: ['reader'] });
  await h.ctx.clients.create({ client_id: 'spa', public: true, redirect_uris: [REDIRECT, 'https://app.example.com/other'], grant_types: ['authorization_code', 'refresh_token'], scopes: ['orders:read', 'orders:write', 'offline_access'] });
  await h.ctx.clients.create({ client_id: 'partner', public: true, third_party: true, redirect_uris: [REDIRECT], grant_types: ['authorization_code'], scopes: ['orders:read', 'offline_access'] });
  await h.ctx.clients.create({ client_id: 'machine', client_secret: 'machine-secret-123456', grant_types: ['client_credentials'], redirect_uris: [REDIRECT] });
});
afterAll(async () => { await h.stop().catch(() => undefined); });

describe('the login page', () => {
  test('has username, password and CSRF inputs, no script, a strict CSP, and binds a cookie', async () => {
    const { challenge } = pkce();
    const res = await hit(request(h.app).get('/oauth/authorize').query(authorizeQuery('spa', challenge)), 200);
    expect(res.text).toMatch(/<input id="username" name="username"/);
    expect(res.text).toMatch(/<input id="password" name="password" type="password"/);
    expect(res.text).toMatch(/<input type="hidden" name="csrf" value="[A-Za-z0-9_-]{32}">/);
    expect(res.text).toContain('name="viewport"');
    expect(res.text).not.toMatch(/<script|\sstyle=|\son[a-z]+=/i);
    expect(res.headers['content-security-policy']).toBe("default-src 'none'; style-src 'self'; img-src 'self'; base-uri 'none'; frame-ancestors 'none'; form-action 'self' https://app.example.com");
    expect(res.headers['x-frame-options']).toBe('DENY');
    expect(res.headers['set-cookie']![0]).toMatch(/^tessera_authz=[A-Za-z0-9_-]+; Max-Age=600; Path=\/oauth; Expires=.*; HttpOnly; SameSite=Lax$/);
  });

  test('the stylesheet is served', async () => {
    const res = await hit(request(h.app).get('/oauth/assets/tessera.css'), 200);
    expect(res.headers['content-type']).toBe('text/css; charset=utf-8');
  });

  test('client names are escaped', async () => {
    await h.ctx.clients.create({ client_id: 'xss', name: '<script>alert(1)</script>', public: true, redirect_uris: [REDIRECT], grant_types: ['authorization_code'] });
    const res = await hit(request(h.app).get('/oauth/authorize').query(authorizeQuery('xss', pkce().challenge)), 200);
    expect(res.text).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(res.text).not.toContain('<script>');
  });
});

describe('requests that are shown an error page and never redirected', () => {
  test.each([
    ['an unknown client', { client_id: 'nobody' }],
    ['no client', { client_id: '' }],
    ['an unregistered redirect_uri', { redirect_uri: 'https://evil.example.com/cb' }],
    ['a redirect_uri that only starts like a registered one', { redirect_uri: `${REDIRECT}/../x` }],
  ])('%s', async (_name, extra) => {
    const res = await hit(request(h.app).get('/oauth/authorize').query(authorizeQuery('spa', pkce().challenge, extra)), 400);
    expect(res.headers.location).toBeUndefined();
    expect(res.text).toContain('Cannot continue');
  });

  test('no redirect_uri when the client registered two', async () => {
    const q = authorizeQuery('spa', pkce().challenge) as Record<string, string>;
    delete q.redirect_uri;
    expect((await hit(request(h.app).get('/oauth/authorize').query(q), 400)).headers.location).toBeUndefined();
  });

  test('a repeated client_id', async () => {
    await hit(request(h.app).get(`/oauth/authorize?client_id=spa&client_id=partner&redirect_uri=${encodeURIComponent(REDIRECT)}`), 400);
  });
});

describe('errors redirected to the client with state and iss (RFC 6749 §4.1.2.1, RFC 9207)', () => {
  test.each([
    ['unsupported_response_type', { response_type: 'token' }],
    ['invalid_request', { response_type: '' }],
    ['invalid_request', { code_challenge_method: 'plain' }],
    ['invalid_request', { code_challenge_method: '' }],
    ['invalid_request', { code_challenge: '' }],
    ['invalid_request', { code_challenge: 'short' }],
    ['invalid_scope', { scope: 'bad"scope' }],
    ['invalid_scope', { scope: 'admin:everything' }],
  ])('%s for %j', async (error, extra) => {
    const res = await hit(request(h.app).get('/oauth/authorize').query(authorizeQuery('spa', pkce().challenge, extra)), 303);
    const back = callback(res.headers.location!);
    expect(res.headers.location!.startsWith(`${REDIRECT}?`)).toBe(true);
    expect({ error: back.get('error'), state: back.get('state'), iss: back.get('iss') }).toEqual({ error, state: 'st-1', iss: ISSUER });
    expect(back.get('error_description')).toEqual(expect.any(String));
  });

  test('unauthorized_client for a client without the authorization_code grant', async () => {
    const res = await hit(request(h.app).get('/oauth/authorize').query(authorizeQuery('machine', pkce().challenge)), 303);
    expect(callback(res.headers.location!).get('error')).toBe('unauthorized_client');
  });

  test('a registered redirect_uri with a query keeps it byte for byte, the answer appended (RFC 6749 §3.1.2)', async () => {
    const withQuery = 'https://app.example.com/cb?tenant=a%20b&flag';
    await h.ctx.clients.create({ client_id: 'query-cb', public: true, redirect_uris: [withQuery], grant_types: ['authorization_code'] });
    const res = await hit(request(h.app).get('/oauth/authorize').query({ ...authorizeQuery('query-cb', pkce().challenge), redirect_uri: withQuery, code_challenge_method: 'plain' }), 303);
    expect(res.headers.location).toMatch(/^https:\/\/app\.example\.com\/cb\?tenant=a%20b&flag&error=invalid_request&error_description=[^&]+&state=st-1&iss=http%3A%2F%2Ftessera\.test$/);
  });

  test('a repeated parameter is invalid_request', async () => {
    const { challenge } = pkce();
    const q = new URLSearchParams(authorizeQuery('spa', challenge));
    q.append('scope', 'orders:read');
    q.append('scope', 'orders:write');
    const res = await hit(request(h.app).get(`/oauth/authorize?${q}`), 303);
    expect(callback(res.headers.location!).get('error')).toBe('invalid_request');
  });
});

describe('logging in', () => {
  test('a first-party client gets a code, the code gets tokens for the user', async () => {
    const { verifier, challenge } = pkce();
    const page = await openLogin(h, authorizeQuery('spa', challenge, { scope: 'orders:read orders:write offline_access' }));
    const res = await hit(postLogin(h, page, 'alice', 'alice-password'), 303);
    expect(res.headers['set-cookie']![0]).toMatch(/^tessera_authz=;/);
    const back = callback(res.headers.location!);
    expect({ state: back.get('state'), iss: back.get('iss') }).toEqual({ state: 'st-1', iss: ISSUER });
    const tok = await request(h.app).post('/oauth/token').type('form').send({ grant_type: 'authorization_code', code: back.get('code')!, redirect_uri: REDIRECT, code_verifier: verifier, client_id: 'spa' });
    expect(tok.status).toBe(200);
    // orders:write is the client's but not alice's: the intersection is granted.
    expect(tok.body.scope).toBe('orders:read offline_access');
    expect(tok.body.refresh_token).toMatch(/^tsr_/);
    const user = await h.ctx.store.users.getByUsername('alice');
    expect(decodeJwt(tok.body.access_token).payload).toMatchObject({ sub: user!.id, client_id: 'spa', scope: 'orders:read offline_access', auth_time: expect.any(Number) });
  });

  test('no offline_access, no refresh token', async () => {
    const { verifier, challenge } = pkce();
    const page = await openLogin(h, authorizeQuery('spa', challenge, { scope: 'orders:read' }));
    const code = callback((await postLogin(h, page, 'alice', 'alice-password')).headers.location!).get('code')!;
    const tok = await request(h.app).post('/oauth/token').type('form').send({ grant_type: 'authorization_code', code, redirect_uri: REDIRECT, code_verifier: verifier, client_id: 'spa' });
    expect(Object.keys(tok.body).sort()).toEqual(['access_token', 'expires_in', 'scope', 'token_type']);
  });

  test('a wrong password and an unknown user get the same page and message', async () => {
    const page = await openLogin(h, authorizeQuery('spa', pkce().challenge));
    const wrong = await hit(postLogin(h, page, 'alice', 'not-her-password'), 401);
    const unknown = await hit(postLogin(h, page, 'nobody-at-all', 'whatever-pass'), 401);
    const message = (t: string) => /<p class="error" role="alert">([^<]*)<\/p>/.exec(t)?.[1];
    expect(message(wrong.text)).toBeDefined();
    expect(message(wrong.text)).toBe(message(unknown.text));
  });

  test('past five failures the login pauses, with Retry-After, even with the right password', async () => {
    await h.ctx.users.create({ username: 'mallory-target', password: 'target-password' });
    const page = await openLogin(h, authorizeQuery('spa', pkce().challenge));
    for (let i = 0; i < 5; i++) await postLogin(h, page, 'mallory-target', `guess-${i}-xxxx`);
    const res = await hit(postLogin(h, page, 'mallory-target', 'target-password'), 401);
    expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
  });

  test('a disabled user cannot log in', async () => {
    const u = await h.ctx.users.create({ username: 'disabled-one', password: 'disabled-password', roles: ['reader'] });
    await h.ctx.users.update(u.id, { disabled: true });
    const page = await openLogin(h, authorizeQuery('spa', pkce().challenge));
    await hit(postLogin(h, page, 'disabled-one', 'disabled-password'), 401);
  });

  test('a wrong CSRF token or a missing cookie is 403; an unknown request is 400', async () => {
    const page = await openLogin(h, authorizeQuery('spa', pkce().challenge));
    await hit(postLogin(h, page, 'alice', 'alice-password', { csrf: 'forged' }), 403);
    await hit(postLogin(h, page, 'alice', 'alice-password', { cookie: 'tessera_authz=someone-else' }), 403);
    await hit(postLogin(h, page, 'alice', 'alice-password', { requestId: 'unknown' }), 400);
  });

  test('a user whose roles allow none of the asked scopes is sent back with invalid_scope', async () => {
    await h.ctx.users.create({ username: 'no-roles', password: 'no-roles-password' });
    const page = await openLogin(h, authorizeQuery('spa', pkce().challenge, { scope: 'orders:write' }));
    const res = await hit(postLogin(h, page, 'no-roles', 'no-roles-password'), 303);
    expect(callback(res.headers.location!).get('error')).toBe('invalid_scope');
  });
});

describe('consent for third-party clients', () => {
  test('lists the scopes in words; approve gives a code', async () => {
    const page = await openLogin(h, authorizeQuery('partner', pkce().challenge, { scope: 'orders:read offline_access' }));
    const consent = await hit(postLogin(h, page, 'alice', 'alice-password'), 200);
    expect(consent.text).toContain('Read your orders (orders:read)');
    expect(consent.text).toContain('Stay signed in');
    const res = await hit(postConsent(h, page, 'approve'), 303);
    expect(callback(res.headers.location!).get('code')).toEqual(expect.any(String));
  });

  test('deny sends access_denied', async () => {
    const page = await openLogin(h, authorizeQuery('partner', pkce().challenge));
    await hit(postLogin(h, page, 'alice', 'alice-password'), 200);
    const res = await hit(postConsent(h, page, 'deny'), 303);
    const back = callback(res.headers.location!);
    expect({ error: back.get('error'), state: back.get('state'), iss: back.get('iss'), code: back.get('code') }).toEqual({ error: 'access_denied', state: 'st-1', iss: ISSUER, code: null });
    // The request is gone: approving afterwards is refused.
    await hit(postConsent(h, page, 'approve'), 400);
  });

  test('consent before login, or with a forged CSRF token, is refused', async () => {
    const page = await openLogin(h, authorizeQuery('partner', pkce().challenge));
    await hit(postConsent(h, page, 'approve'), 400);
    await hit(request(h.app).post('/oauth/authorize/consent').set('Cookie', page.cookie).type('form').send({ request_id: page.requestId, csrf: 'x', decision: 'approve' }), 403);
  });
});

test('other methods are 405', async () => {
  await hit(request(h.app).post('/oauth/authorize'), 405);
  await hit(request(h.app).get('/oauth/authorize/login'), 405);
  await hit(request(h.app).get('/oauth/authorize/consent'), 405);
});

describe('with the store unreachable', () => {
  beforeAll(async () => { await h.ctx.store.close(); });
  test('every login page operation is 503', async () => {
    await hit(request(h.app).get('/oauth/authorize').query(authorizeQuery('spa', pkce().challenge)), 503);
    await hit(request(h.app).post('/oauth/authorize/login').type('form').send({ request_id: 'x' }), 503);
    await hit(request(h.app).post('/oauth/authorize/consent').type('form').send({ request_id: 'x' }), 503);
  });
});

test('every documented operation and status of the login pages was exercised', () => {
  const missing = unexercised((op) => op.path.startsWith('/oauth/authorize') || op.path.startsWith('/oauth/assets'));
  expect(missing.operations).toEqual([]);
  expect(missing.responses).toEqual([]);
});
