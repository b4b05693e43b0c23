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
  expect((await request(h.app).get('/readyz')).body).toEqual({ status: 'ready', checks: { store: 'ok', keys: 'ok' } });
});
