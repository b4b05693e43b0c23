/**
 * Sessions: a user's live refresh-token families, seen and ended one by one
 * by an admin (/admin/v1/users/{id}/sessions) or by the user (/v1/me/sessions),
 * and GET /v1/me. On the memory store and on Redis.
 */
import request from 'supertest';
import { startHarness, type Harness } from '../support/harness.js';

describe.each([['memory', false], ['Redis', true]])('sessions on the %s store', (_name, redis) => {
  let h: Harness;
  let app: { client_id: string; client_secret: string };
  let admin: string;
  let aliceId: string;
  let bobId: string;
  let bossId: string;

  beforeAll(async () => {
    h = await startHarness({ redis });
    admin = `Bearer ${await h.adminToken()}`;
    await h.ctx.users.putRole('member', ['orders:read', 'tessera:tokens']);
    await h.ctx.users.putRole('boss', ['tessera:admin']);
    aliceId = (await h.ctx.users.create({ username: 'alice', password: 'alice-password', roles: ['member'] })).id;
    bobId = (await h.ctx.users.create({ username: 'bob', password: 'bob-password', roles: ['member'] })).id;
    bossId = (await h.ctx.users.create({ username: 'boss', password: 'boss-password', roles: ['boss'] })).id;
    app = await h.createClient({ client_id: 'mobile-app', name: 'Mobile app', grant_types: ['refresh_token'], scopes: ['orders:read', 'tessera:tokens', 'tessera:admin', 'offline_access'] });
  });
  afterAll(async () => { await h.stop(); });

  /** A session as the code grant starts one, then one refresh through the token endpoint. */
  async function signIn(userId: string, scopes = ['orders:read', 'tessera:tokens', 'offline_access'], refresh = true) {
    const started = await h.ctx.refresh.startFamily({ clientId: app.client_id, userId, scopes, authTime: Math.floor(Date.now() / 1000) - 5 });
    if (!refresh) return { id: started.family.family_id, refreshToken: started.token, access: '' };
    const res = await request(h.app).post('/oauth/token').auth(app.client_id, app.client_secret).type('form')
      .send({ grant_type: 'refresh_token', refresh_token: started.token });
    expect(res.status).toBe(200);
    return { id: started.family.family_id, refreshToken: res.body.refresh_token as string, access: `Bearer ${res.body.access_token}` };
  }
  const refreshWith = (token: string) =>
    request(h.app).post('/oauth/token').auth(app.client_id, app.client_secret).type('form').send({ grant_type: 'refresh_token', refresh_token: token });
  const asAdmin = (auth = admin) => ({
    get: (p: string) => request(h.app).get(`/admin/v1${p}`).set('Authorization', auth),
    del: (p: string) => request(h.app).delete(`/admin/v1${p}`).set('Authorization', auth),
  });
  const me = (auth: string) => ({
    get: (p: string) => request(h.app).get(`/v1/me${p}`).set('Authorization', auth),
    del: (p: string) => request(h.app).delete(`/v1/me${p}`).set('Authorization', auth),
  });

  test('an admin sees each of a user\'s sessions, newest first: client, scopes, start, last refresh, end', async () => {
    const unused = await signIn(aliceId, ['orders:read', 'offline_access'], false);
    // Sessions begun in the same millisecond are ordered by id; this one must be newer.
    await new Promise((r) => setTimeout(r, 5));
    const refreshed = await signIn(aliceId);
    const res = await asAdmin().get(`/users/${aliceId}/sessions`);
    expect(res.status).toBe(200);
    expect(res.headers['cache-control']).toBe('no-store');
    const mine = res.body.items.filter((s: { id: string }) => s.id === unused.id || s.id === refreshed.id);
    expect(mine).toEqual([
      {
        id: refreshed.id, client_id: 'mobile-app', client_name: 'Mobile app', scopes: ['orders:read', 'tessera:tokens', 'offline_access'],
        created_at: expect.any(String), last_refreshed_at: expect.any(String), expires_at: expect.any(String), authenticated_at: expect.any(String),
      },
      expect.objectContaining({ id: unused.id, scopes: ['orders:read', 'offline_access'], last_refreshed_at: null }),
    ]);
    const [first] = mine;
    expect(Date.parse(first.last_refreshed_at)).toBeGreaterThanOrEqual(Date.parse(first.created_at));
    expect(Date.parse(first.expires_at) - Date.parse(first.created_at)).toBe(h.config.refreshTokenTtl * 1000);
    expect(Date.parse(first.authenticated_at)).toBeLessThan(Date.parse(first.created_at));
    expect(res.body.items.map((s: { id: string }) => s.id)).not.toContain((await signIn(bobId, undefined, false)).id);
  });

  test('ending one session kills its refresh token and access tokens, and leaves the others alone', async () => {
    const doomed = await signIn(bobId);
    const kept = await signIn(bobId);
    const res = await asAdmin().del(`/users/${bobId}/sessions/${doomed.id}`);
    expect(res.status).toBe(204);
    expect(res.text).toBe('');
    expect((await refreshWith(doomed.refreshToken)).body.error).toBe('invalid_grant');
    expect((await me(doomed.access).get('/sessions')).status).toBe(401);
    expect((await me(kept.access).get('/sessions')).status).toBe(200);
    expect((await refreshWith(kept.refreshToken)).status).toBe(200);
    const listed = (await asAdmin().get(`/users/${bobId}/sessions`)).body.items.map((s: { id: string }) => s.id);
    expect(listed).toContain(kept.id);
    expect(listed).not.toContain(doomed.id);
    await h.flushAudit();
    expect(h.audit.events).toContainEqual(expect.objectContaining({
      type: 'session.revoked', actor: { type: 'client', id: 'tessera-admin' }, subject: bobId, token_id: doomed.id, client_id: 'mobile-app',
    }));
    // Already ended, or another user's: 404.
    expect((await asAdmin().del(`/users/${bobId}/sessions/${doomed.id}`)).status).toBe(404);
    expect((await asAdmin().del(`/users/${aliceId}/sessions/${kept.id}`)).status).toBe(404);
    expect((await asAdmin().del(`/users/${bobId}/sessions/not-a-session`)).status).toBe(404);
    expect((await asAdmin().get('/users/usr_nobody/sessions')).status).toBe(404);
  });

  test('revoke-tokens ends every session of the user: none is listed afterwards, and new ones are', async () => {
    const user = (await h.ctx.users.create({ username: `cut-${redis}`, password: 'cut-password', roles: ['member'] })).id;
    const before = await signIn(user);
    await new Promise((r) => setTimeout(r, 5));
    expect((await request(h.app).post(`/admin/v1/users/${user}/revoke-tokens`).set('Authorization', admin)).status).toBe(200);
    expect((await asAdmin().get(`/users/${user}/sessions`)).body.items).toEqual([]);
    expect((await asAdmin().del(`/users/${user}/sessions/${before.id}`)).status).toBe(404);
    await new Promise((r) => setTimeout(r, 5));
    const after = await signIn(user);
    expect((await asAdmin().get(`/users/${user}/sessions`)).body.items.map((x: { id: string }) => x.id)).toEqual([after.id]);
  });

  test('a user sees and ends their own sessions, and only those', async () => {
    const current = await signIn(aliceId);
    const laptop = await signIn(aliceId);
    const bobs = await signIn(bobId);
    const list = await me(current.access).get('/sessions');
    expect(list.status).toBe(200);
    expect(list.headers['cache-control']).toBe('no-store');
    const ids = list.body.items.map((s: { id: string }) => s.id);
    expect(ids).toEqual(expect.arrayContaining([current.id, laptop.id]));
    expect(ids).not.toContain(bobs.id);

    expect((await me(current.access).del(`/sessions/${bobs.id}`)).status).toBe(404);
    expect((await refreshWith(bobs.refreshToken)).status).toBe(200);
    expect((await me(current.access).del(`/sessions/${laptop.id}`)).status).toBe(204);
    expect((await refreshWith(laptop.refreshToken)).body.error).toBe('invalid_grant');
    await h.flushAudit();
    expect(h.audit.events).toContainEqual(expect.objectContaining({ type: 'session.revoked', actor: { type: 'user', id: aliceId }, subject: aliceId, token_id: laptop.id }));
  });

  test('pages follow a cursor, newest first, with no session twice', async () => {
    const user = (await h.ctx.users.create({ username: `pager-${redis}`, password: 'pager-password', roles: ['member'] })).id;
    const made: string[] = [];
    for (let i = 0; i < 5; i++) {
      made.unshift((await signIn(user, undefined, false)).id);
      await new Promise((r) => setTimeout(r, 2));
    }
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const res = await asAdmin().get(`/users/${user}/sessions?limit=2${cursor ? `&cursor=${cursor}` : ''}`);
      expect(res.status).toBe(200);
      expect(res.body.items.length).toBeLessThanOrEqual(2);
      seen.push(...res.body.items.map((s: { id: string }) => s.id));
      cursor = res.body.next_cursor;
    } while (cursor);
    expect(seen).toEqual(made);
    expect((await asAdmin().get(`/users/${user}/sessions?cursor=bm9wZQ`)).status).toBe(400);
  });

  test('GET /v1/me names the caller and the token\'s scopes, whatever they are; a client\'s own token is refused', async () => {
    const s = await signIn(aliceId, ['orders:read', 'offline_access']);
    const res = await me(s.access).get('');
    expect(res.status).toBe(200);
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.body).toEqual({ id: aliceId, username: 'alice', roles: ['member'], scopes: ['orders:read', 'offline_access'], client_id: 'mobile-app' });
    // Without tessera:tokens, the sessions are not this token's business.
    expect((await me(s.access).get('/sessions')).status).toBe(403);
    const clientOwn = await me(admin).get('');
    expect(clientOwn.status).toBe(403);
    expect(clientOwn.body.error).toBe('insufficient_scope');
    expect((await me('Bearer nope').get('')).status).toBe(401);
  });

  test('an admin acting with a token issued to a person is named as that person in the audit log', async () => {
    const s = await signIn(bossId, ['tessera:admin', 'offline_access']);
    const victim = await signIn(aliceId, undefined, false);
    expect((await asAdmin(s.access).del(`/users/${aliceId}/sessions/${victim.id}`)).status).toBe(204);
    await h.flushAudit();
    expect(h.audit.events).toContainEqual(expect.objectContaining({ type: 'session.revoked', actor: { type: 'user', id: bossId }, token_id: victim.id }));
  });
});
