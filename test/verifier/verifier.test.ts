/**
 * @tessera-auth/server/verifier in-process: a Tessera on Redis served over HTTP (its
 * issuer is its URL), and Express apps guarded by requireToken() served on
 * 127.0.0.1, called with fetch as any client would.
 */
import http from 'node:http';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { Redis } from 'ioredis';
import { SignJWT } from 'jose';
import request from 'supertest';
import { decodeJwt, startListeningHarness, type Harness } from '../support/harness.js';
import { testRedisUrl } from '../support/redis.js';
import { requireToken, tokenOf, type TokenMiddleware, type VerifierOptions } from '../../src/verifier/index.js';

const EXCHANGE = 'urn:ietf:params:oauth:grant-type:token-exchange';
const API_TOKEN_TYPE = 'urn:tessera:params:oauth:token-type:api_token';
const AUD = 'https://orders.test';
const ACTOR = { actor: { type: 'client' as const, id: 'verifier-test' } };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let h: Harness & { url: string };
let redis: Redis;
let svc: { client_id: string; client_secret: string };
let introspector: { client_id: string; client_secret: string };
const opened: Array<{ auth: TokenMiddleware; server: http.Server }> = [];

beforeAll(async () => {
  h = await startListeningHarness({ redis: true });
  redis = new Redis(testRedisUrl());
  svc = await h.createClient({ scopes: ['orders:read', 'orders:write'], audiences: [AUD], grant_types: ['client_credentials', EXCHANGE] });
  introspector = await h.createClient({ scopes: [] });
  await h.ctx.users.putRole('reader', ['orders:read']);
});

afterAll(async () => {
  for (const { auth, server } of opened) {
    await auth.close();
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  }
  redis.disconnect();
  await h.stop();
});

/** An app whose GET /orders is behind requireToken(options), on 127.0.0.1; answers req.auth. */
async function serve(options: Partial<VerifierOptions>, setup?: (app: express.Express) => void) {
  const auth = requireToken({ issuer: h.url, audience: AUD, realm: 'orders', ...options });
  const app = express();
  setup?.(app);
  app.get('/orders', auth, (req, res) => {
    expect(tokenOf(req)).toBe(req.auth);
    res.json({ ok: true, auth: req.auth });
  });
  const server = app.listen(0, '127.0.0.1');
  await once(server, 'listening');
  opened.push({ auth, server });
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/orders`;
  const get = async (token?: string, headers: Record<string, string> = {}) => {
    const res = await fetch(url, { headers: { ...(token === undefined ? {} : { Authorization: `Bearer ${token}` }), ...headers } });
    return { status: res.status, headers: res.headers, body: (await res.json()) as Record<string, any> };
  };
  return { auth, get };
}

const redisRevocations = () => ({ redis, prefix: h.config.redisPrefix });
const accessToken = (scope = 'orders:read') => h.clientToken(svc.client_id, svc.client_secret, { scope });
const revoke = (token: string) => request(h.app).post('/oauth/revoke').auth(svc.client_id, svc.client_secret).type('form').send({ token }).expect(200);

async function newUser(name: string) {
  return h.ctx.users.create({ username: `${name}-${Math.random().toString(36).slice(2, 8)}`, password: 'a long enough password', roles: ['reader'] });
}

async function exchange(apiToken: string): Promise<string> {
  const res = await request(h.app).post('/oauth/token').auth(svc.client_id, svc.client_secret).type('form')
    .send({ grant_type: EXCHANGE, subject_token: apiToken, subject_token_type: API_TOKEN_TYPE });
  expect(res.status).toBe(200);
  return res.body.access_token as string;
}

/** A token signed with Tessera's own key, for cases the server would never issue. */
async function forge(claims: Record<string, unknown>, header: Record<string, unknown> = {}) {
  const key = h.ctx.keys.signingKey();
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ sub: 'someone', client_id: svc.client_id, scope: 'orders:read', jti: `forged-${Math.random()}`, iss: h.url, aud: AUD, iat: now, exp: now + 300, ...claims })
    .setProtectedHeader({ alg: key.alg, kid: key.kid, typ: 'at+jwt', ...header })
    .sign(key.privateKey);
}

describe('bearer answers (RFC 6750)', () => {
  test('a valid token passes with req.auth', async () => {
    const { get } = await serve({ scopes: ['orders:read'], revocations: redisRevocations() });
    const token = await accessToken();
    const res = await get(token);
    expect(res.status).toBe(200);
    expect(res.body.auth).toEqual({
      token_type: 'jwt', sub: svc.client_id, client_id: svc.client_id, scope: 'orders:read',
      jti: decodeJwt(token).payload.jti, claims: decodeJwt(token).payload,
    });
    // No limit configured: no rate-limit headers.
    expect(res.headers.get('ratelimit-policy')).toBeNull();
  });

  test('no token: 401 with a bare challenge; another scheme counts as none; a malformed header is 400 invalid_request', async () => {
    const { get } = await serve({});
    const none = await get();
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toBe('Bearer realm="orders"');
    expect(none.headers.get('cache-control')).toBe('no-store');
    expect(none.body).toEqual({ error: 'invalid_token', error_description: 'a bearer token is required' });
    const basic = await get(undefined, { Authorization: 'Basic YTpi' });
    expect(basic.status).toBe(401);
    expect(basic.headers.get('www-authenticate')).toBe('Bearer realm="orders"');
    const malformed = await get('two words');
    expect(malformed.status).toBe(400);
    expect(malformed.headers.get('www-authenticate')).toBe('Bearer realm="orders", error="invalid_request", error_description="the Authorization header is not a Bearer or DPoP token"');
    expect(malformed.body).toEqual({ error: 'invalid_request', error_description: 'the Authorization header is not a Bearer or DPoP token' });
    expect(malformed.headers.get('cache-control')).toBe('no-store');
  });

  test('wrong audience, wrong typ (a feed page), expired, tampered, HMAC-signed and garbage tokens are 401 invalid_token', async () => {
    const { get } = await serve({ revocations: redisRevocations() });
    const other = await h.createClient({ scopes: ['orders:read'], audiences: ['https://elsewhere.test'] });
    const feedPage = await (await fetch(`${h.url}/oauth/revocations`)).text();
    const now = Math.floor(Date.now() / 1000);
    const good = await accessToken();
    const [head, , sig] = good.split('.');
    const tampered = `${head}.${Buffer.from(JSON.stringify({ ...decodeJwt(good).payload, scope: 'orders:read orders:write' })).toString('base64url')}.${sig}`;
    const hmac = await new SignJWT({ sub: 'x', client_id: 'x', jti: 'x', iss: h.url, aud: AUD, iat: now, exp: now + 60 })
      .setProtectedHeader({ alg: 'HS256', typ: 'at+jwt' }).sign(new TextEncoder().encode('a shared secret anyone could know'));
    const cases: Array<[string, string, string]> = [
      ['wrong audience', await h.clientToken(other.client_id, other.client_secret), 'the token\'s aud is not valid'],
      ['feed page', feedPage, 'the token\'s typ is not valid'],
      ['expired', await forge({ iat: now - 700, exp: now - 100 }), 'the token has expired'],
      ['tampered', tampered, 'the token is not valid'],
      ['HMAC', hmac, 'the token is not valid'],
      ['no client_id', await forge({ client_id: undefined }), 'the token\'s client_id is not valid'],
      ['garbage', 'not-a-token', 'the token is malformed'],
      ['bad API token checksum', `tsp_${'a'.repeat(38)}`, 'the token is malformed'],
    ];
    for (const [name, token, description] of cases) {
      const res = await get(token);
      expect({ name, status: res.status, body: res.body }).toEqual({ name, status: 401, body: { error: 'invalid_token', error_description: description } });
      expect(res.headers.get('www-authenticate')).toBe(`Bearer realm="orders", error="invalid_token", error_description="${description}"`);
    }
    // Within the clock tolerance (30 s by default) a just-expired token still passes.
    expect((await get(await forge({ iat: now - 600, exp: now - 10 }))).status).toBe(200);
  });

  test('a token without every needed scope is 403 insufficient_scope naming them', async () => {
    const { get } = await serve({ scopes: ['orders:read', 'orders:write'] });
    const res = await get(await accessToken('orders:read'));
    expect(res.status).toBe(403);
    expect(res.headers.get('www-authenticate')).toBe(
      'Bearer realm="orders", error="insufficient_scope", error_description="the token lacks a needed scope: orders:read orders:write", scope="orders:read orders:write"');
    expect(res.body).toEqual({ error: 'insufficient_scope', error_description: 'the token lacks a needed scope: orders:read orders:write' });
    expect((await get(await accessToken('orders:read orders:write'))).status).toBe(200);
  });
});

describe('revocations', () => {
  test('with Redis, a token revoked at /oauth/revoke is refused at once', async () => {
    const { get } = await serve({ revocations: redisRevocations() });
    const token = await accessToken();
    expect((await get(token)).status).toBe(200);
    await revoke(token);
    const res = await get(token);
    expect(res.status).toBe(401);
    expect(res.body.error_description).toBe('the token has been revoked');
  });

  test('with the feed, a revoked token is accepted before and refused after one poll', async () => {
    const { get, auth } = await serve({ revocations: { feed: true, pollIntervalMs: 200 } });
    await auth.ready();
    const token = await accessToken();
    expect((await get(token)).status).toBe(200);
    await revoke(token);
    // The guarantee is one poll interval (200 ms) plus a round trip; give it a generous margin.
    await sleep(600);
    const res = await get(token);
    expect(res.status).toBe(401);
    expect(res.body.error_description).toBe('the token has been revoked');
  });

  test('revoke-tokens on a user cuts off its JWTs, at once with Redis and after a poll with the feed', async () => {
    const viaRedis = await serve({ revocations: redisRevocations() });
    const viaFeed = await serve({ revocations: { feed: true, pollIntervalMs: 200 } });
    await viaFeed.auth.ready();
    const user = await newUser('cutoff');
    const api = await h.ctx.apiTokens.create({ user: user.id, name: 'ci', scopes: ['orders:read'] }, ACTOR);
    const jwt = await exchange(api.token);
    expect(decodeJwt(jwt).payload.sub).toBe(user.id);
    expect((await viaRedis.get(jwt)).status).toBe(200);
    expect((await viaFeed.get(jwt)).status).toBe(200);
    await request(h.app).post(`/admin/v1/users/${user.id}/revoke-tokens`).set('Authorization', `Bearer ${await h.adminToken()}`).expect(200);
    expect((await viaRedis.get(jwt)).status).toBe(401);
    await sleep(600);
    expect((await viaFeed.get(jwt)).status).toBe(401);
  });

  test('a JWT exchanged from an API token dies when the API token is revoked', async () => {
    const viaRedis = await serve({ revocations: redisRevocations() });
    const viaFeed = await serve({ revocations: { feed: true, pollIntervalMs: 200 } });
    await viaFeed.auth.ready();
    const api = await h.ctx.apiTokens.create({ user: (await newUser('exchanged')).id, name: 'ci', scopes: ['orders:read'] }, ACTOR);
    const jwt = await exchange(api.token);
    expect((await viaFeed.get(jwt)).status).toBe(200);
    await h.ctx.apiTokens.revoke(api.record.id, 'test', ACTOR);
    expect((await viaRedis.get(jwt)).status).toBe(401);
    await sleep(600);
    expect((await viaFeed.get(jwt)).status).toBe(401);
  });

  test('with the feed unreachable nothing is decided: 503 temporarily_unavailable', async () => {
    const { get, auth } = await serve({ revocations: { feed: true, pollIntervalMs: 200, feedUrl: 'http://127.0.0.1:1/oauth/revocations' } });
    await expect(auth.ready()).rejects.toThrow('the revocation feed has not been read yet');
    const res = await get(await accessToken());
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe('1');
    expect(res.body.error).toBe('temporarily_unavailable');
  });
});

describe('API tokens (RFC 7662 introspection)', () => {
  const introspection = (cacheMs: number) => ({ clientId: introspector.client_id, clientSecret: introspector.client_secret, cacheMs });

  test('an API token passes through introspection, and is refused after its revocation once the cached answer expires', async () => {
    const { get } = await serve({ scopes: ['orders:read'], introspection: introspection(1500) });
    const user = await newUser('api');
    const api = await h.ctx.apiTokens.create({ user: user.id, name: 'ci', scopes: ['orders:read'] }, ACTOR);
    const res = await get(api.token);
    expect(res.status).toBe(200);
    expect(res.body.auth).toMatchObject({ token_type: 'api_token', sub: user.id, scope: 'orders:read', jti: api.record.id });
    expect(res.body.auth.client_id).toBeUndefined();
    expect(res.body.auth.claims).toMatchObject({ active: true, token_type: 'api_token', jti: api.record.id });
    await h.ctx.apiTokens.revoke(api.record.id, 'test', ACTOR);
    // No revocation source here: the cached answer (1.5 s) still stands...
    expect((await get(api.token)).status).toBe(200);
    await sleep(1600);
    // ...and once it has expired, introspection says inactive.
    const after = await get(api.token);
    expect(after.status).toBe(401);
    expect(after.body).toEqual({ error: 'invalid_token', error_description: 'the token is not active' });
  });

  test('with Redis revocations, a revoked API token is refused at once despite the cache', async () => {
    const { get } = await serve({ introspection: introspection(60_000), revocations: redisRevocations() });
    const api = await h.ctx.apiTokens.create({ user: (await newUser('api-redis')).id, name: 'ci', scopes: ['orders:read'] }, ACTOR);
    expect((await get(api.token)).status).toBe(200);
    await h.ctx.apiTokens.revoke(api.record.id, 'test', ACTOR);
    expect((await get(api.token)).status).toBe(401);
  });

  test('scopes come from the introspection answer; the IP allowlist applies to the address the token came from', async () => {
    const { get } = await serve({ scopes: ['orders:write'], introspection: introspection(10_000) });
    const api = await h.ctx.apiTokens.create({ user: (await newUser('api-scope')).id, name: 'ci', scopes: ['orders:read'] }, ACTOR);
    expect((await get(api.token)).status).toBe(403);
    // Express trusts X-Forwarded-For here, so req.ip (sent as client_ip) is the forwarded address.
    const proxied = await serve({ introspection: introspection(10_000) }, (app) => app.set('trust proxy', 'loopback'));
    const fenced = await h.ctx.apiTokens.create({ user: (await newUser('api-ip')).id, name: 'ci', scopes: ['orders:read'], allowed_ips: ['203.0.113.0/24'] }, ACTOR);
    expect((await proxied.get(fenced.token, { 'X-Forwarded-For': '203.0.113.7' })).status).toBe(200);
    expect((await proxied.get(fenced.token, { 'X-Forwarded-For': '198.51.100.7' })).status).toBe(401);
    expect((await proxied.get(fenced.token)).status).toBe(401);
  });

  test('without introspection configured an API token is refused', async () => {
    const { get } = await serve({});
    const api = await h.ctx.apiTokens.create({ user: (await newUser('api-none')).id, name: 'ci', scopes: ['orders:read'] }, ACTOR);
    const res = await get(api.token);
    expect(res.status).toBe(401);
    expect(res.body.error_description).toBe('API tokens are not accepted here');
  });
});

describe('rate limits (the server\'s GCRA counters in Redis)', () => {
  test('an API token\'s own limit: RateLimit headers, then 429 with Retry-After; Tessera\'s exchange shares the counter', async () => {
    const { get } = await serve({
      introspection: { clientId: introspector.client_id, clientSecret: introspector.client_secret },
      rateLimit: { redis, prefix: h.config.redisPrefix },
    });
    const api = await h.ctx.apiTokens.create({ user: (await newUser('rl')).id, name: 'ci', scopes: ['orders:read'], rate_limit: { requests: 2, per_seconds: 60 } }, ACTOR);
    const first = await get(api.token);
    expect(first.status).toBe(200);
    expect(first.headers.get('ratelimit-policy')).toBe('"api_token";q=2;w=60');
    // t and Retry-After are whole seconds from the wall clock: a slow machine may be a second further on.
    expect(first.headers.get('ratelimit')).toMatch(/^"api_token";r=1;t=(29|30)$/);
    const second = await get(api.token);
    expect(second.headers.get('ratelimit')).toMatch(/^"api_token";r=0;t=(59|60)$/);
    const refused = await get(api.token);
    expect(refused.status).toBe(429);
    expect(refused.headers.get('retry-after')).toMatch(/^(29|30)$/);
    expect(refused.headers.get('ratelimit-policy')).toBe('"api_token";q=2;w=60');
    expect(refused.headers.get('ratelimit')).toMatch(/^"api_token";r=0;t=(59|60)$/);
    expect(refused.headers.get('cache-control')).toBe('no-store');
    expect(refused.headers.get('www-authenticate')).toBeNull();
    expect(refused.body).toEqual({ error: 'too_many_requests', error_description: `the api_token rate limit is reached; retry after ${refused.headers.get('retry-after')} s` });
    // The same counter as Tessera's own exchange limit.
    const swap = await request(h.app).post('/oauth/token').auth(svc.client_id, svc.client_secret).type('form')
      .send({ grant_type: EXCHANGE, subject_token: api.token, subject_token_type: API_TOKEN_TYPE });
    expect(swap.status).toBe(429);
  });

  test('an access token\'s limit comes from its client, else the default; none configured means no limit', async () => {
    const limited = await serve({ rateLimit: { redis, prefix: h.config.redisPrefix, perClient: { [svc.client_id]: { requests: 1, perSeconds: 10 } } } });
    const token = await accessToken();
    const ok = await limited.get(token);
    expect(ok.status).toBe(200);
    expect(ok.headers.get('ratelimit-policy')).toBe('"access_token";q=1;w=10');
    const refused = await limited.get(token);
    expect(refused.status).toBe(429);
    expect(refused.headers.get('retry-after')).toMatch(/^(9|10)$/);
    expect(await redis.exists(`${h.config.redisPrefix}rl:access_token:${decodeJwt(token).payload.jti}`)).toBe(1);

    const other = await h.createClient({ scopes: ['orders:read'], audiences: [AUD] });
    const byDefault = await serve({ rateLimit: { redis, prefix: h.config.redisPrefix, defaultRule: { requests: 5, perSeconds: 60 } } });
    expect((await byDefault.get(await h.clientToken(other.client_id, other.client_secret))).headers.get('ratelimit-policy')).toBe('"access_token";q=5;w=60');
    const unlimited = await serve({ rateLimit: { redis, prefix: h.config.redisPrefix } });
    const free = await unlimited.get(await h.clientToken(other.client_id, other.client_secret));
    expect(free.status).toBe(200);
    expect(free.headers.get('ratelimit-policy')).toBeNull();
  });
});

describe('usage (the server\'s per-route counts, in its Redis)', () => {
  test('each accepted access token is counted on its route; refused ones are not', async () => {
    const { auth, get } = await serve({ scopes: ['orders:read'], revocations: redisRevocations(), usage: { redis, prefix: h.config.redisPrefix } });
    const token = await accessToken();
    expect((await get(token)).status).toBe(200);
    expect((await get(token)).status).toBe(200);
    const jti = decodeJwt(token).payload.jti as string;
    // Counted in memory, written in batches: write what waits now.
    await auth.flush();
    let usage = null;
    for (let i = 0; i < 50 && (usage === null || usage.routes['GET /orders'] !== 2); i++) {
      usage = await h.ctx.store.usage.get(`access_token:${jti}`);
      await sleep(20);
    }
    expect(usage).toEqual({ last_used_at: expect.any(Number), last_used_ip: expect.stringMatching(/127\.0\.0\.1$/), routes: { 'GET /orders': 2 }, scopes: { 'orders:read': expect.any(Number) } });
    // The same uses count for the token's client, with the scope the route needed (the least-privilege report).
    expect((await h.ctx.store.usage.get(`client:${svc.client_id}`))?.scopes).toEqual({ 'orders:read': usage!.last_used_at });
    const narrow = await accessToken('orders:write');
    // An API token's exchanged JWT counts for the API token itself.
    const user = await newUser('usage');
    const api = await h.ctx.apiTokens.create({ name: 'usage', scopes: ['orders:read'], expires_in: 3600 }, { actor: { type: 'client', id: 'test' }, owner: user.id });
    expect((await get(await exchange(api.token))).status).toBe(200);
    await auth.flush();
    let apiUsage = null;
    for (let i = 0; i < 50 && !apiUsage?.routes['GET /orders']; i++) {
      apiUsage = await h.ctx.store.usage.get(`api_token:${api.record.id}`);
      await sleep(20);
    }
    expect(apiUsage).toMatchObject({ routes: { 'POST /oauth/token': 1, 'GET /orders': 1 }, scopes: { 'orders:read': expect.any(Number) } });
    expect((await get(narrow)).status).toBe(403);
    await sleep(100);
    expect(await h.ctx.store.usage.get(`access_token:${decodeJwt(narrow).payload.jti as string}`)).toBeNull();
  });

  test('uses are merged and written in batches: none before a flush, all of them at it, and close() writes what waits', async () => {
    const { auth, get } = await serve({ scopes: ['orders:read'], usage: { redis, prefix: h.config.redisPrefix, flushIntervalMs: 60_000 } });
    const token = await accessToken();
    const jti = decodeJwt(token).payload.jti as string;
    const key = `${h.config.redisPrefix}usage:access_token:${jti}`;
    for (let i = 0; i < 10; i++) expect((await get(token)).status).toBe(200);
    expect(await redis.exists(key)).toBe(0);
    await auth.flush();
    expect(await redis.hget(key, 'r:GET /orders')).toBe('10');
    for (let i = 0; i < 5; i++) expect((await get(token)).status).toBe(200);
    await auth.close();
    expect(await redis.hget(key, 'r:GET /orders')).toBe('15');
    expect((await h.ctx.store.usage.get(`client:${svc.client_id}`))?.routes['GET /orders']).toBeGreaterThanOrEqual(15);
  });

  test('a Redis that fails the write fails no request: the failure goes to onError', async () => {
    const errors: unknown[] = [];
    const broken = new Redis({ port: 1, lazyConnect: true, maxRetriesPerRequest: 0, enableOfflineQueue: false, retryStrategy: () => null });
    try {
      const { auth, get } = await serve({ scopes: ['orders:read'], usage: { redis: broken, flushIntervalMs: 60_000 }, onError: (err) => errors.push(err) });
      const token = await accessToken();
      expect((await get(token)).status).toBe(200);
      expect((await get(token)).status).toBe(200);
      await auth.flush();
      // The token's tally and its client's.
      expect(errors).toHaveLength(2);
      expect(errors.every((e) => e instanceof Error)).toBe(true);
    } finally {
      broken.disconnect();
    }
  });

  test('flushIntervalMs is a whole number of milliseconds from 10 to 60000', () => {
    for (const flushIntervalMs of [0, 9, 60_001, 1.5]) {
      expect(() => requireToken({ issuer: h.url, audience: AUD, usage: { redis, flushIntervalMs } }))
        .toThrow('requireToken: usage.flushIntervalMs must be a whole number of milliseconds from 10 to 60000');
    }
  });
});
