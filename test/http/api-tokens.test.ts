/**
 * API tokens end to end through HTTP: created by an admin for a user,
 * exchanged (RFC 8693) for a JWT that verifies against the JWKS, narrowed,
 * rotated with a grace period, revoked, refused from a disallowed IP, and
 * never worth more than the owner's roles allow now.
 */
import request from 'supertest';
import { createLocalJWKSet, jwtVerify } from 'jose';
import { startHarness, ISSUER, type Harness } from '../support/harness.js';
import { generateOpaqueToken } from '../../src/core/tokens/opaque-token.js';
import { sha256Hex } from '../../src/core/crypto/secret-hash.js';

const EXCHANGE = 'urn:ietf:params:oauth:grant-type:token-exchange';
const API_TOKEN_TYPE = 'urn:tessera:params:oauth:token-type:api_token';
const REFUSED = { error: 'invalid_request', error_description: 'the subject_token is not a usable API token' };

let h: Harness;
let admin: string;
let exchanger: { client_id: string; client_secret: string };
let aliceId: string;

beforeAll(async () => {
  h = await startHarness();
  admin = `Bearer ${await h.adminToken()}`;
  await h.ctx.users.putRole('reader', ['orders:read']);
  await h.ctx.users.putRole('writer', ['orders:write']);
  aliceId = (await h.ctx.users.create({ username: 'alice', password: 'alice-password', roles: ['reader', 'writer'] })).id;
  exchanger = await h.createClient({ client_id: 'exchanger', grant_types: [EXCHANGE], scopes: ['orders:read', 'orders:write', 'tessera:tokens'] });
});
afterAll(async () => { await h.stop(); });

const createToken = async (body: Record<string, unknown>) => {
  const res = await request(h.app).post('/admin/v1/api-tokens').set('Authorization', admin).send({ user: 'alice', name: 'ci', scopes: ['orders:read'], ...body });
  if (res.status !== 201) throw new Error(`create failed: ${res.status} ${res.text}`);
  return res.body as { id: string; token: string } & Record<string, unknown>;
};
const exchange = (subject: string, extra: Record<string, string> = {}, headers: Record<string, string> = {}) =>
  request(h.app).post('/oauth/token').auth(exchanger.client_id, exchanger.client_secret).set(headers).type('form')
    .send({ grant_type: EXCHANGE, subject_token: subject, subject_token_type: API_TOKEN_TYPE, ...extra });
const introspect = (token: string, extra: Record<string, string> = {}) =>
  request(h.app).post('/oauth/introspect').auth(exchanger.client_id, exchanger.client_secret).type('form').send({ token, ...extra });

describe('the life of an API token', () => {
  test('create, exchange, verify against the JWKS, narrow, rotate with grace, revoke', async () => {
    const created = await createToken({ scopes: ['orders:read', 'orders:write'], description: 'deploys', expires_in: 3600 });
    expect(created.token).toMatch(/^tsp_[0-9A-Za-z]{38}$/);
    expect(created).toMatchObject({ user: aliceId, name: 'ci', description: 'deploys', status: 'active', created_by: { type: 'client', id: 'tessera-admin' }, last_used_at: null });

    const res = await exchange(created.token);
    expect(res.status).toBe(200);
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.body).toEqual({
      access_token: expect.any(String), issued_token_type: 'urn:ietf:params:oauth:token-type:access_token',
      token_type: 'Bearer', expires_in: 600, scope: 'orders:read orders:write',
    });
    const jwks = createLocalJWKSet((await request(h.app).get('/.well-known/jwks.json')).body);
    const { payload, protectedHeader } = await jwtVerify(res.body.access_token, jwks, { issuer: ISSUER, typ: 'at+jwt', audience: ISSUER });
    expect(protectedHeader.typ).toBe('at+jwt');
    expect(payload).toMatchObject({ sub: aliceId, client_id: 'exchanger', scope: 'orders:read orders:write', api_token_id: created.id });

    const narrow = await exchange(created.token, { scope: 'orders:read' });
    expect(narrow.body.scope).toBe('orders:read');
    const wider = await exchange(created.token, { scope: 'orders:read tessera:tokens' });
    expect(wider.status).toBe(400);
    expect(wider.body.error).toBe('invalid_scope');

    const used = await request(h.app).get(`/admin/v1/api-tokens/${created.id}`).set('Authorization', admin);
    expect(used.body.last_used_at).toEqual(expect.any(String));
    expect(used.body.last_used_ip).toMatch(/127\.0\.0\.1$/);

    const rotated = await request(h.app).post(`/admin/v1/api-tokens/${created.id}/rotate`).set('Authorization', admin).send({ grace_period: 1 });
    expect(rotated.status).toBe(200);
    expect(rotated.body.id).toBe(created.id);
    expect(rotated.body.token).not.toBe(created.token);
    expect(rotated.body.previous_secret_expires_at).toEqual(expect.any(String));
    expect((await exchange(created.token)).status).toBe(200);
    expect((await exchange(rotated.body.token)).status).toBe(200);
    await new Promise((r) => setTimeout(r, 1100));
    expect((await exchange(created.token)).body).toEqual(REFUSED);
    expect((await exchange(rotated.body.token)).status).toBe(200);

    const jwt = (await exchange(rotated.body.token)).body.access_token as string;
    expect((await introspect(jwt)).body.active).toBe(true);
    const revoked = await request(h.app).delete(`/admin/v1/api-tokens/${created.id}`).set('Authorization', admin).send({ reason: 'offboarding' });
    expect(revoked.status).toBe(200);
    expect(revoked.body).toMatchObject({ status: 'revoked', revoked_at: expect.any(String), revoked_by: { type: 'client', id: 'tessera-admin' }, revocation_reason: 'offboarding' });
    expect((await exchange(rotated.body.token)).body).toEqual(REFUSED);
    expect((await introspect(rotated.body.token)).body).toEqual({ active: false });
    // Access tokens already exchanged from it die with it.
    expect((await introspect(jwt)).body).toEqual({ active: false });
    // The history stays listed.
    const listed = await request(h.app).get('/admin/v1/api-tokens?user=alice&active=false').set('Authorization', admin);
    expect(listed.body.items.map((t: { id: string }) => t.id)).toContain(created.id);

    const types = h.audit.events.filter((e) => e.token_id === created.id).map((e) => e.type);
    expect(types).toEqual(expect.arrayContaining(['api_token.created', 'api_token.used', 'api_token.rotated', 'api_token.revoked', 'api_token.refused']));
    // Refusals name the token and say why, in the audit log only.
    const reasons = h.audit.events.filter((e) => e.token_id === created.id && e.type === 'api_token.refused').map((e) => (e.detail as { reason: string }).reason);
    expect(reasons).toEqual(['superseded', 'revoked', 'revoked']);
  });

  test('introspection describes a live token with its owner, scopes and expiry', async () => {
    const t = await createToken({ expires_in: 3600 });
    const res = await introspect(t.token);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      active: true, token_type: 'api_token', scope: 'orders:read', sub: aliceId, username: 'alice',
      exp: Math.floor(Date.parse(t.expires_at as string) / 1000), iat: Math.floor(Date.parse(t.created_at as string) / 1000), iss: ISSUER, jti: t.id,
    });
  });

  test('introspection names the token\'s own rate limit when it has one', async () => {
    const t = await createToken({ rate_limit: { requests: 5, per_seconds: 60 } });
    expect((await introspect(t.token)).body.rate_limit).toEqual({ requests: 5, per_seconds: 60 });
  });

  test('usage is counted per route: exchanges, and introspections with the route a resource server reports', async () => {
    const t = await createToken({});
    await exchange(t.token).expect(200);
    const jwt = (await exchange(t.token)).body.access_token as string;
    await introspect(t.token, { route: 'GET /orders', client_ip: '198.51.100.9' }).expect(200);
    // The resource server says what the request needed (`scope`): those of the token's scopes were exercised.
    await introspect(t.token, { route: 'GET /orders', scope: 'orders:read admin:everything' }).expect(200);
    await introspect(t.token).expect(200);
    const res = await request(h.app).get(`/admin/v1/api-tokens/${t.id}/usage`).set('Authorization', admin);
    expect(res.status).toBe(200);
    const exercised = res.body.scopes['orders:read'];
    expect(res.body).toEqual({
      id: t.id, last_used_at: expect.any(String), last_used_ip: expect.stringMatching(/127\.0\.0\.1$/),
      routes: { 'POST /oauth/token': 2, 'GET /orders': 2, 'POST /oauth/introspect': 1 }, scopes: { 'orders:read': expect.any(String) },
    });
    // Access tokens seen by introspection are counted too, under their jti; with `scope`, also for the API token they came from.
    await introspect(jwt, { route: 'DELETE /orders/7' }).expect(200);
    const jti = JSON.parse(Buffer.from(jwt.split('.')[1]!, 'base64url').toString()).jti as string;
    expect((await h.ctx.store.usage.get(`access_token:${jti}`))!.routes).toEqual({ 'DELETE /orders/7': 1 });
    await introspect(jwt, { route: 'DELETE /orders/7', scope: 'orders:read' }).expect(200);
    expect((await h.ctx.store.usage.get(`access_token:${jti}`))!.routes).toEqual({ 'DELETE /orders/7': 2 });
    expect((await h.ctx.store.usage.get(`api_token:${t.id}`))!.routes['DELETE /orders/7']).toBe(1);
    expect(Date.parse((await request(h.app).get(`/admin/v1/api-tokens/${t.id}/usage`).set('Authorization', admin)).body.scopes['orders:read'])).toBeGreaterThanOrEqual(Date.parse(exercised));
    expect((await introspect(t.token, { scope: 'bad"scope' })).body.error).toBe('invalid_request');
    expect((await introspect(t.token, { route: 'x'.repeat(201) })).body.error).toBe('invalid_request');
    expect((await request(h.app).get('/admin/v1/api-tokens/tok_AAAAAAAAAAAAAAAA/usage').set('Authorization', admin)).status).toBe(404);
    const unused = await createToken({});
    expect((await request(h.app).get(`/admin/v1/api-tokens/${unused.id}/usage`).set('Authorization', admin)).body)
      .toEqual({ id: unused.id, last_used_at: null, last_used_ip: null, routes: {}, scopes: {} });
  });

  test('the secret is stored only as its hash', async () => {
    const t = await createToken({});
    const record = await h.ctx.store.apiTokens.get(t.id);
    expect(record!.secret_hash).toBe(sha256Hex(t.token));
    expect(JSON.stringify(record)).not.toContain(t.token);
  });
});

describe('refusals all look the same', () => {
  test('unknown, wrong checksum, malformed, expired and revoked tokens are refused alike and recorded', async () => {
    const good = await createToken({});
    const badChecksum = good.token.slice(0, -1) + (good.token.endsWith('0') ? '1' : '0');
    const before = h.audit.events.length;
    for (const t of [generateOpaqueToken('api'), badChecksum, 'tsp_short', generateOpaqueToken('refresh')]) {
      const res = await exchange(t);
      expect(res.status).toBe(400);
      expect(res.body).toEqual(REFUSED);
      expect((await introspect(t)).body).toEqual({ active: false });
    }
    const refusals = h.audit.events.slice(before).filter((e) => e.type === 'api_token.refused').map((e) => (e.detail as { reason: string }).reason);
    expect(refusals).toEqual(expect.arrayContaining(['unknown', 'malformed']));
  });

  test('an expired token is refused', async () => {
    const t = await createToken({});
    const record = (await h.ctx.store.apiTokens.get(t.id))!;
    await h.ctx.store.apiTokens.update({ ...record, expires_at: Date.now() - 1, version: record.version + 1 }, record.version);
    expect((await exchange(t.token)).body).toEqual(REFUSED);
    expect((await request(h.app).get(`/admin/v1/api-tokens/${t.id}`).set('Authorization', admin)).body.status).toBe('expired');
  });

  test('the wrong subject_token_type, an actor_token or another requested type is invalid_request', async () => {
    const t = await createToken({});
    const bad = async (extra: Record<string, string>) => (await exchange(t.token, extra)).body.error_description as string;
    expect(await bad({ subject_token_type: 'urn:ietf:params:oauth:token-type:access_token' })).toBe(`subject_token_type must be ${API_TOKEN_TYPE}`);
    expect(await bad({ actor_token: 'x', actor_token_type: 'urn:ietf:params:oauth:token-type:jwt' })).toBe('actor_token is not supported');
    expect(await bad({ requested_token_type: 'urn:ietf:params:oauth:token-type:refresh_token' })).toBe('requested_token_type must be urn:ietf:params:oauth:token-type:access_token');
    expect((await exchange(t.token, { requested_token_type: 'urn:ietf:params:oauth:token-type:jwt' })).status).toBe(200);
    const missing = await request(h.app).post('/oauth/token').auth(exchanger.client_id, exchanger.client_secret).type('form').send({ grant_type: EXCHANGE });
    expect(missing.body).toEqual({ error: 'invalid_request', error_description: 'subject_token is required' });
  });

  test('an audience the client may not ask for is invalid_target', async () => {
    const t = await createToken({});
    const res = await exchange(t.token, { audience: 'https://elsewhere.example.com' });
    expect(res.status).toBe(400);
    expect(res.body.error).toBe('invalid_target');
  });
});

describe('IP allowlists', () => {
  test('a token used from outside its allowlist is refused; inside it works (IPv4 and IPv6 CIDRs)', async () => {
    const outside = await createToken({ allowed_ips: ['10.0.0.0/8', '2001:db8::/32'] });
    expect((await exchange(outside.token)).body).toEqual(REFUSED);
    expect((await introspect(outside.token)).body).toEqual({ active: false });
    const inside = await createToken({ allowed_ips: ['127.0.0.0/8', '::1/128'] });
    expect((await exchange(inside.token)).status).toBe(200);
    const refusal = h.audit.events.filter((e) => e.token_id === outside.id && e.type === 'api_token.refused');
    expect(refusal[0]!.detail).toMatchObject({ reason: 'ip_not_allowed' });
  });

  test('introspection checks the client_ip a resource server reports', async () => {
    const t = await createToken({ allowed_ips: ['203.0.113.0/24'] });
    expect((await introspect(t.token, { client_ip: '203.0.113.9' })).body.active).toBe(true);
    expect((await introspect(t.token, { client_ip: '198.51.100.1' })).body).toEqual({ active: false });
    expect((await introspect(t.token, { client_ip: 'not-an-ip' })).body.error).toBe('invalid_request');
  });

  test('X-Forwarded-For is ignored unless TESSERA_TRUST_PROXY says to believe it', async () => {
    const t = await createToken({ allowed_ips: ['198.51.100.0/24'] });
    expect((await exchange(t.token, {}, { 'X-Forwarded-For': '198.51.100.7' })).body).toEqual(REFUSED);
    const trusting = await startHarness({ env: { TESSERA_TRUST_PROXY: 'loopback' } });
    try {
      await trusting.ctx.users.putRole('reader', ['orders:read']);
      await trusting.ctx.users.create({ username: 'bob', password: 'bob-password', roles: ['reader'] });
      const c = await trusting.createClient({ grant_types: [EXCHANGE], scopes: ['orders:read'] });
      const { token } = await trusting.ctx.apiTokens.create({ user: 'bob', name: 'x', scopes: ['orders:read'], allowed_ips: ['198.51.100.0/24'] }, { actor: { type: 'client', id: 'test' } });
      const via = (xff: string) => request(trusting.app).post('/oauth/token').auth(c.client_id, c.client_secret).set('X-Forwarded-For', xff).type('form')
        .send({ grant_type: EXCHANGE, subject_token: token, subject_token_type: API_TOKEN_TYPE });
      expect((await via('198.51.100.7')).status).toBe(200);
      expect((await via('192.0.2.1')).status).toBe(400);
    } finally {
      await trusting.stop();
    }
  });
});

describe('the owner\'s roles bound the token', () => {
  test('removing a role removes its scopes from what the token gets, with no change to the token', async () => {
    await h.ctx.users.putRole('ops', ['ops:deploy']);
    const bob = await h.ctx.users.create({ username: 'carol', password: 'carol-password', roles: ['reader', 'ops'] });
    const opsClient = await h.createClient({ grant_types: [EXCHANGE], scopes: ['orders:read', 'ops:deploy'] });
    const t = await request(h.app).post('/admin/v1/api-tokens').set('Authorization', admin).send({ user: bob.id, name: 'deploy', scopes: ['orders:read', 'ops:deploy'] });
    const swap = () => request(h.app).post('/oauth/token').auth(opsClient.client_id, opsClient.client_secret).type('form')
      .send({ grant_type: EXCHANGE, subject_token: t.body.token, subject_token_type: API_TOKEN_TYPE });
    expect((await swap()).body.scope).toBe('orders:read ops:deploy');
    const before = await h.ctx.store.apiTokens.get(t.body.id);
    await request(h.app).patch(`/admin/v1/users/${bob.id}`).set('Authorization', admin).send({ roles: ['reader'] }).expect(200);
    expect((await swap()).body.scope).toBe('orders:read');
    expect((await introspect(t.body.token)).body.scope).toBe('orders:read');
    expect((await h.ctx.store.apiTokens.get(t.body.id))!.scopes).toEqual(before!.scopes);
    await request(h.app).patch(`/admin/v1/users/${bob.id}`).set('Authorization', admin).send({ roles: ['reader', 'ops'] }).expect(200);
    expect((await swap()).body.scope).toBe('orders:read ops:deploy');
  });

  test('a token cannot be created with scopes the owner does not have', async () => {
    const res = await request(h.app).post('/admin/v1/api-tokens').set('Authorization', admin).send({ user: 'alice', name: 'x', scopes: ['ops:deploy'] });
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ error: 'invalid_request', error_description: "the owner's roles do not allow: ops:deploy" });
  });

  test('disabling the owner or revoking their tokens ends the token', async () => {
    const dave = await h.ctx.users.create({ username: 'dave', password: 'dave-password', roles: ['reader'] });
    const a = await createToken({ user: dave.id });
    expect((await exchange(a.token)).status).toBe(200);
    await request(h.app).post(`/admin/v1/users/${dave.id}/revoke-tokens`).set('Authorization', admin).expect(200);
    expect((await exchange(a.token)).body).toEqual(REFUSED);
    await new Promise((r) => setTimeout(r, 5));
    const b = await createToken({ user: dave.id });
    expect((await exchange(b.token)).status).toBe(200);
    await request(h.app).patch(`/admin/v1/users/${dave.id}`).set('Authorization', admin).send({ disabled: true }).expect(200);
    expect((await exchange(b.token)).body).toEqual(REFUSED);
  });
});
