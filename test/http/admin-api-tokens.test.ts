/** /admin/v1/api-tokens: filters, paging, validation and the error paths of every operation. */
import request from 'supertest';
import { startHarness, type Harness } from '../support/harness.js';

let h: Harness;
let auth: string;
let ownerId: string;

beforeAll(async () => {
  h = await startHarness({ env: { TESSERA_API_TOKEN_MAX_TTL: '864000', TESSERA_API_TOKEN_DEFAULT_TTL: '86400' } });
  auth = `Bearer ${await h.adminToken()}`;
  await h.ctx.users.putRole('reader', ['orders:read']);
  ownerId = (await h.ctx.users.create({ username: 'owner', password: 'owner-password', roles: ['reader'] })).id;
});
afterAll(async () => { await h.stop(); });

const api = {
  post: (p: string) => request(h.app).post(p).set('Authorization', auth),
  get: (p: string) => request(h.app).get(p).set('Authorization', auth),
  del: (p: string) => request(h.app).delete(p).set('Authorization', auth),
};
const create = async (body: Record<string, unknown> = {}) => {
  const res = await api.post('/admin/v1/api-tokens').send({ user: ownerId, name: 'n', scopes: ['orders:read'], ...body });
  expect(res.status).toBe(201);
  return res.body as { id: string; token: string; expires_at: string };
};
const ids = (res: request.Response) => res.body.items.map((t: { id: string }) => t.id) as string[];

describe('create', () => {
  test('the answer has every field, the secret once, and a default expiry', async () => {
    const before = Date.now();
    const res = await api.post('/admin/v1/api-tokens').send({
      user: 'owner', name: 'ci', scopes: ['orders:read'], allowed_ips: ['10.0.0.0/8'], rate_limit: { requests: 100, per_seconds: 60 },
    });
    expect(res.status).toBe(201);
    expect(res.headers.location).toBe(`/admin/v1/api-tokens/${res.body.id}`);
    expect(res.body).toEqual({
      id: expect.stringMatching(/^tok_[A-Za-z0-9_-]{16}$/), token: expect.stringMatching(/^tsp_[0-9A-Za-z]{38}$/),
      user: ownerId, name: 'ci', description: null, scopes: ['orders:read'], expires_at: expect.any(String),
      allowed_ips: ['10.0.0.0/8'], rate_limit: { requests: 100, per_seconds: 60 },
      created_at: expect.any(String), created_by: { type: 'client', id: 'tessera-admin' }, last_used_at: null, last_used_ip: null,
      rotated_at: null, previous_secret_expires_at: null, revoked_at: null, revoked_by: null, revocation_reason: null,
      paused_at: null, pause_reason: null, status: 'active',
    });
    const ttl = Date.parse(res.body.expires_at) - before;
    expect(ttl).toBeGreaterThanOrEqual(86_400_000 - 1000);
    expect(ttl).toBeLessThanOrEqual(86_400_000 + 1000);
    expect((await api.get(`/admin/v1/api-tokens/${res.body.id}`)).body.token).toBeUndefined();
  });

  test('expires_at is honoured; past the maximum, too soon, or both expiry fields is 400', async () => {
    const at = new Date(Date.now() + 3_600_000).toISOString();
    expect((await create({ expires_at: at })).expires_at).toBe(at);
    const bad = async (body: Record<string, unknown>, description: RegExp) => {
      const res = await api.post('/admin/v1/api-tokens').send({ user: ownerId, name: 'n', scopes: ['orders:read'], ...body });
      expect(res.status).toBe(400);
      expect(res.body.error).toBe('invalid_request');
      expect(res.body.error_description).toMatch(description);
    };
    await bad({ expires_in: 864_001 }, /at most 864000 seconds from now \(TESSERA_API_TOKEN_MAX_TTL\)/);
    await bad({ expires_at: new Date(Date.now() - 1000).toISOString() }, /at least 60 seconds from now/);
    await bad({ expires_in: 30 }, /expires_in: must be at least 60 seconds/);
    await bad({ expires_in: 3600, expires_at: at }, /give expires_in or expires_at, not both/);
    await bad({ expires_at: 'tomorrow' }, /expires_at: must be an RFC 3339 date-time/);
    await bad({ allowed_ips: ['10.0.0.0/33'] }, /allowed_ips.0: must be an IPv4 or IPv6 address or CIDR/);
    await bad({ user: 'nobody' }, /^user nobody does not exist$/);
    await bad({ scopes: [] }, /scopes/);
    await bad({ rate_limit: { requests: 0, per_seconds: 60 } }, /rate_limit.requests/);
    await bad({ token: 'tsp_chosen' }, /^body: unknown key 'token'$/);
  });

  test('a disabled owner gets no new token', async () => {
    const u = await h.ctx.users.create({ username: 'gone', password: 'gone-password', roles: ['reader'], disabled: true });
    const res = await api.post('/admin/v1/api-tokens').send({ user: u.id, name: 'n', scopes: ['orders:read'] });
    expect(res.body).toEqual({ error: 'invalid_request', error_description: 'user gone is disabled' });
  });
});

describe('list', () => {
  test('pages through every token of a user, filters and all', async () => {
    const u = await h.ctx.users.create({ username: 'pager', password: 'pager-password', roles: ['reader'] });
    const made = [];
    for (let i = 0; i < 5; i++) made.push((await create({ user: u.id })).id);
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const res: request.Response = await api.get(`/admin/v1/api-tokens?user=pager&active=true&limit=2${cursor ? `&cursor=${cursor}` : ''}`);
      expect(res.status).toBe(200);
      expect(res.body.items.length).toBeLessThanOrEqual(2);
      seen.push(...ids(res));
      cursor = res.body.next_cursor;
    } while (cursor);
    expect(seen.sort()).toEqual(made.sort());
    expect(ids(await api.get(`/admin/v1/api-tokens?user=${u.id}&limit=200`)).sort()).toEqual(made.sort());
    expect((await api.get('/admin/v1/api-tokens?user=nobody')).body).toEqual({ items: [], next_cursor: null });
  });

  test('active, expiring_within and unused_for select what they say', async () => {
    const u = await h.ctx.users.create({ username: 'filters', password: 'filters-password', roles: ['reader'] });
    const soon = await create({ user: u.id, expires_in: 3600 });
    const later = await create({ user: u.id, expires_in: 700_000 });
    const revoked = await create({ user: u.id });
    await api.del(`/admin/v1/api-tokens/${revoked.id}`).expect(200);
    await h.ctx.store.apiTokens.touch(later.id, Date.now() - 2 * 86_400_000, '192.0.2.1');
    await h.ctx.store.apiTokens.touch(soon.id, Date.now(), '192.0.2.1');
    const q = async (query: string) => ids(await api.get(`/admin/v1/api-tokens?user=${u.id}&${query}`)).sort();
    expect(await q('active=true')).toEqual([soon.id, later.id].sort());
    expect(await q('active=false')).toEqual([revoked.id]);
    expect(await q('expiring_within=7200')).toEqual([soon.id]);
    expect(await q('unused_for=86400')).toEqual([later.id]);
    expect(await q('unused_for=0')).toEqual([soon.id, later.id, revoked.id].sort());
  });

  test('a bad filter, limit or cursor is 400', async () => {
    for (const q of ['active=yes', 'expiring_within=-1', 'unused_for=soon', 'limit=0', 'cursor=!!', 'active=true&active=false']) {
      const res = await api.get(`/admin/v1/api-tokens?${q}`);
      expect([q, res.status, res.body.error]).toEqual([q, 400, 'invalid_request']);
    }
  });
});

describe('get, rotate, revoke', () => {
  test('an unknown or malformed id is 404 everywhere', async () => {
    for (const id of ['tok_AAAAAAAAAAAAAAAA', 'nope']) {
      expect((await api.get(`/admin/v1/api-tokens/${id}`)).status).toBe(404);
      expect((await api.post(`/admin/v1/api-tokens/${id}/rotate`)).status).toBe(404);
      expect((await api.del(`/admin/v1/api-tokens/${id}`)).status).toBe(404);
    }
  });

  test('revoking twice answers the first revocation unchanged; a revoked token cannot be rotated (409)', async () => {
    const t = await create();
    const first = await api.del(`/admin/v1/api-tokens/${t.id}`).send({ reason: 'first' });
    const second = await api.del(`/admin/v1/api-tokens/${t.id}`).send({ reason: 'second' });
    expect(second.status).toBe(200);
    expect(second.body).toEqual(first.body);
    const rotate = await api.post(`/admin/v1/api-tokens/${t.id}/rotate`);
    expect(rotate.status).toBe(409);
    expect(rotate.body).toEqual({ error: 'conflict', error_description: 'the token is revoked; create a new one' });
  });

  test('a grace period beyond 30 days, or a bad body, is 400', async () => {
    const t = await create();
    expect((await api.post(`/admin/v1/api-tokens/${t.id}/rotate`).send({ grace_period: 2_592_001 })).status).toBe(400);
    expect((await api.post(`/admin/v1/api-tokens/${t.id}/rotate`).send({ grace: 5 })).status).toBe(400);
    expect((await api.del(`/admin/v1/api-tokens/${t.id}`).send({ reason: 'x'.repeat(501) })).status).toBe(400);
  });

  test('other methods are 405 with Allow', async () => {
    const t = await create();
    expect((await request(h.app).put('/admin/v1/api-tokens').set('Authorization', auth)).headers.allow).toBe('GET, POST');
    expect((await request(h.app).patch(`/admin/v1/api-tokens/${t.id}`).set('Authorization', auth)).headers.allow).toBe('GET, DELETE');
    expect((await api.get(`/admin/v1/api-tokens/${t.id}/rotate`)).headers.allow).toBe('POST');
  });
});

describe('RFC 7009 revocation by secret', () => {
  test('any authenticated client presenting the secret revokes the token', async () => {
    const t = await create();
    const c = await h.createClient({ scopes: ['orders:read'] });
    const res = await request(h.app).post('/oauth/revoke').auth(c.client_id, c.client_secret).type('form').send({ token: t.token });
    expect(res.status).toBe(200);
    expect((await api.get(`/admin/v1/api-tokens/${t.id}`)).body).toMatchObject({
      status: 'revoked', revoked_by: { type: 'client', id: c.client_id }, revocation_reason: 'revoked at /oauth/revoke',
    });
  });
});

describe('without an admin token', () => {
  test('401 with no token, 403 with a token lacking tessera:admin', async () => {
    expect((await request(h.app).get('/admin/v1/api-tokens')).status).toBe(401);
    const c = await h.createClient({ scopes: ['orders:read'] });
    const res = await request(h.app).get('/admin/v1/api-tokens').set('Authorization', `Bearer ${await h.clientToken(c.client_id, c.client_secret)}`);
    expect(res.status).toBe(403);
  });
});
