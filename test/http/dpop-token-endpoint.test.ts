/**
 * DPoP at the token endpoint (RFC 9449 §5, §8): proofs bind access tokens
 * (`cnf.jkt`) and public clients' refresh tokens to the client's key, every
 * check of §4.3 refuses with `invalid_dpop_proof`, nonces, clients that must
 * use DPoP, and introspection's `cnf`. On both stores (the replay cache).
 */
import request from 'supertest';
import { SignJWT, type JWK } from 'jose';
import { decodeJwt, ISSUER, startHarness, type Harness } from '../support/harness.js';
import { dpopKey, proof, type DpopKey } from '../support/dpop.js';
import { authorizeQuery, callback, openLogin, pkce, postLogin, REDIRECT } from '../authorize/flow.js';

const HTU = `${ISSUER}/oauth/token`;
const token = (h: Harness) => request(h.app).post('/oauth/token').type('form');

describe.each(['memory', 'redis'] as const)('DPoP at the token endpoint, on the %s store', (kind) => {
  let h: Harness;
  let svc: { client_id: string; client_secret: string };
  let key: DpopKey;
  beforeAll(async () => {
    h = await startHarness({ redis: kind === 'redis' });
    svc = await h.createClient({ client_id: 'svc', scopes: ['orders:read'] });
    key = await dpopKey();
  });
  afterAll(async () => { await h.stop(); });

  const cc = async (dpop?: string | string[]) => {
    const req = token(h).auth(svc.client_id, svc.client_secret);
    // An array goes out as one header line per value (Node's setHeader).
    if (dpop !== undefined) req.set('DPoP', dpop as string);
    return req.send({ grant_type: 'client_credentials' });
  };
  const introspect = (t: string) => request(h.app).post('/oauth/introspect').auth(svc.client_id, svc.client_secret).type('form').send({ token: t });

  test('a proof binds the access token to its key: token_type DPoP, cnf.jkt, a DPoP-Nonce, and introspection names the key', async () => {
    const res = await cc(await proof(key, { htm: 'POST', htu: HTU }));
    expect(res.status).toBe(200);
    expect(res.body.token_type).toBe('DPoP');
    expect(res.headers['dpop-nonce']).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(decodeJwt(res.body.access_token).payload.cnf).toEqual({ jkt: key.jkt });
    const seen = await introspect(res.body.access_token);
    expect(seen.status).toBe(200);
    expect(seen.body).toMatchObject({ active: true, token_type: 'DPoP', cnf: { jkt: key.jkt } });
    expect(h.audit.events.find((e) => e.type === 'token.issued' && e.token_id === decodeJwt(res.body.access_token).payload.jti)?.detail).toMatchObject({ dpop_jkt: key.jkt });
  });

  test('without a proof the token is a plain bearer token with no cnf', async () => {
    const res = await cc();
    expect(res.status).toBe(200);
    expect(res.body.token_type).toBe('Bearer');
    expect(res.headers['dpop-nonce']).toBeUndefined();
    expect(decodeJwt(res.body.access_token).payload.cnf).toBeUndefined();
    const seen = await introspect(res.body.access_token);
    expect(seen.body.token_type).toBe('Bearer');
    expect(seen.body.cnf).toBeUndefined();
  });

  test('every key type a client may use: EdDSA, ES384, RS256, PS256', async () => {
    for (const alg of ['EdDSA', 'ES384', 'RS256', 'PS256']) {
      const k = await dpopKey(alg);
      const res = await cc(await proof(k, { htm: 'POST', htu: HTU }));
      expect({ alg, status: res.status, jkt: decodeJwt(res.body.access_token ?? 'a.e30.c').payload.cnf }).toEqual({ alg, status: 200, jkt: { jkt: k.jkt } });
    }
  });

  test('the same proof twice: the second is refused as a replay', async () => {
    const p = await proof(key, { htm: 'POST', htu: HTU });
    expect((await cc(p)).status).toBe(200);
    const again = await cc(p);
    expect(again.status).toBe(400);
    expect(again.body).toEqual({ error: 'invalid_dpop_proof', error_description: 'this DPoP proof was used already; make a new one for each request' });
  });

  test.each([
    ['another method', { htm: 'GET', htu: HTU }, "the DPoP proof's htm is not this request's method"],
    ['another URL', { htm: 'POST', htu: `${ISSUER}/oauth/introspect` }, "the DPoP proof's htu is not this request's URL"],
    ['another host', { htm: 'POST', htu: 'https://evil.example/oauth/token' }, "the DPoP proof's htu is not this request's URL"],
    ['an old iat', { htm: 'POST', htu: HTU, iat: Math.floor(Date.now() / 1000) - 300 }, "the DPoP proof's iat is not recent"],
    ['an iat in the future', { htm: 'POST', htu: HTU, iat: Math.floor(Date.now() / 1000) + 300 }, "the DPoP proof's iat is not recent"],
    ['typ JWT', { htm: 'POST', htu: HTU, typ: 'JWT' }, "the DPoP proof's typ must be dpop+jwt"],
    ['no jti', { htm: 'POST', htu: HTU, extra: { jti: undefined } }, 'the DPoP proof needs a jti'],
  ])('a proof with %s is invalid_dpop_proof', async (_what, claims, description) => {
    const res = await cc(await proof(key, claims));
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ error: 'invalid_dpop_proof', error_description: description });
  });

  test('the htu may differ in the ways URLs are the same: a query, a fragment, the case of scheme and host', async () => {
    const res = await cc(await proof(key, { htm: 'POST', htu: `HTTP://TESSERA.TEST/oauth/token?x=1#f` }));
    expect(res.status).toBe(200);
  });

  test('a proof whose header jwk is a private key, or that is signed by another key, or with HS256, or not a JWT: refused', async () => {
    const other = await dpopKey();
    const { exportJWK } = await import('jose');
    const privateJwk = await exportJWK(key.privateKey);
    const cases = [
      await proof(key, { htm: 'POST', htu: HTU, header: { jwk: privateJwk } }),
      await proof(key, { htm: 'POST', htu: HTU, header: { jwk: other.jwk } }),
      await new SignJWT({ htm: 'POST', htu: HTU, iat: Math.floor(Date.now() / 1000), jti: 'x' })
        .setProtectedHeader({ alg: 'HS256', typ: 'dpop+jwt', jwk: { kty: 'oct', k: 'c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0' } as unknown as JWK })
        .sign(new TextEncoder().encode('secretsecretsecretsecretsecret12')),
      'not-a-jwt',
    ];
    for (const p of cases) {
      const res = await cc(p);
      expect(res.status).toBe(400);
      expect(res.body.error).toBe('invalid_dpop_proof');
    }
  });

  test('two DPoP headers are refused (RFC 9449 §4.3: exactly one)', async () => {
    const res = await cc([await proof(key, { htm: 'POST', htu: HTU }), await proof(key, { htm: 'POST', htu: HTU })]);
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ error: 'invalid_dpop_proof', error_description: 'send exactly one DPoP header holding one proof JWT' });
  });

  test('a nonce the server gave is accepted in the next proof; a made-up one is use_dpop_nonce with a fresh DPoP-Nonce', async () => {
    const first = await cc(await proof(key, { htm: 'POST', htu: HTU }));
    const nonce = first.headers['dpop-nonce'] as string;
    expect((await cc(await proof(key, { htm: 'POST', htu: HTU, nonce }))).status).toBe(200);
    const bad = await cc(await proof(key, { htm: 'POST', htu: HTU, nonce: 'made-up' }));
    expect(bad.status).toBe(400);
    expect(bad.body.error).toBe('use_dpop_nonce');
    expect(bad.headers['dpop-nonce']).toBe(nonce);
  });

  test('a client registered with dpop_bound_access_tokens must send a proof', async () => {
    const strict = await h.createClient({ client_id: 'strict', scopes: ['orders:read'], dpop_bound_access_tokens: true });
    const without = await token(h).auth(strict.client_id, strict.client_secret).send({ grant_type: 'client_credentials' });
    expect(without.status).toBe(400);
    expect(without.body).toEqual({ error: 'invalid_dpop_proof', error_description: 'this client must send a DPoP proof with every token request' });
    const withProof = await token(h).auth(strict.client_id, strict.client_secret).set('DPoP', await proof(key, { htm: 'POST', htu: HTU })).send({ grant_type: 'client_credentials' });
    expect(withProof.status).toBe(200);
    expect(withProof.body.token_type).toBe('DPoP');
  });

  test('an API-token exchange (RFC 8693) with a proof yields a DPoP-bound token', async () => {
    await h.ctx.users.putRole('ops', ['orders:read']);
    await h.ctx.users.create({ username: 'erin', password: 'erin-password', roles: ['ops'] });
    const exchanger = await h.createClient({ client_id: 'exchanger', grant_types: ['urn:ietf:params:oauth:grant-type:token-exchange'], scopes: ['orders:read'] });
    const { token: apiToken } = await h.ctx.apiTokens.create({ user: 'erin', name: 'ci', scopes: ['orders:read'] }, { actor: { type: 'client', id: 'test' } });
    const res = await token(h).auth(exchanger.client_id, exchanger.client_secret).set('DPoP', await proof(key, { htm: 'POST', htu: HTU }))
      .send({ grant_type: 'urn:ietf:params:oauth:grant-type:token-exchange', subject_token: apiToken, subject_token_type: 'urn:tessera:params:oauth:token-type:api_token' });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ token_type: 'DPoP', issued_token_type: 'urn:ietf:params:oauth:token-type:access_token', scope: 'orders:read' });
    expect(decodeJwt(res.body.access_token).payload).toMatchObject({ cnf: { jkt: key.jkt }, api_token_id: expect.stringMatching(/^tok_/) });
  });

  describe('refresh tokens', () => {
    beforeAll(async () => {
      await h.ctx.users.putRole('reader', ['orders:read']);
      await h.ctx.users.create({ username: 'dana', password: 'dana-password', roles: ['reader'] });
      await h.ctx.clients.create({ client_id: 'spa', public: true, redirect_uris: [REDIRECT], grant_types: ['authorization_code', 'refresh_token'], scopes: ['orders:read', 'offline_access'] });
      await h.ctx.clients.create({ client_id: 'web', client_secret: 'web-secret-0123456789', redirect_uris: [REDIRECT], grant_types: ['authorization_code', 'refresh_token'], scopes: ['orders:read', 'offline_access'] });
    });

    async function login(clientId: string, dpop: DpopKey | null, auth?: [string, string]) {
      const { verifier, challenge } = pkce();
      const page = await openLogin(h, authorizeQuery(clientId, challenge, { scope: 'orders:read offline_access' }));
      const code = callback((await postLogin(h, page, 'dana', 'dana-password')).headers.location!).get('code')!;
      const req = token(h);
      if (auth) req.auth(...auth);
      if (dpop) req.set('DPoP', await proof(dpop, { htm: 'POST', htu: HTU }));
      const res = await req.send({ grant_type: 'authorization_code', code, redirect_uri: REDIRECT, code_verifier: verifier, ...(auth ? {} : { client_id: clientId }) });
      expect(res.status).toBe(200);
      return res.body as { access_token: string; refresh_token: string; token_type: string };
    }
    const refresh = async (refreshToken: string, dpop: DpopKey | null, clientId = 'spa') => {
      const req = token(h);
      if (dpop) req.set('DPoP', await proof(dpop, { htm: 'POST', htu: HTU }));
      return req.send({ grant_type: 'refresh_token', refresh_token: refreshToken, client_id: clientId });
    };

    test("a public client's refresh token is bound to its key: refused without a proof or with another key, accepted with the key", async () => {
      const tokens = await login('spa', key);
      expect(tokens.token_type).toBe('DPoP');
      expect(decodeJwt(tokens.access_token).payload.cnf).toEqual({ jkt: key.jkt });
      const seen = await request(h.app).post('/oauth/introspect').auth(svc.client_id, svc.client_secret).type('form').send({ token: tokens.refresh_token });
      // Refresh tokens are described only to their own client; a public client cannot introspect, so look in the store.
      expect(seen.body).toEqual({ active: false });
      expect((await h.ctx.refresh.lookup(tokens.refresh_token))?.family.jkt).toBe(key.jkt);

      const bare = await refresh(tokens.refresh_token, null);
      expect(bare.status).toBe(400);
      expect(bare.body).toEqual({ error: 'invalid_grant', error_description: 'the refresh token is bound to a DPoP key; send a DPoP proof made with that key' });
      const thief = await refresh(tokens.refresh_token, await dpopKey());
      expect(thief.status).toBe(400);
      expect(thief.body.error).toBe('invalid_grant');

      const ok = await refresh(tokens.refresh_token, key);
      expect(ok.status).toBe(200);
      expect(ok.body.token_type).toBe('DPoP');
      expect(decodeJwt(ok.body.access_token).payload.cnf).toEqual({ jkt: key.jkt });
      // The successor is bound too, and a retry of the consumed token (grace) needs the key as well.
      expect((await refresh(ok.body.refresh_token, null)).status).toBe(400);
      expect((await refresh(tokens.refresh_token, null)).body.error).toBe('invalid_grant');
      const retry = await refresh(tokens.refresh_token, key);
      expect(retry.status).toBe(200);
      expect(retry.body.refresh_token).toBe(ok.body.refresh_token);
    });

    test("a public client's login without DPoP gives an unbound refresh token; a later proof binds only the access token", async () => {
      const tokens = await login('spa', null);
      expect(tokens.token_type).toBe('Bearer');
      const res = await refresh(tokens.refresh_token, key);
      expect(res.status).toBe(200);
      expect(res.body.token_type).toBe('DPoP');
      expect((await refresh(res.body.refresh_token, null)).status).toBe(200);
    });

    test("a confidential client's refresh token is not bound (RFC 9449 §5): its access token is bound to whichever key the refresh proves", async () => {
      const auth: [string, string] = ['web', 'web-secret-0123456789'];
      const tokens = await login('web', key, auth);
      expect(tokens.token_type).toBe('DPoP');
      expect((await h.ctx.refresh.lookup(tokens.refresh_token))?.family.jkt).toBeUndefined();
      const other = await dpopKey();
      const res = await token(h).auth(...auth).set('DPoP', await proof(other, { htm: 'POST', htu: HTU })).send({ grant_type: 'refresh_token', refresh_token: tokens.refresh_token });
      expect(res.status).toBe(200);
      expect(decodeJwt(res.body.access_token).payload.cnf).toEqual({ jkt: other.jkt });
      const seen = await request(h.app).post('/oauth/introspect').auth(...auth).type('form').send({ token: res.body.refresh_token });
      expect(seen.body.active).toBe(true);
      expect(seen.body.cnf).toBeUndefined();
    });
  });
});

describe('DPoP nonces required (TESSERA_DPOP_REQUIRE_NONCE=true)', () => {
  let h: Harness;
  let svc: { client_id: string; client_secret: string };
  beforeAll(async () => {
    h = await startHarness({ env: { TESSERA_DPOP_REQUIRE_NONCE: 'true' } });
    svc = await h.createClient({ client_id: 'svc', scopes: ['orders:read'] });
  });
  afterAll(async () => { await h.stop(); });

  test('a proof without a nonce is use_dpop_nonce with DPoP-Nonce; the retry with it gets a bound token', async () => {
    const key = await dpopKey();
    const first = await token(h).auth(svc.client_id, svc.client_secret).set('DPoP', await proof(key, { htm: 'POST', htu: HTU })).send({ grant_type: 'client_credentials' });
    expect(first.status).toBe(400);
    expect(first.body).toEqual({ error: 'use_dpop_nonce', error_description: "a DPoP proof here must carry the server's nonce (DPoP-Nonce)" });
    const nonce = first.headers['dpop-nonce'] as string;
    expect(nonce).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const second = await token(h).auth(svc.client_id, svc.client_secret).set('DPoP', await proof(key, { htm: 'POST', htu: HTU, nonce })).send({ grant_type: 'client_credentials' });
    expect(second.status).toBe(200);
    expect(second.body.token_type).toBe('DPoP');
    expect(second.headers['dpop-nonce']).toBe(nonce);
  });

  test('requests without DPoP are not affected', async () => {
    const res = await token(h).auth(svc.client_id, svc.client_secret).send({ grant_type: 'client_credentials' });
    expect(res.status).toBe(200);
  });
});
