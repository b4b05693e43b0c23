/** The authorization_code grant at /oauth/token: PKCE, single use, replay revocation, every refusal; on both stores. */
import request from 'supertest';
import { decodeJwt, startHarness, type Harness } from '../support/harness.js';
import { sha256Hex } from '../../src/core/crypto/secret-hash.js';
import { authorizeQuery, callback, openLogin, pkce, postLogin, REDIRECT } from './flow.js';

describe.each(['memory', 'redis'] as const)('on the %s store', (kind) => {
  let h: Harness;
  let web: { client_id: string; client_secret: string };
  beforeAll(async () => {
    h = await startHarness({ redis: kind === 'redis' });
    await h.ctx.users.putRole('reader', ['orders:read']);
    await h.ctx.users.create({ username: 'carol', password: 'carol-password', roles: ['reader'] });
    await h.ctx.clients.create({ client_id: 'pub', public: true, redirect_uris: [REDIRECT], grant_types: ['authorization_code', 'refresh_token'], scopes: ['orders:read', 'offline_access'] });
    web = await h.createClient({ client_id: 'web', redirect_uris: [REDIRECT], grant_types: ['authorization_code', 'refresh_token'], scopes: ['orders:read'], always_issue_refresh_token: true });
  });
  afterAll(async () => { await h.stop(); });

  test('runs on the intended store', () => {
    expect(h.ctx.store.kind).toBe(kind);
  });

  async function codeFor(clientId: string, scope = 'orders:read offline_access', username = 'carol') {
    const { verifier, challenge } = pkce();
    const page = await openLogin(h, authorizeQuery(clientId, challenge, { scope }));
    const res = await postLogin(h, page, username, `${username}-password`);
    return { code: callback(res.headers.location!).get('code')!, verifier };
  }

  const exchange = (fields: Record<string, string>, auth?: [string, string]) => {
    const req = request(h.app).post('/oauth/token').type('form').send({ grant_type: 'authorization_code', ...fields });
    return auth ? req.auth(auth[0], auth[1]) : req;
  };
  const introspect = (token: string) => request(h.app).post('/oauth/introspect').auth(web.client_id, web.client_secret).type('form').send({ token });

  test('a confidential client with always_issue_refresh_token gets a refresh token without offline_access', async () => {
    const { code, verifier } = await codeFor('web', 'orders:read');
    const res = await exchange({ code, redirect_uri: REDIRECT, code_verifier: verifier }, [web.client_id, web.client_secret]);
    expect(res.status).toBe(200);
    expect(res.body.refresh_token).toMatch(/^tsr_/);
  });

  test('a confidential client gets an RFC 9068 token for the user, and must authenticate to redeem the code', async () => {
    const { code, verifier } = await codeFor('web', 'orders:read');
    const unauthenticated = await exchange({ code, redirect_uri: REDIRECT, code_verifier: verifier, client_id: 'web' });
    expect(unauthenticated.status).toBe(401);
    expect(unauthenticated.body.error).toBe('invalid_client');
    const again = await codeFor('web', 'orders:read');
    const res = await exchange({ code: again.code, redirect_uri: REDIRECT, code_verifier: again.verifier }, [web.client_id, web.client_secret]);
    expect(res.status).toBe(200);
    expect(res.headers['cache-control']).toBe('no-store');
    const carol = await h.ctx.store.users.getByUsername('carol');
    const jwt = decodeJwt(res.body.access_token);
    expect(jwt.header.typ).toBe('at+jwt');
    expect(jwt.payload).toMatchObject({ iss: h.ctx.issuer, sub: carol!.id, client_id: 'web', scope: 'orders:read' });
  });

  test('offline_access is not a refresh token for a client without the refresh_token grant', async () => {
    await h.ctx.clients.create({ client_id: 'no-refresh', public: true, redirect_uris: [REDIRECT], grant_types: ['authorization_code'], scopes: ['orders:read', 'offline_access'] });
    const { code, verifier } = await codeFor('no-refresh');
    const res = await exchange({ code, redirect_uri: REDIRECT, code_verifier: verifier, client_id: 'no-refresh' });
    expect(res.status).toBe(200);
    expect(res.body.refresh_token).toBeUndefined();
  });

  test('a code issued before the user\'s tokens were revoked, or before the user was disabled, is invalid_grant', async () => {
    const dave = await h.ctx.users.create({ username: 'dave', password: 'dave-password', roles: ['reader'] });
    const first = await codeFor('pub', 'orders:read', 'dave');
    await new Promise((r) => setTimeout(r, 1100)); // the cut-off is compared in whole seconds, like iat
    await h.ctx.users.revokeTokens(dave.id);
    const revoked = await exchange({ code: first.code, redirect_uri: REDIRECT, code_verifier: first.verifier, client_id: 'pub' });
    expect(revoked.body.error).toBe('invalid_grant');

    const erin = await h.ctx.users.create({ username: 'erin', password: 'erin-password', roles: ['reader'] });
    const second = await codeFor('pub', 'orders:read', 'erin');
    await h.ctx.users.update(erin.id, { disabled: true });
    const disabled = await exchange({ code: second.code, redirect_uri: REDIRECT, code_verifier: second.verifier, client_id: 'pub' });
    expect(disabled.body.error).toBe('invalid_grant');
  });

  test('a second use of a code is invalid_grant and revokes the tokens the first use issued', async () => {
    const { code, verifier } = await codeFor('pub');
    const first = await exchange({ code, redirect_uri: REDIRECT, code_verifier: verifier, client_id: 'pub' });
    expect(first.status).toBe(200);
    expect((await introspect(first.body.access_token)).body.active).toBe(true);
    const second = await exchange({ code, redirect_uri: REDIRECT, code_verifier: verifier, client_id: 'pub' });
    expect(second.status).toBe(400);
    expect(second.body.error).toBe('invalid_grant');
    expect((await introspect(first.body.access_token)).body).toEqual({ active: false });
    const refreshed = await request(h.app).post('/oauth/token').type('form').send({ grant_type: 'refresh_token', refresh_token: first.body.refresh_token, client_id: 'pub' });
    expect(refreshed.body.error).toBe('invalid_grant');
    expect(h.audit.events.map((e) => e.type)).toContain('authorization_code.reuse_detected');
  });

  test('two concurrent redemptions of one code: one answer has tokens, the other is invalid_grant, and the tokens end revoked', async () => {
    const { code, verifier } = await codeFor('pub');
    const fields = { code, redirect_uri: REDIRECT, code_verifier: verifier, client_id: 'pub' };
    const answers = await Promise.all([exchange(fields), exchange(fields)]);
    const ok = answers.filter((r) => r.status === 200);
    expect(ok).toHaveLength(1);
    expect(answers.filter((r) => r.status === 400).map((r) => r.body.error)).toEqual(['invalid_grant']);
    expect((await introspect(ok[0]!.body.access_token)).body).toEqual({ active: false });
    const refreshed = await request(h.app).post('/oauth/token').type('form').send({ grant_type: 'refresh_token', refresh_token: ok[0]!.body.refresh_token, client_id: 'pub' });
    expect(refreshed.body.error).toBe('invalid_grant');
  });

  test('an expired code is invalid_grant', async () => {
    const user = await h.ctx.store.users.getByUsername('carol');
    const { verifier, challenge } = pkce();
    await h.ctx.store.authorizationCodes.save({ code_hash: sha256Hex('short-lived'), client_id: 'pub', redirect_uri: REDIRECT, user_id: user!.id, scopes: ['orders:read'], code_challenge: challenge, auth_time: 1, expires_at: Date.now() + 200 });
    await new Promise((r) => setTimeout(r, 300));
    const res = await exchange({ code: 'short-lived', redirect_uri: REDIRECT, code_verifier: verifier, client_id: 'pub' });
    expect(res.body.error).toBe('invalid_grant');
  });

  test.each([
    ['a wrong code_verifier', (v: string) => ({ code_verifier: v.slice(0, -1) + (v.endsWith('A') ? 'B' : 'A') })],
    ['a code_verifier that is too short', () => ({ code_verifier: 'short' })],
    ['another redirect_uri', () => ({ redirect_uri: 'https://app.example.com/other' })],
    ['another client', () => ({ client_id: 'xx-other' })],
  ])('%s is invalid_grant', async (_name, change) => {
    await h.ctx.clients.create({ client_id: 'xx-other', public: true, redirect_uris: [REDIRECT], grant_types: ['authorization_code'] }).catch(() => undefined);
    const { code, verifier } = await codeFor('pub');
    const res = await exchange({ code, redirect_uri: REDIRECT, code_verifier: verifier, client_id: 'pub', ...change(verifier) });
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ error: 'invalid_grant', error_description: expect.any(String) });
  });

  test.each(['code', 'redirect_uri', 'code_verifier'])('a missing %s is invalid_request', async (missing) => {
    const fields: Record<string, string> = { code: 'c', redirect_uri: REDIRECT, code_verifier: 'v'.repeat(43), client_id: 'pub' };
    delete fields[missing];
    const res = await exchange(fields);
    expect(res.status).toBe(400);
    expect(res.body.error).toBe('invalid_request');
  });

  test('an unknown code is invalid_grant', async () => {
    expect((await exchange({ code: 'nope', redirect_uri: REDIRECT, code_verifier: 'v'.repeat(43), client_id: 'pub' })).body.error).toBe('invalid_grant');
  });
});
