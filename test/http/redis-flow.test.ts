/** The token, introspection, revocation and admin flow on the Redis store (the production shape). */
import request from 'supertest';
import { startHarness, type Harness } from '../support/harness.js';

let h: Harness;
beforeAll(async () => { h = await startHarness({ redis: true }); });
afterAll(async () => { await h.stop(); });

test('the store is Redis', () => {
  expect(h.ctx.store.kind).toBe('redis');
});

test('issue, introspect, revoke and page clients against Redis', async () => {
  const c = await h.createClient({ client_id: 'redis-svc', scopes: ['r'] });
  const tok = await h.clientToken(c.client_id, c.client_secret);
  const introspect = () => request(h.app).post('/oauth/introspect').auth(c.client_id, c.client_secret).type('form').send({ token: tok });
  expect((await introspect()).body.active).toBe(true);
  await request(h.app).post('/oauth/revoke').auth(c.client_id, c.client_secret).type('form').send({ token: tok }).expect(200);
  expect((await introspect()).body).toEqual({ active: false });
  const list = await request(h.app).get('/admin/v1/clients?limit=1').set('Authorization', `Bearer ${await h.adminToken()}`);
  expect(list.status).toBe(200);
  expect(list.body.items).toHaveLength(1);
  expect(list.body.next_cursor).toEqual(expect.any(String));
});

test('readyz reports the store', async () => {
  expect((await request(h.app).get('/readyz')).body).toEqual({ status: 'ready', store: 'redis', checks: { store: 'ok', keys: 'ok' } });
});

test('API tokens on Redis: create, exchange, rotate with grace, revoke, list', async () => {
  const EXCHANGE = 'urn:ietf:params:oauth:grant-type:token-exchange';
  const auth = `Bearer ${await h.adminToken()}`;
  await h.ctx.users.putRole('reader', ['orders:read']);
  await h.ctx.users.create({ username: 'redis-alice', password: 'alice-password', roles: ['reader'] });
  const c = await h.createClient({ grant_types: [EXCHANGE], scopes: ['orders:read'] });
  const created = await request(h.app).post('/admin/v1/api-tokens').set('Authorization', auth).send({ user: 'redis-alice', name: 'ci', scopes: ['orders:read'], allowed_ips: ['127.0.0.0/8', '::1'] });
  expect(created.status).toBe(201);
  const swap = (t: string) => request(h.app).post('/oauth/token').auth(c.client_id, c.client_secret).type('form')
    .send({ grant_type: EXCHANGE, subject_token: t, subject_token_type: 'urn:tessera:params:oauth:token-type:api_token' });
  expect((await swap(created.body.token)).body.scope).toBe('orders:read');
  const rotated = await request(h.app).post(`/admin/v1/api-tokens/${created.body.id}/rotate`).set('Authorization', auth).send({ grace_period: 60 });
  expect((await swap(created.body.token)).status).toBe(200);
  expect((await swap(rotated.body.token)).status).toBe(200);
  const jwt = (await swap(rotated.body.token)).body.access_token as string;
  const introspect = async (t: string) => (await request(h.app).post('/oauth/introspect').auth(c.client_id, c.client_secret).type('form').send({ token: t })).body.active;
  expect(await introspect(jwt)).toBe(true);
  await request(h.app).delete(`/admin/v1/api-tokens/${created.body.id}`).set('Authorization', auth).expect(200);
  expect(await introspect(jwt)).toBe(false);
  expect((await swap(created.body.token)).status).toBe(400);
  expect((await swap(rotated.body.token)).status).toBe(400);
  const listed = await request(h.app).get('/admin/v1/api-tokens?user=redis-alice').set('Authorization', auth);
  expect(listed.body.items).toEqual([expect.objectContaining({ id: created.body.id, status: 'revoked', last_used_at: expect.any(String) })]);
});
