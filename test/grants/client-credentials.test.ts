import { jest } from '@jest/globals';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import request from 'supertest';
import { startHarness, type Harness, decodeJwt } from '../support/harness.js';
import { RedisKeys, STREAM_SHARDS } from '../../src/store/redis/keys.js';
import { testRedisUrl } from '../support/redis.js';
import { commandsOf } from '../support/redis-commands.js';

describe('client_credentials grant in one store command (a single Redis, a client whose record the process holds)', () => {
  let h: Harness;
  const lines: Array<Record<string, unknown>> = [];
  // A clock that stands still, moved by hand: Retry-After and the windows' `t` are exact, and a window passes when a test says so.
  let clock = Date.now();
  beforeAll(async () => {
    const logger = pino({ level: 'debug' }, { write: (l: string) => { lines.push(JSON.parse(l) as Record<string, unknown>); } });
    h = await startHarness({
      redis: true, now: () => clock, logger,
      env: { TESSERA_TRUST_PROXY: 'loopback', TESSERA_RATE_LIMIT_CLIENT: '3/60', TESSERA_RATE_LIMIT_AUTH_FAILURES: '2/60' },
    });
  });
  afterAll(async () => { await h.stop(); });
  afterEach(() => { jest.restoreAllMocks(); });

  let addresses = 0;
  const issueFrom = (ip: string, client: { client_id: string; client_secret: string }, extra: Record<string, string> = {}) =>
    request(h.app).post('/oauth/token').auth(client.client_id, client.client_secret).set('X-Forwarded-For', ip).set('User-Agent', 'cc-test')
      .type('form').send({ grant_type: 'client_credentials', ...extra });

  /** A client whose record the process holds (read once), in a window of its own, and an address of the test's own. */
  async function cachedClient(opts: Record<string, unknown> = {}) {
    // The admin's allowance (3 a minute here) creates the clients of these tests.
    clock += 60_000;
    const client = await h.createClient({ scopes: ['orders:read', 'orders:write'], default_scopes: ['orders:read'], ...opts });
    await h.ctx.store.clients.get(client.client_id);
    expect(h.ctx.store.clients.cached?.(client.client_id)).toMatchObject({ client_id: client.client_id });
    return { client, ip: `203.0.113.${++addresses}` };
  }

  const keys = () => new RedisKeys(h.config.redisPrefix);
  const shardKeys = () => Array.from({ length: STREAM_SHARDS }, (_, i) => keys().auditShard(i));
  const stored = async (tokenId: string) =>
    (await h.ctx.store.audit.query({ filter: { token_id: tokenId }, order: 'asc', limit: 10, scanLimit: 100_000 })).items;
  /** The usual way's 429: its headers and body, word for word. */
  const expectRefused = (res: request.Response, policy: string, rule: string, remaining: string, retryAfter: number) => {
    expect(res.status).toBe(429);
    expect(res.headers['retry-after']).toBe(String(retryAfter));
    expect(res.headers['ratelimit-policy']).toBe(`"${policy}";${rule}`);
    expect(res.headers.ratelimit).toBe(`"${policy}";${remaining}`);
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.body).toEqual({ error: 'too_many_requests', error_description: `the ${policy} rate limit is reached; retry after ${retryAfter} s` });
  };
  const issuedIn = (tokenId: string) => h.audit.events.filter((e) => e.type === 'token.issued' && e.token_id === tokenId);

  test('an issuance is one EVALSHA: the address\'s failures, the client\'s allowance and the audit entry; no read of the client, no XADD of its own', async () => {
    const { client, ip } = await cachedClient();
    const { result: res, commands } = await commandsOf(() => issueFrom(ip, client));
    expect(res.status).toBe(200);
    expect(res.headers['cache-control']).toBe('no-store');
    expect(Object.keys(res.body).sort()).toEqual(['access_token', 'expires_in', 'scope', 'token_type']);
    expect(res.body).toMatchObject({ token_type: 'Bearer', expires_in: 600, scope: 'orders:read' });
    expect(res.headers['ratelimit-policy']).toBe('"client";q=3;w=60');
    expect(res.headers.ratelimit).toBe('"client";r=2;t=20');
    expect(commands.map((c) => c[0])).toEqual(['evalsha']);
    const [, , count, failures, allowance, shard] = commands[0]!;
    expect([count, failures, allowance]).toEqual(['3', keys().rateLimit(`auth_failures:${ip}`), keys().rateLimit(`client:${client.client_id}`)]);
    expect(shardKeys()).toContain(shard);

    // The token is what the entry names, and the entry is the usual way's.
    const claims = decodeJwt(res.body.access_token).payload;
    expect(claims).toMatchObject({ sub: client.client_id, client_id: client.client_id, scope: 'orders:read' });
    const entries = await stored(claims.jti as string);
    expect(entries).toEqual([{
      id: expect.stringMatching(/^\d+-\d+$/), time: expect.stringMatching(/^\d{4}-\d\d-\d\dT[\d:.]+Z$/), type: 'token.issued',
      actor: { type: 'client', id: client.client_id }, subject: client.client_id, token_id: claims.jti, client_id: client.client_id,
      ip, user_agent: 'cc-test', request_id: res.headers['x-request-id'], route: 'POST /oauth/token',
      detail: { grant_type: 'client_credentials', scope: 'orders:read', refresh_token: false },
    }]);
    // The server's other sinks (here the test's) get the event too.
    expect(issuedIn(claims.jti as string)).toHaveLength(1);
    // The token works.
    const rs = await h.createClient({ scopes: [] });
    const active = await request(h.app).post('/oauth/introspect').auth(rs.client_id, rs.client_secret).type('form').send({ token: res.body.access_token });
    expect(active.body).toMatchObject({ active: true, client_id: client.client_id, jti: claims.jti });
  });

  test('the usual way (a client not yet held in the process) answers the same and writes the same entry', async () => {
    clock += 60_000;
    const client = await h.createClient({ scopes: ['orders:read', 'orders:write'], default_scopes: ['orders:read'] });
    const ip = `203.0.113.${++addresses}`;
    expect(h.ctx.store.clients.cached?.(client.client_id)).toBeUndefined();
    // Its first request reads it: counted in a script of the two counters, its entry appended apart.
    const { result: usual, commands } = await commandsOf(() => issueFrom(ip, client));
    expect(commands.filter((c) => c[0] === 'evalsha').map((c) => c[2])).toEqual(['2']);
    expect(commands.map((c) => c[0])).toContain('xadd');
    const { result: fast, commands: then } = await commandsOf(() => issueFrom(ip, client));
    expect(then.map((c) => c[0])).toEqual(['evalsha']);
    expect([usual.status, fast.status]).toEqual([200, 200]);
    expect(Object.keys(fast.body).sort()).toEqual(Object.keys(usual.body).sort());
    expect(fast.headers['ratelimit-policy']).toBe(usual.headers['ratelimit-policy']);
    expect([usual.headers.ratelimit, fast.headers.ratelimit]).toEqual(['"client";r=2;t=20', '"client";r=1;t=40']);
    const strip = (e: object | undefined) => ({ ...e, id: null, time: null, token_id: null, request_id: null });
    const [a] = await stored(decodeJwt(usual.body.access_token).payload.jti as string);
    const [b] = await stored(decodeJwt(fast.body.access_token).payload.jti as string);
    expect(a).toBeDefined();
    expect(strip(b)).toEqual(strip(a));
  });

  test('an address over its failed-authentication allowance gets the usual 429, nothing is taken and no token.issued is recorded', async () => {
    const { client, ip } = await cachedClient();
    for (let i = 0; i < 2; i++) await h.ctx.store.rateLimits.take(`auth_failures:${ip}`, { requests: 2, perSeconds: 60 }, clock);
    const before = h.audit.events.length;
    const { result: res, commands } = await commandsOf(() => issueFrom(ip, client));
    // The one script, then the refusal's own event (rate_limit.hit), appended as ever.
    expect(commands.map((c) => c[0])).toEqual(['evalsha', 'xadd']);
    expect(commands[0]![2]).toBe('3');
    expect(commands[1]!.join(' ')).toContain('rate_limit.hit');
    expectRefused(res, 'auth_failures', 'q=2;w=60', 'r=0;t=60', 30);
    expect(h.audit.events.slice(before).map((e) => e.type)).toEqual(['rate_limit.hit']);
    const clientRule = { requests: 3, perSeconds: 60 };
    expect(await h.ctx.store.rateLimits.peek(`client:${client.client_id}`, clientRule, clock)).toEqual(await h.ctx.store.rateLimits.peek(`client:never-${ip}`, clientRule, clock));
    expect((await h.ctx.store.audit.query({ filter: { type: 'token.issued', since: clock }, order: 'asc', limit: 100, scanLimit: 100_000 })).items
      .filter((e) => e.client_id === client.client_id)).toEqual([]);
    clock += 60_000;
    expect((await issueFrom(ip, client)).status).toBe(200);
  });

  test('a client over its allowance gets the usual 429 and no token.issued is recorded', async () => {
    const { client, ip } = await cachedClient();
    for (let i = 0; i < 3; i++) await h.ctx.store.rateLimits.take(`client:${client.client_id}`, { requests: 3, perSeconds: 60 }, clock);
    const spent = await h.ctx.store.rateLimits.peek(`client:${client.client_id}`, { requests: 3, perSeconds: 60 }, clock);
    const before = h.audit.events.length;
    const { result: res, commands } = await commandsOf(() => issueFrom(ip, client));
    expect(commands.map((c) => c[0])).toEqual(['evalsha', 'xadd']);
    expect(commands[1]!.join(' ')).toContain('rate_limit.hit');
    expectRefused(res, 'client', 'q=3;w=60', 'r=0;t=60', 20);
    expect(h.audit.events.slice(before)).toEqual([
      { type: 'rate_limit.hit', subject: client.client_id, detail: { policy: 'client', requests: 3, per_seconds: 60 } },
    ]);
    expect(await h.ctx.store.rateLimits.peek(`client:${client.client_id}`, { requests: 3, perSeconds: 60 }, clock)).toEqual(spent);
  });

  test('a scope the client may not have goes the usual way: counted first, then invalid_scope, with nothing recorded as issued', async () => {
    const { client, ip } = await cachedClient();
    const before = h.audit.events.length;
    const { result: res, commands } = await commandsOf(() => issueFrom(ip, client, { scope: 'orders:read admin:all' }));
    expect(res.status).toBe(400);
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.body).toEqual({ error: 'invalid_scope', error_description: 'scope not allowed for this client: admin:all' });
    // The usual way's script: the two counters only.
    expect(commands.map((c) => c.slice(0, 5))).toEqual([
      ['evalsha', expect.any(String), '2', keys().rateLimit(`auth_failures:${ip}`), keys().rateLimit(`client:${client.client_id}`)],
    ]);
    expect(res.headers.ratelimit).toBe('"client";r=2;t=20');
    expect(h.audit.events.slice(before).map((e) => e.type)).toEqual([]);
  });

  test('a resource the client may not ask for goes the usual way: invalid_target', async () => {
    const { client, ip } = await cachedClient({ audiences: ['https://api.example'] });
    const res = await issueFrom(ip, client, { resource: 'https://other.example' });
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ error: 'invalid_target', error_description: 'resource is not an audience this client may ask for' });
  });

  test('a wrong secret goes the usual way: invalid_client, counted against the address', async () => {
    const { client, ip } = await cachedClient();
    const res = await issueFrom(ip, { client_id: client.client_id, client_secret: `${client.client_secret}x` });
    expect(res.status).toBe(401);
    expect(res.body).toEqual({ error: 'invalid_client', error_description: 'client authentication failed' });
    expect(await h.ctx.store.rateLimits.peek(`auth_failures:${ip}`, { requests: 2, perSeconds: 60 }, clock)).toMatchObject({ remaining: 0 });
  });

  test('an entry Redis refuses does not fail the issuance: the token is answered and the failure is logged', async () => {
    const { client, ip } = await cachedClient();
    expect((await issueFrom(ip, client)).status).toBe(200);
    // This process's shard, found by the entry just written: replaced by a value of another type, its XADD fails (WRONGTYPE).
    const admin = new Redis(testRedisUrl());
    try {
      const lengths = await Promise.all(shardKeys().map((k) => admin.xlen(k)));
      const mine = shardKeys()[lengths.findIndex((n) => n > 0)]!;
      await admin.rename(mine, `${mine}:kept`);
      await admin.set(mine, 'not a stream');
      lines.length = 0;
      const { result: res, commands } = await commandsOf(() => issueFrom(ip, client));
      expect(commands.map((c) => c[0])).toEqual(['evalsha']);
      expect(res.status).toBe(200);
      const jti = decodeJwt(res.body.access_token).payload.jti as string;
      expect(issuedIn(jti)).toHaveLength(1);
      expect(lines).toContainEqual(expect.objectContaining({ msg: 'audit write failed', audit: 'token.issued', token_id: jti, err: expect.stringContaining('temporarily unavailable') }));
      await admin.rename(`${mine}:kept`, mine);
    } finally {
      admin.disconnect();
    }
  });
});
