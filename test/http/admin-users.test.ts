import request from 'supertest';
import { startHarness, type Harness } from '../support/harness.js';
import { seedUserAndClient, startFamily } from '../support/users.js';

let h: Harness;
let auth: string;
beforeAll(async () => {
  h = await startHarness();
  auth = `Bearer ${await h.adminToken()}`;
  await h.ctx.users.putRole('reader', ['orders:read']);
});
afterAll(async () => { await h.stop(); });

const api = {
  post: (p: string) => request(h.app).post(p).set('Authorization', auth),
  put: (p: string) => request(h.app).put(p).set('Authorization', auth),
  get: (p: string) => request(h.app).get(p).set('Authorization', auth),
  patch: (p: string) => request(h.app).patch(p).set('Authorization', auth),
  del: (p: string) => request(h.app).delete(p).set('Authorization', auth),
};

describe('/admin/v1/users', () => {
  test('create answers 201 with the user and never the password or its hash', async () => {
    const res = await api.post('/admin/v1/users').send({ username: 'alice', password: 'alice-password', roles: ['reader'] });
    expect(res.status).toBe(201);
    expect(res.headers.location).toBe(`/admin/v1/users/${res.body.id}`);
    expect(res.body).toEqual({
      id: expect.stringMatching(/^usr_/), username: 'alice', roles: ['reader'], disabled: false,
      created_at: expect.any(String), updated_at: expect.any(String), tokens_revoked_at: null,
    });
    const stored = await h.ctx.store.users.get(res.body.id);
    expect(stored!.password_hash).toMatch(/^scrypt:/);
    expect(JSON.stringify(stored)).not.toContain('alice-password');
  });

  test('a taken username is 409, an unknown role 400, a short password 400', async () => {
    await api.post('/admin/v1/users').send({ username: 'bob', password: 'bob-password' }).expect(201);
    expect((await api.post('/admin/v1/users').send({ username: 'bob', password: 'bob-password' })).status).toBe(409);
    const role = await api.post('/admin/v1/users').send({ username: 'carol', password: 'carol-password', roles: ['ghost'] });
    expect(role.status).toBe(400);
    expect(role.body.error_description).toBe('unknown role: ghost');
    expect((await api.post('/admin/v1/users').send({ username: 'dave', password: 'short' })).status).toBe(400);
  });

  test('list pages, get finds, update changes, delete removes', async () => {
    for (const n of ['p1', 'p2', 'p3']) await api.post('/admin/v1/users').send({ username: n, password: 'password-123' }).expect(201);
    const page = await api.get('/admin/v1/users?limit=2');
    expect(page.status).toBe(200);
    expect(page.body.items).toHaveLength(2);
    expect(page.body.next_cursor).toEqual(expect.any(String));
    const id = page.body.items[0].id;
    expect((await api.get(`/admin/v1/users/${id}`)).body.id).toBe(id);
    const upd = await api.patch(`/admin/v1/users/${id}`).send({ username: 'renamed', roles: ['reader'] });
    expect(upd.status).toBe(200);
    expect(upd.body).toMatchObject({ username: 'renamed', roles: ['reader'] });
    expect((await api.del(`/admin/v1/users/${id}`)).status).toBe(204);
    expect((await api.get(`/admin/v1/users/${id}`)).status).toBe(404);
    expect((await api.get('/admin/v1/users/not-an-id')).status).toBe(404);
  });

  test('revoke-tokens makes all the user\'s tokens inactive at once', async () => {
    const { user, client } = await seedUserAndClient(h);
    const { token } = await startFamily(h, client.client_id, user.id, ['orders:read']);
    const issued = await request(h.app).post('/oauth/token').auth(client.client_id, client.client_secret).type('form').send({ grant_type: 'refresh_token', refresh_token: token });
    const intro = (t: string) => request(h.app).post('/oauth/introspect').auth(client.client_id, client.client_secret).type('form').send({ token: t });
    expect((await intro(issued.body.access_token)).body.active).toBe(true);

    const res = await api.post(`/admin/v1/users/${user.id}/revoke-tokens`);
    expect(res.status).toBe(200);
    expect(res.body.tokens_revoked_at).toEqual(expect.any(String));
    expect((await intro(issued.body.access_token)).body).toEqual({ active: false });
    const again = await request(h.app).post('/oauth/token').auth(client.client_id, client.client_secret).type('form').send({ grant_type: 'refresh_token', refresh_token: issued.body.refresh_token });
    expect(again.body.error).toBe('invalid_grant');
    expect(h.audit.events.map((e) => e.type)).toContain('user.tokens_revoked');
  });

  test('disabling a user cuts off their tokens', async () => {
    const { user, client } = await seedUserAndClient(h);
    const { token } = await startFamily(h, client.client_id, user.id, ['orders:read']);
    const issued = await request(h.app).post('/oauth/token').auth(client.client_id, client.client_secret).type('form').send({ grant_type: 'refresh_token', refresh_token: token });
    const res = await api.patch(`/admin/v1/users/${user.id}`).send({ disabled: true });
    expect(res.body).toMatchObject({ disabled: true, tokens_revoked_at: expect.any(String) });
    const intro = await request(h.app).post('/oauth/introspect').auth(client.client_id, client.client_secret).type('form').send({ token: issued.body.access_token });
    expect(intro.body).toEqual({ active: false });
  });

  test('revoke-tokens of an unknown user is 404', async () => {
    expect((await api.post('/admin/v1/users/usr_nobody/revoke-tokens')).status).toBe(404);
  });
});

describe('/admin/v1/roles', () => {
  test('PUT creates (201) then replaces (200); GET lists and finds; DELETE removes', async () => {
    const created = await api.put('/admin/v1/roles/editor').send({ scopes: ['docs:read', 'docs:write'] });
    expect(created.status).toBe(201);
    expect(created.body).toEqual({ name: 'editor', scopes: ['docs:read', 'docs:write'], created_at: expect.any(String), updated_at: expect.any(String) });
    const replaced = await api.put('/admin/v1/roles/editor').send({ scopes: ['docs:read'] });
    expect(replaced.status).toBe(200);
    expect(replaced.body.created_at).toBe(created.body.created_at);
    expect((await api.get('/admin/v1/roles')).body.items.map((r: { name: string }) => r.name)).toContain('editor');
    expect((await api.get('/admin/v1/roles/editor')).body.scopes).toEqual(['docs:read']);
    expect((await api.del('/admin/v1/roles/editor')).status).toBe(204);
    expect((await api.get('/admin/v1/roles/editor')).status).toBe(404);
  });

  test('a scope with a space is 400', async () => {
    expect((await api.put('/admin/v1/roles/bad').send({ scopes: ['a b'] })).status).toBe(400);
  });
});
