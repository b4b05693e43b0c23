import { jest } from '@jest/globals';
import request from 'supertest';
import { startHarness, type Harness, decodeJwt } from '../support/harness.js';
import { seedUserAndClient, startFamily } from '../support/users.js';
import { newRefreshToken, refreshTokenRef } from '../../src/core/tokens/refresh-tokens.js';
import { RedisKeys } from '../../src/store/redis/keys.js';
import { commandsOf } from '../support/redis-commands.js';

const cases = [
  ['memory', false],
  ['redis', true],
] as const;

describe.each(cases)('refresh_token grant on the %s store', (_name, redis) => {
  let h: Harness;
  beforeAll(async () => { h = await startHarness({ redis }); });
  afterAll(async () => { await h.stop(); });

  const refresh = (client: { client_id: string; client_secret: string }, token: string, extra: Record<string, string> = {}) =>
    request(h.app).post('/oauth/token').auth(client.client_id, client.client_secret).type('form').send({ grant_type: 'refresh_token', refresh_token: token, ...extra });
  const introspect = (client: { client_id: string; client_secret: string }, token: string) =>
    request(h.app).post('/oauth/introspect').auth(client.client_id, client.client_secret).type('form').send({ token });

  test('every use rotates: a new refresh token and an access token for the user', async () => {
    const { user, client } = await seedUserAndClient(h);
    const { token } = await startFamily(h, client.client_id, user.id, ['orders:read', 'offline_access']);
    const res = await refresh(client, token);
    expect(res.status).toBe(200);
    expect(res.headers['cache-control']).toBe('no-store');
    expect(Object.keys(res.body).sort()).toEqual(['access_token', 'expires_in', 'refresh_token', 'scope', 'token_type']);
    expect(res.body.refresh_token).toMatch(/^tsr_[0-9A-Za-z]{38}$/);
    expect(res.body.refresh_token).not.toBe(token);
    expect(res.body.scope).toBe('orders:read offline_access');
    const claims = decodeJwt(res.body.access_token).payload;
    expect(claims).toMatchObject({ sub: user.id, client_id: client.client_id, scope: 'orders:read offline_access' });
    expect(typeof claims.auth_time).toBe('number');
    // The successor works in turn.
    expect((await refresh(client, res.body.refresh_token)).status).toBe(200);
  });

  test('a retry within the grace window gets the same successor', async () => {
    const { user, client } = await seedUserAndClient(h);
    const { token } = await startFamily(h, client.client_id, user.id, ['orders:read']);
    const first = await refresh(client, token);
    const retry = await refresh(client, token);
    expect(retry.status).toBe(200);
    expect(retry.body.refresh_token).toBe(first.body.refresh_token);
  });

  test('20 concurrent refreshes of one token leave exactly one family with one live token', async () => {
    const { user, client } = await seedUserAndClient(h);
    const { token, family } = await startFamily(h, client.client_id, user.id, ['orders:read']);
    const answers = await Promise.all(Array.from({ length: 20 }, () => refresh(client, token)));
    expect(answers.map((a) => a.status)).toEqual(Array(20).fill(200));
    const successors = new Set(answers.map((a) => a.body.refresh_token as string));
    expect(successors.size).toBe(1);
    const [successor] = [...successors];
    const live = await h.ctx.refresh.lookup(successor!);
    expect(live?.family.family_id).toBe(family.family_id);
    expect(await h.ctx.refresh.lookup(token)).toBeNull();
    // The one live token still works, so the family survived.
    expect((await refresh(client, successor!)).status).toBe(200);
  });

  test('reuse after the grace window revokes the family and its access tokens', async () => {
    const g = await startHarness({ redis, env: { TESSERA_REFRESH_GRACE: '0' } });
    try {
      const { user, client } = await seedUserAndClient(g);
      const { token } = await startFamily(g, client.client_id, user.id, ['orders:read']);
      const first = await request(g.app).post('/oauth/token').auth(client.client_id, client.client_secret).type('form').send({ grant_type: 'refresh_token', refresh_token: token });
      expect(first.status).toBe(200);
      const replay = await request(g.app).post('/oauth/token').auth(client.client_id, client.client_secret).type('form').send({ grant_type: 'refresh_token', refresh_token: token });
      expect(replay.status).toBe(400);
      expect(replay.body.error).toBe('invalid_grant');
      // The family is dead: the successor no longer works and the access token is inactive.
      const next = await request(g.app).post('/oauth/token').auth(client.client_id, client.client_secret).type('form').send({ grant_type: 'refresh_token', refresh_token: first.body.refresh_token });
      expect(next.body.error).toBe('invalid_grant');
      const intro = await request(g.app).post('/oauth/introspect').auth(client.client_id, client.client_secret).type('form').send({ token: first.body.access_token });
      expect(intro.body).toEqual({ active: false });
      expect(g.audit.events.map((e) => e.type)).toContain('refresh_token.reuse_detected');
    } finally {
      await g.stop();
    }
  });

  test('within the grace window, a token whose successor has already been used is reuse: the family ends with its access tokens', async () => {
    const { user, client } = await seedUserAndClient(h);
    const { token: first } = await startFamily(h, client.client_id, user.id, ['orders:read']);
    const second = await refresh(client, first);
    expect(second.status).toBe(200);
    const third = await refresh(client, second.body.refresh_token);
    expect(third.status).toBe(200);
    // Still inside the 10 s grace window of the first rotation, but its successor has moved on.
    const replay = await refresh(client, first);
    expect(replay.status).toBe(400);
    expect(replay.body).toEqual({ error: 'invalid_grant', error_description: 'the refresh token is invalid, expired, revoked or was issued to another client' });
    expect((await refresh(client, third.body.refresh_token)).body.error).toBe('invalid_grant');
    expect((await introspect(client, third.body.access_token)).body).toEqual({ active: false });
    expect((await introspect(client, second.body.access_token)).body).toEqual({ active: false });
    await h.flushAudit();
    expect(h.audit.events).toContainEqual(expect.objectContaining({ type: 'refresh_token.reuse_detected', subject: user.id, client_id: client.client_id }));
  });

  test('a refresh may narrow the scope but not widen it', async () => {
    const { user, client } = await seedUserAndClient(h);
    const { token } = await startFamily(h, client.client_id, user.id, ['orders:read', 'orders:write']);
    const wide = await refresh(client, token, { scope: 'orders:read orders:delete' });
    expect(wide.status).toBe(400);
    expect(wide.body.error).toBe('invalid_scope');
    const narrow = await refresh(client, token, { scope: 'orders:read' });
    expect(narrow.status).toBe(200);
    expect(narrow.body.scope).toBe('orders:read');
  });

  test('scopes the user lost since the grant are dropped', async () => {
    const { user, client } = await seedUserAndClient(h, { scopes: ['a:read', 'a:write'] });
    const { token } = await startFamily(h, client.client_id, user.id, ['a:read', 'a:write']);
    await h.ctx.users.putRole('staff', ['a:read']);
    const res = await refresh(client, token);
    expect(res.body.scope).toBe('a:read');
  });

  test("a role narrowed or the user's roles changed after a rotation narrow the next rotation at once", async () => {
    const { user, client } = await seedUserAndClient(h, { scopes: ['a:read', 'a:write'] });
    const { token } = await startFamily(h, client.client_id, user.id, ['a:read', 'a:write']);
    const first = await refresh(client, token);
    expect(first.body.scope).toBe('a:read a:write');
    await h.ctx.users.putRole('staff', ['a:read']);
    const second = await refresh(client, first.body.refresh_token);
    expect(second.body.scope).toBe('a:read');
    await h.ctx.users.update(user.id, { roles: [] });
    const third = await refresh(client, second.body.refresh_token);
    expect(third.status).toBe(200);
    expect(third.body.scope).toBeUndefined();
  });

  test('a scope the user lost and got back is granted again at the next refresh: the successor keeps the scopes, each access token is narrowed', async () => {
    const { user, client } = await seedUserAndClient(h, { scopes: ['a:read', 'a:write'] });
    const { token } = await startFamily(h, client.client_id, user.id, ['a:read', 'a:write']);
    await h.ctx.users.putRole('staff', ['a:read']);
    const narrowed = await refresh(client, token);
    expect(narrowed.status).toBe(200);
    expect(narrowed.body.scope).toBe('a:read');
    expect(decodeJwt(narrowed.body.access_token).payload.scope).toBe('a:read');
    // The successor still holds what the grant allowed (as node-oidc-provider and Keycloak keep it):
    // the access token, not the refresh token, is narrowed to the user's roles now.
    expect((await h.ctx.refresh.lookup(narrowed.body.refresh_token))?.token.scopes).toEqual(['a:read', 'a:write']);
    await h.ctx.users.putRole('staff', ['a:read', 'a:write']);
    const restored = await refresh(client, narrowed.body.refresh_token);
    expect(restored.status).toBe(200);
    expect(restored.body.scope).toBe('a:read a:write');
    expect(decodeJwt(restored.body.access_token).payload.scope).toBe('a:read a:write');
  });

  test('a wrong client secret is invalid_client and the token stays usable', async () => {
    const { user, client } = await seedUserAndClient(h);
    const { token } = await startFamily(h, client.client_id, user.id, ['orders:read']);
    const res = await refresh({ ...client, client_secret: 'not-the-secret' }, token);
    expect(res.status).toBe(401);
    expect(res.body.error).toBe('invalid_client');
    expect((await refresh(client, token)).status).toBe(200);
  });

  test('another client presenting the token is invalid_grant and the token stays usable', async () => {
    const { user, client } = await seedUserAndClient(h);
    const other = await h.createClient({ grant_types: ['refresh_token'], scopes: ['orders:read'] });
    const { token } = await startFamily(h, client.client_id, user.id, ['orders:read']);
    const res = await refresh(other, token);
    expect(res.status).toBe(400);
    expect(res.body.error).toBe('invalid_grant');
    expect((await refresh(client, token)).status).toBe(200);
  });

  test('a family lasts TESSERA_REFRESH_TOKEN_TTL and ends at that absolute time', async () => {
    const { user, client } = await seedUserAndClient(h);
    const { family } = await startFamily(h, client.client_id, user.id, ['orders:read']);
    expect(family.expires_at - family.created_at).toBe(h.config.refreshTokenTtl * 1000);

    // A family 300 ms from its end: usable now, refused once the end has passed.
    const token = newRefreshToken();
    const { familyId: id, tokenHash } = refreshTokenRef(token)!;
    const now = Date.now();
    await h.ctx.store.refreshTokens.createFamily(
      { family_id: id, client_id: client.client_id, user_id: user.id, scopes: ['orders:read'], auth_time: Math.floor(now / 1000), created_at: now, expires_at: now + 400 },
      { token_hash: tokenHash, family_id: id, scopes: ['orders:read'], created_at: now },
    );
    const before = await refresh(client, token);
    expect(before.status).toBe(200);
    await new Promise((r) => setTimeout(r, 500));
    const after = await refresh(client, before.body.refresh_token);
    expect(after.status).toBe(400);
    expect(after.body.error).toBe('invalid_grant');
  });

  test.each(['disabled', 'deleted', 'revoked'] as const)('a %s user ends the family', async (how) => {
    const { user, client } = await seedUserAndClient(h);
    const { token } = await startFamily(h, client.client_id, user.id, ['orders:read']);
    const ok = await refresh(client, token);
    if (how === 'disabled') await h.ctx.users.update(user.id, { disabled: true });
    if (how === 'deleted') await h.ctx.users.delete(user.id);
    if (how === 'revoked') await h.ctx.users.revokeTokens(user.id);
    const res = await refresh(client, ok.body.refresh_token);
    expect(res.status).toBe(400);
    expect(res.body.error).toBe('invalid_grant');
    expect((await introspect(client, ok.body.access_token)).body).toEqual({ active: false });
  });

  test.each([
    ['a wrong checksum', (t: string) => t.slice(0, -1) + (t.endsWith('0') ? '1' : '0')],
    ['an unknown token', () => 'tsr_' + '0'.repeat(32) + '000000'],
    ['not a tessera token', () => 'abc'],
  ])('%s is invalid_grant', async (_n, mangle) => {
    const { user, client } = await seedUserAndClient(h);
    const { token } = await startFamily(h, client.client_id, user.id, ['orders:read']);
    const res = await refresh(client, mangle(token));
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ error: 'invalid_grant', error_description: expect.any(String) });
  });

  test('a missing refresh_token is invalid_request', async () => {
    const { client } = await seedUserAndClient(h);
    const res = await request(h.app).post('/oauth/token').auth(client.client_id, client.client_secret).type('form').send({ grant_type: 'refresh_token' });
    expect(res.status).toBe(400);
    expect(res.body.error).toBe('invalid_request');
  });

  test('revoking a refresh token at /oauth/revoke ends its family and its access tokens', async () => {
    const { user, client } = await seedUserAndClient(h);
    const { token } = await startFamily(h, client.client_id, user.id, ['orders:read']);
    const res = await refresh(client, token);
    expect((await introspect(client, res.body.refresh_token)).body).toMatchObject({ active: true, token_type: 'refresh_token', sub: user.id, client_id: client.client_id });
    await request(h.app).post('/oauth/revoke').auth(client.client_id, client.client_secret).type('form').send({ token: res.body.refresh_token, token_type_hint: 'refresh_token' }).expect(200);
    expect((await refresh(client, res.body.refresh_token)).body.error).toBe('invalid_grant');
    expect((await introspect(client, res.body.access_token)).body).toEqual({ active: false });
    expect((await introspect(client, res.body.refresh_token)).body).toEqual({ active: false });
  });

  test('a refresh token is only described to its own client at introspection', async () => {
    const { user, client } = await seedUserAndClient(h);
    const other = await h.createClient({ scopes: [] });
    const { token } = await startFamily(h, client.client_id, user.id, ['orders:read']);
    expect((await introspect(other, token)).body).toEqual({ active: false });
  });
});

describe('refresh_token grant in one store command (a single Redis, a client whose record the process holds)', () => {
  let h: Harness;
  // A clock that stands still, moved by hand: Retry-After and the windows' `t` are exact, and a window passes when a test says so.
  let clock = Date.now();
  beforeAll(async () => {
    h = await startHarness({ redis: true, now: () => clock, env: { TESSERA_TRUST_PROXY: 'loopback', TESSERA_RATE_LIMIT_CLIENT: '3/60', TESSERA_RATE_LIMIT_AUTH_FAILURES: '2/60' } });
  });
  afterAll(async () => { await h.stop(); });
  afterEach(() => { jest.restoreAllMocks(); });

  let addresses = 0;
  const refreshFrom = (ip: string, client: { client_id: string; client_secret: string }, token: string, extra: Record<string, string> = {}) =>
    request(h.app).post('/oauth/token').auth(client.client_id, client.client_secret).set('X-Forwarded-For', ip).type('form')
      .send({ grant_type: 'refresh_token', refresh_token: token, ...extra });
  const refused = 'the refresh token is invalid, expired, revoked or was issued to another client';

  /** A user, a client whose record the process holds (read once), a family, and an address of the test's own. */
  async function cachedClientFamily(opts: { scopes?: string[]; jkt?: string } = {}) {
    const { user, client } = await seedUserAndClient(h);
    await h.ctx.store.clients.get(client.client_id);
    expect(h.ctx.store.clients.cached?.(client.client_id)).toMatchObject({ client_id: client.client_id });
    const { token, family } = await h.ctx.refresh.startFamily({
      clientId: client.client_id, userId: user.id, scopes: opts.scopes ?? ['orders:read'], authTime: Math.floor(clock / 1000), jkt: opts.jkt,
    });
    return { user, client, token, family, ip: `203.0.113.${++addresses}` };
  }

  const keys = () => new RedisKeys(h.config.redisPrefix);
  // A family's key names hold its UUID as 22 base64url characters (refresh-tokens.ts).
  const compactId = (id: string) => Buffer.from(id.replace(/-/g, ''), 'hex').toString('base64url');
  /** The one script that peeks at the address's failures, takes the client's allowance and rotates the family: 4 keys, in that order. */
  const oneStep = (ip: string, clientId: string, familyId: string): string[] => [
    keys().rateLimit(`auth_failures:${ip}`), keys().rateLimit(`client:${clientId}`),
    keys().refreshFamily(compactId(familyId)), keys().refreshGrace(compactId(familyId)),
  ];

  test('a refresh is one EVALSHA of the rotation script besides the audit entry: no read of the client, the family or the counters of its own', async () => {
    const { client, token, family, ip } = await cachedClientFamily();
    // The first refresh reads the user and the role into the process too, as a running server holds them.
    const first = await refreshFrom(ip, client, token);
    expect(first.status).toBe(200);
    const { result: res, commands } = await commandsOf(() => refreshFrom(ip, client, first.body.refresh_token));
    expect(res.status).toBe(200);
    expect(res.body.scope).toBe('orders:read');
    expect(commands.map((c) => c[0])).toEqual(['evalsha', 'xadd']);
    expect(commands[0]!.slice(2, 7)).toEqual(['4', ...oneStep(ip, client.client_id, family.family_id)]);
    expect(commands[1]![1]).toMatch(/:audit:\{s\d+\.\d+\}$/);
    expect(res.headers['ratelimit-policy']).toBe('"client";q=3;w=60');
    expect(res.headers.ratelimit).toBe('"client";r=1;t=40');
  });

  test('an address over its failed-authentication allowance gets the same 429 as the usual way, nothing is taken, and the token works once the window passes', async () => {
    const { client, token, family, ip } = await cachedClientFamily();
    for (let i = 0; i < 2; i++) await h.ctx.store.rateLimits.take(`auth_failures:${ip}`, { requests: 2, perSeconds: 60 }, clock);
    const { result: res, commands } = await commandsOf(() => refreshFrom(ip, client, token));
    expect(commands[0]!.slice(0, 7)).toEqual(['evalsha', expect.any(String), '4', ...oneStep(ip, client.client_id, family.family_id)]);
    expect(commands.some((c) => c[0] === 'evalsha' && c !== commands[0])).toBe(false);
    expect(res.status).toBe(429);
    expect(res.headers['retry-after']).toBe('30');
    expect(res.headers['ratelimit-policy']).toBe('"auth_failures";q=2;w=60');
    expect(res.headers.ratelimit).toBe('"auth_failures";r=0;t=60');
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.body).toEqual({ error: 'too_many_requests', error_description: 'the auth_failures rate limit is reached; retry after 30 s' });
    // Nothing taken from the client, nothing rotated.
    const clientRule = { requests: 3, perSeconds: 60 };
    expect(await h.ctx.store.rateLimits.peek(`client:${client.client_id}`, clientRule, clock)).toEqual(await h.ctx.store.rateLimits.peek(`client:never-${ip}`, clientRule, clock));
    expect((await h.ctx.refresh.lookup(token))?.family.family_id).toBe(family.family_id);
    clock += 60_000;
    const later = await refreshFrom(ip, client, token);
    expect(later.status).toBe(200);
    expect(later.body.refresh_token).toMatch(/^tsr_/);
  });

  test('a client over its allowance gets the same 429 as the usual way and the token is not consumed', async () => {
    const { client, token, family, ip } = await cachedClientFamily();
    for (let i = 0; i < 3; i++) await h.ctx.store.rateLimits.take(`client:${client.client_id}`, { requests: 3, perSeconds: 60 }, clock);
    const { result: res, commands } = await commandsOf(() => refreshFrom(ip, client, token));
    expect(commands[0]!.slice(0, 7)).toEqual(['evalsha', expect.any(String), '4', ...oneStep(ip, client.client_id, family.family_id)]);
    expect(res.status).toBe(429);
    expect(res.headers['retry-after']).toBe('20');
    expect(res.headers['ratelimit-policy']).toBe('"client";q=3;w=60');
    expect(res.headers.ratelimit).toBe('"client";r=0;t=60');
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.body).toEqual({ error: 'too_many_requests', error_description: 'the client rate limit is reached; retry after 20 s' });
    expect((await h.ctx.refresh.lookup(token))?.family.family_id).toBe(family.family_id);
    clock += 60_000;
    const later = await refreshFrom(ip, client, token);
    expect(later.status).toBe(200);
  });

  test('a family bound to a DPoP key and a request with no proof is invalid_grant and the token is not consumed', async () => {
    const jkt = 'NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs';
    const { client, token, family, ip } = await cachedClientFamily({ jkt });
    const { result: res, commands } = await commandsOf(() => refreshFrom(ip, client, token));
    expect(commands[0]!.slice(0, 7)).toEqual(['evalsha', expect.any(String), '4', ...oneStep(ip, client.client_id, family.family_id)]);
    expect(res.status).toBe(400);
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.body).toEqual({ error: 'invalid_grant', error_description: 'the refresh token is bound to a DPoP key; send a DPoP proof made with that key' });
    expect(await h.ctx.refresh.lookup(token)).toEqual(expect.objectContaining({ family: expect.objectContaining({ family_id: family.family_id, jkt }) }));
  });

  test('a scope outside the grant is invalid_scope with the usual message and the token is not consumed', async () => {
    const { client, token, family, ip } = await cachedClientFamily({ scopes: ['orders:read'] });
    const { result: res, commands } = await commandsOf(() => refreshFrom(ip, client, token, { scope: 'orders:read orders:write' }));
    expect(commands[0]!.slice(0, 7)).toEqual(['evalsha', expect.any(String), '4', ...oneStep(ip, client.client_id, family.family_id)]);
    expect(res.status).toBe(400);
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.body).toEqual({ error: 'invalid_scope', error_description: 'scope was not in the original grant: orders:write' });
    expect((await h.ctx.refresh.lookup(token))?.token.scopes).toEqual(['orders:read']);
    expect((await refreshFrom(ip, client, token)).status).toBe(200);
  });

  test('a disabled user whose record the process holds is refused from that record: invalid_grant, no read of the user, the family revoked', async () => {
    // A window of its own: the admin's allowance (3 a minute here) creates the clients of these tests.
    clock += 60_000;
    const { user, client, token, family, ip } = await cachedClientFamily();
    await h.ctx.users.update(user.id, { disabled: true });
    // Read into the process (again, should the write's own announcement arrive after a read and drop it).
    for (let i = 0; i < 100 && h.ctx.store.users.cached?.(user.id) === undefined; i++) await h.ctx.store.users.get(user.id);
    expect(h.ctx.store.users.cached?.(user.id)).toMatchObject({ id: user.id, disabled: true });
    const { result: res, commands } = await commandsOf(() => refreshFrom(ip, client, token));
    expect(res.status).toBe(400);
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.body).toEqual({ error: 'invalid_grant', error_description: refused });
    expect(commands.filter((c) => c.includes(keys().user(user.id)))).toEqual([]);
    expect(await h.ctx.store.refreshTokens.getFamily(family.family_id, clock)).toBeNull();
  });

  test('a disabled user is invalid_grant and the family is revoked: enabling the user again does not bring it back', async () => {
    const { user, client, token, family, ip } = await cachedClientFamily();
    await h.ctx.users.update(user.id, { disabled: true });
    const { result: res, commands } = await commandsOf(() => refreshFrom(ip, client, token));
    expect(commands[0]!.slice(0, 7)).toEqual(['evalsha', expect.any(String), '4', ...oneStep(ip, client.client_id, family.family_id)]);
    expect(res.status).toBe(400);
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.body).toEqual({ error: 'invalid_grant', error_description: refused });
    expect(await h.ctx.store.refreshTokens.getFamily(family.family_id, clock)).toBeNull();
    await h.ctx.users.update(user.id, { disabled: false });
    const again = await refreshFrom(ip, client, token);
    expect(again.status).toBe(400);
    expect(again.body).toEqual({ error: 'invalid_grant', error_description: refused });
  });
});
