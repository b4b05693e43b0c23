/**
 * GET /v1/me and the sessions endpoints (/admin/v1/users/{id}/sessions and
 * /v1/me/sessions) driven through every status openapi.yaml documents for
 * them, each answer checked against the spec.
 */
import request from 'supertest';
import { startHarness, type Harness } from '../support/harness.js';
import { expectDocumented as hit, unexercised } from '../support/openapi.js';

let h: Harness;
let admin: string;
let reader: string;
let member: string;
let memberNoScope: string;
let memberId: string;
let sessionId: string;

type Method = 'get' | 'post' | 'delete' | 'put';
const call = (method: Method, path: string, auth: string | null = admin) => {
  const req = request(h.app)[method](path);
  return auth === null ? req : req.set('Authorization', auth);
};

beforeAll(async () => {
  h = await startHarness();
  admin = `Bearer ${await h.adminToken()}`;
  const r = await h.createClient({ client_id: 'ses-reader', scopes: ['orders:read'] });
  reader = `Bearer ${await h.clientToken(r.client_id, r.client_secret)}`;
  await h.ctx.users.putRole('member', ['orders:read', 'tessera:tokens']);
  memberId = (await h.ctx.users.create({ username: 'member', password: 'member-password', roles: ['member'] })).id;
  const app = await h.createClient({ client_id: 'ses-app', grant_types: ['refresh_token'], scopes: ['orders:read', 'tessera:tokens', 'offline_access'] });
  const bearer = async (scopes: string[]) => {
    const s = await h.ctx.refresh.startFamily({ clientId: app.client_id, userId: memberId, scopes, authTime: 1 });
    const res = await hit(request(h.app).post('/oauth/token').auth(app.client_id, app.client_secret).type('form').send({ grant_type: 'refresh_token', refresh_token: s.token }), 200);
    return { auth: `Bearer ${res.body.access_token}`, id: s.family.family_id };
  };
  const full = await bearer(['orders:read', 'tessera:tokens', 'offline_access']);
  member = full.auth;
  sessionId = full.id;
  memberNoScope = (await bearer(['orders:read', 'offline_access'])).auth;
});
afterAll(async () => { await h.stop().catch(() => undefined); });

const ADMIN_OPERATIONS = (): Array<[Method, string]> => [
  ['get', `/admin/v1/users/${memberId}/sessions`],
  ['delete', `/admin/v1/users/${memberId}/sessions/00000000-0000-4000-8000-000000000000`],
];
const ME_OPERATIONS = (): Array<[Method, string]> => [
  ['get', '/v1/me/sessions'],
  ['delete', '/v1/me/sessions/00000000-0000-4000-8000-000000000000'],
];

test('bearer and transport errors: 401, 400, 403, 413, 415', async () => {
  for (const [ops, wrongScope] of [[ADMIN_OPERATIONS(), reader], [ME_OPERATIONS(), memberNoScope]] as const) {
    for (const [method, path] of ops) {
      await hit(call(method, path, null), 401);
      await hit(call(method, path, 'Basic YTpi'), 400);
      await hit(call(method, path, wrongScope), 403);
      const auth = path.startsWith('/v1/') ? member : admin;
      await hit(call(method, path, auth).set('Content-Type', 'application/json').send(`"${'x'.repeat(70 * 1024)}"`), 413);
      await hit(call(method, path, auth).set('Content-Type', 'application/json; charset=latin1').send('{}'), 415);
    }
  }
  await hit(call('get', '/v1/me', null), 401);
  await hit(call('get', '/v1/me', 'Basic YTpi'), 400);
  await hit(call('get', '/v1/me', reader), 403);
});

test('405 with Allow for other methods', async () => {
  expect((await hit(call('post', `/admin/v1/users/${memberId}/sessions`), 405)).headers.allow).toBe('GET');
  expect((await hit(call('get', `/admin/v1/users/${memberId}/sessions/${sessionId}`), 405)).headers.allow).toBe('DELETE');
  expect((await hit(call('put', '/v1/me', member), 405)).headers.allow).toBe('GET');
  expect((await hit(call('post', '/v1/me/sessions', member), 405)).headers.allow).toBe('GET');
  expect((await hit(call('get', `/v1/me/sessions/${sessionId}`, member), 405)).headers.allow).toBe('DELETE');
});

test('GET /v1/me 200 with any scope', async () => {
  await hit(call('get', '/v1/me', member), 200);
  await hit(call('get', '/v1/me', memberNoScope), 200);
});

test('admin sessions: list 200, 400, 404; delete 204, 404, 400', async () => {
  await hit(call('get', `/admin/v1/users/${memberId}/sessions?limit=1`), 200);
  await hit(call('get', `/admin/v1/users/${memberId}/sessions?limit=0`), 400);
  await hit(call('get', '/admin/v1/users/usr_none/sessions'), 404);
  await hit(call('get', '/admin/v1/users/%E0%A4%A/sessions'), 400);
  const other = await h.ctx.refresh.startFamily({ clientId: 'ses-app', userId: memberId, scopes: ['orders:read'], authTime: 1 });
  await hit(call('delete', `/admin/v1/users/${memberId}/sessions/${other.family.family_id}`), 204);
  await hit(call('delete', `/admin/v1/users/${memberId}/sessions/${other.family.family_id}`), 404);
  await hit(call('delete', `/admin/v1/users/${memberId}/sessions/%E0%A4%A`), 400);
});

test('own sessions: list 200, 400; delete 204, 404', async () => {
  await hit(call('get', '/v1/me/sessions', member), 200);
  await hit(call('get', '/v1/me/sessions?cursor=***', member), 400);
  const other = await h.ctx.refresh.startFamily({ clientId: 'ses-app', userId: memberId, scopes: ['orders:read'], authTime: 1 });
  await hit(call('delete', `/v1/me/sessions/${other.family.family_id}`, member), 204);
  await hit(call('delete', `/v1/me/sessions/${other.family.family_id}`, member), 404);
  await hit(call('delete', '/v1/me/sessions/%E0%A4%A', member), 400);
});

describe('with the store unreachable', () => {
  beforeAll(async () => { await h.ctx.store.close(); });
  test('every operation is 503 temporarily_unavailable', async () => {
    for (const [method, path] of ADMIN_OPERATIONS()) await hit(call(method, path), 503);
    for (const [method, path] of ME_OPERATIONS()) await hit(call(method, path, member), 503);
    await hit(call('get', '/v1/me', member), 503);
  });
});

test('every documented operation and status of /v1/me, its sessions and the admin sessions endpoints was exercised', () => {
  const missing = unexercised((op) => op.path === '/v1/me' || op.path.startsWith('/v1/me/sessions') || op.path.startsWith('/admin/v1/users/{user_id}/sessions'));
  expect(missing.operations).toEqual([]);
  expect(missing.responses).toEqual([]);
});
