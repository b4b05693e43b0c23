/** When the store cannot be reached: 503 temporarily_unavailable, never 500. */
import request from 'supertest';
import { startHarness, type Harness, ADMIN_SECRET } from '../support/harness.js';

let h: Harness;
let adminToken: string;
beforeAll(async () => {
  h = await startHarness();
  adminToken = await h.adminToken();
  // A closed store fails every call with StoreUnavailableError, as Redis does when it is down.
  await h.ctx.store.close();
});
afterAll(async () => { await h.stop().catch(() => undefined); });

test('/readyz is 503 and names the store', async () => {
  const res = await request(h.app).get('/readyz');
  expect(res.status).toBe(503);
  expect(res.body).toEqual({ status: 'unavailable', store: 'memory', checks: { store: 'unavailable', keys: 'ok' } });
});

test('/healthz still answers: the process is alive', async () => {
  expect((await request(h.app).get('/healthz')).status).toBe(200);
});

test('a token request is 503 temporarily_unavailable with Retry-After', async () => {
  const res = await request(h.app).post('/oauth/token').auth('tessera-admin', ADMIN_SECRET).type('form').send({ grant_type: 'client_credentials' });
  expect(res.status).toBe(503);
  expect(res.headers['retry-after']).toBe('1');
  expect(res.body).toEqual({ error: 'temporarily_unavailable', error_description: 'the token store is unavailable; retry shortly' });
});

test('introspection, revocation and the admin API are 503 too', async () => {
  expect((await request(h.app).post('/oauth/introspect').auth('tessera-admin', ADMIN_SECRET).type('form').send({ token: adminToken })).status).toBe(503);
  expect((await request(h.app).post('/oauth/revoke').auth('tessera-admin', ADMIN_SECRET).type('form').send({ token: adminToken })).status).toBe(503);
  expect((await request(h.app).get('/admin/v1/clients').set('Authorization', `Bearer ${adminToken}`)).status).toBe(503);
});

test('the JWKS and metadata need no store and still answer', async () => {
  expect((await request(h.app).get('/.well-known/jwks.json')).status).toBe(200);
  expect((await request(h.app).get('/.well-known/oauth-authorization-server')).status).toBe(200);
});
