/**
 * The admin API names users as people do: wherever a path names a user, a
 * username works as well as the id. And a mistyped key in a body gets the
 * key it most likely meant.
 */
import request from 'supertest';
import { startHarness, type Harness } from '../support/harness.js';

let h: Harness;
let admin: string;
let alice: { id: string; username: string };
beforeAll(async () => {
  h = await startHarness();
  admin = await h.adminToken();
  await h.ctx.users.putRole('reader', ['orders:read']);
  alice = await h.ctx.users.create({ username: 'alice', password: 'alice-password', roles: ['reader'] });
});
afterAll(async () => { await h.stop(); });

const as = (r: request.Test) => r.set('Authorization', `Bearer ${admin}`);

test('get, update, revoke-tokens and sessions take a username as well as an id', async () => {
  const byId = await as(request(h.app).get(`/admin/v1/users/${alice.id}`));
  const byName = await as(request(h.app).get('/admin/v1/users/alice'));
  expect(byName.status).toBe(200);
  expect(byName.body).toEqual(byId.body);
  expect(byName.body).toMatchObject({ id: alice.id, username: 'alice' });

  const updated = await as(request(h.app).patch('/admin/v1/users/alice')).send({ disabled: true });
  expect(updated.status).toBe(200);
  expect(updated.body).toMatchObject({ id: alice.id, disabled: true });

  const revoked = await as(request(h.app).post('/admin/v1/users/alice/revoke-tokens'));
  expect(revoked.status).toBe(200);
  expect(revoked.body.tokens_revoked_at).toEqual(expect.any(String));

  const sessions = await as(request(h.app).get('/admin/v1/users/alice/sessions'));
  expect(sessions.status).toBe(200);
  expect(sessions.body).toEqual({ items: [], next_cursor: null });
});

test('a username shaped like an id is found by name when no user has that id; delete by username', async () => {
  const lookalike = await h.ctx.users.create({ username: 'usr_lookalike', password: 'lookalike-password' });
  const res = await as(request(h.app).get('/admin/v1/users/usr_lookalike'));
  expect(res.status).toBe(200);
  expect(res.body.id).toBe(lookalike.id);
  expect((await as(request(h.app).delete('/admin/v1/users/usr_lookalike'))).status).toBe(204);
  expect((await as(request(h.app).get(`/admin/v1/users/${lookalike.id}`))).status).toBe(404);
});

test('an unknown username or id is 404', async () => {
  const res = await as(request(h.app).get('/admin/v1/users/nobody'));
  expect(res.status).toBe(404);
  expect(res.body).toEqual({ error: 'not_found', error_description: 'user nobody does not exist' });
  expect((await as(request(h.app).get('/admin/v1/users/usr_AAAAAAAAAAAAAAAA'))).status).toBe(404);
});

test('a mistyped key in a body names the key it most likely meant', async () => {
  const res = await as(request(h.app).post('/admin/v1/clients')).send({ client_id: 'typo-svc', scope: ['orders:read'] });
  expect(res.status).toBe(400);
  expect(res.body).toEqual({ error: 'invalid_request', error_description: "body: unknown key 'scope' (did you mean 'scopes'?)" });
});
