/**
 * /admin/v1/users and /admin/v1/roles driven through every status that
 * openapi.yaml documents for them, each answer checked against the spec.
 */
import request from 'supertest';
import { startHarness, type Harness } from '../support/harness.js';
import { expectDocumented as hit, unexercised } from '../support/openapi.js';

let h: Harness;
let admin: string;
let reader: string;
let userId: string;

beforeAll(async () => {
  h = await startHarness();
  admin = `Bearer ${await h.adminToken()}`;
  const r = await h.createClient({ client_id: 'usr-reader', scopes: ['orders:read'] });
  reader = `Bearer ${await h.clientToken(r.client_id, r.client_secret)}`;
  await h.ctx.users.putRole('reader', ['orders:read']);
  userId = (await h.ctx.users.create({ username: 'target', password: 'target-password', roles: ['reader'] })).id;
});
afterAll(async () => { await h.stop().catch(() => undefined); });

type Method = 'get' | 'post' | 'patch' | 'delete' | 'put';
const call = (method: Method, path: string, auth: string | null = admin) => {
  const req = request(h.app)[method](path);
  return auth === null ? req : req.set('Authorization', auth);
};

const OPERATIONS = (): Array<[Method, string]> => [
  ['post', '/admin/v1/users'],
  ['get', '/admin/v1/users'],
  ['get', `/admin/v1/users/${userId}`],
  ['patch', `/admin/v1/users/${userId}`],
  ['delete', `/admin/v1/users/${userId}`],
  ['post', `/admin/v1/users/${userId}/revoke-tokens`],
  ['get', '/admin/v1/roles'],
  ['get', '/admin/v1/roles/reader'],
  ['put', '/admin/v1/roles/reader'],
  ['delete', '/admin/v1/roles/reader'],
];

test('bearer and transport errors on every operation: 401, 400, 403, 413, 415', async () => {
  for (const [method, path] of OPERATIONS()) {
    await hit(call(method, path, null), 401);
    await hit(call(method, path, 'Basic YTpi'), 400);
    await hit(call(method, path, reader), 403);
    await hit(call(method, path).set('Content-Type', 'application/json').send(`"${'x'.repeat(70 * 1024)}"`), 413);
    await hit(call(method, path).set('Content-Type', 'application/json; charset=latin1').send('{}'), 415);
  }
});

test('405 with Allow for other methods', async () => {
  expect((await hit(call('put', '/admin/v1/users'), 405)).headers.allow).toBe('GET, POST');
  expect((await hit(call('put', `/admin/v1/users/${userId}`), 405)).headers.allow).toBe('GET, PATCH, DELETE');
  expect((await hit(call('get', `/admin/v1/users/${userId}/revoke-tokens`), 405)).headers.allow).toBe('POST');
  expect((await hit(call('post', '/admin/v1/roles'), 405)).headers.allow).toBe('GET');
  expect((await hit(call('post', '/admin/v1/roles/reader'), 405)).headers.allow).toBe('GET, PUT, DELETE');
});

test('users: create 201, 400, 409; list 200, 400; get 200, 404; patch 200, 400, 404, 409', async () => {
  const created = await hit(call('post', '/admin/v1/users').send({ username: 'spec-user', password: 'spec-password' }), 201);
  await hit(call('post', '/admin/v1/users').send({ username: 'x', password: 'short' }), 400);
  await hit(call('post', '/admin/v1/users').send({ username: 'spec-user', password: 'spec-password' }), 409);
  await hit(call('get', '/admin/v1/users?limit=1'), 200);
  await hit(call('get', '/admin/v1/users?limit=0'), 400);
  await hit(call('get', `/admin/v1/users/${created.body.id}`), 200);
  await hit(call('get', '/admin/v1/users/usr_none'), 404);
  await hit(call('patch', `/admin/v1/users/${created.body.id}`).send({ roles: ['reader'] }), 200);
  await hit(call('patch', `/admin/v1/users/${created.body.id}`).send({ roles: ['ghost'] }), 400);
  await hit(call('patch', `/admin/v1/users/${created.body.id}`).send({ username: 'target' }), 409);
  await hit(call('patch', '/admin/v1/users/usr_none').send({ disabled: true }), 404);
  await hit(call('get', '/admin/v1/users/%E0%A4%A'), 400);
});

test('users: revoke-tokens 200, 404, 400; delete 204, 404, 400', async () => {
  const u = await hit(call('post', '/admin/v1/users').send({ username: 'to-delete', password: 'spec-password' }), 201);
  await hit(call('post', `/admin/v1/users/${u.body.id}/revoke-tokens`), 200);
  await hit(call('post', '/admin/v1/users/usr_none/revoke-tokens'), 404);
  await hit(call('post', '/admin/v1/users/%E0%A4%A/revoke-tokens'), 400);
  await hit(call('delete', `/admin/v1/users/${u.body.id}`), 204);
  await hit(call('delete', `/admin/v1/users/${u.body.id}`), 404);
  await hit(call('delete', '/admin/v1/users/%E0%A4%A'), 400);
});

test('roles: list 200, 400; put 201, 200, 400; get 200, 404, 400; delete 204, 404, 400', async () => {
  await hit(call('get', '/admin/v1/roles'), 200);
  await hit(call('get', '/admin/v1/roles').set('Content-Type', 'application/json').send('{"x":'), 400);
  await hit(call('put', '/admin/v1/roles/spec-role').send({ scopes: ['a'] }), 201);
  await hit(call('put', '/admin/v1/roles/spec-role').send({ scopes: ['a', 'b'] }), 200);
  await hit(call('put', '/admin/v1/roles/spec-role').send({ scopes: ['a b'] }), 400);
  await hit(call('get', '/admin/v1/roles/spec-role'), 200);
  await hit(call('get', '/admin/v1/roles/nope'), 404);
  await hit(call('get', '/admin/v1/roles/%E0%A4%A'), 400);
  await hit(call('delete', '/admin/v1/roles/spec-role'), 204);
  await hit(call('delete', '/admin/v1/roles/spec-role'), 404);
  await hit(call('delete', '/admin/v1/roles/%E0%A4%A'), 400);
  await hit(call('put', '/admin/v1/roles/%E0%A4%A').send({ scopes: [] }), 400);
});

describe('with the store unreachable', () => {
  beforeAll(async () => { await h.ctx.store.close(); });
  test('every operation is 503 temporarily_unavailable', async () => {
    for (const [method, path] of OPERATIONS()) await hit(call(method, path), 503);
  });
});

test('every documented operation and status under /admin/v1/users (but its sessions) and /admin/v1/roles was exercised', () => {
  const missing = unexercised((op) => (op.path.startsWith('/admin/v1/users') && !op.path.includes('/sessions')) || op.path.startsWith('/admin/v1/roles'));
  expect(missing.operations).toEqual([]);
  expect(missing.responses).toEqual([]);
});
